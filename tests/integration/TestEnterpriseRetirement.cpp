// A server the enterprise policy no longer lists is retired when the real latchkeyd starts, and its
// per-app consent grants go with it (Daemon's serverRemoved hook → ConsentMethods::forgetServer), while
// the grants of a server the policy still lists and of the person's own server stay, in grants.json as
// in consent.list. The records and grants are seeded before the daemon starts (`latchkey apps allow`
// needs a terminal); no IdP is needed, as retiring never talks to it.
#include "Client.h"
#include "DaemonHarness.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using latchkey::ipc::Client;
using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;

namespace {

bool writeJson(const QString &path, const QJsonObject &doc)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(QJsonDocument(doc).toJson()) > 0;
}

QJsonObject remote(const QString &name, const QString &url, bool managed)
{
    QJsonObject record{{QStringLiteral("name"), name},
                       {QStringLiteral("kind"), QStringLiteral("remote")},
                       {QStringLiteral("url"), url}};
    if (managed) {
        record.insert(QStringLiteral("enterprise"), QJsonObject{{QStringLiteral("state"), QStringLiteral("connected")},
                                                                {QStringLiteral("reason"), QString()}});
    }
    return record;
}

QJsonObject grant(const QString &app, const QString &server, const QString &decision)
{
    return {{QStringLiteral("app"), app},
            {QStringLiteral("server"), server},
            {QStringLiteral("decision"), decision},
            {QStringLiteral("at"), QStringLiteral("2026-01-01T00:00:00Z")}};
}

// (app, server, decision) of every grant, sorted.
QStringList grantsIn(const Json &list)
{
    QStringList out;
    for (const Json &item : list) {
        out.append(QString::fromStdString(item.value("app", std::string()) + ' ' + item.value("server", std::string()) +
                                          ' ' + item.value("decision", std::string())));
    }
    out.sort();
    return out;
}

} // namespace

class TestEnterpriseRetirement : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void droppedServerTakesItsConsentGrantsWithIt();
};

void TestEnterpriseRetirement::droppedServerTakesItsConsentGrantsWithIt()
{
    DaemonHarness daemon;
    // Unique names: the keychain (where retiring looks for tokens) is shared with parallel tests.
    const QString dropped = DaemonHarness::uniqueName(QStringLiteral("dropped"));
    const QString kept = DaemonHarness::uniqueName(QStringLiteral("kept"));
    const QString own = DaemonHarness::uniqueName(QStringLiteral("own"));
    // Nothing listens on port 9: nothing here goes to the network.
    const QString base = QStringLiteral("http://127.0.0.1:9/");
    const QJsonObject policy{
        {QStringLiteral("schema"), 1},
        {QStringLiteral("idp"), QJsonObject{{QStringLiteral("issuer"), base + QStringLiteral("idp")},
                                            {QStringLiteral("client_id"), QStringLiteral("latchkey")}}},
        {QStringLiteral("servers"),
         QJsonArray{QJsonObject{{QStringLiteral("name"), kept},
                                {QStringLiteral("url"), base + kept + QStringLiteral("/mcp")}}}}};
    const QString policyPath = QDir(daemon.home()).filePath(QStringLiteral("policy.json"));
    QVERIFY(writeJson(policyPath, policy));
    daemon.setEnv(QStringLiteral("LATCHKEY_POLICY"), policyPath);
    // The policy added `dropped` and `kept` earlier (their records say so); `own` is the person's.
    QVERIFY(writeJson(daemon.configPath(), {{QStringLiteral("schema"), 1},
                                            {QStringLiteral("servers"),
                                             QJsonArray{remote(dropped, base + dropped + QStringLiteral("/mcp"), true),
                                                        remote(kept, base + kept + QStringLiteral("/mcp"), true),
                                                        remote(own, base + own + QStringLiteral("/mcp"), false)}}}));
    const QString editor = QStringLiteral("/usr/bin/editor");
    const QString agent = QStringLiteral("/usr/bin/agent");
    const QString grantsPath = QDir(daemon.home()).filePath(QStringLiteral("config/latchkey/grants.json"));
    QVERIFY(writeJson(
        grantsPath,
        {{QStringLiteral("schema"), 1},
         {QStringLiteral("grants"),
          QJsonArray{grant(editor, dropped, QStringLiteral("always")), grant(agent, dropped, QStringLiteral("deny")),
                     grant(editor, kept, QStringLiteral("always")), grant(agent, own, QStringLiteral("always"))}}}));

    QVERIFY(daemon.start());
    Client client(daemon.socketPath());
    QVERIFY(client.connectToDaemon(5000));
    const auto listed = [&client](const QString &name) {
        const Json servers = client.call("server.list").result["servers"];
        return std::any_of(servers.begin(), servers.end(), [&](const Json &server) {
            return server.value("name", std::string()) == name.toStdString();
        });
    };
    // Retiring waits on the keychain (no token may outlive the record), so it ends after the start.
    QTRY_VERIFY_WITH_TIMEOUT(!listed(dropped), 20000);
    QVERIFY(listed(kept) && listed(own));

    QStringList expected{editor + u' ' + kept + QStringLiteral(" always"),
                         agent + u' ' + own + QStringLiteral(" always")};
    expected.sort();
    QTRY_COMPARE_WITH_TIMEOUT(grantsIn(client.call("consent.list").result["grants"]), expected, 10000);
    // On disk too: the next start does not bring them back.
    QFile file(grantsPath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(grantsIn(Json::parse(file.readAll().toStdString())["grants"]), expected);
    QFile audit(daemon.auditPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray trail = audit.readAll();
    QVERIFY2(trail.contains("\"consent.revoked\""), trail.constData());
    QVERIFY2(trail.contains("\"server_removed\""), trail.constData());
    QVERIFY(daemon.stop());

    // A restart with the same policy retires nothing more and keeps the remaining grants.
    QVERIFY(daemon.start());
    Client again(daemon.socketPath());
    QVERIFY(again.connectToDaemon(5000));
    QCOMPARE(grantsIn(again.call("consent.list").result["grants"]), expected);
    QVERIFY(daemon.stop());
}

QTEST_GUILESS_MAIN(TestEnterpriseRetirement)
#include "TestEnterpriseRetirement.moc"
