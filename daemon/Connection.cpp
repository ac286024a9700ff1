#include "Connection.h"

#include "Dispatcher.h"
#include "Logging.h"

#include <QPointer>

#ifdef Q_OS_UNIX
#include <QSocketNotifier>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#else
#include <QLocalSocket>
#endif

namespace latchkey {

namespace {
// Requests waiting on the keychain per connection; beyond this a client is flooding us.
constexpr int kMaxInFlight = 256;
// Replies a client may leave unread before it is disconnected.
constexpr qsizetype kMaxUnsent = 16 * 1024 * 1024;
#ifdef Q_OS_UNIX
// Bytes taken from the socket per readable wake-up. Whatever is left is read on the next loop
// iteration (the notifier is level-triggered), so one client cannot monopolise the loop.
constexpr std::size_t kReadChunk = 64 * 1024;
#endif
} // namespace

#ifdef Q_OS_UNIX

Connection::Connection(int descriptor, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent)
    : QObject(parent), m_fd(descriptor), m_peer(std::move(peer)), m_dispatcher(dispatcher)
{
    const int flags = ::fcntl(m_fd, F_GETFL);
    ::fcntl(m_fd, F_SETFL, flags | O_NONBLOCK);
    ::fcntl(m_fd, F_SETFD, FD_CLOEXEC);
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    m_writeNotifier = new QSocketNotifier(QSocketNotifier::Write, this); // off until a write would block
    m_writeNotifier->setSocket(m_fd);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &Connection::onReadyRead);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &Connection::onWritable);
}

Connection::~Connection()
{
    closeDescriptor();
}

void Connection::closeDescriptor()
{
    // The notifiers are switched off before the descriptor goes, so the event loop never polls a closed
    // (or reused) fd. They are not deleted here: this may run inside their own activated() signal.
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_outgoing.clear();
}

void Connection::finish()
{
    if (m_finished) {
        return;
    }
    m_finished = true;
    m_closing = true;
    closeDescriptor();
    Q_EMIT closed(this);
}

void Connection::write(const QByteArray &frame)
{
    if (m_fd < 0) {
        return;
    }
    if (m_outgoing.isEmpty()) {
        m_outgoing = frame; // shares the buffer, no copy
    } else {
        m_outgoing.append(frame);
    }
    if (!m_batching) {
        flush();
    }
}

void Connection::flush()
{
    if (m_fd < 0) {
        return;
    }
    qsizetype written = 0;
    while (written < m_outgoing.size()) {
        const ssize_t n = ::send(m_fd, m_outgoing.constData() + written,
                                 static_cast<size_t>(m_outgoing.size() - written), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            written += static_cast<qsizetype>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            m_outgoing.remove(0, written);
            if (m_outgoing.size() > kMaxUnsent) {
                // A client that asks and never reads would make us hold its replies forever.
                qCInfo(lcIpc) << "closing connection of pid" << m_peer.pid << ": it does not read its replies";
                finish();
                return;
            }
            m_writeNotifier->setEnabled(true);
            return;
        }
        // The peer is gone (EPIPE, ECONNRESET): what QLocalSocket reported as disconnected().
        finish();
        return;
    }
    m_outgoing.clear();
    m_writeNotifier->setEnabled(false);
    if (m_closing) {
        finish(); // closeAfterWriting(): everything is out, now close
    }
}

void Connection::onWritable()
{
    flush();
}

void Connection::closeAfterWriting()
{
    m_closing = true;
    if (!m_batching) {
        flush(); // closes once the replies are out
    }
}

void Connection::onReadyRead()
{
    char buffer[kReadChunk];
    const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        finish(); // end of stream or a socket error: the peer has gone
        return;
    }
    if (m_closing) {
        return; // closing after an error: input is discarded until the replies are out
    }
    m_codec.append(QByteArrayView(buffer, static_cast<qsizetype>(n)));
    // Replies to every frame of this read (those the dispatcher answers at once) leave in one send().
    const QPointer<Connection> self(this);
    m_batching = true;
    handleFrames();
    if (!self) {
        return;
    }
    m_batching = false;
    flush();
}

#else // QLocalSocket transport

Connection::Connection(QLocalSocket *socket, ipc::PeerCredentials peer, Dispatcher &dispatcher, QObject *parent)
    : QObject(parent), m_socket(socket), m_peer(std::move(peer)), m_dispatcher(dispatcher)
{
    m_socket->setParent(this);
    connect(m_socket, &QLocalSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, [this] { Q_EMIT closed(this); });
}

Connection::~Connection() = default;

void Connection::write(const QByteArray &frame)
{
    m_socket->write(frame);
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
    handleFrames();
}

#endif

void Connection::sendEvent(const ipc::Event &event)
{
    if (!m_closing) {
        write(ipc::FrameCodec::encode(event.serialize()));
    }
}

void Connection::send(const ipc::Response &response)
{
    if (m_closing) {
        return;
    }
    const QByteArray payload = response.serialize();
    if (payload.size() > static_cast<qsizetype>(ipc::kMaxFrameSize)) {
        // The client would refuse the frame and drop the connection: say what happened instead.
        write(ipc::FrameCodec::encode(
            ipc::Response::failure(response.id, ipc::error::Internal, "the answer is larger than the 1 MiB frame limit")
                .serialize()));
        return;
    }
    write(ipc::FrameCodec::encode(payload));
}

void Connection::handleFrames()
{
    while (!m_closing) {
        auto payload = m_codec.next();
        if (!payload) {
            break;
        }
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
        m_dispatcher.handle(
            request, m_peer,
            [self = QPointer<Connection>(this)](ipc::Response response) {
                if (self) {
                    --self->m_inFlight;
                    self->send(response);
                }
            },
            [self = QPointer<Connection>(this)](const ipc::Event &event) {
                if (self) {
                    self->sendEvent(event);
                }
            },
            this);
    }
    if (m_codec.hasError() && !m_closing) {
        qCInfo(lcIpc) << "closing connection of pid" << m_peer.pid << ":" << m_codec.errorString();
        send(ipc::Response::failure(std::nullopt, ipc::error::BadFrame, m_codec.errorString().toStdString()));
        closeAfterWriting();
    }
}

} // namespace latchkey
