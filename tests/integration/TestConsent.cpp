// Per-app consent with real processes: a real latchkeyd in "ask" mode, the real Secret Service, `latchkey run`
// spawned by this test (so this test binary is the app that asks), and a consent agent that is this test's own
// ipc::Client registered with consent.register — answering once, always, deny, or not at all.
// The app behind a connection is walked once and then re-checked (IdentityCache): a long-lived granted
// connection keeps being served, another program is still asked, and a peer that exec()s another
// program on its open connection (this binary re-run as a helper, then a copy of it) is asked again.
#include "Client.h"
#include "DaemonHarness.h"
#include "FrameCodec.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using latchkey::ipc::Client;
using latchkey::ipc::Event;
using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;

namespace {
constexpr int kConsentTimeoutMs = 5000;

bool readExactly(int fd, char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::read(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// One server.env on a blocking descriptor: "ok VALUE" or "err CODE".
QByteArray serverEnvOn(int fd, const QByteArray &server)
{
    latchkey::ipc::Request request;
    request.id = 1;
    request.method = "server.env";
    request.params = {{"name", server.toStdString()}};
    const QByteArray frame = latchkey::ipc::FrameCodec::encode(request.serialize());
    char header[4];
    if (::write(fd, frame.constData(), static_cast<std::size_t>(frame.size())) != frame.size() ||
        !readExactly(fd, header, sizeof(header))) {
        return "err connection";
    }
    const quint32 size = (quint32(quint8(header[0])) << 24) | (quint32(quint8(header[1])) << 16) |
                         (quint32(quint8(header[2])) << 8) | quint32(quint8(header[3]));
    QByteArray payload(static_cast<qsizetype>(size), '\0');
    if (!readExactly(fd, payload.data(), size)) {
        return "err connection";
    }
    const auto message = latchkey::ipc::parseDaemonMessage(payload);
    if (!message.response) {
        return "err unreadable";
    }
    if (!message.response->ok()) {
        return "err " + QByteArray::fromStdString(message.response->errorCode);
    }
    return "ok " + QByteArray::fromStdString(message.response->result["env"].value("API_KEY", std::string()));
}

// Helper mode: one connection to the daemon (a socket path, or "fd:N" inherited across exec()), driven by
// stdin lines "get SERVER" (answered on stdout) and "exec PROGRAM" (the program goes on with the connection).
int consentPeer(const QByteArray &where)
{
    std::setvbuf(stdin, nullptr, _IONBF, 0); // nothing read ahead may be lost at exec()
    int fd = -1;
    if (where.startsWith("fd:")) {
        fd = where.mid(3).toInt();
    } else {
        fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, where.constData(), sizeof(address.sun_path) - 1);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
            return 2;
        }
    }
    char line[4096];
    while (std::fgets(line, sizeof(line), stdin)) {
        const QByteArray command = QByteArray(line).trimmed();
        if (command.startsWith("get ")) {
            std::printf("%s\n", serverEnvOn(fd, command.mid(4)).constData());
        } else if (command.startsWith("exec ")) {
            ::fcntl(fd, F_SETFD, 0); // the connection survives the exec()
            const QByteArray program = command.mid(5);
            const QByteArray inherited = "fd:" + QByteArray::number(fd);
            ::execl(program.constData(), program.constData(), "--consent-peer", inherited.constData(), nullptr);
            std::printf("err exec\n");
        }
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

class TestConsent : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void noAgentIsRefusedSayingWhatToRun();
    void allowOnceLetsThisRunThroughOnly();
    void denyIsRememberedUntilRevoked();
    void alwaysIsRememberedAndListedUntilRevoked();
    void noAnswerTimesOutToDeny();
    void concurrentRunsShareOneQuestion();
    void appsAllowIsRefusedFromAnApp();
    void appsAllowFromATerminal();
    void grantedAppIsServedForTheLifeOfItsConnection();
    void anotherProgramOnANewConnectionIsAsked();
    void execOnAnOpenConnectionIsAskedAgain();
    void statusShowsConsentMode();

private:
    // `latchkey run SERVER -- /bin/sh -c 'printf %s "$API_KEY"'`, started by this test.
    QProcess *startRun();
    static bool finish(QProcess *run, int timeoutMs = 30000);
    // The agent: registers, collects consent.request events.
    void registerAgent();
    Event waitForQuestion();
    void answer(const Event &question, const char *decision);
    QByteArray audit() const;
    // server.env from this test on client, answered by the agent with decision when asked.
    latchkey::ipc::Response askedServerEnv(Client &client, const char *decision);
    // The helper's next stdout line, within the deadline.
    static QByteArray nextLine(QProcess &process);

    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<Client> m_agent;
    QList<Event> m_questions;
    QList<qint64> m_resolved; // ids of questions that ended without our answer
    QString m_server;
    QByteArray m_secret;
    QString m_self;
    std::vector<std::unique_ptr<QProcess>> m_runs;
};

void TestConsent::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL("no session bus: the Secret Service is required here");
        }
        QSKIP("needs the Secret Service; run through scripts/test.sh");
    }
    m_self = QFileInfo(QStringLiteral("/proc/self/exe")).symLinkTarget();
    m_daemon = std::make_unique<DaemonHarness>();
    m_daemon->setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
    m_daemon->setEnv(QStringLiteral("LATCHKEY_CONSENT_TIMEOUT_MS"), QString::number(kConsentTimeoutMs));
    QVERIFY(m_daemon->start());
    m_server = DaemonHarness::uniqueName(QStringLiteral("consent"));
    m_secret = "lk-" + QUuid::createUuid().toByteArray(QUuid::Id128);
    auto set = m_daemon->cli({QStringLiteral("secret"), QStringLiteral("set"), m_server, QStringLiteral("KEY")},
                             m_secret + '\n');
    QVERIFY2(set.exitCode == 0, set.err.constData());
    auto add = m_daemon->cli({QStringLiteral("add"), QStringLiteral("stdio"), m_server, QStringLiteral("--env"),
                              QStringLiteral("API_KEY=secret:KEY"), QStringLiteral("--"), QStringLiteral("/bin/true")});
    QVERIFY2(add.exitCode == 0, add.err.constData());
}

void TestConsent::cleanupTestCase()
{
    m_runs.clear();
    m_agent.reset();
    if (m_daemon) {
        m_daemon->cli({QStringLiteral("secret"), QStringLiteral("rm"), m_server, QStringLiteral("KEY")});
        QVERIFY(m_daemon->stop());
        QVERIFY(!audit().contains(m_secret)); // every ask and answer audited, never the secret
    }
}

QProcess *TestConsent::startRun()
{
    auto run = std::make_unique<QProcess>();
    run->setProcessEnvironment(m_daemon->environment());
    run->start(DaemonHarness::binary(QStringLiteral("latchkey")),
               {QStringLiteral("run"), m_server, QStringLiteral("--"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                QStringLiteral("printf %s \"$API_KEY\"")});
    run->waitForStarted();
    m_runs.push_back(std::move(run));
    return m_runs.back().get();
}

bool TestConsent::finish(QProcess *run, int timeoutMs)
{
    // The event loop keeps running meanwhile: the agent in this process must be able to answer.
    return QTest::qWaitFor([run] { return run->state() == QProcess::NotRunning; }, timeoutMs) &&
           run->exitStatus() == QProcess::NormalExit;
}

void TestConsent::registerAgent()
{
    m_agent = std::make_unique<Client>(m_daemon->socketPath());
    QVERIFY(m_agent->connectToDaemon(5000));
    connect(m_agent.get(), &Client::eventReceived, this, [this](const Event &event) {
        if (event.name == "consent.request") {
            m_questions.append(event);
        } else if (event.name == "consent.resolved") {
            m_resolved.append(event.data["id"].get<qint64>());
        }
    });
    const auto reply = m_agent->call("consent.register");
    QVERIFY2(reply.ok(), reply.errorMessage.c_str());
    QCOMPARE(reply.result["timeoutMs"].get<int>(), kConsentTimeoutMs);
}

Event TestConsent::waitForQuestion()
{
    const qsizetype before = m_questions.size();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(m_questions.size() > before, 20000); }();
    return m_questions.isEmpty() ? Event{} : m_questions.last();
}

void TestConsent::answer(const Event &question, const char *decision)
{
    bool done = false;
    latchkey::ipc::Response response;
    m_agent->callAsync("consent.answer", {{"id", question.data["id"]}, {"decision", decision}},
                       [&](const latchkey::ipc::Response &r) {
                           response = r;
                           done = true;
                       });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY2(response.ok(), response.errorMessage.c_str());
}

QByteArray TestConsent::audit() const
{
    QFile file(m_daemon->auditPath());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void TestConsent::noAgentIsRefusedSayingWhatToRun()
{
    QProcess *run = startRun();
    QVERIFY(finish(run));
    QCOMPARE(run->exitCode(), 1);
    const QByteArray err = run->readAllStandardError();
    QVERIFY2(err.contains("[consent_denied]"), err.constData());
    QVERIFY2(err.contains("latchkey-tray"), err.constData());
    QVERIFY2(err.contains("latchkey apps allow " + m_self.toUtf8() + " " + m_server.toUtf8()), err.constData());
    QVERIFY(run->readAllStandardOutput().isEmpty());
    QVERIFY(audit().contains("\"consent.denied\""));
}

void TestConsent::allowOnceLetsThisRunThroughOnly()
{
    registerAgent();
    QProcess *run = startRun();
    const Event question = waitForQuestion();
    QCOMPARE(QString::fromStdString(question.data["app"]["exe"].get<std::string>()), m_self);
    QCOMPARE(question.data["app"]["pid"].get<qint64>(), QCoreApplication::applicationPid());
    QCOMPARE(QString::fromStdString(question.data["server"]["name"].get<std::string>()), m_server);
    QCOMPARE(question.data["server"]["command"][0].get<std::string>(), std::string("/bin/true"));
    answer(question, "once");
    QVERIFY(finish(run));
    QCOMPARE(run->exitCode(), 0);
    QCOMPARE(run->readAllStandardOutput(), m_secret);

    // Once is not remembered: the next run asks again.
    QProcess *again = startRun();
    const Event second = waitForQuestion();
    QVERIFY(second.data["id"] != question.data["id"]);
    answer(second, "once");
    QVERIFY(finish(again));
    QCOMPARE(again->exitCode(), 0);
}

void TestConsent::denyIsRememberedUntilRevoked()
{
    QProcess *run = startRun();
    answer(waitForQuestion(), "deny");
    QVERIFY(finish(run));
    QCOMPARE(run->exitCode(), 1);
    QVERIFY(run->readAllStandardError().contains("is denied the credentials"));
    QVERIFY(run->readAllStandardOutput().isEmpty());

    // Remembered: refused without a question.
    const qsizetype asked = m_questions.size();
    QProcess *again = startRun();
    QVERIFY(finish(again));
    QCOMPARE(again->exitCode(), 1);
    QCOMPARE(m_questions.size(), asked);

    auto list = m_daemon->cli({QStringLiteral("apps")});
    QVERIFY2(list.out.contains("DENIED") && list.out.contains(m_self.toUtf8()), list.out.constData());
    auto revoke = m_daemon->cli({QStringLiteral("apps"), QStringLiteral("revoke"), m_self, m_server});
    QVERIFY2(revoke.exitCode == 0, revoke.err.constData());
    QVERIFY(audit().contains("\"consent.revoked\""));

    QProcess *asksAgain = startRun();
    answer(waitForQuestion(), "once");
    QVERIFY(finish(asksAgain));
    QCOMPARE(asksAgain->exitCode(), 0);
}

void TestConsent::alwaysIsRememberedAndListedUntilRevoked()
{
    QProcess *run = startRun();
    answer(waitForQuestion(), "always");
    QVERIFY(finish(run));
    QCOMPARE(run->exitCode(), 0);

    const qsizetype asked = m_questions.size();
    QProcess *again = startRun();
    QVERIFY(finish(again)); // nobody answers: it goes through on the stored grant
    QCOMPARE(again->exitCode(), 0);
    QCOMPARE(again->readAllStandardOutput(), m_secret);
    QCOMPARE(m_questions.size(), asked);

    // The grant is in grants.json, in `apps --json` and in server.list's "apps".
    QFile grants(QFileInfo(m_daemon->configPath()).dir().filePath(QStringLiteral("grants.json")));
    QVERIFY(grants.open(QIODevice::ReadOnly));
    QVERIFY(grants.readAll().contains(m_self.toUtf8()));
    const auto list = m_agent->call("server.list");
    bool listed = false;
    for (const Json &server : list.result["servers"]) {
        if (server["name"] == m_server.toStdString()) {
            listed = server["apps"] == Json::array({m_self.toStdString()});
        }
    }
    QVERIFY(listed);

    const auto revoke =
        m_agent->call("consent.revoke", {{"app", m_self.toStdString()}, {"server", m_server.toStdString()}});
    QVERIFY2(revoke.ok(), revoke.errorMessage.c_str());
    QCOMPARE(revoke.result["revoked"].get<int>(), 1);
    QProcess *asksAgain = startRun();
    answer(waitForQuestion(), "deny");
    QVERIFY(finish(asksAgain));
    QCOMPARE(asksAgain->exitCode(), 1);
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
}

void TestConsent::noAnswerTimesOutToDeny()
{
    QProcess *run = startRun();
    const Event question = waitForQuestion();
    QVERIFY(finish(run, kConsentTimeoutMs + 30000));
    QCOMPARE(run->exitCode(), 1);
    const QByteArray err = run->readAllStandardError();
    QVERIFY2(err.contains("nobody answered within 5 s") && err.contains("denied this time"), err.constData());
    QVERIFY(audit().contains("\"consent.timed_out\""));
    // The agent is told, so its dialog can close; and nothing was stored.
    QTRY_VERIFY_WITH_TIMEOUT(m_resolved.contains(question.data["id"].get<qint64>()), 10000);
    const auto list = m_agent->call("consent.list");
    QVERIFY(list.result["grants"].empty());
}

void TestConsent::concurrentRunsShareOneQuestion()
{
    const qsizetype asked = m_questions.size();
    const qsizetype askedInAudit = audit().count("\"consent.asked\"");
    QProcess *first = startRun();
    QProcess *second = startRun();
    // Both requests are waiting (each is audited as asked; the second as sharing the first's question).
    QTRY_VERIFY_WITH_TIMEOUT(audit().count("\"consent.asked\"") >= askedInAudit + 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(m_questions.size(), asked + 1, 10000);
    QVERIFY(audit().contains("\"shared\":true"));
    answer(m_questions.last(), "once");
    QVERIFY(finish(first));
    QVERIFY(finish(second));
    QCOMPARE(first->exitCode(), 0);
    QCOMPARE(second->exitCode(), 0);
    QCOMPARE(first->readAllStandardOutput(), m_secret);
    QCOMPARE(second->readAllStandardOutput(), m_secret);
    QCOMPARE(m_questions.size(), asked + 1); // one question for both
}

void TestConsent::appsAllowIsRefusedFromAnApp()
{
    // The CLI's parent is this test binary, not a person's shell.
    auto allow = m_daemon->cli({QStringLiteral("apps"), QStringLiteral("allow"), m_self, m_server});
    QCOMPARE(allow.exitCode, 1);
    QVERIFY2(allow.err.contains("only from a terminal"), allow.err.constData());
    QVERIFY(audit().contains("\"consent.allow_refused\""));
    QVERIFY(m_agent->call("consent.list").result["grants"].empty());
}

void TestConsent::appsAllowFromATerminal()
{
    const QString script = QStandardPaths::findExecutable(QStringLiteral("script"));
    const QString bash = QStandardPaths::findExecutable(QStringLiteral("bash"));
    if (script.isEmpty() || bash.isEmpty()) {
        QSKIP("util-linux script and bash give the CLI a terminal");
    }
    // A person typing `latchkey apps allow …` into an interactive bash on a pty.
    QProcess terminal;
    QProcessEnvironment env = m_daemon->environment();
    env.insert(QStringLiteral("SHELL"), bash);
    terminal.setProcessEnvironment(env);
    terminal.start(script, {QStringLiteral("-q"), QStringLiteral("/dev/null")});
    QVERIFY(terminal.waitForStarted());
    terminal.write(QStringLiteral("'%1' apps allow '%2' %3; exit\n")
                       .arg(DaemonHarness::binary(QStringLiteral("latchkey")), m_self, m_server)
                       .toUtf8());
    QVERIFY(finish(&terminal));
    const QByteArray out = terminal.readAllStandardOutput();
    QVERIFY2(out.contains("may now use the credentials"), out.constData());

    const qsizetype asked = m_questions.size();
    QProcess *run = startRun();
    QVERIFY(finish(run));
    QCOMPARE(run->exitCode(), 0);
    QCOMPARE(m_questions.size(), asked);
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
}

void TestConsent::statusShowsConsentMode()
{
    const auto status = m_agent->call("status");
    QCOMPARE(status.result["consent"]["mode"].get<std::string>(), std::string("ask"));
    QCOMPARE(status.result["consent"]["agent"].get<bool>(), true);
    m_agent.reset(); // the agent goes: status says so
    auto text = m_daemon->cli({QStringLiteral("status")});
    QVERIFY2(text.out.contains("consent:  apps are asked; consent agent not running"), text.out.constData());
}

latchkey::ipc::Response TestConsent::askedServerEnv(Client &client, const char *decision)
{
    bool done = false;
    latchkey::ipc::Response response;
    client.callAsync("server.env", {{"name", m_server.toStdString()}}, [&](const latchkey::ipc::Response &r) {
        response = r;
        done = true;
    });
    const Event question = waitForQuestion();
    [&] {
        QCOMPARE(QString::fromStdString(question.data["app"]["exe"].get<std::string>()), m_self);
        answer(question, decision);
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    }();
    return response;
}

QByteArray TestConsent::nextLine(QProcess &process)
{
    const bool ready =
        QTest::qWaitFor([&process] { return process.canReadLine() || process.state() == QProcess::NotRunning; }, 20000);
    return ready ? process.readLine().trimmed() : QByteArray("(no answer within 20 s)");
}

void TestConsent::grantedAppIsServedForTheLifeOfItsConnection()
{
    // This test is the app, on one connection: asked once, then served without asking.
    Client app(m_daemon->socketPath());
    QVERIFY(app.connectToDaemon(5000));
    const Json params = {{"name", m_server.toStdString()}};
    const auto first = askedServerEnv(app, "always");
    QVERIFY2(first.ok(), first.errorMessage.c_str());
    const qsizetype asked = m_questions.size();
    for (int i = 0; i < 50; ++i) {
        const auto reply = app.call("server.env", params, 10000);
        QVERIFY2(reply.ok(), reply.errorMessage.c_str());
        QCOMPARE(QByteArray::fromStdString(reply.result["env"]["API_KEY"].get<std::string>()), m_secret);
    }
    QCOMPARE(m_questions.size(), asked);

    // Only who the app is was kept, not what was decided: a revoke applies on this very connection.
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
    const auto denied = askedServerEnv(app, "deny");
    QCOMPARE(denied.errorCode, std::string("consent_denied"));
    const auto again = app.call("server.env", params, 10000);
    QCOMPARE(again.errorCode, std::string("consent_denied"));
    QCOMPARE(m_questions.size(), asked + 1); // the deny is remembered
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
}

void TestConsent::anotherProgramOnANewConnectionIsAsked()
{
    const QString timeout = QFileInfo(QStandardPaths::findExecutable(QStringLiteral("timeout"))).canonicalFilePath();
    if (timeout.isEmpty()) {
        QSKIP("coreutils timeout stands in for another app");
    }
    Client app(m_daemon->socketPath());
    QVERIFY(app.connectToDaemon(5000));
    QVERIFY(askedServerEnv(app, "always").ok());

    // timeout(1) starts `latchkey run`: another app, on its own connection, is asked (and denied here).
    QProcess run;
    run.setProcessEnvironment(m_daemon->environment());
    run.start(timeout, {QStringLiteral("60"), DaemonHarness::binary(QStringLiteral("latchkey")), QStringLiteral("run"),
                        m_server, QStringLiteral("--"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                        QStringLiteral("printf %s \"$API_KEY\"")});
    QVERIFY(run.waitForStarted());
    const Event question = waitForQuestion();
    QCOMPARE(QString::fromStdString(question.data["app"]["exe"].get<std::string>()), timeout);
    QCOMPARE(question.data["app"]["pid"].get<qint64>(), run.processId());
    answer(question, "deny");
    QVERIFY(finish(&run));
    QCOMPARE(run.exitCode(), 1);
    QVERIFY(run.readAllStandardOutput().isEmpty());

    // Meanwhile the granted app is still served on its connection, and on a new one.
    const auto still = app.call("server.env", {{"name", m_server.toStdString()}}, 10000);
    QVERIFY2(still.ok(), still.errorMessage.c_str());
    Client fresh(m_daemon->socketPath());
    QVERIFY(fresh.connectToDaemon(5000));
    QVERIFY(fresh.call("server.env", {{"name", m_server.toStdString()}}, 10000).ok());
    QVERIFY(m_agent->call("consent.revoke", {{"app", timeout.toStdString()}}).ok());
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
}

void TestConsent::execOnAnOpenConnectionIsAskedAgain()
{
    // A copy of this binary under another name: another program as far as the daemon can tell.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString other = dir.filePath(QStringLiteral("other-app"));
    QVERIFY(QFile::copy(m_self, other));
    QVERIFY(QFile::setPermissions(other, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));

    QProcess peer;
    peer.start(m_self, {QStringLiteral("--consent-peer"), m_daemon->socketPath()});
    QVERIFY(peer.waitForStarted());
    peer.write("get " + m_server.toUtf8() + '\n');
    const Event question = waitForQuestion();
    QCOMPARE(QString::fromStdString(question.data["app"]["exe"].get<std::string>()), m_self);
    QCOMPARE(question.data["app"]["pid"].get<qint64>(), peer.processId());
    answer(question, "always");
    QCOMPARE(nextLine(peer), "ok " + m_secret);
    peer.write("get " + m_server.toUtf8() + '\n');
    QCOMPARE(nextLine(peer), "ok " + m_secret);

    // The same process, the same connection, another program: not served on the first one's grant.
    peer.write("exec " + QFile::encodeName(other) + '\n');
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(QStringLiteral("/proc/%1/exe").arg(peer.processId())).symLinkTarget() == other,
                             10000);
    peer.write("get " + m_server.toUtf8() + '\n');
    const Event asked = waitForQuestion();
    QCOMPARE(QString::fromStdString(asked.data["app"]["exe"].get<std::string>()), other);
    QCOMPARE(asked.data["app"]["pid"].get<qint64>(), peer.processId());
    answer(asked, "deny");
    QCOMPARE(nextLine(peer), QByteArray("err consent_denied"));

    peer.closeWriteChannel();
    QVERIFY(finish(&peer));
    QVERIFY(m_agent->call("consent.revoke", {{"app", other.toStdString()}}).ok());
    QVERIFY(m_agent->call("consent.revoke", {{"app", m_self.toStdString()}}).ok());
}

int main(int argc, char *argv[])
{
    if (argc == 3 && std::strcmp(argv[1], "--consent-peer") == 0) {
        return consentPeer(argv[2]);
    }
    QCoreApplication app(argc, argv);
    TestConsent test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "TestConsent.moc"
