#pragma once

#include "Message.h"
#include "PeerCredentials.h"

#include <QHash>
#include <QObject>

#include <functional>

namespace latchkey {

class AuditLog;
class ClientRegistration;
class ConsentMethods;
class DaemonSettings;
class EnterpriseHandler;
class Discovery;
class ServerRegistry;
class SignInService;
class TokenManager;
class Vault;
struct DiscoveryResult;

// Turns one request from an authenticated peer into one response. No sockets here, so every
// method is unit-testable; the reply is a continuation because keychain operations are asynchronous
// (with MemoryStore it runs before handle() returns).
class Dispatcher : public QObject
{
    Q_OBJECT

public:
    using Reply = std::function<void(ipc::Response)>;

    Dispatcher(ServerRegistry &registry, Vault &vault, AuditLog &audit, QObject *parent = nullptr);

    // Events meant for the requesting connection alone (e.g. the sign-in URL, which carries `state`).
    using Notify = std::function<void(const ipc::Event &)>;

    // connection: the requesting connection, for the consent agent's methods (consent.register, .answer).
    void handle(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply, Notify notify = {},
                QObject *connection = nullptr);
    // Per-app consent before every credential handout; without it every same-uid peer is served.
    void setConsent(ConsentMethods *consent);
    // The OAuth engine; without it remote servers are refused.
    // settings.get / settings.set go here (nullptr: unknown_method).
    void setSettings(DaemonSettings *settings) { m_settings = settings; }
    void setOAuth(Discovery *discovery, ClientRegistration *registration, SignInService *signIn, TokenManager *tokens);

    // enterprise.* requests and the enterprise part of status; without it they are unknown methods.
    void setEnterprise(EnterpriseHandler *enterprise) { m_enterprise = enterprise; }

Q_SIGNALS:
    // Pushed to subscribers as {"event":"server.changed","data":...}.
    void serverChanged(const nlohmann::json &data);

private:
    void status(const ipc::Request &request, Reply reply);
    void statusNow(const ipc::Request &request, const Reply &reply);
    void serverList(const ipc::Request &request, Reply reply);
    void serverAdd(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply);
    void serverRemove(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply);
    // connection: for the consent gate's per-connection IdentityCache.
    void serverEnv(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply, bool consented = false,
                   QObject *connection = nullptr);
    void serverHeaders(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply,
                       bool consented = false, QObject *connection = nullptr);
    void serverAddWithHeaders(const ipc::Request &request, const struct ServerRecord &record,
                              const ipc::PeerCredentials &peer, Reply reply);
    void secretSet(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply);
    void secretRemove(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply);
    void clientCredential(const ipc::Request &request, const ipc::PeerCredentials &peer, bool store, Reply reply);
    void auditList(const ipc::Request &request, Reply reply);
    void serverAddRemote(const ipc::Request &request, const struct ServerRecord &record,
                         const ipc::PeerCredentials &peer, Reply reply);
    void serverDiscover(const ipc::Request &request, Reply reply);
    void serverResolve(const ipc::Request &request, Reply reply);
    void serverLogin(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply, Notify notify);
    void adoptDiscovery(const QString &name, const DiscoveryResult &result);
    void serverLoginCancel(const ipc::Request &request, Reply reply);
    void serverLogout(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply);
    void tokenGet(const ipc::Request &request, const ipc::PeerCredentials &peer, Reply reply, bool consented = false,
                  QObject *connection = nullptr);
    bool requireOAuth(const ipc::Request &request, const Reply &reply) const;
    nlohmann::json describeDiscovery(const DiscoveryResult &result) const;

    nlohmann::json describe(const struct ServerRecord &record) const;

    ServerRegistry &m_registry;
    Vault &m_vault;
    AuditLog &m_audit;
    Discovery *m_discovery = nullptr;
    ClientRegistration *m_registration = nullptr;
    SignInService *m_signIn = nullptr;
    TokenManager *m_tokens = nullptr;
    DaemonSettings *m_settings = nullptr;
    // When each server's credentials were last handed out (seconds since the epoch), since this daemon
    // started; server.list shows it as last_used_at.
    QHash<QString, qint64> m_lastUsed;
    EnterpriseHandler *m_enterprise = nullptr;
    ConsentMethods *m_consent = nullptr;
};

} // namespace latchkey
