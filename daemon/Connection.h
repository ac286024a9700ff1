#pragma once

#include "FrameCodec.h"
#include "IdentityCache.h"
#include "Message.h"
#include "PeerCredentials.h"

#include <QByteArray>
#include <QObject>

class QLocalSocket;
class QSocketNotifier;

namespace latchkey {

class Dispatcher;

// One accepted, uid-checked client: reads frames, hands requests to the dispatcher, writes replies.
// A framing or parse error is answered once and ends this connection only.
//
// On Unix the connection owns the accepted descriptor and reads and writes it directly: one recv()
// per readable wake-up, and replies written at once with send() (QLocalSocket would add a FIONREAD,
// a write-notifier round through the event loop and two event-fd wake-ups to every request). The
// replies to all the frames of one read go out in one send(). Only when the kernel buffer is full
// is the rest kept and written when the socket is writable again. Elsewhere (Windows named pipes)
// it keeps QLocalSocket.
class Connection : public QObject
{
    Q_OBJECT

public:
#ifdef Q_OS_UNIX
    // Takes ownership of descriptor (a connected stream socket) and makes it non-blocking.
    Connection(int descriptor, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent = nullptr);
#else
    Connection(QLocalSocket *socket, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent = nullptr);
#endif
    ~Connection() override;

    const ipc::PeerCredentials &peer() const
    {
        return m_peer;
    }
    bool isSubscribed() const
    {
        return m_subscribed;
    }
    // The app behind this connection's peer, for the consent gate: walked once, re-checked per handout.
    IdentityCache &identityCache()
    {
        return m_identity;
    }
    void sendEvent(const ipc::Event &event);

Q_SIGNALS:
    // Emitted once, when the peer has gone or the connection was closed after an error.
    void closed(latchkey::Connection *connection);

private:
    void onReadyRead();
    void handleFrames();
    void send(const ipc::Response &response);
    void write(const QByteArray &frame);
    void closeAfterWriting();

#ifdef Q_OS_UNIX
    void flush();
    void onWritable();
    void finish();
    void closeDescriptor();

    int m_fd = -1;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QByteArray m_outgoing;   // written to the socket but not yet taken by the kernel
    bool m_batching = false; // inside onReadyRead: replies are written together at its end
    bool m_finished = false; // closed() was emitted
#else
    QLocalSocket *m_socket;
#endif
    ipc::PeerCredentials m_peer;
    Dispatcher &m_dispatcher;
    ipc::FrameCodec m_codec;
    IdentityCache m_identity;
    bool m_subscribed = false;
    bool m_closing = false;
    int m_inFlight = 0;
};

} // namespace latchkey
