#include "Client.h"

#include <QTimer>

#ifdef Q_OS_UNIX
#include <QFile>
#include <QSocketNotifier>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#endif

namespace latchkey::ipc {

#ifdef Q_OS_UNIX

namespace {

// A full listen backlog makes connect() fail with EAGAIN; the attempt is repeated this often, for
// at most kConnectTimeoutMs when asynchronous (what QLocalSocket did).
constexpr int kConnectRetryMs = 10;
constexpr int kConnectTimeoutMs = 30000;
constexpr std::size_t kReadChunk = 64 * 1024;

QString systemError(const char *call, int error)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(call), QString::fromLocal8Bit(std::strerror(error)));
}

// For poll(): -1 when the deadline is forever.
int remainingMs(const QDeadlineTimer &deadline)
{
    if (deadline.isForever()) {
        return -1;
    }
    return static_cast<int>(std::clamp<qint64>(deadline.remainingTime(), 0, std::numeric_limits<int>::max()));
}

} // namespace

Client::Client(QString socketPath, QObject *parent) : QObject(parent), m_socketPath(std::move(socketPath))
{
    m_connectRetry.setSingleShot(true);
    connect(&m_connectRetry, &QTimer::timeout, this, &Client::continueConnecting);
}

Client::~Client()
{
    // Callbacks may capture objects that are going away too; they must not run from here.
    m_pending.clear();
    closeSocket();
}

bool Client::isConnected() const
{
    return m_state == State::Connected;
}

Client::Attempt Client::attemptConnect()
{
    const QByteArray path = QFile::encodeName(m_socketPath);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.isEmpty() || static_cast<std::size_t>(path.size()) >= sizeof(address.sun_path)) {
        m_lastError = QStringLiteral("connect: not a usable socket path: %1").arg(m_socketPath);
        return Attempt::Failed;
    }
    std::memcpy(address.sun_path, path.constData(), static_cast<std::size_t>(path.size()));
    if (m_fd < 0) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m_fd < 0) {
            m_lastError = systemError("socket", errno);
            return Attempt::Failed;
        }
    }
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) == 0) {
        return Attempt::Connected;
    }
    const int error = errno;
    if (error == EAGAIN || error == EINTR) {
        return Attempt::Pending;
    }
    m_lastError = systemError("connect", error);
    return Attempt::Failed;
}

void Client::becomeConnected()
{
    m_state = State::Connected;
    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &Client::onReadyRead);
    m_writeNotifier = new QSocketNotifier(QSocketNotifier::Write, this); // off until a write would block
    m_writeNotifier->setSocket(m_fd);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &Client::flushOutgoing);
    Q_EMIT connected();
}

void Client::failConnecting()
{
    closeSocket();
    // A failed connect is reported like a lost connection, so callers retry the same way.
    Q_EMIT disconnected();
}

void Client::closeSocket()
{
    m_connectRetry.stop();
    // Switched off before the descriptor goes; deleted later, as this may run inside their own signal.
    for (QSocketNotifier **notifier : {&m_readNotifier, &m_writeNotifier}) {
        if (*notifier) {
            (*notifier)->setEnabled(false);
            (*notifier)->deleteLater();
            *notifier = nullptr;
        }
    }
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    m_outgoing.clear();
    m_state = State::Unconnected;
}

bool Client::connectToDaemon(int timeoutMs)
{
    if (isConnected()) {
        return true;
    }
    if (m_state != State::Connecting) {
        closeSocket();
        m_codec = FrameCodec();
        m_state = State::Connecting;
    }
    m_connectRetry.stop(); // an asynchronous attempt under way is finished here
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        switch (attemptConnect()) {
        case Attempt::Connected:
            becomeConnected();
            return true;
        case Attempt::Failed:
            failConnecting();
            return false;
        case Attempt::Pending:
            break;
        }
        if (deadline.hasExpired()) {
            m_lastError = QStringLiteral("connect: timed out (the daemon's connection backlog stayed full)");
            failConnecting();
            return false;
        }
        const int left = remainingMs(deadline);
        ::poll(nullptr, 0, left < 0 ? kConnectRetryMs : std::min(kConnectRetryMs, left));
    }
}

void Client::connectAsync()
{
    if (m_state != State::Unconnected) {
        return;
    }
    m_codec = FrameCodec();
    m_state = State::Connecting;
    m_connectDeadline = QDeadlineTimer(kConnectTimeoutMs);
    continueConnecting();
}

void Client::continueConnecting()
{
    if (m_state != State::Connecting) {
        return;
    }
    switch (attemptConnect()) {
    case Attempt::Connected:
        becomeConnected();
        return;
    case Attempt::Failed:
        failConnecting();
        return;
    case Attempt::Pending:
        if (m_connectDeadline.hasExpired()) {
            m_lastError = QStringLiteral("connect: timed out (the daemon's connection backlog stayed full)");
            failConnecting();
            return;
        }
        m_connectRetry.start(kConnectRetryMs);
        return;
    }
}

void Client::disconnectFromDaemon()
{
    switch (m_state) {
    case State::Unconnected:
    case State::Closing:
        return;
    case State::Connecting:
        closeSocket(); // never connected: nothing to report
        return;
    case State::Connected:
        if (!m_outgoing.isEmpty()) {
            m_state = State::Closing; // flushOutgoing() closes once the requests are out
            return;
        }
        closeSocket();
        onDisconnected();
        return;
    }
}

void Client::writeFrame(const QByteArray &frame)
{
    if (m_outgoing.isEmpty()) {
        m_outgoing = frame; // shares the buffer, no copy
    } else {
        m_outgoing.append(frame);
    }
    flushOutgoing();
}

void Client::flushOutgoing()
{
    if (m_fd < 0 || !m_writeNotifier) {
        return;
    }
    qsizetype written = 0;
    while (written < m_outgoing.size()) {
        const ssize_t n = ::send(m_fd, m_outgoing.constData() + written,
                                 static_cast<std::size_t>(m_outgoing.size() - written), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            written += static_cast<qsizetype>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            m_outgoing.remove(0, written);
            m_writeNotifier->setEnabled(true);
            return;
        }
        // The daemon has gone. Reading tells (end of stream) on the next wake-up, so the loss is reported
        // from there and never from inside send()/callAsync().
        m_lastError = systemError("send", errno);
        break;
    }
    m_outgoing.clear();
    m_writeNotifier->setEnabled(false);
    if (m_state == State::Closing) {
        closeSocket();
        onDisconnected();
    }
}

std::int64_t Client::send(const std::string &method, Json params)
{
    Request request;
    request.id = m_nextId++;
    request.method = method;
    request.params = std::move(params);
    writeFrame(FrameCodec::encode(request.serialize()));
    return request.id;
}

Response Client::call(const std::string &method, Json params, int timeoutMs, std::function<void(const Event &)> onEvent)
{
    if (!isConnected()) {
        return Response::failure(std::nullopt, error::DaemonUnreachable, "not connected to the daemon");
    }
    m_blockingEventHandler = std::move(onEvent);
    m_blockingId = send(method, std::move(params));
    m_blockingReply.reset();
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_blockingReply && isConnected() && !deadline.hasExpired()) {
        pollfd p{m_fd, static_cast<short>(POLLIN | (m_outgoing.isEmpty() ? 0 : POLLOUT)), 0};
        if (::poll(&p, 1, remainingMs(deadline)) < 0 && errno != EINTR) {
            break;
        }
        if (p.revents & POLLOUT) {
            flushOutgoing();
        }
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && !readAvailable()) {
            break;
        }
    }
    const std::int64_t id = m_blockingId;
    m_blockingId = -1;
    m_blockingEventHandler = nullptr;
    if (!m_queuedEvents.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            const auto events = std::exchange(m_queuedEvents, {});
            for (const Event &event : events) {
                Q_EMIT eventReceived(event);
            }
        });
    }
    if (m_blockingReply) {
        return *std::exchange(m_blockingReply, std::nullopt);
    }
    if (m_codec.hasError()) {
        return Response::failure(id, error::BadFrame, m_codec.errorString().toStdString());
    }
    if (!isConnected()) {
        return Response::failure(id, error::ConnectionClosed, "the daemon closed the connection without replying");
    }
    return Response::failure(id, error::Timeout, "the daemon did not reply in time");
}

bool Client::readAvailable()
{
    // Everything the socket holds now, without blocking; false once the connection has ended.
    char buffer[kReadChunk];
    for (;;) {
        if (m_fd < 0) {
            return false;
        }
        const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return true;
        }
        if (n <= 0) {
            m_lastError = n == 0 ? QStringLiteral("the daemon closed the connection") : systemError("recv", errno);
            closeSocket();
            onDisconnected();
            return false;
        }
        m_codec.append(QByteArrayView(buffer, static_cast<qsizetype>(n)));
        if (!deliverFrames()) {
            return false;
        }
        if (static_cast<std::size_t>(n) < sizeof(buffer)) {
            return true;
        }
    }
}

#else // QLocalSocket transport

Client::Client(QString socketPath, QObject *parent) : QObject(parent), m_socketPath(std::move(socketPath))
{
    connect(&m_socket, &QLocalSocket::readyRead, this, &Client::onReadyRead);
    connect(&m_socket, &QLocalSocket::connected, this, &Client::connected);
    connect(&m_socket, &QLocalSocket::disconnected, this, &Client::onDisconnected);
    connect(&m_socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError code) {
        m_lastError = m_socket.errorString();
        // A failed connect never emits disconnected(); report it the same way so callers retry.
        if (code == QLocalSocket::ServerNotFoundError || code == QLocalSocket::ConnectionRefusedError) {
            Q_EMIT disconnected();
        }
    });
}

Client::~Client()
{
    // Callbacks may capture objects that are going away too; they must not run from here.
    m_pending.clear();
    m_socket.disconnect(this);
}

bool Client::isConnected() const
{
    return m_socket.state() == QLocalSocket::ConnectedState;
}

bool Client::connectToDaemon(int timeoutMs)
{
    if (isConnected()) {
        return true;
    }
    m_codec = FrameCodec();
    m_socket.connectToServer(m_socketPath);
    if (!m_socket.waitForConnected(timeoutMs)) {
        m_lastError = m_socket.errorString();
        m_socket.abort();
        return false;
    }
    return true;
}

void Client::connectAsync()
{
    if (m_socket.state() != QLocalSocket::UnconnectedState) {
        return;
    }
    m_codec = FrameCodec();
    m_socket.connectToServer(m_socketPath);
}

void Client::disconnectFromDaemon()
{
    m_socket.disconnectFromServer();
}

std::int64_t Client::send(const std::string &method, Json params)
{
    Request request;
    request.id = m_nextId++;
    request.method = method;
    request.params = std::move(params);
    m_socket.write(FrameCodec::encode(request.serialize()));
    return request.id;
}

Response Client::call(const std::string &method, Json params, int timeoutMs, std::function<void(const Event &)> onEvent)
{
    if (!isConnected()) {
        return Response::failure(std::nullopt, error::DaemonUnreachable, "not connected to the daemon");
    }
    m_blockingEventHandler = std::move(onEvent);
    m_blockingId = send(method, std::move(params));
    m_blockingReply.reset();
    const QDeadlineTimer deadline(timeoutMs);
    m_socket.flush();
    while (!m_blockingReply) {
        if (!readAvailable()) {
            break;
        }
        if (m_blockingReply) {
            break;
        }
        if (!isConnected() || deadline.hasExpired()) {
            break;
        }
        m_socket.waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
    }
    const std::int64_t id = m_blockingId;
    m_blockingId = -1;
    m_blockingEventHandler = nullptr;
    if (!m_queuedEvents.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            const auto events = std::exchange(m_queuedEvents, {});
            for (const Event &event : events) {
                Q_EMIT eventReceived(event);
            }
        });
    }
    if (m_blockingReply) {
        return *std::exchange(m_blockingReply, std::nullopt);
    }
    if (m_codec.hasError()) {
        return Response::failure(id, error::BadFrame, m_codec.errorString().toStdString());
    }
    if (!isConnected()) {
        return Response::failure(id, error::ConnectionClosed, "the daemon closed the connection without replying");
    }
    return Response::failure(id, error::Timeout, "the daemon did not reply in time");
}

bool Client::readAvailable()
{
    const QByteArray data = m_socket.readAll();
    m_codec.append(data);
    return deliverFrames();
}

#endif

void Client::callAsync(const std::string &method, Json params, Callback done)
{
    if (!isConnected()) {
        const Response failure =
            Response::failure(std::nullopt, error::DaemonUnreachable, "not connected to the daemon");
        QTimer::singleShot(0, this, [done = std::move(done), failure] { done(failure); });
        return;
    }
    const auto id = send(method, std::move(params));
    m_pending.insert(id, std::move(done));
}

void Client::onReadyRead()
{
    if (m_blockingId >= 0) {
        return; // call() is draining the socket itself
    }
    readAvailable();
}

// Hands out every complete frame the codec holds; false (after dropping the connection) on a bad frame.
bool Client::deliverFrames()
{
    while (auto payload = m_codec.next()) {
        const ParsedMessage message = parseDaemonMessage(*payload);
        if (message.event) {
            if (m_blockingId >= 0 && m_blockingEventHandler) {
                m_blockingEventHandler(*message.event);
            } else if (m_blockingId >= 0) {
                m_queuedEvents.append(*message.event);
            } else {
                Q_EMIT eventReceived(*message.event);
            }
        } else if (message.response) {
            deliver(*message.response);
        }
    }
    if (m_codec.hasError()) {
        m_lastError = m_codec.errorString();
#ifdef Q_OS_UNIX
        if (m_fd >= 0) {
            closeSocket();
            onDisconnected();
        }
#else
        m_socket.abort();
#endif
        return false;
    }
    return true;
}

void Client::deliver(const Response &response)
{
    if (!response.id) {
        // The daemon could not read one of our requests; it closes the connection next.
        m_lastError = QString::fromStdString(response.errorMessage);
        if (m_blockingId >= 0) {
            m_blockingReply = response;
        }
        return;
    }
    if (*response.id == m_blockingId) {
        m_blockingReply = response;
        return;
    }
    if (auto done = m_pending.take(*response.id)) {
        done(response);
    }
}

void Client::failPending(const char *code, const std::string &message)
{
    const auto pending = std::exchange(m_pending, {});
    for (auto it = pending.begin(); it != pending.end(); ++it) {
        it.value()(Response::failure(it.key(), code, message));
    }
}

void Client::onDisconnected()
{
    failPending(error::ConnectionClosed, "the connection to the daemon was closed");
    Q_EMIT disconnected();
}

} // namespace latchkey::ipc
