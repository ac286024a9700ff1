// The tray as the consent agent, against a real latchkeyd in "ask" mode: `latchkey run` spawned by this test
// asks; the ConsentController shows a ConsentDialog; each of its four outcomes reaches the daemon and decides
// the run. The server has no secrets, so no keychain is needed.
#include "ConsentController.h"
#include "DaemonConnection.h"
#include "DaemonHarness.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::tray::ConsentController;
using latchkey::tray::ConsentDialog;
using latchkey::tray::DaemonConnection;
using Outcome = ConsentDialog::Outcome;
using namespace std::chrono_literals;

namespace {
constexpr int kTimeout = 20000;
constexpr int kConsentTimeoutMs = 4000;
} // namespace

class TestConsentController : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void registersAsTheAgent();
    void allowOnceRunsOnceOnly();
    void alwaysIsStored();
    void denyIsStored();
    void timeoutDeniesAndClosesTheDialog();
    void registersAgainAfterTheDaemonRestarts();

private:
    QString addServer();
    std::unique_ptr<QProcess> startRun(const QString &server);
    ConsentDialog *waitForDialog();
    static bool finished(QProcess &run);
    QString decisionOf(const QString &server);

    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<DaemonConnection> m_connection;
    std::unique_ptr<ConsentController> m_controller;
    std::unique_ptr<QSignalSpy> m_opened;
};

void TestConsentController::initTestCase()
{
    m_daemon = std::make_unique<DaemonHarness>();
    m_daemon->setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
    m_daemon->setEnv(QStringLiteral("LATCHKEY_CONSENT_TIMEOUT_MS"), QString::number(kConsentTimeoutMs));
    QVERIFY(m_daemon->start());
    m_connection = std::make_unique<DaemonConnection>(m_daemon->socketPath());
    m_connection->setRetryInterval(20ms, 200ms);
    m_controller = std::make_unique<ConsentController>(*m_connection);
    m_opened = std::make_unique<QSignalSpy>(m_controller.get(), &ConsentController::dialogOpened);
    m_connection->start();
}

void TestConsentController::cleanupTestCase()
{
    m_controller.reset();
    m_connection.reset();
    if (m_daemon) {
        QVERIFY(m_daemon->stop());
    }
}

QString TestConsentController::addServer()
{
    const QString name = DaemonHarness::uniqueName(QStringLiteral("tray-consent"));
    const auto add = m_daemon->cli(
        {QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--"), QStringLiteral("/bin/true")});
    return add.exitCode == 0 ? name : QString();
}

std::unique_ptr<QProcess> TestConsentController::startRun(const QString &server)
{
    auto run = std::make_unique<QProcess>();
    run->setProcessEnvironment(m_daemon->environment());
    run->start(DaemonHarness::binary(QStringLiteral("latchkey")), {QStringLiteral("run"), server, QStringLiteral("--"),
                                                                   QStringLiteral("/bin/echo"), QStringLiteral("ran")});
    return run;
}

ConsentDialog *TestConsentController::waitForDialog()
{
    const qsizetype before = m_opened->size();
    if (!QTest::qWaitFor([&] { return m_opened->size() > before; }, kTimeout)) {
        return nullptr;
    }
    return m_opened->last().first().value<ConsentDialog *>();
}

bool TestConsentController::finished(QProcess &run)
{
    return QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, kTimeout);
}

QString TestConsentController::decisionOf(const QString &server)
{
    const auto list = m_daemon->cli({QStringLiteral("apps"), QStringLiteral("--json")});
    const auto json = nlohmann::json::parse(list.out.toStdString(), nullptr, false);
    for (const auto &grant : json.value("grants", nlohmann::json::array())) {
        if (grant.value("server", "") == server.toStdString()) {
            return QString::fromStdString(grant.value("decision", ""));
        }
    }
    return {};
}

void TestConsentController::registersAsTheAgent()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->isRegistered(), kTimeout);
    const auto status = m_daemon->cli({QStringLiteral("status")});
    QVERIFY2(status.out.contains("consent agent running"), status.out.constData());
}

void TestConsentController::allowOnceRunsOnceOnly()
{
    const QString server = addServer();
    QVERIFY(!server.isEmpty());
    auto run = startRun(server);
    ConsentDialog *dialog = waitForDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->request().serverName, server);
    QCOMPARE(dialog->request().appPid, QCoreApplication::applicationPid());
    QTest::mouseClick(dialog->button(Outcome::AllowOnce), Qt::LeftButton);
    QVERIFY(finished(*run));
    QCOMPARE(run->exitCode(), 0);
    QCOMPARE(run->readAllStandardOutput(), QByteArray("ran\n"));
    QCOMPARE(decisionOf(server), QString()); // nothing stored

    auto again = startRun(server);
    ConsentDialog *second = waitForDialog(); // asked again
    QVERIFY(second);
    QTest::keyClick(second, Qt::Key_Escape); // Esc denies
    QVERIFY(finished(*again));
    QCOMPARE(again->exitCode(), 1);
}

void TestConsentController::alwaysIsStored()
{
    const QString server = addServer();
    auto run = startRun(server);
    ConsentDialog *dialog = waitForDialog();
    QVERIFY(dialog);
    QTest::mouseClick(dialog->button(Outcome::AllowAlways), Qt::LeftButton);
    QVERIFY(finished(*run));
    QCOMPARE(run->exitCode(), 0);
    QCOMPARE(decisionOf(server), QStringLiteral("always"));
    const qsizetype opened = m_opened->size();
    auto again = startRun(server);
    QVERIFY(finished(*again));
    QCOMPARE(again->exitCode(), 0);
    QCOMPARE(m_opened->size(), opened); // no dialog the second time
}

void TestConsentController::denyIsStored()
{
    const QString server = addServer();
    auto run = startRun(server);
    ConsentDialog *dialog = waitForDialog();
    QVERIFY(dialog);
    QTest::mouseClick(dialog->button(Outcome::Deny), Qt::LeftButton);
    QVERIFY(finished(*run));
    QCOMPARE(run->exitCode(), 1);
    QVERIFY(run->readAllStandardError().contains("consent_denied"));
    QCOMPARE(decisionOf(server), QStringLiteral("deny"));
}

void TestConsentController::timeoutDeniesAndClosesTheDialog()
{
    const QString server = addServer();
    auto run = startRun(server);
    QPointer<ConsentDialog> dialog = waitForDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->request().timeoutMs <= kConsentTimeoutMs);
    QVERIFY(dialog->secondsLeft() <= kConsentTimeoutMs / 1000);
    QVERIFY(finished(*run));
    QCOMPARE(run->exitCode(), 1);
    QVERIFY(run->readAllStandardError().contains("nobody answered"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog || !dialog->isVisible(), kTimeout);
    QCOMPARE(decisionOf(server), QString()); // a timeout is not remembered
}

void TestConsentController::registersAgainAfterTheDaemonRestarts()
{
    QSignalSpy registered(m_controller.get(), &ConsentController::registeredChanged);
    QVERIFY(m_daemon->stop());
    QTRY_VERIFY_WITH_TIMEOUT(!m_controller->isRegistered(), kTimeout);
    QVERIFY(m_daemon->start());
    QTRY_VERIFY_WITH_TIMEOUT(m_controller->isRegistered(), kTimeout);
    const QString server = addServer();
    auto run = startRun(server);
    ConsentDialog *dialog = waitForDialog();
    QVERIFY(dialog);
    QTest::mouseClick(dialog->button(Outcome::AllowOnce), Qt::LeftButton);
    QVERIFY(finished(*run));
    QCOMPARE(run->exitCode(), 0);
}

QTEST_MAIN(TestConsentController)
#include "TestConsentController.moc"
