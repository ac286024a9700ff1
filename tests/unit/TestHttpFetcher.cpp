// Unit tests for HttpFetcher against an in-process HTTP server: the size cap (declared or not), the
// per-request timeout, no redirects, and the endpoint policy applied before anything is sent.
#include "FakeHttpServer.h"
#include "HttpFetcher.h"

#include <QElapsedTimer>
#include <QNetworkProxy>
#include <QTcpServer>
#include <QTest>

using latchkey::HttpFetcher;
using latchkey::HttpResponse;
using latchkey::test::FakeHttpServer;
using Framing = FakeHttpServer::Framing;

Q_DECLARE_METATYPE(FakeHttpServer::Framing)

namespace {

struct Outcome
{
    int calls = 0;
    HttpResponse response;

    HttpFetcher::Callback callback()
    {
        return [this](const HttpResponse &r) {
            ++calls;
            response = r;
        };
    }
};

QByteArray pattern(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i) {
        out[i] = static_cast<char>('a' + i % 26);
    }
    return out;
}

} // namespace

class TestHttpFetcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void getReturnsStatusBodyAndHeaders();
    void postFormEncodesEveryValue();
    void postSendsBodyAndContentType();
    void errorStatusIsNotATransportError();
    void sizeCap_data();
    void sizeCap();
    void declaredTooBigRefusedBeforeTheBody();
    void timeout();
    void answerWithinTimeout();
    void redirectsNotFollowed_data();
    void redirectsNotFollowed();
    void refusedEndpointSendsNothing_data();
    void refusedEndpointSendsNothing();
    void connectionRefused();

private:
    std::unique_ptr<FakeHttpServer> m_server;
    std::unique_ptr<HttpFetcher> m_http;
};

void TestHttpFetcher::init()
{
    m_server = std::make_unique<FakeHttpServer>();
    QVERIFY(m_server->isListening());
    m_http = std::make_unique<HttpFetcher>();
}

void TestHttpFetcher::cleanup()
{
    m_http.reset();
    m_server.reset();
}

void TestHttpFetcher::getReturnsStatusBodyAndHeaders()
{
    m_server->on(
        QStringLiteral("/doc"),
        FakeHttpServer::Response::json(200, R"({"a":1})").withHeader("X-Two", "first").withHeader("x-two", "second"));
    Outcome outcome;
    m_http->get(m_server->url(QStringLiteral("/doc?q=1")), {{"Accept", "application/json"}}, outcome.callback());
    QCOMPARE(outcome.calls, 0); // always asynchronous
    QTRY_COMPARE(outcome.calls, 1);
    const HttpResponse &response = outcome.response;
    QVERIFY2(response.error.isEmpty(), qPrintable(response.error));
    QCOMPARE(response.status, 200);
    QVERIFY(response.ok());
    QCOMPARE(response.body, QByteArray(R"({"a":1})"));
    QCOMPARE(response.header("CONTENT-TYPE"), QByteArray("application/json"));
    // Qt joins repeated fields into one list (RFC 9110 §5.3); headerValues() finds it by any case.
    QCOMPARE(response.headerValues("X-TWO"), QList<QByteArray>{"first, second"});
    QVERIFY(response.header("X-Absent").isEmpty());

    QCOMPARE(m_server->requestCount(), 1);
    const FakeHttpServer::Request request = m_server->requests().front();
    QCOMPARE(request.method, QByteArray("GET"));
    QCOMPARE(request.path, QStringLiteral("/doc"));
    QCOMPARE(request.query, QByteArray("q=1"));
    QCOMPARE(request.header("Accept"), QByteArray("application/json"));
    QVERIFY(request.header("User-Agent").startsWith("Latchkey/"));
    QVERIFY(request.header("Authorization").isEmpty());
}

void TestHttpFetcher::postFormEncodesEveryValue()
{
    m_server->on(QStringLiteral("/token"), FakeHttpServer::Response::json(200, "{}"));
    const QList<QPair<QString, QString>> form = {
        {QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
        {QStringLiteral("refresh_token"), QStringLiteral("a+b/c=d&e f%20g")},
        {QStringLiteral("resource"), QStringLiteral("https://mcp.example.com/mcp?x=1&y=2")},
        {QStringLiteral("r\u00e9sum\u00e9"), QStringLiteral("\u00fc\u20ac")},
        {QStringLiteral("empty"), QString()}};
    Outcome outcome;
    m_http->postForm(m_server->url(QStringLiteral("/token")), form, {}, outcome.callback());
    QTRY_COMPARE(outcome.calls, 1);
    QVERIFY(outcome.response.ok());

    const FakeHttpServer::Request request = m_server->requests().front();
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.header("Content-Type"), QByteArray("application/x-www-form-urlencoded"));
    // Every reserved character is escaped: no value can add or split a parameter.
    QCOMPARE(request.body.count('&'), form.size() - 1);
    QCOMPARE(request.body.count('='), form.size());
    for (const auto &[key, value] : form) {
        QCOMPARE(request.formValue(key), value);
    }
    QCOMPARE(HttpFetcher::encodeForm({{QStringLiteral("a b"), QStringLiteral("+&=")}}), QByteArray("a%20b=%2B%26%3D"));
    QCOMPARE(HttpFetcher::encodeForm({}), QByteArray());
}

void TestHttpFetcher::postSendsBodyAndContentType()
{
    m_server->on(QStringLiteral("/register"), FakeHttpServer::Response::json(201, R"({"client_id":"x"})"));
    Outcome outcome;
    const QByteArray body = R"({"client_name":"Latchkey"})";
    m_http->post(m_server->url(QStringLiteral("/register")), "application/json", body, {{"X-Extra", "1"}},
                 outcome.callback());
    QTRY_COMPARE(outcome.calls, 1);
    QCOMPARE(outcome.response.status, 201);
    QVERIFY(outcome.response.ok());
    const FakeHttpServer::Request request = m_server->requests().front();
    QCOMPARE(request.body, body);
    QCOMPARE(request.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(request.header("X-Extra"), QByteArray("1"));
}

void TestHttpFetcher::errorStatusIsNotATransportError()
{
    m_server->on(
        QStringLiteral("/token"),
        FakeHttpServer::Response::json(400, R"({"error":"invalid_grant"})").withHeader("Cache-Control", "no-store"));
    Outcome outcome;
    m_http->postForm(m_server->url(QStringLiteral("/token")), {}, {}, outcome.callback());
    QTRY_COMPARE(outcome.calls, 1);
    QCOMPARE(outcome.response.status, 400);
    QVERIFY(outcome.response.error.isEmpty());
    QVERIFY(!outcome.response.ok());
    QCOMPARE(outcome.response.body, QByteArray(R"({"error":"invalid_grant"})")); // the OAuth error is readable
    QCOMPARE(outcome.response.header("cache-control"), QByteArray("no-store"));

    Outcome missing;
    m_http->get(m_server->url(QStringLiteral("/nowhere")), {}, missing.callback());
    QTRY_COMPARE(missing.calls, 1);
    QCOMPARE(missing.response.status, 404);
    QVERIFY(missing.response.error.isEmpty());
    QVERIFY(!missing.response.ok());
}

void TestHttpFetcher::sizeCap_data()
{
    QTest::addColumn<Framing>("framing");
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("accepted");

    const qsizetype cap = HttpFetcher::kMaxBody;
    const QList<QPair<const char *, Framing>> framings = {
        {"content-length", Framing::ContentLength}, {"close-delimited", Framing::Close}, {"chunked", Framing::Chunked}};
    for (const auto &[name, framing] : framings) {
        QTest::addRow("%s at the cap", name) << framing << cap << true;
        QTest::addRow("%s one over", name) << framing << cap + 1 << false;
        QTest::addRow("%s 4 MiB", name) << framing << 4 * cap << false;
    }
}

void TestHttpFetcher::sizeCap()
{
    QFETCH(Framing, framing);
    QFETCH(qsizetype, size);
    QFETCH(bool, accepted);

    FakeHttpServer::Response big = FakeHttpServer::Response::json(200, pattern(size));
    big.framing = framing;
    m_server->on(QStringLiteral("/big"), big);
    Outcome outcome;
    m_http->get(m_server->url(QStringLiteral("/big")), {}, outcome.callback());
    QTRY_COMPARE_WITH_TIMEOUT(outcome.calls, 1, 10000);
    if (accepted) {
        QVERIFY2(outcome.response.error.isEmpty(), qPrintable(outcome.response.error));
        QVERIFY(outcome.response.ok());
        QCOMPARE(outcome.response.body.size(), size);
        QCOMPARE(outcome.response.body, big.body);
    } else {
        QVERIFY(!outcome.response.ok());
        QVERIFY2(outcome.response.error.contains(QStringLiteral("more than %1 bytes").arg(HttpFetcher::kMaxBody)),
                 qPrintable(outcome.response.error));
        QVERIFY(outcome.response.body.isEmpty()); // nothing of an oversized answer is handed on
    }
}

void TestHttpFetcher::declaredTooBigRefusedBeforeTheBody()
{
    // Content-Length says 10 GiB and then nothing comes: refused on the header, not after a timeout.
    FakeHttpServer::Response liar;
    liar.framing = Framing::AsGiven;
    liar.headers = {{"Content-Type", "application/json"}, {"Content-Length", "10737418240"}};
    liar.body = "{";
    m_server->on(QStringLiteral("/liar"), liar);
    m_http->setTimeout(60000);
    Outcome outcome;
    QElapsedTimer clock;
    clock.start();
    m_http->get(m_server->url(QStringLiteral("/liar")), {}, outcome.callback());
    QTRY_COMPARE_WITH_TIMEOUT(outcome.calls, 1, 10000);
    QVERIFY2(outcome.response.error.contains(QStringLiteral("more than")), qPrintable(outcome.response.error));
    QVERIFY(outcome.response.body.isEmpty());
    QVERIFY(clock.elapsed() < 10000);
}

void TestHttpFetcher::timeout()
{
    FakeHttpServer::Response silent;
    silent.hang = true;
    m_server->on(QStringLiteral("/slow"), silent);
    m_http->setTimeout(300);
    Outcome outcome;
    QElapsedTimer clock;
    clock.start();
    m_http->get(m_server->url(QStringLiteral("/slow")), {}, outcome.callback());
    QTRY_COMPARE_WITH_TIMEOUT(outcome.calls, 1, 10000);
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(m_server->requestCount(QStringLiteral("/slow")), 1); // it was asked, and never answered
    QCOMPARE(outcome.response.status, 0);
    QVERIFY(!outcome.response.ok());
    QVERIFY2(outcome.response.error.contains(QStringLiteral("did not answer")), qPrintable(outcome.response.error));
    // The message names the timeout that applied, not the default.
    QVERIFY2(outcome.response.error.contains(QStringLiteral("0.3 s")), qPrintable(outcome.response.error));
    QVERIFY2(elapsed >= 250, QByteArray::number(elapsed).constData());
    QVERIFY2(elapsed < 5000, QByteArray::number(elapsed).constData());

    // A POST times out the same way.
    Outcome post;
    m_http->postForm(m_server->url(QStringLiteral("/slow")), {{QStringLiteral("a"), QStringLiteral("b")}}, {},
                     post.callback());
    QTRY_COMPARE_WITH_TIMEOUT(post.calls, 1, 10000);
    QCOMPARE(post.response.status, 0);
    QVERIFY(post.response.error.contains(QStringLiteral("did not answer")));
}

void TestHttpFetcher::answerWithinTimeout()
{
    m_server->on(QStringLiteral("/fast"), FakeHttpServer::Response::json(200, "{}"));
    m_http->setTimeout(2000);
    Outcome outcome;
    m_http->get(m_server->url(QStringLiteral("/fast")), {}, outcome.callback());
    QTRY_COMPARE(outcome.calls, 1);
    QVERIFY(outcome.response.ok());
}

void TestHttpFetcher::redirectsNotFollowed_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("absolute");
    QTest::addColumn<bool>("post");

    for (const int status : {301, 302, 303, 307, 308}) {
        QTest::addRow("GET %d relative", status) << status << false << false;
        QTest::addRow("GET %d absolute", status) << status << true << false;
        QTest::addRow("POST %d relative", status) << status << false << true;
    }
}

void TestHttpFetcher::redirectsNotFollowed()
{
    QFETCH(int, status);
    QFETCH(bool, absolute);
    QFETCH(bool, post);

    const QByteArray location = absolute ? m_server->urlString(QStringLiteral("/target")).toLatin1() : "/target";
    FakeHttpServer::Response redirect = FakeHttpServer::Response::text(status, "moved");
    redirect.withHeader("Location", location);
    m_server->on(QStringLiteral("/start"), redirect);
    m_server->on(QStringLiteral("/target"), FakeHttpServer::Response::json(200, R"({"followed":true})"));

    Outcome outcome;
    if (post) {
        m_http->postForm(m_server->url(QStringLiteral("/start")), {{QStringLiteral("k"), QStringLiteral("v")}}, {},
                         outcome.callback());
    } else {
        m_http->get(m_server->url(QStringLiteral("/start")), {}, outcome.callback());
    }
    QTRY_COMPARE(outcome.calls, 1);
    QCOMPARE(outcome.response.status, status);
    QVERIFY(!outcome.response.ok());
    QCOMPARE(outcome.response.header("Location"), location);
    QVERIFY(!outcome.response.body.contains("followed"));
    QCOMPARE(m_server->requestCount(QStringLiteral("/target")), 0);
    QCOMPARE(m_server->log(), QStringList{post ? QStringLiteral("POST /start") : QStringLiteral("GET /start")});
}

void TestHttpFetcher::refusedEndpointSendsNothing_data()
{
    QTest::addColumn<QString>("url");

    QTest::newRow("http remote") << QStringLiteral("http://mcp.example.com/.well-known/oauth-protected-resource");
    QTest::newRow("http private address") << QStringLiteral("http://10.0.0.1:8080/token");
    QTest::newRow("http loopback-looking name") << QStringLiteral("http://127.0.0.1.nip.io/token");
    QTest::newRow("http localhost subdomain") << QStringLiteral("http://evil.localhost.example.com/token");
    QTest::newRow("userinfo") << QStringLiteral("http://user:pass@127.0.0.1:9/token");
    QTest::newRow("fragment") << QStringLiteral("http://127.0.0.1:9/token#frag");
    QTest::newRow("ftp") << QStringLiteral("ftp://127.0.0.1/token");
    QTest::newRow("file") << QStringLiteral("file:///etc/passwd");
    QTest::newRow("empty") << QString();
}

void TestHttpFetcher::refusedEndpointSendsNothing()
{
    QFETCH(QString, url);
    // Everything this fetcher sends goes to our server acting as a proxy: a request that got out
    // would show up there.
    m_http->manager()->setProxy(QNetworkProxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"), m_server->port()));
    m_server->on(QStringLiteral("/token"), FakeHttpServer::Response::json(200, R"({"access_token":"x"})"));
    m_server->on(QStringLiteral("/.well-known/oauth-protected-resource"), FakeHttpServer::Response::json(200, "{}"));

    Outcome get;
    Outcome post;
    m_http->get(QUrl(url), {}, get.callback());
    m_http->postForm(QUrl(url), {{QStringLiteral("token"), QStringLiteral("secret")}}, {}, post.callback());
    QCOMPARE(get.calls, 0); // reported from the event loop, like every other answer
    QCOMPARE(post.calls, 0);
    QTRY_COMPARE(get.calls, 1);
    QTRY_COMPARE(post.calls, 1);
    for (const HttpResponse &response : {get.response, post.response}) {
        QCOMPARE(response.status, 0);
        QVERIFY(!response.ok());
        QVERIFY(!response.error.isEmpty());
        QVERIFY(response.body.isEmpty());
    }
    QCOMPARE(m_server->requestCount(), 0);
}

void TestHttpFetcher::connectionRefused()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    Outcome outcome;
    m_http->get(QUrl(QStringLiteral("http://127.0.0.1:%1/x").arg(port)), {}, outcome.callback());
    QTRY_COMPARE_WITH_TIMEOUT(outcome.calls, 1, 10000);
    QCOMPARE(outcome.response.status, 0);
    QVERIFY(!outcome.response.error.isEmpty());
    QVERIFY(!outcome.response.ok());
}

QTEST_GUILESS_MAIN(TestHttpFetcher)
#include "TestHttpFetcher.moc"
