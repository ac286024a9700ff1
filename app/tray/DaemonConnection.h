#pragma once

#include "Client.h"
#include "DaemonStatus.h"
#include "ServerInfo.h"

#include <QList>
#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>

namespace latchkey::tray {

// The tray's one link to latchkeyd. Connects without blocking, subscribes to the daemon's events,
// and fetches status and the server list on connect and after every event. When the daemon goes
// away (stopped, crashed, restarted) it retries with exponential backoff until it is back.
// Nothing here ever waits on the socket: every call is asynchronous.
class DaemonConnection : public QObject
{
    Q_OBJECT

public:
    enum class State
    {
        Connecting,   // the first attempt has not answered yet
        Connected,    // subscribed; status and servers follow
        Disconnected, // nothing listens on the socket (or it refused us); retrying
    };
    Q_ENUM(State)

    explicit DaemonConnection(QString socketPath, QObject *parent = nullptr);
    ~DaemonConnection() override;

    // Starts connecting (once); safe to call again.
    void start();
    // Asks for status and servers again; coalesced with a refresh already in flight.
    void refresh();
    // Connected: refresh(). Otherwise: try to connect now instead of waiting out the backoff.
    void refreshOrReconnect();

    // Any daemon method, asynchronously: done runs exactly once, later, with the daemon's answer or a
    // client-side error (daemon_unreachable when not connected, connection_closed when it drops).
    using Callback = std::function<void(const ipc::Response &)>;
    void call(const std::string &method, ipc::Json params, Callback done);

    State state() const { return m_state; }
    QString socketPath() const { return m_client.socketPath(); }
    // Why the last attempt or connection failed, for the UI; empty when connected.
    QString lastError() const { return m_lastError; }
    // Only meaningful once hasStatus(); forgotten when the connection drops, as is servers().
    const DaemonStatus &status() const { return m_status; }
    bool hasStatus() const { return m_hasStatus; }
    const QList<ServerInfo> &servers() const { return m_servers; }

    // Backoff between attempts: starts at minimum, doubles up to maximum, and is reset by a
    // successful connection. Tests shorten it.
    void setRetryInterval(std::chrono::milliseconds minimum, std::chrono::milliseconds maximum);
    std::chrono::milliseconds nextRetryDelay() const { return m_retryDelay; }

Q_SIGNALS:
    void stateChanged(latchkey::tray::DaemonConnection::State state);
    void statusChanged(const latchkey::tray::DaemonStatus &status);
    void serversChanged(const QList<latchkey::tray::ServerInfo> &servers);
    // Every event the daemon pushes, after the refresh it triggers has been asked for.
    void eventReceived(const QString &name);
    // The same events with their data (login.progress carries the sign-in URL to whoever asked).
    void daemonEvent(const latchkey::ipc::Event &event);

private:
    void attempt();
    void onConnected();
    void onDisconnected();
    void onEvent(const ipc::Event &event);
    void scheduleRetry();
    void setState(State state);
    void finishRefresh();

    ipc::Client m_client;
    QTimer m_retryTimer;
    // A connect that neither succeeds nor fails (an error Client does not report) is abandoned.
    QTimer m_attemptTimer;
    State m_state = State::Connecting;
    bool m_started = false;
    QString m_lastError;
    std::chrono::milliseconds m_minRetry{250};
    std::chrono::milliseconds m_maxRetry{10000};
    std::chrono::milliseconds m_retryDelay{250};
    // Replies still expected for the refresh in flight, and whether another was asked for meanwhile.
    int m_refreshOutstanding = 0;
    bool m_refreshAgain = false;
    // Bumped on every (dis)connection so replies from an old connection are ignored.
    quint64 m_generation = 0;
    DaemonStatus m_status;
    bool m_hasStatus = false;
    QList<ServerInfo> m_servers;
};

} // namespace latchkey::tray
