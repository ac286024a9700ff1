#include "EnterpriseSession.h"
#include "JsonFields.h"

#include "AuditLog.h"
#include "ClientAuthentication.h"
#include "ClientRegistration.h"
#include "Discovery.h"
#include "EndpointPolicy.h"
#include "HttpFetcher.h"
#include "IdTokenValidator.h"
#include "Logging.h"
#include "Protocol.h"
#include "ResourceUri.h"
#include "ServerRegistry.h"
#include "Vault.h"

#include <QDateTime>

namespace latchkey {

using nlohmann::json;
namespace error = ipc::error;

namespace {

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

constexpr qint64 kMargin = 30; // an ID token or ID-JAG this close to expiry is not presented any more

std::string utf8(const QString &text)
{
    return text.toStdString();
}

json parseObject(const QByteArray &body)
{
    json doc = json::parse(body.cbegin(), body.cend(), nullptr, false);
    return doc.is_object() ? doc : json::object();
}

// The expiry of a JWT we hold but do not verify (an ID-JAG is for the AS to verify).
qint64 jwtExpiry(const QString &token)
{
    json header;
    json payload;
    QString ignored;
    if (!IdTokenValidator::split(token.toUtf8(), &header, &payload, &ignored)) {
        return 0;
    }
    const auto exp = payload.find("exp");
    return exp != payload.end() && exp->is_number() ? static_cast<qint64>(exp->get<double>()) : 0;
}

} // namespace

struct EnterpriseSession::Run
{
    QString server;
    QString resource;
    QString scope;
    AuthorizationServerMetadata as;
    bool idTokenRefreshed = false;
};

AuthorizationServerMetadata EnterpriseSession::IdpMetadata::asMetadata() const
{
    AuthorizationServerMetadata as;
    as.issuer = issuer;
    as.authorizationEndpoint = authorizationEndpoint;
    as.tokenEndpoint = tokenEndpoint;
    as.issParameterSupported = issParameterSupported;
    return as;
}

QByteArray EnterpriseSession::Session::serialize() const
{
    return QByteArray::fromStdString(json{
        {"v", 1},
        {"id_token", utf8(idToken)},
        {"refresh_token", utf8(refreshToken)},
        {"subject", utf8(subject)},
        {"expires_at", expiresAt},
        {"signature_checked",
         signatureChecked}}.dump());
}

std::optional<EnterpriseSession::Session> EnterpriseSession::Session::deserialize(const QByteArray &data)
{
    const json doc = parseObject(data);
    if (doc.value("v", 0) != 1) {
        return std::nullopt;
    }
    Session session;
    session.idToken = ipc::jsonString(doc, "id_token");
    session.refreshToken = ipc::jsonString(doc, "refresh_token");
    session.subject = ipc::jsonString(doc, "subject");
    session.expiresAt = doc.value("expires_at", qint64(0));
    session.signatureChecked = doc.value("signature_checked", true);
    if (session.idToken.isEmpty() && session.refreshToken.isEmpty()) {
        return std::nullopt;
    }
    return session;
}

EnterpriseSession::EnterpriseSession(HttpFetcher &http, Discovery &discovery, ClientRegistration &registration,
                                     ServerRegistry &registry, TokenManager &tokens, Vault &vault, AuditLog &audit,
                                     AuthorizationFlow::BrowserHook browser, QObject *parent)
    : QObject(parent), m_http(http), m_discovery(discovery), m_registration(registration), m_registry(registry),
      m_tokens(tokens), m_vault(vault), m_audit(audit), m_browser(std::move(browser)),
      m_validator(std::make_unique<IdTokenValidator>(http))
{}

EnterpriseSession::~EnterpriseSession() = default;

QString EnterpriseSession::sessionVaultKey(const QString &issuer)
{
    return Vault::entryKey(QStringLiteral("idp"), issuer, QStringLiteral("default"));
}

QString EnterpriseSession::assertionVaultKey(const QString &server)
{
    return Vault::entryKey(QStringLiteral("idjag"), server, QStringLiteral("default"));
}

bool EnterpriseSession::supportsIdJag(const AuthorizationServerMetadata &as)
{
    if (!as.authorizationGrantProfiles.isEmpty()) {
        return as.authorizationGrantProfiles.contains(QLatin1String(kIdJagProfile));
    }
    return as.grantTypesSupported.contains(QLatin1String(kJwtBearer));
}

void EnterpriseSession::setPolicy(const ManagedPolicy::Loaded &loaded)
{
    m_policy = loaded;
    m_idp.reset();
    m_session.reset();
    if (!loaded.error.isEmpty()) {
        qCWarning(lcDaemon).noquote() << "enterprise policy unusable:" << loaded.error;
    }
    if (!m_policy.policy) {
        return;
    }
    const ManagedPolicy &policy = *m_policy.policy;
    m_registration.preregister(policy.idp.issuer, policy.idp.clientId, policy.idp.clientAuth);
    for (const ManagedPolicy::Server &server : policy.servers) {
        const ServerRecord *record = m_registry.find(server.name);
        if (record && record->remote.authorizationServer && !server.clientId.isEmpty()) {
            m_registration.preregister(record->remote.authorizationServer->issuer, server.clientId, server.clientAuth);
        }
    }
    retireRemovedServers();
    m_vault.read(sessionVaultKey(policy.idp.issuer), [this](const SecretStore::Result &result) {
        if (result.status == SecretStore::Status::Ok) {
            m_session = Session::deserialize(result.value);
        }
    });
}

void EnterpriseSession::retireRemovedServers()
{
    // Only against a policy that was read: a broken or missing file must never cost anyone a server.
    if (!m_policy.policy) {
        return;
    }
    QStringList retired;
    for (const ServerRecord &record : m_registry.servers()) {
        if (record.kind != ServerRecord::Kind::Remote || record.remote.enterpriseState.isEmpty()) {
            continue; // the person's own server: never the policy's to take away
        }
        const auto listed = policyServer(record.name);
        if (!listed || listed->url != record.remote.url) {
            retired.append(record.name);
        }
    }
    for (const QString &server : std::as_const(retired)) {
        retire(server);
    }
}

void EnterpriseSession::retire(const QString &server)
{
    m_vault.remove(assertionVaultKey(server), [](const SecretStore::Result &) {});
    // TokenManager revokes at the AS where offered and deletes the token set; the record goes only once
    // the keychain has really let go of it, so that no token outlives the record that names it.
    m_tokens.signOut(server, [this, server](const QString &revocation) {
        m_vault.read(TokenManager::vaultKey(server), [this, server, revocation](const SecretStore::Result &left) {
            const QString reason = QStringLiteral("no longer approved by the enterprise policy");
            if (left.status != SecretStore::Status::NotFound) {
                // The keychain is locked or gone: keep the record, marked, and try again at the next start.
                setState(
                    server, QStringLiteral("removed"),
                    QStringLiteral("%1; its tokens could not be deleted yet (%2)")
                        .arg(reason, left.message.isEmpty() ? QStringLiteral("still in the keychain") : left.message));
                m_audit.record("enterprise.server_removed", {{"server", utf8(server)},
                                                             {"reason", utf8(reason)},
                                                             {"result", "pending"},
                                                             {"revocation", utf8(revocation)}});
                return;
            }
            QString why;
            if (!m_registry.remove(server, &why)) {
                qCWarning(lcDaemon).noquote() << "cannot remove" << server << "which the policy dropped:" << why;
                return;
            }
            m_audit.record("enterprise.server_removed", {{"server", utf8(server)},
                                                         {"reason", utf8(reason)},
                                                         {"result", "removed"},
                                                         {"revocation", utf8(revocation)}});
            Q_EMIT serverRemoved(server);
            Q_EMIT changed();
        });
    });
}

std::optional<ManagedPolicy::Server> EnterpriseSession::policyServer(const QString &name) const
{
    if (m_policy.policy) {
        for (const ManagedPolicy::Server &server : m_policy.policy->servers) {
            if (server.name == name) {
                return server;
            }
        }
    }
    return std::nullopt;
}

json EnterpriseSession::status() const
{
    json servers = json::array();
    if (m_policy.policy) {
        for (const ManagedPolicy::Server &server : m_policy.policy->servers) {
            const ServerRecord *record = m_registry.find(server.name);
            QString state = QStringLiteral("needs_login");
            QString reason;
            QString issuer;
            if (record && !record->remote.enterpriseState.isEmpty()) {
                state = record->remote.enterpriseState;
                reason = record->remote.enterpriseReason;
                if (state == QStringLiteral("connected") &&
                    record->remote.grant == RemoteServer::GrantState::NeedsLogin) {
                    state = QStringLiteral("needs_login");
                    reason = record->remote.grantReason;
                }
                if (record->remote.authorizationServer) {
                    issuer = record->remote.authorizationServer->issuer;
                }
            } else if (record) {
                state = QStringLiteral("error");
                reason =
                    QStringLiteral("a server named \"%1\" that the policy did not add already exists").arg(server.name);
            }
            servers.push_back({{"name", utf8(server.name)},
                               {"url", utf8(server.url)},
                               {"state", utf8(state)},
                               {"reason", utf8(reason)},
                               {"issuer", utf8(issuer)}});
        }
    }
    json idp = nullptr;
    if (m_policy.policy) {
        idp = {{"issuer", utf8(m_policy.policy->idp.issuer)},
               {"clientId", utf8(m_policy.policy->idp.clientId)},
               {"signedIn", m_session.has_value()},
               {"subject", m_session ? utf8(m_session->subject) : std::string()},
               {"expiresAt", m_session ? m_session->expiresAt : 0},
               {"refreshable", m_session && !m_session->refreshToken.isEmpty()},
               {"signatureChecked", !m_session || m_session->signatureChecked},
               {"signingIn", isSigningIn()}};
    }
    return {{"policy",
             {{"path", utf8(m_policy.path)},
              {"source", m_policy.policy ? utf8(m_policy.policy->source) : std::string()},
              {"error", m_policy.error.isEmpty() ? json(nullptr) : json(utf8(m_policy.error))}}},
            {"idp", idp},
            {"servers", servers}};
}

json EnterpriseSession::summary() const
{
    return {{"configured", m_policy.policy.has_value()},
            {"policyPath", utf8(m_policy.path)},
            {"policyError", m_policy.error.isEmpty() ? json(nullptr) : json(utf8(m_policy.error))},
            {"signedIn", m_session.has_value()},
            {"servers", m_policy.policy ? m_policy.policy->servers.size() : 0}};
}

void EnterpriseSession::discoverIdp(std::function<void(const QString &error)> done)
{
    if (m_idp) {
        done({});
        return;
    }
    if (!m_policy.policy) {
        done(m_policy.error.isEmpty() ? QStringLiteral("no enterprise policy is configured") : m_policy.error);
        return;
    }
    const QString issuer = m_policy.policy->idp.issuer;
    QString base = issuer;
    while (base.endsWith(QLatin1Char('/'))) {
        base.chop(1);
    }
    // OpenID Connect Discovery §4: the issuer, then /.well-known/openid-configuration.
    const QUrl url(base + QStringLiteral("/.well-known/openid-configuration"));
    m_http.get(url, {{"Accept", "application/json"}}, [this, issuer, url, done](const HttpResponse &response) {
        if (!response.ok()) {
            done(QStringLiteral("cannot read the IdP's configuration at %1: %2")
                     .arg(url.toString(),
                          response.error.isEmpty() ? QStringLiteral("HTTP %1").arg(response.status) : response.error));
            return;
        }
        const json doc = parseObject(response.body);
        IdpMetadata idp;
        idp.issuer = ipc::jsonString(doc, "issuer");
        if (idp.issuer != issuer) {
            done(QStringLiteral("the IdP's configuration names issuer \"%1\", not \"%2\": refused")
                     .arg(idp.issuer.left(200), issuer));
            return;
        }
        for (const auto &[key, target] :
             {std::pair{"authorization_endpoint", &idp.authorizationEndpoint},
              std::pair{"token_endpoint", &idp.tokenEndpoint}, std::pair{"jwks_uri", &idp.jwksUri},
              std::pair{"revocation_endpoint", &idp.revocationEndpoint}}) {
            const QString value = ipc::jsonString(doc, key);
            if (value.isEmpty()) {
                continue;
            }
            if (const QString why = oauth::EndpointPolicy::checkEndpoint(value); !why.isEmpty()) {
                done(QStringLiteral("the IdP's %1 is refused: %2").arg(QString::fromLatin1(key), why));
                return;
            }
            *target = QUrl(value);
        }
        if (idp.tokenEndpoint.isEmpty()) {
            done(QStringLiteral("the IdP's configuration has no token_endpoint"));
            return;
        }
        idp.scopesSupported = ipc::jsonStrings(doc, "scopes_supported");
        idp.codeChallengeMethods = ipc::jsonStrings(doc, "code_challenge_methods_supported");
        idp.issParameterSupported = doc.value("authorization_response_iss_parameter_supported", false);
        m_idp = idp;
        done({});
    });
}

void EnterpriseSession::signIn(Done done)
{
    if (m_flow) {
        done(QString::fromLatin1(error::Busy), QStringLiteral("an IdP sign-in is already under way"));
        return;
    }
    discoverIdp([this, done](const QString &why) {
        if (!why.isEmpty()) {
            done(QString::fromLatin1(m_policy.policy ? error::DiscoveryFailed : error::ConfigInvalid), why);
            return;
        }
        if (m_idp->authorizationEndpoint.isEmpty() || !m_idp->codeChallengeMethods.contains(QStringLiteral("S256"))) {
            done(QString::fromLatin1(error::LoginFailed),
                 QStringLiteral("the IdP offers no authorization endpoint with PKCE S256: refused"));
            return;
        }
        const ManagedPolicy::Idp idpPolicy = m_policy.policy->idp;
        QStringList scopes = idpPolicy.scopes;
        // A refresh token lets renewals mint new ID-JAGs without the browser (only where the IdP offers it).
        if (m_idp->scopesSupported.contains(QStringLiteral("offline_access")) &&
            !scopes.contains(QStringLiteral("offline_access"))) {
            scopes.append(QStringLiteral("offline_access"));
        }
        m_registration.known(
            m_idp->asMetadata(),
            [this, scopes, done](const std::optional<ClientRegistration::Client> &client, const QString &noClient) {
                if (!client) {
                    done(QString::fromLatin1(error::LoginFailed), noClient);
                    return;
                }
                AuthorizationFlow::Client flowClient{client->clientId, client->clientSecret, client->authMethod};
                auto *flow = new AuthorizationFlow(m_http.manager(), m_idp->asMetadata(), flowClient, QString(),
                                                   scopes.join(QLatin1Char(' ')), m_browser, this);
                const QString nonce = AuthorizationFlow::randomToken(32);
                flow->setNonce(nonce);
                m_flow = flow;
                connect(flow, &AuthorizationFlow::authorizationUrlReady, this,
                        [this](const QUrl &url) { Q_EMIT progress(QStringLiteral("browser"), url); });
                connect(flow, &AuthorizationFlow::finished, this,
                        [this, flow, nonce, done](const std::optional<TokenSet> &tokens, const QString &error) {
                            const QByteArray body = flow->tokenResponse();
                            flow->deleteLater();
                            m_flow = nullptr;
                            if (!tokens) {
                                m_audit.record("enterprise.login", {{"result", "failed"}, {"reason", utf8(error)}});
                                done(QString::fromLatin1(error::LoginFailed), error);
                                return;
                            }
                            const json doc = parseObject(body);
                            const QString idToken = ipc::jsonString(doc, "id_token");
                            if (idToken.isEmpty()) {
                                done(QString::fromLatin1(error::LoginFailed),
                                     QStringLiteral("the IdP answered without an ID token (is \"openid\" allowed?)"));
                                return;
                            }
                            acceptIdToken(idToken.toUtf8(), tokens->refreshToken, nonce, Signature::Required, done);
                        });
                Q_EMIT progress(QStringLiteral("idp"), {});
                flow->start(m_timeoutMs);
            });
    });
}

void EnterpriseSession::signInWithIdToken(const QByteArray &idToken, bool allowUnverified, Done done)
{
    discoverIdp([this, idToken, allowUnverified, done](const QString &why) {
        if (!why.isEmpty()) {
            done(QString::fromLatin1(m_policy.policy ? error::DiscoveryFailed : error::ConfigInvalid), why);
            return;
        }
        acceptIdToken(idToken, QString(), QString(),
                      allowUnverified ? Signature::WaivedWithoutKeys : Signature::RequiredHandedIn, done);
    });
}

void EnterpriseSession::acceptIdToken(const QByteArray &idToken, const QString &refreshToken, const QString &nonce,
                                      Signature signature, Done done)
{
    const ManagedPolicy::Idp idpPolicy = m_policy.policy->idp;
    IdTokenValidator::Expected expected{idpPolicy.issuer, idpPolicy.clientId, nonce, now()};
    const auto keep = [this, idToken, refreshToken, done](const IdTokenValidator::Claims &claims, bool checked) {
        Session session{QString::fromUtf8(idToken), refreshToken, claims.subject, claims.expiresAt, checked};
        if (session.refreshToken.isEmpty() && m_session && m_session->subject == claims.subject) {
            session.refreshToken = m_session->refreshToken; // a handed-in ID token keeps the refresh token we have
        }
        m_vault.write(sessionVaultKey(m_policy.policy->idp.issuer), session.serialize(),
                      [this, session, done](const SecretStore::Result &result) {
                          if (result.status != SecretStore::Status::Ok) {
                              done(QString::fromLatin1(error::KeychainUnavailable),
                                   QStringLiteral("the IdP session could not be kept: %1").arg(result.message));
                              return;
                          }
                          m_session = session;
                          m_audit.record("enterprise.login", {{"result", "signed_in"},
                                                              {"idp", utf8(m_policy.policy->idp.issuer)},
                                                              {"subject", AuditLog::hashId(session.subject.toUtf8())},
                                                              {"signature_checked", session.signatureChecked}});
                          Q_EMIT changed();
                          done({}, {});
                      });
    };
    const auto refused = [this, done](const QString &why) {
        m_audit.record("enterprise.login", {{"result", "refused"}, {"reason", utf8(why)}});
        done(QString::fromLatin1(error::LoginFailed), QStringLiteral("ID token refused: %1").arg(why));
    };
    // The IdP's keys cannot be had. Only a handed-in token whose caller explicitly accepts that
    // (--allow-unverified-id-token) goes on, with its claims checked (iss, aud, exp, iat): the IdP still
    // verifies it at every exchange (it is only ever sent back there), status shows signatureChecked
    // false, and the audit log says so. Otherwise nothing is stored.
    const auto keysUnavailable = [this, idToken, expected, signature, keep, refused, done](const QString &noKeys) {
        if (signature != Signature::WaivedWithoutKeys) {
            refused(QStringLiteral("its signature cannot be checked: %1; nothing was stored (to accept it "
                                   "unverified, add --allow-unverified-id-token)")
                        .arg(noKeys));
            return;
        }
        json header;
        json payload;
        QString why;
        if (!IdTokenValidator::split(idToken, &header, &payload, &why)) {
            done(QString::fromLatin1(error::InvalidParams), why);
            return;
        }
        const auto claims = IdTokenValidator::checkClaims(payload, expected, &why);
        if (!claims) {
            refused(why);
            return;
        }
        qCWarning(lcDaemon).noquote() << "accepting a handed-in ID token without checking its signature, as asked:"
                                      << noKeys;
        m_audit.record("enterprise.id_token_unverified",
                       {{"idp", utf8(expected.issuer)}, {"reason", utf8(noKeys)}, {"opt_in", "allow_unverified"}});
        keep(*claims, false);
    };
    if (m_idp->jwksUri.isEmpty()) {
        if (signature == Signature::Required) {
            refused(QStringLiteral("the IdP publishes no jwks_uri: its ID tokens cannot be verified"));
            return;
        }
        keysUnavailable(QStringLiteral("the IdP publishes no jwks_uri"));
        return;
    }
    const auto validate = [this, idToken, expected, keep, refused] {
        m_validator->validate(
            idToken, m_idp->jwksUri, expected,
            [keep, refused](const std::optional<IdTokenValidator::Claims> &claims, const QString &why) {
                if (!claims) {
                    refused(why);
                    return;
                }
                keep(*claims, true);
            });
    };
    if (signature == Signature::Required) {
        validate();
        return;
    }
    // A handed-in token: the keys fetched first, so that "no keys" is told apart from "a bad token" (only
    // the former may be waived, and the refusal can say how).
    m_validator->fetch(m_idp->jwksUri, [validate, keysUnavailable](const QString &noKeys) {
        if (!noKeys.isEmpty()) {
            keysUnavailable(noKeys); // it names the URL and what went wrong
            return;
        }
        validate();
    });
}

void EnterpriseSession::connectAll(std::function<void()> done)
{
    if (!m_policy.policy || m_policy.policy->servers.isEmpty()) {
        done();
        return;
    }
    // One after another: each server's discovery and grants are a handful of requests.
    auto remaining = std::make_shared<QList<ManagedPolicy::Server>>(m_policy.policy->servers);
    auto next = std::make_shared<std::function<void()>>();
    *next = [this, remaining, next, done] {
        if (remaining->isEmpty()) {
            const auto finished = done;
            *next = nullptr; // breaks the cycle; nothing captured is touched after this
            finished();
            return;
        }
        const ManagedPolicy::Server server = remaining->takeFirst();
        connectServer(server, [next] {
            if (*next) {
                (*next)();
            }
        });
    };
    (*next)();
}

void EnterpriseSession::setState(const QString &server, const QString &state, const QString &reason)
{
    const ServerRecord *record = m_registry.find(server);
    if (!record) {
        return;
    }
    ServerRecord updated = *record;
    updated.remote.enterpriseState = state;
    updated.remote.enterpriseReason = reason;
    QString why;
    if (!m_registry.update(updated, &why)) {
        qCWarning(lcDaemon).noquote() << "cannot record the enterprise state of" << server << ":" << why;
    }
    Q_EMIT changed();
}

void EnterpriseSession::connectServer(const ManagedPolicy::Server &server, std::function<void()> done)
{
    const ServerRecord *existing = m_registry.find(server.name);
    if (existing && existing->remote.enterpriseState.isEmpty()) {
        done(); // the person's own server of that name: not ours to take over (status says so)
        return;
    }
    if (!existing) {
        ServerRecord record;
        record.name = server.name;
        record.kind = ServerRecord::Kind::Remote;
        record.remote.url = server.url;
        record.remote.resource = oauth::ResourceUri::fromServerUrl(server.url).toString();
        record.remote.scopes = server.scopes;
        record.remote.enterpriseState = QStringLiteral("needs_login");
        QString why;
        if (!m_registry.add(record, &why)) {
            qCWarning(lcDaemon).noquote() << "cannot add the approved server" << server.name << ":" << why;
            done();
            return;
        }
        m_audit.record("server.added", {{"server", utf8(server.name)}, {"by", "enterprise policy"}});
    }
    m_discovery.discover(server.url, [this, server, done](const std::optional<DiscoveryResult> &result,
                                                          const QString &why) {
        if (!m_registry.find(server.name)) {
            done();
            return;
        }
        if (!result) {
            setState(server.name, QStringLiteral("error"), QStringLiteral("discovery failed: %1").arg(why));
            done();
            return;
        }
        ServerRecord updated = *m_registry.find(server.name);
        updated.remote.resource = result->resource;
        updated.remote.resourceIndicator =
            result->resourceIndicator == result->resource ? QString() : result->resourceIndicator;
        updated.remote.authRequired = result->authRequired;
        updated.remote.legacy = result->legacy;
        updated.remote.authorizationServer = result->authorizationServer;
        updated.remote.scopes = !server.scopes.isEmpty() ? server.scopes : result->scopes.toList();
        const bool supported = result->authRequired && supportsIdJag(result->authorizationServer);
        if (!supported) {
            updated.remote.enterpriseState = QStringLiteral("unsupported");
            updated.remote.enterpriseReason =
                result->authRequired
                    ? QStringLiteral("its authorization server does not offer the id-jag grant; sign in with: "
                                     "latchkey login %1")
                          .arg(server.name)
                    : QStringLiteral("the server needs no authorization");
        } else if (updated.remote.enterpriseState == QStringLiteral("unsupported")) {
            updated.remote.enterpriseState = QStringLiteral("needs_login");
        }
        QString ignored;
        m_registry.update(updated, &ignored);
        if (!supported) {
            m_audit.record("enterprise.unsupported",
                           {{"server", utf8(server.name)}, {"issuer", utf8(result->authorizationServer.issuer)}});
            Q_EMIT changed();
            done();
            return;
        }
        if (!server.clientId.isEmpty()) {
            m_registration.preregister(result->authorizationServer.issuer, server.clientId, server.clientAuth);
        }
        m_registration.ensure(result->authorizationServer, [this, server, done](
                                                               const std::optional<ClientRegistration::Client> &client,
                                                               const QString &noClient) {
            const ServerRecord *record = m_registry.find(server.name);
            if (!record) {
                done();
                return;
            }
            if (!client) {
                setState(server.name, QStringLiteral("error"), QStringLiteral("no client at its AS: %1").arg(noClient));
                done();
                return;
            }
            ServerRecord registered = *record;
            registered.remote.clientId = client->clientId;
            registered.remote.registration = client->method;
            QString unused;
            m_registry.update(registered, &unused);
            renew(server.name, [done](const TokenManager::Answer &) { done(); });
        });
    });
}

void EnterpriseSession::renew(const QString &server, TokenManager::Callback done)
{
    const ServerRecord *record = m_registry.find(server);
    const auto policy = policyServer(server);
    if (!record || !record->remote.authorizationServer || !policy) {
        done({{},
              QString::fromLatin1(error::NeedsLogin),
              QStringLiteral("%1 is not approved by the enterprise policy any more").arg(server)});
        return;
    }
    if (!policy->clientId.isEmpty()) {
        m_registration.preregister(record->remote.authorizationServer->issuer, policy->clientId, policy->clientAuth);
    }
    auto run = std::make_shared<Run>();
    run->server = server;
    run->resource = record->remote.audience(); // the `resource` the AS knows the server by
    run->scope = record->remote.scopes.join(QLatin1Char(' '));
    run->as = *record->remote.authorizationServer;
    obtain(run, true, std::move(done));
}

void EnterpriseSession::obtain(std::shared_ptr<Run> run, bool reuseAssertion, TokenManager::Callback done)
{
    if (!reuseAssertion) {
        exchange(run, std::move(done));
        return;
    }
    // 1. The ID-JAG we hold, while it lives: no trip to the IdP.
    m_vault.read(assertionVaultKey(run->server), [this, run, done](const SecretStore::Result &result) {
        const QString assertion =
            result.status == SecretStore::Status::Ok ? QString::fromUtf8(result.value) : QString();
        if (assertion.isEmpty() || jwtExpiry(assertion) <= now() + kMargin) {
            exchange(run, done);
            return;
        }
        bearer(
            run, assertion, [this, run, done](bool, const QString &) { exchange(run, done); }, done);
    });
}

void EnterpriseSession::exchange(std::shared_ptr<Run> run, TokenManager::Callback done)
{
    // 2. A new ID-JAG for the ID token we hold; 3. the IdP refresh token first when it has expired.
    currentIdToken(run->idTokenRefreshed, [this, run, done](const QString &idToken, const QString &code,
                                                            const QString &why) {
        if (idToken.isEmpty()) {
            if (code == QLatin1String(error::NeedsLogin)) {
                setState(run->server, QStringLiteral("needs_login"), why);
            }
            done({{}, code, QStringLiteral("%1: %2").arg(run->server, why)});
            return;
        }
        QList<QPair<QString, QString>> form = {
            {QStringLiteral("grant_type"), QLatin1String(kTokenExchange)},
            {QStringLiteral("requested_token_type"), QLatin1String(kIdJagType)},
            {QStringLiteral("audience"), run->as.issuer},
            {QStringLiteral("resource"), run->resource},
            {QStringLiteral("subject_token"), idToken},
            {QStringLiteral("subject_token_type"), QStringLiteral("urn:ietf:params:oauth:token-type:id_token")}};
        if (!run->scope.isEmpty()) {
            form.append({QStringLiteral("scope"), run->scope});
        }
        postToIdp(form, [this, run, done](const HttpResponse &response) {
            if (!response.error.isEmpty() || response.status >= 500 || response.status == 429) {
                done({{},
                      QString::fromLatin1(error::TemporarilyUnavailable),
                      QStringLiteral("the IdP cannot issue an ID-JAG for %1 right now (%2)")
                          .arg(run->server, response.error.isEmpty()
                                                ? TokenError::fromResponse(response.status, response.body).toString()
                                                : response.error)});
                return;
            }
            if (!response.ok()) {
                const TokenError refusal = TokenError::fromResponse(response.status, response.body);
                if (!refusal.isFatal()) {
                    setState(run->server, QStringLiteral("error"), refusal.toString());
                    done({{}, QString::fromLatin1(error::LoginFailed), refusal.toString()});
                    return;
                }
                // Perhaps only our ID token is stale: once more with a fresh one, if we can get one.
                if (!run->idTokenRefreshed && m_session && !m_session->refreshToken.isEmpty()) {
                    run->idTokenRefreshed = true;
                    exchange(run, done);
                    return;
                }
                revoke(run->server, refusal, done);
                return;
            }
            const json doc = parseObject(response.body);
            const QString issued = ipc::jsonString(doc, "issued_token_type");
            const QString assertion = ipc::jsonString(doc, "access_token");
            if (issued != QLatin1String(kIdJagType) || assertion.isEmpty()) {
                const QString refusal =
                    QStringLiteral("the IdP issued \"%1\", not an ID-JAG: refused").arg(issued.left(100));
                setState(run->server, QStringLiteral("error"), refusal);
                m_audit.record("enterprise.token",
                               {{"server", utf8(run->server)}, {"result", "refused"}, {"reason", utf8(refusal)}});
                done({{}, QString::fromLatin1(error::LoginFailed), refusal});
                return;
            }
            m_vault.write(assertionVaultKey(run->server), assertion.toUtf8(), [](const SecretStore::Result &) {});
            bearer(
                run, assertion,
                [this, run, done](bool fatal, const QString &asRefusal) {
                    setState(run->server, QStringLiteral("error"),
                             QStringLiteral("the authorization server refused the ID-JAG: %1").arg(asRefusal));
                    done({{},
                          QString::fromLatin1(fatal ? error::LoginFailed : error::TemporarilyUnavailable),
                          QStringLiteral("%1: the authorization server refused the ID-JAG: %2")
                              .arg(run->server, asRefusal)});
                },
                done);
        });
    });
}

void EnterpriseSession::bearer(std::shared_ptr<Run> run, const QString &assertion,
                               std::function<void(bool fatal, const QString &why)> failed, TokenManager::Callback done)
{
    m_registration.ensure(run->as, [this, run, assertion, failed,
                                    done](const std::optional<ClientRegistration::Client> &client, const QString &why) {
        if (!client) {
            failed(true, why);
            return;
        }
        QList<QPair<QString, QString>> form = {{QStringLiteral("grant_type"), QLatin1String(kJwtBearer)},
                                               {QStringLiteral("assertion"), assertion},
                                               {QStringLiteral("resource"), run->resource}};
        if (!run->scope.isEmpty()) {
            form.append({QStringLiteral("scope"), run->scope});
        }
        HttpFetcher::Headers headers = {{"Accept", "application/json"}};
        if (const QString problem = ClientAuthentication::apply(run->as, *client, &form, &headers);
            !problem.isEmpty()) {
            failed(true, problem);
            return;
        }
        const QString clientId = client->clientId;
        m_http.postForm(
            run->as.tokenEndpoint, form, headers, [this, run, clientId, failed, done](const HttpResponse &response) {
                if (!response.ok()) {
                    const TokenError refusal = TokenError::fromResponse(response.status, response.body);
                    failed(response.error.isEmpty() && refusal.isFatal(),
                           response.error.isEmpty() ? refusal.toString() : response.error);
                    return;
                }
                QString invalid;
                auto tokens = TokenSet::fromTokenResponse(response.body, QDateTime::currentMSecsSinceEpoch(), &invalid);
                if (!tokens) {
                    failed(true, invalid);
                    return;
                }
                tokens->issuer = run->as.issuer;
                tokens->clientId = clientId;
                tokens->resource = run->resource;
                if (tokens->scope.isEmpty()) {
                    tokens->scope = run->scope;
                }
                const TokenSet set = *tokens;
                setState(run->server, QStringLiteral("connected"), {});
                m_tokens.store(run->server, set, [this, run, set, done](const QString &error) {
                    if (!error.isEmpty()) {
                        setState(run->server, QStringLiteral("error"), error);
                        done({{}, QString::fromLatin1(error::KeychainUnavailable), error});
                        return;
                    }
                    m_audit.record("enterprise.token", {{"server", utf8(run->server)},
                                                        {"result", "issued"},
                                                        {"token", AuditLog::hashId(set.accessToken.toUtf8())}});
                    done({set.accessToken, {}, {}, set.expiresAtMs});
                });
            });
    });
}

void EnterpriseSession::currentIdToken(bool forceRefresh, IdTokenCallback done)
{
    if (!m_policy.policy) {
        done({}, QString::fromLatin1(error::ConfigInvalid), QStringLiteral("no enterprise policy is configured"));
        return;
    }
    if (!m_session) {
        done({}, QString::fromLatin1(error::NeedsLogin),
             QStringLiteral("not signed in at the IdP; run: latchkey enterprise login"));
        return;
    }
    if (!forceRefresh && !m_session->idToken.isEmpty() && m_session->expiresAt > now() + kMargin) {
        done(m_session->idToken, {}, {});
        return;
    }
    refreshIdToken(std::move(done));
}

void EnterpriseSession::refreshIdToken(IdTokenCallback done)
{
    if (!m_session || m_session->refreshToken.isEmpty()) {
        done({}, QString::fromLatin1(error::NeedsLogin),
             QStringLiteral("the IdP sign-in has expired; run: latchkey enterprise login"));
        return;
    }
    discoverIdp([this, done](const QString &why) {
        if (!why.isEmpty()) {
            done({}, QString::fromLatin1(error::TemporarilyUnavailable), why);
            return;
        }
        if (!m_session || m_session->refreshToken.isEmpty()) {
            done({}, QString::fromLatin1(error::NeedsLogin),
                 QStringLiteral("the IdP sign-in has expired; run: latchkey enterprise login"));
            return;
        }
        const QList<QPair<QString, QString>> form = {
            {QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
            {QStringLiteral("refresh_token"), m_session->refreshToken},
            {QStringLiteral("scope"), m_policy.policy->idp.scopes.join(QLatin1Char(' '))}};
        postToIdp(form, [this, done](const HttpResponse &response) {
            if (!response.ok()) {
                const TokenError refusal = TokenError::fromResponse(response.status, response.body);
                if (response.error.isEmpty() && refusal.isFatal()) {
                    // The IdP session is over: forget it; every server needs the sign-in again.
                    m_session.reset();
                    m_vault.remove(sessionVaultKey(m_policy.policy->idp.issuer), [](const SecretStore::Result &) {});
                    m_audit.record("enterprise.session_ended", {{"reason", utf8(refusal.toString())}});
                    Q_EMIT changed();
                    done({}, QString::fromLatin1(error::NeedsLogin),
                         QStringLiteral("the IdP ended the sign-in (%1); run: latchkey enterprise login")
                             .arg(refusal.toString()));
                    return;
                }
                done({}, QString::fromLatin1(error::TemporarilyUnavailable),
                     QStringLiteral("cannot renew the IdP sign-in right now (%1)")
                         .arg(response.error.isEmpty() ? refusal.toString() : response.error));
                return;
            }
            const json doc = parseObject(response.body);
            const QString idToken = ipc::jsonString(doc, "id_token");
            QString refreshToken = ipc::jsonString(doc, "refresh_token");
            if (refreshToken.isEmpty()) {
                refreshToken = m_session ? m_session->refreshToken : QString();
            }
            if (idToken.isEmpty()) {
                done({}, QString::fromLatin1(error::NeedsLogin),
                     QStringLiteral("the IdP renewed the sign-in without an ID token; run: latchkey enterprise login"));
                return;
            }
            // OIDC Core §12.2: a refreshed ID token has no nonce to compare; the rest is checked as at sign-in.
            acceptIdToken(idToken.toUtf8(), refreshToken, QString(), Signature::Required,
                          [idToken, done](const QString &code, const QString &message) {
                              if (!code.isEmpty()) {
                                  done({}, QString::fromLatin1(error::NeedsLogin), message);
                                  return;
                              }
                              done(idToken, {}, {});
                          });
        });
    });
}

void EnterpriseSession::postToIdp(QList<QPair<QString, QString>> form, std::function<void(const HttpResponse &)> done,
                                  const QUrl &endpoint)
{
    discoverIdp([this, form, done, endpoint](const QString &why) {
        if (!why.isEmpty()) {
            HttpResponse failure;
            failure.error = why;
            done(failure);
            return;
        }
        const AuthorizationServerMetadata idp = m_idp->asMetadata();
        m_registration.known(
            idp, [this, idp, form, done, endpoint](const std::optional<ClientRegistration::Client> &client,
                                                   const QString &noClient) {
                auto authenticated = form;
                HttpFetcher::Headers headers = {{"Accept", "application/json"}};
                if (!client) {
                    HttpResponse failure;
                    failure.error = noClient;
                    done(failure);
                    return;
                }
                if (const QString problem = ClientAuthentication::apply(idp, *client, &authenticated, &headers);
                    !problem.isEmpty()) {
                    HttpResponse failure;
                    failure.error = problem;
                    done(failure);
                    return;
                }
                m_http.postForm(endpoint.isEmpty() ? idp.tokenEndpoint : endpoint, authenticated, headers, done);
            });
    });
}

void EnterpriseSession::revoke(const QString &server, const TokenError &refusal, TokenManager::Callback done)
{
    // The admin withdrew access (or the IdP will not vouch for this person at this server any more):
    // nothing of this grant is kept.
    const QString reason = refusal.description.isEmpty() ? refusal.toString() : refusal.description;
    m_vault.remove(assertionVaultKey(server), [](const SecretStore::Result &) {});
    m_vault.remove(TokenManager::vaultKey(server), [this, server, reason, done](const SecretStore::Result &) {
        const ServerRecord *record = m_registry.find(server);
        if (record) {
            ServerRecord updated = *record;
            updated.remote.grant = RemoteServer::GrantState::NeedsLogin;
            updated.remote.grantReason = QStringLiteral("revoked by the IdP: %1").arg(reason);
            updated.remote.enterpriseState = QStringLiteral("revoked");
            updated.remote.enterpriseReason = reason;
            QString ignored;
            m_registry.update(updated, &ignored);
        }
        m_audit.record("enterprise.revoked", {{"server", utf8(server)}, {"reason", utf8(reason)}});
        Q_EMIT changed();
        done({{},
              QString::fromLatin1(error::NeedsLogin),
              QStringLiteral("access to %1 was revoked by the IdP: %2").arg(server, reason)});
    });
}

void EnterpriseSession::finishSignOut(const QString &issuer, const std::function<void()> &done)
{
    m_session.reset();
    const auto finish = [this, done](const SecretStore::Result &) {
        m_audit.record("enterprise.logout", json::object());
        Q_EMIT changed();
        done();
    };
    if (issuer.isEmpty()) {
        finish({});
    } else {
        m_vault.remove(sessionVaultKey(issuer), finish);
    }
}

void EnterpriseSession::revokeIdpRefreshToken(const QString &refreshToken,
                                              std::function<void(const IdpRevocation &)> done)
{
    if (refreshToken.isEmpty() || !m_policy.policy) {
        done({QStringLiteral("none"), QStringLiteral("no IdP refresh token was held")});
        return;
    }
    discoverIdp([this, refreshToken, done](const QString &why) {
        if (!why.isEmpty()) {
            done({QStringLiteral("failed"), why});
            return;
        }
        if (m_idp->revocationEndpoint.isEmpty()) {
            done(
                {QStringLiteral("not_offered"),
                 QStringLiteral("the IdP advertises no revocation_endpoint; the refresh token was deleted here only")});
            return;
        }
        // RFC 7009 §2.1, with the client authentication of every other request to the IdP.
        const QUrl endpoint = m_idp->revocationEndpoint;
        postToIdp(
            {{QStringLiteral("token"), refreshToken},
             {QStringLiteral("token_type_hint"), QStringLiteral("refresh_token")}},
            [done](const HttpResponse &response) {
                if (response.ok()) {
                    done({QStringLiteral("revoked"), QStringLiteral("the IdP revoked the refresh token")});
                    return;
                }
                done({QStringLiteral("failed"),
                      response.error.isEmpty() ? TokenError::fromResponse(response.status, response.body).toString()
                                               : response.error});
            },
            endpoint);
    });
}

void EnterpriseSession::signOut(std::function<void(const IdpRevocation &)> done)
{
    if (m_flow) {
        m_flow->cancel(QStringLiteral("signed out"));
    }
    QStringList servers;
    for (const ServerRecord &record : m_registry.servers()) {
        if (record.kind == ServerRecord::Kind::Remote && record.remote.isEnterpriseGrant()) {
            servers.append(record.name);
        }
    }
    const QString issuer = m_policy.policy ? m_policy.policy->idp.issuer : QString();
    const QString refreshToken = m_session ? m_session->refreshToken : QString();
    // The IdP first, while the session is whole; whatever it answers, everything local goes next.
    revokeIdpRefreshToken(refreshToken, [this, servers, issuer, done](const IdpRevocation &revocation) {
        m_audit.record("enterprise.idp_revocation",
                       {{"result", utf8(revocation.result)}, {"detail", utf8(revocation.detail)}});
        auto remaining = std::make_shared<QStringList>(servers);
        auto next = std::make_shared<std::function<void()>>();
        *next = [this, remaining, next, issuer, revocation, done] {
            if (remaining->isEmpty()) {
                EnterpriseSession *self = this;
                const QString idpIssuer = issuer;
                const auto finished = done;
                const IdpRevocation result = revocation;
                *next = nullptr; // breaks the cycle; nothing captured is touched after this
                self->finishSignOut(idpIssuer, [finished, result] { finished(result); });
                return;
            }
            const QString server = remaining->takeFirst();
            m_vault.remove(assertionVaultKey(server), [](const SecretStore::Result &) {});
            m_tokens.signOut(server, [this, server, next](const QString &) {
                setState(server, QStringLiteral("needs_login"), QStringLiteral("signed out"));
                if (*next) {
                    (*next)();
                }
            });
        };
        (*next)();
    });
}

} // namespace latchkey
