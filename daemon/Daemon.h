#pragma once

#include "SecretStore.h"

#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>

namespace latchkey {

class AuditLog;
class ClientRegistration;
class ConsentBroker;
class ConsentMethods;
class Policy;
class Discovery;
class DaemonSettings;
class Dispatcher;
class EnterpriseHandler;
class EnterpriseSession;
class HttpFetcher;
class SignInService;
class TokenManager;
class ServerRegistry;
class SocketServer;
class Vault;

// Wires the daemon together: vault over a secret store, registry, audit log, dispatcher, socket.
class Daemon : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString socketPath;
        QString configPath; // servers.json
        QString auditPath;
        qintptr inheritedSocket = -1; // from socket activation
    };

    // With no store given, the OS keychain is used.
    explicit Daemon(Options options, std::unique_ptr<SecretStore> store = nullptr, QObject *parent = nullptr);
    ~Daemon() override;

    // Loads config, probes the keychain (without waiting for it) and starts listening.
    // A broken config or an unavailable keychain does not stop the daemon; a socket it cannot own does.
    bool start(QString *error);
    void stop();

    QString socketPath() const;

protected:
    // The person's browser, for sign-in. LATCHKEY_BROWSER names a program that gets the URL as its only
    // argument (tests, headless use); else the desktop's opener. Never through a shell.
    virtual bool openBrowser(const QUrl &url, QString *error);

private:
    Options m_options;
    std::unique_ptr<SecretStore> m_store;
    std::unique_ptr<Vault> m_vault;
    std::unique_ptr<ServerRegistry> m_registry;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<HttpFetcher> m_http;
    std::unique_ptr<Discovery> m_discovery;
    std::unique_ptr<ClientRegistration> m_registration;
    std::unique_ptr<TokenManager> m_tokens;
    std::unique_ptr<SignInService> m_signIn;
    std::unique_ptr<EnterpriseSession> m_enterprise;
    std::unique_ptr<EnterpriseHandler> m_enterpriseHandler;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<ConsentBroker> m_consent;
    std::unique_ptr<ConsentMethods> m_consentMethods;
    std::unique_ptr<Dispatcher> m_dispatcher;
    std::unique_ptr<SocketServer> m_server;
    std::unique_ptr<DaemonSettings> m_settings; // settings.get/set; the sign-in browser
};

} // namespace latchkey
