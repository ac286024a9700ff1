#pragma once

#include "AppIdentity.h"

#include <QByteArray>
#include <QStringList>

#include <functional>
#include <optional>
#include <vector>

namespace latchkey {

// The app behind one IPC connection, walked once and then only re-checked (daemon/README.md, "Consent on
// the hot path"). The peer pid (SO_PEERCRED) is fixed for the connection; what can change behind it:
//
//  - the peer or the app ends (and its pid may be reused): the connection's app is Unknown for good.
//    Walking again would name whoever adopted an orphan (init, a subreaper), never the app that started
//    it. Watched with a pidfd each (one poll() for both; a pidfd never names a reused pid), or where
//    there are none by the start time in /proc/PID/stat;
//  - the peer exec()s another program: its /proc/PID/exe changes (one readlink), and it is walked again;
//  - a process between them (sh -c, our CLI under the bridge) ends: not checked. The peer is adopted by
//    someone else, but it is still the process the app started, and the app is still there.
//
// Off Linux there is nothing cheap and reuse-safe to re-check with, so every use walks.
class IdentityCache
{
public:
    using Identify = std::function<AppIdentity(qint64 peerPid, const QStringList &ownExecutables)>;
    using ReadStat = std::function<std::optional<AppIdentity::Process>(qint64 pid)>;
    using ReadExecutable = std::function<QByteArray(qint64 pid)>;

    // /proc through AppIdentity, pidfds where the kernel has them (Linux 5.3).
    IdentityCache();
    // Start times only, no pidfds: unit tests pass fakes, and can pass the real readers.
    IdentityCache(Identify identify, ReadStat readStat, ReadExecutable readExecutable);
    ~IdentityCache();
    IdentityCache(IdentityCache &&other) noexcept;
    IdentityCache &operator=(IdentityCache &&other) noexcept;
    IdentityCache(const IdentityCache &) = delete;
    IdentityCache &operator=(const IdentityCache &) = delete;

    AppIdentity identify(qint64 peerPid, const QStringList &ownExecutables);

    // How often the parent chain was walked (tests, and the benchmark's reading of its figures).
    int walks() const { return m_walks; }
    // Whether the processes are watched through pidfds (else by start time).
    bool usesPidfds() const { return m_usePidfds; }

    // /proc/PID/exe as the kernel spells it (with " (deleted)" when replaced on disk); empty if unreadable.
    static QByteArray readExecutableLink(qint64 pid);

private:
    struct Watched
    {
        qint64 pid = -1;
        quint64 startTime = 0;
        int pidfd = -1;
    };
    enum class Check
    {
        Same,
        Exec, // the peer runs another program now: walk again
        Gone, // the peer or the app has ended
    };
    // Keeps app if its peer and app can be watched; false when one of them already ended.
    bool watch(const AppIdentity &app);
    void unwatch();
    Check check() const;
    AppIdentity walk(qint64 peerPid, const QStringList &ownExecutables);

    Identify m_identify;
    ReadStat m_readStat;
    ReadExecutable m_readExecutable;
    bool m_usePidfds = false;
    std::optional<AppIdentity> m_app;
    std::vector<Watched> m_watched; // the peer, then the app when it is another process
    QByteArray m_peerExecutable;
    bool m_gone = false;
    int m_walks = 0;
};

} // namespace latchkey
