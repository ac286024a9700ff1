// Unit tests for SocketPath: where the daemon listens, and which environment decides it.
#include "SocketPath.h"

#include <QTest>

#include <unistd.h>

using latchkey::ipc::SocketPath;

class TestSocketPath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void overrideWins();
    void runtimeDirectory();
    void fallbackPerUser();
    void directoryOf();
    void windowsPipeName();

private:
    QByteArray m_socket;
    QByteArray m_runtime;
};

void TestSocketPath::init()
{
    m_socket = qgetenv("LATCHKEY_SOCKET");
    m_runtime = qgetenv("XDG_RUNTIME_DIR");
}

void TestSocketPath::cleanup()
{
    const auto restore = [](const char *name, const QByteArray &value) {
        if (value.isNull()) {
            qunsetenv(name);
        } else {
            qputenv(name, value);
        }
    };
    restore("LATCHKEY_SOCKET", m_socket);
    restore("XDG_RUNTIME_DIR", m_runtime);
}

void TestSocketPath::overrideWins()
{
    qputenv("XDG_RUNTIME_DIR", "/run/user/4242");
    qputenv("LATCHKEY_SOCKET", "/tmp/elsewhere/test.sock");
    QCOMPARE(SocketPath::defaultPath(), QStringLiteral("/tmp/elsewhere/test.sock"));
    // An empty override is no override.
    qputenv("LATCHKEY_SOCKET", "");
    QCOMPARE(SocketPath::defaultPath(), QStringLiteral("/run/user/4242/latchkey/agent.sock"));
}

void TestSocketPath::runtimeDirectory()
{
    qunsetenv("LATCHKEY_SOCKET");
    qputenv("XDG_RUNTIME_DIR", "/run/user/4242/");
    QCOMPARE(SocketPath::defaultPath(), QStringLiteral("/run/user/4242/latchkey/agent.sock"));
}

void TestSocketPath::fallbackPerUser()
{
    qunsetenv("LATCHKEY_SOCKET");
    qunsetenv("XDG_RUNTIME_DIR");
    QCOMPARE(SocketPath::defaultPath(), QStringLiteral("/tmp/latchkey-%1/agent.sock").arg(::getuid()));
}

void TestSocketPath::directoryOf()
{
    QCOMPARE(SocketPath::directoryOf(QStringLiteral("/run/user/1/latchkey/agent.sock")),
             QStringLiteral("/run/user/1/latchkey"));
    QCOMPARE(SocketPath::directoryOf(QStringLiteral("/tmp/latchkey-7/agent.sock")), QStringLiteral("/tmp/latchkey-7"));
}

void TestSocketPath::windowsPipeName()
{
    QCOMPARE(SocketPath::pipeNameFor(QStringLiteral("alice")), QStringLiteral("latchkey-alice"));
    // One user, however the name is spelled; a domain user is not the local one.
    QCOMPARE(SocketPath::pipeNameFor(QStringLiteral("Alice")), SocketPath::pipeNameFor(QStringLiteral("ALICE")));
    QCOMPARE(SocketPath::pipeNameFor(QStringLiteral("CORP\\alice")), QStringLiteral("latchkey-corp%5Calice"));
    QVERIFY(SocketPath::pipeNameFor(QStringLiteral("CORP\\alice")) != SocketPath::pipeNameFor(QStringLiteral("alice")));
    // Names that would collide if characters were merely replaced stay apart.
    QVERIFY(SocketPath::pipeNameFor(QStringLiteral("a b")) != SocketPath::pipeNameFor(QStringLiteral("a_b")));
    QCOMPARE(SocketPath::pipeNameFor(QStringLiteral("j\u00f6rg")), QStringLiteral("latchkey-j%C3%B6rg"));
    QCOMPARE(SocketPath::pipeNameFor(QString()), QStringLiteral("latchkey-unknown"));
    for (const QString &user : {QStringLiteral("x/y"), QStringLiteral("a\\b"), QStringLiteral("..")}) {
        QVERIFY(!SocketPath::pipeNameFor(user).contains(QLatin1Char('\\')));
        QVERIFY(!SocketPath::pipeNameFor(user).contains(QLatin1Char('/')));
    }
}

QTEST_GUILESS_MAIN(TestSocketPath)
#include "TestSocketPath.moc"
