#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

struct curl_slist;

namespace latchkey::bridge {

class HttpClient;

// One HTTP exchange of HttpClient: the answer's status and headers, then its body as it arrives.
// Read what readyRead() announces; finished() comes once, after the last byte or an error; then
// delete it with deleteLater().
class HttpReply : public QObject
{
    Q_OBJECT

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;
    ~HttpReply() override;

    int status() const { return m_status; } // 0 until the headers came, and on transport errors
    // A response header (case-insensitive name); repeated ones joined with ", ".
    QByteArray header(QByteArrayView name) const;
    qint64 bytesAvailable() const { return m_body.size(); }
    QByteArray readAll();
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
    HttpReply(HttpClient *client, QByteArray method, const QUrl &url, Headers headers, QByteArray body, int timeoutMs);

    // libcurl's callbacks. They only record what came: libcurl must not be re-entered from them, and a
    // signal's receiver might (a new request, an abort), so signals wait for dispatch().
    static size_t onHeaderLine(char *data, size_t size, size_t count, void *self);
    static size_t onBody(char *data, size_t size, size_t count, void *self);

    // Creates the transfer for m_url (again after a redirect); false with m_error set if libcurl refused.
    bool prepare();
    void release();
    // Emits what arrived since the last call, and finished() once the transfer is over.
    void dispatch();
    // The transfer is over (result is a CURLcode).
    void complete(int result);
    void finish(const QString &error);
    // Where a 307/308 answer sends us, if we follow it: same origin only, at most kMaxRedirects.
    QUrl redirectTarget() const;

    QPointer<HttpClient> m_client;
    void *m_easy = nullptr; // CURL *
    curl_slist *m_requestHeaderList = nullptr;
    QByteArray m_method;
    QUrl m_url;
    Headers m_requestHeaders;
    QByteArray m_requestBody;
    int m_timeoutMs = 0;
    int m_redirects = 0;
    char m_errorBuffer[256] = {};

    int m_status = 0;
    Headers m_headers;
    qsizetype m_headerBytes = 0;
    bool m_headersComplete = false;
    bool m_headersAnnounced = false;
    bool m_redirecting = false; // this answer is a redirect we follow: its body is not the caller's
    bool m_paused = false;      // the caller has kMaxBuffered unread: libcurl holds the rest back
    bool m_newData = false;
    bool m_done = false;
    int m_result = 0;
    QByteArray m_body;
    bool m_finished = false;
    QString m_error;
};

} // namespace latchkey::bridge
