// Unit tests for bridge::HttpClient (libcurl driven by the Qt event loop) against a scripted server on
// 127.0.0.1 that reads requests and writes raw bytes back: message framing (length, chunked, until
// close, interim answers, no body), keep-alive and its races, redirects (same origin only), cookies,
// caps, back-pressure, aborts and timeouts.
#include "HttpClient.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using latchkey::bridge::HttpClient;
using latchkey::bridge::HttpReply;

namespace {

// Accepts connections and keeps them; the test reads each request and writes the answer itself.
class ScriptedServer
{
public:
    ScriptedServer() { m_server.listen(QHostAddress::LocalHost, 0); }

    QUrl url(const QString &path = QStringLiteral("/mcp")) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }
    quint16 port() const { return m_server.serverPort(); }

    // The next accepted connection (waits for it, letting the client's events run meanwhile).
    QTcpSocket *nextConnection(int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!m_server.hasPendingConnections() && !deadline.hasExpired()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
            m_server.waitForNewConnection(10);
        }
        QTcpSocket *socket = m_server.nextPendingConnection();
        if (socket) {
            m_connections << socket;
        }
        return socket;
    }
    int accepted() const { return int(m_connections.size()); }

    // One whole request from `socket` (headers, and a body by Content-Length), waited for.
    static QByteArray readRequest(QTcpSocket *socket, int timeoutMs = 5000)
    {
        QByteArray data;
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            data += socket->readAll();
            const qsizetype end = data.indexOf("\r\n\r\n");
            if (end >= 0) {
                const QByteArray head = data.left(end).toLower();
                const qsizetype at = head.indexOf("content-length: ");
                const qsizetype length = at < 0 ? 0 : head.mid(at + 16, head.indexOf('\r', at) - at - 16).toLongLong();
                if (data.size() >= end + 4 + length) {
                    return data;
                }
            }
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
            socket->waitForReadyRead(10);
        }
        return data;
    }

private:
    QTcpServer m_server;
    QList<QTcpSocket *> m_connections;
};

// Waits (with a deadline) until the reply finished.
bool waitFinished(HttpReply *reply, int timeoutMs = 5000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!reply->isFinished() && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    return reply->isFinished();
}

// Everything the reply delivered, read as readyRead announces it.
struct Collector
{
    explicit Collector(HttpReply *reply)
    {
        QObject::connect(reply, &HttpReply::readyRead, reply, [this, reply] {
            ++reads;
            body += reply->readAll();
        });
        QObject::connect(reply, &HttpReply::headersReceived, reply, [this] { ++headers; });
        QObject::connect(reply, &HttpReply::finished, reply, [this] { ++finished; });
    }
    QByteArray body;
    int reads = 0;
    int headers = 0;
    int finished = 0;
};

} // namespace

class TestHttpClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestIsWellFormed();
    void contentLengthAnswer();
    void chunkedAnswerArrivesAsItComes();
    void answerUntilClose();
    void interimAnswersAreSkipped();
    void noBodyFor204();
    void keepAliveReusesTheConnection();
    void connectionCloseIsHonoured();
    void staleKeptAliveConnectionIsRetriedOnce();
    void freshConnectionClosedEarlyIsAnError();
    void brokenOffBodyIsAnError();
    void redirect307And308KeepMethodAndBody();
    void otherRedirectsAreHandedBack();
    void cookiesGoBackToTheServer();
    void headersOverTheCapFail();
    void unreadBodyPausesTheTransfer();
    void malformedAnswersFail_data();
    void malformedAnswersFail();
    void abortFinishesAtOnceAndDropsTheConnection();
    void timeoutEndsTheExchange();
    void connectionRefused();
    void proxiesNeverForLoopback();
    void headerInjectionIsDropped();
};

void TestHttpClient::requestIsWellFormed()
{
    ScriptedServer server;
    HttpClient client;
    QUrl url = server.url(QStringLiteral("/a path/x"));
    url.setQuery(QStringLiteral("q=1&r=%C3%A9"));
    HttpReply *reply =
        client.send("POST", url, {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}}, "{\"a\":1}");
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    const QByteArray request = ScriptedServer::readRequest(socket);
    QVERIFY2(request.startsWith("POST /a%20path/x?q=1&r=%C3%A9 HTTP/1.1\r\n"), request.constData());
    QVERIFY(request.contains(QByteArray("\r\nHost: 127.0.0.1:") + QByteArray::number(server.port()) + "\r\n"));
    QVERIFY(request.contains("\r\nContent-Type: application/json\r\n"));
    QVERIFY(request.contains("\r\nAccept: text/event-stream\r\n"));
    QVERIFY(request.contains("\r\nContent-Length: 7\r\n"));
    QVERIFY(!request.contains("Accept-Encoding")); // no compression asked for
    QVERIFY(request.endsWith("\r\n\r\n{\"a\":1}"));
    socket->write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 202);
    QCOMPARE(reply->errorString(), QString());
    delete reply;
}

void TestHttpClient::contentLengthAnswer()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    Collector got(reply);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nX-Twice: a\r\nX-Twice: b\r\n"
                  "Content-Length: 11\r\n\r\nhello");
    QTRY_COMPARE(got.body, QByteArray("hello"));
    QVERIFY(!reply->isFinished());
    QCOMPARE(got.headers, 1);
    QCOMPARE(reply->header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(reply->header("x-twice"), QByteArray("a, b"));
    socket->write(" world");
    QVERIFY(waitFinished(reply));
    QCOMPARE(got.body, QByteArray("hello world"));
    QCOMPARE(got.finished, 1);
    QCOMPARE(reply->errorString(), QString());
    delete reply;
}

void TestHttpClient::chunkedAnswerArrivesAsItComes()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("POST", server.url(), {}, "{}");
    Collector got(reply);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "7\r\ndata: 1\r\n");
    QTRY_COMPARE(got.body, QByteArray("data: 1"));
    // A chunk split over writes, an extension, upper-case hex, a trailer.
    socket->write("A;ext=1\r\n\n\ndata: ");
    QTRY_COMPARE(got.body, QByteArray("data: 1\n\ndata: "));
    socket->write("2\n\r\n");
    QTRY_COMPARE(got.body, QByteArray("data: 1\n\ndata: 2\n"));
    QVERIFY(!reply->isFinished());
    socket->write("1\r\n\n\r\n0\r\nX-Trailer: yes\r\n\r\n");
    QVERIFY(waitFinished(reply));
    QCOMPARE(got.body, QByteArray("data: 1\n\ndata: 2\n\n"));
    QCOMPARE(reply->errorString(), QString());
    QVERIFY(got.reads >= 3);
    delete reply;
}

void TestHttpClient::answerUntilClose()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    Collector got(reply);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.0 200 OK\r\n\r\nall of ");
    QTRY_COMPARE(got.body, QByteArray("all of "));
    socket->write("it");
    socket->disconnectFromHost();
    QVERIFY(waitFinished(reply));
    QCOMPARE(got.body, QByteArray("all of it"));
    QCOMPARE(reply->errorString(), QString());
    delete reply;
}

void TestHttpClient::interimAnswersAreSkipped()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("POST", server.url(), {}, "x");
    Collector got(reply);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 200);
    QCOMPARE(got.headers, 1);
    QCOMPARE(got.body, QByteArray("ok"));
    QCOMPARE(reply->header("Link"), QByteArray());
    delete reply;
}

void TestHttpClient::noBodyFor204()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *first = client.send("DELETE", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 204 No Content\r\n\r\n");
    QVERIFY(waitFinished(first));
    QCOMPARE(first->status(), 204);
    HttpReply *second = client.send("GET", server.url(), {});
    QVERIFY(!ScriptedServer::readRequest(socket).isEmpty()); // on the same connection
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
    QVERIFY(waitFinished(second));
    QCOMPARE(second->readAll(), QByteArray("z"));
    QCOMPARE(server.accepted(), 1);
    delete first;
    delete second;
}

void TestHttpClient::keepAliveReusesTheConnection()
{
    ScriptedServer server;
    HttpClient client;
    QTcpSocket *socket = nullptr;
    for (int i = 0; i < 5; ++i) {
        HttpReply *reply = client.send("POST", server.url(), {}, QByteArray::number(i));
        if (!socket) {
            socket = server.nextConnection();
            QVERIFY(socket);
        }
        const QByteArray request = ScriptedServer::readRequest(socket);
        QVERIFY2(request.endsWith("\r\n\r\n" + QByteArray::number(i)), request.constData());
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->readAll(), QByteArray("ok"));
        delete reply;
    }
    QCOMPARE(server.accepted(), 1);
    // Two at once need two connections.
    HttpReply *a = client.send("GET", server.url(), {});
    HttpReply *b = client.send("GET", server.url(), {});
    QTcpSocket *other = server.nextConnection();
    QVERIFY(other);
    ScriptedServer::readRequest(socket);
    ScriptedServer::readRequest(other);
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1");
    other->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2");
    QVERIFY(waitFinished(a) && waitFinished(b));
    QCOMPARE(a->readAll() + b->readAll(), QByteArray("12"));
    QCOMPARE(server.accepted(), 2);
    delete a;
    delete b;
}

void TestHttpClient::connectionCloseIsHonoured()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *first = client.send("GET", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na");
    QVERIFY(waitFinished(first));
    HttpReply *second = client.send("GET", server.url(), {});
    QTcpSocket *fresh = server.nextConnection();
    QVERIFY(fresh);
    ScriptedServer::readRequest(fresh);
    fresh->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
    QVERIFY(waitFinished(second));
    QCOMPARE(second->readAll(), QByteArray("b"));
    QCOMPARE(server.accepted(), 2);
    delete first;
    delete second;
}

void TestHttpClient::staleKeptAliveConnectionIsRetriedOnce()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *first = client.send("POST", server.url(), {}, "1");
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
    QVERIFY(waitFinished(first));
    // The server drops the idle connection just as the client reuses it.
    HttpReply *second = client.send("POST", server.url(), {}, "2");
    ScriptedServer::readRequest(socket);
    socket->abort();
    QTcpSocket *fresh = server.nextConnection();
    QVERIFY(fresh);
    QVERIFY(ScriptedServer::readRequest(fresh).endsWith("\r\n\r\n2"));
    fresh->write("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb");
    QVERIFY(waitFinished(second));
    QCOMPARE(second->errorString(), QString());
    QCOMPARE(second->readAll(), QByteArray("b"));
    delete first;
    delete second;
}

void TestHttpClient::freshConnectionClosedEarlyIsAnError()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("POST", server.url(), {}, "1");
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->abort();
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 0);
    QVERIFY(!reply->errorString().isEmpty());
    QCOMPARE(server.accepted(), 1); // not sent again: it may have been acted on
    delete reply;
}

void TestHttpClient::brokenOffBodyIsAnError()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
    socket->flush();
    QTRY_COMPARE(reply->bytesAvailable(), 9);
    socket->abort();
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 200);
    QVERIFY(!reply->errorString().isEmpty());
    delete reply;
}

void TestHttpClient::redirect307And308KeepMethodAndBody()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("POST", server.url(), {{"Accept", "x"}}, "{\"id\":1}");
    Collector got(reply);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 307 Temporary Redirect\r\nLocation: /moved\r\nContent-Length: 4\r\n\r\ngone");
    QByteArray request = ScriptedServer::readRequest(socket);
    QVERIFY2(request.startsWith("POST /moved HTTP/1.1\r\n") && request.endsWith("\r\n\r\n{\"id\":1}") &&
                 request.contains("\r\nAccept: x\r\n"),
             request.constData());
    socket->write(QByteArray("HTTP/1.1 308 Permanent Redirect\r\nLocation: http://127.0.0.1:") +
                  QByteArray::number(server.port()) + "/final\r\nContent-Length: 0\r\n\r\n");
    request = ScriptedServer::readRequest(socket);
    QVERIFY2(request.startsWith("POST /final HTTP/1.1\r\n"), request.constData());
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 200);
    QCOMPARE(got.body, QByteArray("done")); // the redirects' bodies are not part of the answer
    QCOMPARE(got.headers, 1);
    delete reply;
}

void TestHttpClient::otherRedirectsAreHandedBack()
{
    // 301/302/303 would turn the POST into a GET, which means nothing to an MCP endpoint; a redirect to
    // a scheme other than http(s), or to another origin, is handed back too.
    ScriptedServer server;
    HttpClient client;
    QTcpSocket *socket = nullptr;
    for (const QByteArray &answer :
         {QByteArray("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"),
          QByteArray("HTTP/1.1 307 Temporary Redirect\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n\r\n"),
          // Another origin (here another port) would get the bearer token and the session: never followed.
          QByteArray(
              "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:1/mcp\r\nContent-Length: 0\r\n\r\n"),
          QByteArray("HTTP/1.1 308 Permanent Redirect\r\nLocation: http://localhost:") +
              QByteArray::number(server.port()) + "/mcp\r\nContent-Length: 0\r\n\r\n"}) {
        HttpReply *reply = client.send("POST", server.url(), {}, "{}");
        if (!socket) {
            socket = server.nextConnection();
            QVERIFY(socket);
        }
        ScriptedServer::readRequest(socket);
        socket->write(answer);
        QVERIFY(waitFinished(reply));
        QCOMPARE(reply->status(), answer.mid(9, 3).toInt());
        QCOMPARE(reply->header("Location"), answer.mid(answer.indexOf("Location: ") + 10).split('\r').front());
        delete reply;
    }
    QCOMPARE(server.accepted(), 1);
}

void TestHttpClient::cookiesGoBackToTheServer()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *first = client.send("POST", server.url(), {}, "{}");
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    QVERIFY(!ScriptedServer::readRequest(socket).contains("Cookie:"));
    socket->write("HTTP/1.1 200 OK\r\nSet-Cookie: lb=node-3; Path=/\r\nSet-Cookie: other=1; Path=/mcp\r\n"
                  "Content-Length: 0\r\n\r\n");
    QVERIFY(waitFinished(first));
    HttpReply *second = client.send("POST", server.url(), {}, "{}");
    const QByteArray request = ScriptedServer::readRequest(socket);
    QVERIFY2(request.contains("\r\nCookie: ") && request.contains("lb=node-3") && request.contains("other=1"),
             request.constData());
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    QVERIFY(waitFinished(second));
    delete first;
    delete second;
}

void TestHttpClient::headersOverTheCapFail()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\n");
    const QByteArray header = "X-Filler: " + QByteArray(1000, 'f') + "\r\n";
    for (int i = 0; i < 100 && !reply->isFinished(); ++i) {
        socket->write(header);
        socket->flush();
        QCoreApplication::processEvents();
    }
    QVERIFY(waitFinished(reply));
    QVERIFY2(reply->errorString().contains(QStringLiteral("headers are over")), qPrintable(reply->errorString()));
    delete reply;
}

void TestHttpClient::unreadBodyPausesTheTransfer()
{
    // A server sending faster than the reader reads: what waits in the reply stays near kMaxBuffered
    // (libcurl pauses), and nothing is lost once the reader catches up.
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    const qsizetype total = 8 * HttpClient::kMaxBuffered;
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(total) + "\r\n\r\n");
    const QByteArray block(64 * 1024, 'x');
    for (qsizetype sent = 0; sent < total; sent += block.size()) {
        socket->write(block);
    }
    qint64 most = 0;
    QDeadlineTimer deadline(10000);
    // Not reading: the reply fills up to its cap and stops there.
    while (!deadline.hasExpired() && reply->bytesAvailable() < HttpClient::kMaxBuffered) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        socket->flush();
    }
    for (int i = 0; i < 20; ++i) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        socket->flush();
        most = qMax(most, reply->bytesAvailable());
    }
    QVERIFY2(most >= HttpClient::kMaxBuffered && most <= HttpClient::kMaxBuffered + 64 * 1024,
             QByteArray::number(most).constData());
    QVERIFY(!reply->isFinished());
    // Reading: everything arrives.
    qint64 received = reply->readAll().size();
    connect(reply, &HttpReply::readyRead, reply, [&] {
        most = qMax(most, reply->bytesAvailable());
        received += reply->readAll().size();
    });
    while (!deadline.hasExpired() && !reply->isFinished()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        socket->flush();
    }
    received += reply->readAll().size();
    QCOMPARE(reply->errorString(), QString());
    QCOMPARE(received, total);
    QVERIFY(most <= HttpClient::kMaxBuffered + 64 * 1024);
    delete reply;
}

void TestHttpClient::malformedAnswersFail_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n");
    QTest::newRow("no status code") << QByteArray("HTTP/1.1 OK\r\n\r\n");
    QTest::newRow("header without colon") << QByteArray("HTTP/1.1 200 OK\r\nbroken\r\n\r\n");
    QTest::newRow("bad length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n");
    QTest::newRow("bad chunk size") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    QTest::newRow("chunk without its CRLF")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n");
}

void TestHttpClient::malformedAnswersFail()
{
    QFETCH(QByteArray, answer);
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write(answer);
    QVERIFY(waitFinished(reply));
    QVERIFY(!reply->errorString().isEmpty());
    QTRY_COMPARE(socket->state(), QAbstractSocket::UnconnectedState); // never reused
    delete reply;
}

void TestHttpClient::abortFinishesAtOnceAndDropsTheConnection()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {});
    QSignalSpy finished(reply, &HttpReply::finished);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    ScriptedServer::readRequest(socket);
    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    QTRY_COMPARE(reply->status(), 200);
    reply->abort();
    QCOMPARE(finished.size(), 1);
    QVERIFY(!reply->errorString().isEmpty());
    reply->abort(); // again: nothing more
    QCOMPARE(finished.size(), 1);
    QTRY_COMPARE(socket->state(), QAbstractSocket::UnconnectedState);
    delete reply;
    // Deleting an unfinished reply is an abort too.
    HttpReply *other = client.send("GET", server.url(), {});
    QTcpSocket *second = server.nextConnection();
    QVERIFY(second);
    delete other;
    QTRY_COMPARE(second->state(), QAbstractSocket::UnconnectedState);
}

void TestHttpClient::timeoutEndsTheExchange()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("DELETE", server.url(), {}, {}, 200);
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    QVERIFY(waitFinished(reply, 5000));
    QVERIFY2(reply->errorString().contains(QStringLiteral("timed out after")), qPrintable(reply->errorString()));
    QTRY_COMPARE(socket->state(), QAbstractSocket::UnconnectedState);
    delete reply;
}

void TestHttpClient::proxiesNeverForLoopback()
{
    // http_proxy names our scripted server: a remote host goes through it, a loopback one never does.
    ScriptedServer proxy;
    ScriptedServer local;
    const QByteArray saved = qgetenv("http_proxy");
    qputenv("http_proxy", QStringLiteral("http://127.0.0.1:%1").arg(proxy.port()).toUtf8());
    HttpClient client;
    HttpReply *remote = client.send("GET", QUrl(QStringLiteral("http://mcp.example.invalid/mcp")), {});
    QTcpSocket *viaProxy = proxy.nextConnection();
    QVERIFY(viaProxy);
    const QByteArray proxied = ScriptedServer::readRequest(viaProxy);
    QVERIFY2(proxied.startsWith("GET http://mcp.example.invalid/mcp HTTP/1.1\r\n"), proxied.constData());
    viaProxy->write("HTTP/1.1 204 No Content\r\n\r\n");
    QVERIFY(waitFinished(remote));
    QCOMPARE(remote->status(), 204);
    delete remote;
    HttpReply *reply = client.send("GET", local.url(), {});
    QTcpSocket *direct = local.nextConnection();
    QVERIFY(direct);
    QVERIFY(ScriptedServer::readRequest(direct).startsWith("GET /mcp HTTP/1.1\r\n"));
    direct->write("HTTP/1.1 204 No Content\r\n\r\n");
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 204);
    QCOMPARE(proxy.accepted(), 1);
    delete reply;
    // localhost by name too.
    HttpReply *named = client.send("GET", QUrl(QStringLiteral("http://localhost:%1/mcp").arg(local.port())), {});
    QTcpSocket *direct2 = local.nextConnection();
    QVERIFY(direct2);
    QVERIFY(ScriptedServer::readRequest(direct2).startsWith("GET /mcp HTTP/1.1\r\n"));
    direct2->write("HTTP/1.1 204 No Content\r\n\r\n");
    QVERIFY(waitFinished(named));
    QCOMPARE(named->status(), 204);
    QCOMPARE(proxy.accepted(), 1);
    delete named;
    if (saved.isNull()) {
        qunsetenv("http_proxy");
    } else {
        qputenv("http_proxy", saved);
    }
}

void TestHttpClient::connectionRefused()
{
    quint16 port = 0;
    {
        QTcpServer gone;
        QVERIFY(gone.listen(QHostAddress::LocalHost, 0));
        port = gone.serverPort();
    }
    HttpClient client;
    HttpReply *reply = client.send("POST", QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port)), {}, "{}");
    QVERIFY(waitFinished(reply));
    QCOMPARE(reply->status(), 0);
    QVERIFY2(reply->errorString().contains(QStringLiteral("connect"), Qt::CaseInsensitive),
             qPrintable(reply->errorString()));
    delete reply;
    HttpReply *ftp = client.send("GET", QUrl(QStringLiteral("ftp://127.0.0.1/x")), {});
    QVERIFY(!ftp->isFinished()); // the error comes from the event loop, after the caller connected
    QVERIFY(waitFinished(ftp));
    QVERIFY(!ftp->errorString().isEmpty());
    delete ftp;
}

void TestHttpClient::headerInjectionIsDropped()
{
    ScriptedServer server;
    HttpClient client;
    HttpReply *reply = client.send("GET", server.url(), {{"X-Ok", "fine"}, {"X-Bad", "a\r\nInjected: yes"}});
    QTcpSocket *socket = server.nextConnection();
    QVERIFY(socket);
    const QByteArray request = ScriptedServer::readRequest(socket);
    QVERIFY(request.contains("\r\nX-Ok: fine\r\n"));
    QVERIFY(!request.contains("Injected") && !request.contains("X-Bad"));
    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    QVERIFY(waitFinished(reply));
    delete reply;
}

QTEST_GUILESS_MAIN(TestHttpClient)
#include "TestHttpClient.moc"
