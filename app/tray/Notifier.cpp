#include "Notifier.h"

#include "DaemonConnection.h"
#include "JsonFields.h"

#include <QSystemTrayIcon>

namespace latchkey::tray {

namespace {

const QString kNeedsLogin = QStringLiteral("needs_login");
const QString kActive = QStringLiteral("active");

} // namespace

Notifier::Notifier(DaemonConnection *connection, QObject *parent) : QObject(parent), m_connection(connection)
{
    connect(m_connection, &DaemonConnection::serversChanged, this, &Notifier::onServers);
    connect(m_connection, &DaemonConnection::daemonEvent, this, &Notifier::onEvent);
}

void Notifier::setTrayIcon(QSystemTrayIcon *icon)
{
    m_trayIcon = icon;
}

void Notifier::onServers(const QList<ServerInfo> &servers)
{
    if (m_connection->state() != DaemonConnection::State::Connected) {
        return; // the list was forgotten because the daemon went away; nothing changed on its side
    }
    QHash<QString, QString> grants;
    for (const ServerInfo &server : servers) {
        if (!server.isRemote()) {
            continue;
        }
        grants.insert(server.name, server.grantState);
        // The organisation's policy took the server away (the daemon says so in server.list).
        if (server.enterpriseState == QStringLiteral("revoked")) {
            notifyRevoked(server.name, server.enterpriseReason);
        }
        if (server.grantState == kActive) {
            m_said.remove(server.name);
        }
        if (server.grantState != kNeedsLogin) {
            continue;
        }
        const QString before = m_grants.value(server.name);
        if (before == kActive) {
            // The daemon marks a live grant dead when its refresh fails for good (invalid_grant and
            // friends); the reason is the authorization server's.
            notify(Kind::RefreshFailed, server.name, tr("Latchkey: %1 needs you to sign in again").arg(server.name),
                   server.grantReason.isEmpty() ? tr("Its token could not be refreshed.")
                                                : tr("Its token could not be refreshed: %1").arg(server.grantReason));
        } else {
            notify(Kind::SignInNeeded, server.name, tr("Latchkey: sign-in needed"),
                   server.grantReason.isEmpty()
                       ? tr("%1 needs you to sign in.").arg(server.name)
                       : tr("%1 needs you to sign in: %2").arg(server.name, server.grantReason));
        }
    }
    m_grants = grants;
}

void Notifier::onEvent(const ipc::Event &event)
{
    // server.changed {name, change: "revoked", reason?}: the organisation's policy took access away.
    if (event.name != "server.changed" || JsonFields::string(event.data, "change") != QStringLiteral("revoked")) {
        return;
    }
    notifyRevoked(JsonFields::string(event.data, "name"), JsonFields::string(event.data, "reason"));
}

void Notifier::notifyRevoked(const QString &server, const QString &reason)
{
    notify(Kind::RevokedByPolicy, server, tr("Latchkey: access revoked"),
           reason.isEmpty() ? tr("Your organisation's policy revoked access to %1.").arg(server)
                            : tr("Your organisation's policy revoked access to %1: %2").arg(server, reason));
}

void Notifier::notify(Kind kind, const QString &server, const QString &title, const QString &message)
{
    QSet<QString> &said = m_said[server];
    const QString key = QString::number(static_cast<int>(kind)) + QLatin1Char('\n') + message;
    if (said.contains(key)) {
        return;
    }
    said.insert(key);
    if (m_trayIcon && m_trayIcon->isVisible() && QSystemTrayIcon::supportsMessages()) {
        m_trayIcon->showMessage(title, message,
                                kind == Kind::RefreshFailed ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
    }
    Q_EMIT notified(kind, server, title, message);
}

} // namespace latchkey::tray
