// The real latchkeyd process: socket and directory modes, single instance, stale sockets,
// clean shutdown, hardening, and the CLI starting the daemon on demand.
#include "DaemonHarness.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <csignal>
#include <sys/stat.h>

using latchkey::test::DaemonHarness;

namespace {

mode_t modeOf(const QString &path)
{
    struct stat st
    {
    };
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0) {
        return 0;
    }
    return st.st_mode;
}

} // namespace

class TestDaemonLifecycle : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versionFlag();
    void socketAndDirectoryAreOwnerOnly();
    void secondInstanceIsRefused();
    void staleSocketIsReplaced();
    void regularFileAtSocketPathIsLeftAlone();
    void sigtermExitsCleanlyAndRemovesSocket();
    void coreDumpsAreOff();
    void unreachableDaemonExitsThree();
    void cliStartsDaemonOnDemand();
};

void TestDaemonLifecycle::versionFlag()
{
    QProcess daemon;
    daemon.start(DaemonHarness::binary(QStringLiteral("latchkeyd")), {QStringLiteral("--version")});
    QVERIFY(daemon.waitForFinished(10000));
    QCOMPARE(daemon.exitCode(), 0);
    QVERIFY(daemon.readAllStandardOutput().contains(LATCHKEY_VERSION));
}

void TestDaemonLifecycle::socketAndDirectoryAreOwnerOnly()
{
    DaemonHarness harness;
    QVERIFY(harness.start());
    const mode_t socketMode = modeOf(harness.socketPath());
    QVERIFY(S_ISSOCK(socketMode));
    QCOMPARE(socketMode & 07777, mode_t(0600));
    const mode_t dirMode = modeOf(QFileInfo(harness.socketPath()).absolutePath());
    QVERIFY(S_ISDIR(dirMode));
    QCOMPARE(dirMode & 07777, mode_t(0700));
    QVERIFY(harness.stop());
}

void TestDaemonLifecycle::secondInstanceIsRefused()
{
    DaemonHarness harness;
    QVERIFY(harness.start());
    QProcess second;
    second.setProcessEnvironment(harness.environment());
    second.start(DaemonHarness::binary(QStringLiteral("latchkeyd")),
                 {QStringLiteral("--foreground"), QStringLiteral("--socket"), harness.socketPath()});
    QVERIFY(second.waitForFinished(10000));
    QCOMPARE(second.exitCode(), 1);
    const QByteArray err = second.readAllStandardError();
    QVERIFY2(err.contains("already serving"), err.constData());
    // The first one is unharmed.
    const auto status = harness.cli({QStringLiteral("status")});
    QCOMPARE(status.exitCode, 0);
    QVERIFY(harness.stop());
}

void TestDaemonLifecycle::staleSocketIsReplaced()
{
    DaemonHarness harness;
    QVERIFY(harness.start());
    harness.kill(); // SIGKILL: the socket file stays behind
    QVERIFY(S_ISSOCK(modeOf(harness.socketPath())));
    QCOMPARE(harness.cli({QStringLiteral("status")}).exitCode, 3);
    QVERIFY(harness.start());
    const auto status = harness.cli({QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(status.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(status.out).object().value(QStringLiteral("pid")).toInteger(), harness.pid());
    QVERIFY(harness.stop());
}

void TestDaemonLifecycle::regularFileAtSocketPathIsLeftAlone()
{
    DaemonHarness harness;
    QDir().mkpath(QFileInfo(harness.socketPath()).absolutePath());
    QFile file(harness.socketPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("precious");
    file.close();
    QVERIFY(!harness.start(5000));
    QVERIFY(harness.daemonOutput().contains("not a socket"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("precious"));
}

void TestDaemonLifecycle::sigtermExitsCleanlyAndRemovesSocket()
{
    DaemonHarness harness;
    QVERIFY(harness.start());
    QVERIFY(QFileInfo::exists(harness.socketPath()));
    QVERIFY(harness.stop());
    QCOMPARE(harness.process()->exitCode(), 0);
    QVERIFY(!QFileInfo::exists(harness.socketPath()));
}

void TestDaemonLifecycle::coreDumpsAreOff()
{
    DaemonHarness harness;
    QVERIFY(harness.start());
    QFile limits(QStringLiteral("/proc/%1/limits").arg(harness.pid()));
    QVERIFY(limits.open(QIODevice::ReadOnly));
    bool found = false;
    for (const QByteArray &line : limits.readAll().split('\n')) {
        if (line.startsWith("Max core file size")) {
            found = true;
            const QList<QByteArray> fields = line.simplified().split(' ');
            QCOMPARE(fields.at(4), QByteArray("0")); // soft
            QCOMPARE(fields.at(5), QByteArray("0")); // hard
        }
    }
    QVERIFY(found);
    QVERIFY(harness.stop());
}

void TestDaemonLifecycle::unreachableDaemonExitsThree()
{
    DaemonHarness harness; // never started; autostart is off in the harness
    const auto result = harness.cli({QStringLiteral("status")});
    QCOMPARE(result.exitCode, 3);
    QVERIFY2(result.err.contains("cannot reach latchkeyd"), result.err.constData());
}

void TestDaemonLifecycle::cliStartsDaemonOnDemand()
{
    DaemonHarness harness;
    harness.unsetEnv(QStringLiteral("LATCHKEY_NO_AUTOSTART"));
    const auto result = harness.cli({QStringLiteral("status"), QStringLiteral("--json")});
    QCOMPARE(result.exitCode, 0);
    const qint64 pid = QJsonDocument::fromJson(result.out).object().value(QStringLiteral("pid")).toInteger();
    QVERIFY(pid > 0);
    // The detached daemon keeps serving after the CLI is gone.
    QCOMPARE(harness.cli({QStringLiteral("servers")}).exitCode, 0);
    QCOMPARE(::kill(static_cast<pid_t>(pid), SIGTERM), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(harness.socketPath()), 10000);
}

QTEST_GUILESS_MAIN(TestDaemonLifecycle)
#include "TestDaemonLifecycle.moc"
