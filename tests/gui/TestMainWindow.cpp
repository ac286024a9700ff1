#include "AuditLogView.h"
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "GrantsPanel.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "ServerActions.h"
#include "ServerDetails.h"
#include "ServerListModel.h"
#include "SettingsPanel.h"
#include "TrayController.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::test::answer;
using latchkey::test::confirmation;
using latchkey::test::DaemonHarness;
using latchkey::test::kGuiTimeout;
using latchkey::test::TrayApp;
using latchkey::tray::AuditLogView;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerActions;
using latchkey::tray::ServerListModel;
using namespace std::chrono_literals;

namespace {

QTableView *table(const TrayApp &app)
{
    return app.find<QTableView>("serversView");
}

bool showsTable(const TrayApp &app)
{
    auto *stack = app.find<QStackedWidget>("serversStack");
    return stack && stack->currentWidget() == table(app);
}

// The row showing this server in the window's table, or -1.
int rowShowing(const TrayApp &app, const QString &name)
{
    QAbstractItemModel *model = table(app)->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, ServerListModel::NameColumn).data().toString() == name) {
            return row;
        }
    }
    return -1;
}

QString cell(const TrayApp &app, const QString &name, int column)
{
    const int row = rowShowing(app, name);
    return row < 0 ? QStringLiteral("<no row>") : table(app)->model()->index(row, column).data().toString();
}

// What the daemon itself says about the keychain right now, worded as the window words it.
QString expectedKeychainText(const DaemonHarness &harness)
{
    const auto status = harness.cli({QStringLiteral("status"), QStringLiteral("--json")});
    if (status.exitCode != 0) {
        return QStringLiteral("<latchkey status failed: %1>").arg(QString::fromUtf8(status.err));
    }
    const auto json = nlohmann::json::parse(status.out.toStdString(), nullptr, false);
    const auto &keychain = json["keychain"];
    const QString backend = QString::fromStdString(keychain.value("backend", std::string()));
    if (keychain.value("available", false)) {
        return QStringLiteral("available (%1)").arg(backend);
    }
    return QStringLiteral("unavailable (%1): %2")
        .arg(backend, QString::fromStdString(keychain.value("error", std::string())));
}

QStringList addServer(const QString &name)
{
    return {QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--"), QStringLiteral("/bin/true")};
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsConnectedAndTheKeychainState()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        TrayApp app(harness);
        QVERIFY(app.window()->isVisible());
        QVERIFY(app.controller.trayIcon() == nullptr);

        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), kGuiTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").contains(QString::number(harness.pid())), kGuiTimeout);
        // The daemon learns about the keychain by probing it; the window follows through the
        // pushed keychain.changed, so it ends up saying what `latchkey status` says.
        QTRY_COMPARE_WITH_TIMEOUT(app.text("keychainState"), expectedKeychainText(harness), kGuiTimeout);
        QVERIFY2(app.text("configState").startsWith(QStringLiteral("ok (")), qPrintable(app.text("configState")));
        QVERIFY(app.text("configState").contains(harness.configPath()));
        QVERIFY(!app.text("headline").isEmpty());
        // No servers yet: the hint takes the table's place.
        QVERIFY(!showsTable(app));
        QVERIFY(app.text("emptyServers").contains(QStringLiteral("Add server")));
    }

    void serverAddedThroughTheCliAppears()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(app.connected(), kGuiTimeout);

        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-window"));
        const auto added = harness.cli(addServer(name));
        QVERIFY2(added.exitCode == 0, added.err.constData());

        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, name) >= 0, kGuiTimeout);
        QVERIFY(showsTable(app));
        QCOMPARE(cell(app, name, ServerListModel::TargetColumn), QStringLiteral("/bin/true"));
        QCOMPARE(cell(app, name, ServerListModel::StateColumn), QStringLiteral("none needed"));
        QTRY_COMPARE_WITH_TIMEOUT(app.text("serversSummary"), QStringLiteral("1 server"), kGuiTimeout);

        const auto removed = harness.cli({QStringLiteral("remove"), name});
        QVERIFY2(removed.exitCode == 0, removed.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(rowShowing(app, name), -1, kGuiTimeout);
        QVERIFY(!showsTable(app));
    }

    void detailsPaneShowsTheSelectedServer()
    {
        DaemonHarness harness;
        const QString remote = DaemonHarness::uniqueName(QStringLiteral("notes"));
        const QString local = DaemonHarness::uniqueName(QStringLiteral("gh"));
        QVERIFY(latchkey::test::writeServers(
            harness, {latchkey::test::remoteRecord(remote, "needs_login", "invalid_grant: refresh token expired"),
                      latchkey::test::stdioRecord(local, "GITHUB_TOKEN", "token")}));
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, local) >= 0, kGuiTimeout);
        auto *details = app.window()->details();
        QCOMPARE(details->value(QStringLiteral("detailTitle")), QStringLiteral("Select a server to see its details."));
        QVERIFY(details->value(QStringLiteral("detailIssuer")).isEmpty());

        // The columns the daemon's server.list feeds.
        QCOMPARE(cell(app, remote, ServerListModel::IssuerColumn), QStringLiteral("https://login.example.com"));
        QCOMPARE(cell(app, remote, ServerListModel::ScopesColumn), QStringLiteral("files:read files:write"));
        QCOMPARE(cell(app, remote, ServerListModel::RungColumn), QStringLiteral("OAuth"));
        QCOMPARE(cell(app, remote, ServerListModel::StateColumn), QStringLiteral("sign-in needed"));
        QCOMPARE(cell(app, local, ServerListModel::RungColumn), QStringLiteral("API key"));
        QCOMPARE(cell(app, local, ServerListModel::StateColumn), QStringLiteral("missing: token"));
        // The headline wants the sign-in (a missing secret would say so only after it), unless there is
        // no keychain at all in this run, which outranks both.
        QTRY_COMPARE_WITH_TIMEOUT(app.text("headline"),
                                  latchkey::test::keychainAvailable(harness)
                                      ? QStringLiteral("%1 needs you to sign in").arg(remote)
                                      : QStringLiteral("The keychain is unavailable"),
                                  kGuiTimeout);

        // No tray here: the sign-in notification shows in the window's banner.
        QTRY_VERIFY_WITH_TIMEOUT(app.find<QLabel>("notificationBanner")->isVisible(), kGuiTimeout);
        QVERIFY2(app.text("notificationBanner").startsWith(QStringLiteral("Latchkey: sign-in needed — %1").arg(remote)),
                 qPrintable(app.text("notificationBanner")));

        QVERIFY(app.window()->selectServer(remote));
        QCOMPARE(details->value(QStringLiteral("detailTitle")), remote);
        QCOMPARE(details->value(QStringLiteral("detailIssuer")), QStringLiteral("https://login.example.com"));
        QCOMPARE(details->value(QStringLiteral("detailTarget")),
                 QStringLiteral("https://%1.example.com/mcp").arg(remote));
        QCOMPARE(details->value(QStringLiteral("detailState")),
                 QStringLiteral("sign-in needed (invalid_grant: refresh token expired)"));
        QVERIFY(details->value(QStringLiteral("detailEnvironment")).isEmpty());
        QVERIFY(app.find<QAction>("signInAction")->isEnabled());
        QVERIFY(!app.find<QAction>("signOutAction")->isEnabled());

        // Keyboard: Down in the table moves the selection, and the pane follows.
        table(app)->setFocus();
        const int localRow = rowShowing(app, local);
        QTest::keyClick(table(app), localRow > rowShowing(app, remote) ? Qt::Key_Down : Qt::Key_Up);
        QCOMPARE(app.window()->selectedServer(), local);
        QCOMPARE(details->value(QStringLiteral("detailTarget")), QStringLiteral("/bin/true --stdio"));
        QCOMPARE(details->value(QStringLiteral("detailEnvironment")),
                 QStringLiteral("GITHUB_TOKEN ← token (secret, missing)"));
        QVERIFY(details->value(QStringLiteral("detailIssuer")).isEmpty());
        QVERIFY(!app.find<QAction>("signInAction")->isEnabled());
        QVERIFY(!app.find<QAction>("revokeAction")->isEnabled()); // nothing stored to revoke
    }

    void theListTakesTheFocusAndTypingANameSelectsIt()
    {
        // What keyboard users (and scripts/screenshots.sh) rely on: once the servers are listed, the list
        // has the focus, and typing the start of a name selects that server.
        DaemonHarness harness;
        const QString first = DaemonHarness::uniqueName(QStringLiteral("alpha"));
        const QString last = DaemonHarness::uniqueName(QStringLiteral("zulu"));
        QVERIFY(latchkey::test::writeServers(harness,
                                             {latchkey::test::stdioRecord(first), latchkey::test::stdioRecord(last)}));
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, last) >= 0, kGuiTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(app.window()->focusWidget(), static_cast<QWidget *>(table(app)), kGuiTimeout);
        QVERIFY(app.window()->selectedServer().isEmpty());
        QTest::keyClicks(table(app), QStringLiteral("zu"));
        QCOMPARE(app.window()->selectedServer(), last);
        QCOMPARE(app.window()->details()->value(QStringLiteral("detailTitle")), last);
    }

    void signOutReachesTheDaemon()
    {
        DaemonHarness harness;
        const QString name = DaemonHarness::uniqueName(QStringLiteral("drive"));
        QVERIFY(latchkey::test::writeServers(harness, {latchkey::test::remoteRecord(name, "active")}));
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, name) >= 0, kGuiTimeout);
        QCOMPARE(cell(app, name, ServerListModel::StateColumn), QStringLiteral("signed in"));
        QVERIFY(app.window()->selectServer(name));
        auto *button = app.find<QPushButton>("signOutButton");
        QVERIFY(button->isEnabled());

        QSignalSpy finished(app.controller.actions(), &ServerActions::finished);
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(finished.first().at(2).toBool(), true);
        // No token was in the keychain for this seeded grant: the daemon says so, and forgets the grant.
        QCOMPARE(finished.first().at(3).toString(), QStringLiteral("nothing to revoke"));
        QTRY_COMPARE_WITH_TIMEOUT(cell(app, name, ServerListModel::StateColumn), QStringLiteral("not signed in"),
                                  kGuiTimeout);
        QVERIFY(latchkey::test::daemonRecord(harness, name)["grant"]["state"] == "none");
        QVERIFY(!button->isEnabled());
        const auto audit = harness.cli({QStringLiteral("audit"), QStringLiteral("--json")});
        QVERIFY2(audit.out.contains("logout.requested") && audit.out.contains(name.toUtf8()), audit.out.constData());
    }

    void revokeDeletesTheStoredSecretsAfterConfirmation()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        if (!latchkey::test::keychainAvailable(harness)) {
            QSKIP("needs the Secret Service; run through scripts/test.sh");
        }
        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-revoke"));
        QVERIFY(harness
                    .cli({QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--env"),
                          QStringLiteral("API_KEY=secret:api-key"), QStringLiteral("--"), QStringLiteral("/bin/true")})
                    .exitCode == 0);
        const auto set = harness.cli({QStringLiteral("secret"), QStringLiteral("set"), name, QStringLiteral("api-key")},
                                     "gui-revoke-value");
        QVERIFY2(set.exitCode == 0, set.err.constData());
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-key")), QStringLiteral("gui-revoke-value"));

        TrayApp app(harness);
        QTRY_COMPARE_WITH_TIMEOUT(cell(app, name, ServerListModel::StateColumn), QStringLiteral("1 stored"),
                                  kGuiTimeout);
        QVERIFY(app.window()->selectServer(name));
        auto *revoke = app.find<QPushButton>("revokeButton");
        QVERIFY(revoke->isEnabled());

        // Cancel first: nothing happens.
        QTest::mouseClick(revoke, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() != nullptr, kGuiTimeout);
        answer(confirmation(), false);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() == nullptr, kGuiTimeout);
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-key")), QStringLiteral("gui-revoke-value"));

        QSignalSpy finished(app.controller.actions(), &ServerActions::finished);
        QTest::mouseClick(revoke, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() != nullptr, kGuiTimeout);
        answer(confirmation(), true);
        QVERIFY(finished.wait(kGuiTimeout));
        QVERIFY2(finished.first().at(2).toBool(), qPrintable(finished.first().at(3).toString()));
        QTRY_COMPARE_WITH_TIMEOUT(cell(app, name, ServerListModel::StateColumn), QStringLiteral("missing: api-key"),
                                  kGuiTimeout);
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-key")), QString());
        QVERIFY(latchkey::test::daemonRecord(harness, name)["secrets"].empty());
    }

    void deleteKeyRemovesTheServerAfterConfirmation()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-del"));
        QVERIFY(harness.cli(addServer(name)).exitCode == 0);
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, name) >= 0, kGuiTimeout);
        QVERIFY(app.window()->selectServer(name));
        app.window()->activateWindow();
        table(app)->setFocus();

        QTest::keyClick(table(app), Qt::Key_Delete);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() != nullptr, kGuiTimeout);
        QVERIFY(confirmation()->text().contains(name));
        answer(confirmation(), false);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() == nullptr, kGuiTimeout);
        QVERIFY(!latchkey::test::daemonRecord(harness, name).is_null());

        table(app)->setFocus();
        QTest::keyClick(table(app), Qt::Key_Delete);
        QTRY_VERIFY_WITH_TIMEOUT(confirmation() != nullptr, kGuiTimeout);
        answer(confirmation(), true);
        QTRY_COMPARE_WITH_TIMEOUT(rowShowing(app, name), -1, kGuiTimeout);
        QVERIFY(latchkey::test::daemonRecord(harness, name).is_null());
    }

    void auditLogFilters()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        const QString first = DaemonHarness::uniqueName(QStringLiteral("audit-a"));
        const QString second = DaemonHarness::uniqueName(QStringLiteral("audit-b"));
        QVERIFY(harness.cli(addServer(first)).exitCode == 0);
        QVERIFY(harness.cli(addServer(second)).exitCode == 0);
        QVERIFY(harness.cli({QStringLiteral("remove"), second}).exitCode == 0);
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(app.connected(), kGuiTimeout);

        AuditLogView *audit = app.window()->auditLog();
        QSignalSpy loaded(audit, &AuditLogView::loaded);
        // Ctrl+F: the audit tab, the cursor in its filter.
        app.window()->activateWindow();
        QTest::keyClick(app.window(), Qt::Key_F, Qt::ControlModifier);
        QCOMPARE(app.window()->tabs()->currentWidget(), audit);
        QTRY_VERIFY_WITH_TIMEOUT(loaded.size() > 0, kGuiTimeout);
        // daemon.started, two server.added, one server.removed at least.
        QVERIFY2(audit->loadedRows() >= 4, qPrintable(QString::number(audit->loadedRows())));
        QCOMPARE(audit->visibleRows(), audit->loadedRows());

        QTest::keyClicks(audit->filterEdit(), second);
        QCOMPARE(audit->visibleRows(), 2); // added and removed
        audit->filterEdit()->clear();
        QTest::keyClicks(audit->filterEdit(), QStringLiteral("SERVER.REMOVED")); // any case
        QCOMPARE(audit->visibleRows(), 1);
        audit->filterEdit()->setText(QStringLiteral("no such entry anywhere"));
        QCOMPARE(audit->visibleRows(), 0);
        audit->filterEdit()->clear();
        QCOMPARE(audit->visibleRows(), audit->loadedRows());

        // F5 reads the log again: a new entry appears.
        const int before = audit->loadedRows();
        QVERIFY(harness.cli(addServer(DaemonHarness::uniqueName(QStringLiteral("audit-c")))).exitCode == 0);
        loaded.clear();
        QTest::keyClick(app.window(), Qt::Key_F5);
        QTRY_VERIFY_WITH_TIMEOUT(loaded.size() > 0, kGuiTimeout);
        QVERIFY(audit->loadedRows() > before);
    }

    void reconnectsAfterTheDaemonRestartsAndShowsTheServersAgain()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        TrayApp app(harness);
        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-restart"));
        QVERIFY(harness.cli(addServer(name)).exitCode == 0);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, name) >= 0, kGuiTimeout);
        QVERIFY(app.window()->selectServer(name));

        QVERIFY(harness.stop());
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("not running")), kGuiTimeout);
        QVERIFY2(app.text("daemonState").endsWith(harness.socketPath()), qPrintable(app.text("daemonState")));
        QVERIFY(app.text("headline").contains(QStringLiteral("not running")));
        QCOMPARE(rowShowing(app, name), -1);
        QVERIFY(!showsTable(app));
        auto *button = app.find<QPushButton>("refreshButton");
        QVERIFY(button);
        QCOMPARE(button->text(), QStringLiteral("&Reconnect"));
        QVERIFY(!app.find<QAction>("removeAction")->isEnabled());
        QVERIFY(!app.find<QAction>("addServerAction")->isEnabled());

        QVERIFY(harness.start());
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), kGuiTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").contains(QString::number(harness.pid())), kGuiTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(rowShowing(app, name) >= 0, kGuiTimeout);
        QVERIFY(showsTable(app));
        QCOMPARE(button->text(), QStringLiteral("&Refresh"));
        // The selection comes back with the server.
        QCOMPARE(app.window()->selectedServer(), name);
        QVERIFY(app.find<QAction>("removeAction")->isEnabled());
    }

    void reconnectButtonSkipsTheBackoff()
    {
        DaemonHarness harness;
        TrayApp app(harness);
        // A long backoff: only the button can bring the daemon in quickly.
        app.controller.connection()->setRetryInterval(60s, 60s);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("not running")), kGuiTimeout);
        QVERIFY(app.text("keychainState").startsWith(QStringLiteral("unknown")));
        QVERIFY(harness.start());
        QTest::mouseClick(app.find<QPushButton>("refreshButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), 5000);
    }

    void enterpriseSignInReachesTheDaemonOrSaysItIsUnavailable()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(app.connected(), kGuiTimeout);
        QAction *enterprise = app.window()->enterpriseAction();
        QVERIFY(enterprise->isEnabled());
        QSignalSpy finished(app.controller.actions(), &ServerActions::finished);
        enterprise->trigger();
        QVERIFY(finished.wait(kGuiTimeout));
        if (app.controller.actions()->enterpriseAvailable()) {
            // A daemon with enterprise sign-in but no policy: it says why, and the action stays offered.
            QCOMPARE(finished.first().at(2).toBool(), false);
            QVERIFY(!finished.first().at(3).toString().isEmpty());
            QVERIFY(enterprise->isEnabled());
            return;
        }
        QCOMPARE(finished.first().at(2).toBool(), false);
        QVERIFY(finished.first().at(3).toString().contains(QStringLiteral("not available")));
        QVERIFY(!enterprise->isEnabled());
        QVERIFY(enterprise->text().contains(QStringLiteral("unavailable")));
    }

    void settingsReachTheDaemonAndTheAutostartEntry()
    {
        QTemporaryDir config; // this process's XDG_CONFIG_HOME: the autostart entry goes there
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(config.path()));
        qputenv("XDG_CONFIG_DIRS", QFile::encodeName(config.path() + QStringLiteral("/system")));
        DaemonHarness harness;
        QVERIFY(harness.start());
        TrayApp app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(app.connected(), kGuiTimeout);
        app.window()->showTab(app.window()->settings());
        auto *browser = app.find<QLineEdit>("browserEdit");
        QTRY_VERIFY_WITH_TIMEOUT(browser->isEnabled(), kGuiTimeout); // settings.get answered
        QCOMPARE(browser->text(), QString());

        const QString settingsFile = QFileInfo(harness.configPath()).absolutePath() + QStringLiteral("/settings.json");
        const auto fileText = [&settingsFile] {
            QFile file(settingsFile);
            return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
        };
        auto *status = app.window()->statusBar();
        browser->setText(QStringLiteral("/nonexistent/browser"));
        QTest::mouseClick(app.find<QPushButton>("applyBrowser"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(status->currentMessage().startsWith(QStringLiteral("Browser not changed:")),
                                 kGuiTimeout);
        QVERIFY(status->currentMessage().contains(QStringLiteral("not an executable")));
        QVERIFY(!fileText().contains(QStringLiteral("nonexistent")));

        browser->setText(QStringLiteral("/bin/true"));
        QTest::keyClick(browser, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(status->currentMessage(), QStringLiteral("Sign-ins open /bin/true"), kGuiTimeout);
        QVERIFY2(fileText().contains(QStringLiteral("\"/bin/true\"")), qPrintable(fileText()));

        // The daemon keeps it across a restart, and the panel reads it back.
        QVERIFY(harness.stop());
        browser->clear();
        browser->setModified(false);
        QVERIFY(harness.start());
        QTRY_COMPARE_WITH_TIMEOUT(browser->text(), QStringLiteral("/bin/true"), kGuiTimeout);

        auto *autostart = app.find<QCheckBox>("autostartCheck");
        QVERIFY(!autostart->isChecked());
        autostart->click();
        QVERIFY(QFile::exists(config.path() + QStringLiteral("/autostart/latchkey-tray.desktop")));
        autostart->click();
        QVERIFY(!QFile::exists(config.path() + QStringLiteral("/autostart/latchkey-tray.desktop")));
    }

    void appAccessTabTakesThePanel()
    {
        // The tray puts the consent grants panel where the placeholder was.
        DaemonHarness harness;
        TrayApp app(harness);
        QTabWidget *tabs = app.window()->tabs();
        const int index = tabs->indexOf(app.controller.grantsPanel());
        QVERIFY(index >= 0);
        QCOMPARE(tabs->tabText(index), QStringLiteral("App a&ccess"));
        QCOMPARE(tabs->indexOf(app.find<QLabel>("appAccessPlaceholder")), -1);
    }
};

QTEST_MAIN(TestMainWindow)
#include "TestMainWindow.moc"
