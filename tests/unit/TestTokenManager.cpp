// Unit tests for TokenManager with MemoryStore as the keychain, a temporary ServerRegistry holding one
// remote server, and an in-process HTTP server as its AS (token and revocation endpoints):
// fresh tokens without a request, single-flight refresh, rotation persisted before any handout,
// `resource` and client_id on refresh, invalid_grant → needs sign-in, temporary failures → keep the grant
// and retry, the (issuer, client, resource) binding, and sign-out with RFC 7009 revocation. Times in
// milliseconds on a clock the tests can move: the backoff after a failure binds on-demand renewals too
// (until a sign-in or a new token set), and a machine client's token (client credentials) is renewed
// ahead of expiry with a new grant.
#include "AuditLog.h"
#include "ClientRegistration.h"
#include "FakeHttpServer.h"
#include "HttpFetcher.h"
#include "MemoryStore.h"
#include "ResourceUri.h"
#include "ServerRegistry.h"
#include "TokenManager.h"
#include "Vault.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using latchkey::AuditLog;
using latchkey::AuthorizationServerMetadata;
using latchkey::ClientRegistration;
using latchkey::HttpFetcher;
using latchkey::MemoryStore;
using latchkey::RemoteServer;
using latchkey::SecretStore;
using latchkey::ServerRecord;
using latchkey::ServerRegistry;
using latchkey::TokenManager;
using latchkey::TokenSet;
using latchkey::Vault;
using latchkey::test::FakeHttpServer;
using Response = FakeHttpServer::Response;
using Answer = TokenManager::Answer;

namespace {

const QString kServer = QStringLiteral("remote");
const QString kClientId = QStringLiteral("client-1");
constexpr qint64 kSecond = 1000;
using std::chrono::milliseconds;
using std::chrono::seconds;

// MemoryStore whose writes wait until the test lets them through, like a keychain that takes its time.
class SlowWriteStore : public SecretStore
{
public:
    void read(const QString &key, Callback done) override { m_inner.read(key, std::move(done)); }
    void write(const QString &key, const QByteArray &value, Callback done) override
    {
        m_pending.append([this, key, value, done = std::move(done)] { m_inner.write(key, value, done); });
    }
    void remove(const QString &key, Callback done) override { m_inner.remove(key, std::move(done)); }
    QString backendName() const override { return QStringLiteral("slow"); }

    MemoryStore &inner() { return m_inner; }
    qsizetype pendingWrites() const { return m_pending.size(); }
    void completeWrites()
    {
        while (!m_pending.isEmpty()) {
            m_pending.takeFirst()();
        }
    }

private:
    MemoryStore m_inner;
    QList<std::function<void()>> m_pending;
};

struct Asked
{
    int calls = 0;
    Answer answer;

    TokenManager::Callback callback()
    {
        return [this](const Answer &a) {
            ++calls;
            answer = a;
        };
    }
};

QByteArray tokenResponse(const QByteArray &access, const QByteArray &refresh, int expiresIn = 3600)
{
    // (No raw string literals above the test class: moc in Qt 6.4 loses its way in them.)
    QByteArray body = "{\"access_token\":\"" + access +
                      "\",\"token_type\":\"Bearer\",\"expires_in\":" + QByteArray::number(expiresIn);
    if (!refresh.isEmpty()) {
        body += ",\"refresh_token\":\"" + refresh + "\"";
    }
    return body + "}";
}

} // namespace

class TestTokenManager : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void freshTokenWithoutRequest();
    void unknownServer();
    void noTokensYet();
    void staleRefreshedOnceForManyAskers();
    void rotationPersistedBeforeHandout();
    void rotatedTokensNotSavedAreNotHandedOut();
    void refreshRequestCarriesResourceAndClient();
    void unrotatedRefreshTokenKept();
    void shortLivedTokenGetsProportionateMargin();
    void deadGrant_data();
    void deadGrant();
    void expiredWithoutRefreshToken();
    void needsLoginAnsweredWithoutTheKeychain();
    void temporaryFailure_data();
    void temporaryFailure();
    void temporaryFailureServesStillValidToken_data();
    void temporaryFailureServesStillValidToken();
    void retriedAfterTemporaryFailure();
    void boundElsewhere_data();
    void boundElsewhere();
    void keychainUnavailable();
    void storeActivatesGrant();
    void signOutRevokesRefreshThenAccess();
    void signOutWithoutRefreshToken();
    void signOutDeletesWhenRevocationFails_data();
    void signOutDeletesWhenRevocationFails();
    void signOutSelfContainedAccessToken();
    void signOutWithoutRevocationEndpoint();
    void auditHasNoSecrets();

    void subSecondLifetimeExact();
    void onDemandRefreshBacksOff();
    void backoffServesStillValidToken();
    void rejectedTokenBacksOff();
    void signInEndsBackoff();
    void changedGrantEndsBackoff();
    void singleFlightAfterBackoff();
    void machineTokenRenewedAheadOfExpiry();
    void machineTokenRenewedOnDemand();
    void machineRenewalBacksOff();
    void machineRenewalRefused();

private:
    QString serverUrl() const { return m_server->urlString(QStringLiteral("/mcp")); }
    QString resource() const { return latchkey::oauth::ResourceUri::fromServerUrl(serverUrl()).toString(); }
    TokenSet tokens(qint64 obtainedAgo, qint64 expiresIn, const QString &access = QStringLiteral("at-1"),
                    const QString &refresh = QStringLiteral("rt-1")) const;
    TokenSet stale() const { return tokens(4000, -400); }
    TokenSet fresh() const { return tokens(0, 3600); }
    void put(const TokenSet &set);
    std::optional<TokenSet> stored() const;
    const RemoteServer &remote() const { return m_registry->find(kServer)->remote; }
    void setRemote(const std::function<void(RemoteServer &)> &change);
    Answer ask(milliseconds minValidity = seconds(30), const std::string &rejected = {});
    // The tests' clock: the real one moved by m_offsetMs, or frozen at m_frozenMs when that is set.
    qint64 now() const { return m_frozenMs != 0 ? m_frozenMs : QDateTime::currentMSecsSinceEpoch() + m_offsetMs; }
    // A pre-registered confidential client for the AS, configured for client credentials (oauth.json).
    void useMachineClient();
    TokenSet machine(qint64 obtainedAgoMs, qint64 expiresInMs, const QString &access = QStringLiteral("mt-1")) const;
    qint64 m_offsetMs = 0;
    qint64 m_frozenMs = 0;
    std::unique_ptr<ClientRegistration> m_registration;
    QString signOut();
    QByteArray auditText() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<FakeHttpServer> m_server;
    std::unique_ptr<MemoryStore> m_store;
    std::unique_ptr<Vault> m_vault;
    std::unique_ptr<ServerRegistry> m_registry;
    std::unique_ptr<HttpFetcher> m_http;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<TokenManager> m_tokens;
};

void TestTokenManager::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = std::make_unique<FakeHttpServer>();
    QVERIFY(m_server->isListening());
    m_store = std::make_unique<MemoryStore>();
    m_vault = std::make_unique<Vault>(*m_store);
    m_registry = std::make_unique<ServerRegistry>(m_dir->filePath(QStringLiteral("servers.json")));
    QVERIFY(m_registry->load());
    m_http = std::make_unique<HttpFetcher>();
    m_http->setTimeout(5000);
    m_audit = std::make_unique<AuditLog>(m_dir->filePath(QStringLiteral("audit.jsonl")));

    AuthorizationServerMetadata as;
    as.issuer = m_server->origin();
    as.authorizationEndpoint = m_server->url(QStringLiteral("/authorize"));
    as.tokenEndpoint = m_server->url(QStringLiteral("/token"));
    as.revocationEndpoint = m_server->url(QStringLiteral("/revoke"));
    ServerRecord record;
    record.name = kServer;
    record.kind = ServerRecord::Kind::Remote;
    record.remote.url = serverUrl();
    record.remote.resource = resource();
    record.remote.scopes = {QStringLiteral("read")};
    record.remote.authorizationServer = as;
    record.remote.clientId = kClientId;
    record.remote.registration = QStringLiteral("dcr");
    record.remote.grant = RemoteServer::GrantState::Active;
    QString error;
    QVERIFY2(m_registry->add(record, &error), qPrintable(error));

    m_offsetMs = 0;
    m_frozenMs = 0;
    m_tokens = std::make_unique<TokenManager>(*m_vault, *m_registry, *m_http, *m_audit);
    m_tokens->setClock([this] { return now(); });
}

void TestTokenManager::cleanup()
{
    m_tokens.reset();
    m_registration.reset();
    m_audit.reset();
    m_http.reset();
    m_registry.reset();
    m_vault.reset();
    m_store.reset();
    m_server.reset();
    m_dir.reset();
}

TokenSet TestTokenManager::tokens(qint64 obtainedAgo, qint64 expiresIn, const QString &access,
                                  const QString &refresh) const
{
    TokenSet set;
    set.accessToken = access;
    set.refreshToken = refresh;
    set.scope = QStringLiteral("read");
    set.obtainedAtMs = now() - obtainedAgo * kSecond;
    set.expiresAtMs = now() + expiresIn * kSecond;
    set.issuer = m_server->origin();
    set.clientId = kClientId;
    set.resource = resource();
    return set;
}

void TestTokenManager::put(const TokenSet &set)
{
    m_store->write(TokenManager::vaultKey(kServer), set.serialize(), [](const SecretStore::Result &) {});
}

std::optional<TokenSet> TestTokenManager::stored() const
{
    std::optional<TokenSet> out;
    m_store->read(TokenManager::vaultKey(kServer), [&out](const SecretStore::Result &result) {
        if (result.status == SecretStore::Status::Ok) {
            out = TokenSet::deserialize(result.value);
        }
    });
    return out;
}

void TestTokenManager::setRemote(const std::function<void(RemoteServer &)> &change)
{
    ServerRecord record = *m_registry->find(kServer);
    change(record.remote);
    QString error;
    QVERIFY2(m_registry->update(record, &error), qPrintable(error));
}

Answer TestTokenManager::ask(milliseconds minValidity, const std::string &rejected)
{
    Asked asked;
    m_tokens->accessToken(kServer, asked.callback(), minValidity, rejected);
    [&] { QTRY_COMPARE_WITH_TIMEOUT(asked.calls, 1, 15000); }();
    return asked.answer;
}

QString TestTokenManager::signOut()
{
    int calls = 0;
    QString note;
    m_tokens->signOut(kServer, [&](const QString &n) {
        ++calls;
        note = n;
    });
    [&] { QTRY_COMPARE_WITH_TIMEOUT(calls, 1, 15000); }();
    return note;
}

QByteArray TestTokenManager::auditText() const
{
    QFile file(m_dir->filePath(QStringLiteral("audit.jsonl")));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void TestTokenManager::freshTokenWithoutRequest()
{
    const TokenSet set = fresh();
    put(set);
    const Answer answer = ask();
    QVERIFY2(answer.errorCode.isEmpty(), qPrintable(answer.message));
    QCOMPARE(answer.accessToken, QStringLiteral("at-1"));
    QCOMPARE(answer.expiresAtMs, set.expiresAtMs);
    QCOMPARE(m_server->requestCount(), 0);
    QCOMPARE(m_tokens->refreshRequestCount(), 0);
}

void TestTokenManager::unknownServer()
{
    Asked asked;
    m_tokens->accessToken(QStringLiteral("nobody"), asked.callback());
    QTRY_COMPARE(asked.calls, 1);
    QCOMPARE(asked.answer.errorCode, QStringLiteral("not_found"));
    QVERIFY(asked.answer.accessToken.isEmpty());
}

void TestTokenManager::noTokensYet()
{
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY(answer.accessToken.isEmpty());
    QCOMPARE(m_server->requestCount(), 0);
}

void TestTokenManager::staleRefreshedOnceForManyAskers()
{
    put(stale());
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", "rt-2")));
    m_server->setHolding(true);

    constexpr int kAskers = 50;
    int answered = 0;
    int good = 0;
    int rotatedBeforeHandout = 0;
    const auto asker = [&](const Answer &answer) {
        ++answered;
        if (answer.errorCode.isEmpty() && answer.accessToken == QStringLiteral("at-2")) {
            ++good;
        }
        // Read the keychain itself from inside the callback: the rotated set must already be there.
        const auto inKeychain = stored();
        if (inKeychain && inKeychain->refreshToken == QStringLiteral("rt-2") &&
            inKeychain->accessToken == QStringLiteral("at-2")) {
            ++rotatedBeforeHandout;
        }
    };
    for (int i = 0; i < kAskers / 2; ++i) {
        m_tokens->accessToken(kServer, asker);
    }
    // Half ask before the refresh request is out, half while it is in flight.
    QTRY_COMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    for (int i = kAskers / 2; i < kAskers; ++i) {
        m_tokens->accessToken(kServer, asker);
    }
    QCOMPARE(answered, 0);
    QCOMPARE(m_server->heldCount(), 1);
    m_server->releaseHeld();
    QTRY_COMPARE(answered, kAskers);
    QCOMPARE(good, kAskers);
    QCOMPARE(rotatedBeforeHandout, kAskers);
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(m_tokens->refreshRequestCount(), 1);

    // The next asker gets the new token from the vault, without a request.
    m_server->setHolding(false);
    const Answer later = ask();
    QCOMPARE(later.accessToken, QStringLiteral("at-2"));
    QCOMPARE(m_server->requestCount(), 1);
}

void TestTokenManager::rotationPersistedBeforeHandout()
{
    // A keychain that takes its time to write: nobody gets the new token until it has the new set.
    SlowWriteStore slow;
    Vault vault(slow);
    TokenManager manager(vault, *m_registry, *m_http, *m_audit);
    slow.inner().write(TokenManager::vaultKey(kServer), stale().serialize(), [](const SecretStore::Result &) {});
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", "rt-2")));

    QList<Answer> answers;
    for (int i = 0; i < 3; ++i) {
        manager.accessToken(kServer, [&answers](const Answer &answer) { answers.append(answer); });
    }
    QTRY_COMPARE(slow.pendingWrites(), 1);
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QVERIFY(answers.isEmpty()); // the token endpoint answered; the keychain has not yet
    slow.completeWrites();
    QCOMPARE(answers.size(), 3);
    for (const Answer &answer : std::as_const(answers)) {
        QCOMPARE(answer.accessToken, QStringLiteral("at-2"));
    }
}

void TestTokenManager::rotatedTokensNotSavedAreNotHandedOut()
{
    put(stale());
    MemoryStore *store = m_store.get();
    m_server->on(QStringLiteral("/token"), [store](const FakeHttpServer::Request &) {
        store->setUnavailable(QStringLiteral("keyring locked"));
        return Response::json(200, tokenResponse("at-2", "rt-2"));
    });
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("keychain_unavailable"));
    QVERIFY(answer.accessToken.isEmpty()); // at-2 never leaves without its refresh token kept
    QVERIFY(answer.message.contains(QStringLiteral("keyring locked")));
}

void TestTokenManager::refreshRequestCarriesResourceAndClient()
{
    put(stale());
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", "rt-2")));
    const Answer answer = ask();
    QCOMPARE(answer.accessToken, QStringLiteral("at-2"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    const FakeHttpServer::Request request = m_server->requests(QStringLiteral("/token")).front();
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.header("Content-Type"), QByteArray("application/x-www-form-urlencoded"));
    QCOMPARE(request.formValue(QStringLiteral("grant_type")), QStringLiteral("refresh_token"));
    QCOMPARE(request.formValue(QStringLiteral("refresh_token")), QStringLiteral("rt-1"));
    QCOMPARE(request.formValue(QStringLiteral("client_id")), kClientId);
    // RFC 8707 on every refresh: the canonical server URI.
    QCOMPARE(request.formValue(QStringLiteral("resource")), resource());
    QVERIFY(request.header("Authorization").isEmpty()); // a public client: no client authentication
    QVERIFY(!request.form().hasQueryItem(QStringLiteral("client_secret")));
    QVERIFY(request.query.isEmpty()); // tokens never in a URL

    // The new set keeps its binding.
    const auto inKeychain = stored();
    QVERIFY(inKeychain);
    QCOMPARE(inKeychain->refreshToken, QStringLiteral("rt-2"));
    QVERIFY(inKeychain->isBoundTo(m_server->origin(), kClientId, resource()));
    QVERIFY(inKeychain->expiresAtMs > now() + 3000 * kSecond);
}

void TestTokenManager::unrotatedRefreshTokenKept()
{
    put(stale());
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", {})));
    QCOMPARE(ask().accessToken, QStringLiteral("at-2"));
    const auto inKeychain = stored();
    QVERIFY(inKeychain);
    QCOMPARE(inKeychain->accessToken, QStringLiteral("at-2"));
    QCOMPARE(inKeychain->refreshToken, QStringLiteral("rt-1"));
    QCOMPARE(inKeychain->scope, QStringLiteral("read"));
}

void TestTokenManager::shortLivedTokenGetsProportionateMargin()
{
    // A 20 s token with 15 s left is good for a 30 s request: asking 30 s of it would refresh forever.
    put(tokens(5, 15));
    const Answer answer = ask(seconds(30));
    QCOMPARE(answer.accessToken, QStringLiteral("at-1"));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestTokenManager::deadGrant_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("reason");

    QTest::newRow("invalid_grant") << 400
                                   << QByteArray(
                                          R"({"error":"invalid_grant","error_description":"refresh token revoked"})")
                                   << QStringLiteral("invalid_grant: refresh token revoked");
    QTest::newRow("invalid_client") << 401 << QByteArray(R"({"error":"invalid_client"})")
                                    << QStringLiteral("invalid_client");
}

void TestTokenManager::deadGrant()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, reason);
    put(stale());
    m_server->on(QStringLiteral("/token"), Response::json(status, body));
    QSignalSpy changed(m_tokens.get(), &TokenManager::grantChanged);

    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY(answer.accessToken.isEmpty());
    QVERIFY2(answer.message.contains(reason), qPrintable(answer.message));
    // The grant is dead: its tokens are gone and the record says why.
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
    QCOMPARE(remote().grant, RemoteServer::GrantState::NeedsLogin);
    QVERIFY2(remote().grantReason.contains(reason), qPrintable(remote().grantReason));
    QVERIFY(!changed.isEmpty());
    QCOMPARE(changed.first().first().toString(), kServer);
    // Kept in servers.json.
    ServerRegistry reloaded(m_registry->path());
    QVERIFY(reloaded.load());
    QCOMPARE(reloaded.find(kServer)->remote.grant, RemoteServer::GrantState::NeedsLogin);

    // Later askers are told at once, with the reason; the dead refresh token is not tried again.
    const Answer again = ask();
    QCOMPARE(again.errorCode, QStringLiteral("needs_login"));
    QVERIFY(again.message.contains(reason));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
}

void TestTokenManager::expiredWithoutRefreshToken()
{
    put(tokens(4000, -400, QStringLiteral("at-1"), QString()));
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QCOMPARE(m_server->requestCount(), 0);
    QCOMPARE(remote().grant, RemoteServer::GrantState::NeedsLogin);
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
}

void TestTokenManager::needsLoginAnsweredWithoutTheKeychain()
{
    put(fresh());
    setRemote([](RemoteServer &remote) {
        remote.grant = RemoteServer::GrantState::NeedsLogin;
        remote.grantReason = QStringLiteral("invalid_grant: revoked by admin");
    });
    const int reads = m_store->readCount();
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY(answer.message.contains(QStringLiteral("revoked by admin")));
    QVERIFY(answer.accessToken.isEmpty());
    QCOMPARE(m_store->readCount(), reads);
}

void TestTokenManager::temporaryFailure_data()
{
    QTest::addColumn<int>("status"); // 0: the endpoint never answers
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("503") << 503 << QByteArray("<html>maintenance</html>");
    QTest::newRow("500 server_error") << 500 << QByteArray(R"({"error":"server_error"})");
    QTest::newRow("502 empty") << 502 << QByteArray();
    QTest::newRow("429") << 429 << QByteArray(R"({"error":"slow_down"})");
    QTest::newRow("400 temporarily_unavailable") << 400 << QByteArray(R"({"error":"temporarily_unavailable"})");
    QTest::newRow("200 not a token response") << 200 << QByteArray("<html>captive portal</html>");
    QTest::newRow("no answer") << 0 << QByteArray();
}

void TestTokenManager::temporaryFailure()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    const TokenSet before = stale();
    put(before);
    if (status == 0) {
        Response silent;
        silent.hang = true;
        m_server->on(QStringLiteral("/token"), silent);
        m_http->setTimeout(500);
    } else {
        m_server->on(QStringLiteral("/token"), Response::json(status, body));
    }
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("temporarily_unavailable"));
    QVERIFY(answer.accessToken.isEmpty());
    // The grant is kept as it was: the same refresh token, still active.
    const auto inKeychain = stored();
    QVERIFY(inKeychain);
    QCOMPARE(inKeychain->serialize(), before.serialize());
    QCOMPARE(remote().grant, RemoteServer::GrantState::Active);
    QVERIFY(remote().grantReason.isEmpty());
    QVERIFY(auditText().contains("token.refresh_deferred"));
}

void TestTokenManager::temporaryFailureServesStillValidToken_data()
{
    temporaryFailure_data();
}

void TestTokenManager::temporaryFailureServesStillValidToken()
{
    // A refresh ahead of expiry fails for a passing reason, whichever: the current token, still valid,
    // is what the asker gets.
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    put(tokens(3500, 100));
    if (status == 0) {
        Response silent;
        silent.hang = true;
        m_server->on(QStringLiteral("/token"), silent);
        m_http->setTimeout(500);
    } else {
        m_server->on(QStringLiteral("/token"), Response::json(status, body));
    }
    const Answer answer = ask(seconds(600));
    QVERIFY2(answer.errorCode.isEmpty(), qPrintable(answer.message));
    QCOMPARE(answer.accessToken, QStringLiteral("at-1"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(stored()->refreshToken, QStringLiteral("rt-1"));
}

void TestTokenManager::retriedAfterTemporaryFailure()
{
    // The retry timer is armed after a 503 (first backoff step 15 s): the grant recovers on its own.
    put(stale());
    m_server->on(QStringLiteral("/token"),
                 QList<Response>{Response::text(503, "busy"), Response::json(200, tokenResponse("at-2", "rt-2"))});
    QElapsedTimer clock;
    clock.start();
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(QStringLiteral("/token")), 2, 25000);
    QVERIFY2(clock.elapsed() >= 14000, QByteArray::number(clock.elapsed()).constData()); // backed off, not at once
    QTRY_VERIFY(stored() && stored()->refreshToken == QStringLiteral("rt-2"));
    const Answer answer = ask();
    QCOMPARE(answer.accessToken, QStringLiteral("at-2"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
}

void TestTokenManager::boundElsewhere_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<bool>("stillFresh");

    for (const bool stillFresh : {false, true}) {
        const char *state = stillFresh ? "fresh" : "stale";
        QTest::addRow("other issuer, %s", state) << QStringLiteral("issuer") << stillFresh;
        QTest::addRow("other client, %s", state) << QStringLiteral("client") << stillFresh;
        QTest::addRow("other resource, %s", state) << QStringLiteral("resource") << stillFresh;
    }
}

void TestTokenManager::boundElsewhere()
{
    QFETCH(QString, field);
    QFETCH(bool, stillFresh);
    TokenSet set = stillFresh ? fresh() : stale();
    if (field == QStringLiteral("issuer")) {
        set.issuer = QStringLiteral("https://other-as.example.com");
    } else if (field == QStringLiteral("client")) {
        set.clientId = QStringLiteral("client-2");
    } else {
        set.resource = m_server->urlString(QStringLiteral("/other"));
    }
    put(set);
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", "rt-2")));
    const Answer answer = ask();
    QVERIFY(answer.accessToken.isEmpty());
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    // Not used in any way: not handed out, and its refresh token not sent to this AS.
    QCOMPARE(m_server->requestCount(), 0);
    QCOMPARE(m_tokens->refreshRequestCount(), 0);
}

void TestTokenManager::keychainUnavailable()
{
    put(fresh());
    m_store->setUnavailable(QStringLiteral("no Secret Service"));
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("keychain_unavailable"));
    QVERIFY(answer.message.contains(QStringLiteral("no Secret Service")));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestTokenManager::storeActivatesGrant()
{
    setRemote([](RemoteServer &remote) {
        remote.grant = RemoteServer::GrantState::NeedsLogin;
        remote.grantReason = QStringLiteral("expired");
    });
    QSignalSpy changed(m_tokens.get(), &TokenManager::grantChanged);
    int calls = 0;
    QString error = QStringLiteral("not called");
    m_tokens->store(kServer, fresh(), [&](const QString &e) {
        ++calls;
        error = e;
    });
    QTRY_COMPARE(calls, 1);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(remote().grant, RemoteServer::GrantState::Active);
    QVERIFY(remote().grantReason.isEmpty());
    QCOMPARE(changed.size(), 1);
    QCOMPARE(stored()->accessToken, QStringLiteral("at-1"));
    QCOMPARE(ask().accessToken, QStringLiteral("at-1"));
    // server.list's expires_at: known from the stored set; nothing for another server.
    QVERIFY(m_tokens->expiresAtMs(kServer) > 0);
    QCOMPARE(m_tokens->expiresAtMs(kServer), stored()->expiresAtMs);
    QCOMPARE(m_tokens->expiresAtMs(QStringLiteral("other")), qint64(0));

    m_store->setUnavailable(QStringLiteral("locked"));
    m_tokens->store(kServer, fresh(), [&](const QString &e) {
        ++calls;
        error = e;
    });
    QTRY_COMPARE(calls, 2);
    QVERIFY(error.contains(QStringLiteral("locked")));
}

void TestTokenManager::signOutRevokesRefreshThenAccess()
{
    put(fresh());
    m_server->on(QStringLiteral("/revoke"), Response::json(200, {}));
    QSignalSpy changed(m_tokens.get(), &TokenManager::grantChanged);
    const QString note = signOut();
    QVERIFY2(note.contains(QStringLiteral("revoked")), qPrintable(note));
    QVERIFY(!note.contains(QStringLiteral("failed")));

    const QList<FakeHttpServer::Request> revocations = m_server->requests(QStringLiteral("/revoke"));
    QCOMPARE(revocations.size(), 2);
    // RFC 7009: the refresh token first (it usually ends the whole grant), then the access token.
    QCOMPARE(revocations.at(0).method, QByteArray("POST"));
    QCOMPARE(revocations.at(0).formValue(QStringLiteral("token")), QStringLiteral("rt-1"));
    QCOMPARE(revocations.at(0).formValue(QStringLiteral("token_type_hint")), QStringLiteral("refresh_token"));
    QCOMPARE(revocations.at(0).formValue(QStringLiteral("client_id")), kClientId);
    QCOMPARE(revocations.at(1).formValue(QStringLiteral("token")), QStringLiteral("at-1"));
    QCOMPARE(revocations.at(1).formValue(QStringLiteral("token_type_hint")), QStringLiteral("access_token"));
    QCOMPARE(revocations.at(1).formValue(QStringLiteral("client_id")), kClientId);
    QVERIFY(revocations.at(0).query.isEmpty());
    QCOMPARE(m_server->requestCount(), 2);

    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
    QCOMPARE(remote().grant, RemoteServer::GrantState::None);
    QVERIFY(!changed.isEmpty());
    QCOMPARE(ask().errorCode, QStringLiteral("needs_login"));
}

void TestTokenManager::signOutWithoutRefreshToken()
{
    put(tokens(0, 3600, QStringLiteral("at-1"), QString()));
    m_server->on(QStringLiteral("/revoke"), Response::json(200, {}));
    signOut();
    const QList<FakeHttpServer::Request> revocations = m_server->requests(QStringLiteral("/revoke"));
    QCOMPARE(revocations.size(), 1);
    QCOMPARE(revocations.at(0).formValue(QStringLiteral("token")), QStringLiteral("at-1"));
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
    QCOMPARE(m_tokens->expiresAtMs(kServer), qint64(0));
}

void TestTokenManager::signOutDeletesWhenRevocationFails_data()
{
    QTest::addColumn<int>("status"); // 0: never answers
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("503") << 503 << QByteArray("down");
    QTest::newRow("400 invalid_client") << 400 << QByteArray(R"({"error":"invalid_client"})");
    QTest::newRow("no answer") << 0 << QByteArray();
}

void TestTokenManager::signOutDeletesWhenRevocationFails()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    put(fresh());
    if (status == 0) {
        Response silent;
        silent.hang = true;
        m_server->on(QStringLiteral("/revoke"), silent);
        m_http->setTimeout(300);
    } else {
        m_server->on(QStringLiteral("/revoke"), Response::json(status, body));
    }
    const QString note = signOut();
    QVERIFY2(note.contains(QStringLiteral("revocation failed")), qPrintable(note));
    QVERIFY2(note.contains(QStringLiteral("deleted locally")), qPrintable(note));
    QVERIFY(m_server->requestCount(QStringLiteral("/revoke")) >= 1);
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
    QCOMPARE(remote().grant, RemoteServer::GrantState::None);
    QCOMPARE(ask().errorCode, QStringLiteral("needs_login"));
}

void TestTokenManager::signOutSelfContainedAccessToken()
{
    // RFC 7009 §2.2.1: an AS may refuse to revoke a JWT access token; it lapses on its own.
    put(fresh());
    m_server->on(
        QStringLiteral("/revoke"),
        QList<Response>{Response::json(200, {}), Response::json(400, R"({"error":"unsupported_token_type"})")});
    const QString note = signOut();
    QVERIFY2(!note.contains(QStringLiteral("failed")), qPrintable(note));
    QCOMPARE(m_server->requestCount(QStringLiteral("/revoke")), 2);
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
}

void TestTokenManager::signOutWithoutRevocationEndpoint()
{
    put(fresh());
    setRemote([](RemoteServer &remote) { remote.authorizationServer->revocationEndpoint = QUrl(); });
    const QString note = signOut();
    QVERIFY2(note.contains(QStringLiteral("no revocation")), qPrintable(note));
    QCOMPARE(m_server->requestCount(), 0);
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
    QCOMPARE(remote().grant, RemoteServer::GrantState::None);
}

void TestTokenManager::auditHasNoSecrets()
{
    put(stale());
    m_server->on(QStringLiteral("/token"),
                 QList<Response>{Response::text(503, "busy"), Response::json(200, tokenResponse("at-2", "rt-2"))});
    m_server->on(QStringLiteral("/revoke"), Response::json(200, {}));
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    m_offsetMs += 16 * kSecond; // past the backoff
    QCOMPARE(ask().accessToken, QStringLiteral("at-2"));
    signOut();
    const QByteArray audit = auditText();
    QVERIFY(audit.contains("token.refreshed"));
    QVERIFY(audit.contains("grant.signed_out"));
    for (const QByteArray secret : {"at-1", "rt-1", "at-2", "rt-2"}) {
        QVERIFY2(!audit.contains(secret), secret.constData());
    }
}

void TestTokenManager::useMachineClient()
{
    ClientRegistration::Settings settings;
    settings.preregistered.insert(m_server->origin(), kClientId);
    settings.grantTypes.insert(m_server->origin(), QStringLiteral("client_credentials"));
    m_store->write(ClientRegistration::secretVaultKey(m_server->origin()), "machine-secret",
                   [](const SecretStore::Result &) {});
    m_registration = std::make_unique<ClientRegistration>(*m_http, *m_vault, settings);
    m_tokens->setClientRegistration(m_registration.get());
}

TokenSet TestTokenManager::machine(qint64 obtainedAgoMs, qint64 expiresInMs, const QString &access) const
{
    TokenSet set = tokens(0, 0, access, QString());
    set.obtainedAtMs = now() - obtainedAgoMs;
    set.expiresAtMs = now() + expiresInMs;
    set.grantType = QStringLiteral("client_credentials");
    return set;
}

void TestTokenManager::subSecondLifetimeExact()
{
    // A one-second token (expires_in 1) on a frozen clock: the margin is a quarter of its lifetime,
    // 250 ms, to the millisecond. With 251 ms left it is handed out; with 250 ms left it is renewed
    // first. (Counted in whole seconds, both were "0 s left of a 1 s token".)
    m_frozenMs = QDateTime::currentMSecsSinceEpoch();
    TokenSet set = tokens(0, 0);
    set.obtainedAtMs = m_frozenMs - 749;
    set.expiresAtMs = m_frozenMs + 251;
    put(set);
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("at-2", "rt-2", 1)));
    QCOMPARE(ask().accessToken, QStringLiteral("at-1"));
    QCOMPARE(m_server->requestCount(), 0);

    m_frozenMs += 1;
    const Answer renewed = ask();
    QCOMPARE(renewed.accessToken, QStringLiteral("at-2"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    // Its expiry counts from when the request went out, in milliseconds: exactly one second.
    QCOMPARE(renewed.expiresAtMs, m_frozenMs + kSecond);
    QCOMPARE(stored()->expiresAtMs, m_frozenMs + kSecond);
    QCOMPARE(stored()->obtainedAtMs, m_frozenMs);
}

void TestTokenManager::onDemandRefreshBacksOff()
{
    put(stale());
    m_server->on(QStringLiteral("/token"), Response::json(503, R"({"error":"temporarily_unavailable"})"));
    const qint64 before = now();
    const Answer first = ask();
    QCOMPARE(first.errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    // The first backoff step: 15 s from the failure.
    const qint64 retryAt = m_tokens->retryAtMs(kServer);
    QVERIFY2(retryAt >= before + 15 * kSecond && retryAt <= now() + 15 * kSecond, qPrintable(first.message));

    // A client in a loop: every ask is answered at once, saying when the next try is, and the AS sees
    // nothing more.
    const QString when = QDateTime::fromMSecsSinceEpoch(retryAt, Qt::UTC).toString(Qt::ISODate);
    for (int i = 0; i < 25; ++i) {
        const Answer again = ask();
        QCOMPARE(again.errorCode, QStringLiteral("temporarily_unavailable"));
        QVERIFY(again.accessToken.isEmpty());
        QVERIFY2(again.message.contains(when), qPrintable(again.message));
        QVERIFY2(again.message.contains(QStringLiteral("temporarily_unavailable")), qPrintable(again.message));
    }
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(m_tokens->refreshRequestCount(), 1);

    // Once the retry is due, an asker may renew again; the failure doubles the backoff.
    m_offsetMs += 15 * kSecond + 1;
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
    QVERIFY(m_tokens->retryAtMs(kServer) >= now() + 29 * kSecond);
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
    // The grant itself is kept throughout.
    QCOMPARE(remote().grant, RemoteServer::GrantState::Active);
    QCOMPARE(stored()->refreshToken, QStringLiteral("rt-1"));
}

void TestTokenManager::backoffServesStillValidToken()
{
    // 10 s left of an hour, asked for 10 minutes: a refresh is wanted, fails, and the token still
    // valid is what every asker gets meanwhile, without asking the AS each time.
    put(tokens(3590, 10));
    m_server->on(QStringLiteral("/token"), Response::text(503, "busy"));
    for (int i = 0; i < 10; ++i) {
        const Answer answer = ask(seconds(600));
        QVERIFY2(answer.errorCode.isEmpty(), qPrintable(answer.message));
        QCOMPARE(answer.accessToken, QStringLiteral("at-1"));
    }
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    // Not in its last second, though (still within the 15 s backoff): then it is an error that says
    // when the next try is.
    m_offsetMs += 9 * kSecond + 500;
    const Answer late = ask();
    QCOMPARE(late.errorCode, QStringLiteral("temporarily_unavailable"));
    QVERIFY(late.accessToken.isEmpty());
    QVERIFY2(late.message.contains(QStringLiteral("next try")), qPrintable(late.message));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
}

void TestTokenManager::rejectedTokenBacksOff()
{
    // The resource server refuses a token that looks fresh (a bridge's 401): renewed once; while the
    // renewal backs off, the refused token is not handed out again and the AS is not asked again.
    put(fresh());
    m_server->on(QStringLiteral("/token"), Response::text(502, "bad gateway"));
    const std::string refused = AuditLog::hashId("at-1");
    const Answer first = ask(seconds(30), refused);
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(first.errorCode, QStringLiteral("temporarily_unavailable")); // not the refused token back
    QVERIFY2(first.message.contains(QStringLiteral("next try")), qPrintable(first.message));
    for (int i = 0; i < 10; ++i) {
        const Answer again = ask(seconds(30), refused);
        QCOMPARE(again.errorCode, QStringLiteral("temporarily_unavailable"));
        QVERIFY(again.accessToken.isEmpty());
    }
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    // Who has not been refused still gets it.
    QCOMPARE(ask().accessToken, QStringLiteral("at-1"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
}

void TestTokenManager::signInEndsBackoff()
{
    put(stale());
    m_server->on(QStringLiteral("/token"),
                 QList<Response>{Response::text(503, "down"), Response::json(200, tokenResponse("at-3", "rt-3"))});
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QVERIFY(m_tokens->retryAtMs(kServer) > now());
    // server.login stores a new set; say it is already due for renewal (a very short-lived token).
    int calls = 0;
    m_tokens->store(kServer, tokens(4000, -1, QStringLiteral("at-2"), QStringLiteral("rt-2")),
                    [&calls](const QString &) { ++calls; });
    QTRY_COMPARE(calls, 1);
    QCOMPARE(m_tokens->retryAtMs(kServer), 0);
    const Answer answer = ask();
    QCOMPARE(answer.accessToken, QStringLiteral("at-3"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
    QCOMPARE(m_server->requests(QStringLiteral("/token")).last().formValue(QStringLiteral("refresh_token")),
             QStringLiteral("rt-2"));
}

void TestTokenManager::changedGrantEndsBackoff()
{
    // The backoff belongs to the token set whose renewal failed. Another set in the vault (written by
    // another path, e.g. an enterprise renewal) is renewed when it needs to be.
    put(stale());
    m_server->on(QStringLiteral("/token"),
                 QList<Response>{Response::text(503, "down"), Response::json(200, tokenResponse("at-3", "rt-3"))});
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    int written = 0;
    m_vault->write(TokenManager::vaultKey(kServer),
                   tokens(4000, -400, QStringLiteral("at-2"), QStringLiteral("rt-2")).serialize(),
                   [&written](const SecretStore::Result &) { ++written; });
    QTRY_COMPARE(written, 1);
    QCOMPARE(ask().accessToken, QStringLiteral("at-3"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
}

void TestTokenManager::singleFlightAfterBackoff()
{
    // When the retry is due, many askers at once still make one request.
    put(stale());
    m_server->on(QStringLiteral("/token"),
                 QList<Response>{Response::text(503, "down"), Response::json(200, tokenResponse("at-2", "rt-2"))});
    QCOMPARE(ask().errorCode, QStringLiteral("temporarily_unavailable"));
    m_offsetMs += 16 * kSecond;
    m_server->setHolding(true);
    int good = 0;
    for (int i = 0; i < 30; ++i) {
        m_tokens->accessToken(
            kServer, [&good](const Answer &answer) { good += answer.accessToken == QStringLiteral("at-2") ? 1 : 0; });
    }
    QTRY_COMPARE(m_server->heldCount(), 1);
    m_server->releaseHeld();
    QTRY_COMPARE(good, 30);
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 2);
    QCOMPARE(m_tokens->retryAtMs(kServer), 0);
}

void TestTokenManager::machineTokenRenewedAheadOfExpiry()
{
    // A machine client's 2 s token, just granted (sign-in): a new client_credentials grant goes out at
    // 75-80 % of its lifetime, before it expires, with nobody asking.
    useMachineClient();
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("mt-2", {}, 2)));
    const TokenSet first = machine(0, 2 * kSecond);
    int calls = 0;
    m_tokens->store(kServer, first, [&calls](const QString &) { ++calls; });
    QTRY_COMPARE(calls, 1);
    QCOMPARE(m_server->requestCount(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(QStringLiteral("/token")), 1, 10000);
    QTRY_VERIFY(stored() && stored()->accessToken == QStringLiteral("mt-2"));
    const TokenSet renewed = *stored();
    // Sent before the first token expired, and at 75-80 % of its lifetime.
    QVERIFY2(renewed.obtainedAtMs < first.expiresAtMs,
             qPrintable(QStringLiteral("renewed %1 ms after expiry").arg(renewed.obtainedAtMs - first.expiresAtMs)));
    QVERIFY(renewed.obtainedAtMs >= first.obtainedAtMs + 1500);
    QVERIFY(renewed.isClientCredentials());
    QVERIFY(renewed.refreshToken.isEmpty());
    QVERIFY(renewed.isBoundTo(m_server->origin(), kClientId, resource()));

    const FakeHttpServer::Request request = m_server->requests(QStringLiteral("/token")).front();
    QCOMPARE(request.formValue(QStringLiteral("grant_type")), QStringLiteral("client_credentials"));
    QCOMPARE(request.formValue(QStringLiteral("resource")), resource());
    QCOMPARE(request.formValue(QStringLiteral("scope")), QStringLiteral("read"));
    QVERIFY(!request.form().hasQueryItem(QStringLiteral("refresh_token")));
    QCOMPARE(request.header("Authorization"), "Basic " + QByteArray(kClientId.toUtf8() + ":machine-secret").toBase64());
    // The new token is handed out without another request, and its own renewal is scheduled.
    QCOMPARE(ask().accessToken, QStringLiteral("mt-2"));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(QStringLiteral("/token")), 2, 10000);
}

void TestTokenManager::machineTokenRenewedOnDemand()
{
    // An expired machine token kept by an earlier version (no grant_type in the record): the client's
    // configuration says client credentials, so it is renewed with a new grant, not declared dead.
    useMachineClient();
    TokenSet old = machine(4000 * kSecond, -400 * kSecond);
    old.grantType.clear();
    put(old);
    m_server->on(QStringLiteral("/token"), Response::json(200, tokenResponse("mt-2", {})));
    const Answer answer = ask();
    QVERIFY2(answer.errorCode.isEmpty(), qPrintable(answer.message));
    QCOMPARE(answer.accessToken, QStringLiteral("mt-2"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(m_server->requests(QStringLiteral("/token")).front().formValue(QStringLiteral("grant_type")),
             QStringLiteral("client_credentials"));
    QVERIFY(stored()->isClientCredentials());
    QCOMPARE(remote().grant, RemoteServer::GrantState::Active);
}

void TestTokenManager::machineRenewalBacksOff()
{
    useMachineClient();
    put(machine(4000 * kSecond, -1));
    m_server->on(QStringLiteral("/token"), Response::json(500, R"({"error":"server_error"})"));
    for (int i = 0; i < 10; ++i) {
        const Answer answer = ask();
        QCOMPARE(answer.errorCode, QStringLiteral("temporarily_unavailable"));
        QVERIFY2(answer.message.contains(QStringLiteral("server_error")), qPrintable(answer.message));
    }
    QCOMPARE(m_server->requestCount(QStringLiteral("/token")), 1);
    QCOMPARE(remote().grant, RemoteServer::GrantState::Active);
}

void TestTokenManager::machineRenewalRefused()
{
    // The AS no longer accepts the client: only a person can fix that (a new secret, then sign in).
    useMachineClient();
    put(machine(4000 * kSecond, -1));
    m_server->on(QStringLiteral("/token"), Response::json(401, R"({"error":"invalid_client"})"));
    const Answer answer = ask();
    QCOMPARE(answer.errorCode, QStringLiteral("needs_login"));
    QVERIFY2(answer.message.contains(QStringLiteral("invalid_client")), qPrintable(answer.message));
    QCOMPARE(remote().grant, RemoteServer::GrantState::NeedsLogin);
    QVERIFY(!m_store->contains(TokenManager::vaultKey(kServer)));
}

QTEST_GUILESS_MAIN(TestTokenManager)
#include "TestTokenManager.moc"
