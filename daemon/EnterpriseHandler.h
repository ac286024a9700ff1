#pragma once

#include "Dispatcher.h"

#include <QObject>

namespace latchkey {

class AuditLog;
class EnterpriseSession;

// The enterprise.* IPC methods (ipc/README.md) over an EnterpriseSession: status, login (in the browser,
// or with an ID token handed over by an SSO broker on the same uid), logout.
class EnterpriseHandler : public QObject
{
    Q_OBJECT

public:
    EnterpriseHandler(EnterpriseSession &session, AuditLog &audit, QObject *parent = nullptr);

    // True when it took the request (its method starts with "enterprise.").
    bool handle(const ipc::Request &request, const ipc::PeerCredentials &peer, const Dispatcher::Reply &reply,
                const Dispatcher::Notify &notify);
    nlohmann::json summary() const;

private:
    void login(const ipc::Request &request, const ipc::PeerCredentials &peer, const Dispatcher::Reply &reply,
               const Dispatcher::Notify &notify);

    EnterpriseSession &m_session;
    AuditLog &m_audit;
};

} // namespace latchkey
