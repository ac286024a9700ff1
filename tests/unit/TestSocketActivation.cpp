// Unit tests for SocketActivation: sd_listen_fds(3)'s rules for LISTEN_PID/LISTEN_FDS, and which
// descriptors count as a listening local stream socket. The real hand-over from a parent process is
// tests/integration/TestSocketActivation.
#include "SocketActivation.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using latchkey::SocketActivation;

class TestSocketActivation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup();
    void notActivatedWithoutListenPid();
    void anotherProcessesSocketsAreIgnoredAndUnset();
    void badVariablesAreErrors_data();
    void badVariablesAreErrors();
    void adoptsAListeningUnixSocketAtFd3();
    void refusesWhatIsNotAListeningUnixStream();

private:
    static int unixListener(const QString &path, int type = SOCK_STREAM, bool listen = true);
    static void setActivation(const QByteArray &pid, const QByteArray &fds);
    QTemporaryDir m_dir;
};

int TestSocketActivation::unixListener(const QString &path, int type, bool listen)
{
    const int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray native = QFile::encodeName(path);
    std::memcpy(address.sun_path, native.constData(), static_cast<size_t>(native.size()));
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 || (listen && ::listen(fd, 4) != 0)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void TestSocketActivation::setActivation(const QByteArray &pid, const QByteArray &fds)
{
    qputenv("LISTEN_PID", pid);
    qputenv("LISTEN_FDS", fds);
    qputenv("LISTEN_FDNAMES", "latchkeyd.socket");
}

void TestSocketActivation::cleanup()
{
    qunsetenv("LISTEN_PID");
    qunsetenv("LISTEN_FDS");
    qunsetenv("LISTEN_FDNAMES");
}

void TestSocketActivation::notActivatedWithoutListenPid()
{
    const auto result = SocketActivation::fromEnvironment();
    QVERIFY(!result.activated());
    QVERIFY(result.error.isEmpty());
}

void TestSocketActivation::anotherProcessesSocketsAreIgnoredAndUnset()
{
    setActivation(QByteArray::number(::getppid()), "1");
    const auto result = SocketActivation::fromEnvironment();
    QVERIFY(!result.activated());
    QVERIFY(result.error.isEmpty());
    // Unset either way, so nothing we spawn inherits them.
    QVERIFY(!qEnvironmentVariableIsSet("LISTEN_PID"));
    QVERIFY(!qEnvironmentVariableIsSet("LISTEN_FDS"));
    QVERIFY(!qEnvironmentVariableIsSet("LISTEN_FDNAMES"));
}

void TestSocketActivation::badVariablesAreErrors_data()
{
    QTest::addColumn<QByteArray>("pid");
    QTest::addColumn<QByteArray>("fds");
    QTest::addColumn<QString>("message");
    const QByteArray self = QByteArray::number(::getpid());
    QTest::newRow("pid not a number") << QByteArray("12x") << QByteArray("1") << QStringLiteral("LISTEN_PID");
    QTest::newRow("fds missing") << self << QByteArray() << QStringLiteral("LISTEN_FDS");
    QTest::newRow("fds zero") << self << QByteArray("0") << QStringLiteral("LISTEN_FDS");
    QTest::newRow("fds garbage") << self << QByteArray("one") << QStringLiteral("LISTEN_FDS");
    QTest::newRow("two sockets") << self << QByteArray("2") << QStringLiteral("exactly one socket");
}

void TestSocketActivation::badVariablesAreErrors()
{
    QFETCH(QByteArray, pid);
    QFETCH(QByteArray, fds);
    QFETCH(QString, message);
    setActivation(pid, fds);
    const auto result = SocketActivation::fromEnvironment();
    QVERIFY(!result.activated());
    QVERIFY2(result.error.contains(message), qPrintable(result.error));
    QVERIFY(!qEnvironmentVariableIsSet("LISTEN_PID"));
}

void TestSocketActivation::adoptsAListeningUnixSocketAtFd3()
{
    const int listener = unixListener(m_dir.filePath(QStringLiteral("ok.sock")));
    QVERIFY(listener >= 0);
    // fd 3 belongs to someone in this process (Qt); borrow it for the call and put it back.
    const int saved = ::fcntl(SocketActivation::kFirstDescriptor, F_DUPFD_CLOEXEC, 10);
    QVERIFY(::dup2(listener, SocketActivation::kFirstDescriptor) == SocketActivation::kFirstDescriptor);
    setActivation(QByteArray::number(::getpid()), "1");
    const auto result = SocketActivation::fromEnvironment();
    const int flags = ::fcntl(SocketActivation::kFirstDescriptor, F_GETFD);
    if (saved >= 0) {
        ::dup2(saved, SocketActivation::kFirstDescriptor);
        ::close(saved);
    } else {
        ::close(SocketActivation::kFirstDescriptor);
    }
    ::close(listener);
    QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
    QCOMPARE(result.descriptor, qintptr(SocketActivation::kFirstDescriptor));
    QVERIFY(flags & FD_CLOEXEC); // adopted, and not passed on to anything the daemon starts
    QVERIFY(!qEnvironmentVariableIsSet("LISTEN_PID"));
}

void TestSocketActivation::refusesWhatIsNotAListeningUnixStream()
{
    QString why;
    const int listener = unixListener(m_dir.filePath(QStringLiteral("a.sock")));
    QVERIFY(SocketActivation::isListeningUnixStream(listener, &why));
    ::close(listener);

    const int bound = unixListener(m_dir.filePath(QStringLiteral("b.sock")), SOCK_STREAM, false);
    QVERIFY(!SocketActivation::isListeningUnixStream(bound, &why));
    QVERIFY2(why.contains(QStringLiteral("not listening")), qPrintable(why));
    ::close(bound);

    const int datagram = unixListener(m_dir.filePath(QStringLiteral("c.sock")), SOCK_DGRAM, false);
    QVERIFY(!SocketActivation::isListeningUnixStream(datagram, &why));
    QVERIFY2(why.contains(QStringLiteral("not a stream")), qPrintable(why));
    ::close(datagram);

    const int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in loopback{};
    loopback.sin_family = AF_INET;
    loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QCOMPARE(::bind(tcp, reinterpret_cast<sockaddr *>(&loopback), sizeof(loopback)), 0);
    QCOMPARE(::listen(tcp, 1), 0);
    QVERIFY(!SocketActivation::isListeningUnixStream(tcp, &why));
    QVERIFY2(why.contains(QStringLiteral("AF_UNIX")), qPrintable(why));
    ::close(tcp);

    const int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    QVERIFY(!SocketActivation::isListeningUnixStream(file, &why));
    QVERIFY2(why.contains(QStringLiteral("not a socket")), qPrintable(why));
    ::close(file);

    QVERIFY(!SocketActivation::isListeningUnixStream(file, &why)); // closed now
    QVERIFY2(why.contains(QStringLiteral("not an open descriptor")), qPrintable(why));
}

QTEST_GUILESS_MAIN(TestSocketActivation)
#include "TestSocketActivation.moc"
