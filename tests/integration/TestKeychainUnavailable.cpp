// Keychain unavailable (no session bus, a bus without a Secret Service, a keyring never unlocked):
// the daemon keeps running, every secret operation answers keychain_unavailable naming the cause,
// the CLI exits 1, and the secret is written nowhere.
#include "DaemonHarness.h"
#include "SecretScan.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::test::SecretScan;

namespace {

// A private session bus; with services=false it has no activatable services at all.
class PrivateBus
{
public:
    PrivateBus(const QString &dir, bool services, const QProcessEnvironment &env)
    {
        const QString config = QDir(dir).filePath(QStringLiteral("bus.conf"));
        QFile file(config);
        file.open(QIODevice::WriteOnly);
        file.write("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
                   "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>session</type>");
        file.write(QStringLiteral("<listen>unix:dir=%1</listen>").arg(dir).toUtf8());
        if (services) {
            file.write("<standard_session_servicedirs/>");
        }
        file.write("<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                   "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n");
        file.close();
        m_bus.setProcessEnvironment(env); // the fresh $HOME: no login keyring there
        m_bus.start(QStringLiteral("dbus-daemon"), {QStringLiteral("--config-file=") + config,
                                                    QStringLiteral("--nofork"), QStringLiteral("--print-address=1")});
        if (m_bus.waitForStarted(5000)) {
            while (!m_address.contains('\n') && m_bus.waitForReadyRead(5000)) {
                m_address += m_bus.readAllStandardOutput();
            }
        }
        m_address = m_address.trimmed();
    }
    ~PrivateBus()
    {
        m_bus.terminate();
        m_bus.waitForFinished(5000);
    }
    QString address() const { return QString::fromUtf8(m_address); }

private:
    QProcess m_bus;
    QByteArray m_address;
};

} // namespace

class TestKeychainUnavailable : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void secretOperationsFailClosed_data();
    void secretOperationsFailClosed();
};

void TestKeychainUnavailable::secretOperationsFailClosed_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QByteArray>("cause");
    QTest::newRow("no session bus") << QStringLiteral("none") << QByteArray("D-Bus");
    QTest::newRow("bus without a Secret Service") << QStringLiteral("bare") << QByteArray("org.freedesktop.secrets");
    QTest::newRow("keyring never unlocked") << QStringLiteral("locked") << QByteArray("collection/login");
}

void TestKeychainUnavailable::secretOperationsFailClosed()
{
    QFETCH(QString, setup);
    QFETCH(QByteArray, cause);
    DaemonHarness harness;
    harness.unsetEnv(QStringLiteral("DISPLAY"));
    harness.unsetEnv(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    std::unique_ptr<PrivateBus> bus;
    if (setup != QStringLiteral("none")) {
        bus = std::make_unique<PrivateBus>(harness.home(), setup == QStringLiteral("locked"), harness.environment());
        QVERIFY(!bus->address().isEmpty());
        harness.setEnv(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), bus->address());
    }
    QVERIFY(harness.start());

    const QByteArray secret = "lk-unavailable-" + QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    const QString server = DaemonHarness::uniqueName(QStringLiteral("kc"));
    const auto set =
        harness.cli({QStringLiteral("secret"), QStringLiteral("set"), server, QStringLiteral("K")}, secret);
    QCOMPARE(set.exitCode, 1);
    QVERIFY2(set.err.contains("keychain_unavailable") && set.err.contains(cause), set.err.constData());
    QVERIFY(!set.err.contains(secret));

    // The daemon is still up and says why in status.
    const auto status = harness.cli({QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(status.exitCode, 0);
    const QJsonObject keychain =
        QJsonDocument::fromJson(status.out).object().value(QStringLiteral("keychain")).toObject();
    QCOMPARE(keychain.value(QStringLiteral("available")).toBool(), false);
    QVERIFY(keychain.value(QStringLiteral("error")).toString().contains(QString::fromUtf8(cause)));

    // A server bound to a secret cannot run: the same clear error, exit 1.
    QCOMPARE(harness
                 .cli({QStringLiteral("add"), QStringLiteral("stdio"), server, QStringLiteral("--env"),
                       QStringLiteral("V=secret:K"), QStringLiteral("--"), QStringLiteral("/bin/true")})
                 .exitCode,
             0);
    const auto run = harness.cli({QStringLiteral("run"), server});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("keychain_unavailable") || run.err.contains("secret_missing"), run.err.constData());

    // No plaintext fallback: the secret is in no file, and not even recorded as present.
    const auto servers = harness.cli({QStringLiteral("servers"), QStringLiteral("--json")});
    const QJsonObject record = QJsonDocument::fromJson(servers.out).array().first().toObject();
    QVERIFY(record.value(QStringLiteral("secrets")).toArray().isEmpty());
    QVERIFY(harness.stop());
    QVERIFY(!harness.daemonOutput().contains(secret));
    QCOMPARE(SecretScan::filesContaining(harness.home(), secret), QStringList());
}

QTEST_GUILESS_MAIN(TestKeychainUnavailable)
#include "TestKeychainUnavailable.moc"
