#include "AuditLog.h"
#include "ConsentBroker.h"
#include "Policy.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using latchkey::AppIdentity;
using latchkey::AuditLog;
using latchkey::ConsentBroker;
using latchkey::Policy;
using Outcome = ConsentBroker::Outcome;

namespace {

AppIdentity app(const QString &executable, qint64 pid = 4242)
{
    AppIdentity identity;
    identity.kind = AppIdentity::Kind::Executable;
    identity.executable = executable;
    identity.pid = pid;
    return identity;
}

} // namespace

class TestConsentBroker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void allowModeNeverAsks();
    void terminalIsNeverAsked();
    void noAgentDeniesAtOnce();
    void unidentifiedAppIsDenied();
    void onceAllowsThisRequestOnly();
    void alwaysIsStoredAndNotAskedAgain();
    void denyIsStoredAndNotAskedAgain();
    void concurrentRequestsShareOneQuestion();
    void timeoutDeniesThisRequestOnly();
    void agentGoneDeniesOpenQuestions();
    void onlyTheAgentAnswers();
    void aNewAgentIsAskedTheOpenQuestions();

private:
    // Registers a fresh agent owned by the test; its events land in m_events.
    QObject *registerAgent();
    void check(const AppIdentity &identity, const QString &server = QStringLiteral("github"));
    QStringList auditEvents() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Policy> m_policy;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<ConsentBroker> m_broker;
    std::unique_ptr<QObject> m_agent;
    QList<latchkey::ipc::Event> m_events;
    QList<Outcome> m_outcomes;
};

void TestConsentBroker::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_policy = std::make_unique<Policy>(m_dir->filePath(QStringLiteral("grants.json")));
    QVERIFY(m_policy->load());
    m_audit = std::make_unique<AuditLog>(m_dir->filePath(QStringLiteral("audit.jsonl")));
    m_broker = std::make_unique<ConsentBroker>(*m_policy, *m_audit);
    m_events.clear();
    m_outcomes.clear();
}

void TestConsentBroker::cleanup()
{
    m_broker.reset();
    m_agent.reset();
}

QObject *TestConsentBroker::registerAgent()
{
    m_agent = std::make_unique<QObject>();
    latchkey::ipc::PeerCredentials peer;
    peer.pid = 77;
    peer.executable = QStringLiteral("/usr/bin/latchkey-tray");
    m_broker->registerAgent(m_agent.get(), peer, [this](const latchkey::ipc::Event &event) { m_events.append(event); });
    return m_agent.get();
}

void TestConsentBroker::check(const AppIdentity &identity, const QString &server)
{
    m_broker->check(identity, server, {{"name", server.toStdString()}, {"url", "https://mcp.example/"}},
                    [this](Outcome outcome) { m_outcomes.append(outcome); });
}

QStringList TestConsentBroker::auditEvents() const
{
    QStringList events;
    for (const auto &entry : m_audit->read({}, 1000)) {
        events.append(QString::fromStdString(entry["event"].get<std::string>()));
    }
    return events;
}

void TestConsentBroker::allowModeNeverAsks()
{
    registerAgent();
    m_broker->setMode(ConsentBroker::Mode::Allow);
    check(app(QStringLiteral("/usr/bin/code")));
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::Allowed});
    QVERIFY(m_events.isEmpty());
}

void TestConsentBroker::terminalIsNeverAsked()
{
    AppIdentity terminal;
    terminal.kind = AppIdentity::Kind::Terminal;
    check(terminal); // not even an agent is needed
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::Allowed});
}

void TestConsentBroker::noAgentDeniesAtOnce()
{
    check(app(QStringLiteral("/usr/bin/code")));
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::NoAgent});
    QCOMPARE(m_broker->pendingCount(), 0);
    QVERIFY(auditEvents().contains(QStringLiteral("consent.denied")));
}

void TestConsentBroker::unidentifiedAppIsDenied()
{
    registerAgent();
    check(AppIdentity{});
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::Unidentified});
    QVERIFY(m_events.isEmpty()); // nobody is asked about "unknown"
}

void TestConsentBroker::onceAllowsThisRequestOnly()
{
    QObject *agent = registerAgent();
    check(app(QStringLiteral("/usr/bin/code"), 99));
    QVERIFY(m_outcomes.isEmpty());
    QCOMPARE(m_events.size(), 1);
    const auto &event = m_events.first();
    QCOMPARE(event.name, std::string("consent.request"));
    QCOMPARE(event.data["app"]["exe"].get<std::string>(), std::string("/usr/bin/code"));
    QCOMPARE(event.data["app"]["pid"].get<qint64>(), 99);
    QCOMPARE(event.data["app"]["name"].get<std::string>(), std::string("code"));
    QCOMPARE(event.data["server"]["name"].get<std::string>(), std::string("github"));
    QVERIFY(event.data["timeoutMs"].get<int>() > 0);
    QString error;
    QVERIFY2(m_broker->answer(agent, event.data["id"].get<qint64>(), QStringLiteral("once"), &error),
             qPrintable(error));
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::Allowed});
    QVERIFY(m_policy->grants().isEmpty());
    check(app(QStringLiteral("/usr/bin/code"), 99));
    QCOMPARE(m_events.size(), 2); // asked again
    QVERIFY(auditEvents().contains(QStringLiteral("consent.asked")));
    QVERIFY(auditEvents().contains(QStringLiteral("consent.answered")));
}

void TestConsentBroker::alwaysIsStoredAndNotAskedAgain()
{
    QObject *agent = registerAgent();
    check(app(QStringLiteral("/usr/bin/code")));
    QString error;
    QVERIFY(m_broker->answer(agent, m_events.first().data["id"].get<qint64>(), QStringLiteral("always"), &error));
    check(app(QStringLiteral("/usr/bin/code"), 1234)); // another process of the same app
    QCOMPARE(m_outcomes, (QList<Outcome>{Outcome::Allowed, Outcome::Allowed}));
    QCOMPARE(m_events.size(), 1);
    QCOMPARE(m_policy->decision(QStringLiteral("/usr/bin/code"), QStringLiteral("github")), Policy::Decision::Always);
    check(app(QStringLiteral("/usr/bin/code")), QStringLiteral("gitlab")); // per server
    QCOMPARE(m_events.size(), 2);
}

void TestConsentBroker::denyIsStoredAndNotAskedAgain()
{
    QObject *agent = registerAgent();
    check(app(QStringLiteral("/opt/evil")));
    QString error;
    QVERIFY(m_broker->answer(agent, m_events.first().data["id"].get<qint64>(), QStringLiteral("deny"), &error));
    check(app(QStringLiteral("/opt/evil")));
    QCOMPARE(m_outcomes, (QList<Outcome>{Outcome::Denied, Outcome::Denied}));
    QCOMPARE(m_events.size(), 1);
    // Revoked: asked again.
    QCOMPARE(m_policy->revoke(QStringLiteral("/opt/evil"), QString(), &error), 1);
    check(app(QStringLiteral("/opt/evil")));
    QCOMPARE(m_events.size(), 2);
}

void TestConsentBroker::concurrentRequestsShareOneQuestion()
{
    QObject *agent = registerAgent();
    check(app(QStringLiteral("/usr/bin/code"), 1));
    check(app(QStringLiteral("/usr/bin/code"), 2));
    check(app(QStringLiteral("/usr/bin/code"), 3));
    check(app(QStringLiteral("/usr/bin/zed"), 4)); // another app: its own question
    QCOMPARE(m_events.size(), 2);
    QCOMPARE(m_broker->pendingCount(), 2);
    QString error;
    QVERIFY(m_broker->answer(agent, m_events.first().data["id"].get<qint64>(), QStringLiteral("once"), &error));
    QCOMPARE(m_outcomes, (QList<Outcome>{Outcome::Allowed, Outcome::Allowed, Outcome::Allowed}));
    QCOMPARE(m_broker->pendingCount(), 1);
}

void TestConsentBroker::timeoutDeniesThisRequestOnly()
{
    registerAgent();
    m_broker->setTimeout(150);
    check(app(QStringLiteral("/usr/bin/code")));
    QTRY_COMPARE_WITH_TIMEOUT(m_outcomes, QList<Outcome>{Outcome::TimedOut}, 10000);
    QVERIFY(m_policy->grants().isEmpty()); // not remembered
    QCOMPARE(m_events.last().name, std::string("consent.resolved"));
    QCOMPARE(m_events.last().data["reason"].get<std::string>(), std::string("timeout"));
    QVERIFY(auditEvents().contains(QStringLiteral("consent.timed_out")));
    QString error;
    QVERIFY(!m_broker->answer(m_agent.get(), m_events.first().data["id"].get<qint64>(), QStringLiteral("always"),
                              &error)); // too late
    QVERIFY(error.contains(QStringLiteral("timed out")));
    check(app(QStringLiteral("/usr/bin/code")));
    QCOMPARE(m_broker->pendingCount(), 1); // asked again next time
}

void TestConsentBroker::agentGoneDeniesOpenQuestions()
{
    registerAgent();
    check(app(QStringLiteral("/usr/bin/code")));
    check(app(QStringLiteral("/usr/bin/zed")));
    m_agent.reset();
    QCOMPARE(m_outcomes, (QList<Outcome>{Outcome::AgentGone, Outcome::AgentGone}));
    QVERIFY(!m_broker->hasAgent());
    check(app(QStringLiteral("/usr/bin/code")));
    QCOMPARE(m_outcomes.last(), Outcome::NoAgent);
}

void TestConsentBroker::onlyTheAgentAnswers()
{
    registerAgent();
    check(app(QStringLiteral("/usr/bin/code")));
    const qint64 id = m_events.first().data["id"].get<qint64>();
    QObject stranger;
    QString error;
    QVERIFY(!m_broker->answer(&stranger, id, QStringLiteral("always"), &error));
    QVERIFY(error.contains(QStringLiteral("only the registered consent agent")));
    QVERIFY(!m_broker->answer(m_agent.get(), id + 100, QStringLiteral("always"), &error));
    QVERIFY(!m_broker->answer(m_agent.get(), id, QStringLiteral("sure"), &error));
    QVERIFY(error.contains(QStringLiteral("\"once\", \"always\" or \"deny\"")));
    QVERIFY(m_outcomes.isEmpty());
    QCOMPARE(m_broker->pendingCount(), 1);
}

void TestConsentBroker::aNewAgentIsAskedTheOpenQuestions()
{
    QObject *first = registerAgent();
    Q_UNUSED(first);
    check(app(QStringLiteral("/usr/bin/code")));
    auto previous = std::move(m_agent);
    QObject *second = registerAgent(); // replaces the first
    QCOMPARE(m_events.size(), 2);
    QVERIFY(m_events.at(1).data["id"] == m_events.at(0).data["id"]);
    previous.reset(); // the old agent going away no longer matters
    QVERIFY(m_outcomes.isEmpty());
    QString error;
    QVERIFY(m_broker->answer(second, m_events.at(1).data["id"].get<qint64>(), QStringLiteral("once"), &error));
    QCOMPARE(m_outcomes, QList<Outcome>{Outcome::Allowed});
}

QTEST_GUILESS_MAIN(TestConsentBroker)
#include "TestConsentBroker.moc"
