// Unit tests for Discovery against an in-process HTTP server playing the MCP server and its AS:
// the 401 probe, Protected Resource Metadata (hint, path-inserted, root) with the RFC 9728 resource
// check, AS metadata candidates in order with the RFC 8414 issuer check, PKCE S256, the 2025-03-26
// fallback, and which scopes sign-in will ask for (mcp-auth.md items 1-4 and 6).
#include "Discovery.h"
#include "FakeHttpServer.h"
#include "HttpFetcher.h"
#include "ResourceUri.h"

#include <QTcpServer>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::Discovery;
using latchkey::DiscoveryResult;
using latchkey::HttpFetcher;
using latchkey::test::FakeHttpServer;
using Response = FakeHttpServer::Response;
using nlohmann::json;

namespace {

const QString kPrmPath = QStringLiteral("/.well-known/oauth-protected-resource/mcp");
const QString kPrmRoot = QStringLiteral("/.well-known/oauth-protected-resource");

struct Outcome
{
    int calls = 0;
    std::optional<DiscoveryResult> result;
    QString error;
};

QByteArray bytes(const json &doc)
{
    return QByteArray::fromStdString(doc.dump());
}

std::string u8s(const QString &text)
{
    return text.toStdString();
}

} // namespace

class TestDiscovery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void authNotRequired();
    void probeIsAnUnauthenticatedInitialize();
    void probeSessionEnded();
    void hintUsed();
    void unacceptableHintIgnored();
    void challengeAmongSeveral();
    void pathInsertedThenRoot();
    void pathInsertedWins();
    void brokenPrmSkipped();
    void prmResourceMismatch_data();
    void prmResourceMismatch();
    void prmOriginResourceAccepted();
    void unusableIssuer();
    void asMetadataOrder();
    void asMetadataFirstCandidateWins();
    void asMetadataRootIssuer();
    void allCandidatesWrongIssuer();
    void noS256Refused();
    void legacyFallbackDefaults();
    void legacyWithMetadata();
    void legacyBrokenMetadataNotReplacedByDefaults();
    void scopes_data();
    void scopes();
    void unreachableServer();
    void unprotectedErrorWithoutMetadata();
    void unusableServerUrl();

private:
    QString serverUrl() const { return m_server->urlString(QStringLiteral("/mcp")); }
    QString origin() const { return m_server->origin(); }
    json prm(const QString &issuer, const QStringList &scopes = {}, const QString &resource = {}) const;
    json asDoc(const QString &issuer, const QString &tag = QStringLiteral("main"),
               const QStringList &scopes = {}) const;
    Response challenge(const QByteArray &params) const;
    Outcome discover(const QString &url);
    Outcome discover() { return discover(serverUrl()); }

    std::unique_ptr<FakeHttpServer> m_server;
    std::unique_ptr<HttpFetcher> m_http;
    std::unique_ptr<Discovery> m_discovery;
};

void TestDiscovery::init()
{
    m_server = std::make_unique<FakeHttpServer>();
    QVERIFY(m_server->isListening());
    m_http = std::make_unique<HttpFetcher>();
    m_http->setTimeout(5000);
    m_discovery = std::make_unique<Discovery>(*m_http);
}

void TestDiscovery::cleanup()
{
    m_discovery.reset();
    m_http.reset();
    m_server.reset();
}

json TestDiscovery::prm(const QString &issuer, const QStringList &scopes, const QString &resource) const
{
    json doc = {{"resource", u8s(resource.isEmpty() ? serverUrl() : resource)},
                {"authorization_servers", {u8s(issuer)}},
                {"bearer_methods_supported", {"header"}}};
    if (!scopes.isEmpty()) {
        json list = json::array();
        for (const QString &scope : scopes) {
            list.push_back(u8s(scope));
        }
        doc["scopes_supported"] = list;
    }
    return doc;
}

// Endpoints tagged so a test can tell which document was used.
json TestDiscovery::asDoc(const QString &issuer, const QString &tag, const QStringList &scopes) const
{
    json doc = {{"issuer", u8s(issuer)},
                {"authorization_endpoint", u8s(origin() + QStringLiteral("/%1/authorize").arg(tag))},
                {"token_endpoint", u8s(origin() + QStringLiteral("/%1/token").arg(tag))},
                {"registration_endpoint", u8s(origin() + QStringLiteral("/%1/register").arg(tag))},
                {"code_challenge_methods_supported", {"S256"}},
                {"grant_types_supported", {"authorization_code", "refresh_token"}}};
    if (!scopes.isEmpty()) {
        json list = json::array();
        for (const QString &scope : scopes) {
            list.push_back(u8s(scope));
        }
        doc["scopes_supported"] = list;
    }
    return doc;
}

Response TestDiscovery::challenge(const QByteArray &params) const
{
    Response response = Response::json(401, R"({"error":"unauthorized"})");
    response.withHeader("WWW-Authenticate", params.isEmpty() ? QByteArray("Bearer") : "Bearer " + params);
    return response;
}

Outcome TestDiscovery::discover(const QString &url)
{
    Outcome outcome;
    m_discovery->discover(url, [&outcome](const std::optional<DiscoveryResult> &result, const QString &error) {
        ++outcome.calls;
        outcome.result = result;
        outcome.error = error;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(outcome.calls > 0, 15000); }();
    return outcome;
}

void TestDiscovery::authNotRequired()
{
    m_server->on(QStringLiteral("/mcp"),
                 Response::json(200, R"({"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18"}})"));
    const Outcome outcome = discover();
    QCOMPARE(outcome.calls, 1);
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QVERIFY(!outcome.result->authRequired);
    QCOMPARE(outcome.result->resource, serverUrl());
    QVERIFY(!outcome.result->protectedResource);
    // Nothing else is fetched for a server that needs no sign-in.
    QCOMPARE(m_server->log(), QStringList{QStringLiteral("POST /mcp")});
}

void TestDiscovery::probeIsAnUnauthenticatedInitialize()
{
    m_server->on(QStringLiteral("/mcp"), Response::json(200, "{}"));
    discover();
    QCOMPARE(m_server->requestCount(), 1);
    const FakeHttpServer::Request probe = m_server->requests().front();
    QCOMPARE(probe.method, QByteArray("POST"));
    QVERIFY(probe.header("Authorization").isEmpty());
    QCOMPARE(probe.header("Content-Type"), QByteArray("application/json"));
    QVERIFY(probe.header("Accept").contains("application/json"));
    QVERIFY(probe.header("Accept").contains("text/event-stream"));
    const json body = json::parse(probe.body.constData());
    QCOMPARE(QString::fromStdString(body.at("method").get<std::string>()), QStringLiteral("initialize"));
    QCOMPARE(QString::fromStdString(body.at("jsonrpc").get<std::string>()), QStringLiteral("2.0"));
}

void TestDiscovery::probeSessionEnded()
{
    // A session-ful server that needs no sign-in: the probe's session is ended, not left open.
    m_server->on(QStringLiteral("/mcp"),
                 Response::json(200, R"({"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18"}})")
                     .withHeader("Mcp-Session-Id", "probe-session-1"));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QVERIFY(!outcome.result->authRequired);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(), 2, 10000);
    const FakeHttpServer::Request end = m_server->requests().at(1);
    QCOMPARE(end.method, QByteArray("DELETE"));
    QCOMPARE(end.path, QStringLiteral("/mcp"));
    QCOMPARE(end.header("Mcp-Session-Id"), QByteArray("probe-session-1"));
    QVERIFY(end.header("Authorization").isEmpty());
}

void TestDiscovery::hintUsed()
{
    const QString hint = origin() + QStringLiteral("/meta/prm");
    const QString issuer = origin() + QStringLiteral("/as");
    m_server->on(QStringLiteral("/mcp"), challenge("resource_metadata=\"" + hint.toLatin1() + '"'));
    m_server->on(QStringLiteral("/meta/prm"), Response::json(200, bytes(prm(issuer))));
    // Well-known PRM naming another AS: must not be consulted when the hint is good.
    m_server->on(kPrmPath, Response::json(200, bytes(prm(origin() + QStringLiteral("/wrong")))));
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(origin() + QStringLiteral("/wrong")))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/as"),
                 Response::json(200, bytes(asDoc(issuer))));

    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    const DiscoveryResult &result = *outcome.result;
    QVERIFY(result.authRequired);
    QVERIFY(!result.legacy);
    QCOMPARE(result.resourceMetadataUrl, hint);
    QCOMPARE(result.protectedResource->authorizationServers, QStringList{issuer});
    QCOMPARE(result.authorizationServer.issuer, issuer);
    QCOMPARE(result.authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/main/token")));
    QCOMPARE(result.resource, serverUrl());
    QCOMPARE(m_server->log(), (QStringList{QStringLiteral("POST /mcp"), QStringLiteral("GET /meta/prm"),
                                           QStringLiteral("GET /.well-known/oauth-authorization-server/as")}));
}

void TestDiscovery::unacceptableHintIgnored()
{
    // A hint Latchkey will not fetch (plain http to a remote host): constructed URLs instead.
    const QString issuer = origin();
    m_server->on(QStringLiteral("/mcp"), challenge(R"(resource_metadata="http://evil.example.com/prm")"));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::json(200, bytes(asDoc(issuer))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->resourceMetadataUrl, m_server->urlString(kPrmPath));
    QCOMPARE(m_server->log().at(1), QStringLiteral("GET ") + kPrmPath);
}

void TestDiscovery::challengeAmongSeveral()
{
    // Two WWW-Authenticate fields, the Bearer challenge second (Qt joins them into one list).
    const QString hint = origin() + QStringLiteral("/meta/prm");
    Response unauthorized = Response::json(401, "{}");
    unauthorized.withHeader("WWW-Authenticate", R"(Basic realm="legacy")");
    unauthorized.withHeader("WWW-Authenticate",
                            "Bearer resource_metadata=\"" + hint.toLatin1() + R"(", scope="tools:run")");
    m_server->on(QStringLiteral("/mcp"), unauthorized);
    m_server->on(QStringLiteral("/meta/prm"), Response::json(200, bytes(prm(origin(), {QStringLiteral("other")}))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"),
                 Response::json(200, bytes(asDoc(origin()))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->resourceMetadataUrl, hint);
    QCOMPARE(outcome.result->scopes.toList(), QStringList{QStringLiteral("tools:run")});
}

void TestDiscovery::pathInsertedThenRoot()
{
    const QString issuer = origin() + QStringLiteral("/as");
    m_server->on(QStringLiteral("/mcp"), challenge(R"(realm="mcp")"));
    // No path-inserted document (404), the root one is there.
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/as"),
                 Response::json(200, bytes(asDoc(issuer))));

    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->resourceMetadataUrl, m_server->urlString(kPrmRoot));
    QCOMPARE(outcome.result->authorizationServer.issuer, issuer);
    QCOMPARE(m_server->log(), (QStringList{QStringLiteral("POST /mcp"), QStringLiteral("GET ") + kPrmPath,
                                           QStringLiteral("GET ") + kPrmRoot,
                                           QStringLiteral("GET /.well-known/oauth-authorization-server/as")}));
}

void TestDiscovery::pathInsertedWins()
{
    const QString issuer = origin() + QStringLiteral("/as");
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(origin() + QStringLiteral("/wrong")))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/as"),
                 Response::json(200, bytes(asDoc(issuer))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->resourceMetadataUrl, m_server->urlString(kPrmPath));
    QCOMPARE(m_server->requestCount(kPrmRoot), 0);
}

void TestDiscovery::brokenPrmSkipped()
{
    // Not metadata at the first location (an HTML page with 200): the next location is tried.
    const QString issuer = origin() + QStringLiteral("/as");
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::text(200, "<html>hello</html>"));
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/as"),
                 Response::json(200, bytes(asDoc(issuer))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->resourceMetadataUrl, m_server->urlString(kPrmRoot));
}

void TestDiscovery::prmResourceMismatch_data()
{
    QTest::addColumn<QString>("resource"); // %1 is the fake server's origin
    QTest::addColumn<bool>("viaHint");

    QTest::newRow("other path") << QStringLiteral("%1/other") << false;
    QTest::newRow("sibling prefix") << QStringLiteral("%1/mc") << false;
    QTest::newRow("longer path") << QStringLiteral("%1/mcp/v2") << false;
    QTest::newRow("other host") << QStringLiteral("http://localhost:%2/mcp") << false;
    QTest::newRow("other port") << QStringLiteral("http://127.0.0.1:1/mcp") << false;
    QTest::newRow("other scheme") << QStringLiteral("https://127.0.0.1:%2/mcp") << false;
    QTest::newRow("remote server") << QStringLiteral("https://mcp.example.com/mcp") << false;
    QTest::newRow("via hint") << QStringLiteral("https://mcp.example.com/mcp") << true;
}

void TestDiscovery::prmResourceMismatch()
{
    QFETCH(QString, resource);
    QFETCH(bool, viaHint);
    resource.replace(QStringLiteral("%1"), origin()).replace(QStringLiteral("%2"), QString::number(m_server->port()));
    const QString issuer = origin();
    const QString prmAt = viaHint ? QStringLiteral("/meta/prm") : kPrmPath;
    m_server->on(
        QStringLiteral("/mcp"),
        challenge(viaHint ? "resource_metadata=\"" + m_server->urlString(prmAt).toLatin1() + '"' : QByteArray()));
    m_server->on(prmAt, Response::json(200, bytes(prm(issuer, {}, resource))));
    // A matching root document is there too: a mismatch stops discovery, it does not move on.
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::json(200, bytes(asDoc(issuer))));

    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("RFC 9728")), qPrintable(outcome.error));
    QVERIFY2(outcome.error.contains(resource), qPrintable(outcome.error));
    for (const QString &line : m_server->log()) {
        QVERIFY2(!line.contains(QStringLiteral("authorization-server")) && !line.contains(QStringLiteral("openid")),
                 qPrintable(line));
    }
    QCOMPARE(m_server->requestCount(kPrmRoot), 0);
}

void TestDiscovery::prmOriginResourceAccepted()
{
    // A root PRM that names the origin (conformance auth/metadata-var2) stands for the server under it.
    const QString issuer = origin();
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmRoot, Response::json(200, bytes(prm(issuer, {}, origin()))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::json(200, bytes(asDoc(issuer))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->protectedResource->resource, origin());
    QCOMPARE(outcome.result->resource, serverUrl()); // which server this is stays its URL
    // What goes out as `resource` is the PRM's identifier exactly as published (2026-07-28): no "/" added.
    QCOMPARE(outcome.result->resourceIndicator, origin());
    QVERIFY(!outcome.result->resourceIndicator.endsWith(QLatin1Char('/')));
}

void TestDiscovery::unusableIssuer()
{
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(QStringLiteral("http://as.example.com")))));
    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("http://as.example.com")), qPrintable(outcome.error));
    QCOMPARE(m_server->requestCount(), 2); // the probe and the PRM; nothing sent anywhere else
}

void TestDiscovery::asMetadataOrder()
{
    const QString issuer = origin() + QStringLiteral("/tenant");
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    // 1. RFC 8414 path-inserted: a document for another issuer → not used, next candidate.
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/tenant"),
                 Response::json(200, bytes(asDoc(origin() + QStringLiteral("/other"), QStringLiteral("first")))));
    // 2. OIDC path-inserted: missing.
    // 3. OIDC path-appended: the right one.
    m_server->on(QStringLiteral("/tenant/.well-known/openid-configuration"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("third")))));

    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->authorizationServer.issuer, issuer);
    QCOMPARE(outcome.result->authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/third/token")));
    QCOMPARE(m_server->log(), (QStringList{QStringLiteral("POST /mcp"), QStringLiteral("GET ") + kPrmPath,
                                           QStringLiteral("GET /.well-known/oauth-authorization-server/tenant"),
                                           QStringLiteral("GET /.well-known/openid-configuration/tenant"),
                                           QStringLiteral("GET /tenant/.well-known/openid-configuration")}));
}

void TestDiscovery::asMetadataFirstCandidateWins()
{
    const QString issuer = origin() + QStringLiteral("/tenant");
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/tenant"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("first")))));
    m_server->on(QStringLiteral("/.well-known/openid-configuration/tenant"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("second")))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/first/token")));
    QCOMPARE(m_server->requestCount(QStringLiteral("/.well-known/openid-configuration/tenant")), 0);
}

void TestDiscovery::asMetadataRootIssuer()
{
    const QString issuer = origin();
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::text(500, "oops"));
    m_server->on(QStringLiteral("/.well-known/openid-configuration"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("oidc")))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/oidc/token")));
    QCOMPARE(m_server->log().mid(2), (QStringList{QStringLiteral("GET /.well-known/oauth-authorization-server"),
                                                  QStringLiteral("GET /.well-known/openid-configuration")}));
}

void TestDiscovery::allCandidatesWrongIssuer()
{
    const QString issuer = origin() + QStringLiteral("/tenant");
    const QByteArray impostor = bytes(asDoc(origin() + QStringLiteral("/impostor")));
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/tenant"), Response::json(200, impostor));
    m_server->on(QStringLiteral("/.well-known/openid-configuration/tenant"), Response::json(200, impostor));
    m_server->on(QStringLiteral("/tenant/.well-known/openid-configuration"), Response::json(200, impostor));
    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("RFC 8414")), qPrintable(outcome.error));
    QCOMPARE(m_server->requestCount(), 5);
}

void TestDiscovery::noS256Refused()
{
    const QString issuer = origin() + QStringLiteral("/tenant");
    json noPkce = asDoc(issuer, QStringLiteral("first"));
    noPkce["code_challenge_methods_supported"] = {"plain"};
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/tenant"), Response::json(200, bytes(noPkce)));
    // The issuer's own document is authoritative: a later candidate does not overrule it.
    m_server->on(QStringLiteral("/.well-known/openid-configuration/tenant"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("second")))));
    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("S256")), qPrintable(outcome.error));

    // Absent altogether: refused the same way.
    m_server->clearRequests();
    noPkce.erase("code_challenge_methods_supported");
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server/tenant"), Response::json(200, bytes(noPkce)));
    const Outcome absent = discover();
    QVERIFY(!absent.result);
    QVERIFY2(absent.error.contains(QStringLiteral("S256")), qPrintable(absent.error));
}

void TestDiscovery::legacyFallbackDefaults()
{
    // A 2025-03-26 server: 401, no PRM anywhere, no AS metadata: the default endpoints on its origin.
    m_server->on(QStringLiteral("/mcp"), Response::json(401, R"({"error":"unauthorized"})"));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    const DiscoveryResult &result = *outcome.result;
    QVERIFY(result.legacy);
    QVERIFY(result.authRequired);
    QVERIFY(!result.protectedResource);
    QVERIFY(result.resourceMetadataUrl.isEmpty());
    QCOMPARE(result.authorizationServer.issuer, origin());
    QCOMPARE(result.authorizationServer.authorizationEndpoint, QUrl(origin() + QStringLiteral("/authorize")));
    QCOMPARE(result.authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/token")));
    QCOMPARE(result.authorizationServer.registrationEndpoint, QUrl(origin() + QStringLiteral("/register")));
    QVERIFY(result.scopes.isEmpty());
    QCOMPARE(m_server->log(), (QStringList{QStringLiteral("POST /mcp"), QStringLiteral("GET ") + kPrmPath,
                                           QStringLiteral("GET ") + kPrmRoot,
                                           QStringLiteral("GET /.well-known/oauth-authorization-server"),
                                           QStringLiteral("GET /.well-known/openid-configuration")}));
}

void TestDiscovery::legacyWithMetadata()
{
    // No PRM, but the origin publishes AS metadata: that is used.
    m_server->on(QStringLiteral("/mcp"), challenge(R"(scope="files:read")"));
    m_server->on(
        QStringLiteral("/.well-known/oauth-authorization-server"),
        Response::json(200, bytes(asDoc(origin(), QStringLiteral("meta"), {QStringLiteral("offline_access")}))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QVERIFY(outcome.result->legacy);
    QCOMPARE(outcome.result->authorizationServer.tokenEndpoint, QUrl(origin() + QStringLiteral("/meta/token")));
    QCOMPARE(outcome.result->scopes.toList(),
             (QStringList{QStringLiteral("files:read"), QStringLiteral("offline_access")}));
}

void TestDiscovery::legacyBrokenMetadataNotReplacedByDefaults()
{
    // Metadata that is there but refused (no S256) is not papered over with the default endpoints.
    json doc = asDoc(origin());
    doc.erase("code_challenge_methods_supported");
    m_server->on(QStringLiteral("/mcp"), challenge({}));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"), Response::json(200, bytes(doc)));
    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("S256")), qPrintable(outcome.error));
}

void TestDiscovery::scopes_data()
{
    QTest::addColumn<QByteArray>("challengeParams");
    QTest::addColumn<QStringList>("prmScopes");
    QTest::addColumn<QStringList>("asScopes");
    QTest::addColumn<QStringList>("expected");

    const QStringList none;
    const QStringList prmScopes = {QStringLiteral("files:read"), QStringLiteral("files:write")};
    const QStringList asPlain = {QStringLiteral("openid"), QStringLiteral("files:read")};
    const QStringList asOffline = {QStringLiteral("openid"), QStringLiteral("offline_access")};

    // mcp-auth.md item 6: the challenge's scope first...
    QTest::newRow("challenge") << QByteArray(R"(scope="a b")") << prmScopes << asPlain
                               << QStringList{QStringLiteral("a"), QStringLiteral("b")};
    // ...else everything the PRM lists...
    QTest::newRow("prm") << QByteArray() << prmScopes << asPlain << prmScopes;
    QTest::newRow("empty challenge scope") << QByteArray(R"(scope="")") << prmScopes << asPlain << prmScopes;
    // ...else nothing.
    QTest::newRow("none") << QByteArray() << none << asPlain << none;
    // offline_access only when the AS lists it.
    QTest::newRow("challenge + offline") << QByteArray(R"(scope="a")") << prmScopes << asOffline
                                         << QStringList{QStringLiteral("a"), QStringLiteral("offline_access")};
    QTest::newRow("prm + offline") << QByteArray() << prmScopes << asOffline
                                   << QStringList{QStringLiteral("files:read"), QStringLiteral("files:write"),
                                                  QStringLiteral("offline_access")};
    QTest::newRow("only offline") << QByteArray() << none << asOffline << QStringList{QStringLiteral("offline_access")};
    QTest::newRow("offline already asked") << QByteArray(R"(scope="offline_access a")") << none << asOffline
                                           << QStringList{QStringLiteral("offline_access"), QStringLiteral("a")};
    QTest::newRow("AS without scopes") << QByteArray() << prmScopes << none << prmScopes;
}

void TestDiscovery::scopes()
{
    QFETCH(QByteArray, challengeParams);
    QFETCH(QStringList, prmScopes);
    QFETCH(QStringList, asScopes);
    QFETCH(QStringList, expected);

    const QString issuer = origin();
    m_server->on(QStringLiteral("/mcp"), challenge(challengeParams));
    m_server->on(kPrmPath, Response::json(200, bytes(prm(issuer, prmScopes))));
    m_server->on(QStringLiteral("/.well-known/oauth-authorization-server"),
                 Response::json(200, bytes(asDoc(issuer, QStringLiteral("main"), asScopes))));
    const Outcome outcome = discover();
    QVERIFY2(outcome.result, qPrintable(outcome.error));
    QCOMPARE(outcome.result->scopes.toList(), expected);
}

void TestDiscovery::unreachableServer()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    const Outcome outcome = discover(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port));
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("cannot reach")), qPrintable(outcome.error));
}

void TestDiscovery::unprotectedErrorWithoutMetadata()
{
    // Not 401 and no metadata: nothing to sign in to, and no guessing at legacy endpoints.
    m_server->on(QStringLiteral("/mcp"), Response::text(404, "no such thing"));
    const Outcome outcome = discover();
    QVERIFY(!outcome.result);
    QVERIFY2(outcome.error.contains(QStringLiteral("404")), qPrintable(outcome.error));
    for (const QString &line : m_server->log()) {
        QVERIFY2(!line.contains(QStringLiteral("authorization-server")), qPrintable(line));
    }
}

void TestDiscovery::unusableServerUrl()
{
    for (const QString &url : {QStringLiteral("http://mcp.example.com/mcp"), QStringLiteral("ftp://127.0.0.1/mcp"),
                               QStringLiteral("not a url"), QString()}) {
        const Outcome outcome = discover(url);
        QCOMPARE(outcome.calls, 1);
        QVERIFY(!outcome.result);
        QVERIFY(!outcome.error.isEmpty());
    }
    QCOMPARE(m_server->requestCount(), 0);
}

QTEST_GUILESS_MAIN(TestDiscovery)
#include "TestDiscovery.moc"
