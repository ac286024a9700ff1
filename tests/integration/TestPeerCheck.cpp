// The wall: a process of another uid is refused by the kernel-reported peer check, even when the
// socket and its directory are opened up to everyone. Needs root (to run a client as nobody).
#include "DaemonHarness.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using latchkey::test::DaemonHarness;

class TestPeerCheck : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void foreignUidIsRefusedDespiteOpenModes();
    void ownUidIsStillServed();

private:
    static QStringList asNobody(const QStringList &command);
    std::unique_ptr<DaemonHarness> m_harness;
    QString m_cli;
};

QStringList TestPeerCheck::asNobody(const QStringList &command)
{
    return QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                       QStringLiteral("--clear-groups"), QStringLiteral("--")} +
           command;
}

void TestPeerCheck::initTestCase()
{
    if (::geteuid() != 0) {
        QSKIP("needs root to start a client under another uid (CI runs as root)");
    }
    if (QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty()) {
        QFAIL("setpriv (util-linux) is missing");
    }
    m_harness = std::make_unique<DaemonHarness>();
    QVERIFY(m_harness->start());
    // Open every door the file system has: the check must not depend on modes.
    const QString socketDir = QFileInfo(m_harness->socketPath()).absolutePath();
    QDir dir(socketDir);
    for (; dir.absolutePath() != QDir::rootPath(); dir.cdUp()) {
        struct stat st
        {
        };
        ::stat(QFile::encodeName(dir.absolutePath()).constData(), &st);
        ::chmod(QFile::encodeName(dir.absolutePath()).constData(), (st.st_mode & 07777) | 0005);
    }
    QCOMPARE(::chmod(QFile::encodeName(socketDir).constData(), 0777), 0);
    QCOMPARE(::chmod(QFile::encodeName(m_harness->socketPath()).constData(), 0666), 0);
    // The build tree may sit in a directory nobody cannot enter; give nobody its own copy of the CLI.
    m_cli = QDir(m_harness->home()).filePath(QStringLiteral("latchkey"));
    QVERIFY(QFile::copy(DaemonHarness::binary(QStringLiteral("latchkey")), m_cli));
    QCOMPARE(::chmod(QFile::encodeName(m_cli).constData(), 0755), 0);
}

void TestPeerCheck::foreignUidIsRefusedDespiteOpenModes()
{
    // The real CLI, run as nobody: it connects (the modes allow it), is closed on without a reply.
    QProcess client;
    QProcessEnvironment env;
    env.insert(QStringLiteral("LATCHKEY_NO_AUTOSTART"), QStringLiteral("1"));
    env.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent"));
    client.setProcessEnvironment(env);
    client.start(QStringLiteral("setpriv"), asNobody({m_cli, QStringLiteral("--socket"), m_harness->socketPath(),
                                                      QStringLiteral("servers"), QStringLiteral("--json")}));
    QVERIFY(client.waitForFinished(20000));
    const QByteArray out = client.readAllStandardOutput();
    const QByteArray err = client.readAllStandardError();
    QCOMPARE(client.exitCode(), 3);
    QVERIFY2(err.contains("closed the connection without replying"), err.constData());
    QVERIFY(out.isEmpty());

    // The refusal is audited with the peer's uid.
    QFile audit(m_harness->auditPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray log = audit.readAll();
    QVERIFY2(log.contains("\"event\":\"peer.refused\"") && log.contains("\"uid\":65534"), log.constData());
}

void TestPeerCheck::ownUidIsStillServed()
{
    const auto result = m_harness->cli({QStringLiteral("servers"), QStringLiteral("--json")});
    QCOMPARE(result.exitCode, 0);
    QVERIFY(m_harness->stop());
}

QTEST_GUILESS_MAIN(TestPeerCheck)
#include "TestPeerCheck.moc"
