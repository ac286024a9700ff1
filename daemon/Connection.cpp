#include "Connection.h"

#include "Dispatcher.h"
#include "Logging.h"

#include <QLocalSocket>
#include <QPointer>

namespace latchkey {

namespace {
// Requests waiting on the keychain per connection; beyond this a client is flooding us.
constexpr int kMaxInFlight = 256;
} // namespace

Connection::Connection(QLocalSocket *socket, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent)
    : QObject(parent), m_socket(socket), m_peer(std::move(peer)), m_dispatcher(dispatcher)
{
    m_socket->setParent(this);
    connect(m_socket, &QLocalSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, [this] { Q_EMIT closed(this); });
}

Connection::~Connection() = default;

void Connection::sendEvent(const ipc::Event &event)
{
    if (!m_closing) {
        m_socket->write(ipc::FrameCodec::encode(event.serialize()));
    }
}

void Connection::send(const ipc::Response &response)
{
    if (!m_closing) {
        m_socket->write(ipc::FrameCodec::encode(response.serialize()));
    }
}

void Connection::closeAfterWriting()
{
    m_closing = true;
    m_socket->disconnectFromServer(); // flushes what is written, then closes
}

void Connection::onReadyRead()
{
    if (m_closing) {
        m_socket->readAll();
        return;
    }
    m_codec.append(m_socket->readAll());
    while (auto payload = m_codec.next()) {
        ipc::ParsedRequest parsed = ipc::parseRequest(*payload);
        if (!parsed.request) {
            send(parsed.error);
            if (parsed.fatal) {
                qCInfo(lcIpc) << "closing connection of pid" << m_peer.pid << "after a malformed request";
                closeAfterWriting();
                return;
            }
            continue;
        }
        const ipc::Request &request = *parsed.request;
        if (request.method == "events.subscribe") {
            m_subscribed = true;
            send(ipc::Response::success(request.id, ipc::Json::object()));
            continue;
        }
        if (m_inFlight >= kMaxInFlight) {
            send(ipc::Response::failure(request.id, ipc::error::BadRequest, "too many requests in flight"));
            continue;
        }
        ++m_inFlight;
        m_dispatcher.handle(request, m_peer, [self = QPointer<Connection>(this)](ipc::Response response) {
            if (self) {
                --self->m_inFlight;
                self->send(response);
            }
        });
    }
    if (m_codec.hasError()) {
        qCInfo(lcIpc) << "closing connection of pid" << m_peer.pid << ":" << m_codec.errorString();
        send(ipc::Response::failure(std::nullopt, ipc::error::BadFrame, m_codec.errorString().toStdString()));
        closeAfterWriting();
    }
}

} // namespace latchkey
