#pragma once

#include "HttpReply.h"

#include <QHash>
#include <QObject>
#include <QTimer>

class QSocketNotifier;

namespace latchkey::bridge {

// The bridge's HTTP client: libcurl's multi interface driven by this thread's Qt event loop. Qt's
// QNetworkAccessManager hands every request to a worker thread and back (and, in Qt 6.4, reads each
// answer's headers from the socket a byte per system call), which cost about half a millisecond a
// message; libcurl on the bridge's own thread does not, and is a library, not a hand-written HTTP stack.
//
// What it does: keep-alive connections reused across requests, HTTP/2 where TLS offers it, TLS verified
// against the system's trust store, cookies kept in memory for the session, redirects 307/308 to the same
// origin only (a bearer token never follows a redirect to another host), nothing compressed asked for,
// proxies as the usual *_proxy environment variables say (never for a loopback server). Memory stays
// bounded: a reply holds at most kMaxBuffered unread (libcurl pauses the transfer meanwhile) and headers
// are capped at kMaxHeaderBytes.
class HttpClient : public QObject
{
    Q_OBJECT

public:
    using Headers = HttpReply::Headers;
    static constexpr qint64 kMaxBuffered = 256 * 1024;
    static constexpr qsizetype kMaxHeaderBytes = 64 * 1024;
    static constexpr int kMaxRedirects = 5;

    explicit HttpClient(QObject *parent = nullptr);
    ~HttpClient() override;

    // Sends a request; timeoutMs 0 means none. The reply belongs to the caller once finished. Header
    // lines that would break the request (CR, LF or NUL in them) are dropped.
    HttpReply *send(const QByteArray &method, const QUrl &url, const Headers &headers, const QByteArray &body = {},
                    int timeoutMs = 0);

private:
    friend class HttpReply;
    struct Watch
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
    };

    static int onSocket(void *easy, int fd, int what, void *self, void *socketData);
    static int onTimer(void *multi, long timeoutMs, void *self);
    bool start(HttpReply *reply);
    void stop(HttpReply *reply);
    // Lets libcurl act on `fd` (or on its timeouts), then hands out what the transfers got.
    void perform(int fd, int events);
    void markDirty(HttpReply *reply);
    void unwatch(int fd);

    void *m_multi = nullptr; // CURLM *
    void *m_share = nullptr; // CURLSH *: the cookies all requests share
    QHash<int, Watch> m_watches;
    QTimer m_timer;
    QList<QPointer<HttpReply>> m_dirty;
};

} // namespace latchkey::bridge
