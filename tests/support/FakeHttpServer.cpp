#include "FakeHttpServer.h"

#include <QHostAddress>
#include <QTcpSocket>

namespace latchkey::test {

namespace {

constexpr qsizetype kMaxHead = 64 * 1024;
constexpr qsizetype kMaxRequestBody = 8 * 1024 * 1024;
constexpr qsizetype kChunk = 64 * 1024;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

bool hasHeader(const FakeHttpServer::Headers &headers, QByteArrayView name)
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

QByteArray FakeHttpServer::Request::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

QUrlQuery FakeHttpServer::Request::form() const
{
    // '+' is a space in a form body; QUrlQuery leaves it alone.
    QByteArray text = body;
    text.replace('+', ' ');
    return QUrlQuery(QString::fromUtf8(text));
}

QString FakeHttpServer::Request::formValue(const QString &key) const
{
    return form().queryItemValue(key, QUrl::FullyDecoded);
}

FakeHttpServer::Response FakeHttpServer::Response::json(int status, const QByteArray &body)
{
    Response response;
    response.status = status;
    response.body = body;
    response.headers = {{"Content-Type", "application/json"}};
    return response;
}

FakeHttpServer::Response FakeHttpServer::Response::text(int status, const QByteArray &body)
{
    Response response;
    response.status = status;
    response.body = body;
    response.headers = {{"Content-Type", "text/plain"}};
    return response;
}

FakeHttpServer::Response &FakeHttpServer::Response::withHeader(const QByteArray &name, const QByteArray &value)
{
    headers.append({name, value});
    return *this;
}

FakeHttpServer::FakeHttpServer(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FakeHttpServer::accept);
    m_server.listen(QHostAddress::LocalHost, 0);
}

FakeHttpServer::~FakeHttpServer()
{
    m_server.close();
    for (const QPointer<QTcpSocket> &socket : std::as_const(m_sockets)) {
        if (socket) {
            socket->disconnect(this); // no slot of ours may run while the members go
            socket->abort();
            delete socket.data();
        }
    }
}

QString FakeHttpServer::origin() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port());
}

void FakeHttpServer::on(const QString &path, const Response &response)
{
    on(path, QList<Response>{response});
}

void FakeHttpServer::on(const QString &path, const QList<Response> &sequence)
{
    Route route;
    route.sequence = sequence;
    m_routes.insert(path, route);
}

void FakeHttpServer::on(const QString &path, Handler handler)
{
    Route route;
    route.handler = std::move(handler);
    m_routes.insert(path, route);
}

void FakeHttpServer::clearRoutes()
{
    m_routes.clear();
}

void FakeHttpServer::releaseHeld()
{
    const auto held = std::exchange(m_held, {});
    for (const auto &[socket, response] : held) {
        if (socket) {
            send(socket, response);
        }
    }
}

QList<FakeHttpServer::Request> FakeHttpServer::requests(const QString &path) const
{
    QList<Request> out;
    for (const Request &request : m_requests) {
        if (request.path == path) {
            out.append(request);
        }
    }
    return out;
}

int FakeHttpServer::requestCount(const QString &path) const
{
    return static_cast<int>(requests(path).size());
}

QStringList FakeHttpServer::log() const
{
    QStringList out;
    for (const Request &request : m_requests) {
        out.append(QString::fromLatin1(request.method) + QLatin1Char(' ') + request.path);
    }
    return out;
}

void FakeHttpServer::accept()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        m_sockets.append(socket);
        m_buffers.insert(socket, {});
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readFrom(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_buffers.remove(socket);
            socket->deleteLater();
        });
    }
}

FakeHttpServer::Parse FakeHttpServer::parseOne(QByteArray &buffer, Request *request)
{
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        return buffer.size() > kMaxHead ? Parse::Bad : Parse::Incomplete;
    }
    const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
    const QList<QByteArray> requestLine = lines.front().trimmed().split(' ');
    if (requestLine.size() != 3) {
        return Parse::Bad;
    }
    Request parsed;
    parsed.method = requestLine.at(0);
    parsed.target = requestLine.at(1);
    QByteArray pathAndQuery = parsed.target;
    if (pathAndQuery.startsWith("http://") || pathAndQuery.startsWith("https://")) {
        const QUrl absolute = QUrl::fromEncoded(pathAndQuery);
        pathAndQuery = absolute.path(QUrl::FullyEncoded).toLatin1();
        if (absolute.hasQuery()) {
            pathAndQuery += '?' + absolute.query(QUrl::FullyEncoded).toLatin1();
        }
    }
    const qsizetype question = pathAndQuery.indexOf('?');
    parsed.path = QString::fromLatin1(question < 0 ? pathAndQuery : pathAndQuery.left(question));
    parsed.query = question < 0 ? QByteArray() : pathAndQuery.mid(question + 1);
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            return Parse::Bad;
        }
        const QByteArray name = line.left(colon).trimmed();
        const QByteArray value = line.mid(colon + 1).trimmed();
        parsed.headers.append({name, value});
        if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            bool ok = false;
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0 || contentLength > kMaxRequestBody) {
                return Parse::Bad;
            }
        }
    }
    const qsizetype total = headEnd + 4 + contentLength;
    if (buffer.size() < total) {
        return Parse::Incomplete;
    }
    parsed.body = buffer.mid(headEnd + 4, contentLength);
    buffer.remove(0, total);
    *request = std::move(parsed);
    return Parse::Complete;
}

void FakeHttpServer::readFrom(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    for (;;) {
        Request request;
        const Parse result = parseOne(buffer, &request);
        if (result == Parse::Incomplete) {
            return;
        }
        if (result == Parse::Bad) {
            send(socket, Response::text(400, "bad request"));
            socket->disconnectFromHost();
            return;
        }
        m_requests.append(request);
        Q_EMIT requestReceived(request.path);
        const Response response = respond(request);
        if (response.hang) {
            continue;
        }
        if (m_holding) {
            m_held.append({socket, response});
            continue;
        }
        send(socket, response);
        if (socket->state() != QAbstractSocket::ConnectedState) {
            return;
        }
    }
}

FakeHttpServer::Response FakeHttpServer::respond(const Request &request)
{
    const auto it = m_routes.find(request.path);
    if (it == m_routes.end()) {
        return Response::text(404, "not found");
    }
    Route &route = *it;
    if (route.handler) {
        ++route.served;
        return route.handler(request);
    }
    if (route.sequence.isEmpty()) {
        return Response::text(404, "not found");
    }
    const qsizetype index = std::min<qsizetype>(route.served, route.sequence.size() - 1);
    ++route.served;
    return route.sequence.at(index);
}

void FakeHttpServer::send(QTcpSocket *socket, const Response &response)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &[name, value] : response.headers) {
        head += name + ": " + value + "\r\n";
    }
    switch (response.framing) {
    case Framing::ContentLength:
        if (!hasHeader(response.headers, "Content-Length")) {
            head += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
        }
        head += "Connection: keep-alive\r\n\r\n";
        socket->write(head);
        socket->write(response.body);
        break;
    case Framing::Close:
        head += "Connection: close\r\n\r\n";
        socket->write(head);
        socket->write(response.body);
        socket->disconnectFromHost();
        break;
    case Framing::Chunked:
        head += "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
        socket->write(head);
        for (qsizetype offset = 0; offset < response.body.size(); offset += kChunk) {
            const QByteArray chunk = response.body.mid(offset, kChunk);
            socket->write(QByteArray::number(chunk.size(), 16) + "\r\n" + chunk + "\r\n");
        }
        socket->write("0\r\n\r\n");
        break;
    case Framing::AsGiven:
        head += "\r\n";
        socket->write(head);
        socket->write(response.body);
        break;
    }
}

} // namespace latchkey::test
