#pragma once

#include "FrameCodec.h"
#include "Message.h"

#include <QHash>
#include <QLocalSocket>
#include <QObject>

#include <functional>

namespace latchkey::ipc {

// A typed client of the daemon's socket. The CLI uses the blocking calls; the tray uses
// callAsync() and the signals, and never blocks its UI on the socket.
class Client : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const Response &)>;

    explicit Client(QString socketPath, QObject *parent = nullptr);
    ~Client() override;

    QString socketPath() const { return m_socketPath; }
    bool isConnected() const;

    // Blocking connect; false when nothing listens (or the daemon refused us).
    bool connectToDaemon(int timeoutMs = 2000);
    // Non-blocking connect; connected() or disconnected() follow.
    void connectAsync();
    void disconnectFromDaemon();

    // Blocking request/response. Events arriving meanwhile are delivered through eventReceived()
    // once control returns to the event loop.
    Response call(const std::string &method, Json params = Json::object(), int timeoutMs = 30000);
    // Asynchronous request; done runs exactly once, with a client-side error if the connection drops.
    void callAsync(const std::string &method, Json params, Callback done);

    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void connected();
    void disconnected();
    void eventReceived(const latchkey::ipc::Event &event);

private:
    void onReadyRead();
    void onDisconnected();
    bool readAvailable();
    void deliver(const Response &response);
    void failPending(const char *code, const std::string &message);
    std::int64_t send(const std::string &method, Json params);

    QString m_socketPath;
    QLocalSocket m_socket;
    FrameCodec m_codec;
    std::int64_t m_nextId = 1;
    QHash<std::int64_t, Callback> m_pending;
    std::optional<Response> m_blockingReply;
    std::int64_t m_blockingId = -1;
    QList<Event> m_queuedEvents;
    QString m_lastError;
};

} // namespace latchkey::ipc
