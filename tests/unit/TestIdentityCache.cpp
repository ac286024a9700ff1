// IdentityCache with a fake /proc: walked once per connection, then re-checked by start time, parent and
// command name; a process gone, a pid reused or an orphan adopted make the connection's app Unknown for
// good, an exec() walks again. (The same on real processes: TestAppIdentity::cacheIsNotFooledByReparenting.)
#include "IdentityCache.h"

#include <QHash>
#include <QTest>

using latchkey::AppIdentity;
using latchkey::IdentityCache;

namespace {

constexpr qint64 kPeer = 4100;    // our CLI
constexpr qint64 kWrapper = 4000; // sh -c
constexpr qint64 kApp = 3000;
constexpr qint64 kInit = 1;

AppIdentity::Process process(qint64 pid, qint64 parent, quint64 startTime, const QByteArray &command)
{
    return {pid, parent, /*ttyNr*/ 0, startTime, command, /*executable*/ {}, /*arguments*/ {}};
}

} // namespace

class TestIdentityCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void walksOnceThenOnlyChecks();
    void appPidReusedIsUnknownForGood();
    void peerGoneIsUnknown();
    void orphanIsNotTheAdopter();
    void wrapperEndedIsUnknown();
    void execWalksAgain();
    void execThenPidReusedIsUnknown();
    void unknownIsNotKept();
    void terminalIsKept();
    void anotherPeerPidIsNotServedFromCache();

private:
    IdentityCache cache();
    IdentityCache::ReadStat readStat() const;
    // What a walk of /proc would find now: the app above the peer, per the fake table.
    AppIdentity walkFake(qint64 peerPid) const;

    QHash<qint64, AppIdentity::Process> m_proc;
    QHash<qint64, QString> m_exe;
    int m_walks = 0;
};

void TestIdentityCache::init()
{
    m_proc = {{kPeer, process(kPeer, kWrapper, 900, "latchkey")},
              {kWrapper, process(kWrapper, kApp, 800, "sh")},
              {kApp, process(kApp, kInit, 500, "code")},
              {kInit, process(kInit, 0, 1, "systemd")}};
    m_exe = {{kPeer, QStringLiteral("/usr/bin/latchkey")},
             {kWrapper, QStringLiteral("/usr/bin/sh")},
             {kApp, QStringLiteral("/usr/share/code/code")},
             {kInit, QStringLiteral("/usr/lib/systemd/systemd")}};
    m_walks = 0;
}

AppIdentity TestIdentityCache::walkFake(qint64 peerPid) const
{
    AppIdentity app;
    app.pid = peerPid;
    qint64 pid = peerPid;
    // Past our CLI and sh, like AppIdentity::identify; the first other process is the app.
    while (m_proc.contains(pid)) {
        const AppIdentity::Process &p = m_proc.value(pid);
        app.lineage.append(p);
        if (p.command != "latchkey" && p.command != "sh") {
            app.kind = AppIdentity::Kind::Executable;
            app.executable = m_exe.value(pid);
            app.pid = pid;
            return app;
        }
        pid = p.parent;
    }
    return app;
}

IdentityCache::ReadStat TestIdentityCache::readStat() const
{
    return [this](qint64 pid) -> std::optional<AppIdentity::Process> {
        if (!m_proc.contains(pid)) {
            return std::nullopt;
        }
        return m_proc.value(pid);
    };
}

IdentityCache TestIdentityCache::cache()
{
    return IdentityCache(
        [this](qint64 peerPid, const QStringList &) {
            ++m_walks;
            return walkFake(peerPid);
        },
        readStat());
}

void TestIdentityCache::walksOnceThenOnlyChecks()
{
    IdentityCache identities = cache();
    for (int i = 0; i < 5; ++i) {
        const AppIdentity app = identities.identify(kPeer, {});
        QCOMPARE(app.kind, AppIdentity::Kind::Executable);
        QCOMPARE(app.executable, QStringLiteral("/usr/share/code/code"));
        QCOMPARE(app.pid, kApp);
    }
    QCOMPARE(m_walks, 1);
    QCOMPARE(identities.walks(), 1);
}

void TestIdentityCache::appPidReusedIsUnknownForGood()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    // The app ended and its pid now names another process (started later), still our wrapper's "parent"
    // as far as the numbers go.
    m_proc[kApp].startTime = 7000;
    const AppIdentity reused = identities.identify(kPeer, {});
    QCOMPARE(reused.kind, AppIdentity::Kind::Unknown);
    QCOMPARE(reused.pid, kApp); // the message names the app's process that has gone
    // Nothing brings it back.
    m_proc[kApp].startTime = 500;
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    QCOMPARE(m_walks, 1);
}

void TestIdentityCache::peerGoneIsUnknown()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Executable);
    m_proc.remove(kPeer); // it ended; whoever still holds the socket inherited it
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    m_proc.insert(kPeer, process(kPeer, kApp, 9999, "code")); // its pid reused by the app's new child
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    QCOMPARE(m_walks, 1);
}

void TestIdentityCache::orphanIsNotTheAdopter()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    // The app and the wrapper ended; init adopted the CLI. Walking again would name systemd.
    m_proc.remove(kApp);
    m_proc.remove(kWrapper);
    m_proc[kPeer].parent = kInit;
    QCOMPARE(walkFake(kPeer).executable, QStringLiteral("/usr/lib/systemd/systemd")); // what a walk would say
    const AppIdentity orphan = identities.identify(kPeer, {});
    QCOMPARE(orphan.kind, AppIdentity::Kind::Unknown);
    QVERIFY(orphan.executable.isEmpty());
    QCOMPARE(m_walks, 1);
}

void TestIdentityCache::wrapperEndedIsUnknown()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    // Only the sh in between ended: the CLI was adopted (here by a subreaper, the app itself).
    m_proc.remove(kWrapper);
    m_proc[kPeer].parent = kApp;
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
}

void TestIdentityCache::execWalksAgain()
{
    // A direct peer (the app itself) that exec()s another program on the same connection.
    m_proc[kApp].parent = kInit;
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kApp, {}).executable, QStringLiteral("/usr/share/code/code"));
    m_proc[kApp].command = "python3";
    m_exe[kApp] = QStringLiteral("/usr/bin/python3");
    const AppIdentity after = identities.identify(kApp, {});
    QCOMPARE(after.kind, AppIdentity::Kind::Executable);
    QCOMPARE(after.executable, QStringLiteral("/usr/bin/python3"));
    QCOMPARE(m_walks, 2);
    QCOMPARE(identities.identify(kApp, {}).executable, QStringLiteral("/usr/bin/python3"));
    QCOMPARE(m_walks, 2); // kept again
}

void TestIdentityCache::execThenPidReusedIsUnknown()
{
    bool reused = false;
    IdentityCache identities(
        [this, &reused](qint64 peerPid, const QStringList &) {
            AppIdentity app = walkFake(peerPid);
            if (reused) {
                app.lineage.first().startTime = 12345; // the peer ended after the check and its pid was taken
            }
            return app;
        },
        readStat());
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Executable);
    m_proc[kPeer].command = "other";
    reused = true;
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    QCOMPARE(identities.walks(), 2);
}

void TestIdentityCache::unknownIsNotKept()
{
    m_proc.remove(kApp); // the wrapper's parent cannot be read: nobody is named
    m_proc[kWrapper].parent = kApp;
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Unknown);
    QCOMPARE(m_walks, 2); // walked each time, as without a cache
}

void TestIdentityCache::terminalIsKept()
{
    int walks = 0;
    IdentityCache identities(
        [&walks, this](qint64 peerPid, const QStringList &) {
            ++walks;
            AppIdentity app = walkFake(peerPid);
            app.kind = AppIdentity::Kind::Terminal;
            app.executable.clear();
            return app;
        },
        readStat());
    QVERIFY(identities.identify(kPeer, {}).isTerminal());
    QVERIFY(identities.identify(kPeer, {}).isTerminal());
    QCOMPARE(walks, 1);
}

void TestIdentityCache::anotherPeerPidIsNotServedFromCache()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    QCOMPARE(identities.identify(kWrapper, {}).kind, AppIdentity::Kind::Unknown);
}

QTEST_GUILESS_MAIN(TestIdentityCache)
#include "TestIdentityCache.moc"
