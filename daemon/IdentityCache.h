#pragma once

#include "AppIdentity.h"

#include <QStringList>

#include <functional>
#include <optional>

namespace latchkey {

// The app behind one IPC connection, walked once and then only re-checked (daemon/README.md, "Consent on
// the hot path"). A connection's peer pid (SO_PEERCRED) is fixed, but the processes behind it are not:
//
//  - every process walked (the peer, our front ends, sh -c wrappers, the app) is re-read from
//    /proc/PID/stat, one read each, on every use: the same start time (not a reused pid), the same parent
//    (nothing between it and the app ended, so it was not reparented) and the same command name (no
//    exec());
//  - a process that has gone or was reparented makes the connection's app Unknown for good: walking
//    again would name whoever adopted the orphan (init, a subreaper), not the app that started it;
//  - an exec() (same process, new command name) walks again: the peer now runs another program.
//
// Off Linux there is nothing cheap to re-check with, so every use walks (as AppIdentity::identify does).
class IdentityCache
{
public:
    using Identify = std::function<AppIdentity(qint64 peerPid, const QStringList &ownExecutables)>;
    using ReadStat = std::function<std::optional<AppIdentity::Process>(qint64 pid)>;

    // /proc through AppIdentity; unit tests pass fakes.
    IdentityCache();
    IdentityCache(Identify identify, ReadStat readStat);

    AppIdentity identify(qint64 peerPid, const QStringList &ownExecutables);

    // How often the parent chain was walked (tests, and the benchmark's reading of its figures).
    int walks() const { return m_walks; }

private:
    enum class Check
    {
        Same,
        Exec, // a process in the chain runs another program now: walk again
        Gone, // one has ended, was replaced by a reused pid, or was reparented
    };
    Check check() const;
    AppIdentity walk(qint64 peerPid, const QStringList &ownExecutables);

    Identify m_identify;
    ReadStat m_readStat;
    std::optional<AppIdentity> m_app;
    bool m_gone = false;
    int m_walks = 0;
};

} // namespace latchkey
