#include "ServerActions.h"

#include "DaemonConnection.h"
#include "JsonFields.h"
#include "Protocol.h"

#include <QPointer>
#include <QTimer>

#include <memory>

namespace latchkey::tray {

ServerActions::ServerActions(DaemonConnection *connection, QObject *parent) : QObject(parent), m_connection(connection)
{
    connect(m_connection, &DaemonConnection::daemonEvent, this, &ServerActions::onEvent);
}

void ServerActions::report(Action action, const QString &server, const ipc::Response &response, const QString &success)
{
    if (response.ok()) {
        Q_EMIT finished(action, server, true, success);
    } else {
        Q_EMIT finished(action, server, false, QString::fromStdString(response.errorMessage));
    }
}

void ServerActions::signIn(const QString &server)
{
    if (m_signingIn.contains(server)) {
        Q_EMIT finished(Action::SignIn, server, false, tr("a sign-in to %1 is already under way").arg(server));
        return;
    }
    m_signingIn.insert(server);
    QPointer<ServerActions> self(this);
    m_connection->call("server.login", {{"name", server.toStdString()}}, [self, server](const ipc::Response &response) {
        if (!self) {
            return;
        }
        self->m_signingIn.remove(server);
        self->report(Action::SignIn, server, response, tr("signed in to %1").arg(server));
    });
}

void ServerActions::cancelSignIn(const QString &server)
{
    m_connection->call("server.login.cancel", {{"name", server.toStdString()}}, [](const ipc::Response &) {});
}

void ServerActions::signOut(const QString &server)
{
    logout(Action::SignOut, server);
}

void ServerActions::logout(Action action, const QString &server)
{
    QPointer<ServerActions> self(this);
    m_connection->call(
        "server.logout", {{"name", server.toStdString()}}, [self, action, server](const ipc::Response &response) {
            if (self) {
                self->report(action, server, response, JsonFields::string(response.result, "revocation"));
            }
        });
}

bool ServerActions::isAvailable(Action action, const ServerInfo *server) const
{
    if (m_connection->state() != DaemonConnection::State::Connected) {
        return false;
    }
    if (action == Action::EnterpriseSignIn) {
        return m_enterpriseAvailable;
    }
    if (!server) {
        return false;
    }
    const bool signingIn = server->signingIn || isSigningIn(server->name);
    switch (action) {
    case Action::SignIn:
        return server->usesOAuth() && !signingIn;
    case Action::SignOut:
        return server->usesOAuth() && server->isSignedIn();
    case Action::Revoke:
        return server->usesOAuth() ? server->isSignedIn() : !server->secrets.isEmpty();
    case Action::Remove:
        return true;
    case Action::EnterpriseSignIn:
        break;
    }
    return false;
}

void ServerActions::revoke(const ServerInfo &info)
{
    const QString server = info.name;
    if (info.usesOAuth()) {
        logout(Action::Revoke, server);
        return;
    }
    const QStringList secretKeys = info.secrets;
    if (secretKeys.isEmpty()) {
        QTimer::singleShot(0, this, [this, server] {
            Q_EMIT finished(Action::Revoke, server, true, tr("%1 has no stored secrets").arg(server));
        });
        return;
    }
    QPointer<ServerActions> self(this);
    // One secret.remove per key; the first failure is what gets reported.
    struct Pending
    {
        qsizetype outstanding = 0;
        QString failure;
    };
    auto pending = std::make_shared<Pending>();
    pending->outstanding = secretKeys.size();
    for (const QString &key : secretKeys) {
        m_connection->call("secret.remove", {{"server", server.toStdString()}, {"key", key.toStdString()}},
                           [self, server, pending, count = secretKeys.size()](const ipc::Response &response) {
                               if (!response.ok() && pending->failure.isEmpty()) {
                                   pending->failure = QString::fromStdString(response.errorMessage);
                               }
                               if (--pending->outstanding > 0 || !self) {
                                   return;
                               }
                               if (pending->failure.isEmpty()) {
                                   Q_EMIT self->finished(
                                       Action::Revoke, server, true,
                                       tr("%n secret(s) deleted from the keychain", nullptr, static_cast<int>(count)));
                               } else {
                                   Q_EMIT self->finished(Action::Revoke, server, false, pending->failure);
                               }
                           });
    }
}

void ServerActions::remove(const QString &server)
{
    QPointer<ServerActions> self(this);
    m_connection->call("server.remove", {{"name", server.toStdString()}},
                       [self, server](const ipc::Response &response) {
                           if (self) {
                               self->report(Action::Remove, server, response, tr("%1 removed").arg(server));
                           }
                       });
}

void ServerActions::enterpriseSignIn()
{
    QPointer<ServerActions> self(this);
    m_connection->call("enterprise.login", ipc::Json::object(), [self](const ipc::Response &response) {
        if (!self) {
            return;
        }
        const bool unknown = !response.ok() && response.errorCode == ipc::error::UnknownMethod;
        if (unknown == self->m_enterpriseAvailable) {
            self->m_enterpriseAvailable = !unknown;
            Q_EMIT self->enterpriseAvailabilityChanged(self->m_enterpriseAvailable);
        }
        if (unknown) {
            Q_EMIT self->finished(Action::EnterpriseSignIn, {}, false,
                                  tr("enterprise sign-in is not available: this daemon does not offer it yet"));
            return;
        }
        self->report(Action::EnterpriseSignIn, {}, response, tr("signed in to your organisation"));
    });
}

void ServerActions::onEvent(const ipc::Event &event)
{
    if (event.name != "login.progress") {
        return;
    }
    const QString server = JsonFields::string(event.data, "name");
    const QUrl url(JsonFields::string(event.data, "url"));
    Q_EMIT progress(server, JsonFields::string(event.data, "stage"), url);
}

} // namespace latchkey::tray
