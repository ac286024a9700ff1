// Unit tests for ProtectedResourceMetadata (RFC 9728) and AuthorizationServerMetadata (RFC 8414):
// every refusal a client must make (mcp-auth.md items 2-4, 9), and the vault/registry round trip.
#include "EndpointPolicy.h"
#include "OAuthMetadata.h"

#include <QTest>

using latchkey::AuthorizationServerMetadata;
using latchkey::ProtectedResourceMetadata;
using nlohmann::json;

namespace {

const QString kIssuer = QStringLiteral("https://as.example.com/t1");

json goodAs()
{
    return {{"issuer", "https://as.example.com/t1"},
            {"authorization_endpoint", "https://as.example.com/t1/authorize"},
            {"token_endpoint", "https://as.example.com/t1/token"},
            {"registration_endpoint", "https://as.example.com/t1/register"},
            {"revocation_endpoint", "https://as.example.com/t1/revoke"},
            {"introspection_endpoint", "https://as.example.com/t1/introspect"},
            {"code_challenge_methods_supported", {"plain", "S256"}},
            {"scopes_supported", {"openid", "read", "offline_access"}},
            {"grant_types_supported", {"authorization_code", "refresh_token"}},
            {"token_endpoint_auth_methods_supported", {"none", "private_key_jwt"}},
            {"authorization_grant_profiles_supported", {"urn:ietf:params:oauth:grant-profile:id-jag"}},
            {"authorization_response_iss_parameter_supported", true},
            {"client_id_metadata_document_supported", true}};
}

QByteArray bytes(const json &doc)
{
    return QByteArray::fromStdString(doc.dump());
}

struct Parsed
{
    std::optional<AuthorizationServerMetadata> as;
    QString error;
    bool wrongIssuer = false;
};

Parsed parseAs(const QByteArray &body, const QString &issuer = kIssuer)
{
    Parsed out;
    out.wrongIssuer = true; // must be set either way by parse()
    out.as = AuthorizationServerMetadata::parse(body, issuer, &out.error, &out.wrongIssuer);
    return out;
}

} // namespace

class TestOAuthMetadata : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void prmValid();
    void prmRefused_data();
    void prmRefused();

    void asValid();
    void asMinimal();
    void issuerMismatch_data();
    void issuerMismatch();
    void issuerRequired();
    void missingEndpoint_data();
    void missingEndpoint();
    void endpointRefused_data();
    void endpointRefused();
    void loopbackHttpAccepted();
    void pkce_data();
    void pkce();
    void notJson_data();
    void notJson();
    void flagsNeedBooleans();
    void wrongIssuerIsOptional();

    void jsonRoundTrip();
    void jsonRoundTripOptionalEndpointsAbsent();
    void percentEncodedEndpoints();
    void fromJsonRefuses_data();
    void fromJsonRefuses();
    void legacyDefaults();
};

void TestOAuthMetadata::prmValid()
{
    QString error;
    const auto prm = ProtectedResourceMetadata::parse(
        R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com/t1",7,)"
        R"("https://as2.example.com"],"scopes_supported":["read","write","read","bad scope"],"bearer_methods_supported":["header"]})",
        &error);
    QVERIFY2(prm, qPrintable(error));
    QCOMPARE(prm->resource, QStringLiteral("https://mcp.example.com/mcp"));
    // Non-strings are skipped; order kept: the first is the one discovery uses.
    QCOMPARE(prm->authorizationServers,
             (QStringList{QStringLiteral("https://as.example.com/t1"), QStringLiteral("https://as2.example.com")}));
    QCOMPARE(prm->scopesSupported.toList(), (QStringList{QStringLiteral("read"), QStringLiteral("write")}));
}

void TestOAuthMetadata::prmRefused_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("empty") << QByteArray() << QStringLiteral("not a JSON object");
    QTest::newRow("html") << QByteArray("<html></html>") << QStringLiteral("not a JSON object");
    QTest::newRow("array") << QByteArray(R"([{"resource":"https://m"}])") << QStringLiteral("not a JSON object");
    QTest::newRow("no resource") << QByteArray(R"({"authorization_servers":["https://as"]})")
                                 << QStringLiteral("resource");
    QTest::newRow("empty resource") << QByteArray(R"({"resource":"","authorization_servers":["https://as"]})")
                                    << QStringLiteral("RFC 9728");
    QTest::newRow("resource not a string")
        << QByteArray(R"({"resource":["https://m"],"authorization_servers":["https://as"]})")
        << QStringLiteral("RFC 9728");
    QTest::newRow("no authorization servers")
        << QByteArray(R"({"resource":"https://m"})") << QStringLiteral("authorization_servers");
    QTest::newRow("empty authorization servers") << QByteArray(R"({"resource":"https://m","authorization_servers":[]})")
                                                 << QStringLiteral("authorization_servers");
    QTest::newRow("authorization servers not strings")
        << QByteArray(R"({"resource":"https://m","authorization_servers":[1,{"issuer":"https://as"}]})")
        << QStringLiteral("authorization_servers");
    QTest::newRow("authorization servers a string")
        << QByteArray(R"({"resource":"https://m","authorization_servers":"https://as"})")
        << QStringLiteral("authorization_servers");
}

void TestOAuthMetadata::prmRefused()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, mentions);
    QString error;
    QVERIFY(!ProtectedResourceMetadata::parse(body, &error));
    QVERIFY2(error.contains(mentions), qPrintable(error));
}

void TestOAuthMetadata::asValid()
{
    const Parsed parsed = parseAs(bytes(goodAs()));
    QVERIFY2(parsed.as, qPrintable(parsed.error));
    QVERIFY(!parsed.wrongIssuer);
    const AuthorizationServerMetadata &as = *parsed.as;
    QCOMPARE(as.issuer, kIssuer);
    QCOMPARE(as.authorizationEndpoint, QUrl(QStringLiteral("https://as.example.com/t1/authorize")));
    QCOMPARE(as.tokenEndpoint, QUrl(QStringLiteral("https://as.example.com/t1/token")));
    QCOMPARE(as.registrationEndpoint, QUrl(QStringLiteral("https://as.example.com/t1/register")));
    QCOMPARE(as.revocationEndpoint, QUrl(QStringLiteral("https://as.example.com/t1/revoke")));
    QCOMPARE(as.introspectionEndpoint, QUrl(QStringLiteral("https://as.example.com/t1/introspect")));
    QCOMPARE(as.scopesSupported.toList(),
             (QStringList{QStringLiteral("openid"), QStringLiteral("read"), QStringLiteral("offline_access")}));
    QCOMPARE(as.grantTypesSupported,
             (QStringList{QStringLiteral("authorization_code"), QStringLiteral("refresh_token")}));
    QCOMPARE(as.tokenEndpointAuthMethods, (QStringList{QStringLiteral("none"), QStringLiteral("private_key_jwt")}));
    QCOMPARE(as.authorizationGrantProfiles, QStringList{QStringLiteral("urn:ietf:params:oauth:grant-profile:id-jag")});
    QVERIFY(as.issParameterSupported);
    QVERIFY(as.clientIdMetadataDocumentSupported);
}

void TestOAuthMetadata::asMinimal()
{
    const json doc = {{"issuer", "https://as.example.com/t1"},
                      {"authorization_endpoint", "https://as.example.com/t1/authorize"},
                      {"token_endpoint", "https://as.example.com/t1/token"},
                      {"code_challenge_methods_supported", {"S256"}}};
    const Parsed parsed = parseAs(bytes(doc));
    QVERIFY2(parsed.as, qPrintable(parsed.error));
    QVERIFY(parsed.as->registrationEndpoint.isEmpty());
    QVERIFY(parsed.as->revocationEndpoint.isEmpty());
    QVERIFY(parsed.as->introspectionEndpoint.isEmpty());
    QVERIFY(parsed.as->scopesSupported.isEmpty());
    QVERIFY(!parsed.as->issParameterSupported);
    QVERIFY(!parsed.as->clientIdMetadataDocumentSupported);
}

void TestOAuthMetadata::issuerMismatch_data()
{
    QTest::addColumn<QString>("documentIssuer");
    QTest::addColumn<QString>("expected");

    // RFC 8414 §3.3: exactly equal, no normalization.
    QTest::newRow("other tenant") << QStringLiteral("https://as.example.com/t2") << kIssuer;
    QTest::newRow("trailing slash") << QStringLiteral("https://as.example.com/t1/") << kIssuer;
    QTest::newRow("case") << QStringLiteral("https://AS.example.com/t1") << kIssuer;
    QTest::newRow("root") << QStringLiteral("https://as.example.com") << kIssuer;
    QTest::newRow("other host") << QStringLiteral("https://evil.example.com/t1") << kIssuer;
    QTest::newRow("default port spelled out") << QStringLiteral("https://as.example.com:443/t1") << kIssuer;
    QTest::newRow("missing") << QString() << kIssuer;
}

void TestOAuthMetadata::issuerMismatch()
{
    QFETCH(QString, documentIssuer);
    QFETCH(QString, expected);
    json doc = goodAs();
    if (documentIssuer.isEmpty()) {
        doc.erase("issuer");
    } else {
        doc["issuer"] = documentIssuer.toStdString();
    }
    const Parsed parsed = parseAs(bytes(doc), expected);
    QVERIFY(!parsed.as);
    QVERIFY(parsed.wrongIssuer);
    QVERIFY2(parsed.error.contains(QStringLiteral("RFC 8414")), qPrintable(parsed.error));
    QVERIFY2(parsed.error.contains(expected), qPrintable(parsed.error));
}

void TestOAuthMetadata::issuerRequired()
{
    // RFC 8414 §2: issuer is REQUIRED. Without one the document is not used, whatever was expected
    // (found by FuzzOAuthMetadata: an empty expectation let a document without issuer through, which
    // fromJson then refused).
    for (const QString &expected : {QString(), kIssuer}) {
        json doc = goodAs();
        doc.erase("issuer");
        const Parsed missing = parseAs(bytes(doc), expected);
        QVERIFY(!missing.as);
        QVERIFY(missing.wrongIssuer);
        doc["issuer"] = "";
        const Parsed empty = parseAs(bytes(doc), expected);
        QVERIFY(!empty.as);
        QVERIFY(empty.wrongIssuer);
    }
}

void TestOAuthMetadata::missingEndpoint_data()
{
    QTest::addColumn<QString>("key");
    QTest::newRow("authorization_endpoint") << QStringLiteral("authorization_endpoint");
    QTest::newRow("token_endpoint") << QStringLiteral("token_endpoint");
}

void TestOAuthMetadata::missingEndpoint()
{
    QFETCH(QString, key);
    for (const json &value : {json(), json(""), json(42), json::array({"https://as.example.com/t1/x"})}) {
        json doc = goodAs();
        if (value.is_null()) {
            doc.erase(key.toStdString());
        } else {
            doc[key.toStdString()] = value;
        }
        const Parsed parsed = parseAs(bytes(doc));
        QVERIFY(!parsed.as);
        QVERIFY(!parsed.wrongIssuer); // a broken document, not one for another issuer
        QVERIFY2(parsed.error.contains(key), qPrintable(parsed.error));
    }
}

void TestOAuthMetadata::endpointRefused_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");

    const QStringList keys = {QStringLiteral("authorization_endpoint"), QStringLiteral("token_endpoint"),
                              QStringLiteral("registration_endpoint"), QStringLiteral("revocation_endpoint"),
                              QStringLiteral("introspection_endpoint")};
    for (const QString &key : keys) {
        const QByteArray name = key.toLatin1();
        // mcp-auth.md item 9: https, or http only to loopback.
        QTest::newRow((name + " http remote").constData()) << key << QStringLiteral("http://as.example.com/t1/x");
        QTest::newRow((name + " http private address").constData()) << key << QStringLiteral("http://10.0.0.1/x");
        QTest::newRow((name + " userinfo").constData()) << key << QStringLiteral("https://as.example.com@evil.com/x");
        QTest::newRow((name + " fragment").constData()) << key << QStringLiteral("https://as.example.com/t1/x#f");
        QTest::newRow((name + " javascript").constData()) << key << QStringLiteral("javascript:alert(1)");
        QTest::newRow((name + " relative").constData()) << key << QStringLiteral("/t1/x");
        QTest::newRow((name + " space").constData()) << key << QStringLiteral("https://as.example.com/t 1");
        QTest::newRow((name + " backslash").constData()) << key << QStringLiteral("https://as.example.com\\@evil.com/");
    }
}

void TestOAuthMetadata::endpointRefused()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    json doc = goodAs();
    doc[key.toStdString()] = value.toStdString();
    const Parsed parsed = parseAs(bytes(doc));
    QVERIFY(!parsed.as);
    QVERIFY(!parsed.wrongIssuer);
    QVERIFY2(parsed.error.contains(key), qPrintable(parsed.error));
    QVERIFY2(parsed.error.contains(QStringLiteral("refused")), qPrintable(parsed.error));
}

void TestOAuthMetadata::loopbackHttpAccepted()
{
    for (const QString &origin : {QStringLiteral("http://127.0.0.1:8080"), QStringLiteral("http://localhost:9"),
                                  QStringLiteral("http://[::1]:4000")}) {
        const json doc = {{"issuer", origin.toStdString()},
                          {"authorization_endpoint", (origin + QStringLiteral("/authorize")).toStdString()},
                          {"token_endpoint", (origin + QStringLiteral("/token")).toStdString()},
                          {"revocation_endpoint", (origin + QStringLiteral("/revoke")).toStdString()},
                          {"code_challenge_methods_supported", {"S256"}}};
        const Parsed parsed = parseAs(bytes(doc), origin);
        QVERIFY2(parsed.as, qPrintable(origin + QStringLiteral(": ") + parsed.error));
        QCOMPARE(parsed.as->tokenEndpoint.toString(), origin + QStringLiteral("/token"));
    }
}

void TestOAuthMetadata::pkce_data()
{
    QTest::addColumn<QByteArray>("methods"); // JSON, or empty for "absent"
    QTest::addColumn<bool>("accepted");

    QTest::newRow("S256") << QByteArray(R"(["S256"])") << true;
    QTest::newRow("plain and S256") << QByteArray(R"(["plain","S256"])") << true;
    // mcp-auth.md item 4: absent or without S256 → refuse.
    QTest::newRow("absent") << QByteArray() << false;
    QTest::newRow("empty") << QByteArray("[]") << false;
    QTest::newRow("plain only") << QByteArray(R"(["plain"])") << false;
    QTest::newRow("lowercase") << QByteArray(R"(["s256"])") << false;
    QTest::newRow("padded") << QByteArray(R"([" S256"])") << false;
    QTest::newRow("string not array") << QByteArray(R"("S256")") << false;
    QTest::newRow("null") << QByteArray("null") << false;
}

void TestOAuthMetadata::pkce()
{
    QFETCH(QByteArray, methods);
    QFETCH(bool, accepted);
    json doc = goodAs();
    if (methods.isEmpty()) {
        doc.erase("code_challenge_methods_supported");
    } else {
        doc["code_challenge_methods_supported"] = json::parse(methods.constData());
    }
    const Parsed parsed = parseAs(bytes(doc));
    QCOMPARE(bool(parsed.as), accepted);
    if (!accepted) {
        QVERIFY(!parsed.wrongIssuer);
        QVERIFY2(parsed.error.contains(QStringLiteral("S256")), qPrintable(parsed.error));
    }
}

void TestOAuthMetadata::notJson_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("html") << QByteArray("<!doctype html><title>login</title>");
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("number") << QByteArray("1");
    QTest::newRow("truncated") << bytes(goodAs()).chopped(1);
}

void TestOAuthMetadata::notJson()
{
    QFETCH(QByteArray, body);
    const Parsed parsed = parseAs(body);
    QVERIFY(!parsed.as);
    QVERIFY(parsed.error.contains(QStringLiteral("not a JSON object")));
}

void TestOAuthMetadata::flagsNeedBooleans()
{
    json doc = goodAs();
    doc["authorization_response_iss_parameter_supported"] = "true";
    doc["client_id_metadata_document_supported"] = 1;
    const Parsed parsed = parseAs(bytes(doc));
    QVERIFY(parsed.as);
    QVERIFY(!parsed.as->issParameterSupported);
    QVERIFY(!parsed.as->clientIdMetadataDocumentSupported);
}

void TestOAuthMetadata::wrongIssuerIsOptional()
{
    QString error;
    json doc = goodAs();
    doc["issuer"] = "https://other";
    QVERIFY(!AuthorizationServerMetadata::parse(bytes(doc), kIssuer, &error));
    QVERIFY(!error.isEmpty());
    error.clear();
    QVERIFY(AuthorizationServerMetadata::parse(bytes(goodAs()), kIssuer, &error));
}

void TestOAuthMetadata::jsonRoundTrip()
{
    const Parsed parsed = parseAs(bytes(goodAs()));
    QVERIFY(parsed.as);
    const AuthorizationServerMetadata &original = *parsed.as;
    const json stored = original.toJson();
    const auto back = AuthorizationServerMetadata::fromJson(json::parse(stored.dump()));
    QVERIFY(back);
    QCOMPARE(back->issuer, original.issuer);
    QCOMPARE(back->authorizationEndpoint, original.authorizationEndpoint);
    QCOMPARE(back->tokenEndpoint, original.tokenEndpoint);
    QCOMPARE(back->registrationEndpoint, original.registrationEndpoint);
    QCOMPARE(back->revocationEndpoint, original.revocationEndpoint);
    QCOMPARE(back->introspectionEndpoint, original.introspectionEndpoint);
    QCOMPARE(back->scopesSupported.toList(), original.scopesSupported.toList());
    QCOMPARE(back->grantTypesSupported, original.grantTypesSupported);
    QCOMPARE(back->tokenEndpointAuthMethods, original.tokenEndpointAuthMethods);
    QCOMPARE(back->authorizationGrantProfiles, original.authorizationGrantProfiles);
    QCOMPARE(back->issParameterSupported, original.issParameterSupported);
    QCOMPARE(back->clientIdMetadataDocumentSupported, original.clientIdMetadataDocumentSupported);
    QCOMPARE(bytes(back->toJson()), bytes(stored));
}

void TestOAuthMetadata::jsonRoundTripOptionalEndpointsAbsent()
{
    AuthorizationServerMetadata as;
    as.issuer = QStringLiteral("http://127.0.0.1:5000");
    as.authorizationEndpoint = QUrl(QStringLiteral("http://127.0.0.1:5000/authorize"));
    as.tokenEndpoint = QUrl(QStringLiteral("http://127.0.0.1:5000/token"));
    const auto back = AuthorizationServerMetadata::fromJson(as.toJson());
    QVERIFY(back);
    QCOMPARE(back->issuer, as.issuer);
    QCOMPARE(back->tokenEndpoint, as.tokenEndpoint);
    QVERIFY(back->registrationEndpoint.isEmpty());
    QVERIFY(back->revocationEndpoint.isEmpty());
    QVERIFY(back->introspectionEndpoint.isEmpty());
    QVERIFY(!back->issParameterSupported);
    QCOMPARE(bytes(back->toJson()), bytes(as.toJson()));
}

void TestOAuthMetadata::percentEncodedEndpoints()
{
    // Percent-encoded octets are printable ASCII on the wire and acceptable endpoints. Kept as discovery
    // found them, the document must load again from servers.json (else the whole registry would not).
    json doc = goodAs();
    doc["authorization_endpoint"] = "https://as.example.com/t1/author%20ize";
    doc["token_endpoint"] = "https://as.example.com/t1/t%C3%B6ken";
    doc["revocation_endpoint"] = "https://as.example.com/t1/revoke?next=%2Fa%26b";
    const Parsed parsed = parseAs(bytes(doc));
    QVERIFY2(parsed.as, qPrintable(parsed.error));
    QCOMPARE(parsed.as->tokenEndpoint.toString(QUrl::FullyEncoded),
             QStringLiteral("https://as.example.com/t1/t%C3%B6ken"));
    const json stored = parsed.as->toJson();
    for (const char *key : {"authorization_endpoint", "token_endpoint", "revocation_endpoint"}) {
        const QString value = QString::fromStdString(stored.at(key).get<std::string>());
        QVERIFY2(latchkey::oauth::EndpointPolicy::checkEndpoint(value).isEmpty(), qPrintable(value));
    }
    const auto back = AuthorizationServerMetadata::fromJson(stored);
    QVERIFY(back);
    QCOMPARE(back->authorizationEndpoint, parsed.as->authorizationEndpoint);
    QCOMPARE(back->tokenEndpoint, parsed.as->tokenEndpoint);
    QCOMPARE(back->revocationEndpoint, parsed.as->revocationEndpoint);
}

void TestOAuthMetadata::fromJsonRefuses_data()
{
    QTest::addColumn<QByteArray>("doc");

    // servers.json is a file a person (or malware) can edit: the same endpoint rules apply to it.
    const auto with = [](const char *key, const json &value) {
        const Parsed parsed = parseAs(bytes(goodAs()));
        json doc = parsed.as->toJson();
        if (value.is_null()) {
            doc.erase(key);
        } else {
            doc[key] = value;
        }
        return bytes(doc);
    };
    QTest::newRow("not an object") << QByteArray("[]");
    QTest::newRow("no issuer") << with("issuer", json());
    QTest::newRow("empty issuer") << with("issuer", "");
    QTest::newRow("no authorization endpoint") << with("authorization_endpoint", json());
    QTest::newRow("no token endpoint") << with("token_endpoint", json());
    QTest::newRow("http token endpoint") << with("token_endpoint", "http://as.example.com/token");
    QTest::newRow("http authorization endpoint") << with("authorization_endpoint", "http://as.example.com/a");
    QTest::newRow("http revocation endpoint") << with("revocation_endpoint", "http://as.example.com/r");
    QTest::newRow("http registration endpoint") << with("registration_endpoint", "http://as.example.com/r");
    QTest::newRow("userinfo token endpoint") << with("token_endpoint", "https://a@as.example.com/token");
}

void TestOAuthMetadata::fromJsonRefuses()
{
    QFETCH(QByteArray, doc);
    QVERIFY(!AuthorizationServerMetadata::fromJson(json::parse(doc.constData())));
}

void TestOAuthMetadata::legacyDefaults()
{
    const auto as = AuthorizationServerMetadata::legacyDefaults(QStringLiteral("https://mcp.example.com:8443/v1/mcp"));
    QCOMPARE(as.issuer, QStringLiteral("https://mcp.example.com:8443"));
    QCOMPARE(as.authorizationEndpoint, QUrl(QStringLiteral("https://mcp.example.com:8443/authorize")));
    QCOMPARE(as.tokenEndpoint, QUrl(QStringLiteral("https://mcp.example.com:8443/token")));
    QCOMPARE(as.registrationEndpoint, QUrl(QStringLiteral("https://mcp.example.com:8443/register")));
    QVERIFY(as.revocationEndpoint.isEmpty());
    // Kept in servers.json like any other metadata.
    const auto back = AuthorizationServerMetadata::fromJson(as.toJson());
    QVERIFY(back);
    QCOMPARE(back->tokenEndpoint, as.tokenEndpoint);
    QCOMPARE(back->registrationEndpoint, as.registrationEndpoint);
}

QTEST_APPLESS_MAIN(TestOAuthMetadata)
#include "TestOAuthMetadata.moc"
