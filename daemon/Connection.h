#pragma once

#include "FrameCodec.h"
#include "Message.h"
#include "PeerCredentials.h"

#include <QObject>

class QLocalSocket;

namespace latchkey {

class Dispatcher;

// One accepted, uid-checked client: reads frames, hands requests to the dispatcher, writes replies.
// A framing or parse error is answered once and ends this connection only.
class Connection : public QObject
{
    Q_OBJECT

public:
    Connection(QLocalSocket *socket, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent = nullptr);
    ~Connection() override;

    const ipc::PeerCredentials &peer() const { return m_peer; }
    bool isSubscribed() const { return m_subscribed; }
    void sendEvent(const ipc::Event &event);

Q_SIGNALS:
    void closed(latchkey::Connection *connection);

private:
    void onReadyRead();
    void send(const ipc::Response &response);
    void closeAfterWriting();

    QLocalSocket *m_socket;
    ipc::PeerCredentials m_peer;
    Dispatcher &m_dispatcher;
    ipc::FrameCodec m_codec;
    bool m_subscribed = false;
    bool m_closing = false;
    int m_inFlight = 0;
};

} // namespace latchkey
