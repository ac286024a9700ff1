#include "StatusSummary.h"

#include <QTest>

namespace ipc = latchkey::ipc;
using latchkey::tray::DaemonConnection;
using latchkey::tray::DaemonStatus;
using latchkey::tray::Health;
using latchkey::tray::ServerInfo;
using latchkey::tray::StatusSummary;
using State = DaemonConnection::State;

namespace {

DaemonStatus healthyStatus()
{
    DaemonStatus status;
    status.version = QStringLiteral("0.1.0");
    status.pid = 4242;
    status.keychainBackend = QStringLiteral("Secret Service");
    status.keychainAvailable = true;
    status.configPath = QStringLiteral("/home/u/.config/latchkey/servers.json");
    status.configOk = true;
    return status;
}

ServerInfo server(const QString &name, QList<bool> present = {})
{
    ServerInfo info;
    info.name = name;
    info.kind = QStringLiteral("stdio");
    info.command = {QStringLiteral("/bin/true")};
    for (qsizetype i = 0; i < present.size(); ++i) {
        info.env.append(
            {QStringLiteral("VAR%1").arg(i), QStringLiteral("secret"), QStringLiteral("key%1").arg(i), present.at(i)});
    }
    return info;
}

} // namespace

// The words and the health the tray and the window show, for each state the daemon can be in.
class TestStatusSummary : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connecting()
    {
        const auto summary = StatusSummary::evaluate(State::Connecting, nullptr, {});
        QCOMPARE(summary.health, Health::Unknown);
        QCOMPARE(summary.daemon, QStringLiteral("connecting…"));
    }

    void notRunning()
    {
        const DaemonStatus status = healthyStatus();
        const auto summary = StatusSummary::evaluate(State::Disconnected, &status, {server(QStringLiteral("a"))},
                                                     QStringLiteral("/run/user/1000/latchkey/agent.sock"),
                                                     QStringLiteral("QLocalSocket::connectToServer: Invalid name"));
        QCOMPARE(summary.health, Health::Error);
        QCOMPARE(summary.headline, QStringLiteral("The Latchkey daemon is not running"));
        QCOMPARE(summary.daemon, QStringLiteral("not running: nothing answers on /run/user/1000/latchkey/agent.sock"));
        QCOMPARE(summary.detail, QStringLiteral("QLocalSocket::connectToServer: Invalid name"));
        QVERIFY(summary.servers.contains(QStringLiteral("latchkey status")));
        // Nothing the old daemon said is repeated as if it were still true.
        QVERIFY(summary.keychain.startsWith(QStringLiteral("unknown")));
        QVERIFY(summary.config.startsWith(QStringLiteral("unknown")));
    }

    void connectedAwaitingStatus()
    {
        const auto summary = StatusSummary::evaluate(State::Connected, nullptr, {});
        QCOMPARE(summary.health, Health::Unknown);
        QCOMPARE(summary.daemon, QStringLiteral("connected"));
    }

    void allGood()
    {
        const DaemonStatus status = healthyStatus();
        auto summary = StatusSummary::evaluate(State::Connected, &status, {});
        QCOMPARE(summary.health, Health::Good);
        QCOMPARE(summary.headline, QStringLiteral("Latchkey is running"));
        QCOMPARE(summary.daemon, QStringLiteral("connected: latchkeyd 0.1.0 (pid 4242)"));
        QCOMPARE(summary.keychain, QStringLiteral("available (Secret Service)"));
        QCOMPARE(summary.config, QStringLiteral("ok (/home/u/.config/latchkey/servers.json)"));
        QCOMPARE(summary.servers, QStringLiteral("No servers yet"));

        summary = StatusSummary::evaluate(State::Connected, &status,
                                          {server(QStringLiteral("a"), {true}), server(QStringLiteral("b"))});
        QCOMPARE(summary.health, Health::Good);
        QCOMPARE(summary.servers, QStringLiteral("2 servers, every secret stored"));
        summary = StatusSummary::evaluate(State::Connected, &status, {server(QStringLiteral("b"))});
        QCOMPARE(summary.servers, QStringLiteral("1 server"));
    }

    void missingSecretsWantAttention()
    {
        const DaemonStatus status = healthyStatus();
        auto summary = StatusSummary::evaluate(
            State::Connected, &status, {server(QStringLiteral("a"), {true, false}), server(QStringLiteral("b"))});
        QCOMPARE(summary.health, Health::Attention);
        QCOMPARE(summary.headline, QStringLiteral("a needs a secret"));
        QVERIFY(summary.servers.startsWith(QStringLiteral("2 servers; ")));
        QVERIFY(summary.servers.contains(QStringLiteral("latchkey secret set")));

        summary = StatusSummary::evaluate(State::Connected, &status,
                                          {server(QStringLiteral("a"), {false}), server(QStringLiteral("b"), {false})});
        QCOMPARE(summary.headline, QStringLiteral("2 servers need secrets"));
    }

    void serversNeedingSignInWantAttentionFirst()
    {
        const DaemonStatus status = healthyStatus();
        ServerInfo dead;
        dead.name = QStringLiteral("wiki");
        dead.kind = QStringLiteral("remote");
        dead.grantState = QStringLiteral("needs_login");
        ServerInfo fresh = dead;
        fresh.name = QStringLiteral("notes");
        fresh.grantState = QStringLiteral("none");
        ServerInfo open = fresh;
        open.name = QStringLiteral("public");
        open.authRequired = false;
        ServerInfo live = dead;
        live.name = QStringLiteral("drive");
        live.grantState = QStringLiteral("active");

        auto summary = StatusSummary::evaluate(State::Connected, &status,
                                               {server(QStringLiteral("a"), {false}), dead, open, live});
        QCOMPARE(summary.health, Health::Attention);
        QCOMPARE(summary.headline, QStringLiteral("wiki needs you to sign in"));
        summary = StatusSummary::evaluate(State::Connected, &status, {dead, fresh});
        QCOMPARE(summary.headline, QStringLiteral("2 servers need you to sign in"));
        // A server that needs no sign-in, and one signed in, need nothing.
        summary = StatusSummary::evaluate(State::Connected, &status, {open, live});
        QCOMPARE(summary.health, Health::Good);
    }

    void keychainUnavailableIsAnError()
    {
        DaemonStatus status = healthyStatus();
        status.keychainAvailable = false;
        status.keychainError = QStringLiteral("Cannot autolaunch D-Bus without X11 $DISPLAY");
        const auto summary = StatusSummary::evaluate(State::Connected, &status, {server(QStringLiteral("a"), {false})});
        QCOMPARE(summary.health, Health::Error);
        QCOMPARE(summary.headline, QStringLiteral("The keychain is unavailable"));
        QCOMPARE(summary.keychain,
                 QStringLiteral("unavailable (Secret Service): Cannot autolaunch D-Bus without X11 $DISPLAY"));
    }

    void unusableConfigIsAnError()
    {
        DaemonStatus status = healthyStatus();
        status.configOk = false;
        status.configError = QStringLiteral("servers.json: unsupported schema version 9");
        const auto summary = StatusSummary::evaluate(State::Connected, &status, {});
        QCOMPARE(summary.health, Health::Error);
        QCOMPARE(summary.headline, QStringLiteral("The server configuration cannot be read"));
        QCOMPARE(summary.config, QStringLiteral("unusable: servers.json: unsupported schema version 9"));
    }

    void enterprisePolicyErrorIsShown()
    {
        // What the daemon's status says about a broken /etc/latchkey/policy.json reaches the window.
        const ipc::Json json = {{"version", "0.1.0"},
                                {"keychain", {{"backend", "Secret Service"}, {"available", true}}},
                                {"config", {{"path", "/home/u/.config/latchkey/servers.json"}, {"ok", true}}},
                                {"enterprise",
                                 {{"configured", false},
                                  {"policyPath", "/etc/latchkey/policy.json"},
                                  {"policyError", "/etc/latchkey/policy.json: \"idp.issuer\" must be https"}}}};
        const DaemonStatus status = DaemonStatus::fromJson(json);
        const auto summary = StatusSummary::evaluate(State::Connected, &status, {server(QStringLiteral("a"))});
        QCOMPARE(summary.health, Health::Attention);
        QCOMPARE(summary.headline, QStringLiteral("The enterprise policy cannot be used"));
        QCOMPARE(summary.enterprise,
                 QStringLiteral("policy unusable: /etc/latchkey/policy.json: \"idp.issuer\" must be https"));
    }

    void enterpriseStateWithoutPolicyIsSilent()
    {
        const DaemonStatus none = healthyStatus();
        QVERIFY(StatusSummary::evaluate(State::Connected, &none, {}).enterprise.isEmpty());
        DaemonStatus managed = healthyStatus();
        managed.enterpriseConfigured = true;
        managed.enterpriseServerCount = 3;
        const auto summary = StatusSummary::evaluate(State::Connected, &managed, {});
        QCOMPARE(summary.enterprise, QStringLiteral("not signed in; 3 approved servers"));
        QCOMPARE(summary.health, Health::Good);
        managed.enterpriseSignedIn = true;
        QCOMPARE(StatusSummary::evaluate(State::Connected, &managed, {}).enterprise,
                 QStringLiteral("signed in; 3 approved servers"));
    }
};

QTEST_GUILESS_MAIN(TestStatusSummary)
#include "TestStatusSummary.moc"
