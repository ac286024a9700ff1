// Unit tests for EnterpriseSession with MemoryStore as the keychain and in-process HTTP servers as the IdP
// and as three MCP servers, each its own AS (two offer the id-jag grant profile, one does not):
// the token exchange and jwt-bearer parameters on the wire, token sets stored and bound, an AS without
// id-jag → no exchange and "unsupported", a wrong issued_token_type refused, the IdP refusing → revoked,
// tokens deleted, audited, the other servers untouched, and renewal in the spec's order (the kept ID-JAG,
// a new ID-JAG, the IdP refresh token, then sign in again).
#include "AuditLog.h"
#include "ClientAuthentication.h"
#include "ClientRegistration.h"
#include "Discovery.h"
#include "EnterpriseSession.h"
#include "FakeHttpServer.h"
#include "HttpFetcher.h"
#include "MemoryStore.h"
#include "ServerRegistry.h"
#include "TestJwtKey.h"
#include "TokenManager.h"
#include "Vault.h"

#include <QDateTime>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace latchkey;
using latchkey::test::FakeHttpServer;
using latchkey::test::TestKey;
using nlohmann::json;
using Response = FakeHttpServer::Response;

namespace {

const QString kIdpClient = QStringLiteral("latchkey-at-idp");
const char *kIdJag = "urn:ietf:params:oauth:token-type:id-jag";

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

QByteArray bytes(const json &doc)
{
    return QByteArray::fromStdString(doc.dump());
}

std::string u8(const QString &text)
{
    return text.toStdString();
}

// An MCP server that is its own AS: 401 → PRM → AS metadata → token endpoint.
struct ResourceServer
{
    FakeHttpServer http;
    int issued = 0;

    void serve(bool idJag)
    {
        Response challenge = Response::json(401, R"({"error":"unauthorized"})");
        challenge.withHeader("WWW-Authenticate",
                             "Bearer resource_metadata=\"" +
                                 http.urlString(QStringLiteral("/.well-known/oauth-protected-resource/mcp")).toUtf8() +
                                 '"');
        http.on(QStringLiteral("/mcp"), challenge);
        http.on(QStringLiteral("/.well-known/oauth-protected-resource/mcp"),
                Response::json(200, bytes({{"resource", u8(resource())}, {"authorization_servers", {u8(issuer())}}})));
        json as = {{"issuer", u8(issuer())},
                   {"authorization_endpoint", u8(http.urlString(QStringLiteral("/authorize")))},
                   {"token_endpoint", u8(http.urlString(QStringLiteral("/token")))},
                   {"code_challenge_methods_supported", {"S256"}},
                   {"grant_types_supported", {"authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"}}};
        as["authorization_grant_profiles_supported"] =
            idJag ? json{"urn:ietf:params:oauth:grant-profile:id-jag"} : json{"urn:example:other-profile"};
        http.on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::json(200, bytes(as)));
        http.on(QStringLiteral("/token"), [this](const FakeHttpServer::Request &) {
            ++issued;
            return Response::json(
                200, bytes({{"access_token", "at-" + std::to_string(http.port()) + "-" + std::to_string(issued)},
                            {"token_type", "Bearer"},
                            {"expires_in", 3600}}));
        });
    }
    QString issuer() const { return http.origin(); }
    QString resource() const { return http.urlString(QStringLiteral("/mcp")); }
};

} // namespace

class TestEnterpriseSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void zeroTouch();
    void wrongIssuedTokenTypeRefused();
    void idpRefusalRevokes();
    void renewalOrder();
    void idpSessionEndedNeedsLogin();
    void browserSignIn_data();
    void browserSignIn();
    void handedInIdTokenWithoutKeys_data();
    void handedInIdTokenWithoutKeys();
    void optInDoesNotWaiveABadSignature();
    void signOutRevokesTheIdpRefreshToken_data();
    void signOutRevokesTheIdpRefreshToken();
    void serversDroppedFromThePolicyAreRetired();
    void anUnusablePolicyRetiresNothing();
    void aLockedKeychainKeepsTheDroppedServerMarked();

private:
    // The IdP's OIDC discovery document, with `extra` merged in (a null value drops the member).
    void serveIdpConfiguration(const json &extra);
    // signInWithIdToken, waited for: {error code, message}.
    QPair<QString, QString> handIn(const QByteArray &token, bool allowUnverified);
    QByteArray idToken(qint64 expiresIn = 600) const;
    QByteArray idJag(const QString &audience, qint64 expiresIn = 300);
    // The policy approving crm, wiki and legacy, less the servers named in `omit`.
    void writePolicy(const QStringList &omit = {});
    void signIn(const QString &refreshToken = {});
    void connectAll();
    TokenManager::Answer renew(const QString &server);
    const ServerRecord &record(const QString &name) const { return *m_registry->find(name); }
    std::optional<TokenSet> tokens(const QString &server);
    bool stored(const QString &key);
    QList<json> audit(const std::string &event) const;

    TestKey m_idpKey;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<FakeHttpServer> m_idp;
    std::unique_ptr<ResourceServer> m_crm;
    std::unique_ptr<ResourceServer> m_wiki;
    std::unique_ptr<ResourceServer> m_legacy;
    std::unique_ptr<MemoryStore> m_store;
    std::unique_ptr<Vault> m_vault;
    std::unique_ptr<ServerRegistry> m_registry;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<HttpFetcher> m_http;
    std::unique_ptr<Discovery> m_discovery;
    std::unique_ptr<ClientRegistration> m_registration;
    std::unique_ptr<TokenManager> m_tokens;
    std::unique_ptr<EnterpriseSession> m_session;
    // What the IdP's token endpoint does: by default an ID-JAG for whatever audience is asked.
    std::function<Response(const FakeHttpServer::Request &)> m_exchange;
    int m_jags = 0;
    QNetworkAccessManager m_browser;
};

void TestEnterpriseSession::initTestCase()
{
    m_idpKey = TestKey::make(QStringLiteral("ES256"), "idp-1");
}

QByteArray TestEnterpriseSession::idToken(qint64 expiresIn) const
{
    return m_idpKey.sign({{"iss", u8(m_idp->origin())},
                          {"aud", u8(kIdpClient)},
                          {"sub", "alice@example.com"},
                          {"iat", now()},
                          {"exp", now() + expiresIn}});
}

QByteArray TestEnterpriseSession::idJag(const QString &audience, qint64 expiresIn)
{
    ++m_jags;
    return m_idpKey.sign({{"iss", u8(m_idp->origin())},
                          {"aud", u8(audience)},
                          {"sub", "alice@example.com"},
                          {"jti", "jag-" + std::to_string(m_jags)},
                          {"iat", now()},
                          {"exp", now() + expiresIn}},
                         {{"typ", "oauth-id-jag+jwt"}});
}

void TestEnterpriseSession::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_idp = std::make_unique<FakeHttpServer>();
    m_crm = std::make_unique<ResourceServer>();
    m_wiki = std::make_unique<ResourceServer>();
    m_legacy = std::make_unique<ResourceServer>();
    m_crm->serve(true);
    m_wiki->serve(true);
    m_legacy->serve(false);
    m_idp->on(QStringLiteral("/.well-known/openid-configuration"),
              Response::json(200, bytes({{"issuer", u8(m_idp->origin())},
                                         {"authorization_endpoint", u8(m_idp->urlString(QStringLiteral("/authorize")))},
                                         {"token_endpoint", u8(m_idp->urlString(QStringLiteral("/token")))},
                                         {"jwks_uri", u8(m_idp->urlString(QStringLiteral("/jwks")))},
                                         {"code_challenge_methods_supported", {"S256"}}})));
    m_idp->on(QStringLiteral("/jwks"), Response::json(200, bytes({{"keys", {m_idpKey.jwk}}})));
    m_exchange = [this](const FakeHttpServer::Request &request) {
        return Response::json(
            200, bytes({{"access_token", idJag(request.formValue(QStringLiteral("audience"))).toStdString()},
                        {"issued_token_type", kIdJag},
                        {"token_type", "N_A"}}));
    };
    m_idp->on(QStringLiteral("/token"), [this](const FakeHttpServer::Request &request) { return m_exchange(request); });

    m_store = std::make_unique<MemoryStore>();
    m_vault = std::make_unique<Vault>(*m_store);
    m_registry = std::make_unique<ServerRegistry>(m_dir->filePath(QStringLiteral("servers.json")));
    m_registry->load();
    m_audit = std::make_unique<AuditLog>(m_dir->filePath(QStringLiteral("audit.jsonl")));
    m_http = std::make_unique<HttpFetcher>();
    m_discovery = std::make_unique<Discovery>(*m_http);
    m_registration = std::make_unique<ClientRegistration>(*m_http, *m_vault, ClientRegistration::Settings{});
    m_tokens = std::make_unique<TokenManager>(*m_vault, *m_registry, *m_http, *m_audit);
    m_tokens->setClientRegistration(m_registration.get());
    // The "browser" follows the IdP's redirect back to Latchkey's loopback listener, as a person's would.
    m_session = std::make_unique<EnterpriseSession>(*m_http, *m_discovery, *m_registration, *m_registry, *m_tokens,
                                                    *m_vault, *m_audit, [this](const QUrl &url, QString *) {
                                                        m_browser.get(QNetworkRequest(url));
                                                        return true;
                                                    });
    m_tokens->setRenewer(
        [this](const QString &server, TokenManager::Callback done) { m_session->renew(server, std::move(done)); });
    // crm's AS knows Latchkey as a confidential client (its secret in the keychain); wiki's as a public one.
    m_store->write(ClientRegistration::secretVaultKey(m_crm->issuer()), "crm-secret",
                   [](const SecretStore::Result &) {});
}

void TestEnterpriseSession::cleanup()
{
    m_session.reset();
    m_tokens.reset();
    m_registration.reset();
    m_discovery.reset();
    m_http.reset();
    m_audit.reset();
    m_registry.reset();
    m_vault.reset();
    m_store.reset();
    m_legacy.reset();
    m_wiki.reset();
    m_crm.reset();
    m_idp.reset();
    m_dir.reset();
}

void TestEnterpriseSession::writePolicy(const QStringList &omit)
{
    json policy = {
        {"schema", 1},
        {"idp", {{"issuer", u8(m_idp->origin())}, {"client_id", u8(kIdpClient)}}},
        {"servers",
         {{{"name", "crm"},
           {"url", u8(m_crm->resource())},
           {"scopes", {"crm.read"}},
           {"client_id", "lk-at-crm"},
           {"client_auth", "client_secret_basic"}},
          {{"name", "wiki"}, {"url", u8(m_wiki->resource())}, {"client_id", "lk-at-wiki"}, {"client_auth", "none"}},
          {{"name", "legacy"}, {"url", u8(m_legacy->resource())}, {"client_id", "lk-at-legacy"}}}}};
    json kept = json::array();
    for (const json &server : policy["servers"]) {
        if (!omit.contains(QString::fromStdString(server["name"].get<std::string>()))) {
            kept.push_back(server);
        }
    }
    policy["servers"] = kept;
    const QString path = m_dir->filePath(QStringLiteral("policy.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes(policy));
    file.close();
    const ManagedPolicy::Loaded loaded = ManagedPolicy::loadFile(path, false);
    QVERIFY2(loaded.policy, qPrintable(loaded.error));
    m_session->setPolicy(loaded);
}

void TestEnterpriseSession::signIn(const QString &refreshToken)
{
    writePolicy();
    if (!refreshToken.isEmpty()) {
        // As an earlier browser sign-in left it: an ID token and the IdP refresh token.
        json session = {{"v", 1},
                        {"id_token", idToken().toStdString()},
                        {"refresh_token", u8(refreshToken)},
                        {"subject", "alice@example.com"},
                        {"expires_at", now() + 600}};
        m_store->write(EnterpriseSession::sessionVaultKey(m_idp->origin()), bytes(session),
                       [](const SecretStore::Result &) {});
        writePolicy(); // reads the session
        QVERIFY(m_session->status()["idp"]["signedIn"].get<bool>());
        return;
    }
    const auto [code, message] = handIn(idToken(), false);
    QVERIFY2(code.isEmpty(), qPrintable(message));
}

QPair<QString, QString> TestEnterpriseSession::handIn(const QByteArray &token, bool allowUnverified)
{
    std::optional<QPair<QString, QString>> result;
    m_session->signInWithIdToken(token, allowUnverified, [&](const QString &code, const QString &message) {
        result = {code, message};
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 15000); }();
    return result.value_or(qMakePair(QStringLiteral("timeout"), QString()));
}

void TestEnterpriseSession::serveIdpConfiguration(const json &extra)
{
    json doc = {{"issuer", u8(m_idp->origin())},
                {"authorization_endpoint", u8(m_idp->urlString(QStringLiteral("/authorize")))},
                {"token_endpoint", u8(m_idp->urlString(QStringLiteral("/token")))},
                {"jwks_uri", u8(m_idp->urlString(QStringLiteral("/jwks")))},
                {"code_challenge_methods_supported", {"S256"}}};
    doc.merge_patch(extra);
    m_idp->on(QStringLiteral("/.well-known/openid-configuration"), Response::json(200, bytes(doc)));
}

void TestEnterpriseSession::connectAll()
{
    bool done = false;
    m_session->connectAll([&] { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 30000);
}

TokenManager::Answer TestEnterpriseSession::renew(const QString &server)
{
    std::optional<TokenManager::Answer> answer;
    m_session->renew(server, [&](const TokenManager::Answer &a) { answer = a; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 15000); }();
    return answer.value_or(TokenManager::Answer{});
}

std::optional<TokenSet> TestEnterpriseSession::tokens(const QString &server)
{
    std::optional<TokenSet> set;
    m_store->read(TokenManager::vaultKey(server), [&](const SecretStore::Result &result) {
        if (result.status == SecretStore::Status::Ok) {
            set = TokenSet::deserialize(result.value);
        }
    });
    return set;
}

bool TestEnterpriseSession::stored(const QString &key)
{
    bool found = false;
    m_store->read(key, [&](const SecretStore::Result &result) { found = result.status == SecretStore::Status::Ok; });
    return found;
}

QList<json> TestEnterpriseSession::audit(const std::string &event) const
{
    QList<json> out;
    for (const json &entry : m_audit->read({}, 1000)) {
        if (entry.value("event", std::string()) == event) {
            out.append(entry);
        }
    }
    return out;
}

void TestEnterpriseSession::zeroTouch()
{
    signIn();
    connectAll();
    // One exchange per id-jag server, none for the AS without the profile.
    const auto exchanges = m_idp->requests(QStringLiteral("/token"));
    QCOMPARE(exchanges.size(), 2);
    const FakeHttpServer::Request &first = exchanges[0];
    QCOMPARE(first.formValue(QStringLiteral("grant_type")),
             QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange"));
    QCOMPARE(first.formValue(QStringLiteral("requested_token_type")), QString::fromLatin1(kIdJag));
    QCOMPARE(first.formValue(QStringLiteral("audience")), m_crm->issuer());
    QCOMPARE(first.formValue(QStringLiteral("resource")), m_crm->resource());
    QCOMPARE(first.formValue(QStringLiteral("scope")), QStringLiteral("crm.read"));
    QCOMPARE(first.formValue(QStringLiteral("subject_token_type")),
             QStringLiteral("urn:ietf:params:oauth:token-type:id_token"));
    const QString subjectToken = first.formValue(QStringLiteral("subject_token"));
    QCOMPARE(subjectToken.count(QLatin1Char('.')), 2);                  // the ID token the session holds
    QCOMPARE(first.formValue(QStringLiteral("client_id")), kIdpClient); // a public client at the IdP
    QCOMPARE(exchanges[1].formValue(QStringLiteral("audience")), m_wiki->issuer());
    QCOMPARE(m_legacy->http.requestCount(QStringLiteral("/token")), 0);

    // The jwt-bearer grant at crm's AS, with its client authentication (client_secret_basic).
    const auto grants = m_crm->http.requests(QStringLiteral("/token"));
    QCOMPARE(grants.size(), 1);
    QCOMPARE(grants[0].formValue(QStringLiteral("grant_type")),
             QStringLiteral("urn:ietf:params:oauth:grant-type:jwt-bearer"));
    QVERIFY(grants[0].formValue(QStringLiteral("assertion")).count(QLatin1Char('.')) == 2);
    QCOMPARE(grants[0].formValue(QStringLiteral("resource")), m_crm->resource());
    QCOMPARE(grants[0].header("Authorization"),
             ClientAuthentication::basicAuthorization(QStringLiteral("lk-at-crm"), QStringLiteral("crm-secret")));
    QCOMPARE(m_wiki->http.requests(QStringLiteral("/token"))[0].formValue(QStringLiteral("client_id")),
             QStringLiteral("lk-at-wiki"));

    // Stored like any other grant, bound to (AS, client, resource).
    const auto crm = tokens(QStringLiteral("crm"));
    QVERIFY(crm);
    QVERIFY(crm->isBoundTo(m_crm->issuer(), QStringLiteral("lk-at-crm"), m_crm->resource()));
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("connected"));
    QCOMPARE(record(QStringLiteral("crm")).remote.grant, RemoteServer::GrantState::Active);
    QVERIFY(record(QStringLiteral("crm")).toJson()["grant_kind"] == "enterprise");
    QVERIFY(tokens(QStringLiteral("wiki")));
    // Offered per-user sign-in instead.
    QCOMPARE(record(QStringLiteral("legacy")).remote.enterpriseState, QStringLiteral("unsupported"));
    QVERIFY(record(QStringLiteral("legacy")).toJson()["grant_kind"] == "oauth");
    QVERIFY(!tokens(QStringLiteral("legacy")));
    QCOMPARE(audit("enterprise.unsupported").size(), 1);
    QCOMPARE(audit("enterprise.token").size(), 2);

    // token.get serves it like any other grant, without another request.
    std::optional<TokenManager::Answer> answer;
    m_tokens->accessToken(QStringLiteral("crm"), [&](const TokenManager::Answer &a) { answer = a; });
    QTRY_VERIFY_WITH_TIMEOUT(answer.has_value(), 15000);
    QCOMPARE(answer->accessToken, crm->accessToken);

    // Nothing that could be an ID token or ID-JAG in the audit log.
    QFile log(m_audit->path());
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray written = log.readAll();
    QVERIFY(!written.contains(subjectToken.toUtf8()));
    QVERIFY(!written.contains(subjectToken.split(QLatin1Char('.'))[2].toUtf8()));
    QVERIFY(!written.contains(grants[0].formValue(QStringLiteral("assertion")).toUtf8()));

    const json status = m_session->status();
    QVERIFY(status["idp"]["subject"] == "alice@example.com");
    QVERIFY(status["servers"].size() == 3);
    QVERIFY(status["servers"][0]["state"] == "connected");
    QVERIFY(status["servers"][2]["state"] == "unsupported");
}

void TestEnterpriseSession::wrongIssuedTokenTypeRefused()
{
    m_exchange = [this](const FakeHttpServer::Request &request) {
        return Response::json(
            200, bytes({{"access_token", idJag(request.formValue(QStringLiteral("audience"))).toStdString()},
                        {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                        {"token_type", "Bearer"}}));
    };
    signIn();
    connectAll();
    QCOMPARE(m_crm->http.requestCount(QStringLiteral("/token")), 0); // never presented to the AS
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("error"));
    QVERIFY(record(QStringLiteral("crm")).remote.enterpriseReason.contains(QStringLiteral("not an ID-JAG")));
    QVERIFY(!tokens(QStringLiteral("crm")));
    QVERIFY(!stored(EnterpriseSession::assertionVaultKey(QStringLiteral("crm"))));
}

void TestEnterpriseSession::idpRefusalRevokes()
{
    signIn();
    connectAll();
    QVERIFY(tokens(QStringLiteral("crm")) && tokens(QStringLiteral("wiki")));
    // The admin removes crm: the AS will not take the old ID-JAG, the IdP will not issue another.
    m_crm->http.on(QStringLiteral("/token"), Response::json(400, R"({"error":"invalid_grant"})"));
    m_exchange = [this](const FakeHttpServer::Request &request) {
        if (request.formValue(QStringLiteral("resource")) == m_crm->resource()) {
            return Response::json(
                400, R"({"error":"invalid_grant","error_description":"access to crm revoked by admin\u001b[31m"})");
        }
        return Response::json(
            200, bytes({{"access_token", idJag(request.formValue(QStringLiteral("audience"))).toStdString()},
                        {"issued_token_type", kIdJag},
                        {"token_type", "N_A"}}));
    };
    const TokenManager::Answer answer = renew(QStringLiteral("crm"));
    QVERIFY(answer.accessToken.isEmpty());
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY2(answer.message.contains(QStringLiteral("access to crm revoked by admin")), qPrintable(answer.message));
    QVERIFY(!tokens(QStringLiteral("crm")));
    QVERIFY(!stored(EnterpriseSession::assertionVaultKey(QStringLiteral("crm"))));
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("revoked"));
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseReason,
             QStringLiteral("access to crm revoked by admin[31m"));
    const auto revoked = audit("enterprise.revoked");
    QCOMPARE(revoked.size(), 1);
    QVERIFY(revoked[0]["server"] == "crm");
    QVERIFY(!QString::fromStdString(revoked[0]["reason"].get<std::string>()).contains(QChar(0x1b))); // sanitized
    // token.get now says so at once; wiki is untouched and still renews.
    std::optional<TokenManager::Answer> refused;
    m_tokens->accessToken(QStringLiteral("crm"), [&](const TokenManager::Answer &a) { refused = a; });
    QTRY_VERIFY_WITH_TIMEOUT(refused.has_value(), 15000);
    QCOMPARE(refused->errorCode, QStringLiteral("needs_login"));
    QCOMPARE(record(QStringLiteral("wiki")).remote.enterpriseState, QStringLiteral("connected"));
    QVERIFY(tokens(QStringLiteral("wiki")));
    QVERIFY(!renew(QStringLiteral("wiki")).accessToken.isEmpty());
}

void TestEnterpriseSession::renewalOrder()
{
    signIn(QStringLiteral("idp-refresh-1"));
    connectAll();
    QCOMPARE(m_idp->requestCount(QStringLiteral("/token")), 2);
    const QString firstJag = m_crm->http.requests(QStringLiteral("/token"))[0].formValue(QStringLiteral("assertion"));

    // 1. The kept ID-JAG is presented again: no trip to the IdP.
    QVERIFY(!renew(QStringLiteral("crm")).accessToken.isEmpty());
    QCOMPARE(m_idp->requestCount(QStringLiteral("/token")), 2);
    QCOMPARE(m_crm->http.requests(QStringLiteral("/token")).last().formValue(QStringLiteral("assertion")), firstJag);

    // 2. The AS refuses it: a new ID-JAG for the ID token we hold.
    m_crm->http.on(QStringLiteral("/token"), [this, firstJag](const FakeHttpServer::Request &request) {
        if (request.formValue(QStringLiteral("assertion")) == firstJag) {
            return Response::json(400, R"({"error":"invalid_grant"})");
        }
        return Response::json(200, R"({"access_token":"at-crm-new","token_type":"Bearer","expires_in":3600})");
    });
    QCOMPARE(renew(QStringLiteral("crm")).accessToken, QStringLiteral("at-crm-new"));
    auto idpRequests = m_idp->requests(QStringLiteral("/token"));
    QCOMPARE(idpRequests.size(), 3);
    QCOMPARE(idpRequests.last().formValue(QStringLiteral("grant_type")),
             QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange"));

    // 3. The IdP refuses the ID token we hold: the IdP refresh token gets a new one, then a new ID-JAG.
    m_vault->remove(EnterpriseSession::assertionVaultKey(QStringLiteral("crm")), [](const SecretStore::Result &) {});
    int exchanges = 0;
    m_exchange = [this, &exchanges](const FakeHttpServer::Request &request) {
        if (request.formValue(QStringLiteral("grant_type")) == QStringLiteral("refresh_token")) {
            return Response::json(200, bytes({{"id_token", idToken().toStdString()},
                                              {"refresh_token", "idp-refresh-2"},
                                              {"token_type", "Bearer"},
                                              {"expires_in", 600}}));
        }
        if (++exchanges == 1) {
            return Response::json(400, R"({"error":"invalid_grant","error_description":"subject token expired"})");
        }
        return Response::json(
            200, bytes({{"access_token", idJag(request.formValue(QStringLiteral("audience"))).toStdString()},
                        {"issued_token_type", kIdJag},
                        {"token_type", "N_A"}}));
    };
    QCOMPARE(renew(QStringLiteral("crm")).accessToken, QStringLiteral("at-crm-new"));
    idpRequests = m_idp->requests(QStringLiteral("/token"));
    QCOMPARE(idpRequests.size(), 6);
    QCOMPARE(idpRequests[3].formValue(QStringLiteral("grant_type")),
             QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange"));
    QCOMPARE(idpRequests[4].formValue(QStringLiteral("grant_type")), QStringLiteral("refresh_token"));
    QCOMPARE(idpRequests[4].formValue(QStringLiteral("refresh_token")), QStringLiteral("idp-refresh-1"));
    QCOMPARE(idpRequests[5].formValue(QStringLiteral("grant_type")),
             QStringLiteral("urn:ietf:params:oauth:grant-type:token-exchange"));
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("connected"));
    QVERIFY(m_session->status()["idp"]["refreshable"].get<bool>());
}

void TestEnterpriseSession::idpSessionEndedNeedsLogin()
{
    // 4. The ID token has expired and the IdP refuses the refresh token: sign in again, nothing revoked.
    signIn(QStringLiteral("idp-refresh-1"));
    connectAll();
    m_vault->remove(EnterpriseSession::assertionVaultKey(QStringLiteral("crm")), [](const SecretStore::Result &) {});
    m_exchange = [](const FakeHttpServer::Request &) {
        return Response::json(400, R"({"error":"invalid_grant","error_description":"session ended"})");
    };
    const TokenManager::Answer answer = renew(QStringLiteral("crm"));
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY2(answer.message.contains(QStringLiteral("latchkey enterprise login")), qPrintable(answer.message));
    QVERIFY(!m_session->status()["idp"]["signedIn"].get<bool>());
    QVERIFY(!stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
    QCOMPARE(audit("enterprise.revoked").size(), 0);
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("needs_login"));
}

void TestEnterpriseSession::browserSignIn_data()
{
    QTest::addColumn<bool>("sameNonce");
    QTest::newRow("nonce of this sign-in") << true;
    QTest::newRow("another nonce") << false;
}

void TestEnterpriseSession::browserSignIn()
{
    QFETCH(bool, sameNonce);
    // The IdP's authorization endpoint answers at once with a redirect carrying a code; its token
    // endpoint answers with an ID token (with the nonce it was given, or another) and a refresh token.
    m_idp->on(QStringLiteral("/.well-known/openid-configuration"),
              Response::json(200, bytes({{"issuer", u8(m_idp->origin())},
                                         {"authorization_endpoint", u8(m_idp->urlString(QStringLiteral("/authorize")))},
                                         {"token_endpoint", u8(m_idp->urlString(QStringLiteral("/token")))},
                                         {"jwks_uri", u8(m_idp->urlString(QStringLiteral("/jwks")))},
                                         {"scopes_supported", {"openid", "offline_access", "email"}},
                                         {"code_challenge_methods_supported", {"S256"}}})));
    QString nonce;
    m_idp->on(QStringLiteral("/authorize"), [&nonce](const FakeHttpServer::Request &request) {
        const QUrlQuery query(QString::fromUtf8(request.query));
        nonce = query.queryItemValue(QStringLiteral("nonce"), QUrl::FullyDecoded);
        QUrl back(query.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
        back.setQuery(QStringLiteral("code=c-1&state=") +
                      query.queryItemValue(QStringLiteral("state"), QUrl::FullyEncoded));
        return Response::text(302, {}).withHeader("Location", back.toEncoded());
    });
    m_exchange = [this, &nonce, sameNonce](const FakeHttpServer::Request &) {
        const json token = {{"iss", u8(m_idp->origin())},
                            {"aud", u8(kIdpClient)},
                            {"sub", "alice@example.com"},
                            {"nonce", u8(sameNonce ? nonce : QStringLiteral("replayed"))},
                            {"iat", now()},
                            {"exp", now() + 600}};
        return Response::json(200, bytes({{"access_token", "idp-at"},
                                          {"token_type", "Bearer"},
                                          {"id_token", m_idpKey.sign(token).toStdString()},
                                          {"refresh_token", "idp-rt"}}));
    };
    writePolicy();
    bool done = false;
    QString code;
    QString message;
    m_session->signIn([&](const QString &c, const QString &m) {
        done = true;
        code = c;
        message = m;
    });
    QTRY_VERIFY_WITH_TIMEOUT(done, 30000);
    // On the wire: PKCE S256, a nonce, openid + offline_access (offered), no resource; the verifier at the token
    // endpoint.
    const auto authorize = m_idp->requests(QStringLiteral("/authorize"));
    QCOMPARE(authorize.size(), 1);
    const QUrlQuery query(QString::fromUtf8(authorize[0].query));
    QCOMPARE(query.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
    QVERIFY(nonce.size() >= 43);
    QCOMPARE(query.queryItemValue(QStringLiteral("scope"), QUrl::FullyDecoded),
             QStringLiteral("openid offline_access"));
    QVERIFY(!query.hasQueryItem(QStringLiteral("resource")));
    const auto token = m_idp->requests(QStringLiteral("/token"));
    QCOMPARE(token.size(), 1);
    QCOMPARE(token[0].formValue(QStringLiteral("grant_type")), QStringLiteral("authorization_code"));
    QVERIFY(!token[0].formValue(QStringLiteral("code_verifier")).isEmpty());
    const json status = m_session->status();
    if (sameNonce) {
        QVERIFY2(code.isEmpty(), qPrintable(message));
        QVERIFY(status["idp"]["signedIn"].get<bool>());
        QVERIFY(status["idp"]["refreshable"].get<bool>());
        QVERIFY(status["idp"]["signatureChecked"].get<bool>());
        QVERIFY(status["idp"]["subject"] == "alice@example.com");
    } else {
        QCOMPARE(code, QStringLiteral("login_failed"));
        QVERIFY2(message.contains(QStringLiteral("nonce")), qPrintable(message));
        QVERIFY(!status["idp"]["signedIn"].get<bool>());
        QVERIFY(!stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
    }
}

void TestEnterpriseSession::handedInIdTokenWithoutKeys_data()
{
    QTest::addColumn<bool>("publishesJwksUri");
    QTest::addColumn<bool>("allowUnverified");
    QTest::newRow("jwks_uri answers 404, no opt-in") << true << false;
    QTest::newRow("no jwks_uri, no opt-in") << false << false;
    QTest::newRow("jwks_uri answers 404, opt-in") << true << true;
    QTest::newRow("no jwks_uri, opt-in") << false << true;
}

void TestEnterpriseSession::handedInIdTokenWithoutKeys()
{
    QFETCH(bool, publishesJwksUri);
    QFETCH(bool, allowUnverified);
    // The conformance suite's IdP: its jwks_uri answers 404 (or, here, it publishes none).
    m_idp->on(QStringLiteral("/jwks"), Response::json(404, R"({"error":"not_found"})"));
    serveIdpConfiguration(publishesJwksUri ? json::object() : json{{"jwks_uri", nullptr}});
    writePolicy();
    const auto [code, message] = handIn(idToken(), allowUnverified);
    const json status = m_session->status();
    if (!allowUnverified) {
        // A clear error that says how to opt in; nothing stored, not signed in; the refusal audited.
        QCOMPARE(code, QStringLiteral("login_failed"));
        QVERIFY2(message.contains(QStringLiteral("signature cannot be checked")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("--allow-unverified-id-token")), qPrintable(message));
        QVERIFY(!status["idp"]["signedIn"].get<bool>());
        QVERIFY(!stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
        const auto refused = audit("enterprise.login");
        QCOMPARE(refused.size(), 1);
        QVERIFY(refused[0]["result"] == "refused");
        QCOMPARE(audit("enterprise.id_token_unverified").size(), 0);
        return;
    }
    // Asked for: kept with its claims checked, shown as unverified, the downgrade audited with its cause.
    QVERIFY2(code.isEmpty(), qPrintable(message));
    QVERIFY(status["idp"]["signedIn"].get<bool>());
    QVERIFY(!status["idp"]["signatureChecked"].get<bool>());
    QVERIFY(stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
    const auto downgrades = audit("enterprise.id_token_unverified");
    QCOMPARE(downgrades.size(), 1);
    QVERIFY(downgrades[0]["idp"] == u8(m_idp->origin()));
    const QString reason = QString::fromStdString(downgrades[0]["reason"].get<std::string>());
    QVERIFY2(reason.contains(publishesJwksUri ? QStringLiteral("HTTP 404") : QStringLiteral("no jwks_uri")),
             qPrintable(reason));
    const auto signedIn = audit("enterprise.login");
    QCOMPARE(signedIn.size(), 1);
    QVERIFY(signedIn[0]["signature_checked"] == false);
    // Its claims are still checked: an expired token is refused even so.
    QCOMPARE(handIn(idToken(-600), true).first, QStringLiteral("login_failed"));
}

void TestEnterpriseSession::optInDoesNotWaiveABadSignature()
{
    // The keys are there: the opt-in changes nothing, a token signed by another key is refused.
    writePolicy();
    const TestKey rogue = TestKey::make(QStringLiteral("ES256"), "idp-1");
    const QByteArray forged = rogue.sign({{"iss", u8(m_idp->origin())},
                                          {"aud", u8(kIdpClient)},
                                          {"sub", "mallory"},
                                          {"iat", now()},
                                          {"exp", now() + 600}});
    const auto [code, message] = handIn(forged, true);
    QCOMPARE(code, QStringLiteral("login_failed"));
    QVERIFY2(message.contains(QStringLiteral("signature")), qPrintable(message));
    QVERIFY(!stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
    QCOMPARE(audit("enterprise.id_token_unverified").size(), 0);
}

void TestEnterpriseSession::signOutRevokesTheIdpRefreshToken_data()
{
    QTest::addColumn<int>("revocationStatus"); // 0: the IdP advertises no revocation_endpoint
    QTest::addColumn<QString>("result");
    QTest::newRow("revoked") << 200 << QStringLiteral("revoked");
    QTest::newRow("IdP refuses") << 503 << QStringLiteral("failed");
    QTest::newRow("not offered") << 0 << QStringLiteral("not_offered");
}

void TestEnterpriseSession::signOutRevokesTheIdpRefreshToken()
{
    QFETCH(int, revocationStatus);
    QFETCH(QString, result);
    if (revocationStatus != 0) {
        serveIdpConfiguration({{"revocation_endpoint", u8(m_idp->urlString(QStringLiteral("/revoke")))}});
        m_idp->on(QStringLiteral("/revoke"),
                  Response::json(revocationStatus,
                                 revocationStatus == 200 ? QByteArray("{}") : R"({"error":"unavailable"})"));
    }
    signIn(QStringLiteral("idp-refresh-1"));
    connectAll();
    QVERIFY(tokens(QStringLiteral("crm")));
    std::optional<EnterpriseSession::IdpRevocation> revocation;
    m_session->signOut([&](const EnterpriseSession::IdpRevocation &r) { revocation = r; });
    QTRY_VERIFY_WITH_TIMEOUT(revocation.has_value(), 15000);
    QCOMPARE(revocation->result, result);
    if (revocationStatus != 0) {
        // RFC 7009 at the IdP: the refresh token, its hint, Latchkey's (public) client.
        const auto revokes = m_idp->requests(QStringLiteral("/revoke"));
        QCOMPARE(revokes.size(), 1);
        QCOMPARE(revokes[0].formValue(QStringLiteral("token")), QStringLiteral("idp-refresh-1"));
        QCOMPARE(revokes[0].formValue(QStringLiteral("token_type_hint")), QStringLiteral("refresh_token"));
        QCOMPARE(revokes[0].formValue(QStringLiteral("client_id")), kIdpClient);
    }
    // Whatever the IdP said: everything local is gone, and the audit log says how the IdP revocation went.
    QVERIFY(!m_session->status()["idp"]["signedIn"].get<bool>());
    QVERIFY(!stored(EnterpriseSession::sessionVaultKey(m_idp->origin())));
    QVERIFY(!tokens(QStringLiteral("crm")));
    QVERIFY(!tokens(QStringLiteral("wiki")));
    QVERIFY(!stored(EnterpriseSession::assertionVaultKey(QStringLiteral("crm"))));
    const auto audited = audit("enterprise.idp_revocation");
    QCOMPARE(audited.size(), 1);
    QVERIFY(audited[0]["result"] == u8(result));
    QCOMPARE(audit("enterprise.logout").size(), 1);
}

void TestEnterpriseSession::serversDroppedFromThePolicyAreRetired()
{
    signIn();
    connectAll();
    QVERIFY(tokens(QStringLiteral("crm")) && tokens(QStringLiteral("wiki")));
    // The person's own server, with tokens of its own; and one of theirs named like nothing in the policy.
    ServerRecord mine;
    mine.name = QStringLiteral("mine");
    mine.kind = ServerRecord::Kind::Remote;
    mine.remote.url = QStringLiteral("https://mine.example/mcp");
    QString why;
    QVERIFY2(m_registry->add(mine, &why), qPrintable(why));
    TokenSet own;
    own.accessToken = QStringLiteral("mine-at");
    own.expiresAtMs = (now() + 3600) * 1000;
    m_store->write(TokenManager::vaultKey(QStringLiteral("mine")), own.serialize(), [](const SecretStore::Result &) {});

    // The admin drops wiki and legacy (legacy: unsupported, never had enterprise tokens).
    QSignalSpy removed(m_session.get(), &EnterpriseSession::serverRemoved);
    writePolicy({QStringLiteral("wiki"), QStringLiteral("legacy")});
    QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 2, 15000);
    QVERIFY(!m_registry->find(QStringLiteral("wiki")));
    QVERIFY(!m_registry->find(QStringLiteral("legacy")));
    QVERIFY(!tokens(QStringLiteral("wiki")));
    QVERIFY(!stored(EnterpriseSession::assertionVaultKey(QStringLiteral("wiki"))));
    const auto audited = audit("enterprise.server_removed");
    QCOMPARE(audited.size(), 2);
    for (const json &entry : audited) {
        QVERIFY(entry["result"] == "removed");
        QVERIFY(entry["reason"] == "no longer approved by the enterprise policy");
    }
    // Still listed: untouched. The person's own: untouched.
    QCOMPARE(record(QStringLiteral("crm")).remote.enterpriseState, QStringLiteral("connected"));
    QVERIFY(tokens(QStringLiteral("crm")));
    QVERIFY(m_registry->find(QStringLiteral("mine")));
    QVERIFY(stored(TokenManager::vaultKey(QStringLiteral("mine"))));
    QVERIFY(m_session->status()["servers"].size() == 1);

    // The same name at another URL is another server: the old record and its tokens go.
    writePolicy();
    connectAll();
    QVERIFY(tokens(QStringLiteral("wiki")));
    ServerRecord moved = record(QStringLiteral("wiki"));
    moved.remote.url = QStringLiteral("https://wiki.example/old-mcp");
    QVERIFY(m_registry->update(moved, &why));
    writePolicy();
    QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 3, 15000);
    QCOMPARE(removed.last().first().toString(), QStringLiteral("wiki"));
    QVERIFY(!tokens(QStringLiteral("wiki")));
}

void TestEnterpriseSession::anUnusablePolicyRetiresNothing()
{
    signIn();
    connectAll();
    QSignalSpy removed(m_session.get(), &EnterpriseSession::serverRemoved);
    ManagedPolicy::Loaded broken;
    broken.path = m_dir->filePath(QStringLiteral("policy.json"));
    broken.error = QStringLiteral("policy.json: servers[0].url: not a URL");
    m_session->setPolicy(broken);
    m_session->setPolicy(ManagedPolicy::Loaded{}); // no policy at all
    QVERIFY(m_registry->find(QStringLiteral("crm")) && m_registry->find(QStringLiteral("wiki")));
    QVERIFY(tokens(QStringLiteral("crm")) && tokens(QStringLiteral("wiki")));
    QCOMPARE(removed.size(), 0);
    QCOMPARE(audit("enterprise.server_removed").size(), 0);
}

void TestEnterpriseSession::aLockedKeychainKeepsTheDroppedServerMarked()
{
    signIn();
    connectAll();
    QVERIFY(tokens(QStringLiteral("wiki")));
    // The keychain is locked when the daemon starts with a policy without wiki: its tokens cannot be
    // deleted, so its record stays, marked, and nothing is renewed for it.
    m_store->setUnavailable(QStringLiteral("the keyring is locked"));
    writePolicy({QStringLiteral("wiki")});
    QTRY_COMPARE_WITH_TIMEOUT(record(QStringLiteral("wiki")).remote.enterpriseState, QStringLiteral("removed"), 15000);
    QVERIFY2(
        record(QStringLiteral("wiki")).remote.enterpriseReason.contains(QStringLiteral("could not be deleted yet")),
        qPrintable(record(QStringLiteral("wiki")).remote.enterpriseReason));
    const auto pending = audit("enterprise.server_removed");
    QCOMPARE(pending.size(), 1);
    QVERIFY(pending[0]["result"] == "pending");
    QCOMPARE(renew(QStringLiteral("wiki")).errorCode, QStringLiteral("needs_login"));
    // The next start, keychain open: retired for good.
    m_store->setUnavailable({});
    QSignalSpy removed(m_session.get(), &EnterpriseSession::serverRemoved);
    writePolicy({QStringLiteral("wiki")});
    QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 1, 15000);
    QVERIFY(!m_registry->find(QStringLiteral("wiki")));
    QVERIFY(!tokens(QStringLiteral("wiki")));
    QVERIFY(audit("enterprise.server_removed").last()["result"] == "removed");
}

QTEST_GUILESS_MAIN(TestEnterpriseSession)
#include "TestEnterpriseSession.moc"
