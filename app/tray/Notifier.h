#pragma once

#include "Message.h"
#include "ServerInfo.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>

class QSystemTrayIcon;

namespace latchkey::tray {

class DaemonConnection;

// Tells the person, once, when a server needs them: a sign-in is needed, a token could not be
// refreshed (the daemon marked the grant dead), or access was revoked by enterprise policy (a record's
// enterprise.state "revoked" in server.list, or a server.changed {change:"revoked"} event). Driven by
// the daemon's events and the server list that follows each one. Shown as a tray balloon where there
// is a tray; otherwise notified() is all there is (the window shows it in its banner).
class Notifier : public QObject
{
    Q_OBJECT

public:
    enum class Kind
    {
        SignInNeeded,
        RefreshFailed,
        RevokedByPolicy,
    };
    Q_ENUM(Kind)

    explicit Notifier(DaemonConnection *connection, QObject *parent = nullptr);

    // Where balloons go; null: none (notified() still fires).
    void setTrayIcon(QSystemTrayIcon *icon);

Q_SIGNALS:
    void notified(latchkey::tray::Notifier::Kind kind, const QString &server, const QString &title,
                  const QString &message);

private:
    void onServers(const QList<ServerInfo> &servers);
    void onEvent(const ipc::Event &event);
    void notifyRevoked(const QString &server, const QString &reason);
    void notify(Kind kind, const QString &server, const QString &title, const QString &message);

    DaemonConnection *m_connection;
    QPointer<QSystemTrayIcon> m_trayIcon;
    // Grant state per remote server as last seen, to notice what changed.
    QHash<QString, QString> m_grants;
    // What was already said per server (kind and message), so a reconnect does not say it again;
    // forgotten when the server is signed in again, so the same trouble later is news again.
    QHash<QString, QSet<QString>> m_said;
};

} // namespace latchkey::tray
