#pragma once

#include "AuthorizationFlow.h"
#include "ClientRegistration.h"
#include "ScopeSet.h"

#include <QHash>
#include <QObject>
#include <QPointer>

#include <functional>

namespace latchkey {

class AuditLog;
class HttpFetcher;
class ServerRegistry;
class TokenManager;

// Runs interactive sign-ins for remote servers: registration for the server's AS, the code flow in
// the browser, and handing the tokens to the TokenManager. One flow per server at a time. A client the
// AS no longer knows (invalid_client) is dropped and registered again, once.
class SignInService : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const QString &errorCode, const QString &message)>;

    SignInService(HttpFetcher &http, ServerRegistry &registry, ClientRegistration &registration, TokenManager &tokens,
                  AuditLog &audit, AuthorizationFlow::BrowserHook browser, QObject *parent = nullptr);

    // extraScopes: for step-up, united with what the server already asked for.
    void signIn(const QString &server, const oauth::ScopeSet &extraScopes, Callback done);
    bool cancel(const QString &server);
    bool isSigningIn(const QString &server) const { return m_flows.contains(server); }
    void setTimeout(int ms) { m_timeoutMs = ms; }

Q_SIGNALS:
    void progress(const QString &server, const QString &stage, const QUrl &authorizationUrl);

private:
    void attempt(const QString &server, const oauth::ScopeSet &scopes, bool retried, Callback done);
    // A machine client (pre-registered for client_credentials): no browser, one token request.
    void grantClientCredentials(const QString &server, const AuthorizationServerMetadata &as,
                                const ClientRegistration::Client &client, const QString &resource,
                                const oauth::ScopeSet &scopes, const Callback &done);

    HttpFetcher &m_http;
    ServerRegistry &m_registry;
    ClientRegistration &m_registration;
    TokenManager &m_tokens;
    AuditLog &m_audit;
    AuthorizationFlow::BrowserHook m_browser;
    QHash<QString, QPointer<AuthorizationFlow>> m_flows;
    int m_timeoutMs = 5 * 60 * 1000;
};

} // namespace latchkey
