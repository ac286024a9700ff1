#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "ServerListModel.h"
#include "StatusWindow.h"
#include "TrayController.h"

#include <QLabel>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableView>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::test::DaemonHarness;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerListModel;
using latchkey::tray::StatusWindow;
using latchkey::tray::TrayController;
using namespace std::chrono_literals;

namespace {

constexpr int kTimeout = 15000;

// The tray app's window, as latchkey-tray builds it, against one harness daemon.
struct App
{
    explicit App(const DaemonHarness &harness)
        : controller(TrayController::Options{harness.socketPath(), /*useSystemTray=*/false, /*showWindow=*/true})
    {
        controller.connection()->setRetryInterval(20ms, 300ms);
        controller.start();
    }

    QString text(const char *objectName) const
    {
        auto *label = controller.window()->findChild<QLabel *>(QString::fromLatin1(objectName));
        return label ? label->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(objectName));
    }
    QTableView *table() const { return controller.window()->findChild<QTableView *>(QStringLiteral("serversView")); }
    bool showsTable() const
    {
        auto *stack = controller.window()->findChild<QStackedWidget *>();
        return stack && stack->currentWidget() == table();
    }
    // The row showing this server in the window's table, or -1.
    int rowShowing(const QString &name) const
    {
        QAbstractItemModel *model = table()->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, ServerListModel::NameColumn).data().toString() == name) {
                return row;
            }
        }
        return -1;
    }

    TrayController controller;
};

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

class TestStatusWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsConnectedAndTheKeychainState()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        App app(harness);
        QVERIFY(app.controller.window()->isVisible());
        QVERIFY(app.controller.trayIcon() == nullptr);

        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").contains(QString::number(harness.pid())), kTimeout);
        // The daemon learns about the keychain by probing it; the window follows through the
        // pushed keychain.changed, so it ends up saying what `latchkey status` says.
        QTRY_COMPARE_WITH_TIMEOUT(app.text("keychainState"), expectedKeychainText(harness), kTimeout);
        QVERIFY2(app.text("configState").startsWith(QStringLiteral("ok (")), qPrintable(app.text("configState")));
        QVERIFY(app.text("configState").contains(harness.configPath()));
        QVERIFY(!app.text("headline").isEmpty());
        // No servers yet: the hint takes the table's place.
        QVERIFY(!app.showsTable());
        QVERIFY(app.text("emptyServers").contains(QStringLiteral("latchkey add")));
    }

    void serverAddedThroughTheCliAppears()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        App app(harness);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), kTimeout);

        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-window"));
        const auto added = harness.cli(addServer(name));
        QVERIFY2(added.exitCode == 0, added.err.constData());

        QTRY_VERIFY_WITH_TIMEOUT(app.rowShowing(name) >= 0, kTimeout);
        QVERIFY(app.showsTable());
        const int row = app.rowShowing(name);
        QAbstractItemModel *model = app.table()->model();
        QCOMPARE(model->index(row, ServerListModel::CommandColumn).data().toString(), QStringLiteral("/bin/true"));
        QCOMPARE(model->index(row, ServerListModel::SecretsColumn).data().toString(), QStringLiteral("none needed"));
        QTRY_COMPARE_WITH_TIMEOUT(app.text("serversSummary"), QStringLiteral("1 server"), kTimeout);

        const auto removed = harness.cli({QStringLiteral("remove"), name});
        QVERIFY2(removed.exitCode == 0, removed.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(app.rowShowing(name), -1, kTimeout);
        QVERIFY(!app.showsTable());
    }

    void reconnectsAfterTheDaemonRestartsAndShowsTheServersAgain()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        App app(harness);
        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-restart"));
        QVERIFY(harness.cli(addServer(name)).exitCode == 0);
        QTRY_VERIFY_WITH_TIMEOUT(app.rowShowing(name) >= 0, kTimeout);

        QVERIFY(harness.stop());
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("not running")), kTimeout);
        QVERIFY2(app.text("daemonState").endsWith(harness.socketPath()), qPrintable(app.text("daemonState")));
        QVERIFY(app.text("headline").contains(QStringLiteral("not running")));
        QCOMPARE(app.rowShowing(name), -1);
        QVERIFY(!app.showsTable());
        auto *button = app.controller.window()->findChild<QPushButton *>(QStringLiteral("refreshButton"));
        QVERIFY(button);
        QCOMPARE(button->text(), QStringLiteral("&Reconnect"));

        QVERIFY(harness.start());
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").contains(QString::number(harness.pid())), kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(app.rowShowing(name) >= 0, kTimeout);
        QVERIFY(app.showsTable());
        QCOMPARE(button->text(), QStringLiteral("&Refresh"));
    }

    void reconnectButtonSkipsTheBackoff()
    {
        DaemonHarness harness;
        App app(harness);
        // A long backoff: only the button can bring the daemon in quickly.
        app.controller.connection()->setRetryInterval(60s, 60s);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("not running")), kTimeout);
        QVERIFY(app.text("keychainState").startsWith(QStringLiteral("unknown")));
        QVERIFY(harness.start());
        auto *button = app.controller.window()->findChild<QPushButton *>(QStringLiteral("refreshButton"));
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(app.text("daemonState").startsWith(QStringLiteral("connected")), 5000);
    }
};

QTEST_MAIN(TestStatusWindow)
#include "TestStatusWindow.moc"
