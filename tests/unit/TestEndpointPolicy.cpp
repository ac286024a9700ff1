#include "EndpointPolicy.h"

#include <QTest>

using latchkey::oauth::EndpointPolicy;

class TestEndpointPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void endpoints_data();
    void endpoints();
    void browserUrls_data();
    void browserUrls();
    void loopback_data();
    void loopback();
};

void TestEndpointPolicy::endpoints_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("https") << QStringLiteral("https://as.example.com/token") << true;
    QTest::newRow("https port") << QStringLiteral("https://as.example.com:8443/oauth2/v1/token") << true;
    QTest::newRow("https query") << QStringLiteral("https://as.example.com/authorize?tenant=x") << true;
    QTest::newRow("HTTPS uppercase") << QStringLiteral("HTTPS://AS.example.com/token") << true;
    QTest::newRow("punycode host") << QStringLiteral("https://xn--bcher-kva.example/token") << true;
    QTest::newRow("http 127.0.0.1") << QStringLiteral("http://127.0.0.1:4444/token") << true;
    QTest::newRow("http [::1]") << QStringLiteral("http://[::1]:4444/token") << true;
    QTest::newRow("http localhost") << QStringLiteral("http://localhost:3000/token") << true;
    QTest::newRow("http LOCALHOST") << QStringLiteral("http://LOCALHOST/token") << true;
    QTest::newRow("http 127.1 (= 127.0.0.1)") << QStringLiteral("http://127.1/token") << true;

    QTest::newRow("http remote") << QStringLiteral("http://as.example.com/token") << false;
    QTest::newRow("http other loopback net") << QStringLiteral("http://127.0.0.2/token") << false;
    QTest::newRow("http localhost.") << QStringLiteral("http://localhost./token") << false;
    QTest::newRow("http localhost subdomain") << QStringLiteral("http://localhost.evil.com/token") << false;
    QTest::newRow("http mapped v4") << QStringLiteral("http://[::ffff:127.0.0.1]/token") << false;
    QTest::newRow("http 0.0.0.0") << QStringLiteral("http://0.0.0.0/token") << false;
    QTest::newRow("ftp") << QStringLiteral("ftp://as.example.com/token") << false;
    QTest::newRow("javascript") << QStringLiteral("javascript:alert(1)") << false;
    QTest::newRow("file") << QStringLiteral("file:///etc/passwd") << false;
    QTest::newRow("data") << QStringLiteral("data:text/html,x") << false;
    QTest::newRow("relative") << QStringLiteral("/token") << false;
    QTest::newRow("scheme-relative") << QStringLiteral("//as.example.com/token") << false;
    QTest::newRow("no host") << QStringLiteral("https:///token") << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("userinfo") << QStringLiteral("https://user:pass@as.example.com/token") << false;
    QTest::newRow("user only") << QStringLiteral("https://as.example.com@evil.com/token") << false;
    QTest::newRow("empty userinfo") << QStringLiteral("https://@as.example.com/token") << false;
    QTest::newRow("fragment") << QStringLiteral("https://as.example.com/token#x") << false;
    QTest::newRow("empty fragment") << QStringLiteral("https://as.example.com/token#") << false;
    QTest::newRow("backslash") << QStringLiteral("https://evil.com\\@as.example.com/token") << false;
    QTest::newRow("backslash path") << QStringLiteral("https://as.example.com\\token") << false;
    QTest::newRow("space") << QStringLiteral("https://as.example.com/to ken") << false;
    QTest::newRow("leading space") << QStringLiteral(" https://as.example.com/token") << false;
    QTest::newRow("tab") << QStringLiteral("https://as.example.com/\ttoken") << false;
    QTest::newRow("newline") << QStringLiteral("https://as.example.com/token\n") << false;
    QTest::newRow("NUL") << QStringLiteral("https://as.example.com/token") + QChar(0) << false;
    QTest::newRow("raw unicode host") << QStringLiteral("https://b\u00fccher.example/token") << false;
    QTest::newRow("too long") << QStringLiteral("https://as.example.com/") +
                                     QString(EndpointPolicy::MaxEndpointLength, u'a')
                              << false;
}

void TestEndpointPolicy::endpoints()
{
    QFETCH(QString, url);
    QFETCH(bool, accepted);
    const QString why = EndpointPolicy::checkEndpoint(url);
    QVERIFY2(why.isEmpty() == accepted, qPrintable(why.isEmpty() ? QStringLiteral("accepted") : why));
}

void TestEndpointPolicy::browserUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("authorization request")
        << QStringLiteral("https://as.example.com/authorize?response_type=code&client_id=abc&redirect_uri="
                          "http%3A%2F%2F127.0.0.1%3A50123%2Fcallback&code_challenge=x&code_challenge_method=S256"
                          "&resource=https%3A%2F%2Fmcp.example.com&state=s")
        << true;
    QTest::newRow("loopback http") << QStringLiteral("http://localhost:3000/authorize?x=1") << true;
    QTest::newRow("fragment allowed") << QStringLiteral("https://as.example.com/docs#section") << true;
    QTest::newRow("long but under cap") << QStringLiteral("https://as.example.com/authorize?q=") +
                                               QString(16 * 1024, u'a')
                                        << true;

    QTest::newRow("http remote") << QStringLiteral("http://as.example.com/authorize") << false;
    QTest::newRow("javascript") << QStringLiteral("javascript:alert(document.cookie)") << false;
    QTest::newRow("file") << QStringLiteral("file:///home/user/.ssh/id_ed25519") << false;
    QTest::newRow("custom scheme") << QStringLiteral("ms-msdt:/id PCWDiagnostic") << false;
    QTest::newRow("shell metacharacters") << QStringLiteral("https://as.example.com/$(touch /tmp/x) ") << false;
    QTest::newRow("userinfo") << QStringLiteral("https://as.example.com@evil.com/authorize") << false;
    QTest::newRow("backslash") << QStringLiteral("https://evil.com\\@as.example.com/") << false;
    QTest::newRow("too long") << QStringLiteral("https://as.example.com/authorize?q=") +
                                     QString(EndpointPolicy::MaxBrowserUrlLength, u'a')
                              << false;
}

void TestEndpointPolicy::browserUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, accepted);
    const QString why = EndpointPolicy::checkBrowserUrl(url);
    QVERIFY2(why.isEmpty() == accepted, qPrintable(why.isEmpty() ? QStringLiteral("accepted") : why));
}

void TestEndpointPolicy::loopback_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("127.0.0.1") << QStringLiteral("http://127.0.0.1:1/") << true;
    QTest::newRow("::1") << QStringLiteral("http://[::1]/") << true;
    QTest::newRow("localhost") << QStringLiteral("https://localhost/") << true;
    QTest::newRow("Localhost") << QStringLiteral("https://Localhost/") << true;
    QTest::newRow("example") << QStringLiteral("https://example.com/") << false;
    QTest::newRow("127.0.0.10") << QStringLiteral("http://127.0.0.10/") << false;
    QTest::newRow("no host") << QStringLiteral("file:///x") << false;
}

void TestEndpointPolicy::loopback()
{
    QFETCH(QString, url);
    QFETCH(bool, loopback);
    QCOMPARE(EndpointPolicy::isLoopbackHost(QUrl(url)), loopback);
}

QTEST_APPLESS_MAIN(TestEndpointPolicy)
#include "TestEndpointPolicy.moc"
