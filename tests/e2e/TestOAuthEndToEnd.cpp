// The OAuth rung end to end, every part real: oidc-provider as the authorization server, an MCP server
// from the official SDK that checks its tokens, Debian chromium through the AS's login and consent
// pages, latchkeyd, and the Secret Service. add → login in the browser → token in the keychain → the
// MCP server accepts it → refreshed ahead of expiry (20 s tokens), never handed out expired → a forged
// redirect is ignored during a real login → logout revokes at the AS and forgets locally.
#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "JsonFields.h"
#include "NodeServer.h"
#include "SecretScan.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

constexpr int kAccessTtl = 20;
constexpr int kLoginTimeoutMs = 90000;

QByteArray describe(const Response &response)
{
    return QByteArray::fromStdString(response.errorCode + ": " + response.errorMessage + " " + response.result.dump());
}

} // namespace

class TestOAuthEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void addDiscoversTheServer();
    void signInThroughTheBrowser();
    void theMcpServerAcceptsTheToken();
    void theCliHandsOutTheToken();
    void refreshedAheadOfExpiryNeverExpired();
    void forgedRedirectIsIgnoredDuringARealLogin();
    void logoutRevokesAtTheAuthorizationServer();
    void aGrantRevokedAtTheAsNeedsLogin();

private:
    Response addRemote(const QString &name, const QString &url);
    // server.login without blocking the event loop; `during` runs once the browser was sent off.
    Response login(const QString &name, const std::function<void(const QUrl &authorizationUrl)> &during = {});
    HttpResult callTool(const QString &url, const QString &token, const QString &tool);
    QJsonObject asStats();
    QString tokenGet(const QString &name, QString *error = nullptr);
    QJsonObject keychainTokenSet(const QString &name);
    void remember(const QString &secret);

    QTemporaryDir m_scratch;
    std::unique_ptr<NodeServer> m_as;
    std::unique_ptr<NodeServer> m_mcp;
    std::unique_ptr<NodeServer> m_second; // the MCP server of the forged-redirect test, kept signed in
    QString m_secondName;
    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<BrowserProgram> m_browser;
    std::unique_ptr<EventClient> m_client;
    QNetworkAccessManager m_network;
    QString m_issuer;
    QString m_url;
    QString m_name;
    QStringList m_secrets; // every token seen, scanned for in files and output at the end
};

void TestOAuthEndToEnd::remember(const QString &secret)
{
    if (!secret.isEmpty() && !m_secrets.contains(secret)) {
        m_secrets << secret;
    }
}

void TestOAuthEndToEnd::initTestCase()
{
    if (const QString missing = e2eUnavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    QVERIFY(m_scratch.isValid());

    m_as = std::make_unique<NodeServer>(QStringLiteral("as.mjs"),
                                        QStringList{QStringLiteral("--access-ttl"), QString::number(kAccessTtl)});
    QVERIFY2(m_as->start(), qPrintable(m_as->errorString()));
    m_issuer = m_as->value(QStringLiteral("issuer"));
    m_mcp = std::make_unique<NodeServer>(QStringLiteral("mcp-server.mjs"),
                                         QStringList{QStringLiteral("--issuer"), m_issuer});
    QVERIFY2(m_mcp->start(), qPrintable(m_mcp->errorString()));
    m_url = m_mcp->value(QStringLiteral("url"));

    m_daemon = std::make_unique<DaemonHarness>();
    m_browser = std::make_unique<BrowserProgram>(m_scratch.path());
    m_browser->installInto(*m_daemon);
    QVERIFY(m_daemon->start());
    m_client = std::make_unique<EventClient>(m_daemon->socketPath());
    QString error;
    QVERIFY2(m_client->connectAndSubscribe(&error), qPrintable(error));
    m_name = DaemonHarness::uniqueName(QStringLiteral("e2e"));
}

void TestOAuthEndToEnd::cleanupTestCase()
{
    if (!m_daemon) {
        return;
    }
    // No browser left behind.
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    m_client.reset();
    QVERIFY(m_daemon->stop());
    // Tokens live in the keychain and in answers to token.get: not in the daemon's output, not in any
    // file of its home (servers.json, the audit log), not in the browser's log.
    const QByteArray output = m_daemon->daemonOutput();
    for (const QString &secret : std::as_const(m_secrets)) {
        QVERIFY2(!output.contains(secret.toUtf8()), "a token in the daemon's output");
        QCOMPARE(SecretScan::filesContaining(m_daemon->home(), secret.toUtf8()), QStringList());
        QCOMPARE(SecretScan::filesContaining(m_scratch.path(), secret.toUtf8()), QStringList());
    }
}

Response TestOAuthEndToEnd::addRemote(const QString &name, const QString &url)
{
    return m_client->call("server.add", {{"server",
                                          {{"name", name.toStdString()},
                                           {"kind", "remote"},
                                           {"url", url.toStdString()},
                                           {"resource", ""},
                                           {"scopes", Json::array()}}}});
}

Response TestOAuthEndToEnd::login(const QString &name, const std::function<void(const QUrl &)> &during)
{
    auto reply = m_client->callAsync("server.login", {{"name", name.toStdString()}});
    if (during) {
        [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->has_value() || !m_client->authorizationUrl(name).isEmpty(), 30000); }();
        if (!reply->has_value() && !m_client->authorizationUrl(name).isEmpty()) {
            during(m_client->authorizationUrl(name));
        }
    }
    [&] { QTRY_VERIFY2_WITH_TIMEOUT(reply->has_value(), qPrintable(m_browser->describe()), kLoginTimeoutMs); }();
    return reply->value_or(Response::failure(std::nullopt, "timeout", "server.login did not answer"));
}

HttpResult TestOAuthEndToEnd::callTool(const QString &url, const QString &token, const QString &tool)
{
    const Json call = {{"jsonrpc", "2.0"},
                       {"id", 1},
                       {"method", "tools/call"},
                       {"params", {{"name", tool.toStdString()}, {"arguments", Json::object()}}}};
    QList<QPair<QByteArray, QByteArray>> headers = {{"Content-Type", "application/json"},
                                                    {"Accept", "application/json, text/event-stream"}};
    if (!token.isEmpty()) {
        headers.append({"Authorization", "Bearer " + token.toUtf8()});
    }
    return httpRequest(m_network, "POST", QUrl(url), QByteArray::fromStdString(call.dump()), headers);
}

QJsonObject TestOAuthEndToEnd::asStats()
{
    const HttpResult stats = httpRequest(m_network, "GET", QUrl(m_issuer + QStringLiteral("/__test/stats")));
    return stats.json();
}

QString TestOAuthEndToEnd::tokenGet(const QString &name, QString *error)
{
    const Response answer = m_client->call("token.get", {{"name", name.toStdString()}});
    if (!answer.errorCode.empty()) {
        if (error) {
            *error = QString::fromStdString(answer.errorCode);
        }
        return {};
    }
    const QString token = latchkey::ipc::jsonString(answer.result, "access_token");
    remember(token);
    return token;
}

QJsonObject TestOAuthEndToEnd::keychainTokenSet(const QString &name)
{
    const QByteArray stored = secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(name));
    const QJsonObject set = QJsonDocument::fromJson(stored).object();
    remember(set.value(QStringLiteral("access_token")).toString());
    remember(set.value(QStringLiteral("refresh_token")).toString());
    return set;
}

void TestOAuthEndToEnd::addDiscoversTheServer()
{
    const Response added = addRemote(m_name, m_url);
    QVERIFY2(added.errorCode.empty(), describe(added).constData());
    const Json &discovery = added.result["discovery"];
    QCOMPARE(latchkey::ipc::jsonString(discovery, "issuer"), m_issuer);
    QCOMPARE(latchkey::ipc::jsonString(discovery, "resource"), m_url);
    QCOMPARE(latchkey::ipc::jsonString(discovery, "resource_metadata"),
             m_mcp->value(QStringLiteral("resource_metadata"))); // from the 401's resource_metadata
    QVERIFY(discovery.value("auth_required", false));
    // The challenge's scope, and offline_access because this AS lists it.
    QVERIFY2(discovery["scopes"] == Json::array({"mcp:tools", "offline_access"}), discovery.dump().c_str());
    // Not signed in yet: no token, no browser.
    QString error;
    QVERIFY(tokenGet(m_name, &error).isEmpty());
    QCOMPARE(error, QStringLiteral("needs_login"));
    QCOMPARE(m_browser->visits(), 0);
}

void TestOAuthEndToEnd::signInThroughTheBrowser()
{
    QElapsedTimer timer;
    timer.start();
    const Response signedIn = login(m_name);
    QVERIFY2(signedIn.errorCode.empty(), (describe(signedIn) + '\n' + m_browser->describe().toUtf8()).constData());
    qInfo("sign-in through chromium took %lld ms", timer.elapsed());
    QCOMPARE(latchkey::ipc::jsonString(signedIn.result["server"]["grant"], "state"), QStringLiteral("active"));
    // One visit: the browser went through login and consent and reached the loopback callback.
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), 1);
    QCOMPARE(m_browser->count(QStringLiteral("login")), 1);
    QCOMPARE(m_browser->count(QStringLiteral("consent")), 1);
    QCOMPARE(m_browser->count(QStringLiteral("callback")), 1);
    QCOMPARE(m_browser->failures(), 0);
    const QList<QJsonObject> log = m_browser->entries();
    QVERIFY2(
        log.at(log.size() - 2).value(QStringLiteral("body")).toString().contains(QStringLiteral("received the answer")),
        qPrintable(m_browser->describe()));

    // The token set is in the Secret Service, bound to what it was minted for.
    const QJsonObject set = keychainTokenSet(m_name);
    QVERIFY2(!set.isEmpty(), "no token set in the keychain");
    QCOMPARE(set.value(QStringLiteral("issuer")).toString(), m_issuer);
    QCOMPARE(set.value(QStringLiteral("resource")).toString(), m_url);
    QVERIFY(!set.value(QStringLiteral("client_id")).toString().isEmpty());
    QVERIFY(!set.value(QStringLiteral("access_token")).toString().isEmpty());
    QVERIFY2(!set.value(QStringLiteral("refresh_token")).toString().isEmpty(), "no refresh token (offline_access)");
    // The DCR client is kept per issuer.
    QVERIFY(!secretToolLookup(QStringLiteral("latchkey/client/%1/registration").arg(m_issuer)).isEmpty());
    const QStringList users = keychainUsers();
    QVERIFY2(users.contains(QStringLiteral("latchkey/token/%1/default").arg(m_name)), qPrintable(users.join(u'\n')));
    const QJsonObject stats = asStats();
    QCOMPARE(stats.value(QStringLiteral("registrations")).toInt(), 1);
    QCOMPARE(stats.value(QStringLiteral("token_grants")).toObject().value(QStringLiteral("authorization_code")).toInt(),
             1);
}

void TestOAuthEndToEnd::theMcpServerAcceptsTheToken()
{
    const QString token = tokenGet(m_name);
    QVERIFY(!token.isEmpty());
    const QJsonObject claims = jwtPayload(token);
    QCOMPARE(claims.value(QStringLiteral("iss")).toString(), m_issuer);
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(), m_url);
    QVERIFY(
        claims.value(QStringLiteral("scope")).toString().split(QLatin1Char(' ')).contains(QStringLiteral("mcp:tools")));

    // By resource too, and only for the exact resource.
    const Response byResource = m_client->call("token.get", {{"resource", m_url.toStdString()}});
    QVERIFY2(byResource.errorCode.empty(), describe(byResource).constData());
    QCOMPARE(latchkey::ipc::jsonString(byResource.result, "access_token"), token);
    const Response other =
        m_client->call("token.get", {{"resource", (m_url + QStringLiteral("/other")).toStdString()}});
    QCOMPARE(other.errorCode, std::string("not_found"));

    const HttpResult anonymous = callTool(m_url, {}, QStringLiteral("test-tool"));
    QCOMPARE(anonymous.status, 401);
    const HttpResult called = callTool(m_url, token, QStringLiteral("test-tool"));
    QVERIFY2(called.status == 200, called.body.constData());
    QVERIFY2(called.body.contains("test-tool ok for"), called.body.constData());
    QVERIFY(!called.body.contains("\"isError\":true"));
    // A tool that needs more than was granted: 403 with the scopes to ask for (step-up material).
    const HttpResult admin = callTool(m_url, token, QStringLiteral("admin-tool"));
    QCOMPARE(admin.status, 403);
    QVERIFY2(admin.header("WWW-Authenticate").contains("error=\"insufficient_scope\"") &&
                 admin.header("WWW-Authenticate").contains("scope=\"mcp:tools mcp:admin\""),
             admin.header("WWW-Authenticate").constData());
}

void TestOAuthEndToEnd::theCliHandsOutTheToken()
{
    const QString token = tokenGet(m_name);
    QVERIFY(!token.isEmpty());
    const auto printed = m_daemon->cli({QStringLiteral("token"), m_name});
    QVERIFY2(printed.exitCode == 0, printed.err.constData());
    QCOMPARE(QString::fromUtf8(printed.out).trimmed(), token);

    // `latchkey run` puts the current access token into a STDIO server's environment, not its argv.
    const QString stdio = DaemonHarness::uniqueName(QStringLiteral("e2e-stdio"));
    const auto added = m_daemon->cli({QStringLiteral("add"), QStringLiteral("stdio"), stdio, QStringLiteral("--env"),
                                      QStringLiteral("MCP_TOKEN=token:%1").arg(m_name), QStringLiteral("--"),
                                      QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                      QStringLiteral("printf %s \"$MCP_TOKEN\" | sha256sum")});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const auto run = m_daemon->cli({QStringLiteral("run"), stdio});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QByteArray digest = QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex();
    QVERIFY2(run.out.startsWith(digest), run.out.constData());
    const auto removed = m_daemon->cli({QStringLiteral("servers"), QStringLiteral("--json")});
    QVERIFY(!removed.out.contains(token.toUtf8()));
}

void TestOAuthEndToEnd::refreshedAheadOfExpiryNeverExpired()
{
    // Ask for the token every half second for a bit more than one and a half lifetimes. Every answer
    // must be valid when it arrives; a new token must appear while the previous one is still valid, at
    // 75-80 % of its lifetime (not on every ask), through one refresh request per new token.
    const int refreshesBefore = asStats().value(QStringLiteral("refresh_grants")).toInt();
    const QString firstRefreshToken = keychainTokenSet(m_name).value(QStringLiteral("refresh_token")).toString();
    struct Seen
    {
        QString token;
        qint64 firstSeenMs; // when token.get first returned it
        qint64 iat;
        qint64 exp;
    };
    QList<Seen> seen;
    QStringList failures;
    int asks = 0;
    QTimer poll;
    poll.setInterval(500);
    connect(&poll, &QTimer::timeout, this, [&] {
        ++asks;
        QString error;
        const QString token = tokenGet(m_name, &error);
        const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
        if (token.isEmpty()) {
            failures << QStringLiteral("token.get failed: %1").arg(error);
            return;
        }
        const QJsonObject claims = jwtPayload(token);
        const qint64 exp = claims.value(QStringLiteral("exp")).toInteger();
        if (exp * 1000 <= nowMs) {
            failures << QStringLiteral("an expired token was handed out (exp %1, now %2 ms)").arg(exp).arg(nowMs);
        }
        if (seen.isEmpty() || seen.constLast().token != token) {
            seen.append({token, nowMs, claims.value(QStringLiteral("iat")).toInteger(), exp});
        }
    });
    poll.start();
    // Two refreshes after the sign-in token: about 1.6 lifetimes from sign-in.
    QTRY_VERIFY_WITH_TIMEOUT(seen.size() >= 3 || !failures.isEmpty(), 3 * kAccessTtl * 1000);
    poll.stop();
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
    QVERIFY(asks >= kAccessTtl);
    for (qsizetype i = 1; i < seen.size(); ++i) {
        const Seen &previous = seen.at(i - 1);
        const Seen &next = seen.at(i);
        const qint64 age = next.iat - previous.iat;
        QVERIFY2(age >= kAccessTtl * 7 / 10 && age <= kAccessTtl,
                 qPrintable(QStringLiteral("token %1 came %2 s after the previous one (lifetime %3 s)")
                                .arg(i)
                                .arg(age)
                                .arg(kAccessTtl)));
        QVERIFY2(previous.exp * 1000 > next.firstSeenMs, "a refresh came only after the previous token expired");
    }
    // One refresh grant per new token: single flight, no refresh per ask.
    const QJsonObject stats = asStats();
    const int refreshes = stats.value(QStringLiteral("refresh_grants")).toInt() - refreshesBefore;
    QCOMPARE(refreshes, int(seen.size()) - 1);
    // RFC 8707: `resource` on the code exchange and on every refresh (the AS would not mint a JWT for
    // the MCP server without it).
    QVERIFY2(stats.value(QStringLiteral("token_grants_without_resource")).toObject().isEmpty(),
             QJsonDocument(stats).toJson().constData());
    // The rotated refresh token was persisted.
    const QJsonObject stored = keychainTokenSet(m_name);
    QCOMPARE(stored.value(QStringLiteral("access_token")).toString(), seen.constLast().token);
    QVERIFY(stored.value(QStringLiteral("refresh_token")).toString() != firstRefreshToken);
    // The refreshed token works at the MCP server.
    const HttpResult called = callTool(m_url, seen.constLast().token, QStringLiteral("test-tool"));
    QVERIFY2(called.status == 200, called.body.constData());
}

void TestOAuthEndToEnd::forgedRedirectIsIgnoredDuringARealLogin()
{
    // A second MCP server of the same AS, so this login is a fresh one.
    m_second = std::make_unique<NodeServer>(QStringLiteral("mcp-server.mjs"),
                                            QStringList{QStringLiteral("--issuer"), m_issuer});
    QVERIFY2(m_second->start(), qPrintable(m_second->errorString()));
    const QString url = m_second->value(QStringLiteral("url"));
    const QString name = DaemonHarness::uniqueName(QStringLiteral("e2e-forged"));
    m_secondName = name;
    // Added through the CLI this time.
    const auto added = m_daemon->cli({QStringLiteral("add"), url, QStringLiteral("--name"), name});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    QVERIFY2(added.out.contains((QStringLiteral("added ") + name).toUtf8()) && added.out.contains(m_issuer.toUtf8()),
             added.out.constData());
    const int visitsBefore = m_browser->visits();

    HttpResult forged;
    QUrl redirect;
    const Response signedIn = login(name, [&](const QUrl &authorizationUrl) {
        redirect = QUrl(QUrlQuery(authorizationUrl).queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
        // Someone else on this machine races the browser to the loopback port, with a code of their own.
        QUrl attack = redirect;
        attack.setQuery(QStringLiteral("code=forged-code&state=forged-state&iss=%1")
                            .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_issuer))));
        forged = httpRequest(m_network, "GET", attack);
    });
    QVERIFY2(redirect.isValid() && redirect.host() == QStringLiteral("127.0.0.1") && redirect.port() > 0 &&
                 redirect.path() == QStringLiteral("/callback"),
             qPrintable(redirect.toString()));
    // The listener answered it (not ours, ignored) and went on waiting.
    QVERIFY2(forged.status == 200 && forged.body.contains("not waiting for this answer"),
             qPrintable(forged.error + QString::fromUtf8(forged.body)));
    QVERIFY2(signedIn.errorCode.empty(), (describe(signedIn) + '\n' + m_browser->describe().toUtf8()).constData());
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), visitsBefore + 1);
    QCOMPARE(m_browser->failures(), 0);

    const QString token = tokenGet(name);
    QCOMPARE(jwtPayload(token).value(QStringLiteral("aud")).toString(), url);
    const HttpResult called = callTool(url, token, QStringLiteral("test-tool"));
    QVERIFY2(called.status == 200, called.body.constData());
    // A token for one server is refused by the other.
    QCOMPARE(callTool(m_url, token, QStringLiteral("test-tool")).status, 401);
    // The forged code never reached the token endpoint: one code exchange per sign-in.
    QCOMPARE(
        asStats().value(QStringLiteral("token_grants")).toObject().value(QStringLiteral("authorization_code")).toInt(),
        2);
}

void TestOAuthEndToEnd::logoutRevokesAtTheAuthorizationServer()
{
    const QJsonObject set = keychainTokenSet(m_name);
    const QString accessToken = set.value(QStringLiteral("access_token")).toString();
    const QString refreshToken = set.value(QStringLiteral("refresh_token")).toString();
    QVERIFY(!accessToken.isEmpty() && !refreshToken.isEmpty());

    // What the AS thinks before: both alive.
    const QJsonObject introspector = m_as->ready().value(QStringLiteral("introspection")).toObject();
    const QByteArray basic = "Basic " + (introspector.value(QStringLiteral("client_id")).toString() + QLatin1Char(':') +
                                         introspector.value(QStringLiteral("client_secret")).toString())
                                            .toUtf8()
                                            .toBase64();
    const auto introspect = [&](const QString &token) {
        return httpRequest(m_network, "POST", QUrl(m_issuer + QStringLiteral("/token/introspection")),
                           "token=" + QUrl::toPercentEncoding(token),
                           {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", basic}})
            .json();
    };
    const auto accessTokenState = [&](const QString &token) {
        QUrl hook(m_issuer + QStringLiteral("/__test/access-token"));
        hook.setQuery({{QStringLiteral("token"), token}});
        return httpRequest(m_network, "GET", hook).json();
    };
    QVERIFY(introspect(refreshToken).value(QStringLiteral("active")).toBool());
    QVERIFY(accessTokenState(accessToken).value(QStringLiteral("active")).toBool());

    const Response loggedOut = m_client->call("server.logout", {{"name", m_name.toStdString()}});
    QVERIFY2(loggedOut.errorCode.empty(), describe(loggedOut).constData());
    QVERIFY2(latchkey::ipc::jsonString(loggedOut.result, "revocation").startsWith(QStringLiteral("revoked")),
             describe(loggedOut).constData());

    // The AS: the refresh token (RFC 7662 introspection) and the grant behind the JWT access token are gone.
    const QJsonObject afterRefresh = introspect(refreshToken);
    QCOMPARE(afterRefresh.value(QStringLiteral("active")), QJsonValue(false));
    const QJsonObject afterAccess = accessTokenState(accessToken);
    QVERIFY2(!afterAccess.value(QStringLiteral("active")).toBool(), QJsonDocument(afterAccess).toJson().constData());
    // Latchkey: nothing in the keychain, and the next ask says sign in.
    QVERIFY(secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(m_name)).isEmpty());
    QVERIFY(!keychainUsers().contains(QStringLiteral("latchkey/token/%1/default").arg(m_name)));
    QString error;
    QVERIFY(tokenGet(m_name, &error).isEmpty());
    QCOMPARE(error, QStringLiteral("needs_login"));
    const Response listed = m_client->call("server.list");
    bool found = false;
    for (const Json &server : listed.result["servers"]) {
        if (latchkey::ipc::jsonString(server, "name") == m_name) {
            found = true;
            QCOMPARE(latchkey::ipc::jsonString(server["grant"], "state"), QStringLiteral("none"));
        }
    }
    QVERIFY(found);
}

void TestOAuthEndToEnd::aGrantRevokedAtTheAsNeedsLogin()
{
    // The AS ends the second server's grant behind Latchkey's back. Its JWT stays valid until it
    // expires; the next refresh (ahead of expiry) gets invalid_grant: the grant is dead, the token set
    // is deleted, and askers are told to sign in again instead of getting a token or a retry.
    QVERIFY(!m_secondName.isEmpty());
    const int refreshesBefore = asStats().value(QStringLiteral("refresh_grants")).toInt();
    const qsizetype eventsBefore = m_client->events().size();
    const HttpResult revoked = httpRequest(m_network, "POST", QUrl(m_issuer + QStringLiteral("/__test/revoke-all")));
    QVERIFY2(revoked.json().value(QStringLiteral("revoked")).toInt() >= 1, revoked.body.constData());
    const auto grantEvent = [this, eventsBefore] {
        const auto &events = m_client->events();
        for (qsizetype i = eventsBefore; i < events.size(); ++i) {
            const auto &event = events.at(i);
            if (event.name == "server.changed" && latchkey::ipc::jsonString(event.data, "name") == m_secondName &&
                latchkey::ipc::jsonString(event.data, "change") == QStringLiteral("grant")) {
                return true;
            }
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(grantEvent(), (kAccessTtl + 10) * 1000);
    QCOMPARE(asStats().value(QStringLiteral("refresh_grants")).toInt(), refreshesBefore + 1); // tried once
    const Response refused = m_client->call("token.get", {{"name", m_secondName.toStdString()}});
    QCOMPARE(refused.errorCode, std::string("needs_login"));
    QVERIFY2(QString::fromStdString(refused.errorMessage).contains(QStringLiteral("invalid_grant")),
             describe(refused).constData());
    QVERIFY(secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(m_secondName)).isEmpty());
    const auto cli = m_daemon->cli({QStringLiteral("token"), m_secondName});
    QCOMPARE(cli.exitCode, 1);
    QVERIFY2(cli.err.contains("latchkey login"), cli.err.constData());
    const auto loggedOut = m_daemon->cli({QStringLiteral("logout"), m_secondName});
    QVERIFY2(loggedOut.exitCode == 0, loggedOut.err.constData());
}

QTEST_GUILESS_MAIN(TestOAuthEndToEnd)
#include "TestOAuthEndToEnd.moc"
