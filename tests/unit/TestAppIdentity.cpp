// AppIdentity on real processes: the test binary spawns sh, which spawns a copy of sleep standing in for our
// own CLI; the app that asks is then the test binary. A person at an interactive bash on a pty (util-linux
// `script`) is "terminal". IdentityCache on real processes: an orphaned CLI adopted by a subreaper (this
// test) is not taken for the adopter, and an exec() is seen.
#include "AppIdentity.h"
#include "IdentityCache.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using latchkey::AppIdentity;
using latchkey::IdentityCache;

namespace {

// The first process whose parent is `parent` and whose executable is `executable`, within the deadline.
qint64 waitForChild(qint64 parent, const QString &executable, int timeoutMs = 10000)
{
    // There is no event for "a grandchild started": /proc is read again until it shows up or time runs out.
    qint64 found = -1;
    const bool appeared = QTest::qWaitFor(
        [&] {
            const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
            for (const QString &entry : entries) {
                bool isPid = false;
                const qint64 pid = entry.toLongLong(&isPid);
                if (!isPid) {
                    continue;
                }
                const auto process = AppIdentity::readProcess(pid);
                if (process && process->parent == parent && process->executable == executable) {
                    found = pid;
                    return true;
                }
            }
            return false;
        },
        timeoutMs);
    return appeared ? found : -1;
}

QString selfExecutable()
{
    return QFileInfo(QStringLiteral("/proc/self/exe")).symLinkTarget();
}

} // namespace

class TestAppIdentity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void readsItsOwnProcess();
    void aDirectPeerIsItsExecutable();
    void ourFrontEndIsSeenThroughShellWrapper();
    void nestedFrontEndsAreWalkedPast();
    void commandNameWithParenthesesParses();
    void interactiveShellOnTerminalIsTheUser();
    void goneProcessIsUnknown();
    void keysAndNames();
    void cacheIsNotFooledByReparenting_data();
    void cacheIsNotFooledByReparenting();
    void cacheSeesAnExec_data();
    void cacheSeesAnExec();

private:
    QString copyOfSleep(const QString &name);
    QTemporaryDir m_dir;
    QList<QProcess *> m_processes;
};

void TestAppIdentity::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestAppIdentity::cleanup()
{
    for (QProcess *process : std::as_const(m_processes)) {
        // The process group, so sh's children go too.
        if (process->processId() > 0) {
            ::kill(-static_cast<pid_t>(process->processId()), SIGKILL);
        }
        process->kill();
        process->waitForFinished(5000);
        delete process;
    }
    m_processes.clear();
}

QString TestAppIdentity::copyOfSleep(const QString &name)
{
    const QString path = m_dir.filePath(name);
    if (!QFile::exists(path)) {
        QFile::copy(QStringLiteral("/usr/bin/sleep"), path);
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    return QFileInfo(path).canonicalFilePath();
}

void TestAppIdentity::readsItsOwnProcess()
{
    const auto self = AppIdentity::readProcess(QCoreApplication::applicationPid());
    QVERIFY(self);
    QCOMPARE(self->executable, selfExecutable());
    QCOMPARE(self->parent, static_cast<qint64>(::getppid()));
    QVERIFY(self->startTime > 0);
    QVERIFY(!self->arguments.isEmpty());
}

void TestAppIdentity::aDirectPeerIsItsExecutable()
{
    const AppIdentity app = AppIdentity::identify(QCoreApplication::applicationPid(), {});
    QCOMPARE(app.kind, AppIdentity::Kind::Executable);
    QCOMPARE(app.executable, selfExecutable());
    QCOMPARE(app.pid, QCoreApplication::applicationPid());
}

void TestAppIdentity::ourFrontEndIsSeenThroughShellWrapper()
{
    const QString cli = copyOfSleep(QStringLiteral("latchkey"));
    auto *sh = new QProcess;
    m_processes.append(sh);
    sh->setProcessChannelMode(QProcess::ForwardedChannels);
    sh->setChildProcessModifier([] { ::setpgid(0, 0); });
    // "; :" keeps sh from exec()ing the last command in its own place.
    sh->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("'%1' 60; :").arg(cli)});
    QVERIFY(sh->waitForStarted());
    const qint64 peer = waitForChild(sh->processId(), cli);
    QVERIFY(peer > 0);

    const AppIdentity app = AppIdentity::identify(peer, {cli});
    QCOMPARE(app.kind, AppIdentity::Kind::Executable);
    QCOMPARE(app.executable, selfExecutable()); // the test binary spawned sh, which spawned "latchkey"
    QCOMPARE(app.pid, QCoreApplication::applicationPid());

    // Not one of ours: the peer itself is the app.
    const AppIdentity direct = AppIdentity::identify(peer, {});
    QCOMPARE(direct.executable, cli);
    QCOMPARE(direct.pid, peer);
}

void TestAppIdentity::nestedFrontEndsAreWalkedPast()
{
    // latchkey-bridge under a sh -c under latchkey under a sh -c under the test: the test is the app.
    const QString cli = copyOfSleep(QStringLiteral("latchkey"));
    const QString bridge = copyOfSleep(QStringLiteral("latchkey-bridge"));
    const QString script = m_dir.filePath(QStringLiteral("fake-cli.sh"));
    QFile file(script);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("'%1' 60; :\n").arg(bridge).toUtf8());
    file.close();
    auto *sh = new QProcess;
    m_processes.append(sh);
    sh->setChildProcessModifier([] { ::setpgid(0, 0); });
    sh->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("/bin/sh '%1'; :").arg(script)});
    QVERIFY(sh->waitForStarted());
    const qint64 scriptShell = waitForChild(sh->processId(), QFileInfo(QStringLiteral("/bin/sh")).canonicalFilePath());
    QVERIFY(scriptShell > 0);
    const qint64 peer = waitForChild(scriptShell, bridge);
    QVERIFY(peer > 0);
    const AppIdentity app = AppIdentity::identify(peer, {cli, bridge});
    QCOMPARE(app.kind, AppIdentity::Kind::Executable);
    QCOMPARE(app.executable, selfExecutable());
}

void TestAppIdentity::commandNameWithParenthesesParses()
{
    // /proc/PID/stat puts the command name in parentheses; a name holding ") 1 2" must not shift the fields.
    const QString odd = copyOfSleep(QStringLiteral("odd) 1 2 (name"));
    QProcess process;
    process.start(odd, {QStringLiteral("60")});
    QVERIFY(process.waitForStarted());
    const auto read = AppIdentity::readProcess(process.processId());
    process.kill();
    process.waitForFinished(5000);
    QVERIFY(read);
    QCOMPARE(read->parent, QCoreApplication::applicationPid());
    QCOMPARE(read->executable, odd);
}

void TestAppIdentity::interactiveShellOnTerminalIsTheUser()
{
    const QString cli = copyOfSleep(QStringLiteral("latchkey"));
    const QString bash = QFileInfo(QStringLiteral("/usr/bin/bash")).canonicalFilePath();
    const QString scriptProgram = QStandardPaths::findExecutable(QStringLiteral("script"));
    if (scriptProgram.isEmpty()) {
        QSKIP("util-linux script is not installed (it gives bash a pty)");
    }
    // script(1) gives `bash -i` a pseudo-terminal; what we write to its stdin is typed at that terminal.
    auto *terminal = new QProcess;
    m_processes.append(terminal);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SHELL"), bash);
    terminal->setProcessEnvironment(env);
    terminal->setChildProcessModifier([] { ::setpgid(0, 0); });
    terminal->start(scriptProgram, {QStringLiteral("-q"), QStringLiteral("/dev/null")});
    QVERIFY(terminal->waitForStarted());
    const qint64 shell = waitForChild(terminal->processId(), bash);
    QVERIFY(shell > 0);
    terminal->write(QStringLiteral("'%1' 60\n").arg(cli).toUtf8());
    QVERIFY(terminal->waitForBytesWritten(5000));
    const qint64 peer = waitForChild(shell, cli);
    QVERIFY(peer > 0);
    const auto process = AppIdentity::readProcess(peer);
    QVERIFY(process);
    QVERIFY(process->ttyNr != 0);

    const AppIdentity app = AppIdentity::identify(peer, {cli});
    QCOMPARE(app.kind, AppIdentity::Kind::Terminal);
    QCOMPARE(app.pid, shell);
    QCOMPARE(app.key(), QStringLiteral("terminal"));
    terminal->write("exit\n");
}

void TestAppIdentity::goneProcessIsUnknown()
{
    QProcess process;
    process.start(QStringLiteral("/usr/bin/true"));
    QVERIFY(process.waitForStarted());
    const qint64 pid = process.processId();
    QVERIFY(process.waitForFinished(5000)); // reaped: the pid names nobody now
    QVERIFY(!AppIdentity::readProcess(pid));
    const AppIdentity app = AppIdentity::identify(pid, {});
    QCOMPARE(app.kind, AppIdentity::Kind::Unknown);
    QCOMPARE(app.key(), QStringLiteral("unknown"));
    QVERIFY(!AppIdentity::readProcess(-1));
}

void TestAppIdentity::keysAndNames()
{
    AppIdentity app;
    app.kind = AppIdentity::Kind::Executable;
    app.executable = QStringLiteral("/usr/share/code/code");
    QCOMPARE(app.key(), QStringLiteral("/usr/share/code/code"));
    QCOMPARE(app.displayName(), QStringLiteral("code"));
    QVERIFY(!app.isTerminal());
}

namespace {

// The daemon's cache (pidfds where the kernel has them), or the same readers watching start times only.
IdentityCache makeCache(bool pidfds)
{
    return pidfds ? IdentityCache()
                  : IdentityCache(&AppIdentity::identify, &AppIdentity::readStat, &IdentityCache::readExecutableLink);
}

void cacheModes()
{
    QTest::addColumn<bool>("pidfds");
    QTest::newRow("pidfds") << true;
    QTest::newRow("start times") << false;
}

} // namespace

void TestAppIdentity::cacheIsNotFooledByReparenting_data()
{
    cacheModes();
}

void TestAppIdentity::cacheIsNotFooledByReparenting()
{
    QFETCH(bool, pidfds);
    // timeout(1) stands in for an app (it forks its command and waits) that starts our "CLI".
    const QString cli = copyOfSleep(QStringLiteral("latchkey"));
    const QString app = QFileInfo(QStringLiteral("/usr/bin/timeout")).canonicalFilePath();
    if (app.isEmpty()) {
        QSKIP("coreutils timeout is not installed");
    }
    // This test adopts orphans below it, as a subreaper (systemd --user, a container init) would.
    QCOMPARE(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    auto *starter = new QProcess;
    m_processes.append(starter);
    starter->setChildProcessModifier([] { ::setpgid(0, 0); });
    starter->start(app, {QStringLiteral("120"), cli, QStringLiteral("60")});
    QVERIFY(starter->waitForStarted());
    const qint64 appPid = starter->processId();
    const qint64 peer = waitForChild(appPid, cli);
    QVERIFY(peer > 0);

    IdentityCache cache = makeCache(pidfds);
    const AppIdentity before = cache.identify(peer, {cli});
    QCOMPARE(before.kind, AppIdentity::Kind::Executable);
    QCOMPARE(before.executable, app);
    QCOMPARE(before.pid, appPid);
    if (pidfds && !cache.usesPidfds()) {
        QSKIP("no pidfd_open on this kernel (before Linux 5.3): the start-time row covers it");
    }
    QCOMPARE(cache.identify(peer, {cli}).executable, app);
    QCOMPARE(cache.walks(), 1);

    // The app dies; the CLI lives on and is adopted by this test.
    ::kill(static_cast<pid_t>(appPid), SIGKILL);
    QVERIFY(starter->waitForFinished(10000));
    QTRY_COMPARE_WITH_TIMEOUT(AppIdentity::readStat(peer).value_or(AppIdentity::Process{}).parent,
                              QCoreApplication::applicationPid(), 10000);

    // A fresh walk names the adopter; the connection's cached identity knows its app has gone.
    QCOMPARE(AppIdentity::identify(peer, {cli}).executable, selfExecutable());
    const AppIdentity after = cache.identify(peer, {cli});
    QCOMPARE(after.kind, AppIdentity::Kind::Unknown);
    QCOMPARE(after.pid, appPid);
    QCOMPARE(cache.walks(), 1);

    ::kill(static_cast<pid_t>(peer), SIGKILL);
    ::waitpid(static_cast<pid_t>(peer), nullptr, 0); // ours to reap now
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

void TestAppIdentity::cacheSeesAnExec_data()
{
    cacheModes();
}

void TestAppIdentity::cacheSeesAnExec()
{
    QFETCH(bool, pidfds);
    // A direct peer (not one of ours) that exec()s another program while connected.
    const QString sleep = copyOfSleep(QStringLiteral("other-program"));
    auto *peer = new QProcess;
    m_processes.append(peer);
    peer->setChildProcessModifier([] { ::setpgid(0, 0); });
    peer->start(QStringLiteral("/bin/sh"),
                {QStringLiteral("-c"), QStringLiteral("read line; exec '%1' 60").arg(sleep)});
    QVERIFY(peer->waitForStarted());
    const QString shell = QFileInfo(QStringLiteral("/bin/sh")).canonicalFilePath();

    IdentityCache cache = makeCache(pidfds);
    QCOMPARE(cache.identify(peer->processId(), {}).executable, shell);
    QCOMPARE(cache.identify(peer->processId(), {}).executable, shell);
    QCOMPARE(cache.walks(), 1);

    peer->write("go\n");
    QVERIFY(peer->waitForBytesWritten(5000));
    QTRY_COMPARE_WITH_TIMEOUT(QFileInfo(QStringLiteral("/proc/%1/exe").arg(peer->processId())).symLinkTarget(), sleep,
                              10000);
    const AppIdentity after = cache.identify(peer->processId(), {});
    QCOMPARE(after.kind, AppIdentity::Kind::Executable);
    QCOMPARE(after.executable, sleep);
    QCOMPARE(cache.walks(), 2);
}

QTEST_GUILESS_MAIN(TestAppIdentity)
#include "TestAppIdentity.moc"
