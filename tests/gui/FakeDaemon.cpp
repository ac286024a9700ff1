#include "FakeDaemon.h"

#include "Protocol.h"

#include <QLocalServer>
#include <QLocalSocket>

namespace latchkey::test {

FakeDaemon::FakeDaemon(QObject *parent) : QObject(parent), m_server(new QLocalServer(this))
{
    // What any daemon answers before a test scripts more.
    answer("events.subscribe", ipc::Json::object());
    answer("status", {{"version", "fake"}, {"protocol", ipc::kProtocolVersion}, {"servers", 0}});
    answer("server.list", {{"servers", ipc::Json::array()}});
    connect(m_server, &QLocalServer::newConnection, this, &FakeDaemon::onConnection);
}

FakeDaemon::~FakeDaemon()
{
    // The sockets go with the server; no slot may run on a half-destroyed fake.
    disconnect(m_server, nullptr, this, nullptr);
    for (QLocalSocket *socket : m_codecs.keys()) {
        disconnect(socket, nullptr, this, nullptr);
    }
}

bool FakeDaemon::listen()
{
    return m_dir.isValid() && m_server->listen(socketPath());
}

QString FakeDaemon::socketPath() const
{
    return m_dir.filePath(QStringLiteral("fake.sock"));
}

void FakeDaemon::answer(const std::string &method, ipc::Json result)
{
    m_answers[method] = ipc::Response::success(std::nullopt, std::move(result));
}

void FakeDaemon::fail(const std::string &method, const std::string &code, const std::string &message)
{
    m_answers[method] = ipc::Response::failure(std::nullopt, code, message);
}

void FakeDaemon::hold(const std::string &method)
{
    m_holding.insert(QString::fromStdString(method));
}

QList<FakeDaemon::Held> FakeDaemon::held(const std::string &method) const
{
    const auto it = m_held.find(method);
    return it == m_held.end() ? QList<Held>() : it->second;
}

void FakeDaemon::answerHeld(const std::string &method, int index, const ipc::Response &response)
{
    QList<Held> &list = m_held[method];
    if (index < 0 || index >= list.size()) {
        return;
    }
    const Held held = list.takeAt(index);
    ipc::Response reply = response;
    reply.id = held.request.id;
    if (m_codecs.contains(held.socket)) {
        send(held.socket, reply.serialize());
    }
}

void FakeDaemon::push(const ipc::Event &event)
{
    for (QLocalSocket *socket : std::as_const(m_subscribers)) {
        send(socket, event.serialize());
    }
}

QList<ipc::Request> FakeDaemon::requests(const std::string &method) const
{
    QList<ipc::Request> matching;
    for (const ipc::Request &request : m_requests) {
        if (request.method == method) {
            matching.append(request);
        }
    }
    return matching;
}

QStringList FakeDaemon::methods() const
{
    QStringList names;
    for (const ipc::Request &request : m_requests) {
        names.append(QString::fromStdString(request.method));
    }
    return names;
}

void FakeDaemon::clearRequests()
{
    m_requests.clear();
}

void FakeDaemon::onConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        m_codecs.insert(socket, ipc::FrameCodec());
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
            m_codecs.remove(socket);
            m_subscribers.remove(socket);
            socket->deleteLater();
        });
    }
}

void FakeDaemon::onReadyRead(QLocalSocket *socket)
{
    auto it = m_codecs.find(socket);
    if (it == m_codecs.end()) {
        return;
    }
    it->append(socket->readAll());
    while (const std::optional<QByteArray> payload = it->next()) {
        const ipc::ParsedRequest parsed = ipc::parseRequest(*payload);
        if (!parsed.request) {
            send(socket, parsed.error.serialize());
            continue;
        }
        handle(socket, *parsed.request);
    }
}

void FakeDaemon::handle(QLocalSocket *socket, const ipc::Request &request)
{
    m_requests.append(request);
    if (request.method == "events.subscribe") {
        m_subscribers.insert(socket);
    }
    Q_EMIT requestReceived(QString::fromStdString(request.method));
    if (m_holding.contains(QString::fromStdString(request.method))) {
        m_held[request.method].append({socket, request});
        return;
    }
    const auto it = m_answers.find(request.method);
    ipc::Response reply = it != m_answers.end() ? it->second
                                                : ipc::Response::failure(std::nullopt, ipc::error::UnknownMethod,
                                                                         "unknown method \"" + request.method + "\"");
    reply.id = request.id;
    send(socket, reply.serialize());
}

void FakeDaemon::send(QLocalSocket *socket, const QByteArray &payload)
{
    socket->write(ipc::FrameCodec::encode(payload));
    socket->flush();
}

} // namespace latchkey::test
