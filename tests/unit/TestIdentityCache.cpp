// IdentityCache with a fake /proc (start times, no pidfds): walked once per connection, then the peer and the
// app re-checked; either gone or its pid reused makes the connection's app Unknown for good (never an
// orphan's adopter), an exec() of the peer walks again. On real processes, with and without pidfds:
// TestAppIdentity::cacheIsNotFooledByReparenting and cacheSeesAnExec.
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

AppIdentity::Process process(qint64 pid, qint64 parent, quint64 startTime)
{
    return {pid, parent, /*ttyNr*/ 0, startTime, /*executable*/ {}, /*arguments*/ {}};
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
    void wrapperEndedIsStillTheApp();
    void execWalksAgain();
    void execThenPidReusedIsUnknown();
    void unknownIsNotKept();
    void terminalIsKept();
    void anotherPeerPidIsNotServedFromCache();

private:
    IdentityCache cache();
    IdentityCache::ReadStat readStat() const;
    IdentityCache::ReadExecutable readExecutable() const;
    // What a walk of /proc would find now: the app above the peer, per the fake table.
    AppIdentity walkFake(qint64 peerPid) const;

    QHash<qint64, AppIdentity::Process> m_proc;
    QHash<qint64, QString> m_exe;
    int m_walks = 0;
};

void TestIdentityCache::init()
{
    m_proc = {{kPeer, process(kPeer, kWrapper, 900)},
              {kWrapper, process(kWrapper, kApp, 800)},
              {kApp, process(kApp, kInit, 500)},
              {kInit, process(kInit, 0, 1)}};
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
        AppIdentity::Process p = m_proc.value(pid);
        p.executable = m_exe.value(pid);
        app.lineage.append(p);
        if (!p.executable.endsWith(QStringLiteral("/latchkey")) && !p.executable.endsWith(QStringLiteral("/sh"))) {
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

IdentityCache::ReadExecutable TestIdentityCache::readExecutable() const
{
    return [this](qint64 pid) { return m_proc.contains(pid) ? m_exe.value(pid).toLocal8Bit() : QByteArray(); };
}

IdentityCache TestIdentityCache::cache()
{
    return IdentityCache(
        [this](qint64 peerPid, const QStringList &) {
            ++m_walks;
            return walkFake(peerPid);
        },
        readStat(), readExecutable());
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
    QVERIFY(!identities.usesPidfds()); // fakes: start times
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
    m_proc.insert(kPeer, process(kPeer, kApp, 9999)); // its pid reused by the app's new child
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

void TestIdentityCache::wrapperEndedIsStillTheApp()
{
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    // Only the sh in between ended and init adopted the CLI: the app that started it is still there.
    m_proc.remove(kWrapper);
    m_proc[kPeer].parent = kInit;
    QCOMPARE(identities.identify(kPeer, {}).pid, kApp);
    QCOMPARE(m_walks, 1);
}

void TestIdentityCache::execWalksAgain()
{
    // A direct peer (the app itself) that exec()s another program on the same connection.
    m_proc[kApp].parent = kInit;
    IdentityCache identities = cache();
    QCOMPARE(identities.identify(kApp, {}).executable, QStringLiteral("/usr/share/code/code"));
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
        readStat(), readExecutable());
    QCOMPARE(identities.identify(kPeer, {}).kind, AppIdentity::Kind::Executable);
    m_exe[kPeer] = QStringLiteral("/usr/bin/other");
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
        readStat(), readExecutable());
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
