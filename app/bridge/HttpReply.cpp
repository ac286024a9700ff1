#include "HttpReply.h"

#include "HttpClient.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace latchkey::bridge {

namespace {

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    const auto port = [](const QUrl &url) { return url.port(url.scheme() == QStringLiteral("https") ? 443 : 80); };
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0 && port(a) == port(b);
}

// Without QHostAddress: QtNetwork would cost the bridge a megabyte of resident memory for this alone.
bool isLoopback(const QUrl &url)
{
    const QString host = url.host();
    if (host.compare(QStringLiteral("localhost"), Qt::CaseInsensitive) == 0 ||
        host.endsWith(QStringLiteral(".localhost"), Qt::CaseInsensitive)) {
        return true;
    }
    const QByteArray literal = host.toLatin1();
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, literal.constData(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    return ::inet_pton(AF_INET6, literal.constData(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

} // namespace

HttpReply::HttpReply(HttpClient *client, QByteArray method, const QUrl &url, Headers headers, QByteArray body,
                     int timeoutMs)
    : QObject(client), m_client(client), m_method(std::move(method)), m_url(url), m_requestHeaders(std::move(headers)),
      m_requestBody(std::move(body)), m_timeoutMs(timeoutMs)
{}

HttpReply::~HttpReply()
{
    release();
}

QByteArray HttpReply::header(QByteArrayView name) const
{
    QByteArray joined;
    for (const auto &[key, value] : m_headers) {
        if (name.compare(key, Qt::CaseInsensitive) == 0) {
            joined += joined.isEmpty() ? value : ", " + value;
        }
    }
    return joined;
}

QByteArray HttpReply::readAll()
{
    if (m_paused && m_client) {
        // Room again: let libcurl go on, from the event loop (dispatch() resumes paused transfers).
        m_client->markDirty(this);
        QMetaObject::invokeMethod(
            m_client, [client = m_client] { client->perform(CURL_SOCKET_TIMEOUT, 0); }, Qt::QueuedConnection);
    }
    return std::exchange(m_body, {});
}

void HttpReply::abort()
{
    if (m_finished) {
        return;
    }
    release();
    m_done = true;
    finish(QStringLiteral("aborted"));
}

bool HttpReply::prepare()
{
    CURL *easy = curl_easy_init();
    if (!easy) {
        m_error = QStringLiteral("cannot start the request");
        return false;
    }
    m_easy = easy;
    m_errorBuffer[0] = '\0';
    curl_easy_setopt(easy, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy, CURLOPT_URL, m_url.toEncoded().constData());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, m_errorBuffer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpReply::onHeaderLine);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpReply::onBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L); // redirects are ours to judge: redirectTarget()
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L); // event streams may idle for long
    if (isLoopback(m_url)) {
        // A local server is never reached through a proxy, whatever *_proxy says ("" turns proxies off).
        curl_easy_setopt(easy, CURLOPT_PROXY, "");
    }
    curl_easy_setopt(easy, CURLOPT_SHARE, m_client->m_share);
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, ""); // cookies in memory, for this session only
    if (m_timeoutMs > 0) {
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(m_timeoutMs));
    }
    if (m_method == "GET") {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
        if (m_method == "POST") {
            curl_easy_setopt(easy, CURLOPT_POST, 1L);
        } else {
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, m_method.constData());
        }
        if (m_method == "POST" || !m_requestBody.isEmpty()) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(m_requestBody.size()));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, m_requestBody.constData());
        }
    }
    curl_slist *list = nullptr;
    for (const auto &[name, value] : std::as_const(m_requestHeaders)) {
        // "Name;" is libcurl's way to send a header with an empty value.
        const QByteArray line = value.isEmpty() ? name + ';' : name + ": " + value;
        list = curl_slist_append(list, line.constData());
    }
    list = curl_slist_append(list, "Expect:"); // no 100-continue round trip before a body
    m_requestHeaderList = list;
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    return true;
}

void HttpReply::release()
{
    if (m_easy) {
        if (m_client) {
            m_client->stop(this);
        }
        curl_easy_cleanup(m_easy);
        m_easy = nullptr;
    }
    curl_slist_free_all(m_requestHeaderList);
    m_requestHeaderList = nullptr;
}

size_t HttpReply::onHeaderLine(char *data, size_t size, size_t count, void *self)
{
    auto *reply = static_cast<HttpReply *>(self);
    const size_t length = size * count;
    reply->m_headerBytes += static_cast<qsizetype>(length);
    if (reply->m_headerBytes > HttpClient::kMaxHeaderBytes) {
        reply->m_error = QStringLiteral("the server's headers are over %1 bytes").arg(HttpClient::kMaxHeaderBytes);
        return 0; // libcurl ends the transfer
    }
    QByteArrayView line(data, static_cast<qsizetype>(length));
    while (!line.isEmpty() && (line.back() == '\n' || line.back() == '\r')) {
        line.chop(1);
    }
    if (line.startsWith("HTTP/")) {
        // A new answer (interim ones come first): only the last one's headers count.
        reply->m_headers.clear();
        const QList<QByteArray> parts = line.toByteArray().split(' ');
        reply->m_status = parts.size() > 1 ? parts.at(1).toInt() : 0;
        reply->m_headersComplete = false;
    } else if (line.isEmpty()) {
        if (reply->m_status >= 200) {
            reply->m_headersComplete = true;
            reply->m_redirecting = reply->redirectTarget().isValid();
            if (!reply->m_redirecting && reply->m_client) {
                reply->m_client->markDirty(reply);
            }
        }
    } else if ((line.front() == ' ' || line.front() == '\t') && !reply->m_headers.isEmpty()) {
        reply->m_headers.last().second += ' ' + line.trimmed().toByteArray(); // an obsolete folded line
    } else if (const qsizetype colon = line.indexOf(':'); colon > 0) {
        reply->m_headers.append(
            {line.first(colon).trimmed().toByteArray(), line.sliced(colon + 1).trimmed().toByteArray()});
    }
    return length;
}

size_t HttpReply::onBody(char *data, size_t size, size_t count, void *self)
{
    auto *reply = static_cast<HttpReply *>(self);
    const size_t length = size * count;
    if (reply->m_redirecting) {
        return length; // a redirect's body is not the caller's
    }
    if (reply->m_body.size() >= HttpClient::kMaxBuffered) {
        reply->m_paused = true; // libcurl keeps this chunk and sends it again once resumed
        return CURL_WRITEFUNC_PAUSE;
    }
    reply->m_body.append(data, static_cast<qsizetype>(length));
    reply->m_newData = true;
    if (reply->m_client) {
        reply->m_client->markDirty(reply);
    }
    return length;
}

QUrl HttpReply::redirectTarget() const
{
    if ((m_status != 307 && m_status != 308) || m_redirects >= HttpClient::kMaxRedirects) {
        return {};
    }
    const QByteArray location = header("Location");
    if (location.isEmpty()) {
        return {};
    }
    const QUrl target = m_url.resolved(QUrl::fromEncoded(location, QUrl::StrictMode));
    return target.isValid() && sameOrigin(target, m_url) ? target : QUrl();
}

void HttpReply::complete(int result)
{
    if (result != CURLE_OK && m_error.isEmpty()) {
        m_error = m_errorBuffer[0] != '\0' ? QString::fromUtf8(m_errorBuffer)
                                           : QString::fromUtf8(curl_easy_strerror(static_cast<CURLcode>(result)));
    }
    release();
    m_done = true;
    if (result == CURLE_OK && m_redirecting) {
        // Again, to where the 307/308 said, with the same method, headers and body.
        m_url = redirectTarget();
        ++m_redirects;
        m_status = 0;
        m_headers.clear();
        m_headerBytes = 0;
        m_headersComplete = false;
        m_redirecting = false;
        m_body.clear();
        m_done = false;
        if (!prepare() || !m_client->start(this)) {
            m_done = true;
        }
    }
    if (m_done && m_client) {
        m_client->markDirty(this);
    }
}

void HttpReply::dispatch()
{
    const QPointer<HttpReply> self(this);
    if (m_headersComplete && !m_headersAnnounced && !m_redirecting) {
        m_headersAnnounced = true;
        Q_EMIT headersReceived();
        if (!self) {
            return;
        }
    }
    if (m_newData && !m_body.isEmpty()) {
        m_newData = false;
        Q_EMIT readyRead();
        if (!self) {
            return;
        }
    }
    if (m_paused && m_easy && m_body.size() < HttpClient::kMaxBuffered) {
        m_paused = false;
        curl_easy_pause(m_easy, CURLPAUSE_CONT); // may hand over the held-back chunk at once
    }
    if (m_done && !m_finished) {
        finish(m_error);
    }
}

void HttpReply::finish(const QString &error)
{
    m_finished = true;
    m_error = error;
    m_status = error.isEmpty() || m_headersAnnounced ? m_status : 0;
    Q_EMIT finished();
}

} // namespace latchkey::bridge
