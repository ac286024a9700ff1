#include "SocketActivation.h"

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#ifdef Q_OS_MACOS
#include <cstdlib>
#include <launch.h>
#endif

namespace latchkey {

namespace {

#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
SocketActivation::Result fromSystemd()
{
    const QByteArray pidText = qgetenv("LISTEN_PID");
    const QByteArray countText = qgetenv("LISTEN_FDS");
    // Unset whatever happens: they describe our own descriptors and mean nothing to our children.
    qunsetenv("LISTEN_PID");
    qunsetenv("LISTEN_FDS");
    qunsetenv("LISTEN_FDNAMES");
    if (pidText.isEmpty()) {
        return {};
    }
    bool ok = false;
    const qint64 pid = pidText.toLongLong(&ok);
    if (!ok || pid <= 0) {
        return {-1, QStringLiteral("LISTEN_PID is not a process id: %1").arg(QString::fromLatin1(pidText))};
    }
    if (pid != ::getpid()) {
        return {}; // meant for another process (one that started us and did not clear them)
    }
    const int count = countText.toInt(&ok);
    if (!ok || count < 1) {
        return {-1,
                QStringLiteral("LISTEN_FDS must be a positive number, not \"%1\"").arg(QString::fromLatin1(countText))};
    }
    // As sd_listen_fds does: none of the passed descriptors leaks into processes we start.
    for (int fd = SocketActivation::kFirstDescriptor; fd < SocketActivation::kFirstDescriptor + count; ++fd) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (count != 1) {
        return {-1, QStringLiteral("expected exactly one socket from the service manager, got %1 "
                                   "(latchkeyd.socket has one ListenStream)")
                        .arg(count)};
    }
    QString why;
    if (!SocketActivation::isListeningUnixStream(SocketActivation::kFirstDescriptor, &why)) {
        return {-1,
                QStringLiteral("fd %1 from the service manager: %2").arg(SocketActivation::kFirstDescriptor).arg(why)};
    }
    return {SocketActivation::kFirstDescriptor, {}};
}
#endif

#ifdef Q_OS_MACOS
// launchd: the plist's Sockets dictionary names the socket "Listeners". Not run by launchd → ESRCH.
SocketActivation::Result fromLaunchd()
{
    int *fds = nullptr;
    size_t count = 0;
    const int rc = ::launch_activate_socket("Listeners", &fds, &count);
    if (rc != 0) {
        return {};
    }
    SocketActivation::Result result;
    if (count != 1) {
        result.error = QStringLiteral("expected exactly one socket from launchd, got %1").arg(count);
    } else if (QString why; !SocketActivation::isListeningUnixStream(fds[0], &why)) {
        result.error = QStringLiteral("the socket from launchd: %1").arg(why);
    } else {
        ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        result.descriptor = fds[0];
    }
    std::free(fds);
    return result;
}
#endif

} // namespace

SocketActivation::Result SocketActivation::fromEnvironment()
{
#if defined(Q_OS_MACOS)
    return fromLaunchd();
#elif defined(Q_OS_UNIX)
    return fromSystemd();
#else
    return {}; // Windows: the daemon creates its named pipe itself (started from the Run key)
#endif
}

bool SocketActivation::isListeningUnixStream(qintptr descriptor, QString *error)
{
#ifdef Q_OS_UNIX
    const int fd = static_cast<int>(descriptor);
    if (::fcntl(fd, F_GETFD) < 0) {
        *error = QStringLiteral("not an open descriptor");
        return false;
    }
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0) {
        *error = QStringLiteral("not a socket");
        return false;
    }
    if (address.ss_family != AF_UNIX) {
        *error = QStringLiteral("not a local (AF_UNIX) socket");
        return false;
    }
    int type = 0;
    socklen_t size = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM) {
        *error = QStringLiteral("not a stream socket");
        return false;
    }
    int listening = 0;
    size = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || listening == 0) {
        *error = QStringLiteral("not listening (Accept=yes is not supported; use Accept=no)");
        return false;
    }
    return true;
#else
    Q_UNUSED(descriptor);
    *error = QStringLiteral("socket activation is not supported on this platform");
    return false;
#endif
}

} // namespace latchkey
