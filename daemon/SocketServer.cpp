#include "SocketServer.h"

#include "AuditLog.h"
#include "Connection.h"
#include "Dispatcher.h"
#include "Logging.h"
#include "PeerCredentials.h"

#include <QDir>
#include <QFileInfo>
#include <QLocalSocket>

#include <functional>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

namespace latchkey {

namespace {

constexpr int kMaxConnections = 512;

#ifdef Q_OS_UNIX
// The socket's directory: created 0700 if missing; if it exists it must be ours and not writable by others.
bool prepareDirectory(const QString &dir, QString *error)
{
    struct stat st
    {
    };
    const QByteArray native = QFile::encodeName(dir);
    if (::lstat(native.constData(), &st) != 0) {
        if (!QDir().mkpath(dir)) { // umask 077 is in force: new directories are 0700
            *error = QStringLiteral("cannot create socket directory %1").arg(dir);
            return false;
        }
        ::chmod(native.constData(), S_IRWXU);
        return true;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error = QStringLiteral("%1 is not a directory").arg(dir);
        return false;
    }
    if (st.st_uid != ::geteuid() && !(st.st_mode & S_ISVTX)) {
        *error = QStringLiteral("socket directory %1 belongs to another user").arg(dir);
        return false;
    }
    return true;
}
#endif

#ifdef Q_OS_UNIX
// Hands each accepted descriptor over as it is, instead of wrapping it in a QLocalSocket first:
// Connection reads and writes it directly.
class DescriptorServer : public QLocalServer
{
public:
    explicit DescriptorServer(std::function<void(qintptr)> accepted) : m_accepted(std::move(accepted)) {}

protected:
    void incomingConnection(quintptr descriptor) override { m_accepted(static_cast<qintptr>(descriptor)); }

private:
    std::function<void(qintptr)> m_accepted;
};
#endif

} // namespace

SocketServer::SocketServer(Dispatcher &dispatcher, AuditLog &audit, QObject *parent)
    : QObject(parent), m_dispatcher(dispatcher), m_audit(audit)
{
#ifdef Q_OS_UNIX
    m_server = std::make_unique<DescriptorServer>([this](qintptr descriptor) { onDescriptor(descriptor); });
#else
    m_server = std::make_unique<QLocalServer>();
    connect(m_server.get(), &QLocalServer::newConnection, this, &SocketServer::onNewConnection);
#endif
    m_server->setMaxPendingConnections(128);
}

SocketServer::~SocketServer()
{
    close();
}

bool SocketServer::listen(const QString &path, QString *error)
{
    m_path = path;
#ifdef Q_OS_UNIX
    if (!prepareDirectory(QFileInfo(path).absolutePath(), error)) {
        return false;
    }
    m_lock = std::make_unique<QLockFile>(path + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0); // stale only when its pid is gone, never by age
    if (!m_lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        *error = QStringLiteral("another latchkeyd (pid %1) is already serving %2").arg(pid).arg(path);
        m_lock.reset();
        return false;
    }
    const QByteArray native = QFile::encodeName(path);
    struct stat st
    {
    };
    if (::lstat(native.constData(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            *error = QStringLiteral("%1 exists and is not a socket; not touching it").arg(path);
            return false;
        }
        // We hold the lock, so a listener here would be a daemon that predates lock files; probe anyway.
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(500)) {
            *error = QStringLiteral("another daemon is answering on %1").arg(path);
            return false;
        }
        qCInfo(lcDaemon) << "removing stale socket" << path;
        QLocalServer::removeServer(path);
    }
    const mode_t previous = ::umask(0177); // the socket file is born 0600
    const bool ok = m_server->listen(path);
    ::umask(previous);
#else
    // Windows: the pipe's DACL grants only our user; the SID peer check stays the wall.
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    const bool ok = m_server->listen(path);
#endif
    if (!ok) {
        *error = QStringLiteral("cannot listen on %1: %2").arg(path, m_server->errorString());
        return false;
    }
    m_ownsSocketFile = true;
    return true;
}

bool SocketServer::listenOnDescriptor(qintptr descriptor, QString *error)
{
#ifdef Q_OS_UNIX
    const int fd = static_cast<int>(descriptor);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        *error =
            QStringLiteral("cannot adopt the inherited socket: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    sockaddr_un address{};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0 && address.sun_family == AF_UNIX) {
        m_path = QFile::decodeName(address.sun_path);
    }
    m_adoptedFd = fd;
    m_adoptedNotifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
    connect(m_adoptedNotifier.get(), &QSocketNotifier::activated, this, &SocketServer::acceptAdopted);
    m_ownsSocketFile = false; // the service manager owns the socket file
    return true;
#else
    if (!m_server->listen(descriptor)) {
        *error = QStringLiteral("cannot adopt the inherited socket: %1").arg(m_server->errorString());
        return false;
    }
    m_path = m_server->fullServerName();
    m_ownsSocketFile = false;
    return true;
#endif
}

void SocketServer::close()
{
    const auto connections = std::exchange(m_connections, {});
    for (Connection *connection : connections) {
        delete connection;
    }
    if (m_server->isListening()) {
        m_server->close(); // removes the socket file when we created it
    }
#ifdef Q_OS_UNIX
    if (m_adoptedNotifier) {
        m_adoptedNotifier.reset();
        ::close(m_adoptedFd); // the file stays: the service manager listens on its own copy
        m_adoptedFd = -1;
    }
#endif
    m_lock.reset();
}

void SocketServer::broadcast(const ipc::Event &event)
{
    for (Connection *connection : std::as_const(m_connections)) {
        if (connection->isSubscribed()) {
            connection->sendEvent(event);
        }
    }
}

std::optional<ipc::PeerCredentials> SocketServer::admit(qintptr descriptor)
{
    const auto peer = ipc::PeerCredentials::fromSocket(descriptor);
    if (!peer || peer->uid != ipc::PeerCredentials::currentUid()) {
        // The wall: whatever the file modes say, only our own uid is served. No reply at all.
        nlohmann::json fields = {{"uid", peer ? peer->uid : -1}, {"pid", peer ? peer->pid : -1}};
        if (peer) {
            fields["exe"] = peer->executable.toStdString();
        }
        m_audit.record("peer.refused", fields);
        qCWarning(lcIpc) << "refused a connection from uid" << (peer ? peer->uid : -1) << "pid"
                         << (peer ? peer->pid : -1);
        return std::nullopt;
    }
    if (m_connections.size() >= kMaxConnections) {
        qCWarning(lcIpc) << "connection limit reached; refusing pid" << peer->pid;
        return std::nullopt;
    }
    return peer;
}

#ifdef Q_OS_UNIX

void SocketServer::acceptAdopted()
{
    for (;;) {
        const int client = ::accept(m_adoptedFd, nullptr, nullptr);
        if (client < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) { // EWOULDBLOCK is the same value on Linux and macOS
                qCWarning(lcIpc) << "accept on the inherited socket failed:" << std::strerror(errno);
            }
            return;
        }
        onDescriptor(client); // the same uid check as every other connection
    }
}

void SocketServer::onDescriptor(qintptr descriptor)
{
    const auto peer = admit(descriptor);
    if (!peer) {
        ::close(static_cast<int>(descriptor));
        return;
    }
    auto *connection = new Connection(static_cast<int>(descriptor), *peer, m_dispatcher, this);
    m_connections.insert(connection);
    connect(connection, &Connection::closed, this, [this](Connection *closed) {
        m_connections.remove(closed);
        closed->deleteLater();
    });
}

#else

void SocketServer::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        const auto peer = admit(socket->socketDescriptor());
        if (!peer) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *connection = new Connection(socket, *peer, m_dispatcher, this);
        m_connections.insert(connection);
        connect(connection, &Connection::closed, this, [this](Connection *closed) {
            m_connections.remove(closed);
            closed->deleteLater();
        });
    }
}

#endif

} // namespace latchkey
