#include "ScopeSet.h"

#include <QTest>

using latchkey::oauth::ScopeSet;

class TestScopeSet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void invalidTokensSkipped();
    void roundTrip();
    void unionForStepUp();
    void unionIsStableAndIdempotent();
    void containsAll();
    void equalityIgnoresOrder();
    void caps();
};

void TestScopeSet::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("scopes");

    QTest::newRow("empty") << QString() << QStringList{};
    QTest::newRow("blank") << QStringLiteral("   ") << QStringList{};
    QTest::newRow("one") << QStringLiteral("files:read") << QStringList{QStringLiteral("files:read")};
    QTest::newRow("two") << QStringLiteral("files:read files:write")
                         << QStringList{QStringLiteral("files:read"), QStringLiteral("files:write")};
    QTest::newRow("extra whitespace") << QStringLiteral("  a \t b   c ")
                                      << QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    QTest::newRow("duplicates folded, first position kept")
        << QStringLiteral("b a b c a") << QStringList{QStringLiteral("b"), QStringLiteral("a"), QStringLiteral("c")};
    QTest::newRow("case-sensitive") << QStringLiteral("Read read")
                                    << QStringList{QStringLiteral("Read"), QStringLiteral("read")};
    QTest::newRow("URL scopes") << QStringLiteral("https://graph.example.com/.default openid")
                                << QStringList{QStringLiteral("https://graph.example.com/.default"),
                                               QStringLiteral("openid")};
    QTest::newRow("every allowed punctuation") << QStringLiteral("!#$%&'()*+,-./:;<=>?@[]^_`{|}~")
                                               << QStringList{QStringLiteral("!#$%&'()*+,-./:;<=>?@[]^_`{|}~")};
}

void TestScopeSet::parse()
{
    QFETCH(QString, text);
    QFETCH(QStringList, scopes);
    QString error;
    const ScopeSet set = ScopeSet::parse(text, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(set.toList(), scopes);
    QCOMPARE(set.size(), scopes.size());
    QCOMPARE(set.isEmpty(), scopes.isEmpty());
    QCOMPARE(set.toString(), scopes.join(u' '));
}

void TestScopeSet::invalidTokensSkipped()
{
    QString error;
    // '"' and '\' are excluded by RFC 6749 §3.3, as are controls and non-ASCII.
    const ScopeSet set = ScopeSet::parse(QStringLiteral("a \"quoted\" b\\c caf\u00e9 x\ny d"), &error);
    QCOMPARE(set.toList(), (QStringList{QStringLiteral("a"), QStringLiteral("d")}));
    QVERIFY(!error.isEmpty());
    QVERIFY(error.startsWith(QStringLiteral("4 ")));

    QVERIFY(ScopeSet::isScopeToken(u"mcp:tools"));
    QVERIFY(!ScopeSet::isScopeToken(u""));
    QVERIFY(!ScopeSet::isScopeToken(u"a b"));
    QVERIFY(!ScopeSet::isScopeToken(u"a\"b"));
    QVERIFY(!ScopeSet::isScopeToken(u"a\\b"));

    ScopeSet manual;
    QVERIFY(manual.insert(QStringLiteral("a")));
    QVERIFY(!manual.insert(QStringLiteral("a")));
    QVERIFY(!manual.insert(QStringLiteral("b c")));
    QVERIFY(!manual.insert(QString()));
    QCOMPARE(manual.toString(), QStringLiteral("a"));

    QString listError;
    const ScopeSet fromList = ScopeSet::fromList(
        {QStringLiteral("x"), QStringLiteral("bad scope"), QStringLiteral("x"), QStringLiteral("y")}, &listError);
    QCOMPARE(fromList.toList(), (QStringList{QStringLiteral("x"), QStringLiteral("y")}));
    QVERIFY(listError.startsWith(QStringLiteral("1 ")));
}

void TestScopeSet::roundTrip()
{
    const ScopeSet set = ScopeSet::parse(u"  openid  profile mcp:read openid ");
    QCOMPARE(set.toString(), QStringLiteral("openid profile mcp:read"));
    QCOMPARE(ScopeSet::parse(set.toString()).toList(), set.toList());
}

void TestScopeSet::unionForStepUp()
{
    // MCP step-up: held scopes, then the challenge's new ones (conformance auth/scope-step-up).
    const ScopeSet held = ScopeSet::parse(u"mcp:basic");
    const ScopeSet challenged = ScopeSet::parse(u"mcp:basic mcp:write");
    const ScopeSet next = held.united(challenged);
    QCOMPARE(next.toString(), QStringLiteral("mcp:basic mcp:write"));
    QVERIFY(next.containsAll(held));
    QVERIFY(next.containsAll(challenged));

    // A challenge that names only the missing scope does not lose the held ones.
    const ScopeSet onlyMissing = ScopeSet::parse(u"files:write");
    QCOMPARE(ScopeSet::parse(u"files:read openid").united(onlyMissing).toString(),
             QStringLiteral("files:read openid files:write"));

    // Union with empty sets.
    QCOMPARE(held.united(ScopeSet()).toString(), QStringLiteral("mcp:basic"));
    QCOMPARE(ScopeSet().united(held).toString(), QStringLiteral("mcp:basic"));
    QVERIFY(ScopeSet().united(ScopeSet()).isEmpty());
}

void TestScopeSet::unionIsStableAndIdempotent()
{
    const ScopeSet a = ScopeSet::parse(u"c a");
    const ScopeSet b = ScopeSet::parse(u"b a d");
    QCOMPARE(a.united(b).toString(), QStringLiteral("c a b d"));
    QCOMPARE(b.united(a).toString(), QStringLiteral("b a d c"));
    QCOMPARE(a.united(b), b.united(a)); // same set, different order
    QCOMPARE(a.united(b).united(b).toString(), a.united(b).toString());
    QCOMPARE(a.united(a).toString(), a.toString());
}

void TestScopeSet::containsAll()
{
    const ScopeSet held = ScopeSet::parse(u"a b c");
    QVERIFY(held.containsAll(ScopeSet::parse(u"c a")));
    QVERIFY(held.containsAll(ScopeSet()));
    QVERIFY(!held.containsAll(ScopeSet::parse(u"a d")));
    QVERIFY(held.contains(QStringLiteral("b")));
    QVERIFY(!held.contains(QStringLiteral("B")));
}

void TestScopeSet::equalityIgnoresOrder()
{
    QCOMPARE(ScopeSet::parse(u"a b"), ScopeSet::parse(u"b a"));
    QVERIFY(!(ScopeSet::parse(u"a b") == ScopeSet::parse(u"a")));
    QCOMPARE(ScopeSet(), ScopeSet::parse(u"  "));
}

void TestScopeSet::caps()
{
    QString error;
    const ScopeSet tooLong = ScopeSet::parse(QString(ScopeSet::MaxLength + 1, u'a'), &error);
    QVERIFY(tooLong.isEmpty());
    QVERIFY(!error.isEmpty());

    QStringList many;
    for (qsizetype i = 0; i < ScopeSet::MaxScopes + 10; ++i) {
        many.append(QStringLiteral("s%1").arg(i));
    }
    const ScopeSet capped = ScopeSet::parse(many.join(u' '), &error);
    QCOMPARE(capped.size(), ScopeSet::MaxScopes);
    QVERIFY(error.startsWith(QStringLiteral("10 ")));
    QCOMPARE(capped.toList(), many.first(ScopeSet::MaxScopes));

    const ScopeSet full = ScopeSet::fromList(many.first(ScopeSet::MaxScopes));
    QCOMPARE(full.united(ScopeSet::parse(u"extra")).size(), ScopeSet::MaxScopes);
}

QTEST_APPLESS_MAIN(TestScopeSet)
#include "TestScopeSet.moc"
