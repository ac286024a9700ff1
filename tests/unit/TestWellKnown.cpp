#include "WellKnown.h"

#include <QTest>

using latchkey::oauth::WellKnown;

namespace {

QStringList strings(const QList<QUrl> &urls)
{
    QStringList out;
    for (const QUrl &url : urls) {
        out.append(QString::fromLatin1(url.toEncoded()));
    }
    return out;
}

} // namespace

class TestWellKnown : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void protectedResource_data();
    void protectedResource();
    void resourceMetadataHint_data();
    void resourceMetadataHint();
    void authorizationServer_data();
    void authorizationServer();
    void legacy();
};

void TestWellKnown::protectedResource_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QStringList>("expected");

    // mcp-auth.md item 1: path-inserted first, then the root.
    QTest::newRow("path") << QStringLiteral("https://mcp.example.com/mcp")
                          << QStringList{
                                 QStringLiteral("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"),
                                 QStringLiteral("https://mcp.example.com/.well-known/oauth-protected-resource")};
    QTest::newRow("deep path") << QStringLiteral("https://h/server/v1/mcp")
                               << QStringList{
                                      QStringLiteral("https://h/.well-known/oauth-protected-resource/server/v1/mcp"),
                                      QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // RFC 9728 §3.1: a terminating slash is removed before inserting.
    QTest::newRow("path trailing slash") << QStringLiteral("https://h/mcp/")
                                         << QStringList{
                                                QStringLiteral("https://h/.well-known/oauth-protected-resource/mcp"),
                                                QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // A server at the root: just the root (the spec's "not applicable if the MCP server is at the root").
    QTest::newRow("root") << QStringLiteral("https://h")
                          << QStringList{QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    QTest::newRow("root slash") << QStringLiteral("https://h/")
                                << QStringList{QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // The query stays with the inserted form only.
    QTest::newRow("query") << QStringLiteral("https://h/mcp?tenant=a")
                           << QStringList{QStringLiteral("https://h/.well-known/oauth-protected-resource/mcp?tenant=a"),
                                          QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    QTest::newRow("root query") << QStringLiteral("https://h?tenant=a")
                                << QStringList{
                                       QStringLiteral("https://h/.well-known/oauth-protected-resource?tenant=a"),
                                       QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // Canonicalized first: case, default port, fragment.
    QTest::newRow("canonicalized") << QStringLiteral("HTTPS://H:443/Mcp#x")
                                   << QStringList{QStringLiteral("https://h/.well-known/oauth-protected-resource/Mcp"),
                                                  QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    QTest::newRow("port kept") << QStringLiteral("http://localhost:3000/mcp")
                               << QStringList{
                                      QStringLiteral("http://localhost:3000/.well-known/oauth-protected-resource/mcp"),
                                      QStringLiteral("http://localhost:3000/.well-known/oauth-protected-resource")};
    QTest::newRow("percent-encoded path")
        << QStringLiteral("https://h/a%2Fb")
        << QStringList{QStringLiteral("https://h/.well-known/oauth-protected-resource/a%2Fb"),
                       QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // Unusable servers: nothing to try.
    QTest::newRow("plain http remote") << QStringLiteral("http://h/mcp") << QStringList{};
    QTest::newRow("not a url") << QStringLiteral("h/mcp") << QStringList{};
    QTest::newRow("dot segments") << QStringLiteral("https://h/a/../mcp") << QStringList{};
    QTest::newRow("userinfo") << QStringLiteral("https://u@h/mcp") << QStringList{};
}

void TestWellKnown::protectedResource()
{
    QFETCH(QString, serverUrl);
    QFETCH(QStringList, expected);
    QCOMPARE(strings(WellKnown::protectedResourceMetadataUrls(serverUrl)), expected);
    // No hint behaves the same.
    QCOMPARE(strings(WellKnown::protectedResourceMetadataUrls(serverUrl, QString())), expected);
}

void TestWellKnown::resourceMetadataHint_data()
{
    QTest::addColumn<QString>("serverUrl");
    QTest::addColumn<QString>("hint");
    QTest::addColumn<QStringList>("expected");

    const QStringList constructed{QStringLiteral("https://h/.well-known/oauth-protected-resource/mcp"),
                                  QStringLiteral("https://h/.well-known/oauth-protected-resource")};
    // mcp-auth.md item 1: resource_metadata from the challenge is used, alone.
    QTest::newRow("hint used") << QStringLiteral("https://h/mcp")
                               << QStringLiteral("https://h/custom/metadata/location.json")
                               << QStringList{QStringLiteral("https://h/custom/metadata/location.json")};
    QTest::newRow("hint other host") << QStringLiteral("https://h/mcp") << QStringLiteral("https://meta.example/prm")
                                     << QStringList{QStringLiteral("https://meta.example/prm")};
    QTest::newRow("loopback hint for loopback server")
        << QStringLiteral("http://localhost:3000/mcp")
        << QStringLiteral("http://localhost:3000/.well-known/oauth-protected-resource/mcp")
        << QStringList{QStringLiteral("http://localhost:3000/.well-known/oauth-protected-resource/mcp")};
    // Unusable hints fall back to the constructed list.
    QTest::newRow("http hint") << QStringLiteral("https://h/mcp") << QStringLiteral("http://h/prm") << constructed;
    QTest::newRow("relative hint") << QStringLiteral("https://h/mcp") << QStringLiteral("/prm") << constructed;
    QTest::newRow("hint with fragment") << QStringLiteral("https://h/mcp") << QStringLiteral("https://h/prm#x")
                                        << constructed;
    QTest::newRow("hint with userinfo") << QStringLiteral("https://h/mcp") << QStringLiteral("https://a@h/prm")
                                        << constructed;
    QTest::newRow("hint with backslash") << QStringLiteral("https://h/mcp") << QStringLiteral("https://evil\\@h/prm")
                                         << constructed;
    QTest::newRow("remote server, loopback hint")
        << QStringLiteral("https://h/mcp") << QStringLiteral("http://127.0.0.1:8080/admin") << constructed;
    QTest::newRow("remote server, https loopback hint")
        << QStringLiteral("https://h/mcp") << QStringLiteral("https://localhost/admin") << constructed;
    // An unusable server: nothing, hint or not.
    QTest::newRow("server unusable") << QStringLiteral("http://h/mcp") << QStringLiteral("https://h/prm")
                                     << QStringList{};
}

void TestWellKnown::resourceMetadataHint()
{
    QFETCH(QString, serverUrl);
    QFETCH(QString, hint);
    QFETCH(QStringList, expected);
    QCOMPARE(strings(WellKnown::protectedResourceMetadataUrls(serverUrl, hint)), expected);
}

void TestWellKnown::authorizationServer_data()
{
    QTest::addColumn<QString>("issuer");
    QTest::addColumn<QStringList>("expected");

    // mcp-auth.md item 3, issuer with a path.
    QTest::newRow("path") << QStringLiteral("https://as/t1")
                          << QStringList{QStringLiteral("https://as/.well-known/oauth-authorization-server/t1"),
                                         QStringLiteral("https://as/.well-known/openid-configuration/t1"),
                                         QStringLiteral("https://as/t1/.well-known/openid-configuration")};
    QTest::newRow("path trailing slash") << QStringLiteral("https://as/t1/")
                                         << QStringList{
                                                QStringLiteral("https://as/.well-known/oauth-authorization-server/t1"),
                                                QStringLiteral("https://as/.well-known/openid-configuration/t1"),
                                                QStringLiteral("https://as/t1/.well-known/openid-configuration")};
    QTest::newRow("deep path")
        << QStringLiteral("https://login.example.com/tenant/v2.0")
        << QStringList{QStringLiteral("https://login.example.com/.well-known/oauth-authorization-server/tenant/v2.0"),
                       QStringLiteral("https://login.example.com/.well-known/openid-configuration/tenant/v2.0"),
                       QStringLiteral("https://login.example.com/tenant/v2.0/.well-known/openid-configuration")};
    // mcp-auth.md item 3, issuer without a path.
    QTest::newRow("no path") << QStringLiteral("https://as")
                             << QStringList{QStringLiteral("https://as/.well-known/oauth-authorization-server"),
                                            QStringLiteral("https://as/.well-known/openid-configuration")};
    QTest::newRow("root slash") << QStringLiteral("https://as/")
                                << QStringList{QStringLiteral("https://as/.well-known/oauth-authorization-server"),
                                               QStringLiteral("https://as/.well-known/openid-configuration")};
    QTest::newRow("port") << QStringLiteral("http://127.0.0.1:4444/oidc")
                          << QStringList{
                                 QStringLiteral("http://127.0.0.1:4444/.well-known/oauth-authorization-server/oidc"),
                                 QStringLiteral("http://127.0.0.1:4444/.well-known/openid-configuration/oidc"),
                                 QStringLiteral("http://127.0.0.1:4444/oidc/.well-known/openid-configuration")};
    // Not issuers.
    QTest::newRow("query") << QStringLiteral("https://as/t1?x=1") << QStringList{};
    QTest::newRow("empty query") << QStringLiteral("https://as/t1?") << QStringList{};
    QTest::newRow("fragment") << QStringLiteral("https://as/t1#x") << QStringList{};
    QTest::newRow("http remote") << QStringLiteral("http://as/t1") << QStringList{};
    QTest::newRow("userinfo") << QStringLiteral("https://u@as") << QStringList{};
    QTest::newRow("relative") << QStringLiteral("/t1") << QStringList{};
    QTest::newRow("empty") << QString() << QStringList{};
}

void TestWellKnown::authorizationServer()
{
    QFETCH(QString, issuer);
    QFETCH(QStringList, expected);
    QCOMPARE(strings(WellKnown::authorizationServerMetadataUrls(issuer)), expected);
}

void TestWellKnown::legacy()
{
    // 2025-03-26 servers without PRM: the AS is the server's origin, path discarded.
    const QString server = QStringLiteral("https://mcp.example.com:8443/v1/mcp?x=1#f");
    QCOMPARE(WellKnown::legacyAuthorizationBase(server), QStringLiteral("https://mcp.example.com:8443"));
    QCOMPARE(strings(WellKnown::authorizationServerMetadataUrls(WellKnown::legacyAuthorizationBase(server))),
             (QStringList{QStringLiteral("https://mcp.example.com:8443/.well-known/oauth-authorization-server"),
                          QStringLiteral("https://mcp.example.com:8443/.well-known/openid-configuration")}));
    QCOMPARE(WellKnown::legacyEndpoint(server, WellKnown::LegacyEndpoint::Authorize),
             QUrl(QStringLiteral("https://mcp.example.com:8443/authorize")));
    QCOMPARE(WellKnown::legacyEndpoint(server, WellKnown::LegacyEndpoint::Token),
             QUrl(QStringLiteral("https://mcp.example.com:8443/token")));
    QCOMPARE(WellKnown::legacyEndpoint(server, WellKnown::LegacyEndpoint::Register),
             QUrl(QStringLiteral("https://mcp.example.com:8443/register")));
    QCOMPARE(WellKnown::legacyAuthorizationBase(QStringLiteral("HTTPS://H:443/mcp")), QStringLiteral("https://h"));
    QCOMPARE(WellKnown::legacyAuthorizationBase(QStringLiteral("http://localhost:3000/mcp")),
             QStringLiteral("http://localhost:3000"));

    QVERIFY(WellKnown::legacyAuthorizationBase(QStringLiteral("http://h/mcp")).isEmpty());
    QVERIFY(WellKnown::legacyEndpoint(QStringLiteral("http://h/mcp"), WellKnown::LegacyEndpoint::Token).isEmpty());
}

QTEST_APPLESS_MAIN(TestWellKnown)
#include "TestWellKnown.moc"
