#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace latchkey::ipc {

// Who is at the other end of a local socket, as the kernel reports it (never as the peer claims).
struct PeerCredentials
{
    qint64 uid = -1;
    qint64 gid = -1;
    qint64 pid = -1;
    QString executable; // resolved from pid where the OS allows; informational only

    // Linux SO_PEERCRED, macOS/BSD getpeereid (+ LOCAL_PEERPID), Windows: the named-pipe client's process.
    static std::optional<PeerCredentials> fromSocket(qintptr descriptor);
    static qint64 currentUid();
    // Path of a process's executable, or empty when it cannot be read.
    static QString executableOf(qint64 pid);
};

} // namespace latchkey::ipc
