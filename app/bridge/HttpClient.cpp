#include "HttpClient.h"

#include <QNetworkCookie>
#include <QSslSocket>
#include <QTcpSocket>

namespace latchkey::bridge {

namespace {

QString originOf(const QUrl &url)
{
    return url.scheme().toLower() + QStringLiteral("://") + url.host().toLower() + QLatin1Char(':') +
           QString::number(url.port(url.scheme() == QStringLiteral("https") ? 443 : 80));
}

bool hasToken(const QByteArray &list, QByteArrayView token)
{
    const QList<QByteArray> items = list.split(',');
    for (const QByteArray &item : items) {
        if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

// One kept-alive connection to an origin; at most one exchange at a time.
class HttpConnection : public QObject
{
public:
    HttpConnection(HttpClient *client, const QUrl &url);

    QString origin() const { return m_origin; }
    bool isReusable() const { return !m_closed && m_socket->state() == QAbstractSocket::ConnectedState; }
    void send(HttpReply *reply);
    // The reply gave up: a half-read answer cannot be followed by another, so the connection goes.
    void dropReply();
    // The client is going away: never call back into it.
    void detachFromClient() { m_closed = true; }

private:
    enum class State
    {
        Idle,
        StatusLine,
        Headers,
        Body,
        ChunkSize,
        ChunkData,
        ChunkEnd,
        Trailers,
        UntilClose
    };

    void writePending();
    void onReadyRead();
    void onClosed(const QString &why);
    void parse();
    bool headersComplete();
    void deliver(QByteArrayView bytes);
    void completeResponse();
    void fail(const QString &error);
    void close();
    // Takes a line (without its CRLF or LF) off the buffer; false if none is complete yet.
    bool takeLine(QByteArray *line);

    HttpClient *m_client;
    QAbstractSocket *m_socket;
    QString m_origin;
    QPointer<HttpReply> m_reply;
    QByteArray m_pendingWrite;
    QByteArray m_buffer;
    State m_state = State::Idle;
    qint64 m_left = 0;
    qsizetype m_headerBytes = 0;
    bool m_keepAlive = true;
    bool m_everCompleted = false; // a kept-alive connection, which the server may have closed meanwhile
    bool m_gotBytes = false;      // of the current answer
    bool m_closed = false;
    QUrl m_redirect; // where the current answer sends the request instead (307/308)
};

HttpConnection::HttpConnection(HttpClient *client, const QUrl &url)
    : QObject(client), m_client(client), m_origin(originOf(url))
{
    const bool tls = url.scheme() == QStringLiteral("https");
    QSslSocket *ssl = tls ? new QSslSocket(this) : nullptr;
    m_socket = tls ? static_cast<QAbstractSocket *>(ssl) : new QTcpSocket(this);
    m_socket->setReadBufferSize(HttpClient::kSocketBuffer);
    if (tls) {
        connect(ssl, &QSslSocket::encrypted, this, &HttpConnection::writePending);
    } else {
        connect(m_socket, &QAbstractSocket::connected, this, &HttpConnection::writePending);
    }
    connect(m_socket, &QAbstractSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QAbstractSocket::disconnected, this,
            [this] { onClosed(QStringLiteral("the server closed the connection")); });
    connect(m_socket, &QAbstractSocket::errorOccurred, this,
            [this](QAbstractSocket::SocketError) { onClosed(m_socket->errorString()); });
    const quint16 port = static_cast<quint16>(url.port(tls ? 443 : 80));
    if (tls) {
        ssl->connectToHostEncrypted(url.host(), port);
    } else {
        m_socket->connectToHost(url.host(), port);
    }
}

void HttpConnection::send(HttpReply *reply)
{
    m_reply = reply;
    reply->m_connection = this;
    m_state = State::StatusLine;
    m_headerBytes = 0;
    m_keepAlive = true;
    m_gotBytes = false;
    m_redirect.clear();

    const QUrl &url = reply->m_url;
    QByteArray target = url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty()) {
        target = "/";
    }
    if (url.hasQuery()) {
        target += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    }
    QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':')) {
        host = '[' + host + ']';
    }
    const bool tls = url.scheme() == QStringLiteral("https");
    if (url.port() > 0 && url.port() != (tls ? 443 : 80)) {
        host += ':' + QByteArray::number(url.port());
    }
    QByteArray request;
    request.reserve(256 + reply->m_requestBody.size());
    request += reply->m_method + ' ' + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
    for (const auto &[name, value] : std::as_const(reply->m_requestHeaders)) {
        request += name + ": " + value + "\r\n";
    }
    const QList<QNetworkCookie> cookies = m_client->m_cookies.cookiesForUrl(url);
    if (!cookies.isEmpty()) {
        QByteArray cookie;
        for (const QNetworkCookie &c : cookies) {
            cookie += (cookie.isEmpty() ? "" : "; ") + c.toRawForm(QNetworkCookie::NameAndValueOnly);
        }
        request += "Cookie: " + cookie + "\r\n";
    }
    if (!reply->m_requestBody.isEmpty() || reply->m_method == "POST" || reply->m_method == "PUT") {
        request += "Content-Length: " + QByteArray::number(reply->m_requestBody.size()) + "\r\n";
    }
    request += "\r\n";
    request += reply->m_requestBody;
    m_pendingWrite = std::move(request);
    if (m_socket->state() == QAbstractSocket::ConnectedState &&
        (!qobject_cast<QSslSocket *>(m_socket) || qobject_cast<QSslSocket *>(m_socket)->isEncrypted())) {
        writePending();
    }
}

void HttpConnection::writePending()
{
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (!m_pendingWrite.isEmpty()) {
        m_socket->write(std::exchange(m_pendingWrite, {}));
        m_socket->flush(); // now, rather than at the next turn of the event loop
    }
}

void HttpConnection::dropReply()
{
    m_reply = nullptr;
    close();
}

void HttpConnection::close()
{
    if (m_closed) {
        return;
    }
    m_closed = true;
    m_state = State::Idle;
    m_client->connectionGone(this);
    m_socket->abort();
    deleteLater();
}

void HttpConnection::onReadyRead()
{
    if (m_closed) {
        return;
    }
    if (!m_reply || m_state == State::Idle) {
        close(); // an idle connection must not speak: whatever it says belongs to no request
        return;
    }
    m_buffer += m_socket->readAll();
    if (!m_buffer.isEmpty()) {
        m_gotBytes = true;
    }
    parse();
}

void HttpConnection::onClosed(const QString &why)
{
    if (m_closed) {
        return;
    }
    const QPointer<HttpReply> reply = m_reply;
    if (reply && m_state == State::UntilClose) {
        m_buffer += m_socket->readAll();
        deliver(m_buffer);
        m_buffer.clear();
        m_keepAlive = false;
        completeResponse();
        return;
    }
    if (reply && !m_gotBytes && m_everCompleted && !reply->m_retried) {
        // The server closed a kept-alive connection just as we reused it: send once more, afresh.
        reply->m_retried = true;
        reply->m_connection = nullptr;
        m_reply = nullptr;
        close();
        m_client->start(reply);
        return;
    }
    m_reply = nullptr;
    close();
    if (reply) {
        reply->m_connection = nullptr;
        reply->finish(why);
    }
}

bool HttpConnection::takeLine(QByteArray *line)
{
    const qsizetype end = m_buffer.indexOf('\n');
    if (end < 0) {
        return false;
    }
    *line = m_buffer.left(end > 0 && m_buffer.at(end - 1) == '\r' ? end - 1 : end);
    m_buffer.remove(0, end + 1);
    return true;
}

void HttpConnection::parse()
{
    QByteArray line;
    while (m_reply && !m_closed) {
        switch (m_state) {
        case State::Idle:
            return;
        case State::StatusLine:
        case State::Headers:
        case State::ChunkSize:
        case State::Trailers:
            if (!takeLine(&line)) {
                // A line still without its end: bounded like the header block.
                const bool inHead = m_state == State::StatusLine || m_state == State::Headers;
                if ((inHead ? m_headerBytes : 0) + m_buffer.size() > HttpClient::kMaxHeaderBytes) {
                    fail(QStringLiteral("the server's answer has headers over %1 bytes")
                             .arg(HttpClient::kMaxHeaderBytes));
                }
                return;
            }
            if (m_state == State::StatusLine || m_state == State::Headers) {
                m_headerBytes += line.size() + 2;
                if (m_headerBytes > HttpClient::kMaxHeaderBytes) {
                    fail(QStringLiteral("the server's answer has headers over %1 bytes")
                             .arg(HttpClient::kMaxHeaderBytes));
                    return;
                }
            }
            if (m_state == State::StatusLine) {
                // HTTP/1.1 200 OK
                const QList<QByteArray> parts = line.split(' ');
                bool ok = false;
                const int status = parts.size() >= 2 ? parts.at(1).toInt(&ok) : 0;
                if (!line.startsWith("HTTP/1.") || !ok || status < 100 || status > 999) {
                    fail(QStringLiteral("the server did not answer in HTTP/1.1"));
                    return;
                }
                m_keepAlive = !line.startsWith("HTTP/1.0");
                m_reply->m_status = status;
                m_reply->m_headers.clear();
                m_state = State::Headers;
            } else if (m_state == State::Headers) {
                if (!line.isEmpty()) {
                    const qsizetype colon = line.indexOf(':');
                    if (colon <= 0) {
                        fail(QStringLiteral("the server sent a malformed header"));
                        return;
                    }
                    m_reply->m_headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
                } else if (!headersComplete()) {
                    return;
                }
            } else if (m_state == State::ChunkSize) {
                const qsizetype extension = line.indexOf(';');
                bool ok = false;
                m_left = (extension < 0 ? line : line.left(extension)).trimmed().toLongLong(&ok, 16);
                if (!ok || m_left < 0) {
                    fail(QStringLiteral("the server sent a malformed chunk"));
                    return;
                }
                m_state = m_left == 0 ? State::Trailers : State::ChunkData;
            } else if (line.isEmpty()) { // the end of the trailers
                completeResponse();
            }
            break;
        case State::Body:
        case State::ChunkData: {
            if (m_buffer.isEmpty()) {
                return;
            }
            const qsizetype take = static_cast<qsizetype>(std::min<qint64>(m_left, m_buffer.size()));
            m_left -= take;
            if (take == m_buffer.size()) {
                deliver(std::exchange(m_buffer, {}));
            } else {
                const QByteArray piece = m_buffer.left(take);
                m_buffer.remove(0, take);
                deliver(piece);
            }
            if (!m_reply || m_closed) {
                return; // the reader gave up meanwhile
            }
            if (m_left == 0) {
                if (m_state == State::Body) {
                    completeResponse();
                } else {
                    m_state = State::ChunkEnd;
                }
            }
            break;
        }
        case State::ChunkEnd:
            if (!takeLine(&line)) {
                return;
            }
            if (!line.isEmpty()) {
                fail(QStringLiteral("the server sent a malformed chunk"));
                return;
            }
            m_state = State::ChunkSize;
            break;
        case State::UntilClose:
            if (!m_buffer.isEmpty()) {
                deliver(std::exchange(m_buffer, {}));
            }
            return;
        }
    }
}

bool HttpConnection::headersComplete()
{
    HttpReply *reply = m_reply;
    const int status = reply->m_status;
    if (status >= 100 && status < 200 && status != 101) {
        m_state = State::StatusLine; // an interim answer (100 Continue, 103 Early Hints): the real one follows
        return true;
    }
    if (hasToken(reply->header("Connection"), "close")) {
        m_keepAlive = false;
    }
    m_client->storeCookies(reply);
    if ((status == 307 || status == 308) && reply->m_redirects < 10) {
        const QUrl target = reply->m_url.resolved(QUrl(QString::fromUtf8(reply->header("Location"))));
        const bool lessSafe =
            reply->m_url.scheme() == QStringLiteral("https") && target.scheme() != QStringLiteral("https");
        if (target.isValid() && !lessSafe &&
            (target.scheme() == QStringLiteral("http") || target.scheme() == QStringLiteral("https"))) {
            m_redirect = target;
        }
    }
    const bool noBody = reply->m_method == "HEAD" || status == 204 || status == 304 || status == 101;
    const QByteArray length = reply->header("Content-Length");
    if (noBody) {
        m_left = 0;
        m_state = State::Body;
    } else if (hasToken(reply->header("Transfer-Encoding"), "chunked")) {
        m_state = State::ChunkSize;
    } else if (!length.isEmpty()) {
        bool ok = false;
        m_left = length.toLongLong(&ok);
        if (!ok || m_left < 0) {
            fail(QStringLiteral("the server sent a malformed Content-Length"));
            return false;
        }
        m_state = State::Body;
    } else {
        m_state = State::UntilClose;
        m_keepAlive = false;
    }
    const QPointer<HttpReply> guard = reply;
    if (m_redirect.isEmpty()) {
        Q_EMIT reply->headersReceived();
    }
    if (!guard || m_closed || m_reply != reply) {
        return false;
    }
    if (m_state == State::Body && m_left == 0) {
        completeResponse();
        return false;
    }
    return true;
}

void HttpConnection::deliver(QByteArrayView bytes)
{
    if (!m_reply || !m_redirect.isEmpty() || bytes.isEmpty()) {
        return; // the body of a redirect is not the answer
    }
    m_reply->m_body.append(bytes);
    Q_EMIT m_reply->readyRead();
}

void HttpConnection::completeResponse()
{
    const QPointer<HttpReply> reply = m_reply;
    const QUrl redirect = m_redirect;
    m_reply = nullptr;
    m_state = State::Idle;
    m_everCompleted = true;
    if (reply) {
        reply->m_connection = nullptr;
    }
    if (m_keepAlive && m_buffer.isEmpty() && !m_closed) {
        m_client->connectionIdle(this);
    } else {
        close();
    }
    if (!reply) {
        return;
    }
    if (!redirect.isEmpty()) {
        m_client->follow(reply, redirect);
        return;
    }
    reply->finish({});
}

void HttpConnection::fail(const QString &error)
{
    const QPointer<HttpReply> reply = m_reply;
    m_reply = nullptr;
    close();
    if (reply) {
        reply->m_connection = nullptr;
        reply->finish(error);
    }
}

HttpReply::~HttpReply()
{
    if (m_connection) {
        m_connection->dropReply();
    }
}

QByteArray HttpReply::header(QByteArrayView name) const
{
    QByteArray value;
    for (const auto &[key, item] : m_headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            value += (value.isEmpty() ? "" : ", ") + item;
        }
    }
    return value;
}

void HttpReply::abort()
{
    if (m_finished) {
        return;
    }
    if (m_connection) {
        m_connection->dropReply();
        m_connection = nullptr;
    }
    finish(QStringLiteral("aborted"));
}

void HttpReply::finish(const QString &error)
{
    if (m_finished) {
        return;
    }
    m_finished = true;
    m_timeout.stop();
    m_error = error;
    Q_EMIT finished();
}

HttpClient::HttpClient(QObject *parent) : QObject(parent) {}

HttpClient::~HttpClient()
{
    // Replies and connections are children, deleted after this object's members: unlink them first.
    m_idle.clear();
    const QList<HttpReply *> replies = findChildren<HttpReply *>(Qt::FindDirectChildrenOnly);
    for (HttpReply *reply : replies) {
        reply->m_connection = nullptr;
    }
    const QList<QObject *> children = this->children();
    for (QObject *child : children) {
        if (auto *connection = dynamic_cast<HttpConnection *>(child)) {
            connection->detachFromClient();
        }
    }
}

HttpReply *HttpClient::send(const QByteArray &method, const QUrl &url, const Headers &headers, const QByteArray &body,
                            int timeoutMs)
{
    auto *reply = new HttpReply(this);
    reply->m_method = method;
    reply->m_url = url;
    for (const auto &[name, value] : headers) {
        // A header is one line: a CR or LF in it would start another.
        if (!name.isEmpty() && !name.contains('\r') && !name.contains('\n') && !value.contains('\r') &&
            !value.contains('\n')) {
            reply->m_requestHeaders.append({name, value});
        }
    }
    reply->m_requestBody = body;
    if (timeoutMs > 0) {
        reply->m_timeout.setSingleShot(true);
        connect(&reply->m_timeout, &QTimer::timeout, reply, [reply, timeoutMs] {
            if (reply->m_connection) {
                reply->m_connection->dropReply();
                reply->m_connection = nullptr;
            }
            reply->finish(QStringLiteral("no answer within %1 ms").arg(timeoutMs));
        });
        reply->m_timeout.start(timeoutMs);
    }
    if (url.scheme() != QStringLiteral("http") && url.scheme() != QStringLiteral("https")) {
        QMetaObject::invokeMethod(
            reply, [reply] { reply->finish(QStringLiteral("only http and https URLs are supported")); },
            Qt::QueuedConnection);
        return reply;
    }
    start(reply);
    return reply;
}

void HttpClient::start(HttpReply *reply)
{
    QList<HttpConnection *> &idle = m_idle[originOf(reply->m_url)];
    while (!idle.isEmpty()) {
        HttpConnection *connection = idle.takeLast();
        if (connection->isReusable()) {
            connection->send(reply);
            return;
        }
    }
    (new HttpConnection(this, reply->m_url))->send(reply);
}

void HttpClient::connectionIdle(HttpConnection *connection)
{
    QList<HttpConnection *> &idle = m_idle[connection->origin()];
    if (!idle.contains(connection)) {
        idle.append(connection);
    }
}

void HttpClient::connectionGone(HttpConnection *connection)
{
    if (const auto it = m_idle.find(connection->origin()); it != m_idle.end()) {
        it->removeAll(connection);
    }
}

void HttpClient::storeCookies(HttpReply *reply)
{
    QList<QNetworkCookie> cookies;
    for (const auto &[name, value] : std::as_const(reply->m_headers)) {
        if (name.compare("Set-Cookie", Qt::CaseInsensitive) == 0) {
            cookies += QNetworkCookie::parseCookies(value);
        }
    }
    if (!cookies.isEmpty()) {
        m_cookies.setCookiesFromUrl(cookies, reply->m_url);
    }
}

void HttpClient::follow(HttpReply *reply, const QUrl &target)
{
    ++reply->m_redirects;
    reply->m_url = target;
    reply->m_status = 0;
    reply->m_headers.clear();
    reply->m_retried = false;
    start(reply);
}

} // namespace latchkey::bridge
