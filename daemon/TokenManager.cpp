#include "TokenManager.h"

#include "AuditLog.h"
#include "ClientAuthentication.h"
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

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

constexpr int kFirstRetrySeconds = 15;
constexpr int kMaxRetrySeconds = 600;

} // namespace

struct TokenManager::Grant
{
    bool refreshing = false;
    QList<Callback> waiting; // askers during a refresh, each with its minimum validity
    QTimer timer;            // the next proactive refresh or retry
    int retrySeconds = 0;
    qint64 expiresAt = 0; // of the token set last stored, loaded or refreshed; never the token itself
};

TokenManager::TokenManager(Vault &vault, ServerRegistry &registry, HttpFetcher &http, AuditLog &audit, QObject *parent)
    : QObject(parent), m_vault(vault), m_registry(registry), m_http(http), m_audit(audit)
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

void TokenManager::accessToken(const QString &server, Callback done, qint64 minValidity, const std::string &rejected)
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
        // Short-lived tokens get a proportionate margin: asking 30 s of a 20 s token would refresh forever.
        const qint64 lifetime = tokens->expiresAt - tokens->obtainedAt;
        const qint64 margin = lifetime > 0 ? std::min(minValidity, lifetime / 4) : minValidity;
        const bool refused = !rejected.empty() && AuditLog::hashId(tokens->accessToken.toUtf8()) == rejected;
        if (!refused && tokens->isFresh(now(), margin)) {
            done({tokens->accessToken, {}, {}, tokens->expiresAt});
            return;
        }
        if (refused && tokens->refreshToken.isEmpty() && !renewsElsewhere(server)) {
            // The resource server refused it and nothing can renew it: only a new sign-in helps.
            markDead(server, QStringLiteral("the server refused the access token and there is no refresh token"));
            done(
                {{},
                 QString::fromLatin1(error::NeedsLogin),
                 QStringLiteral("%1 needs sign-in: the server refused its token; run: latchkey login %1").arg(server)});
            return;
        }
        Grant &pending = grant(server);
        pending.waiting.append(done);
        if (!pending.refreshing) {
            refresh(server);
        }
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
            if (tokens->isFresh(now(), 0)) {
                finishRefresh(server, {tokens->accessToken, {}, {}, tokens->expiresAt});
            } else {
                markDead(server, QStringLiteral("the access token expired and the authorization server gave no "
                                                "refresh token"));
                finishRefresh(
                    server,
                    {{},
                     QString::fromLatin1(error::NeedsLogin),
                     QStringLiteral("%1 needs sign-in: its token expired; run: latchkey login %1").arg(server)});
            }
            return;
        }
        const RemoteServer remote = record->remote;
        const QList<QPair<QString, QString>> form = {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                                     {QStringLiteral("refresh_token"), tokens->refreshToken},
                                                     {QStringLiteral("client_id"), remote.clientId},
                                                     {QStringLiteral("resource"), remote.audience()}};
        ++m_refreshRequests;
        const TokenSet previous = *tokens;
        postAuthenticated(
            remote, remote.authorizationServer->tokenEndpoint, form, {{"Accept", "application/json"}},
            [this, server, previous](const HttpResponse &response) {
                const auto audit = [this, server](const char *event, const QString &detail) {
                    m_audit.record(event, {{"server", server.toStdString()}, {"detail", detail.toStdString()}});
                };
                // A passing failure keeps the grant and retries later; meanwhile a token still valid beats none.
                const auto deferred = [this, server, previous, audit](const QString &detail) {
                    audit("token.refresh_deferred", detail);
                    scheduleRetry(server);
                    if (previous.isFresh(now(), 0)) {
                        finishRefresh(server, {previous.accessToken, {}, {}, previous.expiresAt});
                    } else {
                        finishRefresh(
                            server,
                            {{},
                             QString::fromLatin1(error::TemporarilyUnavailable),
                             QStringLiteral("cannot refresh %1 right now (%2); will retry").arg(server, detail)});
                    }
                };
                if (!response.error.isEmpty() || response.status >= 500 || response.status == 429) {
                    deferred(response.error.isEmpty()
                                 ? TokenError::fromResponse(response.status, response.body).toString()
                                 : response.error);
                    return;
                }
                if (response.status < 200 || response.status >= 300) {
                    const TokenError failure = TokenError::fromResponse(response.status, response.body);
                    if (failure.code == QStringLiteral("temporarily_unavailable") || !failure.isFatal()) {
                        deferred(failure.toString());
                        return;
                    }
                    markDead(server, failure.toString());
                    finishRefresh(server, {{},
                                           QString::fromLatin1(error::NeedsLogin),
                                           QStringLiteral("%1 needs sign-in: the authorization server "
                                                          "refused the refresh (%2); run: latchkey login %1")
                                               .arg(server, failure.toString())});
                    return;
                }
                QString invalid;
                auto fresh = TokenSet::fromTokenResponse(response.body, now(), &invalid);
                if (!fresh) {
                    deferred(invalid);
                    return;
                }
                fresh->issuer = previous.issuer;
                fresh->clientId = previous.clientId;
                fresh->resource = previous.resource;
                fresh->account = previous.account;
                if (fresh->refreshToken.isEmpty()) {
                    fresh->refreshToken = previous.refreshToken; // not rotated: keep the one we have
                }
                if (fresh->scope.isEmpty()) {
                    fresh->scope = previous.scope;
                }
                const TokenSet rotated = *fresh;
                // Persist first: a rotated refresh token exists only in this reply until the
                // keychain has it. Nobody gets the new access token before that.
                m_vault.write(vaultKey(server), rotated.serialize(),
                              [this, server, rotated, audit](const SecretStore::Result &result) {
                                  if (result.status != SecretStore::Status::Ok) {
                                      markDead(server, QStringLiteral("the refreshed tokens could not be "
                                                                      "saved: ") +
                                                           result.message);
                                      finishRefresh(
                                          server,
                                          {{}, QString::fromLatin1(error::KeychainUnavailable), result.message});
                                      return;
                                  }
                                  audit("token.refreshed", QString());
                                  grant(server).retrySeconds = 0;
                                  schedule(server, rotated);
                                  finishRefresh(server, {rotated.accessToken, {}, {}, rotated.expiresAt});
                              });
            });
    });
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

qint64 TokenManager::expiresAt(const QString &server) const
{
    const auto slot = m_grants.value(server);
    return slot ? slot->expiresAt : 0;
}

void TokenManager::schedule(const QString &server, const TokenSet &tokens)
{
    grant(server).expiresAt = tokens.expiresAt;
    // 75-80 % of the lifetime, jittered so many grants do not refresh in lockstep.
    const double fraction = 0.75 + QRandomGenerator::global()->bounded(0.05);
    const qint64 at = tokens.refreshAt(fraction);
    if (at == 0 || (tokens.refreshToken.isEmpty() && !renewsElsewhere(server))) {
        return;
    }
    const qint64 delay = std::max<qint64>(0, at - now());
    grant(server).timer.start(static_cast<int>(std::min<qint64>(delay, 24 * 3600) * 1000));
}

void TokenManager::scheduleRetry(const QString &server)
{
    Grant &g = grant(server);
    g.retrySeconds = g.retrySeconds == 0 ? kFirstRetrySeconds : std::min(g.retrySeconds * 2, kMaxRetrySeconds);
    g.timer.start(g.retrySeconds * 1000);
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
    grant(server).timer.stop();
    grant(server).expiresAt = 0;
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
            grant(server).retrySeconds = 0;
            setGrantState(server, static_cast<int>(RemoteServer::GrantState::Active), {});
            schedule(server, tokens);
            done({});
        });
}

void TokenManager::signOut(const QString &server, std::function<void(const QString &note)> done)
{
    grant(server).timer.stop();
    load(server, [this, server, done](const std::optional<TokenSet> &tokens, const QString &) {
        const ServerRecord *record = m_registry.find(server);
        const auto forget = [this, server, done](const QString &note) {
            m_vault.remove(vaultKey(server), [this, server, done, note](const SecretStore::Result &) {
                grant(server).expiresAt = 0;
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
