#include "WwwAuthenticate.h"

#include <QElapsedTimer>
#include <QTest>

using latchkey::oauth::WwwAuthenticate;

class TestWwwAuthenticate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void mcpExamples();
    void quotingAndEscaping_data();
    void quotingAndEscaping();
    void caseInsensitiveNamesAndWhitespace();
    void multipleChallenges();
    void token68();
    void emptyListElements();
    void multipleFieldLines();
    void bearerLookupIgnoresOtherSchemes();
    void malformed_data();
    void malformed();
    void errorKeepsEarlierChallenges();
    void duplicateParameterDropsTheChallenge();
    void unquotedUrlIsASyntaxError();
    void obsTextAndUtf8();
    void caps();
    void hostileInputIsLinear_data();
    void hostileInputIsLinear();
    void serializationRoundTrips_data();
    void serializationRoundTrips();
};

void TestWwwAuthenticate::mcpExamples()
{
    // The 401 and 403 examples of the MCP authorization specification, folded onto one line.
    const auto unauthorized = WwwAuthenticate::parse(
        R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource",)"
        R"(                         scope="files:read")");
    QVERIFY2(unauthorized.isValid(), qPrintable(unauthorized.errorString()));
    QVERIFY(unauthorized.hasBearer());
    QCOMPARE(unauthorized.resourceMetadata(),
             QStringLiteral("https://mcp.example.com/.well-known/oauth-protected-resource"));
    QCOMPARE(unauthorized.scope(), QStringLiteral("files:read"));
    QVERIFY(unauthorized.error().isEmpty());

    const auto forbidden =
        WwwAuthenticate::parse(R"(Bearer error="insufficient_scope", scope="files:write", )"
                               R"(resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", )"
                               R"(error_description="File write permission required for this operation")");
    QVERIFY2(forbidden.isValid(), qPrintable(forbidden.errorString()));
    QCOMPARE(forbidden.error(), QStringLiteral("insufficient_scope"));
    QCOMPARE(forbidden.scope(), QStringLiteral("files:write"));
    QCOMPARE(forbidden.errorDescription(), QStringLiteral("File write permission required for this operation"));
    QCOMPARE(forbidden.challenges().size(), 1);
    QCOMPARE(forbidden.challenges().first().params.size(), 4);

    // What the conformance suite's mock servers send.
    const auto conformance = WwwAuthenticate::parse(
        R"(Bearer scope="mcp:basic mcp:write", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp", error="insufficient_scope")");
    QVERIFY(conformance.isValid());
    QCOMPARE(conformance.scope(), QStringLiteral("mcp:basic mcp:write"));
    QCOMPARE(conformance.error(), QStringLiteral("insufficient_scope"));
}

void TestWwwAuthenticate::quotingAndEscaping_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");

    QTest::newRow("token value") << QByteArray("Bearer error=invalid_token") << QByteArray("invalid_token");
    QTest::newRow("token with all tchars")
        << QByteArray("Bearer error=!#$%&'*+-.^_`|~09azAZ") << QByteArray("!#$%&'*+-.^_`|~09azAZ");
    QTest::newRow("quoted") << QByteArray(R"(Bearer error="invalid_token")") << QByteArray("invalid_token");
    QTest::newRow("empty quoted") << QByteArray(R"(Bearer error="")") << QByteArray("");
    QTest::newRow("escaped quote") << QByteArray(R"(Bearer error="say \"hi\"")") << QByteArray(R"(say "hi")");
    QTest::newRow("escaped backslash") << QByteArray(R"(Bearer error="a\\b")") << QByteArray(R"(a\b)");
    QTest::newRow("escaped ordinary char") << QByteArray(R"(Bearer error="\a\b\c")") << QByteArray("abc");
    QTest::newRow("escaped space") << QByteArray(R"(Bearer error="a\ b")") << QByteArray("a b");
    QTest::newRow("comma inside quotes") << QByteArray(R"(Bearer error="a, b=c, Basic x")")
                                         << QByteArray("a, b=c, Basic x");
    QTest::newRow("equals inside quotes") << QByteArray(R"(Bearer error="a=b")") << QByteArray("a=b");
    QTest::newRow("tab inside quotes") << QByteArray("Bearer error=\"a\tb\"") << QByteArray("a\tb");
    QTest::newRow("trailing escaped backslash") << QByteArray(R"(Bearer error="x\\")") << QByteArray(R"(x\)");
}

void TestWwwAuthenticate::quotingAndEscaping()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    const auto parsed = WwwAuthenticate::parse(header);
    QVERIFY2(parsed.isValid(), qPrintable(parsed.errorString()));
    QCOMPARE(parsed.challenges().size(), 1);
    QCOMPARE(parsed.challenges().first().param("error"), value);
    QVERIFY(!parsed.challenges().first().param("error").isNull());
}

void TestWwwAuthenticate::caseInsensitiveNamesAndWhitespace()
{
    const auto parsed = WwwAuthenticate::parse("bEaReR   Resource_Metadata \t=\t \"https://x/prm\" ,SCOPE =a");
    QVERIFY2(parsed.isValid(), qPrintable(parsed.errorString()));
    QVERIFY(parsed.hasBearer());
    QCOMPARE(parsed.challenges().first().scheme, QByteArray("bearer"));
    QCOMPARE(parsed.challenges().first().params.first().name, QByteArray("resource_metadata"));
    QCOMPARE(parsed.resourceMetadata(), QStringLiteral("https://x/prm"));
    QCOMPARE(parsed.scope(), QStringLiteral("a"));
    QVERIFY(parsed.challenges().first().hasParam("RESOURCE_metadata"));
    QVERIFY(parsed.find("BEARER"));
    // Values are case-sensitive.
    QCOMPARE(WwwAuthenticate::parse("Bearer error=Invalid_Token").error(), QStringLiteral("Invalid_Token"));
}

void TestWwwAuthenticate::multipleChallenges()
{
    // RFC 9110 §11.6.1's own example.
    const auto parsed = WwwAuthenticate::parse(R"(Basic realm="simple", Newauth realm="apps", type=1,)"
                                               R"( title="Login to \"apps\"")");
    QVERIFY2(parsed.isValid(), qPrintable(parsed.errorString()));
    QCOMPARE(parsed.challenges().size(), 2);
    const auto &basic = parsed.challenges().at(0);
    QCOMPARE(basic.scheme, QByteArray("basic"));
    QCOMPARE(basic.params.size(), 1);
    QCOMPARE(basic.param("realm"), QByteArray("simple"));
    const auto &newauth = parsed.challenges().at(1);
    QCOMPARE(newauth.scheme, QByteArray("newauth"));
    QCOMPARE(newauth.params.size(), 3);
    QCOMPARE(newauth.param("realm"), QByteArray("apps"));
    QCOMPARE(newauth.param("type"), QByteArray("1"));
    QCOMPARE(newauth.param("title"), QByteArray(R"(Login to "apps")"));
    QVERIFY(!parsed.hasBearer());
    QVERIFY(parsed.resourceMetadata().isEmpty());

    // Bearer after another scheme, schemes without parameters in between.
    const auto mixed = WwwAuthenticate::parse(
        R"(Negotiate, Basic realm="r", DPoP algs="ES256", Bearer realm="mcp", scope="a b", Foo)");
    QVERIFY2(mixed.isValid(), qPrintable(mixed.errorString()));
    QCOMPARE(mixed.challenges().size(), 5);
    QCOMPARE(mixed.challenges().at(0).scheme, QByteArray("negotiate"));
    QVERIFY(mixed.challenges().at(0).params.isEmpty());
    QCOMPARE(mixed.challenges().at(2).param("algs"), QByteArray("ES256"));
    QCOMPARE(mixed.scope(), QStringLiteral("a b"));
    QCOMPARE(mixed.challenges().at(4).scheme, QByteArray("foo"));

    // The first Bearer challenge wins.
    const auto twoBearers = WwwAuthenticate::parse(R"(Bearer scope="first", Bearer scope="second")");
    QVERIFY(twoBearers.isValid());
    QCOMPARE(twoBearers.challenges().size(), 2);
    QCOMPARE(twoBearers.scope(), QStringLiteral("first"));
}

void TestWwwAuthenticate::token68()
{
    const auto basic = WwwAuthenticate::parse("Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    QVERIFY(basic.isValid());
    QCOMPARE(basic.challenges().first().token68, QByteArray("YWxhZGRpbjpvcGVuc2VzYW1l"));
    QVERIFY(basic.challenges().first().params.isEmpty());

    const auto padded = WwwAuthenticate::parse("Foo abc-._~+/==, Bearer error=x");
    QVERIFY2(padded.isValid(), qPrintable(padded.errorString()));
    QCOMPARE(padded.challenges().size(), 2);
    QCOMPARE(padded.challenges().first().token68, QByteArray("abc-._~+/=="));
    QCOMPARE(padded.error(), QStringLiteral("x"));

    // "x=" cannot be an auth-param (the value is missing) but is a token68.
    const auto trailingEquals = WwwAuthenticate::parse("Foo x=");
    QVERIFY(trailingEquals.isValid());
    QCOMPARE(trailingEquals.challenges().first().token68, QByteArray("x="));

    // token68 must stand alone in its challenge.
    QVERIFY(!WwwAuthenticate::parse("Foo abc def").isValid());
    const auto paramAfterToken68 = WwwAuthenticate::parse("Foo abc, realm=x");
    QVERIFY(!paramAfterToken68.isValid());
    QCOMPARE(paramAfterToken68.challenges().size(), 1);
}

void TestWwwAuthenticate::emptyListElements()
{
    const auto parsed = WwwAuthenticate::parse(" , ,Bearer ,, scope=a , ,error=b,, , Basic realm=x ,");
    QVERIFY2(parsed.isValid(), qPrintable(parsed.errorString()));
    QCOMPARE(parsed.challenges().size(), 2);
    QCOMPARE(parsed.scope(), QStringLiteral("a"));
    QCOMPARE(parsed.error(), QStringLiteral("b"));
    QCOMPARE(parsed.challenges().at(1).param("realm"), QByteArray("x"));

    // A parameter after a bare scheme belongs to it: it cannot start a challenge.
    const auto leadingEmpty = WwwAuthenticate::parse("Newauth, realm=x");
    QVERIFY2(leadingEmpty.isValid(), qPrintable(leadingEmpty.errorString()));
    QCOMPARE(leadingEmpty.challenges().size(), 1);
    QCOMPARE(leadingEmpty.challenges().first().param("realm"), QByteArray("x"));

    QVERIFY(WwwAuthenticate::parse("").isValid());
    QVERIFY(WwwAuthenticate::parse("").challenges().isEmpty());
    QVERIFY(WwwAuthenticate::parse(" ,\t, ").isValid());
    QVERIFY(WwwAuthenticate::parse(" ,\t, ").challenges().isEmpty());
}

void TestWwwAuthenticate::multipleFieldLines()
{
    const auto parsed = WwwAuthenticate::parse(
        QList<QByteArray>{R"(Basic realm="x")", R"(Bearer resource_metadata="https://h/prm")", R"(DPoP algs="ES256")"});
    QVERIFY(parsed.isValid());
    QCOMPARE(parsed.challenges().size(), 3);
    QCOMPARE(parsed.resourceMetadata(), QStringLiteral("https://h/prm"));
}

void TestWwwAuthenticate::bearerLookupIgnoresOtherSchemes()
{
    const auto parsed = WwwAuthenticate::parse(R"(Bearerish scope="no", Basic scope="no")");
    QVERIFY(parsed.isValid());
    QVERIFY(!parsed.hasBearer());
    QVERIFY(parsed.scope().isEmpty());
    QVERIFY(parsed.scope().isNull());

    const auto bare = WwwAuthenticate::parse("Bearer");
    QVERIFY(bare.isValid());
    QVERIFY(bare.hasBearer());
    QVERIFY(bare.resourceMetadata().isEmpty());
}

void TestWwwAuthenticate::malformed_data()
{
    QTest::addColumn<QByteArray>("header");

    QTest::newRow("unterminated quote") << QByteArray(R"(Bearer error="abc)");
    QTest::newRow("backslash at end") << QByteArray(R"(Bearer error="abc\)");
    QTest::newRow("missing value") << QByteArray("Bearer error=, scope=a");
    QTest::newRow("missing name") << QByteArray("Bearer =x");
    QTest::newRow("no space after scheme") << QByteArray(R"(Bearer"x")");
    QTest::newRow("junk after value") << QByteArray(R"(Bearer error="a"b)");
    QTest::newRow("junk after token value") << QByteArray("Bearer error=a b");
    QTest::newRow("two equals") << QByteArray("Bearer error==a, scope=b");
    QTest::newRow("control char in quotes") << QByteArray("Bearer error=\"a\x01\"");
    QTest::newRow("DEL in quotes") << QByteArray("Bearer error=\"a\x7f\"");
    QTest::newRow("NUL") << QByteArray("Bearer error=\"a\0b\"", 14);
    QTest::newRow("CR LF") << QByteArray("Bearer error=a\r\n, scope=b");
    QTest::newRow("escaped control") << QByteArray("Bearer error=\"\\\x01\"");
    QTest::newRow("leading junk") << QByteArray("@Bearer error=a");
    QTest::newRow("quote as scheme") << QByteArray(R"("Bearer")");
    QTest::newRow("param without challenge") << QByteArray("=a");
    QTest::newRow("semicolon separator") << QByteArray("Bearer error=a; scope=b");
    QTest::newRow("unquoted URL") << QByteArray("Bearer resource_metadata=https://x/y");
}

void TestWwwAuthenticate::malformed()
{
    QFETCH(QByteArray, header);
    const auto parsed = WwwAuthenticate::parse(header);
    QVERIFY(!parsed.isValid());
    QVERIFY(!parsed.errorString().isEmpty());
}

void TestWwwAuthenticate::errorKeepsEarlierChallenges()
{
    const auto parsed = WwwAuthenticate::parse(R"(Basic realm="x", Bearer scope="a", error="unterminated)");
    QVERIFY(!parsed.isValid());
    QCOMPARE(parsed.challenges().size(), 1);
    QCOMPARE(parsed.challenges().first().scheme, QByteArray("basic"));
    // The challenge being parsed when the error struck is dropped entirely: no half-read Bearer.
    QVERIFY(!parsed.hasBearer());
    QVERIFY(parsed.scope().isEmpty());
    QVERIFY(parsed.errorString().contains(QStringLiteral("offset")));

    const auto later = WwwAuthenticate::parse(R"(Bearer scope="a", Basic realm="x" junk)");
    QVERIFY(!later.isValid());
    QCOMPARE(later.challenges().size(), 1);
    QCOMPARE(later.scope(), QStringLiteral("a"));
}

void TestWwwAuthenticate::duplicateParameterDropsTheChallenge()
{
    const auto parsed = WwwAuthenticate::parse(R"(Bearer scope="a", SCOPE="b", Basic realm="x")");
    QVERIFY(!parsed.isValid());
    QVERIFY(!parsed.hasBearer());
    QVERIFY(parsed.scope().isEmpty());
    QCOMPARE(parsed.challenges().size(), 1);
    QCOMPARE(parsed.challenges().first().scheme, QByteArray("basic"));

    const auto resourceTwice =
        WwwAuthenticate::parse(R"(Bearer resource_metadata="https://good/prm", resource_metadata="https://evil/prm")");
    QVERIFY(!resourceTwice.isValid());
    QVERIFY(resourceTwice.resourceMetadata().isEmpty());
}

void TestWwwAuthenticate::unquotedUrlIsASyntaxError()
{
    // ':' and '/' are not token characters: strictly, a URL must be quoted. We do not guess.
    const auto parsed = WwwAuthenticate::parse("Bearer resource_metadata=https://h/prm, scope=a");
    QVERIFY(!parsed.isValid());
    QVERIFY(parsed.resourceMetadata().isEmpty());
}

void TestWwwAuthenticate::obsTextAndUtf8()
{
    const auto utf8 = WwwAuthenticate::parse("Bearer error_description=\"caf\xc3\xa9 \xe2\x98\x95\"");
    QVERIFY2(utf8.isValid(), qPrintable(utf8.errorString()));
    QCOMPARE(utf8.errorDescription(), QStringLiteral("caf\u00e9 \u2615"));

    // Not UTF-8: still parses (obs-text), decodes with replacement characters, never throws.
    const auto latin1 = WwwAuthenticate::parse("Bearer error_description=\"caf\xe9\"");
    QVERIFY(latin1.isValid());
    QCOMPARE(latin1.errorDescription().size(), 4);
    QVERIFY(latin1.errorDescription().startsWith(QStringLiteral("caf")));

    // obs-text is not allowed in a token.
    QVERIFY(!WwwAuthenticate::parse("Bearer error=caf\xe9").isValid());
}

void TestWwwAuthenticate::caps()
{
    QByteArray longValue = "Bearer error=\"" + QByteArray(WwwAuthenticate::MaxFieldLength, 'a') + "\"";
    const auto tooLong = WwwAuthenticate::parse(longValue);
    QVERIFY(!tooLong.isValid());
    QVERIFY(tooLong.challenges().isEmpty());

    const QByteArray atLimit = "Bearer error=\"" + QByteArray(WwwAuthenticate::MaxFieldLength - 15, 'a') + "\"";
    QCOMPARE(atLimit.size(), WwwAuthenticate::MaxFieldLength);
    QVERIFY(WwwAuthenticate::parse(atLimit).isValid());

    const auto tooLongLines = WwwAuthenticate::parse(QList<QByteArray>{
        QByteArray(WwwAuthenticate::MaxFieldLength / 2, 'a'), QByteArray(WwwAuthenticate::MaxFieldLength / 2, 'b')});
    QVERIFY(!tooLongLines.isValid());

    QByteArray manyChallenges;
    for (qsizetype i = 0; i < WwwAuthenticate::MaxChallenges + 1; ++i) {
        manyChallenges += "S" + QByteArray::number(i) + ", ";
    }
    const auto tooMany = WwwAuthenticate::parse(manyChallenges);
    QVERIFY(!tooMany.isValid());
    QCOMPARE(tooMany.challenges().size(), WwwAuthenticate::MaxChallenges);

    QByteArray manyParams = "Bearer ";
    for (qsizetype i = 0; i < WwwAuthenticate::MaxParamsPerChallenge + 1; ++i) {
        manyParams += "p" + QByteArray::number(i) + "=v, ";
    }
    QVERIFY(!WwwAuthenticate::parse(manyParams).isValid());
    QVERIFY(!WwwAuthenticate::parse(manyParams).hasBearer());
}

void TestWwwAuthenticate::hostileInputIsLinear_data()
{
    QTest::addColumn<QByteArray>("header");
    const qsizetype n = WwwAuthenticate::MaxFieldLength - 64;
    QTest::newRow("commas") << QByteArray(n, ',');
    QTest::newRow("spaces after scheme") << "Bearer" + QByteArray(n, ' ');
    QTest::newRow("open quote of escapes") << "Bearer a=\"" + QByteArray(n, '\\');
    QTest::newRow("long token") << "Bearer " + QByteArray(n, 'a');
    QTest::newRow("long token then equals") << "Bearer " + QByteArray(n, 'a') + "=";
    QTest::newRow("equals run") << "Bearer a" + QByteArray(n, '=');
    QTest::newRow("name then whitespace") << "Bearer a" + QByteArray(n, ' ') + "x";
    QByteArray params = "Bearer ";
    while (params.size() < n) {
        params += "a=b,";
    }
    QTest::newRow("repeated params") << params;
    QByteArray schemes;
    while (schemes.size() < n) {
        schemes += "a ,";
    }
    QTest::newRow("many tiny schemes") << schemes;
}

void TestWwwAuthenticate::hostileInputIsLinear()
{
    QFETCH(QByteArray, header);
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 100; ++i) {
        (void)WwwAuthenticate::parse(header);
    }
    // 100 parses of 16 KiB: milliseconds when linear; a quadratic parser would take seconds.
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
}

void TestWwwAuthenticate::serializationRoundTrips_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("mcp") << QByteArray(
        R"(Bearer error="insufficient_scope", scope="a b", error_description="x \"y\" \\ z")");
    QTest::newRow("token68 and params") << QByteArray(R"(Basic abc==, Bearer realm=x, Negotiate)");
    QTest::newRow("obs-text") << QByteArray("Bearer e=\"\xff\tq\"");
}

void TestWwwAuthenticate::serializationRoundTrips()
{
    QFETCH(QByteArray, header);
    const auto parsed = WwwAuthenticate::parse(header);
    QVERIFY(parsed.isValid());
    const auto again = WwwAuthenticate::parse(parsed.toByteArray());
    QVERIFY2(again.isValid(), qPrintable(again.errorString()));
    QCOMPARE(again.challenges(), parsed.challenges());
    QCOMPARE(again.toByteArray(), parsed.toByteArray());
}

QTEST_APPLESS_MAIN(TestWwwAuthenticate)
#include "TestWwwAuthenticate.moc"
