// Unit tests for JsonSpans: locating values in JSON with comments without disturbing anything else.
#include "JsonSpans.h"

#include <QTest>

using latchkey::import::JsonSpans;

class TestJsonSpans : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void membersInOrder();
    void commentsAndStringsWithBraces();
    void notAnObject();
};

namespace {

QByteArray at(const QByteArray &text, const JsonSpans::Span &span)
{
    return text.mid(span.begin, span.end - span.begin);
}

} // namespace

void TestJsonSpans::membersInOrder()
{
    const QByteArray text = R"({"a": 1, "b" : {"x": [1, {"y": "}"}]}, "c":"s\"q", "d": null})";
    const auto members = JsonSpans::members(text);
    QVERIFY(members);
    QCOMPARE(members->size(), 4);
    QCOMPARE(members->at(0).name, std::string("a"));
    QCOMPARE(at(text, members->at(0).value), QByteArray("1"));
    QCOMPARE(at(text, members->at(1).value), QByteArray(R"({"x": [1, {"y": "}"}]})"));
    QCOMPARE(at(text, members->at(2).value), QByteArray(R"("s\"q")"));
    QCOMPARE(at(text, members->at(3).value), QByteArray("null"));
    const auto inner = JsonSpans::members(text, members->at(1).value.begin);
    QVERIFY(inner);
    QCOMPARE(inner->size(), 1);
    QCOMPARE(inner->at(0).name, std::string("x"));
}

void TestJsonSpans::commentsAndStringsWithBraces()
{
    const QByteArray text = "// top\n{ /* a { */ \"k\\u0041\": // c }\n {\"v\": \"/* not */\"} }";
    const auto members = JsonSpans::members(text);
    QVERIFY(members);
    QCOMPARE(members->size(), 1);
    QCOMPARE(members->at(0).name, std::string("kA"));
    QCOMPARE(at(text, members->at(0).value), QByteArray(R"({"v": "/* not */"})"));
}

void TestJsonSpans::notAnObject()
{
    QVERIFY(!JsonSpans::members("[1, 2]"));
    QVERIFY(!JsonSpans::members("{\"a\": 1"));
    QVERIFY(!JsonSpans::members(""));
    QCOMPARE(JsonSpans::valueEnd("{\"a\": [1", 0), qsizetype(-1));
}

QTEST_GUILESS_MAIN(TestJsonSpans)
#include "TestJsonSpans.moc"
