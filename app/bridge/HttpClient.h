#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QNetworkCookieJar>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QTimer>
#include <QUrl>

class QAbstractSocket;

namespace latchkey::bridge {

class HttpConnection;

// One HTTP exchange of HttpClient: the answer's status and headers, then its body as it arrives.
// Read what readyRead() announces; finished() comes once, after the last byte or an error; then
// delete it with deleteLater().
class HttpReply : public QObject
{
    Q_OBJECT

public:
    ~HttpReply() override;

    int status() const { return m_status; } // 0 until the headers came, and on transport errors
    // A response header (case-insensitive name); repeated ones joined with ", ".
    QByteArray header(QByteArrayView name) const;
    qint64 bytesAvailable() const { return m_body.size(); }
    QByteArray readAll() { return std::exchange(m_body, {}); }
    bool isFinished() const { return m_finished; }
    QString errorString() const { return m_error; } // empty on success
    // Ends the exchange at once (finished() is emitted before abort() returns).
    void abort();

Q_SIGNALS:
    void headersReceived();
    void readyRead();
    void finished();

private:
    friend class HttpClient;
    friend class HttpConnection;
    explicit HttpReply(QObject *parent) : QObject(parent) {}
    void finish(const QString &error);

    QByteArray m_method;
    QUrl m_url;
    QList<QPair<QByteArray, QByteArray>> m_requestHeaders;
    QByteArray m_requestBody;
    int m_redirects = 0;
    bool m_retried = false; // sent again once after a kept-alive connection turned out to be closed
    QTimer m_timeout;

    int m_status = 0;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QByteArray m_body;
    bool m_finished = false;
    QString m_error;
    QPointer<HttpConnection> m_connection;
};

// A small HTTP/1.1 client for the bridge. It runs on the bridge's own thread (QNetworkAccessManager
// hands every request to a worker thread and back, which costs about half a millisecond a message)
// and keeps connections alive per origin. TLS through QSslSocket with the system's trust store, the
// application proxy as QTcpSocket uses it, cookies in a QNetworkCookieJar, redirects 307/308 (same
// method and body, never from https to http). No compression is asked for. Memory stays bounded: a
// socket holds at most kSocketBuffer unread, and nothing is read while the reader is busy.
class HttpClient : public QObject
{
    Q_OBJECT

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;
    static constexpr qint64 kSocketBuffer = 256 * 1024;
    static constexpr qsizetype kMaxHeaderBytes = 64 * 1024;

    explicit HttpClient(QObject *parent = nullptr);
    ~HttpClient() override;

    // Sends a request; timeoutMs 0 means none. The reply belongs to the caller once finished.
    HttpReply *send(const QByteArray &method, const QUrl &url, const Headers &headers, const QByteArray &body = {},
                    int timeoutMs = 0);

private:
    friend class HttpConnection;
    void start(HttpReply *reply);
    void connectionIdle(HttpConnection *connection);
    void connectionGone(HttpConnection *connection);
    void storeCookies(HttpReply *reply);
    void follow(HttpReply *reply, const QUrl &target);

    QNetworkCookieJar m_cookies;
    QHash<QString, QList<HttpConnection *>> m_idle; // by origin
};

} // namespace latchkey::bridge
