#include "AddServerWizard.h"
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "EnvBindingsEditor.h"
#include "GuiTestSupport.h"
#include "ServerActions.h"
#include "WizardTaskPage.h"

#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QTest>

#include <memory>

using latchkey::test::DaemonHarness;
using latchkey::test::kGuiTimeout;
using latchkey::tray::AddServerWizard;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerActions;
using namespace std::chrono_literals;

namespace {

// The wizard against a harness daemon, connected.
struct Fixture
{
    explicit Fixture(const DaemonHarness &harness) : connection(harness.socketPath()), actions(&connection)
    {
        connection.setRetryInterval(20ms, 200ms);
        connection.start();
        wizard = std::make_unique<AddServerWizard>(&connection, &actions);
        wizard->show();
    }

    DaemonConnection connection;
    ServerActions actions;
    std::unique_ptr<AddServerWizard> wizard;
};

} // namespace

class TestAddServerWizard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stdioServerWithASecretLandsInTheKeychain()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        if (!latchkey::test::keychainAvailable(harness)) {
            QSKIP("needs the Secret Service; run through scripts/test.sh");
        }
        Fixture f(harness);
        QTRY_COMPARE_WITH_TIMEOUT(f.connection.state(), DaemonConnection::State::Connected, kGuiTimeout);
        AddServerWizard &w = *f.wizard;
        QCOMPARE(w.currentId(), int(AddServerWizard::KindPage));
        w.stdioChoice()->click();
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::StdioPage));

        const QString name = DaemonHarness::uniqueName(QStringLiteral("wiz"));
        QTest::keyClicks(w.stdioNameEdit(), name);
        QTest::keyClicks(w.commandEdit(), QStringLiteral("/usr/bin/env \"two words\" --flag"));
        const int row =
            w.environment()->addRow(QStringLiteral("API_TOKEN"), QString(), QStringLiteral("wizard-secret-42"));
        QCOMPARE(row, 0);
        auto *valueField = w.environment()->findChildren<QLineEdit *>().at(2);
        QCOMPARE(valueField->echoMode(), QLineEdit::Password); // typed, never shown
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::SavePage));
        auto *save = w.taskPage(AddServerWizard::SavePage);
        QTRY_VERIFY_WITH_TIMEOUT(!save->isRunning(), kGuiTimeout);
        QVERIFY2(save->succeeded(), qPrintable(save->log()));
        QVERIFY(save->log().contains(QStringLiteral("Stored api-token in the keychain.")));
        QVERIFY(!save->log().contains(QStringLiteral("wizard-secret-42")));

        // What the daemon keeps, and what the keychain holds.
        const auto record = latchkey::test::daemonRecord(harness, name);
        QVERIFY(!record.is_null());
        QVERIFY2(record["command"] == (nlohmann::json{"/usr/bin/env", "two words", "--flag"}), record.dump().c_str());
        QCOMPARE(record["env"].size(), size_t(1));
        QVERIFY(record["env"][0]["var"] == "API_TOKEN");
        QVERIFY(record["env"][0]["key"] == "api-token");
        QVERIFY(record["env"][0]["present"] == true);
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-token")), QStringLiteral("wizard-secret-42"));
        // servers.json names the secret, never holds it.
        QFile config(harness.configPath());
        QVERIFY(config.open(QIODevice::ReadOnly));
        QVERIFY(!config.readAll().contains("wizard-secret-42"));
    }

    void badInputIsSaidAndCanBeCorrected()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        Fixture f(harness);
        QTRY_COMPARE_WITH_TIMEOUT(f.connection.state(), DaemonConnection::State::Connected, kGuiTimeout);
        AddServerWizard &w = *f.wizard;
        w.stdioChoice()->setChecked(true);
        w.next();
        // Mandatory fields: no Next without a name and a command.
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::StdioPage));

        w.stdioNameEdit()->setText(QStringLiteral("bad name!"));
        w.commandEdit()->setText(QStringLiteral("/bin/true"));
        w.environment()->addRow(QStringLiteral("1BAD"));
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::StdioPage));
        auto *problem = w.findChild<QLabel *>(QStringLiteral("stdioProblem"));
        QVERIFY2(problem->text().contains(QStringLiteral("1BAD")), qPrintable(problem->text()));

        w.environment()->removeRow(0);
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::SavePage));
        auto *save = w.taskPage(AddServerWizard::SavePage);
        QTRY_VERIFY_WITH_TIMEOUT(!save->isRunning(), kGuiTimeout);
        QVERIFY(!save->succeeded());
        QVERIFY2(save->log().contains(QStringLiteral("Not added:")), qPrintable(save->log()));
        QVERIFY(!w.button(QWizard::FinishButton)->isEnabled());

        w.back();
        const QString name = DaemonHarness::uniqueName(QStringLiteral("fixed"));
        w.stdioNameEdit()->setText(name);
        w.next();
        QTRY_VERIFY_WITH_TIMEOUT(!save->isRunning(), kGuiTimeout);
        QVERIFY2(save->succeeded(), qPrintable(save->log()));
        QVERIFY(w.button(QWizard::FinishButton)->isEnabled());
        QVERIFY(!latchkey::test::daemonRecord(harness, name).is_null());
    }

    void remoteDiscoveryFailureStopsThere()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        Fixture f(harness);
        QTRY_COMPARE_WITH_TIMEOUT(f.connection.state(), DaemonConnection::State::Connected, kGuiTimeout);
        AddServerWizard &w = *f.wizard;
        QVERIFY(w.remoteChoice()->isChecked());
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::UrlPage));
        // Typing the URL suggests a name.
        QTest::keyClicks(w.urlEdit(), QStringLiteral("https://mcp.notes.example.com/mcp"));
        QCOMPARE(w.remoteNameEdit()->text(), QStringLiteral("notes"));
        w.urlEdit()->setText(QStringLiteral("https://127.0.0.1:9/mcp")); // nothing listens there
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::DiscoveryPage));
        auto *discovery = w.taskPage(AddServerWizard::DiscoveryPage);
        QTRY_VERIFY_WITH_TIMEOUT(!discovery->isRunning(), kGuiTimeout);
        QVERIFY(!discovery->succeeded());
        QVERIFY2(discovery->log().contains(QStringLiteral("Discovery failed:")), qPrintable(discovery->log()));
        w.next();
        QCOMPARE(w.currentId(), int(AddServerWizard::DiscoveryPage));
        QVERIFY(latchkey::test::daemonRecord(harness, QStringLiteral("notes")).is_null());
    }
};

QTEST_MAIN(TestAddServerWizard)
#include "TestAddServerWizard.moc"
