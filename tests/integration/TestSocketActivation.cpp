// The socket-activation path with real processes: the test plays the service manager. It creates the
// listening socket (0600 in a 0700 directory, as latchkeyd.socket does), hands it to latchkeyd as fd 3
// with LISTEN_FDS=1 and LISTEN_PID set to the daemon's own pid, and checks that the daemon serves it,
// still refuses a foreign uid (needs root, like TestPeerCheck), leaves the socket in place when it
// stops, and refuses a descriptor that is not a listening socket.
#include "DaemonHarness.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using latchkey::test::DaemonHarness;

class TestSocketActivation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void servesTheInheritedSocket();
    void foreignUidIsStillRefused();
    void stoppingLeavesTheSocketToTheServiceManager();
    void notAListeningSocketIsRefused();

private:
    // Runs latchkeyd --foreground through sh, so LISTEN_PID can be the pid that latchkeyd will have
    // ($$ survives exec), with descriptor at fd 3.
    std::unique_ptr<QProcess> spawnActivated(int descriptor);
    bool waitForListening(QProcess &daemon, QByteArray *output);
    static bool stopDaemon(QProcess &daemon);

    std::unique_ptr<DaemonHarness> m_harness;
    std::unique_ptr<QProcess> m_daemon;
    QByteArray m_output;
    QString m_unusedRuntime;
    int m_listener = -1;
};

void TestSocketActivation::initTestCase()
{
    m_harness = std::make_unique<DaemonHarness>();
    const QString path = m_harness->socketPath();
    const QString dir = QFileInfo(path).absolutePath();
    QVERIFY(QDir().mkpath(dir));
    QCOMPARE(::chmod(QFile::encodeName(dir).constData(), 0700), 0);

    m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(m_listener >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray native = QFile::encodeName(path);
    QVERIFY(static_cast<size_t>(native.size()) < sizeof(address.sun_path));
    std::memcpy(address.sun_path, native.constData(), static_cast<size_t>(native.size()));
    const mode_t previous = ::umask(0177);
    const int bound = ::bind(m_listener, reinterpret_cast<sockaddr *>(&address), sizeof(address));
    ::umask(previous);
    QCOMPARE(bound, 0);
    QCOMPARE(::listen(m_listener, 16), 0);

    // Were the daemon to ignore fd 3 and listen by itself, it would do so here, not on our socket.
    m_unusedRuntime = QDir(m_harness->home()).filePath(QStringLiteral("runtime-unused"));
    QVERIFY(QDir().mkpath(m_unusedRuntime));
    QFile::setPermissions(m_unusedRuntime, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

void TestSocketActivation::cleanupTestCase()
{
    if (m_daemon && m_daemon->state() != QProcess::NotRunning) {
        m_daemon->kill();
        m_daemon->waitForFinished(5000);
    }
    if (m_listener >= 0) {
        ::close(m_listener);
    }
}

std::unique_ptr<QProcess> TestSocketActivation::spawnActivated(int descriptor)
{
    auto daemon = std::make_unique<QProcess>();
    QProcessEnvironment env = m_harness->environment();
    env.remove(QStringLiteral("LATCHKEY_SOCKET"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_unusedRuntime);
    daemon->setProcessEnvironment(env);
    daemon->setProcessChannelMode(QProcess::MergedChannels);
    // Runs in the child between fork and exec: only async-signal-safe calls.
    daemon->setChildProcessModifier([descriptor] {
        if (descriptor == 3) {
            ::fcntl(3, F_SETFD, 0);
        } else {
            ::dup2(descriptor, 3); // the copy at 3 is not close-on-exec
        }
    });
    daemon->start(QStringLiteral("/bin/sh"),
                  {QStringLiteral("-c"),
                   QStringLiteral("export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=latchkeyd.socket; "
                                  "exec \"$0\" --foreground"),
                   DaemonHarness::binary(QStringLiteral("latchkeyd"))});
    return daemon;
}

bool TestSocketActivation::waitForListening(QProcess &daemon, QByteArray *output)
{
    if (!daemon.waitForStarted(20000)) {
        return false;
    }
    const QDeadlineTimer deadline(20000);
    while (!output->contains("listening on")) {
        if (daemon.state() == QProcess::NotRunning || deadline.hasExpired()) {
            *output += daemon.readAll();
            qWarning("latchkeyd did not start: %s", output->constData());
            return false;
        }
        daemon.waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        *output += daemon.readAll();
    }
    return true;
}

bool TestSocketActivation::stopDaemon(QProcess &daemon)
{
    daemon.terminate();
    return daemon.waitForFinished(20000) && daemon.exitStatus() == QProcess::NormalExit && daemon.exitCode() == 0;
}

void TestSocketActivation::servesTheInheritedSocket()
{
    m_daemon = spawnActivated(m_listener);
    QVERIFY(waitForListening(*m_daemon, &m_output));
    QVERIFY2(m_output.contains(QFile::encodeName(m_harness->socketPath())), m_output.constData());

    const auto result = m_harness->cli({QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    const QJsonObject status = QJsonDocument::fromJson(result.out).object();
    QCOMPARE(status.value(QStringLiteral("pid")).toInteger(), m_daemon->processId());
    // It did not open a socket of its own.
    QVERIFY(!QFileInfo::exists(QDir(m_unusedRuntime).filePath(QStringLiteral("latchkey/agent.sock"))));
    // The adopted socket keeps the modes its creator gave it.
    QFileInfo socket(m_harness->socketPath());
    QCOMPARE(socket.permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser | QFileDevice::ExeUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

void TestSocketActivation::foreignUidIsStillRefused()
{
    if (::geteuid() != 0) {
        QSKIP("needs root to start a client under another uid (CI runs as root)");
    }
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty(), "setpriv (util-linux) is missing");
    QVERIFY(m_daemon && m_daemon->state() == QProcess::Running);
    // Open every door the file system has: the wall must be the peer check on the adopted socket too.
    const QString socketDir = QFileInfo(m_harness->socketPath()).absolutePath();
    for (QDir dir(socketDir); dir.absolutePath() != QDir::rootPath(); dir.cdUp()) {
        struct stat st
        {
        };
        ::stat(QFile::encodeName(dir.absolutePath()).constData(), &st);
        ::chmod(QFile::encodeName(dir.absolutePath()).constData(), (st.st_mode & 07777) | 0005);
    }
    QCOMPARE(::chmod(QFile::encodeName(socketDir).constData(), 0777), 0);
    QCOMPARE(::chmod(QFile::encodeName(m_harness->socketPath()).constData(), 0666), 0);
    const QString cli = QDir(m_harness->home()).filePath(QStringLiteral("latchkey"));
    QVERIFY(QFile::copy(DaemonHarness::binary(QStringLiteral("latchkey")), cli));
    QCOMPARE(::chmod(QFile::encodeName(cli).constData(), 0755), 0);

    QProcess client;
    QProcessEnvironment env;
    env.insert(QStringLiteral("LATCHKEY_NO_AUTOSTART"), QStringLiteral("1"));
    env.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent"));
    client.setProcessEnvironment(env);
    client.start(QStringLiteral("setpriv"),
                 {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                  QStringLiteral("--"), cli, QStringLiteral("--socket"), m_harness->socketPath(),
                  QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY(client.waitForFinished(20000));
    const QByteArray err = client.readAllStandardError();
    QCOMPARE(client.exitCode(), 3);
    QVERIFY2(err.contains("closed the connection without replying"), err.constData());
    QVERIFY(client.readAllStandardOutput().isEmpty());

    QFile audit(m_harness->auditPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray log = audit.readAll();
    QVERIFY2(log.contains("\"event\":\"peer.refused\"") && log.contains("\"uid\":65534"), log.constData());

    // Our own uid is still served afterwards.
    QCOMPARE(m_harness->cli({QStringLiteral("status")}).exitCode, 0);
}

void TestSocketActivation::stoppingLeavesTheSocketToTheServiceManager()
{
    QVERIFY(m_daemon);
    QVERIFY(stopDaemon(*m_daemon));
    // systemd owns the socket file and keeps listening; a daemon that deleted it would strand the
    // next activation. So it is still there, and a restarted daemon serves the same descriptor.
    QVERIFY(QFileInfo::exists(m_harness->socketPath()));
    m_output.clear();
    m_daemon = spawnActivated(m_listener);
    QVERIFY(waitForListening(*m_daemon, &m_output));
    const auto result = m_harness->cli({QStringLiteral("status"), QStringLiteral("--json")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QCOMPARE(QJsonDocument::fromJson(result.out).object().value(QStringLiteral("pid")).toInteger(),
             m_daemon->processId());
    QVERIFY(stopDaemon(*m_daemon));
    QVERIFY(QFileInfo::exists(m_harness->socketPath()));
}

void TestSocketActivation::notAListeningSocketIsRefused()
{
    int pair[2];
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    auto daemon = spawnActivated(pair[0]);
    QVERIFY(daemon->waitForFinished(20000));
    ::close(pair[0]);
    ::close(pair[1]);
    const QByteArray output = daemon->readAll();
    QCOMPARE(daemon->exitCode(), 1);
    QVERIFY2(output.contains("socket activation: fd 3 from the service manager: not listening"), output.constData());
}

QTEST_GUILESS_MAIN(TestSocketActivation)
#include "TestSocketActivation.moc"
