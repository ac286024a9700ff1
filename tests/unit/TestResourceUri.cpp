#include "ResourceUri.h"

#include <QTest>

using latchkey::oauth::ResourceUri;

class TestResourceUri : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void canonical_data();
    void canonical();
    void refused_data();
    void refused();
    void fragmentOnlyDroppedForServerUrls();
    void idempotent_data();
    void idempotent();
    void matches_data();
    void matches();
    void equality();
};

void TestResourceUri::canonical_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("canonical");

    // The MCP specification's examples of canonical URIs stay as they are.
    QTest::newRow("spec: path") << QStringLiteral("https://mcp.example.com/mcp")
                                << QStringLiteral("https://mcp.example.com/mcp");
    QTest::newRow("spec: host") << QStringLiteral("https://mcp.example.com")
                                << QStringLiteral("https://mcp.example.com");
    QTest::newRow("spec: port") << QStringLiteral("https://mcp.example.com:8443")
                                << QStringLiteral("https://mcp.example.com:8443");
    QTest::newRow("spec: deep path") << QStringLiteral("https://mcp.example.com/server/mcp")
                                     << QStringLiteral("https://mcp.example.com/server/mcp");
    // Root slash dropped (spec: "SHOULD consistently use the form without the trailing slash").
    QTest::newRow("root slash") << QStringLiteral("https://mcp.example.com/")
                                << QStringLiteral("https://mcp.example.com");
    QTest::newRow("root slash with port")
        << QStringLiteral("https://mcp.example.com:8443/") << QStringLiteral("https://mcp.example.com:8443");
    // A trailing slash on a real path is part of the path the server lives at: kept.
    QTest::newRow("path slash kept") << QStringLiteral("https://mcp.example.com/mcp/")
                                     << QStringLiteral("https://mcp.example.com/mcp/");
    // Case: scheme and host fold, the path does not.
    QTest::newRow("uppercase scheme host")
        << QStringLiteral("HTTPS://MCP.Example.COM/MCP") << QStringLiteral("https://mcp.example.com/MCP");
    // Default ports.
    QTest::newRow("https 443") << QStringLiteral("https://h:443/mcp") << QStringLiteral("https://h/mcp");
    QTest::newRow("http 80") << QStringLiteral("http://127.0.0.1:80/mcp") << QStringLiteral("http://127.0.0.1/mcp");
    QTest::newRow("https 80 kept") << QStringLiteral("https://h:80/mcp") << QStringLiteral("https://h:80/mcp");
    QTest::newRow("http 443 kept") << QStringLiteral("http://h:443/mcp") << QStringLiteral("http://h:443/mcp");
    QTest::newRow("leading zero port") << QStringLiteral("https://h:0443/") << QStringLiteral("https://h");
    QTest::newRow("empty port") << QStringLiteral("https://h:/mcp") << QStringLiteral("https://h/mcp");
    QTest::newRow("loopback port") << QStringLiteral("http://localhost:3000/mcp")
                                   << QStringLiteral("http://localhost:3000/mcp");
    // Fragments go.
    QTest::newRow("fragment") << QStringLiteral("https://h/mcp#frag") << QStringLiteral("https://h/mcp");
    QTest::newRow("empty fragment") << QStringLiteral("https://h/mcp#") << QStringLiteral("https://h/mcp");
    QTest::newRow("root fragment") << QStringLiteral("https://h/#x") << QStringLiteral("https://h");
    // Queries stay; an empty one goes.
    QTest::newRow("query") << QStringLiteral("https://h/mcp?tenant=a") << QStringLiteral("https://h/mcp?tenant=a");
    QTest::newRow("empty query") << QStringLiteral("https://h/mcp?") << QStringLiteral("https://h/mcp");
    QTest::newRow("root query") << QStringLiteral("https://h/?x=1") << QStringLiteral("https://h?x=1");
    // Percent-encoding normalized: unreserved decoded, hex uppercase, reserved kept.
    QTest::newRow("pct unreserved") << QStringLiteral("https://h/%7euser/%41") << QStringLiteral("https://h/~user/A");
    QTest::newRow("pct reserved") << QStringLiteral("https://h/a%2fb") << QStringLiteral("https://h/a%2Fb");
    // Hosts.
    QTest::newRow("ipv6") << QStringLiteral("http://[::1]:8080/mcp") << QStringLiteral("http://[::1]:8080/mcp");
    QTest::newRow("ipv4 short form") << QStringLiteral("http://127.1:9/mcp")
                                     << QStringLiteral("http://127.0.0.1:9/mcp");
    QTest::newRow("idn") << QStringLiteral("https://b\u00fccher.example/mcp")
                         << QStringLiteral("https://xn--bcher-kva.example/mcp");
    QTest::newRow("empty segments kept") << QStringLiteral("https://h//mcp") << QStringLiteral("https://h//mcp");
}

void TestResourceUri::canonical()
{
    QFETCH(QString, input);
    QFETCH(QString, canonical);
    const ResourceUri uri = ResourceUri::fromServerUrl(input);
    QVERIFY2(uri.isValid(), qPrintable(uri.errorString()));
    QVERIFY(uri.errorString().isEmpty());
    QCOMPARE(uri.toString(), canonical);
    QCOMPARE(QString::fromLatin1(uri.toUrl().toEncoded()), canonical);
}

void TestResourceUri::refused_data()
{
    QTest::addColumn<QString>("input");

    QTest::newRow("empty") << QString();
    QTest::newRow("no scheme (spec example)") << QStringLiteral("mcp.example.com");
    QTest::newRow("relative") << QStringLiteral("/mcp");
    QTest::newRow("scheme-relative") << QStringLiteral("//h/mcp");
    QTest::newRow("ftp") << QStringLiteral("ftp://h/mcp");
    QTest::newRow("wss") << QStringLiteral("wss://h/mcp");
    QTest::newRow("no host") << QStringLiteral("https:///mcp");
    QTest::newRow("opaque") << QStringLiteral("https:h");
    QTest::newRow("userinfo") << QStringLiteral("https://user:pw@h/mcp");
    QTest::newRow("empty userinfo") << QStringLiteral("https://@h/mcp");
    QTest::newRow("space") << QStringLiteral("https://h/m cp");
    QTest::newRow("leading space") << QStringLiteral(" https://h/mcp");
    QTest::newRow("bad port") << QStringLiteral("https://h:99999/mcp");
    QTest::newRow("dot-dot") << QStringLiteral("https://h/a/../mcp");
    QTest::newRow("dot") << QStringLiteral("https://h/./mcp");
    QTest::newRow("encoded dot-dot") << QStringLiteral("https://h/%2e%2E/mcp");
    QTest::newRow("trailing dot-dot") << QStringLiteral("https://h/mcp/..");
    QTest::newRow("too long") << QStringLiteral("https://h/") + QString(ResourceUri::MaxLength, u'a');
}

void TestResourceUri::refused()
{
    QFETCH(QString, input);
    const ResourceUri uri = ResourceUri::fromServerUrl(input);
    QVERIFY(!uri.isValid());
    QVERIFY(uri.toString().isEmpty());
    QVERIFY(!uri.errorString().isEmpty());
    QVERIFY(!ResourceUri::fromIdentifier(input).isValid());
}

void TestResourceUri::fragmentOnlyDroppedForServerUrls()
{
    QVERIFY(ResourceUri::fromServerUrl(QStringLiteral("https://mcp.example.com#fragment")).isValid());
    // RFC 8707 §2: a resource identifier MUST NOT include a fragment.
    const ResourceUri published = ResourceUri::fromIdentifier(QStringLiteral("https://mcp.example.com#fragment"));
    QVERIFY(!published.isValid());
    QVERIFY(published.errorString().contains(QStringLiteral("fragment")));
    QVERIFY(!ResourceUri::fromIdentifier(QStringLiteral("https://h/mcp#")).isValid());
}

void TestResourceUri::idempotent_data()
{
    canonical_data();
}

void TestResourceUri::idempotent()
{
    QFETCH(QString, canonical);
    QCOMPARE(ResourceUri::fromServerUrl(canonical).toString(), canonical);
    QCOMPARE(ResourceUri::fromIdentifier(canonical).toString(), canonical);
}

void TestResourceUri::matches_data()
{
    QTest::addColumn<QString>("prmResource");
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<bool>("matches");

    // Exact and equivalent spellings.
    QTest::newRow("exact") << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/mcp") << true;
    QTest::newRow("case of scheme and host")
        << QStringLiteral("HTTPS://H/mcp") << QStringLiteral("https://h/mcp") << true;
    QTest::newRow("default port") << QStringLiteral("https://h:443/mcp") << QStringLiteral("https://h/mcp") << true;
    QTest::newRow("root slash") << QStringLiteral("https://h/") << QStringLiteral("https://h") << true;
    QTest::newRow("server fragment") << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/mcp#x") << true;
    QTest::newRow("prm trailing slash") << QStringLiteral("https://h/mcp/") << QStringLiteral("https://h/mcp") << true;
    QTest::newRow("server trailing slash")
        << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/mcp/") << true;
    // Path prefix at a segment boundary (root PRM naming the origin; conformance metadata-var2).
    QTest::newRow("origin covers path") << QStringLiteral("http://localhost:3000")
                                        << QStringLiteral("http://localhost:3000/mcp") << true;
    QTest::newRow("prefix covers deeper")
        << QStringLiteral("https://h/tenant") << QStringLiteral("https://h/tenant/mcp") << true;
    QTest::newRow("not a segment prefix")
        << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/mcpx") << false;
    QTest::newRow("deeper does not cover shallower")
        << QStringLiteral("https://h/mcp/a") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("sibling path") << QStringLiteral("https://h/other") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("path case") << QStringLiteral("https://h/MCP") << QStringLiteral("https://h/mcp") << false;
    // Different origin: never (conformance auth/resource-mismatch).
    QTest::newRow("evil host") << QStringLiteral("https://evil.example.com/mcp")
                               << QStringLiteral("http://localhost:3000/mcp") << false;
    QTest::newRow("scheme") << QStringLiteral("http://h/mcp") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("port") << QStringLiteral("https://h:8443/mcp") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("subdomain") << QStringLiteral("https://h/mcp") << QStringLiteral("https://a.h/mcp") << false;
    QTest::newRow("parent domain") << QStringLiteral("https://a.h/mcp") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("suffix host") << QStringLiteral("https://h.evil/mcp") << QStringLiteral("https://h/mcp") << false;
    // Queries: a PRM resource with a query must equal the server exactly.
    QTest::newRow("query equal") << QStringLiteral("https://h/mcp?t=1") << QStringLiteral("https://h/mcp?t=1") << true;
    QTest::newRow("query differs") << QStringLiteral("https://h/mcp?t=1") << QStringLiteral("https://h/mcp?t=2")
                                   << false;
    QTest::newRow("query missing on server")
        << QStringLiteral("https://h/mcp?t=1") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("server query under prefix")
        << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/mcp?t=1") << true;
    // Invalid on either side.
    QTest::newRow("prm with fragment") << QStringLiteral("https://h/mcp#x") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("prm not a URL") << QStringLiteral("h/mcp") << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("prm empty") << QString() << QStringLiteral("https://h/mcp") << false;
    QTest::newRow("server invalid") << QStringLiteral("https://h") << QStringLiteral("https://h/../x") << false;
    QTest::newRow("prm userinfo") << QStringLiteral("https://h@h/mcp") << QStringLiteral("https://h/mcp") << false;
}

void TestResourceUri::matches()
{
    QFETCH(QString, prmResource);
    QFETCH(QString, serverUrl);
    QFETCH(bool, matches);
    QCOMPARE(ResourceUri::prmResourceMatchesServer(prmResource, serverUrl), matches);
}

void TestResourceUri::equality()
{
    QCOMPARE(ResourceUri::fromServerUrl(QStringLiteral("HTTPS://H:443/")),
             ResourceUri::fromServerUrl(QStringLiteral("https://h")));
    QVERIFY(!(ResourceUri::fromServerUrl(QStringLiteral("https://h/mcp")) ==
              ResourceUri::fromServerUrl(QStringLiteral("https://h/mcp/"))));
    QVERIFY(!ResourceUri().isValid());
    QVERIFY(!ResourceUri().covers(ResourceUri()));
}

QTEST_APPLESS_MAIN(TestResourceUri)
#include "TestResourceUri.moc"
