#pragma once

#include "HttpFetcher.h"
#include "TokenSet.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QTimer>

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
// - one refresh per grant at a time however many ask (single flight);
// - a rotated refresh token is in the keychain before the new access token reaches anyone;
// - invalid_grant → the grant is dead (needs sign-in, with the AS's reason); 5xx, temporarily_unavailable
//   or a network error → keep the grant and retry with backoff;
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
        qint64 expiresAt = 0;
    };
    using Callback = std::function<void(const Answer &)>;

    TokenManager(Vault &vault, ServerRegistry &registry, HttpFetcher &http, AuditLog &audit, QObject *parent = nullptr);
    ~TokenManager() override;

    static QString vaultKey(const QString &server);

    // A token valid for at least `minValidity` seconds, refreshing first if needed.
    // rejected: AuditLog::hashId of a token a resource server refused (401). If it is still the current
    // one, it is refreshed even though it looks fresh; if a refresh already replaced it, the new one is
    // returned without another request (so many bridges hitting 401 together cost one refresh).
    void accessToken(const QString &server, Callback done, qint64 minValidity = 30, const std::string &rejected = {});
    // After a sign-in: keep the set, mark the grant active, schedule its refresh.
    void store(const QString &server, const TokenSet &tokens, std::function<void(const QString &error)> done);
    // Sign out: revoke at the AS (RFC 7009) where offered, then delete locally whatever the AS said.
    void signOut(const QString &server, std::function<void(const QString &revocationNote)> done);
    // Schedules refreshes for every active grant (at daemon start).
    void scheduleAll();

    // When the grant's current access token expires (seconds since the epoch); 0 when unknown or none.
    qint64 expiresAt(const QString &server) const;
    int refreshRequestCount() const { return m_refreshRequests; }
    // Where a confidential client's credentials come from, so that refresh and revocation authenticate
    // the way the client is registered. Without it, they send client_id alone (public clients).
    void setClientRegistration(ClientRegistration *registration) { m_registration = registration; }

    // Renews a grant that has no refresh token of its own (Enterprise-Managed Authorization: the ID-JAG,
    // then the IdP). Used for servers whose record says so (RemoteServer::isEnterpriseGrant); it stores
    // what it gets through store() and answers like a refresh.
    using Renewer = std::function<void(const QString &server, Callback done)>;
    void setRenewer(Renewer renewer) { m_renewer = std::move(renewer); }

Q_SIGNALS:
    void grantChanged(const QString &server);

private:
    struct Grant;
    Grant &grant(const QString &server);
    void load(const QString &server, std::function<void(const std::optional<TokenSet> &, const QString &error)> done);
    void refresh(const QString &server);
    void finishRefresh(const QString &server, const Answer &answer);
    void markDead(const QString &server, const QString &reason);
    // postForm, with the client's authentication in place of a plain client_id when it has credentials.
    void postAuthenticated(const RemoteServer &remote, const QUrl &url, QList<QPair<QString, QString>> form,
                           HttpFetcher::Headers headers, HttpFetcher::Callback done);
    void schedule(const QString &server, const TokenSet &tokens);
    void scheduleRetry(const QString &server);
    void setGrantState(const QString &server, int state, const QString &reason);

    Vault &m_vault;
    ServerRegistry &m_registry;
    HttpFetcher &m_http;
    ClientRegistration *m_registration = nullptr;
    Renewer m_renewer;
    bool renewsElsewhere(const QString &server) const;
    AuditLog &m_audit;
    QHash<QString, std::shared_ptr<Grant>> m_grants;
    int m_refreshRequests = 0;
};

} // namespace latchkey
