#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "GuiTestSupport.h"
#include "Notifier.h"

#include <QSignalSpy>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::test::kGuiTimeout;
using latchkey::tray::DaemonConnection;
using latchkey::tray::Notifier;
using namespace std::chrono_literals;

namespace {

// The notifications so far, as "Kind server: message".
QStringList said(const QSignalSpy &spy)
{
    QStringList lines;
    for (const QList<QVariant> &args : spy) {
        lines.append(QStringLiteral("%1 %2: %3")
                         .arg(QString::fromLatin1(QMetaEnum::fromType<Notifier::Kind>().valueToKey(
                                  static_cast<int>(args.at(0).value<Notifier::Kind>()))),
                              args.at(1).toString(), args.at(3).toString()));
    }
    return lines;
}

} // namespace

// Notifications follow what the daemon says: its server list after each event, and its events.
class TestNotifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void signInNeededThenRefreshFailedAcrossARestart()
    {
        DaemonHarness harness;
        const QString wiki = DaemonHarness::uniqueName(QStringLiteral("wiki"));
        const QString drive = DaemonHarness::uniqueName(QStringLiteral("drive"));
        QVERIFY(latchkey::test::writeServers(
            harness,
            {latchkey::test::remoteRecord(wiki, "needs_login", "the grant was revoked"),
             latchkey::test::remoteRecord(drive, "active"), latchkey::test::stdioRecord(QStringLiteral("x"))}));
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        Notifier notifier(&connection);
        QSignalSpy spy(&notifier, &Notifier::notified);
        connection.start();

        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, kGuiTimeout);
        QCOMPARE(said(spy).first(),
                 QStringLiteral("SignInNeeded %1: %1 needs you to sign in: the grant was revoked").arg(wiki));
        // Later refreshes of the same list say nothing new.
        connection.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(connection.servers().size() == 3, kGuiTimeout);
        const auto added =
            harness.cli({QStringLiteral("add"), QStringLiteral("stdio"), DaemonHarness::uniqueName(QStringLiteral("y")),
                         QStringLiteral("--"), QStringLiteral("/bin/true")});
        QVERIFY(added.exitCode == 0);
        QTRY_COMPARE_WITH_TIMEOUT(connection.servers().size(), 4, kGuiTimeout);
        QCOMPARE(spy.size(), 1);

        // The daemon comes back with drive's grant dead (as a failed refresh leaves it).
        QVERIFY(harness.stop());
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Disconnected, kGuiTimeout);
        QVERIFY(latchkey::test::writeServers(
            harness, {latchkey::test::remoteRecord(wiki, "needs_login", "the grant was revoked"),
                      latchkey::test::remoteRecord(drive, "needs_login", "invalid_grant: refresh token expired")}));
        QVERIFY(harness.start());
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, kGuiTimeout);
        QCOMPARE(
            said(spy).at(1),
            QStringLiteral("RefreshFailed %1: Its token could not be refreshed: invalid_grant: refresh token expired")
                .arg(drive));
        QCOMPARE(spy.at(1).at(2).toString(), QStringLiteral("Latchkey: %1 needs you to sign in again").arg(drive));
        // wiki was already announced with the same reason: not again after the reconnect.
        QTRY_COMPARE_WITH_TIMEOUT(connection.servers().size(), 2, kGuiTimeout);
        QCOMPARE(spy.size(), 2);
    }

    void revokedByPolicyInTheServerList()
    {
        DaemonHarness harness;
        const QString crm = DaemonHarness::uniqueName(QStringLiteral("crm"));
        nlohmann::json record = latchkey::test::remoteRecord(crm, "none");
        record["enterprise"] = {{"state", "revoked"}, {"reason", "no longer approved for you"}};
        QVERIFY(latchkey::test::writeServers(harness,
                                             {record, latchkey::test::remoteRecord(QStringLiteral("ok"), "active")}));
        QVERIFY(harness.start());
        const auto listed = latchkey::test::daemonRecord(harness, crm);
        if (!listed.contains("enterprise")) {
            QSKIP("this daemon does not report enterprise state in server.list");
        }
        DaemonConnection connection(harness.socketPath());
        Notifier notifier(&connection);
        QSignalSpy spy(&notifier, &Notifier::notified);
        connection.start();
        QTRY_VERIFY_WITH_TIMEOUT(
            said(spy).contains(
                QStringLiteral("RevokedByPolicy %1: Your organisation's policy revoked access to %1: no longer "
                               "approved for you")
                    .arg(crm)),
            kGuiTimeout);
        connection.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(connection.servers().size() == 2, kGuiTimeout);
        QCOMPARE(spy.size(), 1); // said once
    }

    void revokedByPolicyEvent()
    {
        // No daemon event carries an enterprise revocation yet (the enterprise side will send
        // server.changed {change: "revoked"}); the event is fed as the connection would deliver it.
        DaemonHarness harness;
        DaemonConnection connection(harness.socketPath());
        Notifier notifier(&connection);
        QSignalSpy spy(&notifier, &Notifier::notified);
        Q_EMIT connection.daemonEvent(
            {"server.changed", {{"name", "crm"}, {"change", "revoked"}, {"reason", "policy p1"}}});
        Q_EMIT connection.daemonEvent({"server.changed", {{"name", "crm"}, {"change", "signed_out"}}});
        QCOMPARE(said(spy), QStringList{QStringLiteral(
                                "RevokedByPolicy crm: Your organisation's policy revoked access to crm: policy p1")});
        QCOMPARE(spy.first().at(2).toString(), QStringLiteral("Latchkey: access revoked"));
    }
};

QTEST_MAIN(TestNotifier)
#include "TestNotifier.moc"
