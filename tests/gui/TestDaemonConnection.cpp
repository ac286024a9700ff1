#include "DaemonConnection.h"
#include "DaemonHarness.h"

#include <QSignalSpy>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerInfo;
using namespace std::chrono_literals;

namespace {

constexpr int kTimeout = 15000;

bool hasServer(const DaemonConnection &connection, const QString &name)
{
    const auto &servers = connection.servers();
    return std::any_of(servers.begin(), servers.end(), [&](const ServerInfo &s) { return s.name == name; });
}

} // namespace

// DaemonConnection against a real latchkeyd: status, pushed events, and coming back after restarts.
class TestDaemonConnection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connectsAndFetchesStatus()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        QSignalSpy statusSpy(&connection, &DaemonConnection::statusChanged);
        QCOMPARE(connection.state(), DaemonConnection::State::Connecting);
        connection.start();
        // Never blocks: start() returns before anything is known.
        QVERIFY(!connection.hasStatus());
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Connected, kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);
        QCOMPARE(connection.status().pid, harness.pid());
        QVERIFY(!connection.status().version.isEmpty());
        QVERIFY(connection.status().configOk);
        QCOMPARE(connection.status().configPath, harness.configPath());
        QCOMPARE(connection.status().serverCount, 0);
        QVERIFY(connection.servers().isEmpty());
        QVERIFY(statusSpy.size() >= 1);
    }

    void waitsForADaemonThatIsNotRunningYet()
    {
        DaemonHarness harness;
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Disconnected, kTimeout);
        QVERIFY(!connection.lastError().isEmpty());
        // It keeps trying with growing delays, capped at the maximum.
        QTRY_COMPARE_WITH_TIMEOUT(connection.nextRetryDelay(), 200ms, kTimeout);

        QVERIFY(harness.start());
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Connected, kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);
        QCOMPARE(connection.status().pid, harness.pid());
        QVERIFY(connection.lastError().isEmpty());
        QCOMPARE(connection.nextRetryDelay(), 20ms);
    }

    void serverAddedThroughTheCliArrivesByEvent()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        connection.start();
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);
        QSignalSpy events(&connection, &DaemonConnection::eventReceived);
        QSignalSpy serversSpy(&connection, &DaemonConnection::serversChanged);

        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-conn"));
        const auto added = harness.cli(
            {QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--"), QStringLiteral("/bin/true")});
        QVERIFY2(added.exitCode == 0, added.err.constData());

        // Nothing polls: only the pushed server.changed can bring the new server in.
        QVERIFY(events.wait(kTimeout) || !events.isEmpty());
        QCOMPARE(events.first().first().toString(), QStringLiteral("server.changed"));
        QTRY_VERIFY_WITH_TIMEOUT(hasServer(connection, name), kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(connection.status().serverCount, 1, kTimeout);
        const ServerInfo &server = connection.servers().first();
        QCOMPARE(server.kind, QStringLiteral("stdio"));
        QCOMPARE(server.command, QStringList{QStringLiteral("/bin/true")});
        QVERIFY(serversSpy.size() >= 1);
    }

    void reconnectsAfterTheDaemonRestarts()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        const QString name = DaemonHarness::uniqueName(QStringLiteral("gui-restart"));
        const auto added = harness.cli(
            {QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--"), QStringLiteral("/bin/true")});
        QVERIFY2(added.exitCode == 0, added.err.constData());

        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 500ms);
        connection.start();
        QTRY_VERIFY_WITH_TIMEOUT(hasServer(connection, name), kTimeout);
        const qint64 firstPid = harness.pid();

        for (int round = 0; round < 2; ++round) {
            QSignalSpy states(&connection, &DaemonConnection::stateChanged);
            QVERIFY(harness.stop());
            QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Disconnected, kTimeout);
            QVERIFY(connection.servers().isEmpty());
            QVERIFY(!connection.hasStatus());

            QVERIFY(harness.start());
            QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Connected, kTimeout);
            QTRY_VERIFY_WITH_TIMEOUT(hasServer(connection, name), kTimeout);
            QTRY_COMPARE_WITH_TIMEOUT(connection.status().pid, harness.pid(), kTimeout);
            QVERIFY(harness.pid() != firstPid);
            QVERIFY(states.size() >= 2);
        }

        // Events flow on the new connection too.
        const QString second = DaemonHarness::uniqueName(QStringLiteral("gui-after"));
        QVERIFY(harness
                    .cli({QStringLiteral("add"), QStringLiteral("stdio"), second, QStringLiteral("--"),
                          QStringLiteral("/bin/true")})
                    .exitCode == 0);
        QTRY_VERIFY_WITH_TIMEOUT(hasServer(connection, second), kTimeout);
    }

    void daemonKilledIsNoticed()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        connection.setRetryInterval(20ms, 200ms);
        connection.start();
        QTRY_VERIFY_WITH_TIMEOUT(connection.hasStatus(), kTimeout);
        harness.kill();
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Disconnected, kTimeout);
        // The stale socket file is left behind; connecting is refused until a daemon is back.
        QVERIFY(harness.start());
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Connected, kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(connection.status().pid, harness.pid(), kTimeout);
    }
};

QTEST_MAIN(TestDaemonConnection)
#include "TestDaemonConnection.moc"
