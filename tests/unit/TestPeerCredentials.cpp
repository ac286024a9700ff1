// Unit tests for PeerCredentials: what the kernel says about the other end of a local socket.
#include "PeerCredentials.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

using latchkey::ipc::PeerCredentials;

class TestPeerCredentials : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void socketPairIsUs();
    void notASocket();
    void executableOf();
};

void TestPeerCredentials::socketPairIsUs()
{
    int fds[2] = {-1, -1};
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const auto peer = PeerCredentials::fromSocket(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
    QVERIFY(peer.has_value());
    QCOMPARE(peer->uid, PeerCredentials::currentUid());
    QCOMPARE(peer->gid, static_cast<qint64>(::getegid()));
    QCOMPARE(peer->pid, QCoreApplication::applicationPid());
    QCOMPARE(QFileInfo(peer->executable).canonicalFilePath(),
             QFileInfo(QCoreApplication::applicationFilePath()).canonicalFilePath());
}

void TestPeerCredentials::notASocket()
{
    int fds[2] = {-1, -1};
    QCOMPARE(::pipe(fds), 0);
    const auto peer = PeerCredentials::fromSocket(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
    QVERIFY(!peer.has_value());
    QVERIFY(!PeerCredentials::fromSocket(-1).has_value());
}

void TestPeerCredentials::executableOf()
{
    QVERIFY(PeerCredentials::executableOf(0).isEmpty());
    QVERIFY(PeerCredentials::executableOf(-5).isEmpty());
    QVERIFY(!PeerCredentials::executableOf(QCoreApplication::applicationPid()).isEmpty());
    // A pid that cannot exist (above the kernel's pid_max of 2^22).
    QVERIFY(PeerCredentials::executableOf(std::int64_t{1} << 40).isEmpty());
}

QTEST_GUILESS_MAIN(TestPeerCredentials)
#include "TestPeerCredentials.moc"
