// Per-app consent with real processes: a real latchkeyd in "ask" mode, the real Secret Service, `latchkey run`
// spawned by this test (so this test binary is the app that asks), and a consent agent that is this test's own
// ipc::Client registered with consent.register — answering once, always, deny, or not at all.
#include "Client.h"
#include "DaemonHarness.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>

using latchkey::ipc::Client;
using latchkey::ipc::Event;
using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;

namespace {
constexpr int kConsentTimeoutMs = 5000;
}

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

QTEST_GUILESS_MAIN(TestConsent)
#include "TestConsent.moc"
