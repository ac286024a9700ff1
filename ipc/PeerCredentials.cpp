#include "PeerCredentials.h"

#include <QFileInfo>

#if defined(Q_OS_LINUX)
#include <sys/socket.h>
#include <unistd.h>
#elif defined(Q_OS_MACOS)
#include <libproc.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#elif defined(Q_OS_WIN)
#include <QByteArray>
#include <windows.h>
#endif

namespace latchkey::ipc {

#if defined(Q_OS_WIN)
namespace {

// The user SID in a token, as bytes (empty when unreadable).
QByteArray userSidOf(HANDLE token)
{
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    if (size == 0) {
        return {};
    }
    QByteArray buffer(static_cast<qsizetype>(size), Qt::Uninitialized);
    if (!::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
        return {};
    }
    const auto *user = reinterpret_cast<const TOKEN_USER *>(buffer.constData());
    if (!::IsValidSid(user->User.Sid)) {
        return {};
    }
    return QByteArray(static_cast<const char *>(user->User.Sid),
                      static_cast<qsizetype>(::GetLengthSid(user->User.Sid)));
}

// The user SID a process runs as: what "same user" means on Windows, where there are no uids.
QByteArray userSidOfProcess(HANDLE process)
{
    HANDLE token = nullptr;
    if (!::OpenProcessToken(process, TOKEN_QUERY, &token)) {
        return {};
    }
    const QByteArray sid = userSidOf(token);
    ::CloseHandle(token);
    return sid;
}

} // namespace
#endif

std::optional<PeerCredentials> PeerCredentials::fromSocket(qintptr descriptor)
{
    PeerCredentials peer;
#if defined(Q_OS_LINUX)
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(static_cast<int>(descriptor), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
        return std::nullopt;
    }
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
#elif defined(Q_OS_MACOS)
    uid_t uid = 0;
    gid_t gid = 0;
    if (::getpeereid(static_cast<int>(descriptor), &uid, &gid) != 0) {
        return std::nullopt;
    }
    peer.uid = uid;
    peer.gid = gid;
    pid_t pid = 0;
    socklen_t len = sizeof(pid);
    if (::getsockopt(static_cast<int>(descriptor), SOL_LOCAL, LOCAL_PEERPID, &pid, &len) == 0) {
        peer.pid = pid;
    }
#elif defined(Q_OS_WIN)
    // descriptor is the pipe HANDLE; the client's token is checked through its process.
    ULONG pid = 0;
    if (!GetNamedPipeClientProcessId(reinterpret_cast<HANDLE>(descriptor), &pid)) {
        return std::nullopt;
    }
    peer.pid = pid;
    // Same user SID as ours → our "uid" (currentUid()); anything unreadable or different → -1, refused.
    // The pipe's DACL (QLocalServer::UserAccessOption) already keeps other users out; this is the wall.
    peer.uid = -1;
    if (HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)) {
        const QByteArray client = userSidOfProcess(process);
        ::CloseHandle(process);
        const QByteArray self = userSidOfProcess(::GetCurrentProcess());
        if (!client.isEmpty() && client == self) {
            peer.uid = currentUid();
        }
    }
#else
    Q_UNUSED(descriptor);
    return std::nullopt;
#endif
    peer.executable = executableOf(peer.pid);
    return peer;
}

qint64 PeerCredentials::currentUid()
{
#if defined(Q_OS_UNIX)
    return ::geteuid();
#else
    return 0;
#endif
}

QString PeerCredentials::executableOf(qint64 pid)
{
    if (pid <= 0) {
        return {};
    }
#if defined(Q_OS_LINUX)
    return QFileInfo(QStringLiteral("/proc/%1/exe").arg(pid)).symLinkTarget();
#elif defined(Q_OS_MACOS)
    char path[PROC_PIDPATHINFO_MAXSIZE] = {};
    if (proc_pidpath(static_cast<int>(pid), path, sizeof(path)) > 0) {
        return QString::fromUtf8(path);
    }
    return {};
#else
    return {};
#endif
}

} // namespace latchkey::ipc
