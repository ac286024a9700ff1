#pragma once

#include "ConsentBroker.h"
#include "Message.h"
#include "PeerCredentials.h"

#include <QObject>
#include <QStringList>

#include <functional>

namespace latchkey {

class AuditLog;
class Policy;
struct ServerRecord;

// The consent half of the protocol, beside the Dispatcher: the consent.* methods, and the gate every
// credential handout (server.env, token.get) passes first. See ipc/README.md.
class ConsentMethods : public QObject
{
    Q_OBJECT

public:
    using Reply = std::function<void(ipc::Response)>;
    using Notify = std::function<void(const ipc::Event &)>;

    // ownExecutables: our front ends, past which the asking app is looked for (AppIdentity).
    ConsentMethods(ConsentBroker &broker, AuditLog &audit, QStringList ownExecutables, QObject *parent = nullptr);

    // consent.register, consent.answer, consent.list, consent.revoke, consent.allow. connection identifies
    // the requesting connection (the agent is one); notify pushes events to it.
    void handle(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply, const Notify &notify,
                QObject *connection);

    // Runs proceed once the app behind peer may have record's credential; else answers consent_denied
    // with what to do about it. connection: the requesting Connection, whose IdentityCache spares the
    // parent walk on later handouts (nullptr: walked every time).
    void gate(const ipc::Request &request, const ipc::PeerCredentials &peer, QObject *connection,
              const ServerRecord &record, const Reply &reply, std::function<void()> proceed);

    // For status and server.list.
    nlohmann::json describe() const;
    nlohmann::json appsFor(const QString &server) const;
    // A server was removed: what was decided about it does not carry over to a new one of that name.
    void forgetServer(const QString &server);

Q_SIGNALS:
    // Decisions about this server changed (server.list's "apps").
    void serverChanged(const QString &server);

private:
    void list(const ipc::Request &request, const Reply &reply);
    void revoke(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply);
    void allow(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply);

    ConsentBroker &m_broker;
    AuditLog &m_audit;
    QStringList m_ownExecutables;
};

} // namespace latchkey
