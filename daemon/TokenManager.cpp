#include "TokenManager.h"

#include "AuditLog.h"
#include "ClientAuthentication.h"
#include "ClientCredentialsGrant.h"
#include "ClientRegistration.h"
#include "HttpFetcher.h"
#include "Logging.h"
#include "Protocol.h"
#include "ServerRegistry.h"
#include "Vault.h"

#include <QDateTime>
#include <QRandomGenerator>

namespace latchkey {

namespace error = ipc::error;

namespace {

using std::chrono::milliseconds;

constexpr qint64 kFirstRetryMs = 15 * 1000;
constexpr qint64 kMaxRetryMs = 600 * 1000;
constexpr qint64 kMaxTimerMs = 24LL * 3600 * 1000;
// What a token handed out in place of a failed renewal must still have left (at most a quarter of its
// lifetime): not its last sub-second.
constexpr milliseconds kLastMoment{1000};

// The validity a token must have left to be handed out: `wanted`, but at most a quarter of its lifetime
// (asking 30 s of a 20 s token would refresh forever).
qint64 margin(const TokenSet &tokens, milliseconds wanted)
{
    const qint64 lifetime = tokens.lifetimeMs();
    return lifetime > 0 ? std::min<qint64>(wanted.count(), lifetime / 4) : wanted.count();
}

QString utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

} // namespace

struct TokenManager::Grant
{
    bool refreshing = false;
    QList<Callback> waiting; // askers during a refresh, each with its minimum validity
    QTimer timer;            // the next proactive refresh or retry
    qint64 backoffMs = 0;    // the last backoff step; 0 once a renewal succeeded
    qint64 retryAtMs = 0;    // after a failure, no renewal before this; 0 when none failed
    // AuditLog::hashId of the access token whose renewal failed: the backoff binds that token set only,
    // so a new one (a sign-in, a changed grant) is renewed when it needs to be.
    std::string failedSet;
    QString failure;        // why, for those who ask meanwhile
    qint64 expiresAtMs = 0; // of the token set last stored, loaded or refreshed; never the token itself
};

TokenManager::TokenManager(Vault &vault, ServerRegistry &registry, HttpFetcher &http, AuditLog &audit, QObject *parent)
    : QObject(parent), m_vault(vault), m_registry(registry), m_http(http),
      m_clock([] { return QDateTime::currentMSecsSinceEpoch(); }), m_audit(audit)
{}

TokenManager::~TokenManager() = default;

QString TokenManager::vaultKey(const QString &server)
{
    return Vault::entryKey(QStringLiteral("token"), server, QStringLiteral("default"));
}

TokenManager::Grant &TokenManager::grant(const QString &server)
{
    auto &slot = m_grants[server];
    if (!slot) {
        slot = std::make_shared<Grant>();
        slot->timer.setSingleShot(true);
        connect(&slot->timer, &QTimer::timeout, this, [this, server] { refresh(server); });
    }
    return *slot;
}

void TokenManager::load(const QString &server,
                        std::function<void(const std::optional<TokenSet> &, const QString &error)> done)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        done(std::nullopt, QStringLiteral("no remote server named \"%1\"").arg(server));
        return;
    }
    const RemoteServer remote = record->remote;
    m_vault.read(vaultKey(server), [remote, server, done](const SecretStore::Result &result) {
        if (result.status == SecretStore::Status::Unavailable) {
            done(std::nullopt, QStringLiteral("the keychain is unavailable: %1").arg(result.message));
            return;
        }
        if (result.status != SecretStore::Status::Ok) {
            done(std::nullopt, {});
            return;
        }
        auto tokens = TokenSet::deserialize(result.value);
        // Bound to what it was minted for: another issuer, client or resource means it is not ours to use.
        if (!tokens || !remote.authorizationServer ||
            !tokens->isBoundTo(remote.authorizationServer->issuer, remote.clientId, remote.audience())) {
            done(std::nullopt, {});
            return;
        }
        done(tokens, {});
    });
}

void TokenManager::accessToken(const QString &server, Callback done, milliseconds minValidity,
                               const std::string &rejected)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        done({{}, QString::fromLatin1(error::NotFound), QStringLiteral("no remote server named \"%1\"").arg(server)});
        return;
    }
    if (record->remote.grant == RemoteServer::GrantState::NeedsLogin && renewsElsewhere(server)) {
        done({{},
              QString::fromLatin1(error::NeedsLogin),
              QStringLiteral("%1: %2; run: latchkey enterprise login").arg(server, record->remote.grantReason)});
        return;
    }
    if (record->remote.grant == RemoteServer::GrantState::NeedsLogin) {
        done({{},
              QString::fromLatin1(error::NeedsLogin),
              QStringLiteral("%1 needs sign-in (%2); run: latchkey login %1").arg(server, record->remote.grantReason)});
        return;
    }
    if (!rejected.empty()) {
        // Whoever was refused a token never gets it back, e.g. as the fallback of a failed renewal.
        done = [this, server, rejected, done = std::move(done)](const Answer &answer) {
            if (!answer.accessToken.isEmpty() && AuditLog::hashId(answer.accessToken.toUtf8()) == rejected) {
                done(retryLater(server));
                return;
            }
            done(answer);
        };
    }
    Grant &g = grant(server);
    if (g.refreshing) {
        g.waiting.append(std::move(done));
        return;
    }
    load(server, [this, server, done = std::move(done), minValidity, rejected](const std::optional<TokenSet> &tokens,
                                                                               const QString &why) {
        if (!why.isEmpty()) {
            done({{}, QString::fromLatin1(error::KeychainUnavailable), why});
            return;
        }
        if (!tokens && renewsElsewhere(server)) {
            Grant &pending = grant(server); // zero-touch: the first token comes the way renewals do
            pending.waiting.append(done);
            refresh(server);
            return;
        }
        if (!tokens) {
            done({{},
                  QString::fromLatin1(error::NeedsLogin),
                  QStringLiteral("%1 has no sign-in yet; run: latchkey login %1").arg(server)});
            return;
        }
        const std::string current = AuditLog::hashId(tokens->accessToken.toUtf8());
        const bool refused = !rejected.empty() && current == rejected;
        if (!refused && tokens->isFresh(now(), margin(*tokens, minValidity))) {
            done({tokens->accessToken, {}, {}, tokens->expiresAtMs});
            return;
        }
        Grant &pending = grant(server);
        if (pending.refreshing) {
            pending.waiting.append(done);
            return;
        }
        // The last renewal of this very set failed and its retry is not due yet: asking again changes
        // nothing at the AS, so it is not asked.
        if (pending.retryAtMs > now() && pending.failedSet == current) {
            done(backingOff(server, *tokens, refused));
            return;
        }
        if (refused && tokens->refreshToken.isEmpty() && !tokens->isClientCredentials() && !renewsElsewhere(server)) {
            // The resource server refused it and nothing can renew it: only a new sign-in helps.
            markDead(server, QStringLiteral("the server refused the access token and there is no refresh token"));
            done(
                {{},
                 QString::fromLatin1(error::NeedsLogin),
                 QStringLiteral("%1 needs sign-in: the server refused its token; run: latchkey login %1").arg(server)});
            return;
        }
        pending.waiting.append(done);
        refresh(server);
    });
}

void TokenManager::refresh(const QString &server)
{
    Grant &g = grant(server);
    if (g.refreshing) {
        return;
    }
    g.refreshing = true;
    g.timer.stop();
    load(server, [this, server](const std::optional<TokenSet> &tokens, const QString &why) {
        if (!why.isEmpty()) {
            finishRefresh(server, {{}, QString::fromLatin1(error::KeychainUnavailable), why});
            return;
        }
        if (renewsElsewhere(server)) {
            m_renewer(server, [this, server](const Answer &answer) { finishRefresh(server, answer); });
            return;
        }
        const ServerRecord *record = m_registry.find(server);
        if (!tokens || !record || !record->remote.authorizationServer) {
            finishRefresh(server, {{},
                                   QString::fromLatin1(error::NeedsLogin),
                                   QStringLiteral("%1 has no sign-in; run: latchkey login %1").arg(server)});
            return;
        }
        if (tokens->refreshToken.isEmpty()) {
            renewMachine(server, *tokens);
            return;
        }
        const RemoteServer remote = record->remote;
        const QList<QPair<QString, QString>> form = {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                                     {QStringLiteral("refresh_token"), tokens->refreshToken},
                                                     {QStringLiteral("client_id"), remote.clientId},
                                                     {QStringLiteral("resource"), remote.audience()}};
        ++m_refreshRequests;
        const qint64 sentAt = now();
        postAuthenticated(remote, remote.authorizationServer->tokenEndpoint, form, {{"Accept", "application/json"}},
                          [this, server, previous = *tokens, sentAt](const HttpResponse &response) {
                              renewed(server, previous, sentAt, false, response);
                          });
    });
}

void TokenManager::renewMachine(const QString &server, const TokenSet &previous)
{
    // Not renewable (a person's sign-in without a refresh token): good while it lasts, then sign in.
    const auto lastsOrDies = [this, server, previous] {
        if (previous.isFresh(now(), margin(previous, kLastMoment))) {
            finishRefresh(server, {previous.accessToken, {}, {}, previous.expiresAtMs});
            return;
        }
        markDead(server, QStringLiteral("the access token expired and the authorization server gave no refresh token"));
        finishRefresh(server,
                      {{},
                       QString::fromLatin1(error::NeedsLogin),
                       QStringLiteral("%1 needs sign-in: its token expired; run: latchkey login %1").arg(server)});
    };
    const ServerRecord *record = m_registry.find(server);
    if (!m_registration || !record || !record->remote.authorizationServer) {
        lastsOrDies();
        return;
    }
    const RemoteServer remote = record->remote;
    m_registration->known(
        *remote.authorizationServer, [this, server, previous, remote, lastsOrDies](
                                         const std::optional<ClientRegistration::Client> &client, const QString &why) {
            // Sets kept by earlier versions do not say how they were obtained: the client configuration does.
            const bool machine =
                previous.isClientCredentials() || (client && client->grantType == ClientCredentialsGrant::grantType());
            if (!machine || (client && client->clientId != remote.clientId)) {
                lastsOrDies();
                return;
            }
            if (!client) { // the keychain is locked, or the client's configuration went away
                deferRenewal(server, previous, why);
                return;
            }
            QList<QPair<QString, QString>> form;
            HttpFetcher::Headers headers;
            const QString scope = previous.scope.isEmpty() ? remote.scopes.join(QLatin1Char(' ')) : previous.scope;
            if (const QString cannot = ClientCredentialsGrant::prepare(*remote.authorizationServer, *client,
                                                                       remote.audience(), scope, &form, &headers);
                !cannot.isEmpty()) {
                deferRenewal(server, previous, cannot); // e.g. its secret is gone: retried once it is back
                return;
            }
            ++m_refreshRequests;
            const qint64 sentAt = now();
            m_http.postForm(remote.authorizationServer->tokenEndpoint, form, headers,
                            [this, server, previous, sentAt](const HttpResponse &response) {
                                renewed(server, previous, sentAt, true, response);
                            });
        });
}

void TokenManager::renewed(const QString &server, const TokenSet &previous, qint64 sentAtMs, bool machine,
                           const HttpResponse &response)
{
    if (!response.error.isEmpty() || response.status >= 500 || response.status == 429) {
        deferRenewal(server, previous,
                     response.error.isEmpty() ? TokenError::fromResponse(response.status, response.body).toString()
                                              : response.error);
        return;
    }
    if (response.status < 200 || response.status >= 300) {
        const TokenError failure = TokenError::fromResponse(response.status, response.body);
        if (failure.code == QStringLiteral("temporarily_unavailable") || !failure.isFatal()) {
            deferRenewal(server, previous, failure.toString());
            return;
        }
        markDead(server, failure.toString());
        finishRefresh(
            server,
            {{},
             QString::fromLatin1(error::NeedsLogin),
             QStringLiteral("%1 needs sign-in: the authorization server refused %2 (%3); run: "
                            "latchkey login %1")
                 .arg(server, machine ? QStringLiteral("a new token for the client") : QStringLiteral("the refresh"),
                      failure.toString())});
        return;
    }
    QString invalid;
    auto fresh = TokenSet::fromTokenResponse(response.body, sentAtMs, &invalid);
    if (!fresh) {
        deferRenewal(server, previous, invalid);
        return;
    }
    fresh->issuer = previous.issuer;
    fresh->clientId = previous.clientId;
    fresh->resource = previous.resource;
    fresh->account = previous.account;
    fresh->grantType = machine ? ClientCredentialsGrant::grantType() : previous.grantType;
    if (fresh->refreshToken.isEmpty()) {
        fresh->refreshToken = previous.refreshToken; // not rotated: keep the one we have
    }
    if (fresh->scope.isEmpty()) {
        fresh->scope = previous.scope;
    }
    const TokenSet rotated = *fresh;
    // Persist first: a rotated refresh token exists only in this reply until the
    // keychain has it. Nobody gets the new access token before that.
    m_vault.write(vaultKey(server), rotated.serialize(), [this, server, rotated](const SecretStore::Result &result) {
        if (result.status != SecretStore::Status::Ok) {
            markDead(server, QStringLiteral("the refreshed tokens could not be saved: ") + result.message);
            finishRefresh(server, {{}, QString::fromLatin1(error::KeychainUnavailable), result.message});
            return;
        }
        m_audit.record("token.refreshed", {{"server", server.toStdString()}, {"detail", std::string()}});
        resetBackoff(server);
        schedule(server, rotated);
        finishRefresh(server, {rotated.accessToken, {}, {}, rotated.expiresAtMs});
    });
}

void TokenManager::deferRenewal(const QString &server, const TokenSet &previous, const QString &detail)
{
    m_audit.record("token.refresh_deferred", {{"server", server.toStdString()}, {"detail", detail.toStdString()}});
    Grant &g = grant(server);
    g.backoffMs = g.backoffMs == 0 ? kFirstRetryMs : std::min(g.backoffMs * 2, kMaxRetryMs);
    g.retryAtMs = now() + g.backoffMs;
    g.failedSet = AuditLog::hashId(previous.accessToken.toUtf8());
    g.failure = detail;
    g.timer.start(static_cast<int>(g.backoffMs));
    finishRefresh(server, backingOff(server, previous, false));
}

TokenManager::Answer TokenManager::backingOff(const QString &server, const TokenSet &tokens, bool refused) const
{
    // Meanwhile a token still valid beats none.
    if (!refused && tokens.isFresh(now(), margin(tokens, kLastMoment))) {
        return {tokens.accessToken, {}, {}, tokens.expiresAtMs};
    }
    return retryLater(server);
}

TokenManager::Answer TokenManager::retryLater(const QString &server) const
{
    const auto slot = m_grants.value(server);
    if (!slot || slot->retryAtMs == 0) {
        return {{},
                QString::fromLatin1(error::TemporarilyUnavailable),
                QStringLiteral("no new token for %1 yet; try again").arg(server)};
    }
    return {{},
            QString::fromLatin1(error::TemporarilyUnavailable),
            QStringLiteral("cannot renew the token of %1 right now (%2); the next try is at %3 (in %4 s)")
                .arg(server, slot->failure, utc(slot->retryAtMs))
                .arg(std::max<qint64>(0, (slot->retryAtMs - now() + 999) / 1000))};
}

void TokenManager::resetBackoff(const QString &server)
{
    Grant &g = grant(server);
    g.timer.stop();
    g.backoffMs = 0;
    g.retryAtMs = 0;
    g.failedSet.clear();
    g.failure.clear();
}

void TokenManager::postAuthenticated(const RemoteServer &remote, const QUrl &url, QList<QPair<QString, QString>> form,
                                     HttpFetcher::Headers headers, HttpFetcher::Callback done)
{
    if (!m_registration || !remote.authorizationServer) {
        m_http.postForm(url, form, headers, std::move(done));
        return;
    }
    const AuthorizationServerMetadata as = *remote.authorizationServer;
    m_registration->known(as, [this, as, clientId = remote.clientId, url, form, headers,
                               done](const std::optional<ClientRegistration::Client> &client, const QString &) {
        auto authenticated = form;
        auto authHeaders = headers;
        if (client && client->clientId == clientId) {
            authenticated.removeIf(
                [](const QPair<QString, QString> &field) { return field.first == QStringLiteral("client_id"); });
            if (!ClientAuthentication::apply(as, *client, &authenticated, &authHeaders).isEmpty()) {
                authenticated = form; // cannot authenticate (e.g. the key is gone): the AS will say so
                authHeaders = headers;
            }
        }
        m_http.postForm(url, authenticated, authHeaders, done);
    });
}

void TokenManager::finishRefresh(const QString &server, const Answer &answer)
{
    Grant &g = grant(server);
    g.refreshing = false;
    const auto waiting = std::exchange(g.waiting, {});
    for (const Callback &callback : waiting) {
        callback(answer);
    }
}

qint64 TokenManager::expiresAtMs(const QString &server) const
{
    const auto slot = m_grants.value(server);
    return slot ? slot->expiresAtMs : 0;
}

qint64 TokenManager::retryAtMs(const QString &server) const
{
    const auto slot = m_grants.value(server);
    return slot ? slot->retryAtMs : 0;
}

void TokenManager::schedule(const QString &server, const TokenSet &tokens)
{
    Grant &g = grant(server);
    g.expiresAtMs = tokens.expiresAtMs;
    // 75-80 % of the lifetime, jittered so many grants do not refresh in lockstep.
    const double fraction = 0.75 + QRandomGenerator::global()->bounded(0.05);
    const qint64 at = tokens.refreshAt(fraction);
    if (at == 0 || (tokens.refreshToken.isEmpty() && !tokens.isClientCredentials() && !renewsElsewhere(server))) {
        return;
    }
    g.timer.start(static_cast<int>(std::clamp<qint64>(at - now(), 0, kMaxTimerMs)));
}

void TokenManager::setGrantState(const QString &server, int state, const QString &reason)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record) {
        return;
    }
    ServerRecord updated = *record;
    updated.remote.grant = static_cast<RemoteServer::GrantState>(state);
    updated.remote.grantReason = reason;
    QString why;
    if (!m_registry.update(updated, &why)) {
        qCWarning(lcDaemon).noquote() << "cannot record the grant state of" << server << ":" << why;
    }
    Q_EMIT grantChanged(server);
}

void TokenManager::markDead(const QString &server, const QString &reason)
{
    resetBackoff(server);
    grant(server).expiresAtMs = 0;
    m_audit.record("grant.dead", {{"server", server.toStdString()}, {"reason", reason.toStdString()}});
    m_vault.remove(vaultKey(server), [](const SecretStore::Result &) {});
    setGrantState(server, static_cast<int>(RemoteServer::GrantState::NeedsLogin), reason);
}

void TokenManager::store(const QString &server, const TokenSet &tokens, std::function<void(const QString &error)> done)
{
    m_vault.write(
        vaultKey(server), tokens.serialize(), [this, server, tokens, done](const SecretStore::Result &result) {
            if (result.status != SecretStore::Status::Ok) {
                done(QStringLiteral("the keychain is unavailable: %1 (the sign-in was not kept)").arg(result.message));
                return;
            }
            resetBackoff(server); // a new grant: whatever failed before concerned the old one
            setGrantState(server, static_cast<int>(RemoteServer::GrantState::Active), {});
            schedule(server, tokens);
            done({});
        });
}

void TokenManager::signOut(const QString &server, std::function<void(const QString &note)> done)
{
    resetBackoff(server);
    load(server, [this, server, done](const std::optional<TokenSet> &tokens, const QString &) {
        const ServerRecord *record = m_registry.find(server);
        const auto forget = [this, server, done](const QString &note) {
            m_vault.remove(vaultKey(server), [this, server, done, note](const SecretStore::Result &) {
                grant(server).expiresAtMs = 0;
                setGrantState(server, static_cast<int>(RemoteServer::GrantState::None), {});
                m_audit.record("grant.signed_out",
                               {{"server", server.toStdString()}, {"revocation", note.toStdString()}});
                done(note);
            });
        };
        if (!tokens || !record || !record->remote.authorizationServer ||
            record->remote.authorizationServer->revocationEndpoint.isEmpty()) {
            forget(tokens ? QStringLiteral("the authorization server offers no revocation; deleted locally")
                          : QStringLiteral("nothing to revoke"));
            return;
        }
        // RFC 7009: the refresh token first (revoking it usually ends the whole grant), then the access token.
        const QUrl endpoint = record->remote.authorizationServer->revocationEndpoint;
        const QString clientId = record->remote.clientId;
        const auto revoke = [this, endpoint, clientId, remote = record->remote](
                                const QString &token, const QString &hint, std::function<void(const QString &)> next) {
            if (token.isEmpty()) {
                next({});
                return;
            }
            postAuthenticated(remote, endpoint,
                              {{QStringLiteral("token"), token},
                               {QStringLiteral("token_type_hint"), hint},
                               {QStringLiteral("client_id"), clientId}},
                              {}, [next](const HttpResponse &response) {
                                  next(response.ok() ? QString()
                                       : response.error.isEmpty()
                                           ? TokenError::fromResponse(response.status, response.body).toString()
                                           : response.error);
                              });
        };
        const TokenSet set = *tokens;
        revoke(set.refreshToken, QStringLiteral("refresh_token"), [revoke, set, forget](const QString &first) {
            revoke(set.accessToken, QStringLiteral("access_token"), [first, forget](const QString &second) {
                // RFC 7009 §2.2.1: an AS may not revoke self-contained (JWT) access tokens; they lapse on their own.
                const bool selfContained = second.startsWith(QStringLiteral("unsupported_token_type"));
                const QString failure = !first.isEmpty() ? first : (selfContained ? QString() : second);
                forget(failure.isEmpty() ? QStringLiteral("revoked at the authorization server")
                                         : QStringLiteral("revocation failed (%1); deleted locally").arg(failure));
            });
        });
    });
}

bool TokenManager::renewsElsewhere(const QString &server) const
{
    const ServerRecord *record = m_registry.find(server);
    return m_renewer && record && record->kind == ServerRecord::Kind::Remote && record->remote.isEnterpriseGrant();
}

void TokenManager::scheduleAll()
{
    for (const ServerRecord &record : m_registry.servers()) {
        if (record.kind != ServerRecord::Kind::Remote || record.remote.grant != RemoteServer::GrantState::Active) {
            continue;
        }
        const QString server = record.name;
        load(server, [this, server](const std::optional<TokenSet> &tokens, const QString &) {
            if (tokens) {
                schedule(server, *tokens);
            }
        });
    }
}

} // namespace latchkey
