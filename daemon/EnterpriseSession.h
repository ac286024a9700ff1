#pragma once

#include "AuthorizationFlow.h"
#include "ManagedPolicy.h"
#include "OAuthMetadata.h"
#include "TokenManager.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace latchkey {

class AuditLog;
class ClientRegistration;
class Discovery;
class HttpFetcher;
class IdTokenValidator;
class ServerRegistry;
class Vault;
struct HttpResponse;
struct TokenError;

// Enterprise-Managed Authorization (mcp-auth.md, "Enterprise-Managed Authorization"; the ext-auth
// specification; draft-ietf-oauth-identity-assertion-authz-grant):
// - one OIDC sign-in at the policy's IdP (code + PKCE + nonce, in the browser) → a validated ID token and
//   the IdP refresh token, kept in the keychain (latchkey/idp/<issuer>/default);
// - zero-touch for every approved server: discovery, the id-jag grant profile at its AS (else
//   "unsupported": the person signs in per server as usual), RFC 8693 token exchange at the IdP for an
//   ID-JAG (audience = the AS issuer, resource = the server), then the RFC 7523 jwt-bearer grant at the
//   AS → a token set stored like any other (TokenManager);
// - renewal in the spec's order: the kept ID-JAG again, a new ID-JAG, the IdP refresh token (then a new
//   ID-JAG), else sign in again;
// - central revocation: the IdP refusing the exchange deletes that server's tokens and marks it revoked
//   with the IdP's reason (audited); other servers are untouched.
// ID tokens and ID-JAGs live only in the vault and in flight; never in a log or the audit trail.
class EnterpriseSession : public QObject
{
    Q_OBJECT

public:
    // errorCode empty on success.
    using Done = std::function<void(const QString &errorCode, const QString &message)>;

    EnterpriseSession(HttpFetcher &http, Discovery &discovery, ClientRegistration &registration,
                      ServerRegistry &registry, TokenManager &tokens, Vault &vault, AuditLog &audit,
                      AuthorizationFlow::BrowserHook browser, QObject *parent = nullptr);
    ~EnterpriseSession() override;

    // Takes the policy (or its error) and reads the IdP session from the keychain. A usable policy also
    // retires the servers it added earlier and no longer lists (or lists under another URL): their tokens
    // are revoked where the AS offers it and deleted, their records removed, `enterprise.server_removed`
    // audited. Servers the person added are never touched; an unusable or absent policy retires nothing.
    void setPolicy(const ManagedPolicy::Loaded &loaded);
    const ManagedPolicy::Loaded &policy() const { return m_policy; }

    // enterprise.status (ipc/README.md): the policy, the IdP session, every approved server's state.
    nlohmann::json status() const;
    // A one-line summary for `status`.
    nlohmann::json summary() const;

    // The IdP sign-in in the browser, then zero-touch for every approved server.
    void signIn(Done done);
    // For SSO brokers and headless use: an ID token obtained elsewhere for the policy's IdP client
    // (checked like one of ours, but without a nonce), then zero-touch. When the IdP's keys cannot be had
    // (no jwks_uri, or it cannot be fetched) the token is refused unless `allowUnverified` says the caller
    // explicitly accepts it with only its claims checked; that downgrade is audited and shown in status.
    void signInWithIdToken(const QByteArray &idToken, bool allowUnverified, Done done);
    // What sign-out did with the IdP refresh token at the IdP (RFC 7009).
    struct IdpRevocation
    {
        QString result; // "revoked", "failed", "not_offered" (no revocation_endpoint) or "none" (no refresh token)
        QString detail;
    };
    // Revokes the IdP refresh token at the IdP's revocation_endpoint where offered, then forgets the IdP
    // session and every enterprise token set (revoked at the AS where offered). Local state is cleared
    // whatever the IdP answers; `done` says how the IdP revocation went.
    void signOut(std::function<void(const IdpRevocation &)> done);
    // Zero-touch for every approved server (after a sign-in).
    void connectAll(std::function<void()> done);
    // TokenManager::Renewer for enterprise servers.
    void renew(const QString &server, TokenManager::Callback done);

    bool isSigningIn() const { return m_flow != nullptr; }
    void setTimeout(int ms) { m_timeoutMs = ms; }

    static QString sessionVaultKey(const QString &issuer);
    static QString assertionVaultKey(const QString &server);
    // Whether an AS takes ID-JAGs: it lists the id-jag grant profile; or, when it lists no profiles at
    // all, the jwt-bearer grant (SEP-990 servers from before the profile metadata).
    static bool supportsIdJag(const AuthorizationServerMetadata &as);

    static constexpr const char *kIdJagProfile = "urn:ietf:params:oauth:grant-profile:id-jag";
    static constexpr const char *kIdJagType = "urn:ietf:params:oauth:token-type:id-jag";
    static constexpr const char *kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static constexpr const char *kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";

Q_SIGNALS:
    // The sign-in URL goes only to whoever asked (see EnterpriseHandler).
    void progress(const QString &stage, const QUrl &authorizationUrl);
    void changed();
    // A server the policy no longer lists is gone (its record removed): consent grants and listeners follow.
    void serverRemoved(const QString &server);

private:
    struct IdpMetadata
    {
        QString issuer;
        QUrl authorizationEndpoint;
        QUrl tokenEndpoint;
        QUrl jwksUri;
        QUrl revocationEndpoint;
        QStringList scopesSupported;
        QStringList codeChallengeMethods;
        bool issParameterSupported = false;
        AuthorizationServerMetadata asMetadata() const;
    };
    struct Session
    {
        QString idToken;
        QString refreshToken;
        QString subject;
        qint64 expiresAt = 0;
        bool signatureChecked = true;
        QByteArray serialize() const;
        static std::optional<Session> deserialize(const QByteArray &data);
    };
    struct Run;
    using IdTokenCallback = std::function<void(const QString &idToken, const QString &errorCode, const QString &why)>;

    void discoverIdp(std::function<void(const QString &error)> done);
    // How an ID token's signature is checked: always (our own sign-in and refresh; a handed-in token),
    // or, for a handed-in token with the caller's explicit opt-in, waived when the IdP's keys cannot be had.
    enum class Signature
    {
        Required,
        RequiredHandedIn,
        WaivedWithoutKeys
    };
    void acceptIdToken(const QByteArray &idToken, const QString &refreshToken, const QString &nonce,
                       Signature signature, Done done);
    void revokeIdpRefreshToken(const QString &refreshToken, std::function<void(const IdpRevocation &)> done);
    void connectServer(const ManagedPolicy::Server &server, std::function<void()> done);
    void obtain(std::shared_ptr<Run> run, bool reuseAssertion, TokenManager::Callback done);
    void exchange(std::shared_ptr<Run> run, TokenManager::Callback done);
    void bearer(std::shared_ptr<Run> run, const QString &assertion,
                std::function<void(bool fatal, const QString &why)> failed, TokenManager::Callback done);
    void currentIdToken(bool forceRefresh, IdTokenCallback done);
    void refreshIdToken(IdTokenCallback done);
    // POSTs with Latchkey's client authentication at the IdP, to its token endpoint unless `endpoint` is set.
    void postToIdp(QList<QPair<QString, QString>> form, std::function<void(const HttpResponse &)> done,
                   const QUrl &endpoint = {});
    void finishSignOut(const QString &issuer, const std::function<void()> &done);
    void revoke(const QString &server, const TokenError &refusal, TokenManager::Callback done);
    void retireRemovedServers();
    void retire(const QString &server);
    void setState(const QString &server, const QString &state, const QString &reason);
    std::optional<ManagedPolicy::Server> policyServer(const QString &name) const;

    HttpFetcher &m_http;
    Discovery &m_discovery;
    ClientRegistration &m_registration;
    ServerRegistry &m_registry;
    TokenManager &m_tokens;
    Vault &m_vault;
    AuditLog &m_audit;
    AuthorizationFlow::BrowserHook m_browser;
    std::unique_ptr<IdTokenValidator> m_validator;
    ManagedPolicy::Loaded m_policy;
    std::optional<IdpMetadata> m_idp;
    std::optional<Session> m_session;
    QPointer<AuthorizationFlow> m_flow;
    int m_timeoutMs = 5 * 60 * 1000;
};

} // namespace latchkey
