#pragma once

#include "Message.h"
#include "PeerCredentials.h"

#include <QLocalServer>
#include <QLockFile>
#include <QObject>
#include <QSet>
#include <QSocketNotifier>

#include <memory>
#include <optional>

namespace latchkey {

class AuditLog;
class Connection;
class Dispatcher;

// The daemon's listening socket. Creates the per-user directory 0700 and the socket 0600 under a
// tight umask, refuses to start beside a live daemon (lock file + probe), removes only a stale socket,
// and checks every peer's uid with the kernel before reading a byte from it.
class SocketServer : public QObject
{
    Q_OBJECT

public:
    SocketServer(Dispatcher &dispatcher, AuditLog &audit, QObject *parent = nullptr);
    ~SocketServer() override;

    bool listen(const QString &path, QString *error);
    // Socket activation: serve an already listening socket handed over by systemd or launchd.
    bool listenOnDescriptor(qintptr descriptor, QString *error);
    void close();

    QString path() const { return m_path; }
    int connectionCount() const { return static_cast<int>(m_connections.size()); }
    void broadcast(const ipc::Event &event);

private:
    // The uid check every accepted socket passes before a byte is read; nullopt means refused
    // (audited and logged here, closed by the caller).
    std::optional<ipc::PeerCredentials> admit(qintptr descriptor);
#ifdef Q_OS_UNIX
    void onDescriptor(qintptr descriptor);
    void acceptAdopted();
#else
    void onNewConnection();
#endif

    Dispatcher &m_dispatcher;
    AuditLog &m_audit;
    std::unique_ptr<QLocalServer> m_server;
    std::unique_ptr<QLockFile> m_lock;
    QSet<Connection *> m_connections;
    QString m_path;
    bool m_ownsSocketFile = false;
#ifdef Q_OS_UNIX
    // A socket from the service manager is accepted on directly, not through QLocalServer, whose
    // close() would unlink a socket file that is not ours and strand the next activation.
    std::unique_ptr<QSocketNotifier> m_adoptedNotifier;
    int m_adoptedFd = -1;
#endif
};

} // namespace latchkey
