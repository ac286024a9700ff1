#include "ConsentBroker.h"

#include "AuditLog.h"
#include "Logging.h"

#include <algorithm>

namespace latchkey {

ConsentBroker::ConsentBroker(Policy &policy, AuditLog &audit, QObject *parent)
    : QObject(parent), m_policy(policy), m_audit(audit)
{}

ConsentBroker::~ConsentBroker()
{
    QObject::disconnect(m_agentGone);
}

nlohmann::json ConsentBroker::auditFields(const AppIdentity &app, const QString &server) const
{
    return {{"app", app.key().toStdString()}, {"app_pid", app.pid}, {"server", server.toStdString()}};
}

void ConsentBroker::registerAgent(QObject *owner, const ipc::PeerCredentials &peer, Push push)
{
    QObject::disconnect(m_agentGone);
    m_agent = owner;
    m_agentRaw = owner;
    m_push = std::move(push);
    m_agentGone = connect(owner, &QObject::destroyed, this, [this, owner] { unregisterAgent(owner); });
    m_audit.record("consent.agent_registered", {{"pid", peer.pid}, {"exe", peer.executable.toStdString()}});
    // A tray that reconnected gets the questions still open.
    for (auto &[id, question] : m_questions) {
        ask(question);
    }
}

void ConsentBroker::unregisterAgent(QObject *owner)
{
    if (owner != m_agentRaw) {
        return;
    }
    QObject::disconnect(m_agentGone);
    m_agent = nullptr;
    m_agentRaw = nullptr;
    m_push = {};
    m_audit.record("consent.agent_gone", nlohmann::json::object());
    while (!m_questions.empty()) {
        finish(m_questions.begin()->first, Outcome::AgentGone, "agent_gone");
    }
}

void ConsentBroker::check(const AppIdentity &app, const QString &server, const nlohmann::json &serverInfo, Done done)
{
    if (m_mode == Mode::Allow || app.isTerminal()) {
        done(Outcome::Allowed);
        return;
    }
    nlohmann::json audit = auditFields(app, server);
    if (app.kind == AppIdentity::Kind::Unknown) {
        audit["reason"] = "unidentified";
        m_audit.record("consent.denied", audit);
        done(Outcome::Unidentified);
        return;
    }
    if (const auto stored = m_policy.decision(app.key(), server)) {
        if (*stored == Policy::Decision::Always) {
            done(Outcome::Allowed);
            return;
        }
        audit["reason"] = "stored";
        m_audit.record("consent.denied", audit);
        done(Outcome::Denied);
        return;
    }
    for (auto &[id, question] : m_questions) {
        if (question.app.key() == app.key() && question.server == server) {
            question.waiters.append(std::move(done)); // one question for all of them
            audit["id"] = id;
            audit["shared"] = true;
            m_audit.record("consent.asked", audit);
            return;
        }
    }
    if (!m_agent) {
        audit["reason"] = "no_agent";
        m_audit.record("consent.denied", audit);
        done(Outcome::NoAgent);
        return;
    }
    const qint64 id = m_nextId++;
    Question &question = m_questions[id];
    question.id = id;
    question.app = app;
    question.server = server;
    question.serverInfo = serverInfo;
    question.waiters.append(std::move(done));
    question.timer = std::make_unique<QTimer>();
    question.timer->setSingleShot(true);
    question.timer->setTimerType(Qt::PreciseTimer); // the agent shows the same countdown
    connect(question.timer.get(), &QTimer::timeout, this, [this, id] { finish(id, Outcome::TimedOut, "timeout"); });
    question.timer->start(m_timeoutMs);
    audit["id"] = id;
    m_audit.record("consent.asked", audit);
    ask(question);
}

void ConsentBroker::ask(Question &question)
{
    if (!m_push) {
        return;
    }
    const int remaining = question.timer ? std::clamp(question.timer->remainingTime(), 0, m_timeoutMs) : m_timeoutMs;
    m_push({"consent.request",
            {{"id", question.id},
             {"app",
              {{"exe", question.app.executable.toStdString()},
               {"pid", question.app.pid},
               {"name", question.app.displayName().toStdString()}}},
             {"server", question.serverInfo},
             {"timeoutMs", remaining}}});
}

bool ConsentBroker::answer(QObject *from, qint64 id, const QString &decision, QString *error)
{
    if (!from || from != m_agentRaw) {
        *error = QStringLiteral("only the registered consent agent answers consent questions");
        return false;
    }
    const auto it = m_questions.find(id);
    if (it == m_questions.end()) {
        *error = QStringLiteral("no open consent question %1 (it was answered or timed out)").arg(id);
        return false;
    }
    if (decision != QStringLiteral("once") && decision != QStringLiteral("always") &&
        decision != QStringLiteral("deny")) {
        *error = QStringLiteral("\"decision\" must be \"once\", \"always\" or \"deny\"");
        return false;
    }
    const Question &question = it->second;
    nlohmann::json audit = auditFields(question.app, question.server);
    audit["id"] = id;
    audit["decision"] = decision.toStdString();
    if (decision != QStringLiteral("once")) {
        const auto stored = decision == QStringLiteral("always") ? Policy::Decision::Always : Policy::Decision::Deny;
        QString why;
        if (!m_policy.set(question.app.key(), question.server, stored, &why)) {
            // The answer still holds for the requests waiting on it; it is just not remembered.
            audit["error"] = why.toStdString();
            qCWarning(lcDaemon).noquote() << "consent decision not stored:" << why;
        }
    }
    m_audit.record("consent.answered", audit);
    finish(id, decision == QStringLiteral("deny") ? Outcome::Denied : Outcome::Allowed, "answered");
    return true;
}

void ConsentBroker::finish(qint64 id, Outcome outcome, const char *reason)
{
    auto node = m_questions.extract(id);
    if (node.empty()) {
        return;
    }
    Question &question = node.mapped();
    question.timer->stop();
    if (outcome == Outcome::TimedOut) {
        nlohmann::json audit = auditFields(question.app, question.server);
        audit["id"] = id;
        m_audit.record("consent.timed_out", audit);
    }
    if (m_push && outcome != Outcome::Allowed && outcome != Outcome::Denied) {
        // The agent closes its dialog for a question that ended without its answer.
        m_push({"consent.resolved", {{"id", id}, {"reason", reason}}});
    }
    const QList<Done> waiters = std::move(question.waiters);
    question.timer.release()->deleteLater(); // finish() may run inside this timer's timeout()
    for (const Done &done : waiters) {
        done(outcome);
    }
}

} // namespace latchkey
