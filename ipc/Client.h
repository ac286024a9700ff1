#pragma once

#include "FrameCodec.h"
#include "Message.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#ifndef Q_OS_UNIX
#include <QLocalSocket>
#endif

#include <functional>

class QSocketNotifier;

namespace latchkey::ipc {

// A typed client of the daemon's socket. The CLI uses the blocking calls; the tray uses
// callAsync() and the signals, and never blocks its UI on the socket.
//
// On Unix it speaks to the socket through the descriptor itself (connect, send, recv, poll and
// QSocketNotifier), not QLocalSocket, so the CLI does not load QtNetwork and the eleven libraries
// behind it: about a third of its start-up CPU time. Elsewhere (Windows named pipes) it uses
// QLocalSocket.
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
    // onEvent, when given, sees events as they arrive during the call (e.g. a sign-in URL to show).
    Response call(const std::string &method, Json params = Json::object(), int timeoutMs = 30000,
                  std::function<void(const Event &)> onEvent = {});
    // Asynchronous request; done runs exactly once, with a client-side error if the connection drops.
    void callAsync(const std::string &method, Json params, Callback done);

    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void connected();
    void disconnected();
    void eventReceived(const latchkey::ipc::Event &event);

private:
    // Unix transport. Closing: disconnectFromDaemon() was called with requests still unwritten.
    enum class State
    {
        Unconnected,
        Connecting,
        Connected,
        Closing
    };
    // The outcome of one connect(); Pending: the daemon's listen backlog is full, try again shortly.
    enum class Attempt
    {
        Connected,
        Pending,
        Failed
    };

    void onReadyRead();
    void onDisconnected();
    bool readAvailable();
    bool deliverFrames();
    void deliver(const Response &response);
    void failPending(const char *code, const std::string &message);
    std::int64_t send(const std::string &method, Json params);

#ifdef Q_OS_UNIX
    Attempt attemptConnect();
    void continueConnecting();
    void becomeConnected();
    void failConnecting();
    void writeFrame(const QByteArray &frame);
    void flushOutgoing();
    void closeSocket();

    int m_fd = -1;
    State m_state = State::Unconnected;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer m_connectRetry;
    QDeadlineTimer m_connectDeadline;
    QByteArray m_outgoing; // encoded requests the kernel has not taken yet
#else
    QLocalSocket m_socket;
#endif
    QString m_socketPath;
    FrameCodec m_codec;
    std::int64_t m_nextId = 1;
    QHash<std::int64_t, Callback> m_pending;
    std::optional<Response> m_blockingReply;
    std::int64_t m_blockingId = -1;
    QList<Event> m_queuedEvents;
    std::function<void(const Event &)> m_blockingEventHandler;
    QString m_lastError;
};

} // namespace latchkey::ipc
