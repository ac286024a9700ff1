#include "IdentityCache.h"

#include <cerrno>
#include <cstdio>
#include <utility>

#if defined(Q_OS_LINUX)
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace latchkey {

namespace {

int openPidfd(qint64 pid)
{
#if defined(Q_OS_LINUX) && defined(SYS_pidfd_open)
    return static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)); // close-on-exec
#else
    Q_UNUSED(pid)
    errno = ENOSYS;
    return -1;
#endif
}

QByteArray withoutDeleted(QByteArray link)
{
    if (link.endsWith(" (deleted)")) {
        link.chop(10);
    }
    return link;
}

} // namespace

IdentityCache::IdentityCache()
    : IdentityCache(&AppIdentity::identify, &AppIdentity::readStat, &IdentityCache::readExecutableLink)
{
#if defined(Q_OS_LINUX)
    m_usePidfds = true; // until the kernel says it has none
#endif
}

IdentityCache::IdentityCache(Identify identify, ReadStat readStat, ReadExecutable readExecutable)
    : m_identify(std::move(identify)), m_readStat(std::move(readStat)), m_readExecutable(std::move(readExecutable))
{}

IdentityCache::~IdentityCache()
{
    unwatch();
}

IdentityCache::IdentityCache(IdentityCache &&other) noexcept
{
    *this = std::move(other);
}

IdentityCache &IdentityCache::operator=(IdentityCache &&other) noexcept
{
    if (this != &other) {
        unwatch();
        m_identify = std::move(other.m_identify);
        m_readStat = std::move(other.m_readStat);
        m_readExecutable = std::move(other.m_readExecutable);
        m_usePidfds = other.m_usePidfds;
        m_app = std::move(other.m_app);
        m_watched = std::exchange(other.m_watched, {});
        m_peerExecutable = std::move(other.m_peerExecutable);
        m_gone = other.m_gone;
        m_walks = other.m_walks;
    }
    return *this;
}

QByteArray IdentityCache::readExecutableLink(qint64 pid)
{
#if defined(Q_OS_LINUX)
    char path[32];
    std::snprintf(path, sizeof(path), "/proc/%lld/exe", static_cast<long long>(pid));
    char target[4096];
    const ssize_t size = ::readlink(path, target, sizeof(target));
    return size > 0 ? QByteArray(target, size) : QByteArray();
#else
    Q_UNUSED(pid)
    return {};
#endif
}

void IdentityCache::unwatch()
{
    for (const Watched &watched : m_watched) {
        if (watched.pidfd >= 0) {
#if defined(Q_OS_LINUX)
            ::close(watched.pidfd);
#endif
        }
    }
    m_watched.clear();
}

AppIdentity IdentityCache::walk(qint64 peerPid, const QStringList &ownExecutables)
{
    ++m_walks;
    return m_identify(peerPid, ownExecutables);
}

bool IdentityCache::watch(const AppIdentity &app)
{
    unwatch();
    const AppIdentity::Process &peer = app.lineage.constFirst();
    const AppIdentity::Process &top = app.lineage.constLast();
    m_watched.push_back({peer.pid, peer.startTime, -1});
    if (top.pid != peer.pid) {
        m_watched.push_back({top.pid, top.startTime, -1});
    }
    for (Watched &watched : m_watched) {
        if (m_usePidfds) {
            watched.pidfd = openPidfd(watched.pid);
            if (watched.pidfd < 0 && errno != ESRCH) {
                m_usePidfds = false; // no pidfds here (ENOSYS) or none left (EMFILE): start times instead
                unwatch();
                return watch(app);
            }
        }
        // Opened after the walk: the pidfd names the walked process only if its start time is unchanged.
        const auto now = m_readStat(watched.pid);
        if (!now || now->startTime != watched.startTime) {
            return false;
        }
    }
    // Read after the walk too: an exec() in between would otherwise go unseen.
    m_peerExecutable = m_readExecutable(peer.pid);
    if (withoutDeleted(m_peerExecutable) != peer.executable.toLocal8Bit()) {
        return false;
    }
    m_app = app;
    return true;
}

IdentityCache::Check IdentityCache::check() const
{
#if defined(Q_OS_LINUX)
    if (m_usePidfds) {
        pollfd fds[2];
        nfds_t count = 0;
        for (const Watched &watched : m_watched) {
            fds[count++] = {watched.pidfd, POLLIN, 0};
        }
        int ready = -1;
        do {
            ready = ::poll(fds, count, 0);
        } while (ready < 0 && errno == EINTR);
        if (ready != 0) {
            return Check::Gone; // readable: that process has exited
        }
    }
#endif
    if (!m_usePidfds) {
        for (const Watched &watched : m_watched) {
            const auto now = m_readStat(watched.pid);
            if (!now || now->startTime != watched.startTime) {
                return Check::Gone;
            }
        }
    }
    return m_readExecutable(m_watched.front().pid) == m_peerExecutable ? Check::Same : Check::Exec;
}

AppIdentity IdentityCache::identify(qint64 peerPid, const QStringList &ownExecutables)
{
#if !defined(Q_OS_LINUX)
    return walk(peerPid, ownExecutables);
#else
    const auto gone = [this](qint64 pid) {
        m_gone = true;
        unwatch();
        AppIdentity unknown; // denied, naming the app's process that has gone
        unknown.pid = pid;
        return unknown;
    };
    // (A different peer pid cannot happen on one connection; were it passed, nothing cached applies.)
    if (m_gone || (m_app && m_app->lineage.constFirst().pid != peerPid)) {
        return gone(m_app ? m_app->pid : peerPid);
    }
    if (m_app) {
        const Check checked = check();
        if (checked == Check::Same) {
            return *m_app;
        }
        const quint64 peerStart = m_app->lineage.constFirst().startTime;
        const qint64 appPid = m_app->pid;
        if (checked == Check::Gone) {
            return gone(appPid);
        }
        AppIdentity again = walk(peerPid, ownExecutables);
        // Still the peer that connected (not its pid reused since the check), and someone we can name.
        if (again.kind == AppIdentity::Kind::Unknown || again.lineage.isEmpty() ||
            again.lineage.constFirst().startTime != peerStart || !watch(again)) {
            return gone(appPid);
        }
        return again;
    }
    AppIdentity app = walk(peerPid, ownExecutables);
    // Unknown is not kept: nothing was named, so the next request walks again (as without a cache).
    if (app.kind == AppIdentity::Kind::Unknown || app.lineage.isEmpty()) {
        return app;
    }
    if (!watch(app)) {
        return gone(app.pid); // the app or the peer ended while it was being named
    }
    return app;
#endif
}

} // namespace latchkey
