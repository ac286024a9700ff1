#pragma once

#include "Message.h"
#include "ServerInfo.h"

#include <QObject>
#include <QSet>
#include <QString>
#include <QUrl>

#include <functional>

namespace latchkey::tray {

class DaemonConnection;

// What a person can do to a server from the window or the tray menu, each one daemon call (or a
// few) made asynchronously: sign in, sign out, revoke, remove, enterprise sign-in. Every call ends
// with finished(); sign-ins also report progress (the URL the daemon opened in the browser).
class ServerActions : public QObject
{
    Q_OBJECT

public:
    enum class Action
    {
        SignIn,
        SignOut,
        Revoke,
        Remove,
        EnterpriseSignIn,
    };
    Q_ENUM(Action)

    explicit ServerActions(DaemonConnection *connection, QObject *parent = nullptr);

    // Whether `action` makes sense now for `server` (nullptr: none selected), given the connection and
    // the server's state; the window's buttons and menus follow this. Enterprise sign-in needs no server.
    bool isAvailable(Action action, const ServerInfo *server) const;

    DaemonConnection *connection() const { return m_connection; }

    // server.login; progress() while it runs. A second sign-in to the same server is refused here.
    void signIn(const QString &server);
    // server.login.cancel for a sign-in under way.
    void cancelSignIn(const QString &server);
    // server.logout: the tokens are revoked at the authorization server where it offers revocation,
    // and deleted here either way.
    void signOut(const QString &server);
    // Takes every credential the server has away: an OAuth server's grant (as signOut); the stored
    // secrets of any other (a local server's environment, a remote server's headers): secret.remove each.
    void revoke(const ServerInfo &server);
    // server.remove (which also revokes a remote server's grant).
    void remove(const QString &server);
    // enterprise.login. A daemon without it answers unknown_method: then enterpriseAvailable() turns
    // false and the menus say so.
    void enterpriseSignIn();
    bool enterpriseAvailable() const { return m_enterpriseAvailable; }
    bool isSigningIn(const QString &server) const { return m_signingIn.contains(server); }

Q_SIGNALS:
    // ok: the daemon did it; message: what it said (the revocation note, or the error).
    void finished(latchkey::tray::ServerActions::Action action, const QString &server, bool ok, const QString &message);
    void progress(const QString &server, const QString &stage, const QUrl &url);
    void enterpriseAvailabilityChanged(bool available);

private:
    void onEvent(const ipc::Event &event);
    void logout(Action action, const QString &server);
    void report(Action action, const QString &server, const ipc::Response &response, const QString &success);

    DaemonConnection *m_connection;
    QSet<QString> m_signingIn;
    bool m_enterpriseAvailable = true;
};

} // namespace latchkey::tray
