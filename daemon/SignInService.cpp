#include "SignInService.h"

#include "AuditLog.h"
#include "ClientCredentialsGrant.h"
#include "ClientRegistration.h"
#include "HttpFetcher.h"
#include "Protocol.h"
#include "ServerRegistry.h"
#include "TokenManager.h"

namespace latchkey {

namespace error = ipc::error;

SignInService::SignInService(HttpFetcher &http, ServerRegistry &registry, ClientRegistration &registration,
                             TokenManager &tokens, AuditLog &audit, AuthorizationFlow::BrowserHook browser,
                             QObject *parent)
    : QObject(parent), m_http(http), m_registry(registry), m_registration(registration), m_tokens(tokens),
      m_audit(audit), m_browser(std::move(browser))
{}

void SignInService::signIn(const QString &server, const oauth::ScopeSet &extraScopes, Callback done)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        done(QString::fromLatin1(error::NotFound), QStringLiteral("no remote server named \"%1\"").arg(server));
        return;
    }
    if (!record->remote.authRequired || !record->remote.authorizationServer) {
        done(QString::fromLatin1(error::InvalidParams), QStringLiteral("%1 needs no sign-in").arg(server));
        return;
    }
    if (m_flows.contains(server)) {
        done(QString::fromLatin1(error::Busy), QStringLiteral("a sign-in to %1 is already under way").arg(server));
        return;
    }
    const oauth::ScopeSet scopes = oauth::ScopeSet::fromList(record->remote.scopes).united(extraScopes);
    attempt(server, scopes, false, std::move(done));
}

bool SignInService::cancel(const QString &server)
{
    const QPointer<AuthorizationFlow> flow = m_flows.value(server);
    if (!flow) {
        return false;
    }
    flow->cancel();
    return true;
}

void SignInService::attempt(const QString &server, const oauth::ScopeSet &scopes, bool retried, Callback done)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record) {
        done(QString::fromLatin1(error::NotFound), QStringLiteral("%1 was removed").arg(server));
        return;
    }
    const AuthorizationServerMetadata as = *record->remote.authorizationServer;
    m_flows.insert(server, nullptr); // reserve: one flow per server, even while registering
    Q_EMIT progress(server, QStringLiteral("registering"), {});
    m_registration.ensure(as, [this, server, scopes, retried, done,
                               as](const std::optional<ClientRegistration::Client> &client, const QString &why) {
        const ServerRecord *current = m_registry.find(server);
        if (!client || !current) {
            m_flows.remove(server);
            done(QString::fromLatin1(error::LoginFailed),
                 why.isEmpty() ? QStringLiteral("%1 was removed").arg(server) : why);
            return;
        }
        if (current->remote.clientId != client->clientId || current->remote.registration != client->method) {
            ServerRecord updated = *current;
            updated.remote.clientId = client->clientId;
            updated.remote.registration = client->method;
            QString ignored;
            m_registry.update(updated, &ignored);
        }
        if (client->grantType == QStringLiteral("client_credentials")) {
            grantClientCredentials(server, as, *client, current->remote.audience(), scopes, done);
            return;
        }
        auto *flow =
            new AuthorizationFlow(m_http.manager(), as, {client->clientId, client->clientSecret, client->authMethod},
                                  current->remote.audience(), scopes.toString(), m_browser, this);
        m_flows.insert(server, flow);
        connect(flow, &AuthorizationFlow::authorizationUrlReady, this,
                [this, server](const QUrl &url) { Q_EMIT progress(server, QStringLiteral("browser"), url); });
        connect(flow, &AuthorizationFlow::finished, this,
                [this, server, scopes, retried, done, flow, client](const std::optional<TokenSet> &tokens,
                                                                    const QString &failure) {
                    m_flows.remove(server);
                    flow->deleteLater();
                    if (!tokens) {
                        if (flow->errorCode() == QStringLiteral("invalid_client") &&
                            client->method == QStringLiteral("dcr") && !retried) {
                            const ServerRecord *known = m_registry.find(server);
                            const QString issuer = known ? known->remote.authorizationServer->issuer : QString();
                            m_audit.record("client.dropped",
                                           {{"server", server.toStdString()}, {"issuer", issuer.toStdString()}});
                            m_registration.drop(issuer,
                                                [this, server, scopes, done] { attempt(server, scopes, true, done); });
                            return;
                        }
                        m_audit.record("login.failed",
                                       {{"server", server.toStdString()}, {"reason", failure.toStdString()}});
                        done(QString::fromLatin1(error::LoginFailed), failure);
                        return;
                    }
                    // A step-up's wider scope set becomes what this server asks for from now on.
                    if (const ServerRecord *signedIn = m_registry.find(server);
                        signedIn && signedIn->remote.scopes != scopes.toList()) {
                        ServerRecord widened = *signedIn;
                        widened.remote.scopes = scopes.toList();
                        QString ignored;
                        m_registry.update(widened, &ignored);
                    }
                    m_tokens.store(server, *tokens, [this, server, done, scope = tokens->scope](const QString &stored) {
                        if (!stored.isEmpty()) {
                            done(QString::fromLatin1(error::KeychainUnavailable), stored);
                            return;
                        }
                        m_audit.record("login.succeeded",
                                       {{"server", server.toStdString()}, {"scope", scope.toStdString()}});
                        done({}, {});
                    });
                });
        flow->start(m_timeoutMs);
    });
}

} // namespace latchkey

namespace latchkey {

void SignInService::grantClientCredentials(const QString &server, const AuthorizationServerMetadata &as,
                                           const ClientRegistration::Client &client, const QString &resource,
                                           const oauth::ScopeSet &scopes, const Callback &done)
{
    Q_EMIT progress(server, QStringLiteral("token"), {});
    ClientCredentialsGrant::request(
        m_http, as, client, resource, scopes.toString(),
        [this, server, issuer = as.issuer, clientId = client.clientId, resource, scopes,
         done](const std::optional<TokenSet> &tokens, const QString &failure, const QString &) {
            m_flows.remove(server);
            if (!tokens) {
                m_audit.record("login.failed", {{"server", server.toStdString()}, {"reason", failure.toStdString()}});
                done(QString::fromLatin1(error::LoginFailed), failure);
                return;
            }
            TokenSet granted = *tokens;
            granted.issuer = issuer;
            granted.clientId = clientId;
            granted.resource = resource;
            if (granted.scope.isEmpty()) {
                granted.scope = scopes.toString();
            }
            m_tokens.store(server, granted, [this, server, done, scope = granted.scope](const QString &stored) {
                if (!stored.isEmpty()) {
                    done(QString::fromLatin1(error::KeychainUnavailable), stored);
                    return;
                }
                m_audit.record("login.succeeded", {{"server", server.toStdString()},
                                                   {"scope", scope.toStdString()},
                                                   {"grant", "client_credentials"}});
                done({}, {});
            });
        });
}

} // namespace latchkey
