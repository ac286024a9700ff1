#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "GuiTestSupport.h"
#include "Icons.h"
#include "ServerActions.h"
#include "TrayIcon.h"

#include <QAction>
#include <QMenu>
#include <QSignalSpy>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::tray::DaemonConnection;
using latchkey::tray::Health;
using latchkey::tray::Icons;
using latchkey::tray::ServerActions;
using latchkey::tray::TrayIcon;
using namespace std::chrono_literals;

namespace {

constexpr int kTimeout = 15000;

QStringList menuTexts(QMenu *menu)
{
    QStringList texts;
    for (QAction *action : menu->actions()) {
        if (!action->isVisible()) {
            continue;
        }
        texts.append(action->isSeparator() ? QStringLiteral("-") : action->text());
    }
    return texts;
}

QAction *action(QMenu *menu, const QString &text)
{
    for (QAction *candidate : menu->actions()) {
        if (candidate->text() == text) {
            return candidate;
        }
    }
    return nullptr;
}

} // namespace

// The tray icon's state and menu, driven by a real daemon. Offscreen there is no system tray to show
// it in, but the icon, its tooltip and its menu are all there to check.
class TestTrayIcon : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void iconsAreCompiledIn()
    {
        for (Health health : {Health::Unknown, Health::Good, Health::Attention, Health::Error}) {
            const QIcon icon = Icons::forHealth(health);
            QVERIFY2(!icon.isNull(), qPrintable(Icons::resourcePath(health)));
            QCOMPARE(icon.pixmap(22, 22).size(), QSize(22, 22));
        }
        QVERIFY(!Icons::application().isNull());
        QVERIFY(!Icons::attentionMark().isNull());
        QVERIFY(Icons::forHealth(Health::Good).pixmap(32).toImage() !=
                Icons::forHealth(Health::Error).pixmap(32).toImage());
    }

    void menuOpensQuitsAndSaysTheStatus()
    {
        DaemonHarness harness;
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        TrayIcon tray(&connection);
        QCOMPARE(tray.health(), Health::Unknown);
        QCOMPARE(menuTexts(tray.menu()),
                 (QStringList{QStringLiteral("&Open Latchkey"), QStringLiteral("-"), tray.statusText(),
                              QStringLiteral("-"), QStringLiteral("-"), QStringLiteral("&Quit")}));
        QAction *status = action(tray.menu(), tray.statusText());
        QVERIFY(status && !status->isEnabled());

        QSignalSpy open(&tray, &TrayIcon::openRequested);
        QSignalSpy quit(&tray, &TrayIcon::quitRequested);
        action(tray.menu(), QStringLiteral("&Open Latchkey"))->trigger();
        QCOMPARE(open.size(), 1);
        action(tray.menu(), QStringLiteral("&Quit"))->trigger();
        QCOMPARE(quit.size(), 1);
        Q_EMIT tray.systemTrayIcon()->activated(QSystemTrayIcon::Trigger);
        QCOMPARE(open.size(), 2);
        Q_EMIT tray.systemTrayIcon()->activated(QSystemTrayIcon::Context);
        QCOMPARE(open.size(), 2);

        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(tray.health(), Health::Error, kTimeout);
        QCOMPARE(tray.statusText(), QStringLiteral("The Latchkey daemon is not running"));
        QVERIFY(tray.systemTrayIcon()->toolTip().contains(tray.statusText()));
    }

    void followsTheDaemon()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        TrayIcon tray(&connection);
        connection.start();
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);

        // Wait for the daemon's keychain probe to settle; status() is re-read on keychain.changed.
        const auto keychainAvailable = [&harness] {
            const auto out = harness.cli({QStringLiteral("status")}).out;
            return !out.contains("UNAVAILABLE");
        };
        QTRY_COMPARE_WITH_TIMEOUT(connection.status().keychainAvailable, keychainAvailable(), kTimeout);

        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-tray"));
        QVERIFY(harness
                    .cli({QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--env"),
                          QStringLiteral("API_TOKEN=secret:token"), QStringLiteral("--"), QStringLiteral("/bin/true")})
                    .exitCode == 0);
        QTRY_COMPARE_WITH_TIMEOUT(connection.servers().size(), 1, kTimeout);

        qInfo("keychain available: %s", connection.status().keychainAvailable ? "yes" : "no");
        if (!connection.status().keychainAvailable) {
            // Without a keychain nothing can be handed out: that is an error, whatever else is fine.
            QCOMPARE(tray.health(), Health::Error);
            QCOMPARE(tray.statusText(), QStringLiteral("The keychain is unavailable"));
        } else {
            // A server whose secret is not stored yet wants attention, until the secret is set.
            QTRY_COMPARE_WITH_TIMEOUT(tray.health(), Health::Attention, kTimeout);
            QCOMPARE(tray.statusText(), name + QStringLiteral(" needs a secret"));
            const auto set =
                harness.cli({QStringLiteral("secret"), QStringLiteral("set"), name, QStringLiteral("token")},
                            "s3cret-for-the-test");
            QVERIFY2(set.exitCode == 0, set.err.constData());
            QTRY_COMPARE_WITH_TIMEOUT(tray.health(), Health::Good, kTimeout);
            QCOMPARE(tray.statusText(), QStringLiteral("Latchkey is running"));
        }

        const Health running = tray.health();
        const QString runningText = tray.statusText();
        QVERIFY(harness.stop());
        QTRY_COMPARE_WITH_TIMEOUT(tray.statusText(), QStringLiteral("The Latchkey daemon is not running"), kTimeout);
        QCOMPARE(tray.health(), Health::Error);
        QVERIFY(harness.start());
        QTRY_COMPARE_WITH_TIMEOUT(connection.servers().size(), 1, kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(tray.statusText(), runningText, kTimeout);
        QCOMPARE(tray.health(), running);
    }

    void menuOffersASignInForEachServerThatNeedsOne()
    {
        DaemonHarness harness;
        const QString dead = DaemonHarness::uniqueName(QStringLiteral("dead"));
        const QString fine = DaemonHarness::uniqueName(QStringLiteral("fine"));
        // Nothing listens on port 9 of the loopback: the sign-in fails fast, in discovery.
        QVERIFY(latchkey::test::writeServers(
            harness, {latchkey::test::remoteRecord(dead, "needs_login", "invalid_grant", "https://127.0.0.1:9/mcp"),
                      latchkey::test::remoteRecord(fine, "active")}));
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        ServerActions actions(&connection);
        TrayIcon tray(&connection, &actions);
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(tray.signInActions().size(), 1, kTimeout);
        QCOMPARE(tray.signInActions().first()->text(), QStringLiteral("Sign in to %1…").arg(dead));
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);
        // Attention for the sign-in, unless the keychain is missing (an error outranks it).
        QTRY_COMPARE_WITH_TIMEOUT(tray.health(),
                                  connection.status().keychainAvailable ? Health::Attention : Health::Error, kTimeout);
        const QStringList texts = menuTexts(tray.menu());
        QVERIFY2(texts.indexOf(tray.signInActions().first()->text()) == texts.indexOf(tray.statusText()) + 1,
                 qPrintable(texts.join(QLatin1Char('|'))));
        QVERIFY(texts.contains(QStringLiteral("&Enterprise sign-in…")));

        // The entry asks the daemon to sign in; here discovery cannot reach the server, and says so.
        QSignalSpy finished(&actions, &ServerActions::finished);
        tray.signInActions().first()->trigger();
        QVERIFY(finished.wait(kTimeout));
        QCOMPARE(finished.first().at(0).value<ServerActions::Action>(), ServerActions::Action::SignIn);
        QCOMPARE(finished.first().at(1).toString(), dead);
        QCOMPARE(finished.first().at(2).toBool(), false);
        QVERIFY(!finished.first().at(3).toString().isEmpty());

        // Once the daemon is gone, there is nothing to sign in to.
        QVERIFY(harness.stop());
        QTRY_COMPARE_WITH_TIMEOUT(tray.signInActions().size(), 0, kTimeout);
        QVERIFY(!action(tray.menu(), QStringLiteral("&Enterprise sign-in…"))->isEnabled());
    }
};

QTEST_MAIN(TestTrayIcon)
#include "TestTrayIcon.moc"
