// The API-key rung end to end, with the real daemon and the real Secret Service:
// secret set → add stdio → run, and the secret nowhere but the keychain and the child's environment.
#include "DaemonHarness.h"
#include "SecretScan.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>
#include <QUuid>

using latchkey::test::DaemonHarness;
using latchkey::test::SecretScan;

class TestApiKeyRung : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void secretReachesOnlyTheChildEnvironment();
    void exitStatusOfTheServerIsPassedThrough();
    void secretRemovalIsReportedAtRun();
    void secretsNeverComeFromArgv();
    void badInputIsRefusedClearly_data();
    void badInputIsRefusedClearly();
    void serversListsBindingsWithoutValues();

private:
    DaemonHarness::Result cli(const QStringList &args, const QByteArray &input = {});
    static QString secretToolLookup(const QString &user);

    std::unique_ptr<DaemonHarness> m_harness;
    QByteArray m_secret;
    QString m_server;
    QList<QByteArray> m_outputs; // everything the CLI printed, scanned for the secret at the end
};

DaemonHarness::Result TestApiKeyRung::cli(const QStringList &args, const QByteArray &input)
{
    auto result = m_harness->cli(args, input);
    m_outputs << result.out << result.err;
    return result;
}

QString TestApiKeyRung::secretToolLookup(const QString &user)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"), {QStringLiteral("lookup"), QStringLiteral("server"),
                                               QStringLiteral("latchkey"), QStringLiteral("user"), user});
    if (!tool.waitForFinished(10000) || tool.exitCode() != 0) {
        return {};
    }
    return QString::fromUtf8(tool.readAllStandardOutput());
}

void TestApiKeyRung::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL("no session bus: the Secret Service is required here");
        }
        QSKIP("needs the Secret Service; run through scripts/test.sh");
    }
    m_harness = std::make_unique<DaemonHarness>();
    QVERIFY(m_harness->start());
    m_secret = "lk-" + QUuid::createUuid().toByteArray(QUuid::Id128);
    m_server = DaemonHarness::uniqueName(QStringLiteral("gh"));
}

void TestApiKeyRung::cleanupTestCase()
{
    if (!m_harness) {
        return;
    }
    QVERIFY(m_harness->stop());
    // Nothing the daemon or the CLI printed, and no file under the test home, holds the secret.
    QVERIFY(!m_harness->daemonOutput().contains(m_secret));
    for (const QByteArray &output : std::as_const(m_outputs)) {
        QVERIFY(!output.contains(m_secret));
    }
    QCOMPARE(SecretScan::filesContaining(m_harness->home(), m_secret), QStringList());
    // The Secret Service's own files (under the test run's $HOME) are encrypted.
    QCOMPARE(SecretScan::filesContaining(QDir::homePath(), m_secret), QStringList());
}

void TestApiKeyRung::secretReachesOnlyTheChildEnvironment()
{
    auto set =
        cli({QStringLiteral("secret"), QStringLiteral("set"), m_server, QStringLiteral("API_KEY")}, m_secret + '\n');
    QVERIFY2(set.exitCode == 0, set.err.constData());
    QCOMPARE(secretToolLookup(QStringLiteral("latchkey/secret/%1/API_KEY").arg(m_server)), QString::fromUtf8(m_secret));

    // The child prints a digest of what it sees, then waits on stdin so we can inspect it alive.
    const QString script = QStringLiteral("printf %s \"$GITHUB_TOKEN\" | sha256sum; read -r _");
    auto add = cli({QStringLiteral("add"), QStringLiteral("stdio"), m_server, QStringLiteral("--env"),
                    QStringLiteral("GITHUB_TOKEN=secret:API_KEY"), QStringLiteral("--"), QStringLiteral("/bin/sh"),
                    QStringLiteral("-c"), script});
    QVERIFY2(add.exitCode == 0, add.err.constData());
    QFile config(m_harness->configPath());
    QVERIFY(config.open(QIODevice::ReadOnly));
    QVERIFY(!config.readAll().contains(m_secret));

    QProcess run;
    run.setProcessEnvironment(m_harness->environment());
    run.start(DaemonHarness::binary(QStringLiteral("latchkey")), {QStringLiteral("run"), m_server});
    QVERIFY(run.waitForStarted());
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += run.readAllStandardOutput()).contains('\n'), 15000);
    const QByteArray digest = QCryptographicHash::hash(m_secret, QCryptographicHash::Sha256).toHex();
    QVERIFY2(out.startsWith(digest), out.constData());

    // `latchkey run` exec'd the server in place: same pid, the secret in its environment, not its argv.
    QFile environment(QStringLiteral("/proc/%1/environ").arg(run.processId()));
    QVERIFY(environment.open(QIODevice::ReadOnly));
    QVERIFY(environment.readAll().split('\0').contains("GITHUB_TOKEN=" + m_secret));
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(run.processId()));
    QVERIFY(cmdline.open(QIODevice::ReadOnly));
    QVERIFY(cmdline.readAll().startsWith("/bin/sh"));
    QCOMPARE(SecretScan::processesWithArgument(m_secret), QStringList());

    run.write("done\n");
    run.closeWriteChannel();
    QVERIFY(run.waitForFinished(10000));
    QCOMPARE(run.exitCode(), 0);
    m_outputs << out << run.readAllStandardError();

    // The handout is audited by server and variable name only.
    QFile audit(m_harness->auditPath());
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray log = audit.readAll();
    QVERIFY(log.contains("\"secret.handout\""));
    QVERIFY(log.contains("GITHUB_TOKEN"));
}

void TestApiKeyRung::exitStatusOfTheServerIsPassedThrough()
{
    auto result = cli({QStringLiteral("run"), m_server, QStringLiteral("--"), QStringLiteral("/bin/sh"),
                       QStringLiteral("-c"), QStringLiteral("test -n \"$GITHUB_TOKEN\" && exit 7")});
    QCOMPARE(result.exitCode, 7);
    result = cli({QStringLiteral("run"), m_server, QStringLiteral("--"), QStringLiteral("/nonexistent/program")});
    QCOMPARE(result.exitCode, 1);
    QVERIFY(result.err.contains("cannot run"));
}

void TestApiKeyRung::secretRemovalIsReportedAtRun()
{
    const QString server = DaemonHarness::uniqueName(QStringLiteral("rm"));
    QCOMPARE(cli({QStringLiteral("secret"), QStringLiteral("set"), server, QStringLiteral("K")}, m_secret).exitCode, 0);
    QCOMPARE(cli({QStringLiteral("add"), QStringLiteral("stdio"), server, QStringLiteral("--env"),
                  QStringLiteral("V=secret:K"), QStringLiteral("--"), QStringLiteral("/bin/true")})
                 .exitCode,
             0);
    QCOMPARE(cli({QStringLiteral("run"), server}).exitCode, 0);
    QCOMPARE(cli({QStringLiteral("secret"), QStringLiteral("rm"), server, QStringLiteral("K")}).exitCode, 0);
    QCOMPARE(secretToolLookup(QStringLiteral("latchkey/secret/%1/K").arg(server)), QString());
    const auto run = cli({QStringLiteral("run"), server});
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(run.err.contains("secret_missing") && run.err.contains("latchkey secret set " + server.toUtf8() + " K"),
             run.err.constData());
    const auto again = cli({QStringLiteral("secret"), QStringLiteral("rm"), server, QStringLiteral("K")});
    QCOMPARE(again.exitCode, 1);
    QVERIFY(again.err.contains("not_found"));
}

void TestApiKeyRung::secretsNeverComeFromArgv()
{
    const auto result = cli({QStringLiteral("secret"), QStringLiteral("set"), m_server, QStringLiteral("API_KEY"),
                             QString::fromUtf8(m_secret + "x")},
                            {});
    QCOMPARE(result.exitCode, 2);
    m_outputs.removeLast(); // its argv held the value on purpose; only check it was refused
    m_outputs.removeLast();
}

void TestApiKeyRung::badInputIsRefusedClearly_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("message");
    const QString add = QStringLiteral("add");
    const QString stdio = QStringLiteral("stdio");
    QTest::newRow("literal env value") << QStringList{add,
                                                      stdio,
                                                      QStringLiteral("x1"),
                                                      QStringLiteral("--env"),
                                                      QStringLiteral("TOKEN=abc"),
                                                      QStringLiteral("--"),
                                                      QStringLiteral("/bin/true")}
                                       << QByteArray() << 2 << QByteArray("VAR=secret:KEY");
    QTest::newRow("invalid env name") << QStringList{add,
                                                     stdio,
                                                     QStringLiteral("x2"),
                                                     QStringLiteral("--env"),
                                                     QStringLiteral("1TOKEN=secret:K"),
                                                     QStringLiteral("--"),
                                                     QStringLiteral("/bin/true")}
                                      << QByteArray() << 1 << QByteArray("environment variable name");
    QTest::newRow("no command") << QStringList{add, stdio, QStringLiteral("x3")} << QByteArray() << 2
                                << QByteArray("after --");
    QTest::newRow("invalid server name") << QStringList{add, stdio, QStringLiteral("../etc"), QStringLiteral("--"),
                                                        QStringLiteral("/bin/true")}
                                         << QByteArray() << 1 << QByteArray("server name");
    QTest::newRow("secret with inner newline")
        << QStringList{QStringLiteral("secret"), QStringLiteral("set"), QStringLiteral("x4"), QStringLiteral("K")}
        << QByteArray("line1\nline2\n") << 1 << QByteArray("newline");
    QTest::newRow("empty secret") << QStringList{QStringLiteral("secret"), QStringLiteral("set"), QStringLiteral("x5"),
                                                 QStringLiteral("K")}
                                  << QByteArray("\n") << 1 << QByteArray("no secret given");
    QTest::newRow("oversize secret") << QStringList{QStringLiteral("secret"), QStringLiteral("set"),
                                                    QStringLiteral("x6"), QStringLiteral("K")}
                                     << QByteArray(70000, 'a') << 1 << QByteArray("longer than");
    QTest::newRow("unknown server") << QStringList{QStringLiteral("run"), QStringLiteral("no-such-server")}
                                    << QByteArray() << 1 << QByteArray("no server named");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << QByteArray() << 2
                                     << QByteArray("unknown command");
}

void TestApiKeyRung::badInputIsRefusedClearly()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, input);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, message);
    const QByteArray before = QFile::exists(m_harness->configPath()) ? [this] {
        QFile f(m_harness->configPath());
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    }()
                                                                     : QByteArray();
    const auto result = cli(args, input);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.err.contains(message), result.err.constData());
    QFile after(m_harness->configPath());
    QByteArray afterBytes;
    if (after.open(QIODevice::ReadOnly)) {
        afterBytes = after.readAll();
    }
    QCOMPARE(afterBytes, before); // a refusal changes nothing
}

void TestApiKeyRung::serversListsBindingsWithoutValues()
{
    const auto result = cli({QStringLiteral("servers"), QStringLiteral("--json")});
    QCOMPARE(result.exitCode, 0);
    const QJsonArray servers = QJsonDocument::fromJson(result.out).array();
    bool found = false;
    for (const auto &value : servers) {
        const QJsonObject server = value.toObject();
        if (server.value(QStringLiteral("name")).toString() == m_server) {
            found = true;
            const QJsonObject binding = server.value(QStringLiteral("env")).toArray().first().toObject();
            QCOMPARE(binding.value(QStringLiteral("var")).toString(), QStringLiteral("GITHUB_TOKEN"));
            QCOMPARE(binding.value(QStringLiteral("present")).toBool(), true);
        }
    }
    QVERIFY(found);
}

QTEST_GUILESS_MAIN(TestApiKeyRung)
#include "TestApiKeyRung.moc"
