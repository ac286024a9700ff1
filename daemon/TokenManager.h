#pragma once

#include "HttpFetcher.h"
#include "TokenSet.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

namespace latchkey {

class AuditLog;
class ClientRegistration;
struct RemoteServer;
class HttpFetcher;
class ServerRegistry;
class Vault;

// Keeps every remote server's grant alive and hands out its access token (mcp-auth.md items 7, 11, 12):
// - refresh ahead of expiry at 75-80 % of the lifetime (jittered), and on demand when a token is stale;
//   a machine client's token (client credentials, no refresh token) is renewed the same way, with a new
//   client_credentials grant; all times in milliseconds;
// - one refresh per grant at a time however many ask (single flight);
// - a rotated refresh token is in the keychain before the new access token reaches anyone;
// - invalid_grant → the grant is dead (needs sign-in, with the AS's reason); 5xx, temporarily_unavailable
//   or a network error → keep the grant and retry with backoff (15 s doubling to 10 min). The backoff
//   binds on-demand renewals too: until the retry is due, askers get the still-valid token or
//   temporarily_unavailable saying when, and the AS sees no request. A new token set (sign-in) ends it;
// - `resource` on every refresh; a token set bound to another (issuer, client, resource) is never used.
class TokenManager : public QObject
{
    Q_OBJECT

public:
    struct Answer
    {
        QString accessToken; // empty on failure
        QString errorCode;   // an ipc::error code
        QString message;
        qint64 expiresAtMs = 0; // ms since the epoch
    };
    using Callback = std::function<void(const Answer &)>;

    TokenManager(Vault &vault, ServerRegistry &registry, HttpFetcher &http, AuditLog &audit, QObject *parent = nullptr);
    ~TokenManager() override;

    static QString vaultKey(const QString &server);

    // A token valid for more than `minValidity` (at most a quarter of its lifetime), refreshing first if needed.
    // rejected: AuditLog::hashId of a token a resource server refused (401). If it is still the current
    // one, it is refreshed even though it looks fresh; if a refresh already replaced it, the new one is
    // returned without another request (so many bridges hitting 401 together cost one refresh).
    void accessToken(const QString &server, Callback done,
                     std::chrono::milliseconds minValidity = std::chrono::seconds(30),
                     const std::string &rejected = {});
    // After a sign-in: keep the set, mark the grant active, schedule its refresh.
    void store(const QString &server, const TokenSet &tokens, std::function<void(const QString &error)> done);
    // Sign out: revoke at the AS (RFC 7009) where offered, then delete locally whatever the AS said.
    void signOut(const QString &server, std::function<void(const QString &revocationNote)> done);
    // Schedules refreshes for every active grant (at daemon start).
    void scheduleAll();

    // When the grant's current access token expires (ms since the epoch); 0 when unknown or none.
    qint64 expiresAtMs(const QString &server) const;
    // When the grant's next renewal may go out after a failure (ms since the epoch); 0 when not backing off.
    qint64 retryAtMs(const QString &server) const;
    int refreshRequestCount() const { return m_refreshRequests; }
    // Where a confidential client's credentials come from, so that refresh and revocation authenticate
    // the way the client is registered. Without it, they send client_id alone (public clients).
    void setClientRegistration(ClientRegistration *registration) { m_registration = registration; }

    // Renews a grant that has no refresh token of its own (Enterprise-Managed Authorization: the ID-JAG,
    // then the IdP). Used for servers whose record says so (RemoteServer::isEnterpriseGrant); it stores
    // what it gets through store() and answers like a refresh.
    using Renewer = std::function<void(const QString &server, Callback done)>;
    void setRenewer(Renewer renewer) { m_renewer = std::move(renewer); }

    // The clock (ms since the epoch) every expiry and backoff decision reads; unit tests move it.
    using Clock = std::function<qint64()>;
    void setClock(Clock clock) { m_clock = std::move(clock); }

Q_SIGNALS:
    void grantChanged(const QString &server);

private:
    struct Grant;
    Grant &grant(const QString &server);
    void load(const QString &server, std::function<void(const std::optional<TokenSet> &, const QString &error)> done);
    qint64 now() const { return m_clock(); }
    void refresh(const QString &server);
    // The token endpoint's answer to a refresh or a client credentials grant sent at `sentAtMs`.
    void renewed(const QString &server, const TokenSet &previous, qint64 sentAtMs, bool machine,
                 const HttpResponse &response);
    // A set without a refresh token: a machine client's gets a new client_credentials grant.
    void renewMachine(const QString &server, const TokenSet &previous);
    void finishRefresh(const QString &server, const Answer &answer);
    // A passing failure: keep the grant, back off, and answer with what is still valid.
    void deferRenewal(const QString &server, const TokenSet &previous, const QString &detail);
    // The answer while backing off: the still-valid token, or when the next try is due.
    Answer backingOff(const QString &server, const TokenSet &tokens, bool refused) const;
    // temporarily_unavailable, saying when the next try is.
    Answer retryLater(const QString &server) const;
    void resetBackoff(const QString &server);
    void markDead(const QString &server, const QString &reason);
    // postForm, with the client's authentication in place of a plain client_id when it has credentials.
    void postAuthenticated(const RemoteServer &remote, const QUrl &url, QList<QPair<QString, QString>> form,
                           HttpFetcher::Headers headers, HttpFetcher::Callback done);
    void schedule(const QString &server, const TokenSet &tokens);
    void setGrantState(const QString &server, int state, const QString &reason);

    Vault &m_vault;
    ServerRegistry &m_registry;
    HttpFetcher &m_http;
    Clock m_clock;
    ClientRegistration *m_registration = nullptr;
    Renewer m_renewer;
    bool renewsElsewhere(const QString &server) const;
    AuditLog &m_audit;
    QHash<QString, std::shared_ptr<Grant>> m_grants;
    int m_refreshRequests = 0;
};

} // namespace latchkey
