#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTcpServer>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

class QTcpSocket;

namespace latchkey::test {

// A small HTTP/1.1 server for unit tests, in process: listens on 127.0.0.1 only, on an ephemeral port.
// Each path has scripted responses (one for every request, a sequence, or a function of the request);
// unknown paths answer 404. Every request is recorded, in arrival order, with its headers and body.
// It can answer with Content-Length, close-delimited or chunked bodies, hold answers until the test
// releases them, or never answer at all. Only what the OAuth engine's tests need: no TLS, no
// chunked request bodies, no pipelining beyond answering requests of a connection in order.
class FakeHttpServer : public QObject
{
    Q_OBJECT

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    struct Request
    {
        QByteArray method;
        QByteArray target; // as on the request line (an absolute URL when we act as a proxy)
        QString path;      // percent-encoded path, without the query
        QByteArray query;  // without '?'
        Headers headers;
        QByteArray body;

        QByteArray header(QByteArrayView name) const; // the first, case-insensitive; empty when absent
        QUrlQuery form() const;                       // the body read as application/x-www-form-urlencoded
        QString formValue(const QString &key) const;  // one form value, decoded
    };

    enum class Framing
    {
        ContentLength, // Content-Length, connection kept alive
        Close,         // no length: the body ends when the connection closes
        Chunked,       // Transfer-Encoding: chunked
        AsGiven,       // only the headers given; the body as is; the connection stays open
    };

    struct Response
    {
        int status = 200;
        QByteArray body;
        Headers headers;
        Framing framing = Framing::ContentLength;
        bool hang = false; // never answer; the connection stays open

        static Response json(int status, const QByteArray &body);
        static Response text(int status, const QByteArray &body);
        Response &withHeader(const QByteArray &name, const QByteArray &value);
    };

    using Handler = std::function<Response(const Request &)>;

    explicit FakeHttpServer(QObject *parent = nullptr);
    ~FakeHttpServer() override;

    bool isListening() const { return m_server.isListening(); }
    quint16 port() const { return m_server.serverPort(); }
    // http://127.0.0.1:<port>
    QString origin() const;
    // origin() + path; path starts with '/'.
    QString urlString(const QString &path) const { return origin() + path; }
    QUrl url(const QString &path) const { return QUrl(urlString(path)); }

    // Scripts for a path (percent-encoded, without the query), any method. A later call replaces an earlier one.
    void on(const QString &path, const Response &response);
    // The responses in turn; the last one repeats.
    void on(const QString &path, const QList<Response> &sequence);
    void on(const QString &path, Handler handler);
    void clearRoutes();

    // While holding, answers are kept until releaseHeld() sends them, oldest first.
    void setHolding(bool holding) { m_holding = holding; }
    int heldCount() const { return static_cast<int>(m_held.size()); }
    void releaseHeld();

    QList<Request> requests() const { return m_requests; }
    QList<Request> requests(const QString &path) const;
    int requestCount() const { return static_cast<int>(m_requests.size()); }
    int requestCount(const QString &path) const;
    // "METHOD path" of every request, in arrival order.
    QStringList log() const;
    void clearRequests() { m_requests.clear(); }

Q_SIGNALS:
    void requestReceived(const QString &path);

private:
    struct Route
    {
        QList<Response> sequence;
        Handler handler;
        int served = 0;
    };

    void accept();
    void readFrom(QTcpSocket *socket);
    enum class Parse
    {
        Incomplete,
        Complete,
        Bad,
    };
    static Parse parseOne(QByteArray &buffer, Request *request);
    Response respond(const Request &request);
    void send(QTcpSocket *socket, const Response &response);

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<QPointer<QTcpSocket>> m_sockets;
    QHash<QString, Route> m_routes;
    QList<Request> m_requests;
    bool m_holding = false;
    QList<QPair<QPointer<QTcpSocket>, Response>> m_held;
};

} // namespace latchkey::test
