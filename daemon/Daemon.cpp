#include "Daemon.h"

#include "AppIdentity.h"
#include "AuditLog.h"
#include "ClientRegistration.h"
#include "ConsentBroker.h"
#include "ConsentMethods.h"
#include "DaemonSettings.h"
#include "Discovery.h"
#include "Dispatcher.h"
#include "EndpointPolicy.h"
#include "EnterpriseHandler.h"
#include "EnterpriseSession.h"
#include "HttpFetcher.h"
#include "KeychainStore.h"
#include "Logging.h"
#include "Policy.h"
#include "ServerRegistry.h"
#include "SignInService.h"
#include "SocketServer.h"
#include "TokenManager.h"
#include "Vault.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace latchkey {

Daemon::Daemon(Options options, std::unique_ptr<SecretStore> store, QObject *parent)
    : QObject(parent), m_options(std::move(options)),
      m_store(store ? std::move(store) : std::make_unique<KeychainStore>())
{
    if (m_options.configPath.isEmpty()) {
        m_options.configPath = ServerRegistry::defaultPath();
    }
    if (m_options.auditPath.isEmpty()) {
        m_options.auditPath = AuditLog::defaultPath();
    }
    m_vault = std::make_unique<Vault>(*m_store);
    m_registry = std::make_unique<ServerRegistry>(m_options.configPath);
    m_audit = std::make_unique<AuditLog>(m_options.auditPath);
    m_http = std::make_unique<HttpFetcher>();
    m_discovery = std::make_unique<Discovery>(*m_http);
    QString settingsError;
    m_registration = std::make_unique<ClientRegistration>(
        *m_http, *m_vault, ClientRegistration::loadSettings(ClientRegistration::defaultSettingsPath(), &settingsError));
    if (!settingsError.isEmpty()) {
        qCWarning(lcDaemon).noquote() << "OAuth settings ignored:" << settingsError;
    }
    m_tokens = std::make_unique<TokenManager>(*m_vault, *m_registry, *m_http, *m_audit);
    m_tokens->setClientRegistration(m_registration.get()); // refresh and revocation authenticate as registered
    m_signIn =
        std::make_unique<SignInService>(*m_http, *m_registry, *m_registration, *m_tokens, *m_audit,
                                        [this](const QUrl &url, QString *error) { return openBrowser(url, error); });
    // Beside servers.json, so a test's or a custom config directory holds it too.
    m_settings = std::make_unique<DaemonSettings>(QFileInfo(m_options.configPath).absolutePath() +
                                                  QStringLiteral("/settings.json"));
    if (QString why; m_settings->load(&why), !why.isEmpty()) {
        qCWarning(lcDaemon).noquote() << "settings ignored:" << why;
    }
    m_dispatcher = std::make_unique<Dispatcher>(*m_registry, *m_vault, *m_audit);
    m_dispatcher->setSettings(m_settings.get());
    m_dispatcher->setOAuth(m_discovery.get(), m_registration.get(), m_signIn.get(), m_tokens.get());
    m_enterprise = std::make_unique<EnterpriseSession>(
        *m_http, *m_discovery, *m_registration, *m_registry, *m_tokens, *m_vault, *m_audit,
        [this](const QUrl &url, QString *error) { return openBrowser(url, error); });
    m_tokens->setRenewer(
        [this](const QString &server, TokenManager::Callback done) { m_enterprise->renew(server, std::move(done)); });
    m_enterpriseHandler = std::make_unique<EnterpriseHandler>(*m_enterprise, *m_audit);
    m_dispatcher->setEnterprise(m_enterpriseHandler.get());
    m_policy = std::make_unique<Policy>(Policy::defaultPath());
    m_consent = std::make_unique<ConsentBroker>(*m_policy, *m_audit);
    // LATCHKEY_CONSENT=allow: no questions (CI, single-purpose headless machines); anything else asks.
    if (qEnvironmentVariable("LATCHKEY_CONSENT") == QStringLiteral("allow")) {
        m_consent->setMode(ConsentBroker::Mode::Allow);
    }
    bool timeoutOk = false;
    const int timeoutMs = qEnvironmentVariableIntValue("LATCHKEY_CONSENT_TIMEOUT_MS", &timeoutOk);
    if (timeoutOk && timeoutMs > 0) {
        m_consent->setTimeout(timeoutMs);
    }
    m_consentMethods = std::make_unique<ConsentMethods>(*m_consent, *m_audit, AppIdentity::defaultOwnExecutables());
    m_dispatcher->setConsent(m_consentMethods.get());
    m_server = std::make_unique<SocketServer>(*m_dispatcher, *m_audit);
    connect(m_dispatcher.get(), &Dispatcher::serverChanged, this, [this](const nlohmann::json &data) {
        m_server->broadcast({"server.changed", data});
    });
    connect(
        m_signIn.get(), &SignInService::progress, this,
        [this](const QString &server, const QString &stage, const QUrl &url) {
            // Subscribers learn that a sign-in is under way, not its URL (see Dispatcher::serverLogin).
            Q_UNUSED(url);
            m_server->broadcast({"login.progress", {{"name", server.toStdString()}, {"stage", stage.toStdString()}}});
        });
    // A server the enterprise policy dropped: its consent grants go with it, as with `latchkey remove`.
    connect(m_enterprise.get(), &EnterpriseSession::serverRemoved, this, [this](const QString &server) {
        m_consentMethods->forgetServer(server);
        m_server->broadcast({"server.changed", {{"name", server.toStdString()}, {"change", "removed"}}});
    });
    connect(m_tokens.get(), &TokenManager::grantChanged, this, [this](const QString &server) {
        m_server->broadcast({"server.changed", {{"name", server.toStdString()}, {"change", "grant"}}});
    });
    connect(m_vault.get(), &Vault::availabilityChanged, this, [this](bool available) {
        m_server->broadcast(
            {"keychain.changed", {{"available", available}, {"error", m_vault->unavailableReason().toStdString()}}});
    });
}

Daemon::~Daemon()
{
    stop();
}

bool Daemon::start(QString *error)
{
    if (!m_registry->load()) {
        qCWarning(lcDaemon).noquote() << "config unusable:" << m_registry->error();
    }
    m_policy->load(); // a broken grants.json: nothing is allowed by it, and status says why
    // After the registry (it reads the records of approved servers) and the consent grants (a server the
    // policy dropped takes its grants with it); an unusable policy is reported by status.
    m_enterprise->setPolicy(ManagedPolicy::load());
    const bool listening = m_options.inheritedSocket >= 0
                               ? m_server->listenOnDescriptor(m_options.inheritedSocket, error)
                               : m_server->listen(m_options.socketPath, error);
    if (!listening) {
        return false;
    }
    m_vault->probe([this] { m_tokens->scheduleAll(); });
    m_audit->record("daemon.started", {{"pid", QCoreApplication::applicationPid()}});
    if (m_consent->mode() == ConsentBroker::Mode::Allow) {
        m_audit->record("consent.disabled", {{"reason", "LATCHKEY_CONSENT=allow"}});
        qCWarning(lcDaemon) << "LATCHKEY_CONSENT=allow: every same-uid app gets credentials without asking";
    }
    qCInfo(lcDaemon) << "latchkeyd" << LATCHKEY_VERSION << "listening on" << m_server->path();
    return true;
}

void Daemon::stop()
{
    if (m_server) {
        m_server->close();
    }
}

QString Daemon::socketPath() const
{
    return m_server->path();
}

bool Daemon::openBrowser(const QUrl &url, QString *error)
{
    const QString text = url.toString(QUrl::FullyEncoded);
    if (const QString why = oauth::EndpointPolicy::checkBrowserUrl(text); !why.isEmpty()) {
        *error = why;
        return false;
    }
    QString program = qEnvironmentVariable("LATCHKEY_BROWSER");
    if (program.isEmpty()) {
        program = m_settings->browser(); // the tray's Settings → Sign-in browser
    }
    if (program.isEmpty()) {
#if defined(Q_OS_MACOS)
        program = QStringLiteral("/usr/bin/open");
#else
        program = QStandardPaths::findExecutable(QStringLiteral("xdg-open"));
#endif
    }
    // Detached, and deaf to our stdio: nothing a browser prints belongs in the daemon's log.
    QProcess browser;
    browser.setProgram(program);
    browser.setArguments({text});
    browser.setStandardInputFile(QProcess::nullDevice());
    browser.setStandardOutputFile(QProcess::nullDevice());
    browser.setStandardErrorFile(QProcess::nullDevice());
    if (program.isEmpty() || !browser.startDetached()) {
        *error = QStringLiteral("cannot start a browser; open the URL by hand");
        return false;
    }
    m_audit->record("login.browser_opened", {{"host", url.host().toStdString()}});
    return true;
}

} // namespace latchkey
