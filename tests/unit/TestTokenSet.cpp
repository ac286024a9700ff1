// Unit tests for TokenSet and TokenError: reading token endpoint answers (RFC 6749 §5.1, §5.2) the way
// real and broken authorization servers write them, the vault serialization (records of earlier versions
// in whole seconds too), and refresh timing in milliseconds.
#include "TokenSet.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <limits>

using latchkey::TokenError;
using latchkey::TokenSet;

namespace {

constexpr qint64 kNow = 1'800'000'000'123; // ms since the epoch, deliberately not whole seconds
constexpr qint64 kSecond = 1000;

std::optional<TokenSet> parse(const QByteArray &body, QString *error = nullptr)
{
    QString ignored;
    return TokenSet::fromTokenResponse(body, kNow, error ? error : &ignored);
}

TokenSet sample()
{
    TokenSet set;
    set.accessToken = QStringLiteral("at-\u00e9\"quoted\"");
    set.refreshToken = QStringLiteral("rt-1");
    set.tokenType = QStringLiteral("Bearer");
    set.scope = QStringLiteral("read write offline_access");
    set.obtainedAtMs = kNow;
    set.expiresAtMs = kNow + 3600 * kSecond;
    set.issuer = QStringLiteral("https://as.example.com/t1");
    set.clientId = QStringLiteral("https://latchkey.example/client.json");
    set.resource = QStringLiteral("https://mcp.example.com/mcp");
    set.account = QStringLiteral("work");
    return set;
}

} // namespace

class TestTokenSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void minimalResponse();
    void fullResponse();
    void tokenType_data();
    void tokenType();
    void expiresIn_data();
    void expiresIn();
    void hugeTokens();
    void notATokenResponse_data();
    void notATokenResponse();
    void deeplyNestedBody();
    void bindingUntouched();

    void errorBody_data();
    void errorBody();
    void errorDescriptionCapped();
    void errorTextIsPrintable();
    void isFatal_data();
    void isFatal();

    void serializeRoundTrip();
    void deserializeRefuses_data();
    void deserializeRefuses();
    void deserializeSaturates();
    void refreshAt();
    void isFresh();
    void subSecondExpiry();
    void legacySecondsRecordLoads();
    void writesSecondsForEarlierVersions();
    void isBoundTo();
};

void TestTokenSet::minimalResponse()
{
    QString error;
    const auto set = parse(R"({"access_token":"abc","token_type":"Bearer"})", &error);
    QVERIFY2(set, qPrintable(error));
    QCOMPARE(set->accessToken, QStringLiteral("abc"));
    QCOMPARE(set->tokenType, QStringLiteral("Bearer"));
    QVERIFY(set->refreshToken.isEmpty());
    QVERIFY(set->scope.isEmpty());
    QCOMPARE(set->obtainedAtMs, kNow);
    QCOMPARE(set->expiresAtMs, 0); // the AS did not say
    QVERIFY(error.isEmpty());
}

void TestTokenSet::fullResponse()
{
    const auto set = parse(R"({"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt",)"
                           R"("scope":"read write","id_token":"ignored","extra":{"nested":[1,2]}})");
    QVERIFY(set);
    QCOMPARE(set->accessToken, QStringLiteral("at"));
    QCOMPARE(set->refreshToken, QStringLiteral("rt"));
    QCOMPARE(set->scope, QStringLiteral("read write"));
    QCOMPARE(set->obtainedAtMs, kNow);
    QCOMPARE(set->expiresAtMs, kNow + 3600 * kSecond);
}

void TestTokenSet::tokenType_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("accepted");

    // RFC 6749 §5.1: the type is case-insensitive; we keep it as "Bearer".
    QTest::newRow("Bearer") << QByteArray(R"({"access_token":"a","token_type":"Bearer"})") << true;
    QTest::newRow("bearer") << QByteArray(R"({"access_token":"a","token_type":"bearer"})") << true;
    QTest::newRow("BEARER") << QByteArray(R"({"access_token":"a","token_type":"BEARER"})") << true;
    // Required by RFC 6749 and OAuth 2.1; a token we cannot send as Bearer is of no use.
    QTest::newRow("missing") << QByteArray(R"({"access_token":"a"})") << false;
    QTest::newRow("empty") << QByteArray(R"({"access_token":"a","token_type":""})") << false;
    QTest::newRow("not a string") << QByteArray(R"({"access_token":"a","token_type":1})") << false;
    QTest::newRow("DPoP") << QByteArray(R"({"access_token":"a","token_type":"DPoP"})") << false;
    QTest::newRow("mac") << QByteArray(R"({"access_token":"a","token_type":"mac"})") << false;
    QTest::newRow("N_A") << QByteArray(R"({"access_token":"a","token_type":"N_A"})") << false;
    QTest::newRow("padded") << QByteArray(R"({"access_token":"a","token_type":" Bearer"})") << false;
    QTest::newRow("prefix") << QByteArray(R"({"access_token":"a","token_type":"Bearer2"})") << false;
}

void TestTokenSet::tokenType()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, accepted);
    QString error;
    const auto set = parse(body, &error);
    QCOMPARE(bool(set), accepted);
    if (accepted) {
        QCOMPARE(set->tokenType, QStringLiteral("Bearer"));
    } else {
        QVERIFY(error.contains(QStringLiteral("Bearer")));
    }
}

void TestTokenSet::expiresIn_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("expiresAt");

    QTest::newRow("integer") << QByteArray("3600") << kNow + 3600 * kSecond;
    QTest::newRow("string") << QByteArray(R"("3600")") << kNow + 3600 * kSecond;
    QTest::newRow("string with spaces") << QByteArray(R"(" 3600 ")") << kNow + 3600 * kSecond;
    // A fraction of a second is kept, not rounded up into validity the token does not have.
    QTest::newRow("float") << QByteArray("3600.9") << kNow + 3600 * kSecond + 900;
    QTest::newRow("half a second") << QByteArray("0.5") << kNow + 500;
    QTest::newRow("one") << QByteArray("1") << kNow + kSecond;
    // Nothing usable: no expiry known (0), never a time in the past.
    QTest::newRow("zero") << QByteArray("0") << qint64(0);
    QTest::newRow("negative") << QByteArray("-5") << qint64(0);
    QTest::newRow("negative string") << QByteArray(R"("-5")") << qint64(0);
    QTest::newRow("garbage string") << QByteArray(R"("soon")") << qint64(0);
    QTest::newRow("empty string") << QByteArray(R"("")") << qint64(0);
    QTest::newRow("null") << QByteArray("null") << qint64(0);
    QTest::newRow("bool") << QByteArray("true") << qint64(0);
    QTest::newRow("array") << QByteArray("[3600]") << qint64(0);
    QTest::newRow("object") << QByteArray(R"({"s":3600})") << qint64(0);
}

void TestTokenSet::expiresIn()
{
    QFETCH(QByteArray, value);
    QFETCH(qint64, expiresAt);
    const auto set = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":)" + value + '}');
    QVERIFY(set);
    QCOMPARE(set->expiresAtMs, expiresAt);
}

void TestTokenSet::hugeTokens()
{
    // The cap is 64 KiB per token: a JWT with many claims fits, a hostile answer does not.
    const QByteArray atCap(64 * 1024, 'a');
    const QByteArray overCap(64 * 1024 + 1, 'a');
    const auto body = [](const QByteArray &access, const QByteArray &refresh) {
        return R"({"token_type":"Bearer","access_token":")" + access + R"(","refresh_token":")" + refresh + R"("})";
    };

    auto set = parse(body(atCap, atCap));
    QVERIFY(set);
    QCOMPARE(set->accessToken.size(), atCap.size());
    QCOMPARE(set->refreshToken.size(), atCap.size());

    QString error;
    QVERIFY(!parse(body(overCap, "r"), &error));
    QVERIFY(error.contains(QStringLiteral("access_token")));
    error.clear();
    QVERIFY(!parse(body("a", overCap), &error));
    QVERIFY(error.contains(QStringLiteral("refresh token")));

    // Very large lifetimes are long, not "never expires", and never wrap into the past.
    for (const QByteArray &lifetime :
         {QByteArray("9223372036854775807"), QByteArray(R"("9223372036854775807")"), QByteArray("18446744073709551615"),
          QByteArray("1e300"), QByteArray("9223372036854775807.0"), QByteArray("1e19")}) {
        set = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":)" + lifetime + '}');
        QVERIFY2(set, lifetime.constData());
        QVERIFY2(set->expiresAtMs > kNow + 365LL * 24 * 3600 * kSecond, lifetime.constData());
        QVERIFY2(set->refreshAt(0.75) > kNow, lifetime.constData());
        set->resource = QStringLiteral("https://mcp.example.com/mcp");
        const auto kept = TokenSet::deserialize(set->serialize()); // the vault takes it back
        QVERIFY2(kept && kept->expiresAtMs == set->expiresAtMs, lifetime.constData());
    }
    for (const QByteArray &lifetime : {QByteArray("-9223372036854775808"), QByteArray("-1e300"), QByteArray("-0.5")}) {
        set = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":)" + lifetime + '}');
        QVERIFY2(set, lifetime.constData());
        QCOMPARE(set->expiresAtMs, 0);
    }
}

void TestTokenSet::notATokenResponse_data()
{
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("not json") << QByteArray("<html>502 Bad Gateway</html>");
    QTest::newRow("truncated") << QByteArray(R"({"access_token":"a","token_type":"Bea)");
    QTest::newRow("array") << QByteArray(R"([{"access_token":"a","token_type":"Bearer"}])");
    QTest::newRow("string") << QByteArray(R"("access_token")");
    QTest::newRow("form encoded") << QByteArray("access_token=a&token_type=bearer");
    QTest::newRow("error response") << QByteArray(R"({"error":"invalid_grant"})");
    QTest::newRow("empty access token") << QByteArray(R"({"access_token":"","token_type":"Bearer"})");
    QTest::newRow("numeric access token") << QByteArray(R"({"access_token":12345,"token_type":"Bearer"})");
    QTest::newRow("null access token") << QByteArray(R"({"access_token":null,"token_type":"Bearer"})");
    QTest::newRow("trailing garbage") << QByteArray(R"({"access_token":"a","token_type":"Bearer"} x)");
    QTest::newRow("two documents") << QByteArray(R"({"access_token":"a","token_type":"Bearer"}{})");
    QTest::newRow("invalid utf-8") << QByteArray("{\"access_token\":\"\xff\xfe\",\"token_type\":\"Bearer\"}");
}

void TestTokenSet::notATokenResponse()
{
    QFETCH(QByteArray, body);
    QString error;
    QVERIFY(!parse(body, &error));
    QVERIFY(!error.isEmpty());
}

void TestTokenSet::deeplyNestedBody()
{
    // A hostile AS may send up to the fetcher's 1 MiB cap of nesting: no stack exhaustion, just a refusal.
    const QByteArray deep = QByteArray(512 * 1024, '[') + QByteArray(512 * 1024, ']');
    QString error;
    QVERIFY(!TokenSet::fromTokenResponse(deep, kNow, &error));
    QVERIFY(!error.isEmpty());
    const QByteArray deepObject = R"({"access_token":"a","token_type":"Bearer","x":)" + QByteArray(400 * 1024, '[') +
                                  QByteArray(400 * 1024, ']') + '}';
    QVERIFY(TokenSet::fromTokenResponse(deepObject, kNow, &error));
    const TokenError fromDeep = TokenError::fromResponse(400, deep);
    QVERIFY(fromDeep.code.isEmpty());
}

void TestTokenSet::bindingUntouched()
{
    // fromTokenResponse reads only the answer; the binding is the caller's to set.
    const auto set = parse(R"({"access_token":"a","token_type":"Bearer","issuer":"https://evil","client_id":"x",)"
                           R"("resource":"https://evil/mcp","account":"root"})");
    QVERIFY(set);
    QVERIFY(set->issuer.isEmpty());
    QVERIFY(set->clientId.isEmpty());
    QVERIFY(set->resource.isEmpty());
    QCOMPARE(set->account, QStringLiteral("default"));
}

void TestTokenSet::errorBody_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("description");
    QTest::addColumn<QString>("text");

    QTest::newRow("invalid_grant") << 400
                                   << QByteArray(R"({"error":"invalid_grant","error_description":"grant revoked"})")
                                   << QStringLiteral("invalid_grant") << QStringLiteral("grant revoked")
                                   << QStringLiteral("invalid_grant: grant revoked");
    QTest::newRow("no description") << 400 << QByteArray(R"({"error":"invalid_request"})")
                                    << QStringLiteral("invalid_request") << QString()
                                    << QStringLiteral("invalid_request");
    QTest::newRow("multi-line description")
        << 400 << QByteArray(R"({"error":"invalid_grant","error_description":"  line one\n\tline two\r\n "})")
        << QStringLiteral("invalid_grant") << QStringLiteral("line one line two")
        << QStringLiteral("invalid_grant: line one line two");
    QTest::newRow("html 502") << 502 << QByteArray("<html><body>Bad Gateway</body></html>") << QString() << QString()
                              << QStringLiteral("HTTP 502");
    QTest::newRow("empty 503") << 503 << QByteArray() << QString() << QString() << QStringLiteral("HTTP 503");
    QTest::newRow("error not a string") << 400 << QByteArray(R"({"error":{"code":"invalid_grant"}})") << QString()
                                        << QString() << QStringLiteral("HTTP 400");
    QTest::newRow("array") << 400 << QByteArray(R"([{"error":"invalid_grant"}])") << QString() << QString()
                           << QStringLiteral("HTTP 400");
    QTest::newRow("description only") << 401 << QByteArray(R"({"error_description":"who are you"})") << QString()
                                      << QStringLiteral("who are you") << QStringLiteral("HTTP 401: who are you");
    QTest::newRow("status 0") << 0 << QByteArray() << QString() << QString() << QStringLiteral("HTTP 0");
}

void TestTokenSet::errorBody()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, code);
    QFETCH(QString, description);
    QFETCH(QString, text);
    const TokenError error = TokenError::fromResponse(status, body);
    QCOMPARE(error.httpStatus, status);
    QCOMPARE(error.code, code);
    QCOMPARE(error.description, description);
    QCOMPARE(error.toString(), text);
}

void TestTokenSet::errorDescriptionCapped()
{
    const QByteArray longCode(1000, 'x');
    const QByteArray longDescription(100 * 1024, 'd');
    const TokenError error = TokenError::fromResponse(400, R"({"error":")" + longCode + R"(","error_description":")" +
                                                               longDescription + R"("})");
    QCOMPARE(error.code.size(), 64);
    QCOMPARE(error.description.size(), 300);
    QVERIFY(error.toString().size() <= 64 + 2 + 300);
}

void TestTokenSet::errorTextIsPrintable()
{
    // The AS's words reach a terminal (latchkey login, status): no escape sequences, bells or NULs.
    // RFC 6749 §5.2 allows only %x20-21 / %x23-5B / %x5D-7E in both fields anyway.
    const TokenError error = TokenError::fromResponse(
        400, R"({"error":"invalid_grant\u001b[31m","error_description":"\u001b]0;pwned\u0007gone\u0000 \u009b2J ok"})");
    QCOMPARE(error.code, QStringLiteral("invalid_grant[31m"));
    QVERIFY(!error.isFatal()); // not the code it pretends to be
    for (const QChar c : error.toString()) {
        QVERIFY2(c.isPrint(), qPrintable(QString::number(c.unicode(), 16)));
    }
    QVERIFY(error.description.contains(QStringLiteral("gone")));
    QVERIFY(error.description.endsWith(QStringLiteral("ok")));
    QCOMPARE(TokenError::fromResponse(400, R"({"error":"x","error_description":"\u0007 a \u0001 b\n"})").description,
             QStringLiteral("a b"));
}

void TestTokenSet::isFatal_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("fatal");

    // The grant (or the client) is dead: sign in again.
    QTest::newRow("invalid_grant") << QByteArray(R"({"error":"invalid_grant"})") << 400 << true;
    QTest::newRow("invalid_client") << QByteArray(R"({"error":"invalid_client"})") << 401 << true;
    QTest::newRow("unauthorized_client") << QByteArray(R"({"error":"unauthorized_client"})") << 400 << true;
    QTest::newRow("invalid_scope") << QByteArray(R"({"error":"invalid_scope"})") << 400 << true;
    // Worth trying again later: the grant is kept.
    QTest::newRow("temporarily_unavailable") << QByteArray(R"({"error":"temporarily_unavailable"})") << 400 << false;
    QTest::newRow("server_error") << QByteArray(R"({"error":"server_error"})") << 500 << false;
    QTest::newRow("503 no body") << QByteArray() << 503 << false;
    QTest::newRow("html 502") << QByteArray("<html/>") << 502 << false;
    QTest::newRow("429") << QByteArray(R"({"error":"slow_down"})") << 429 << false;
    // Case matters: error codes are case-sensitive ASCII (RFC 6749 §5.2).
    QTest::newRow("INVALID_GRANT") << QByteArray(R"({"error":"INVALID_GRANT"})") << 400 << false;
    QTest::newRow("padded") << QByteArray(R"({"error":" invalid_grant"})") << 400 << false;
}

void TestTokenSet::isFatal()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(bool, fatal);
    QCOMPARE(TokenError::fromResponse(status, body).isFatal(), fatal);
}

void TestTokenSet::serializeRoundTrip()
{
    const TokenSet original = sample();
    const auto back = TokenSet::deserialize(original.serialize());
    QVERIFY(back);
    QCOMPARE(back->accessToken, original.accessToken);
    QCOMPARE(back->refreshToken, original.refreshToken);
    QCOMPARE(back->tokenType, original.tokenType);
    QCOMPARE(back->scope, original.scope);
    QCOMPARE(back->obtainedAtMs, original.obtainedAtMs);
    QCOMPARE(back->expiresAtMs, original.expiresAtMs);
    QVERIFY(back->grantType.isEmpty());
    QCOMPARE(back->issuer, original.issuer);
    QCOMPARE(back->clientId, original.clientId);
    QCOMPARE(back->resource, original.resource);
    QCOMPARE(back->account, original.account);
    QCOMPARE(back->serialize(), original.serialize());

    // Without a refresh token or expiry: a machine client's token.
    TokenSet bare = sample();
    bare.refreshToken.clear();
    bare.expiresAtMs = 0;
    bare.grantType = QStringLiteral("client_credentials");
    const auto bareBack = TokenSet::deserialize(bare.serialize());
    QVERIFY(bareBack);
    QVERIFY(bareBack->refreshToken.isEmpty());
    QCOMPARE(bareBack->expiresAtMs, 0);
    QVERIFY(bareBack->isClientCredentials());
}

void TestTokenSet::deserializeRefuses_data()
{
    QTest::addColumn<QByteArray>("data");

    const QByteArray good = sample().serialize();
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("garbage") << QByteArray("\x00\x01garbage", 9);
    QTest::newRow("array") << QByteArray("[]");
    QTest::newRow("no version") << QByteArray(good).replace(R"("v":1)", R"("x":1)");
    QTest::newRow("version 2") << QByteArray(good).replace(R"("v":1)", R"("v":2)");
    QTest::newRow("no access token") << QByteArray(good).replace(R"("access_token")", R"("x_access_token")");
    QTest::newRow("no resource") << QByteArray(good).replace(R"("resource")", R"("x_resource")");
    QTest::newRow("truncated") << good.left(good.size() / 2);
    // Timestamps no clock will show: the arithmetic on them could overflow.
    QTest::newRow("negative obtained_at_ms")
        << QByteArray(good).replace(R"("obtained_at_ms":1800000000123)", R"("obtained_at_ms":-9223372036854775807)");
    QTest::newRow("negative expires_at_ms")
        << QByteArray(good).replace(R"("expires_at_ms":1800003600123)", R"("expires_at_ms":-5)");
    // A record of an earlier version (whole seconds only) is held to the same rules.
    QByteArray legacy = QByteArray(good).replace(R"("obtained_at_ms":1800000000123,)", "");
    legacy.replace(R"("expires_at_ms":1800003600123,)", "");
    QTest::newRow("seconds: negative obtained_at")
        << QByteArray(legacy).replace(R"("obtained_at":1800000000)", R"("obtained_at":-9223372036854775807)");
    QTest::newRow("seconds: negative expires_at")
        << QByteArray(legacy).replace(R"("expires_at":1800003600)", R"("expires_at":-5)");
}

void TestTokenSet::deserializeRefuses()
{
    QFETCH(QByteArray, data);
    QVERIFY(!TokenSet::deserialize(data));
}

void TestTokenSet::deserializeSaturates()
{
    // A timestamp past any clock is read as "very late", never as something that overflows or wraps.
    QByteArray data = sample().serialize();
    QVERIFY(data.contains(R"("expires_at_ms":1800003600123)"));
    data.replace(R"("expires_at_ms":1800003600123)", R"("expires_at_ms":18446744073709551615)");
    const auto set = TokenSet::deserialize(data);
    QVERIFY(set);
    QVERIFY(set->expiresAtMs > kNow);
    QVERIFY(set->isFresh(kNow, 3600 * kSecond));
    const qint64 at = set->refreshAt(0.75);
    QVERIFY(at > set->obtainedAtMs && at < set->expiresAtMs);
    // The same for whole seconds in a record of an earlier version.
    QByteArray legacy = sample().serialize();
    legacy.replace(R"("expires_at_ms":1800003600123,)", "");
    legacy.replace(R"("expires_at":1800003600)", R"("expires_at":9223372036854775807)");
    const auto old = TokenSet::deserialize(legacy);
    QVERIFY(old);
    QVERIFY(old->expiresAtMs > kNow + 1000LL * 365 * 24 * 3600 * kSecond);
}

void TestTokenSet::refreshAt()
{
    TokenSet set = sample();
    set.obtainedAtMs = 1000;
    set.expiresAtMs = 2000;
    QCOMPARE(set.refreshAt(0.75), 1750);
    QCOMPARE(set.refreshAt(0.8), 1800);
    QCOMPARE(set.refreshAt(0.0), 1000);
    QCOMPARE(set.refreshAt(1.0), 2000);
    // Nothing to schedule: no expiry, no start, or an expiry not after the start.
    set.expiresAtMs = 0;
    QCOMPARE(set.refreshAt(0.75), 0);
    set.expiresAtMs = 2000;
    set.obtainedAtMs = 0;
    QCOMPARE(set.refreshAt(0.75), 0);
    set.obtainedAtMs = 2000;
    QCOMPARE(set.refreshAt(0.75), 0);
    set.obtainedAtMs = 3000;
    QCOMPARE(set.refreshAt(0.75), 0);
    // From a response: 75 % of expires_in after it arrived.
    const auto parsed = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":400})");
    QVERIFY(parsed);
    QCOMPARE(parsed->refreshAt(0.75), kNow + 300 * kSecond);
    // A one-second token: renewed after 750 ms, not at 0 or 1 s as whole seconds would have it.
    const auto brief = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":1})");
    QVERIFY(brief);
    QCOMPARE(brief->lifetimeMs(), kSecond);
    QCOMPARE(brief->refreshAt(0.75), kNow + 750);
}

void TestTokenSet::isFresh()
{
    TokenSet set = sample();
    set.expiresAtMs = kNow + 100;
    QVERIFY(set.isFresh(kNow, 0));
    QVERIFY(set.isFresh(kNow, 99));
    QVERIFY(!set.isFresh(kNow, 100));
    QVERIFY(!set.isFresh(kNow + 100, 0));
    QVERIFY(!set.isFresh(kNow + 200, 0));
    set.expiresAtMs = 0; // no expiry: valid until the resource says otherwise
    QVERIFY(set.isFresh(kNow + 1'000'000, 3600));
    set.accessToken.clear();
    QVERIFY(!set.isFresh(kNow, 0));
}

void TestTokenSet::isBoundTo()
{
    const TokenSet set = sample();
    QVERIFY(set.isBoundTo(set.issuer, set.clientId, set.resource));
    QVERIFY(!set.isBoundTo(QStringLiteral("https://as.example.com/t2"), set.clientId, set.resource));
    QVERIFY(!set.isBoundTo(set.issuer, QStringLiteral("other-client"), set.resource));
    QVERIFY(!set.isBoundTo(set.issuer, set.clientId, QStringLiteral("https://mcp.example.com/other")));
    // Exact comparison: no trailing-slash or case leniency for a binding.
    QVERIFY(!set.isBoundTo(set.issuer + QLatin1Char('/'), set.clientId, set.resource));
    QVERIFY(!set.isBoundTo(set.issuer, set.clientId, set.resource.toUpper()));
    QVERIFY(!set.isBoundTo(QString(), QString(), QString()));
}

void TestTokenSet::subSecondExpiry()
{
    // expires_in 1 at kNow (…123 ms): valid up to kNow + 999 ms and not a millisecond longer. In whole
    // seconds the same token looked valid until the end of the second after (…000 + 1 s + 999 ms).
    const auto set = parse(R"({"access_token":"a","token_type":"Bearer","expires_in":1})");
    QVERIFY(set);
    QVERIFY(set->isFresh(kNow + 999, 0));
    QVERIFY(!set->isFresh(kNow + kSecond, 0));
    QVERIFY(!set->isFresh(kNow + kSecond + 500, 0));
    // A margin in milliseconds: a quarter of the second.
    QVERIFY(set->isFresh(kNow + 749, 250));
    QVERIFY(!set->isFresh(kNow + 750, 250));
}

void TestTokenSet::legacySecondsRecordLoads()
{
    // Exactly what earlier versions kept in the keychain: whole seconds, no _ms fields, no grant_type.
    const QByteArray legacy =
        R"({"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer",)"
        R"("scope":"read","obtained_at":1800000000,"expires_at":1800003600,)"
        R"("issuer":"https://as.example.com","client_id":"c","resource":"https://mcp.example.com/mcp",)"
        R"("account":"default","v":1})";
    const auto set = TokenSet::deserialize(legacy);
    QVERIFY(set);
    QCOMPARE(set->obtainedAtMs, 1'800'000'000'000);
    QCOMPARE(set->expiresAtMs, 1'800'003'600'000);
    QCOMPARE(set->lifetimeMs(), 3600 * kSecond);
    QVERIFY(set->grantType.isEmpty());
    QCOMPARE(set->refreshToken, QStringLiteral("rt-1"));
    QVERIFY(set->isFresh(1'800'003'599'999, 0));
    QVERIFY(!set->isFresh(1'800'003'600'000, 0));
    // Written back, it keeps its times (now in milliseconds too).
    const auto again = TokenSet::deserialize(set->serialize());
    QVERIFY(again);
    QCOMPARE(again->expiresAtMs, set->expiresAtMs);
}

void TestTokenSet::writesSecondsForEarlierVersions()
{
    // An earlier version reading what this one wrote (a downgrade) finds whole seconds where it looks,
    // rounded towards "expired": never later than the real expiry.
    TokenSet set = sample();
    set.obtainedAtMs = 1'800'000'000'999;
    set.expiresAtMs = 1'800'000'001'999;
    const QJsonObject doc = QJsonDocument::fromJson(set.serialize()).object();
    QCOMPARE(doc.value(QStringLiteral("v")).toInt(), 1);
    QCOMPARE(doc.value(QStringLiteral("obtained_at")).toInteger(), 1'800'000'000);
    QCOMPARE(doc.value(QStringLiteral("expires_at")).toInteger(), 1'800'000'001);
    QCOMPARE(doc.value(QStringLiteral("obtained_at_ms")).toInteger(), 1'800'000'000'999);
    QCOMPARE(doc.value(QStringLiteral("expires_at_ms")).toInteger(), 1'800'000'001'999);
}

QTEST_APPLESS_MAIN(TestTokenSet)
#include "TestTokenSet.moc"
