#include "Daemon.h"

#include "AuditLog.h"
#include "Dispatcher.h"
#include "KeychainStore.h"
#include "Logging.h"
#include "ServerRegistry.h"
#include "SocketServer.h"
#include "Vault.h"

#include <QCoreApplication>

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
    m_dispatcher = std::make_unique<Dispatcher>(*m_registry, *m_vault, *m_audit);
    m_server = std::make_unique<SocketServer>(*m_dispatcher, *m_audit);
    connect(m_dispatcher.get(), &Dispatcher::serverChanged, this, [this](const nlohmann::json &data) {
        m_server->broadcast({"server.changed", data});
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
    const bool listening = m_options.inheritedSocket >= 0
                               ? m_server->listenOnDescriptor(m_options.inheritedSocket, error)
                               : m_server->listen(m_options.socketPath, error);
    if (!listening) {
        return false;
    }
    m_vault->probe();
    m_audit->record("daemon.started", {{"pid", QCoreApplication::applicationPid()}});
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

} // namespace latchkey
