#include "IdentityCache.h"

namespace latchkey {

IdentityCache::IdentityCache() : IdentityCache(&AppIdentity::identify, &AppIdentity::readStat) {}

IdentityCache::IdentityCache(Identify identify, ReadStat readStat)
    : m_identify(std::move(identify)), m_readStat(std::move(readStat))
{}

AppIdentity IdentityCache::walk(qint64 peerPid, const QStringList &ownExecutables)
{
    ++m_walks;
    return m_identify(peerPid, ownExecutables);
}

IdentityCache::Check IdentityCache::check() const
{
    const QList<AppIdentity::Process> &lineage = m_app->lineage;
    bool exec = false;
    for (qsizetype i = 0; i < lineage.size(); ++i) {
        const AppIdentity::Process &then = lineage.at(i);
        const auto now = m_readStat(then.pid);
        if (!now || now->startTime != then.startTime) {
            return Check::Gone;
        }
        if (i + 1 < lineage.size() && now->parent != lineage.at(i + 1).pid) {
            return Check::Gone; // its parent ended and it was adopted
        }
        exec = exec || now->command != then.command;
    }
    return exec ? Check::Exec : Check::Same;
}

AppIdentity IdentityCache::identify(qint64 peerPid, const QStringList &ownExecutables)
{
#if !defined(Q_OS_LINUX)
    return walk(peerPid, ownExecutables);
#else
    const auto gone = [this] {
        m_gone = true;
        AppIdentity unknown; // denied, naming the app's process that has gone
        unknown.pid = m_app->pid;
        return unknown;
    };
    // (A different peer pid cannot happen on one connection; were it passed, nothing cached applies.)
    if (m_app && (m_gone || m_app->lineage.constFirst().pid != peerPid)) {
        return gone();
    }
    if (m_app) {
        const Check checked = check();
        if (checked == Check::Same) {
            return *m_app;
        }
        if (checked == Check::Exec) {
            AppIdentity again = walk(peerPid, ownExecutables);
            // Still the peer that connected (not its pid reused since the check), and someone we can name.
            if (again.kind != AppIdentity::Kind::Unknown && !again.lineage.isEmpty() &&
                again.lineage.constFirst().startTime == m_app->lineage.constFirst().startTime) {
                m_app = std::move(again);
                return *m_app;
            }
        }
        return gone();
    }
    AppIdentity app = walk(peerPid, ownExecutables);
    // Unknown is not kept: nothing was named, so the next request walks again (as without a cache).
    if (app.kind != AppIdentity::Kind::Unknown && !app.lineage.isEmpty()) {
        m_app = app;
    }
    return app;
#endif
}

} // namespace latchkey
