#pragma once

#include "AppIdentity.h"
#include "Message.h"
#include "PeerCredentials.h"
#include "Policy.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>

namespace latchkey {

class AuditLog;

// Decides whether an app may have a server's credential: the Policy's stored answer, a person at a
// terminal, or a question to the consent agent (the tray) that registered over the socket.
//
// - No stored decision and no agent: denied at once (the caller says what to run).
// - Questions are pushed to the agent as `consent.request` events; concurrent requests from the same app for
//   the same server wait on one question. The answer "once" lets the waiting requests through, "always" and
//   "deny" are stored. No answer within the timeout, or the agent going away: denied, these requests only.
// - Mode Allow (LATCHKEY_CONSENT=allow) lets everything through without asking: CI and single-purpose
//   headless machines.
// Every question, answer, timeout and denial goes to the audit log.
class ConsentBroker : public QObject
{
    Q_OBJECT

public:
    enum class Mode
    {
        Ask,
        Allow
    };
    enum class Outcome
    {
        Allowed,      // by a stored grant, a terminal, an answer, or mode Allow
        Denied,       // by a stored denial or the person's answer
        NoAgent,      // nobody to ask
        TimedOut,     // nobody answered in time
        AgentGone,    // the agent went away before answering
        Unidentified, // the asking process could not be identified (it has gone)
    };
    using Done = std::function<void(Outcome)>;
    using Push = std::function<void(const ipc::Event &)>;

    static constexpr int kDefaultTimeoutMs = 60000;

    ConsentBroker(Policy &policy, AuditLog &audit, QObject *parent = nullptr);
    ~ConsentBroker() override;

    void setMode(Mode mode) { m_mode = mode; }
    Mode mode() const { return m_mode; }
    void setTimeout(int milliseconds) { m_timeoutMs = milliseconds; }
    int timeout() const { return m_timeoutMs; }
    Policy &policy() { return m_policy; }

    // The agent's connection (owner) answers consent questions from now on, replacing any earlier agent;
    // questions still open are put to it too. It stops being the agent when owner is destroyed.
    void registerAgent(QObject *owner, const ipc::PeerCredentials &peer, Push push);
    bool hasAgent() const { return !m_agent.isNull(); }
    // The owner went away: its open questions are denied (this request only).
    void unregisterAgent(QObject *owner);

    // server: what the question shows of the server ({"name", "url" or "command", …}).
    void check(const AppIdentity &app, const QString &server, const nlohmann::json &serverInfo, Done done);
    // The agent's answer: "once", "always" or "deny". False with *error when from anyone else or unknown.
    bool answer(QObject *from, qint64 id, const QString &decision, QString *error);
    int pendingCount() const { return static_cast<int>(m_questions.size()); }

private:
    struct Question
    {
        qint64 id = 0;
        AppIdentity app;
        QString server;
        nlohmann::json serverInfo;
        QList<Done> waiters;
        std::unique_ptr<QTimer> timer;
    };
    void ask(Question &question);
    void finish(qint64 id, Outcome outcome, const char *reason);
    nlohmann::json auditFields(const AppIdentity &app, const QString &server) const;

    Policy &m_policy;
    AuditLog &m_audit;
    Mode m_mode = Mode::Ask;
    int m_timeoutMs = kDefaultTimeoutMs;
    QPointer<QObject> m_agent;
    const QObject *m_agentRaw = nullptr; // compared in destroyed(), when m_agent is already null
    QMetaObject::Connection m_agentGone;
    Push m_push;
    qint64 m_nextId = 1;
    std::map<qint64, Question> m_questions;
};

} // namespace latchkey
