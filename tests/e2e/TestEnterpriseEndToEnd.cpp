// Enterprise-Managed Authorization (ID-JAG) end to end, every part real: the company IdP (idp.mjs on
// oidc-provider) with its token exchange and per-user approval list, one MCP authorization server
// per approved server (jag-as.mjs, the jwt-bearer grant) in front of an SDK MCP server that checks
// its audience, Debian chromium through the IdP's sign-in pages, latchkeyd with a managed policy,
// and the Secret Service.
//
// A policy with three approved servers (A, B, C) and one whose AS has no ID-JAG support (D) →
// `latchkey enterprise login` → exactly one browser visit, no authorize request at any MCP AS → three token
// sets in the keychain, each accepted only by its own server → the admin removes B at the IdP → at
// B's next renewal B is revoked locally (its tokens gone, state and audit say why) while A and C
// renew and keep working (the kept ID-JAG again, a new ID-JAG, then the IdP refresh token once the
// ID token expired) → D got no token exchange and needs a per-user sign-in, which works (one more
// browser visit, at D's own AS) → the admin drops C from the policy: at the daemon's next start C's
// tokens and record are gone (audited) while A, D and the person's own server stay → `latchkey
// enterprise logout` revokes the IdP refresh token at the IdP, which then refuses it. Then, against a
// second IdP, each way the IdP can misbehave is refused with nothing stored.
#include "AuditLog.h"
#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "NodeServer.h"
#include "SecretScan.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

constexpr int kLoginTimeoutMs = 120000;
// The IdP's ID tokens live this long: enough for sign-in, grants and revocation on a loaded machine,
// short enough that waiting for the IdP refresh-token rung of renewal costs little.
constexpr int kIdTokenTtl = 45;

QByteArray jsonBody(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// One approved MCP server: its authorization server (jag-as.mjs) and the MCP server behind it.
struct Site
{
    QString name; // the server's name in the policy (unique per run: the keychain is shared)
    std::unique_ptr<NodeServer> as;
    std::unique_ptr<NodeServer> mcp;

    QString issuer() const { return as->value(QStringLiteral("issuer")); }
    QString url() const { return mcp->value(QStringLiteral("url")); }
    QString clientId() const { return as->value(QStringLiteral("client_id")); }
    QString clientSecret() const { return as->value(QStringLiteral("client_secret")); }
};

// The entry of `name` in an enterprise.status / enterprise.login "servers" array.
Json serverEntry(const Json &servers, const QString &name)
{
    if (servers.is_array()) {
        for (const Json &entry : servers) {
            if (jsonString(entry, "name") == name) {
                return entry;
            }
        }
    }
    return Json::object();
}

} // namespace

class TestEnterpriseEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void policyIsReadBeforeSignIn();
    void theUnverifiedOptInIsOnlyForAHandedInToken();
    void oneSignInGrantsEveryApprovedServer();
    void tokenSetsAreInTheKeychain();
    void eachTokenIsAcceptedOnlyByItsOwnServer();
    void statusShowsTheSession();
    void adminRemovesBAtTheIdpAndBIsRevokedAtRenewal();
    void anExpiredIdTokenIsRenewedWithTheIdpRefreshToken();
    void serverWithoutIdJagNeedsPerUserSignIn();
    void unsupportedServerSignsInPerUser();
    void adminDropsCFromThePolicy();
    void logoutRevokesTheIdpRefreshTokenAtTheIdp();
    void misbehavingIdpIsRefusedWithNothingStored_data();
    void misbehavingIdpIsRefusedWithNothingStored();
    void wrongIssuedTokenTypeIsRefused();
    void anUnverifiableHandedInIdTokenNeedsTheOptInAndSaysSo();

private:
    // An AS (jag-as.mjs with `asArgs`) and its MCP server, known to `idp`'s client mapping.
    bool startSite(Site &site, const QString &prefix, const NodeServer &idp, const QStringList &asArgs);
    // Writes (or rewrites) the managed policy `policyName` naming `idp` and approving `sites`; its path.
    QString writePolicy(const QString &policyName, const NodeServer &idp, const QList<const Site *> &sites);
    // A daemon with a managed policy naming `idp` and `sites`, whose AS client secrets are in the keychain.
    std::unique_ptr<DaemonHarness> startDaemon(const QString &policyName, const NodeServer &idp,
                                               const QList<const Site *> &sites, BrowserProgram &browser);
    Response enterpriseLogin(EventClient &client, const BrowserProgram &browser);
    QJsonObject adminCall(const NodeServer &idp, const QByteArray &verb, const QString &path,
                          const QJsonObject &body = {});
    QJsonObject asStats(const Site &site);
    HttpResult toolsList(const QString &url, const QString &token);
    QString tokenGet(EventClient &client, const QString &name, QString *error = nullptr, const QString &rejected = {});
    QList<QJsonObject> auditEntries(const DaemonHarness &daemon, const QString &event);
    void stopAndScan(std::unique_ptr<DaemonHarness> &daemon, const std::unique_ptr<BrowserProgram> &browser,
                     std::unique_ptr<EventClient> &client);
    void remember(const QString &secret);

    QTemporaryDir m_scratch;
    QNetworkAccessManager m_network;
    std::unique_ptr<NodeServer> m_idp;
    Site m_a, m_b, m_c, m_d; // D's AS runs with --no-id-jag
    std::unique_ptr<BrowserProgram> m_browser;
    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<EventClient> m_client;
    QString m_user;
    QHash<QString, QString> m_tokens; // server name → the access token handed out after sign-in
    QStringList m_secrets;            // every token seen, scanned for in files and output at the end

    // The misbehaving-IdP cases: their own IdP, site and daemon.
    std::unique_ptr<NodeServer> m_badIdp;
    Site m_e;
    std::unique_ptr<BrowserProgram> m_badBrowser;
    std::unique_ptr<DaemonHarness> m_badDaemon;
    std::unique_ptr<EventClient> m_badClient;
};

void TestEnterpriseEndToEnd::remember(const QString &secret)
{
    if (!secret.isEmpty() && !m_secrets.contains(secret)) {
        m_secrets << secret;
    }
}

bool TestEnterpriseEndToEnd::startSite(Site &site, const QString &prefix, const NodeServer &idp,
                                       const QStringList &asArgs)
{
    site.name = DaemonHarness::uniqueName(prefix);
    site.as = std::make_unique<NodeServer>(QStringLiteral("jag-as.mjs"),
                                           QStringList{QStringLiteral("--idp"), idp.value(QStringLiteral("issuer"))} +
                                               asArgs);
    if (!site.as->start()) {
        qWarning("%s", qPrintable(site.as->errorString()));
        return false;
    }
    site.mcp = std::make_unique<NodeServer>(QStringLiteral("mcp-server.mjs"),
                                            QStringList{QStringLiteral("--issuer"), site.issuer()});
    if (!site.mcp->start()) {
        qWarning("%s", qPrintable(site.mcp->errorString()));
        return false;
    }
    // The MCP server can only start once its AS listens: tell the AS its resource now.
    QUrl resourceHook(site.issuer() + QStringLiteral("/__test/resource"));
    resourceHook.setQuery(QStringLiteral("url=") + QString::fromLatin1(QUrl::toPercentEncoding(site.url())));
    if (httpRequest(m_network, "POST", resourceHook).status != 200) {
        return false;
    }
    remember(site.clientSecret());
    return adminCall(idp, "POST", QStringLiteral("/admin/clients"),
                     {{QStringLiteral("audience"), site.issuer()}, {QStringLiteral("client_id"), site.clientId()}})
        .contains(site.issuer());
}

QString TestEnterpriseEndToEnd::writePolicy(const QString &policyName, const NodeServer &idp,
                                            const QList<const Site *> &sites)
{
    QJsonArray servers;
    for (const Site *site : sites) {
        QJsonObject server{{QStringLiteral("name"), site->name},
                           {QStringLiteral("url"), site->url()},
                           {QStringLiteral("scopes"), QJsonArray{QStringLiteral("mcp:tools")}}};
        if (site->as->ready().value(QStringLiteral("id_jag")).toBool()) {
            server.insert(QStringLiteral("client_id"), site->clientId());
            server.insert(QStringLiteral("client_auth"), QStringLiteral("client_secret_basic"));
        }
        servers.append(server);
    }
    const QJsonObject policy{
        {QStringLiteral("schema"), 1},
        {QStringLiteral("idp"), QJsonObject{{QStringLiteral("issuer"), idp.value(QStringLiteral("issuer"))},
                                            {QStringLiteral("client_id"), idp.value(QStringLiteral("client_id"))},
                                            {QStringLiteral("client_auth"), QStringLiteral("none")},
                                            {QStringLiteral("scopes"),
                                             QJsonArray{QStringLiteral("openid"), QStringLiteral("offline_access")}}}},
        {QStringLiteral("servers"), servers}};
    const QString path = m_scratch.filePath(policyName);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(QJsonDocument(policy).toJson()) <= 0) {
        return {};
    }
    return path;
}

std::unique_ptr<DaemonHarness> TestEnterpriseEndToEnd::startDaemon(const QString &policyName, const NodeServer &idp,
                                                                   const QList<const Site *> &sites,
                                                                   BrowserProgram &browser)
{
    const QString path = writePolicy(policyName, idp, sites);
    if (path.isEmpty()) {
        return nullptr;
    }
    auto daemon = std::make_unique<DaemonHarness>();
    daemon->setEnv(QStringLiteral("LATCHKEY_POLICY"), path);
    browser.installInto(*daemon);
    if (!daemon->start()) {
        return nullptr;
    }
    // Latchkey's client secret at each AS: in the keychain, never in the policy or argv.
    for (const Site *site : sites) {
        if (site->clientSecret().isEmpty()) {
            continue;
        }
        const auto stored =
            daemon->cli({QStringLiteral("client"), QStringLiteral("secret"), QStringLiteral("set"), site->issuer()},
                        site->clientSecret().toUtf8());
        if (stored.exitCode != 0) {
            qWarning("client secret set: %s", stored.err.constData());
            return nullptr;
        }
    }
    return daemon;
}

Response TestEnterpriseEndToEnd::enterpriseLogin(EventClient &client, const BrowserProgram &browser)
{
    auto reply = client.callAsync("enterprise.login", Json::object());
    [&] { QTRY_VERIFY2_WITH_TIMEOUT(reply->has_value(), qPrintable(browser.describe()), kLoginTimeoutMs); }();
    return reply->value_or(Response::failure(std::nullopt, "timeout", "enterprise.login did not answer"));
}

QJsonObject TestEnterpriseEndToEnd::adminCall(const NodeServer &idp, const QByteArray &verb, const QString &path,
                                              const QJsonObject &body)
{
    const HttpResult result =
        httpRequest(m_network, verb, QUrl(idp.value(QStringLiteral("admin")) + path),
                    body.isEmpty() ? QByteArray() : jsonBody(body), {{"Content-Type", "application/json"}});
    if (result.status != 200) {
        qWarning("IdP admin %s %s: %d %s %s", verb.constData(), qPrintable(path), result.status,
                 result.body.constData(), qPrintable(result.error));
    }
    return result.json();
}

QJsonObject TestEnterpriseEndToEnd::asStats(const Site &site)
{
    return httpRequest(m_network, "GET", QUrl(site.issuer() + QStringLiteral("/__test/stats"))).json();
}

HttpResult TestEnterpriseEndToEnd::toolsList(const QString &url, const QString &token)
{
    const Json call = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", Json::object()}};
    return httpRequest(m_network, "POST", QUrl(url), QByteArray::fromStdString(call.dump()),
                       {{"Content-Type", "application/json"},
                        {"Accept", "application/json, text/event-stream"},
                        {"Authorization", "Bearer " + token.toUtf8()}});
}

QString TestEnterpriseEndToEnd::tokenGet(EventClient &client, const QString &name, QString *error,
                                         const QString &rejected)
{
    Json params = {{"name", name.toStdString()}};
    if (!rejected.isEmpty()) {
        // What the bridge sends when a server refused a token: the audit hash of that token.
        params["rejected"] = latchkey::AuditLog::hashId(rejected.toUtf8());
    }
    const Response answer = client.call("token.get", params, 60000);
    if (!answer.errorCode.empty()) {
        if (error) {
            *error = QString::fromStdString(answer.errorCode + ": " + answer.errorMessage);
        }
        return {};
    }
    const QString token = jsonString(answer.result, "access_token");
    remember(token);
    return token;
}

QList<QJsonObject> TestEnterpriseEndToEnd::auditEntries(const DaemonHarness &daemon, const QString &event)
{
    QList<QJsonObject> out;
    QFile log(daemon.auditPath());
    if (!log.open(QIODevice::ReadOnly)) {
        return out;
    }
    const QList<QByteArray> lines = log.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QJsonObject entry = QJsonDocument::fromJson(line).object();
        if (entry.value(QStringLiteral("event")).toString() == event) {
            out << entry;
        }
    }
    return out;
}

void TestEnterpriseEndToEnd::initTestCase()
{
    if (const QString missing = e2eUnavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    QVERIFY(m_scratch.isValid());

    // Access-token renewal is forced by `rejected` below (as the bridge does), not by waiting; only the
    // ID token's expiry is waited for.
    m_idp = std::make_unique<NodeServer>(QStringLiteral("idp.mjs"),
                                         QStringList{QStringLiteral("--id-token-ttl"), QString::number(kIdTokenTtl)});
    QVERIFY2(m_idp->start(), qPrintable(m_idp->errorString()));
    m_user = m_idp->value(QStringLiteral("user"));
    QVERIFY(startSite(m_a, QStringLiteral("ent-a"), *m_idp, {}));
    QVERIFY(startSite(m_b, QStringLiteral("ent-b"), *m_idp, {}));
    // C's AS lets an ID-JAG be presented again until it expires (A's and B's refuse a replayed jti): the
    // first rung of renewal works there and nowhere else.
    QVERIFY(startSite(m_c, QStringLiteral("ent-c"), *m_idp, {QStringLiteral("--allow-replay")}));
    QVERIFY(startSite(m_d, QStringLiteral("ent-d"), *m_idp, {QStringLiteral("--no-id-jag")}));
    // The admin approves all four for the user (D too: that D gets no exchange is Latchkey's doing).
    for (const Site *site : {&m_a, &m_b, &m_c, &m_d}) {
        const QJsonObject approvals = adminCall(*m_idp, "POST", QStringLiteral("/admin/approvals"),
                                                {{QStringLiteral("sub"), m_user},
                                                 {QStringLiteral("resource"), site->url()},
                                                 {QStringLiteral("approved"), true}});
        QVERIFY(approvals.value(m_user).toArray().contains(site->url()));
    }

    m_browser = std::make_unique<BrowserProgram>(m_scratch.path());
    m_daemon = startDaemon(QStringLiteral("policy.json"), *m_idp, {&m_a, &m_b, &m_c, &m_d}, *m_browser);
    QVERIFY(m_daemon);
    m_client = std::make_unique<EventClient>(m_daemon->socketPath());
    QString error;
    QVERIFY2(m_client->connectAndSubscribe(&error), qPrintable(error));
}

void TestEnterpriseEndToEnd::cleanupTestCase()
{
    stopAndScan(m_daemon, m_browser, m_client);
    stopAndScan(m_badDaemon, m_badBrowser, m_badClient);
}

void TestEnterpriseEndToEnd::stopAndScan(std::unique_ptr<DaemonHarness> &daemon,
                                         const std::unique_ptr<BrowserProgram> &browser,
                                         std::unique_ptr<EventClient> &client)
{
    if (!daemon) {
        return;
    }
    QTRY_VERIFY2_WITH_TIMEOUT(browser->allExited(), qPrintable(browser->describe()), 30000);
    client.reset();
    QVERIFY(daemon->stop());
    // Tokens, ID tokens, ID-JAGs and client secrets: in the keychain and in token.get answers only.
    const QByteArray output = daemon->daemonOutput();
    for (const QString &secret : std::as_const(m_secrets)) {
        QVERIFY2(!output.contains(secret.toUtf8()), "a secret in the daemon's output");
        QCOMPARE(SecretScan::filesContaining(daemon->home(), secret.toUtf8()), QStringList());
        QCOMPARE(SecretScan::filesContaining(m_scratch.path(), secret.toUtf8()), QStringList());
    }
}

void TestEnterpriseEndToEnd::policyIsReadBeforeSignIn()
{
    const Response status = m_client->call("enterprise.status");
    QVERIFY2(status.errorCode.empty(), describeResponse(status).constData());
    QVERIFY2(status.result["policy"]["error"].is_null(), status.result.dump().c_str());
    QCOMPARE(jsonString(status.result["idp"], "issuer"), m_idp->value(QStringLiteral("issuer")));
    QVERIFY(!status.result["idp"].value("signedIn", true));
    for (const Site *site : {&m_a, &m_b, &m_c, &m_d}) {
        const Json entry = serverEntry(status.result["servers"], site->name);
        QVERIFY2(!entry.empty(), status.result.dump().c_str());
        QCOMPARE(jsonString(entry, "url"), site->url());
    }
    // Not signed in: no token, no browser, nothing asked of the IdP.
    QString error;
    QVERIFY(tokenGet(*m_client, m_a.name, &error).isEmpty());
    QVERIFY2(!error.isEmpty(), qPrintable(error));
    QCOMPARE(m_browser->visits(), 0);
    QCOMPARE(adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"))
                 .value(QStringLiteral("authorization_requests"))
                 .toInt(),
             0);
}

void TestEnterpriseEndToEnd::theUnverifiedOptInIsOnlyForAHandedInToken()
{
    // The opt-in waives a signature check only for an ID token handed in on stdin; anywhere else it is
    // a usage error, refused before anything happens.
    const auto cli = m_daemon->cli(
        {QStringLiteral("enterprise"), QStringLiteral("login"), QStringLiteral("--allow-unverified-id-token")});
    QCOMPARE(cli.exitCode, 2);
    QVERIFY2(cli.err.contains("--allow-unverified-id-token applies only with --id-token-stdin"), cli.err.constData());
    const Response alone = m_client->call("enterprise.login", {{"allow_unverified_id_token", true}});
    QCOMPARE(alone.errorCode, std::string("invalid_params"));
    const Response notBool =
        m_client->call("enterprise.login", {{"id_token", "a.b.c"}, {"allow_unverified_id_token", "yes"}});
    QCOMPARE(notBool.errorCode, std::string("invalid_params"));
    QCOMPARE(m_browser->visits(), 0);
    QVERIFY(!m_client->call("enterprise.status").result["idp"].value("signedIn", true));
}

void TestEnterpriseEndToEnd::oneSignInGrantsEveryApprovedServer()
{
    QElapsedTimer timer;
    timer.start();
    // What the person types: the CLI waits while the daemon's browser goes through the IdP's pages.
    const auto login = m_daemon->cli({QStringLiteral("enterprise"), QStringLiteral("login")}, {}, kLoginTimeoutMs);
    QVERIFY2(login.exitCode == 0, (login.out + login.err + '\n' + m_browser->describe().toUtf8()).constData());
    qInfo("latchkey enterprise login (one IdP sign-in in chromium, three zero-touch grants) took %lld ms",
          timer.elapsed());
    for (const Site *site : {&m_a, &m_b, &m_c, &m_d}) {
        QVERIFY2(login.out.contains(site->name.toUtf8()), login.out.constData());
    }
    const Response status = m_client->call("enterprise.status");
    for (const Site *site : {&m_a, &m_b, &m_c}) {
        const Json entry = serverEntry(status.result["servers"], site->name);
        QVERIFY2(jsonString(entry, "state") == QStringLiteral("connected"), status.result.dump().c_str());
    }
    QCOMPARE(jsonString(serverEntry(status.result["servers"], m_d.name), "state"), QStringLiteral("unsupported"));

    // Exactly one browser visit, through the IdP's pages to the loopback callback.
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), 1);
    QCOMPARE(m_browser->count(QStringLiteral("callback")), 1);
    QCOMPARE(m_browser->failures(), 0);
    const QJsonObject idpStats = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"));
    QCOMPARE(idpStats.value(QStringLiteral("logins")).toInt(), 1);
    QCOMPARE(idpStats.value(QStringLiteral("codes_issued")).toInt(), 1);
    // One exchange per ID-JAG server, none for D; no authorize request at any MCP AS.
    const QJsonObject exchanges = idpStats.value(QStringLiteral("exchanges")).toObject();
    for (const Site *site : {&m_a, &m_b, &m_c}) {
        QVERIFY2(exchanges.value(site->url()).toInt() == 1, jsonBody(idpStats).constData());
        const QJsonObject stats = asStats(*site);
        QCOMPARE(stats.value(QStringLiteral("token_grants"))
                     .toObject()
                     .value(QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer"))
                     .toInt(),
                 1);
        QVERIFY2(stats.value(QStringLiteral("jwt_bearer_refusals")).toObject().isEmpty(), jsonBody(stats).constData());
    }
    QVERIFY2(!exchanges.contains(m_d.url()), jsonBody(idpStats).constData());
    for (const Site *site : {&m_a, &m_b, &m_c, &m_d}) {
        QCOMPARE(asStats(*site).value(QStringLiteral("authorization_requests")).toInt(), 0);
    }
    const QList<QJsonObject> tokens = auditEntries(*m_daemon, QStringLiteral("enterprise.token"));
    QVERIFY2(tokens.size() >= 3, "enterprise.token audited per server");
}

void TestEnterpriseEndToEnd::tokenSetsAreInTheKeychain()
{
    const QStringList users = keychainUsers();
    for (const Site *site : {&m_a, &m_b, &m_c}) {
        const QString key = QStringLiteral("latchkey/token/%1/default").arg(site->name);
        QVERIFY2(users.contains(key), qPrintable(users.join(u'\n')));
        const QJsonObject set = QJsonDocument::fromJson(secretToolLookup(key)).object();
        const QString access = set.value(QStringLiteral("access_token")).toString();
        remember(access);
        QVERIFY(!access.isEmpty());
        QCOMPARE(jwtPayload(access).value(QStringLiteral("aud")).toString(), site->url());
        QCOMPARE(jwtPayload(access).value(QStringLiteral("iss")).toString(), site->issuer());
        QCOMPARE(jwtPayload(access).value(QStringLiteral("sub")).toString(), m_user);
    }
    QVERIFY2(!users.contains(QStringLiteral("latchkey/token/%1/default").arg(m_d.name)), qPrintable(users.join(u'\n')));
    // The IdP session (refresh token, ID token) is kept too.
    const QString idpPrefix = QStringLiteral("latchkey/idp/%1/").arg(m_idp->value(QStringLiteral("issuer")));
    QVERIFY2(std::any_of(users.cbegin(), users.cend(), [&](const QString &user) { return user.startsWith(idpPrefix); }),
             qPrintable(users.join(u'\n')));
}

void TestEnterpriseEndToEnd::eachTokenIsAcceptedOnlyByItsOwnServer()
{
    for (const Site *site : {&m_a, &m_b, &m_c}) {
        const QString token = tokenGet(*m_client, site->name);
        QVERIFY2(!token.isEmpty(), qPrintable(site->name));
        m_tokens.insert(site->name, token);
        const HttpResult listed = toolsList(site->url(), token);
        QVERIFY2(listed.status == 200 && listed.body.contains("test-tool"), listed.body.constData());
    }
    // A's token at B (and B's at C, C's at A): refused, the audience is not theirs.
    const QList<QPair<const Site *, const Site *>> crossed = {{&m_a, &m_b}, {&m_b, &m_c}, {&m_c, &m_a}};
    for (const auto &[owner, other] : crossed) {
        const HttpResult refused = toolsList(other->url(), m_tokens.value(owner->name));
        QCOMPARE(refused.status, 401);
        QVERIFY2(refused.header("WWW-Authenticate").contains("invalid_token"),
                 refused.header("WWW-Authenticate").constData());
    }
}

void TestEnterpriseEndToEnd::statusShowsTheSession()
{
    const Response status = m_client->call("enterprise.status");
    QVERIFY2(status.errorCode.empty(), describeResponse(status).constData());
    QVERIFY2(status.result["idp"].value("signedIn", false), status.result.dump().c_str());
    QCOMPARE(jsonString(status.result["idp"], "subject"), m_user);
    const auto cli = m_daemon->cli({QStringLiteral("enterprise"), QStringLiteral("status")});
    QVERIFY2(cli.exitCode == 0, cli.err.constData());
    for (const Site *site : {&m_a, &m_b, &m_c, &m_d}) {
        QVERIFY2(cli.out.contains(site->name.toUtf8()), cli.out.constData());
    }
    for (const QString &token : std::as_const(m_secrets)) {
        QVERIFY(!cli.out.contains(token.toUtf8()));
    }
}

void TestEnterpriseEndToEnd::adminRemovesBAtTheIdpAndBIsRevokedAtRenewal()
{
    const QJsonObject approvals = adminCall(*m_idp, "POST", QStringLiteral("/admin/approvals"),
                                            {{QStringLiteral("sub"), m_user},
                                             {QStringLiteral("resource"), m_b.url()},
                                             {QStringLiteral("approved"), false}});
    QVERIFY(!approvals.value(m_user).toArray().contains(m_b.url()));

    // B's server refuses its token (as the bridge reports it): renewal goes to the IdP, which refuses.
    QString error;
    const QString renewedB = tokenGet(*m_client, m_b.name, &error, m_tokens.value(m_b.name));
    QVERIFY2(renewedB.isEmpty(), "B still got a token after the admin removed it");
    QVERIFY(!error.isEmpty());
    const QJsonObject idpStats = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(idpStats.value(QStringLiteral("exchange_refusals")).toObject().value(m_b.url()).toInt() >= 1,
             jsonBody(idpStats).constData());

    // Revoked locally with the IdP's reason; its tokens gone; audited.
    const QString expectedReason = QStringLiteral("access to %1 revoked by admin").arg(m_b.url());
    const Response status = m_client->call("enterprise.status");
    const Json entryB = serverEntry(status.result["servers"], m_b.name);
    QVERIFY2(jsonString(entryB, "state") == QStringLiteral("revoked"), status.result.dump().c_str());
    QVERIFY2(jsonString(entryB, "reason").contains(expectedReason), status.result.dump().c_str());
    QVERIFY2(!keychainUsers().contains(QStringLiteral("latchkey/token/%1/default").arg(m_b.name)),
             "B's token set is still in the keychain");
    const QList<QJsonObject> revoked = auditEntries(*m_daemon, QStringLiteral("enterprise.revoked"));
    QVERIFY2(std::any_of(revoked.cbegin(), revoked.cend(),
                         [&](const QJsonObject &entry) {
                             return entry.value(QStringLiteral("server")).toString() == m_b.name &&
                                    entry.value(QStringLiteral("reason")).toString().contains(expectedReason);
                         }),
             "no enterprise.revoked audit entry for B with the IdP's reason");
    // Asked again: still refused, without a new exchange hammering the IdP... and without a browser.
    QVERIFY(tokenGet(*m_client, m_b.name, &error).isEmpty());
    QCOMPARE(m_browser->visits(), 1);

    // A and C renew (their servers refused their tokens too) and keep working, in the spec's order: the
    // kept ID-JAG presented again (C's AS takes it; A's refuses the replayed jti), then a new ID-JAG (A).
    const QJsonObject exchangesBefore =
        adminCall(*m_idp, "GET", QStringLiteral("/admin/stats")).value(QStringLiteral("exchanges")).toObject();
    for (const Site *site : {&m_a, &m_c}) {
        const QString before = m_tokens.value(site->name);
        const QString renewed = tokenGet(*m_client, site->name, &error, before);
        QVERIFY2(!renewed.isEmpty(), qPrintable(site->name + QStringLiteral(": ") + error));
        QVERIFY2(renewed != before, "a renewal handed out the refused token again");
        const HttpResult listed = toolsList(site->url(), renewed);
        QVERIFY2(listed.status == 200, listed.body.constData());
        QCOMPARE(toolsList(m_b.url(), renewed).status, 401);
        const Json entry = serverEntry(m_client->call("enterprise.status").result["servers"], site->name);
        QCOMPARE(jsonString(entry, "state"), QStringLiteral("connected"));
    }
    const QJsonObject exchangesAfter =
        adminCall(*m_idp, "GET", QStringLiteral("/admin/stats")).value(QStringLiteral("exchanges")).toObject();
    QCOMPARE(exchangesAfter.value(m_a.url()).toInt(), exchangesBefore.value(m_a.url()).toInt() + 1);
    QCOMPARE(exchangesAfter.value(m_c.url()).toInt(), exchangesBefore.value(m_c.url()).toInt());
    QCOMPARE(asStats(m_a).value(QStringLiteral("jwt_bearer_refusals")).toObject().value(QStringLiteral("jti")).toInt(),
             1);
    QVERIFY2(asStats(m_c).value(QStringLiteral("jwt_bearer_refusals")).toObject().isEmpty(),
             jsonBody(asStats(m_c)).constData());
    // Still one browser visit in all: renewal never asks the person.
    QCOMPARE(m_browser->visits(), 1);
    QCOMPARE(adminCall(*m_idp, "GET", QStringLiteral("/admin/stats")).value(QStringLiteral("logins")).toInt(), 1);
}

void TestEnterpriseEndToEnd::anExpiredIdTokenIsRenewedWithTheIdpRefreshToken()
{
    // The third rung: once the ID token has expired, a new ID-JAG needs a new ID token, from the IdP
    // refresh token, with no browser.
    const qint64 expiresAt = m_client->call("enterprise.status").result["idp"].value("expiresAt", qint64(0));
    QVERIFY(expiresAt > 0);
    QVERIFY2(expiresAt - QDateTime::currentSecsSinceEpoch() <= kIdTokenTtl, "the ID token lives longer than issued");
    // Counted before the wait: whether the daemon renews the ID token ahead of expiry or on demand, it
    // must be through the refresh token.
    const int refreshesBefore = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"))
                                    .value(QStringLiteral("token_grants"))
                                    .toObject()
                                    .value(QStringLiteral("refresh_token"))
                                    .toInt();
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentSecsSinceEpoch() > expiresAt, (kIdTokenTtl + 10) * 1000);
    // A's ID-JAG was used (its AS refuses a replay): renewal needs a new one, so a fresh ID token.
    QString error;
    const QString before = tokenGet(*m_client, m_a.name);
    const QString renewed = tokenGet(*m_client, m_a.name, &error, before);
    QVERIFY2(!renewed.isEmpty(), qPrintable(error));
    QVERIFY(renewed != before);
    QCOMPARE(toolsList(m_a.url(), renewed).status, 200);
    const QJsonObject stats = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(stats.value(QStringLiteral("token_grants")).toObject().value(QStringLiteral("refresh_token")).toInt() >
                 refreshesBefore,
             jsonBody(stats).constData());
    QCOMPARE(stats.value(QStringLiteral("logins")).toInt(), 1);
    QCOMPARE(m_browser->visits(), 1);
    const qint64 newExpiry = m_client->call("enterprise.status").result["idp"].value("expiresAt", qint64(0));
    QVERIFY2(newExpiry > expiresAt, "the session's ID token was not renewed");
    // B stays revoked.
    QVERIFY(tokenGet(*m_client, m_b.name, &error).isEmpty());
}

void TestEnterpriseEndToEnd::serverWithoutIdJagNeedsPerUserSignIn()
{
    const QJsonObject idpStats = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(!idpStats.value(QStringLiteral("exchanges")).toObject().contains(m_d.url()),
             jsonBody(idpStats).constData());
    QVERIFY2(!idpStats.value(QStringLiteral("exchange_refusals")).toObject().contains(m_d.url()),
             jsonBody(idpStats).constData());
    const Json entry = serverEntry(m_client->call("enterprise.status").result["servers"], m_d.name);
    QCOMPARE(jsonString(entry, "state"), QStringLiteral("unsupported"));
    // Offered per-user sign-in: token.get says needs_login (latchkey login NAME), never opens a browser.
    QString error;
    QVERIFY(tokenGet(*m_client, m_d.name, &error).isEmpty());
    QVERIFY2(error.startsWith(QStringLiteral("needs_login")), qPrintable(error));
    QCOMPARE(m_browser->visits(), 1);
    QCOMPARE(asStats(m_d).value(QStringLiteral("authorization_requests")).toInt(), 0);
    const QList<QJsonObject> unsupported = auditEntries(*m_daemon, QStringLiteral("enterprise.unsupported"));
    QVERIFY2(
        std::any_of(unsupported.cbegin(), unsupported.cend(),
                    [&](const QJsonObject &e) { return e.value(QStringLiteral("server")).toString() == m_d.name; }),
        "no enterprise.unsupported audit entry for D");
}

void TestEnterpriseEndToEnd::unsupportedServerSignsInPerUser()
{
    // D is offered per-user sign-in: `latchkey login D` goes through D's own AS in the browser (its
    // authorization code flow, dynamic registration), and D's server takes the token.
    const int visitsBefore = m_browser->visits();
    const auto login = m_daemon->cli({QStringLiteral("login"), m_d.name}, {}, kLoginTimeoutMs);
    QVERIFY2(login.exitCode == 0, (login.out + login.err + '\n' + m_browser->describe().toUtf8()).constData());
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), visitsBefore + 1);
    QCOMPARE(m_browser->failures(), 0);
    QCOMPARE(asStats(m_d).value(QStringLiteral("authorization_requests")).toInt(), 1);
    QString error;
    const QString token = tokenGet(*m_client, m_d.name, &error);
    QVERIFY2(!token.isEmpty(), qPrintable(error));
    QCOMPARE(jwtPayload(token).value(QStringLiteral("iss")).toString(), m_d.issuer());
    const HttpResult listed = toolsList(m_d.url(), token);
    QVERIFY2(listed.status == 200 && listed.body.contains("test-tool"), listed.body.constData());
    QCOMPARE(toolsList(m_a.url(), token).status, 401);
    // Still no exchange at the IdP for D, and the enterprise view still says why it is signed in apart.
    const QJsonObject idpStats = adminCall(*m_idp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(!idpStats.value(QStringLiteral("exchanges")).toObject().contains(m_d.url()),
             jsonBody(idpStats).constData());
    QCOMPARE(jsonString(serverEntry(m_client->call("enterprise.status").result["servers"], m_d.name), "state"),
             QStringLiteral("unsupported"));
}

void TestEnterpriseEndToEnd::adminDropsCFromThePolicy()
{
    // The person's own server, with a secret of its own in the keychain: never the policy's to touch.
    const QString own = DaemonHarness::uniqueName(QStringLiteral("ent-own"));
    const auto added =
        m_daemon->cli({QStringLiteral("add"), QStringLiteral("stdio"), own, QStringLiteral("--env"),
                       QStringLiteral("API_KEY=secret:KEY"), QStringLiteral("--"), QStringLiteral("/bin/true")});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const auto secret = m_daemon->cli({QStringLiteral("secret"), QStringLiteral("set"), own, QStringLiteral("KEY")},
                                      "own-secret-value");
    QVERIFY2(secret.exitCode == 0, secret.err.constData());
    const auto ownEntries = [&own] {
        QStringList found;
        for (const QString &user : keychainUsers()) {
            if (user.contains(QStringLiteral("/%1/").arg(own))) {
                found << user;
            }
        }
        return found;
    };
    const QStringList ownBefore = ownEntries();
    QVERIFY2(!ownBefore.isEmpty(), qPrintable(keychainUsers().join(u'\n')));
    const QString tokenC = QStringLiteral("latchkey/token/%1/default").arg(m_c.name);
    QVERIFY(keychainUsers().contains(tokenC));

    // The admin deploys a policy without C; the daemon reads it at its next start.
    m_client.reset();
    QVERIFY(m_daemon->stop());
    // start() below starts a new output record: the first run's is scanned here (stopAndScan does the rest).
    const QByteArray firstRun = m_daemon->daemonOutput();
    for (const QString &token : std::as_const(m_secrets)) {
        QVERIFY2(!firstRun.contains(token.toUtf8()), "a secret in the daemon's output");
    }
    QVERIFY(!writePolicy(QStringLiteral("policy.json"), *m_idp, {&m_a, &m_b, &m_d}).isEmpty());
    QVERIFY(m_daemon->start());
    m_client = std::make_unique<EventClient>(m_daemon->socketPath());
    QString error;
    QVERIFY2(m_client->connectAndSubscribe(&error), qPrintable(error));
    const auto listed = [this](const QString &name) {
        const Json servers = m_client->call("server.list").result["servers"];
        return std::any_of(servers.begin(), servers.end(),
                           [&](const Json &server) { return jsonString(server, "name") == name; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(!listed(m_c.name), 30000);

    // C: tokens and ID-JAG out of the keychain, gone from the enterprise view, audited with the reason.
    const QStringList users = keychainUsers();
    QVERIFY2(!users.contains(tokenC), qPrintable(users.join(u'\n')));
    QVERIFY(!users.contains(QStringLiteral("latchkey/idjag/%1/default").arg(m_c.name)));
    QVERIFY(serverEntry(m_client->call("enterprise.status").result["servers"], m_c.name).empty());
    const QList<QJsonObject> removed = auditEntries(*m_daemon, QStringLiteral("enterprise.server_removed"));
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed[0].value(QStringLiteral("server")).toString(), m_c.name);
    QCOMPARE(removed[0].value(QStringLiteral("result")).toString(), QStringLiteral("removed"));
    QCOMPARE(removed[0].value(QStringLiteral("reason")).toString(),
             QStringLiteral("no longer approved by the enterprise policy"));
    // C's server refuses nothing new: Latchkey just has no token for it any more.
    QVERIFY(tokenGet(*m_client, m_c.name, &error).isEmpty());

    // A (still approved) keeps working from the kept IdP session, with no browser; D keeps the person's
    // own sign-in; the person's own server and its secret are untouched.
    QVERIFY(listed(m_a.name) && listed(m_d.name) && listed(own));
    const QString a = tokenGet(*m_client, m_a.name, &error);
    QVERIFY2(!a.isEmpty(), qPrintable(error));
    QCOMPARE(toolsList(m_a.url(), a).status, 200);
    QVERIFY(users.contains(QStringLiteral("latchkey/token/%1/default").arg(m_d.name)));
    QCOMPARE(ownEntries(), ownBefore);
    QCOMPARE(m_browser->visits(), 2);
}

void TestEnterpriseEndToEnd::logoutRevokesTheIdpRefreshTokenAtTheIdp()
{
    const QString issuer = m_idp->value(QStringLiteral("issuer"));
    const QJsonObject session =
        QJsonDocument::fromJson(secretToolLookup(QStringLiteral("latchkey/idp/%1/default").arg(issuer))).object();
    const QString refreshToken = session.value(QStringLiteral("refresh_token")).toString();
    QVERIFY2(!refreshToken.isEmpty(), "no IdP refresh token kept");
    remember(refreshToken);
    const int revocationsBefore =
        adminCall(*m_idp, "GET", QStringLiteral("/admin/stats")).value(QStringLiteral("revocations")).toInt();

    const auto logout = m_daemon->cli({QStringLiteral("enterprise"), QStringLiteral("logout")});
    QVERIFY2(logout.exitCode == 0, logout.err.constData());
    QVERIFY2(logout.out.contains("the IdP revoked the sign-in's refresh token"), logout.out.constData());
    QCOMPARE(adminCall(*m_idp, "GET", QStringLiteral("/admin/stats")).value(QStringLiteral("revocations")).toInt(),
             revocationsBefore + 1);

    // The IdP refuses that refresh token now: nobody holding a copy can mint ID tokens with it.
    const QByteArray form =
        "grant_type=refresh_token&client_id=latchkey&refresh_token=" + QUrl::toPercentEncoding(refreshToken);
    const HttpResult refused = httpRequest(m_network, "POST", QUrl(issuer + QStringLiteral("/token")), form,
                                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.json().value(QStringLiteral("error")).toString(), QStringLiteral("invalid_grant"));

    // Locally: the session and the enterprise token sets are gone; D's own sign-in is not enterprise's.
    const QStringList users = keychainUsers();
    QVERIFY2(std::none_of(users.cbegin(), users.cend(),
                          [&](const QString &user) {
                              return user.startsWith(QStringLiteral("latchkey/idp/%1/").arg(issuer)) ||
                                     user == QStringLiteral("latchkey/token/%1/default").arg(m_a.name);
                          }),
             qPrintable(users.join(u'\n')));
    QVERIFY(users.contains(QStringLiteral("latchkey/token/%1/default").arg(m_d.name)));
    QVERIFY(!m_client->call("enterprise.status").result["idp"].value("signedIn", true));
    const QList<QJsonObject> audited = auditEntries(*m_daemon, QStringLiteral("enterprise.idp_revocation"));
    QCOMPARE(audited.size(), 1);
    QCOMPARE(audited[0].value(QStringLiteral("result")).toString(), QStringLiteral("revoked"));
}

void TestEnterpriseEndToEnd::misbehavingIdpIsRefusedWithNothingStored_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("bad signature") << QStringLiteral("bad_signature");
    QTest::newRow("wrong aud") << QStringLiteral("wrong_aud");
    QTest::newRow("expired") << QStringLiteral("expired");
    QTest::newRow("wrong nonce") << QStringLiteral("wrong_nonce");
}

void TestEnterpriseEndToEnd::misbehavingIdpIsRefusedWithNothingStored()
{
    QFETCH(QString, mode);
    if (!m_badDaemon) {
        // A second IdP, one ID-JAG site, and a daemon of their own: nothing here touches the first.
        m_badIdp = std::make_unique<NodeServer>(QStringLiteral("idp.mjs"), QStringList{});
        QVERIFY2(m_badIdp->start(), qPrintable(m_badIdp->errorString()));
        QVERIFY(startSite(m_e, QStringLiteral("ent-e"), *m_badIdp, {}));
        adminCall(*m_badIdp, "POST", QStringLiteral("/admin/approvals"),
                  {{QStringLiteral("sub"), m_badIdp->value(QStringLiteral("user"))},
                   {QStringLiteral("resource"), m_e.url()},
                   {QStringLiteral("approved"), true}});
        const QString dir = m_scratch.filePath(QStringLiteral("misbehaving"));
        QVERIFY(QDir().mkpath(dir));
        m_badBrowser = std::make_unique<BrowserProgram>(dir);
        m_badDaemon = startDaemon(QStringLiteral("bad-policy.json"), *m_badIdp, {&m_e}, *m_badBrowser);
        QVERIFY(m_badDaemon);
        m_badClient = std::make_unique<EventClient>(m_badDaemon->socketPath());
        QString error;
        QVERIFY2(m_badClient->connectAndSubscribe(&error), qPrintable(error));
    }
    const QJsonObject set =
        adminCall(*m_badIdp, "POST", QStringLiteral("/admin/misbehave"), {{QStringLiteral("id_token"), mode}});
    QCOMPARE(set.value(QStringLiteral("id_token")).toString(), mode);
    const int visitsBefore = m_badBrowser->visits();

    const Response login = enterpriseLogin(*m_badClient, *m_badBrowser);
    QVERIFY2(!login.errorCode.empty(),
             (QByteArrayLiteral("a bad ID token was accepted: ") + describeResponse(login)).constData());
    qInfo("%s: refused with %s: %s", qPrintable(mode), login.errorCode.c_str(), login.errorMessage.c_str());
    QTRY_VERIFY2_WITH_TIMEOUT(m_badBrowser->allExited(), qPrintable(m_badBrowser->describe()), 30000);
    QCOMPARE(m_badBrowser->visits(), visitsBefore + 1);

    // Nothing stored, nothing exchanged, not signed in.
    const QStringList users = keychainUsers();
    const QString idpPrefix = QStringLiteral("latchkey/idp/%1/").arg(m_badIdp->value(QStringLiteral("issuer")));
    QVERIFY2(
        std::none_of(users.cbegin(), users.cend(), [&](const QString &user) { return user.startsWith(idpPrefix); }),
        qPrintable(users.join(u'\n')));
    QVERIFY(!users.contains(QStringLiteral("latchkey/token/%1/default").arg(m_e.name)));
    const QJsonObject stats = adminCall(*m_badIdp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(stats.value(QStringLiteral("exchanges")).toObject().isEmpty(), jsonBody(stats).constData());
    const Response status = m_badClient->call("enterprise.status");
    QVERIFY2(!status.result["idp"].value("signedIn", true), status.result.dump().c_str());
}

void TestEnterpriseEndToEnd::wrongIssuedTokenTypeIsRefused()
{
    QVERIFY2(m_badDaemon, "needs misbehavingIdpIsRefusedWithNothingStored's set-up");
    adminCall(*m_badIdp, "POST", QStringLiteral("/admin/misbehave"),
              {{QStringLiteral("id_token"), QStringLiteral("none")},
               {QStringLiteral("issued_token_type"), QStringLiteral("wrong")}});
    // The IdP sign-in itself succeeds now; the exchange answers an access_token type, not an ID-JAG: the
    // server's reason names what came.
    const Response login = enterpriseLogin(*m_badClient, *m_badBrowser);
    QVERIFY2(login.errorCode.empty(), describeResponse(login).constData());
    const Json entry = serverEntry(login.result["servers"], m_e.name);
    QVERIFY2(jsonString(entry, "state") == QStringLiteral("error"), login.result.dump().c_str());
    QVERIFY2(jsonString(entry, "reason").contains(QStringLiteral("urn:ietf:params:oauth:token-type:access_token")),
             login.result.dump().c_str());
    const QJsonObject stats = adminCall(*m_badIdp, "GET", QStringLiteral("/admin/stats"));
    QVERIFY2(stats.value(QStringLiteral("exchanges")).toObject().value(m_e.url()).toInt() >= 1,
             jsonBody(stats).constData());
    // Nothing presented at the AS, nothing stored for E.
    const QJsonObject grants = asStats(m_e).value(QStringLiteral("token_grants")).toObject();
    QVERIFY2(grants.isEmpty(), jsonBody(grants).constData());
    QVERIFY(!keychainUsers().contains(QStringLiteral("latchkey/token/%1/default").arg(m_e.name)));
    QString error;
    QVERIFY(tokenGet(*m_badClient, m_e.name, &error).isEmpty());
}

void TestEnterpriseEndToEnd::anUnverifiableHandedInIdTokenNeedsTheOptInAndSaysSo()
{
    QVERIFY2(m_badDaemon, "needs misbehavingIdpIsRefusedWithNothingStored's set-up");
    // An ID token this IdP issued to Latchkey, as an SSO broker would hand one in: the session's own.
    const QString issuer = m_badIdp->value(QStringLiteral("issuer"));
    const QString idToken =
        QJsonDocument::fromJson(secretToolLookup(QStringLiteral("latchkey/idp/%1/default").arg(issuer)))
            .object()
            .value(QStringLiteral("id_token"))
            .toString();
    QVERIFY2(!idToken.isEmpty(), "no ID token kept by wrongIssuedTokenTypeIsRefused's sign-in");
    remember(idToken);
    // The IdP's keys cannot be had now.
    adminCall(*m_badIdp, "POST", QStringLiteral("/admin/misbehave"),
              {{QStringLiteral("issued_token_type"), QStringLiteral("correct")},
               {QStringLiteral("jwks"), QStringLiteral("unavailable")}});
    const QStringList login{QStringLiteral("enterprise"), QStringLiteral("login"), QStringLiteral("--id-token-stdin")};

    const auto refused = m_badDaemon->cli(login, idToken.toUtf8(), kLoginTimeoutMs);
    QVERIFY2(refused.exitCode != 0, refused.out.constData());
    QVERIFY2(refused.err.contains("--allow-unverified-id-token"), refused.err.constData());

    const auto accepted = m_badDaemon->cli(login + QStringList{QStringLiteral("--allow-unverified-id-token")},
                                           idToken.toUtf8(), kLoginTimeoutMs);
    adminCall(*m_badIdp, "POST", QStringLiteral("/admin/misbehave"),
              {{QStringLiteral("jwks"), QStringLiteral("served")}});
    QVERIFY2(accepted.exitCode == 0, accepted.err.constData());
    QVERIFY2(accepted.out.contains("signed in at " + issuer.toUtf8()), accepted.out.constData());
    QVERIFY2(accepted.err.contains("warning: the ID token's signature was NOT checked"), accepted.err.constData());
    const auto status = m_badDaemon->cli({QStringLiteral("enterprise"), QStringLiteral("status")});
    QVERIFY2(status.exitCode == 0, status.err.constData());
    QVERIFY2(status.out.contains("its signature was NOT checked: accepted with --allow-unverified-id-token"),
             status.out.constData());
    QCOMPARE(auditEntries(*m_badDaemon, QStringLiteral("enterprise.id_token_unverified")).size(), 1);
    for (const QByteArray &output : {refused.out, refused.err, accepted.out, accepted.err, status.out}) {
        QVERIFY2(!output.contains(idToken.toUtf8()), "the ID token in the CLI's output");
    }
}

QTEST_GUILESS_MAIN(TestEnterpriseEndToEnd)
#include "TestEnterpriseEndToEnd.moc"
