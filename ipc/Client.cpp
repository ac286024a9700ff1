#include "Client.h"

#include <QDeadlineTimer>
#include <QTimer>

namespace latchkey::ipc {

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

Response Client::call(const std::string &method, Json params, int timeoutMs)
{
    if (!isConnected()) {
        return Response::failure(std::nullopt, error::DaemonUnreachable, "not connected to the daemon");
    }
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

bool Client::readAvailable()
{
    const QByteArray data = m_socket.readAll();
    m_codec.append(data);
    while (auto payload = m_codec.next()) {
        const ParsedMessage message = parseDaemonMessage(*payload);
        if (message.event) {
            if (m_blockingId >= 0) {
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
        m_socket.abort();
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
