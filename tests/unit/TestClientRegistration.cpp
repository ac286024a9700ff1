// Unit tests for ClientRegistration: which way Latchkey is known to an AS (pre-registered → CIMD → DCR),
// what a Dynamic Client Registration request says (RFC 7591 / RFC 8252: native, public, loopback
// redirect), and that a DCR client is kept in the vault per issuer, reused, and forgotten on drop().
#include "ClientRegistration.h"
#include "FakeHttpServer.h"
#include "HttpFetcher.h"
#include "MemoryStore.h"
#include "Vault.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::AuthorizationServerMetadata;
using latchkey::ClientRegistration;
using latchkey::HttpFetcher;
using latchkey::MemoryStore;
using latchkey::SecretStore;
using latchkey::Vault;
using latchkey::test::FakeHttpServer;
using Response = FakeHttpServer::Response;
using nlohmann::json;

namespace {

struct Outcome
{
    int calls = 0;
    std::optional<ClientRegistration::Client> client;
    QString error;

    ClientRegistration::Callback callback()
    {
        return [this](const std::optional<ClientRegistration::Client> &c, const QString &e) {
            ++calls;
            client = c;
            error = e;
        };
    }
};

QString text(const json &doc, const char *key)
{
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

QStringList texts(const json &doc, const char *key)
{
    QStringList out;
    const auto it = doc.find(key);
    if (it != doc.end() && it->is_array()) {
        for (const auto &item : *it) {
            out << (item.is_string() ? QString::fromStdString(item.get<std::string>())
                                     : QStringLiteral("<not a string>"));
        }
    }
    return out;
}

} // namespace

class TestClientRegistration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void plan_data();
    void plan();
    void preregisteredSendsNothing();
    void cimdSendsNothing();
    void noWayToRegister();
    void dcrRequest();
    void dcrKeptAndReused();
    void dcrSecretKept();
    void registrationPerIssuer();
    void dropForgets();
    void dcrFailure_data();
    void dcrFailure();
    void keychainUnavailable();
    void keychainFailsOnWrite();
    void unreadableStoredRegistrationReplaced();
    void loadSettings();

private:
    AuthorizationServerMetadata as(const QString &tenant = QStringLiteral("t1"), bool dcr = true,
                                   bool cimd = false) const;
    std::unique_ptr<ClientRegistration> makeRegistration(ClientRegistration::Settings settings = {});
    Outcome ensure(ClientRegistration &registration, const AuthorizationServerMetadata &metadata);

    std::unique_ptr<FakeHttpServer> m_server;
    std::unique_ptr<MemoryStore> m_store;
    std::unique_ptr<Vault> m_vault;
    std::unique_ptr<HttpFetcher> m_http;
};

void TestClientRegistration::init()
{
    m_server = std::make_unique<FakeHttpServer>();
    QVERIFY(m_server->isListening());
    m_store = std::make_unique<MemoryStore>();
    m_vault = std::make_unique<Vault>(*m_store);
    m_http = std::make_unique<HttpFetcher>();
    m_http->setTimeout(5000);
}

void TestClientRegistration::cleanup()
{
    m_http.reset();
    m_vault.reset();
    m_store.reset();
    m_server.reset();
}

AuthorizationServerMetadata TestClientRegistration::as(const QString &tenant, bool dcr, bool cimd) const
{
    AuthorizationServerMetadata metadata;
    metadata.issuer = m_server->urlString(QLatin1Char('/') + tenant);
    metadata.authorizationEndpoint = m_server->url(QStringLiteral("/%1/authorize").arg(tenant));
    metadata.tokenEndpoint = m_server->url(QStringLiteral("/%1/token").arg(tenant));
    if (dcr) {
        metadata.registrationEndpoint = m_server->url(QStringLiteral("/%1/register").arg(tenant));
    }
    metadata.clientIdMetadataDocumentSupported = cimd;
    return metadata;
}

std::unique_ptr<ClientRegistration> TestClientRegistration::makeRegistration(ClientRegistration::Settings settings)
{
    return std::make_unique<ClientRegistration>(*m_http, *m_vault, std::move(settings));
}

Outcome TestClientRegistration::ensure(ClientRegistration &registration, const AuthorizationServerMetadata &metadata)
{
    Outcome outcome;
    registration.ensure(metadata, outcome.callback());
    [&] { QTRY_COMPARE_WITH_TIMEOUT(outcome.calls, 1, 10000); }();
    return outcome;
}

void TestClientRegistration::plan_data()
{
    QTest::addColumn<bool>("preregisteredHere");
    QTest::addColumn<bool>("preregisteredElsewhere");
    QTest::addColumn<bool>("documentUrl");
    QTest::addColumn<bool>("asSupportsCimd");
    QTest::addColumn<bool>("asHasDcr");
    QTest::addColumn<QString>("expected");

    // mcp-auth.md item 5: pre-registered → CIMD → DCR → ask the person.
    QTest::newRow("preregistered beats everything")
        << true << false << true << true << true << QStringLiteral("preregistered");
    QTest::newRow("preregistered, no DCR")
        << true << false << false << false << false << QStringLiteral("preregistered");
    QTest::newRow("other issuer's client does not count")
        << false << true << true << true << true << QStringLiteral("cimd");
    QTest::newRow("cimd beats dcr") << false << false << true << true << true << QStringLiteral("cimd");
    QTest::newRow("cimd without a document url") << false << false << false << true << true << QStringLiteral("dcr");
    QTest::newRow("document url, AS without cimd") << false << false << true << false << true << QStringLiteral("dcr");
    QTest::newRow("nothing") << false << true << true << false << false << QString();
}

void TestClientRegistration::plan()
{
    QFETCH(bool, preregisteredHere);
    QFETCH(bool, preregisteredElsewhere);
    QFETCH(bool, documentUrl);
    QFETCH(bool, asSupportsCimd);
    QFETCH(bool, asHasDcr);
    QFETCH(QString, expected);

    const AuthorizationServerMetadata metadata = as(QStringLiteral("t1"), asHasDcr, asSupportsCimd);
    ClientRegistration::Settings settings;
    if (preregisteredHere) {
        settings.preregistered.insert(metadata.issuer, QStringLiteral("pre-1"));
    }
    if (preregisteredElsewhere) {
        settings.preregistered.insert(metadata.issuer + QLatin1Char('/'), QStringLiteral("pre-other"));
        settings.preregistered.insert(m_server->urlString(QStringLiteral("/t2")), QStringLiteral("pre-t2"));
    }
    if (documentUrl) {
        settings.metadataDocumentUrl = QStringLiteral("https://latchkey.example/oauth/client.json");
    }
    const auto registration = makeRegistration(settings);
    QCOMPARE(registration->plan(metadata), expected);

    // ensure() does what plan() said.
    m_server->on(QStringLiteral("/t1/register"), Response::json(201, R"({"client_id":"dyn-1"})"));
    const Outcome outcome = ensure(*registration, metadata);
    if (expected.isEmpty()) {
        QVERIFY(!outcome.client);
    } else {
        QVERIFY2(outcome.client, qPrintable(outcome.error));
        QCOMPARE(outcome.client->method, expected);
    }
    QCOMPARE(m_server->requestCount(), expected == QStringLiteral("dcr") ? 1 : 0);
}

void TestClientRegistration::preregisteredSendsNothing()
{
    const AuthorizationServerMetadata metadata = as();
    ClientRegistration::Settings settings;
    settings.preregistered.insert(metadata.issuer, QStringLiteral("pre-1"));
    const auto registration = makeRegistration(settings);
    const Outcome outcome = ensure(*registration, metadata);
    QVERIFY(outcome.client);
    QCOMPARE(outcome.client->method, QStringLiteral("preregistered"));
    QCOMPARE(outcome.client->clientId, QStringLiteral("pre-1"));
    QVERIFY(outcome.client->clientSecret.isEmpty());
    QCOMPARE(m_server->requestCount(), 0);
    QVERIFY(!m_store->contains(ClientRegistration::vaultKey(metadata.issuer)));
}

void TestClientRegistration::cimdSendsNothing()
{
    const AuthorizationServerMetadata metadata = as(QStringLiteral("t1"), true, true);
    ClientRegistration::Settings settings;
    settings.metadataDocumentUrl = QStringLiteral("https://latchkey.example/oauth/client.json");
    const auto registration = makeRegistration(settings);
    const Outcome outcome = ensure(*registration, metadata);
    QVERIFY(outcome.client);
    QCOMPARE(outcome.client->method, QStringLiteral("cimd"));
    QCOMPARE(outcome.client->clientId, settings.metadataDocumentUrl); // the client_id is the document's URL
    QCOMPARE(m_server->requestCount(), 0);
}

void TestClientRegistration::noWayToRegister()
{
    const AuthorizationServerMetadata metadata = as(QStringLiteral("t1"), false, false);
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, metadata);
    QVERIFY(!outcome.client);
    QVERIFY2(outcome.error.contains(metadata.issuer), qPrintable(outcome.error));
    QVERIFY2(outcome.error.contains(QStringLiteral("oauth.json")), qPrintable(outcome.error));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestClientRegistration::dcrRequest()
{
    m_server->on(QStringLiteral("/t1/register"),
                 Response::json(201, R"({"client_id":"dyn-1","client_name":"Latchkey"})"));
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, as());
    QVERIFY2(outcome.client, qPrintable(outcome.error));
    QCOMPARE(outcome.client->method, QStringLiteral("dcr"));
    QCOMPARE(outcome.client->clientId, QStringLiteral("dyn-1"));
    QVERIFY(outcome.client->clientSecret.isEmpty());

    QCOMPARE(m_server->requestCount(), 1);
    const FakeHttpServer::Request request = m_server->requests().front();
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.path, QStringLiteral("/t1/register"));
    QCOMPARE(request.header("Content-Type"), QByteArray("application/json"));
    QVERIFY(request.header("Authorization").isEmpty());
    const json body = json::parse(request.body.constData());
    QVERIFY(body.is_object());
    // RFC 8252 §8.4 / MCP: a native public client.
    QCOMPARE(text(body, "application_type"), QStringLiteral("native"));
    QCOMPARE(text(body, "token_endpoint_auth_method"), QStringLiteral("none"));
    QVERIFY(!text(body, "client_name").isEmpty());
    QVERIFY(texts(body, "grant_types").contains(QStringLiteral("authorization_code")));
    QVERIFY(texts(body, "grant_types").contains(QStringLiteral("refresh_token")));
    QCOMPARE(texts(body, "response_types"), QStringList{QStringLiteral("code")});
    const QStringList redirects = texts(body, "redirect_uris");
    QVERIFY(!redirects.isEmpty());
    for (const QString &redirect : redirects) {
        // Loopback on 127.0.0.1 over http (RFC 8252 §7.3), never localhost or a remote host.
        const QUrl url(redirect);
        QCOMPARE(url.scheme(), QStringLiteral("http"));
        QCOMPARE(url.host(), QStringLiteral("127.0.0.1"));
        QCOMPARE(url.path(), QStringLiteral("/callback"));
        QVERIFY(url.userInfo().isEmpty());
        QVERIFY(!url.hasFragment());
    }
    QVERIFY(!body.contains("client_secret"));
}

void TestClientRegistration::dcrKeptAndReused()
{
    m_server->on(QStringLiteral("/t1/register"), QList<Response>{Response::json(201, R"({"client_id":"dyn-1"})"),
                                                                 Response::json(201, R"({"client_id":"dyn-2"})")});
    const AuthorizationServerMetadata metadata = as();
    {
        const auto registration = makeRegistration();
        const Outcome first = ensure(*registration, metadata);
        QVERIFY2(first.client, qPrintable(first.error));
        QCOMPARE(first.client->clientId, QStringLiteral("dyn-1"));
    }
    // In the keychain, keyed by the issuer.
    const QString key = ClientRegistration::vaultKey(metadata.issuer);
    QVERIFY(key.contains(metadata.issuer));
    QVERIFY(m_store->contains(key));
    QByteArray stored;
    m_store->read(key, [&stored](const SecretStore::Result &result) { stored = result.value; });
    const json doc = json::parse(stored.constData());
    QCOMPARE(text(doc, "client_id"), QStringLiteral("dyn-1"));
    QCOMPARE(text(doc, "issuer"), metadata.issuer);

    // A new daemon (fresh vault cache, fresh ClientRegistration) reuses it without registering again.
    m_vault = std::make_unique<Vault>(*m_store);
    const int readsBefore = m_store->readCount();
    const auto registration = makeRegistration();
    const Outcome second = ensure(*registration, metadata);
    QVERIFY2(second.client, qPrintable(second.error));
    QCOMPARE(second.client->method, QStringLiteral("dcr"));
    QCOMPARE(second.client->clientId, QStringLiteral("dyn-1"));
    QVERIFY(m_store->readCount() > readsBefore); // it came from the keychain
    const Outcome third = ensure(*registration, metadata);
    QCOMPARE(third.client->clientId, QStringLiteral("dyn-1"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/t1/register")), 1);
}

void TestClientRegistration::dcrSecretKept()
{
    m_server->on(QStringLiteral("/t1/register"),
                 Response::json(201, R"({"client_id":"dyn-1","client_secret":"s3cret","client_secret_expires_at":0})"));
    const AuthorizationServerMetadata metadata = as();
    const auto registration = makeRegistration();
    const Outcome first = ensure(*registration, metadata);
    QVERIFY(first.client);
    QCOMPARE(first.client->clientSecret, QStringLiteral("s3cret"));
    m_vault = std::make_unique<Vault>(*m_store);
    const auto again = makeRegistration();
    const Outcome second = ensure(*again, metadata);
    QVERIFY(second.client);
    QCOMPARE(second.client->clientSecret, QStringLiteral("s3cret"));
    QCOMPARE(m_server->requestCount(), 1);
}

void TestClientRegistration::registrationPerIssuer()
{
    m_server->on(QStringLiteral("/t1/register"), Response::json(201, R"({"client_id":"client-t1"})"));
    m_server->on(QStringLiteral("/t2/register"), Response::json(201, R"({"client_id":"client-t2"})"));
    const auto registration = makeRegistration();
    const AuthorizationServerMetadata t1 = as(QStringLiteral("t1"));
    const AuthorizationServerMetadata t2 = as(QStringLiteral("t2"));
    QCOMPARE(ensure(*registration, t1).client->clientId, QStringLiteral("client-t1"));
    // A different AS means a new registration, never the other issuer's client.
    QCOMPARE(ensure(*registration, t2).client->clientId, QStringLiteral("client-t2"));
    QCOMPARE(ensure(*registration, t1).client->clientId, QStringLiteral("client-t1"));
    QCOMPARE(ensure(*registration, t2).client->clientId, QStringLiteral("client-t2"));
    QCOMPARE(m_server->log(), (QStringList{QStringLiteral("POST /t1/register"), QStringLiteral("POST /t2/register")}));
    QVERIFY(ClientRegistration::vaultKey(t1.issuer) != ClientRegistration::vaultKey(t2.issuer));
}

void TestClientRegistration::dropForgets()
{
    m_server->on(QStringLiteral("/t1/register"), QList<Response>{Response::json(201, R"({"client_id":"dyn-1"})"),
                                                                 Response::json(201, R"({"client_id":"dyn-2"})")});
    m_server->on(QStringLiteral("/t2/register"), Response::json(201, R"({"client_id":"other"})"));
    const AuthorizationServerMetadata t1 = as(QStringLiteral("t1"));
    const AuthorizationServerMetadata t2 = as(QStringLiteral("t2"));
    const auto registration = makeRegistration();
    QCOMPARE(ensure(*registration, t1).client->clientId, QStringLiteral("dyn-1"));
    QCOMPARE(ensure(*registration, t2).client->clientId, QStringLiteral("other"));

    int dropped = 0;
    registration->drop(t1.issuer, [&dropped] { ++dropped; });
    QTRY_COMPARE(dropped, 1);
    QVERIFY(!m_store->contains(ClientRegistration::vaultKey(t1.issuer)));
    QVERIFY(m_store->contains(ClientRegistration::vaultKey(t2.issuer))); // only that issuer's

    // The next ensure() registers again, and keeps the new one.
    const Outcome again = ensure(*registration, t1);
    QVERIFY2(again.client, qPrintable(again.error));
    QCOMPARE(again.client->clientId, QStringLiteral("dyn-2"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/t1/register")), 2);
    QCOMPARE(ensure(*registration, t1).client->clientId, QStringLiteral("dyn-2"));
    QCOMPARE(ensure(*registration, t2).client->clientId, QStringLiteral("other"));
    QCOMPARE(m_server->requestCount(), 3);

    // Dropping what is not there still answers.
    registration->drop(m_server->urlString(QStringLiteral("/never")), [&dropped] { ++dropped; });
    QTRY_COMPARE(dropped, 2);
}

void TestClientRegistration::dcrFailure_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("oauth error") << 400
                                 << QByteArray(R"({"error":"invalid_redirect_uri","error_description":"no loopback"})")
                                 << QStringLiteral("invalid_redirect_uri: no loopback");
    QTest::newRow("server error") << 500 << QByteArray("<html>down</html>") << QStringLiteral("HTTP 500");
    QTest::newRow("forbidden") << 403 << QByteArray() << QStringLiteral("HTTP 403");
    QTest::newRow("redirect") << 302 << QByteArray() << QStringLiteral("HTTP 302");
    QTest::newRow("no client_id") << 201 << QByteArray(R"({"client_name":"Latchkey"})")
                                  << QStringLiteral("no client_id");
    QTest::newRow("client_id not a string")
        << 201 << QByteArray(R"({"client_id":42})") << QStringLiteral("no client_id");
    QTest::newRow("not json") << 201 << QByteArray("created") << QStringLiteral("no client_id");
    QTest::newRow("array") << 201 << QByteArray(R"([{"client_id":"x"}])") << QStringLiteral("no client_id");
}

void TestClientRegistration::dcrFailure()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, mentions);
    Response response = Response::json(status, body);
    if (status == 302) {
        response.withHeader("Location", m_server->urlString(QStringLiteral("/elsewhere")).toLatin1());
    }
    m_server->on(QStringLiteral("/t1/register"), response);
    m_server->on(QStringLiteral("/elsewhere"), Response::json(201, R"({"client_id":"followed"})"));
    const AuthorizationServerMetadata metadata = as();
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, metadata);
    QVERIFY(!outcome.client);
    QVERIFY2(outcome.error.contains(mentions), qPrintable(outcome.error));
    QVERIFY(!m_store->contains(ClientRegistration::vaultKey(metadata.issuer)));
    QCOMPARE(m_server->requestCount(QStringLiteral("/elsewhere")), 0);
}

void TestClientRegistration::keychainUnavailable()
{
    m_server->on(QStringLiteral("/t1/register"), Response::json(201, R"({"client_id":"dyn-1"})"));
    m_store->setUnavailable(QStringLiteral("the login keyring is locked"));
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, as());
    QVERIFY(!outcome.client);
    QVERIFY2(outcome.error.contains(QStringLiteral("keyring is locked")), qPrintable(outcome.error));
    // Not registered: a client we could not keep would be registered again on every sign-in.
    QCOMPARE(m_server->requestCount(), 0);
}

void TestClientRegistration::keychainFailsOnWrite()
{
    // The keychain goes away while the AS answers: the registration is reported as not kept.
    MemoryStore *store = m_store.get();
    m_server->on(QStringLiteral("/t1/register"), [store](const FakeHttpServer::Request &) {
        store->setUnavailable(QStringLiteral("locked meanwhile"));
        return Response::json(201, R"({"client_id":"dyn-1"})");
    });
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, as());
    QVERIFY(!outcome.client);
    QVERIFY2(outcome.error.contains(QStringLiteral("locked meanwhile")), qPrintable(outcome.error));
}

void TestClientRegistration::unreadableStoredRegistrationReplaced()
{
    const AuthorizationServerMetadata metadata = as();
    m_store->write(ClientRegistration::vaultKey(metadata.issuer), "not json", [](const SecretStore::Result &) {});
    m_server->on(QStringLiteral("/t1/register"), Response::json(201, R"({"client_id":"dyn-1"})"));
    const auto registration = makeRegistration();
    const Outcome outcome = ensure(*registration, metadata);
    QVERIFY2(outcome.client, qPrintable(outcome.error));
    QCOMPARE(outcome.client->clientId, QStringLiteral("dyn-1"));
    QByteArray stored;
    m_store->read(ClientRegistration::vaultKey(metadata.issuer),
                  [&stored](const SecretStore::Result &result) { stored = result.value; });
    QVERIFY(stored.contains("dyn-1"));
}

void TestClientRegistration::loadSettings()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("oauth.json"));

    QString error;
    ClientRegistration::Settings settings = ClientRegistration::loadSettings(path, &error);
    QVERIFY(error.isEmpty()); // absent: no settings, no complaint
    QVERIFY(settings.preregistered.isEmpty());
    QVERIFY(settings.metadataDocumentUrl.isEmpty());

    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"client_id_metadata_document":"https://latchkey.example/client.json",
                   "clients":[{"issuer":"https://as.example.com","client_id":"abc"},
                              {"issuer":"https://as2.example.com"},
                              {"client_id":"orphan"},
                              {"issuer":"https://as3.example.com","client_id":7},
                              "junk"]})");
    file.close();
    settings = ClientRegistration::loadSettings(path, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(settings.metadataDocumentUrl, QStringLiteral("https://latchkey.example/client.json"));
    QCOMPARE(settings.preregistered.size(), 1);
    QCOMPARE(settings.preregistered.value(QStringLiteral("https://as.example.com")), QStringLiteral("abc"));

    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("{ not json");
    file.close();
    error.clear();
    settings = ClientRegistration::loadSettings(path, &error);
    QVERIFY(error.contains(path));
    QVERIFY(settings.preregistered.isEmpty());
}

QTEST_GUILESS_MAIN(TestClientRegistration)
#include "TestClientRegistration.moc"
