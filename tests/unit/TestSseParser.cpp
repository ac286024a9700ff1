// Unit tests for bridge::SseParser: the event-stream interpretation of the HTML Living Standard as
// MCP Streamable HTTP uses it, fed whole, byte by byte and at every split point; and its caps.
#include "SseParser.h"

#include <QTest>

#include <algorithm>

using latchkey::bridge::SseParser;

namespace {

using Events = QList<SseParser::Event>;

Events feedAll(SseParser &parser, QByteArrayView bytes)
{
    return parser.feed(bytes);
}

Events feedBytewise(SseParser &parser, QByteArrayView bytes)
{
    Events out;
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        out += parser.feed(bytes.sliced(i, 1));
    }
    return out;
}

// "type|data|id" per event, for readable comparisons.
QStringList describe(const Events &events)
{
    QStringList out;
    for (const SseParser::Event &event : events) {
        out << QString::fromUtf8(event.type + '|' + event.data + '|' + event.id);
    }
    return out;
}

} // namespace

class TestSseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void streams_data();
    void streams();
    void everySplitPointGivesTheSameEvents();
    void crlfSplitBetweenReads();
    void noBlankLineNoDispatch();
    void lastEventIdPersists();
    void idWithNulIsIgnored();
    void bomOnlyAtTheStart();
    void lineOverTheCapIsAnError();
    void lineOverTheCapFedBytewise();
    void eventOverTheCapIsAnError();
    void justUnderTheCapIsFine();
    void errorsAreSticky();
    void manyEventsInOneChunk();
};

void TestSseParser::streams_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QStringList>("expected");

    const QByteArray json = R"({"jsonrpc":"2.0","id":1,"result":{}})";
    QTest::newRow("LF") << QByteArray("data: " + json + "\n\n") << QStringList{QString::fromUtf8("|" + json + "|")};
    QTest::newRow("CRLF") << QByteArray("data: " + json + "\r\n\r\n")
                          << QStringList{QString::fromUtf8("|" + json + "|")};
    QTest::newRow("CR") << QByteArray("data: " + json + "\r\r") << QStringList{QString::fromUtf8("|" + json + "|")};
    QTest::newRow("mixed line ends") << QByteArray("event: a\rdata: 1\r\n\ndata: 2\n\r")
                                     << QStringList{QStringLiteral("a|1|"), QStringLiteral("|2|")};
    QTest::newRow("multi-line data") << QByteArray("data: {\"a\":\ndata:  1}\ndata\n\n")
                                     << QStringList{QStringLiteral("|{\"a\":\n 1}\n|")};
    QTest::newRow("no space after colon") << QByteArray("data:x\n\n") << QStringList{QStringLiteral("|x|")};
    QTest::newRow("only one space removed") << QByteArray("data:  x\n\n") << QStringList{QStringLiteral("| x|")};
    QTest::newRow("field without colon") << QByteArray("data\n\n") << QStringList{QStringLiteral("||")};
    QTest::newRow("empty data dispatches") << QByteArray("data:\n\n") << QStringList{QStringLiteral("||")};
    QTest::newRow("two empty data lines") << QByteArray("data\ndata\n\n") << QStringList{QStringLiteral("|\n|")};
    QTest::newRow("comments") << QByteArray(": keep-alive\n:\ndata: x\n: between\n\n: after\n\n")
                              << QStringList{QStringLiteral("|x|")};
    QTest::newRow("event and id fields") << QByteArray("id: 7\nevent: message\ndata: x\n\n")
                                         << QStringList{QStringLiteral("message|x|7")};
    QTest::newRow("event type resets") << QByteArray("event: a\ndata: 1\n\ndata: 2\n\n")
                                       << QStringList{QStringLiteral("a|1|"), QStringLiteral("|2|")};
    QTest::newRow("event without data is not dispatched")
        << QByteArray("event: a\n\ndata: 2\n\n") << QStringList{QStringLiteral("|2|")};
    QTest::newRow("id alone is not dispatched")
        << QByteArray("id: 1\n\ndata: 2\n\n") << QStringList{QStringLiteral("|2|1")};
    QTest::newRow("unknown fields and retry ignored")
        << QByteArray("retry: 1000\nfoo: bar\ndata: x\nDATA: y\n\n") << QStringList{QStringLiteral("|x|")};
    QTest::newRow("field names are case-sensitive") << QByteArray("Data: x\n\n") << QStringList{};
    QTest::newRow("colon in value") << QByteArray("data: a: b\n\n") << QStringList{QStringLiteral("|a: b|")};
    QTest::newRow("blank lines only") << QByteArray("\n\n\r\n\r\r") << QStringList{};
    QTest::newRow("UTF-8 passes through")
        << QByteArray("data: \xC3\xA9\xE2\x82\xAC\n\n") << QStringList{QString::fromUtf8("|\xC3\xA9\xE2\x82\xAC|")};
    QTest::newRow("BOM at the start") << QByteArray("\xEF\xBB\xBF"
                                                    "data: x\n\n")
                                      << QStringList{QStringLiteral("|x|")};
    QTest::newRow("NUL in data passes through")
        << QByteArray("data: a\0b\n\n", 11) << QStringList{QString::fromUtf8(QByteArray("|a\0b|", 5))};
}

void TestSseParser::streams()
{
    QFETCH(QByteArray, stream);
    QFETCH(QStringList, expected);
    {
        SseParser parser;
        QCOMPARE(describe(feedAll(parser, stream)), expected);
        QVERIFY(!parser.hasError());
    }
    {
        SseParser parser;
        QCOMPARE(describe(feedBytewise(parser, stream)), expected);
        QVERIFY(!parser.hasError());
    }
}

void TestSseParser::everySplitPointGivesTheSameEvents()
{
    const QByteArray stream = "\xEF\xBB\xBF: hi\r\nid: 3\r\nevent: message\r\ndata: {\"a\":1}\r\ndata: x\r\n\r\n"
                              "data: second\r\rdata: third\n\ndata: unfinished";
    SseParser whole;
    const QStringList expected = describe(whole.feed(stream));
    QCOMPARE(expected, (QStringList{QStringLiteral("message|{\"a\":1}\nx|3"), QStringLiteral("|second|3"),
                                    QStringLiteral("|third|3")}));
    for (qsizetype a = 0; a <= stream.size(); ++a) {
        for (qsizetype b = a; b <= stream.size(); b += 7) {
            SseParser parser;
            Events got = parser.feed(QByteArrayView(stream).first(a));
            got += parser.feed(QByteArrayView(stream).sliced(a, b - a));
            got += parser.feed(QByteArrayView(stream).sliced(b));
            QVERIFY2(describe(got) == expected, qPrintable(QStringLiteral("split at %1 and %2").arg(a).arg(b)));
        }
    }
}

void TestSseParser::crlfSplitBetweenReads()
{
    // The CR ends the line at once; the LF in the next read must not end another (empty) line, which
    // would dispatch early.
    SseParser parser;
    QVERIFY(parser.feed("data: a\r").isEmpty());
    QVERIFY(parser.feed("\ndata: b\r").isEmpty());
    const Events events = parser.feed("\n\r\n");
    QCOMPARE(describe(events), QStringList{QStringLiteral("|a\nb|")});
}

void TestSseParser::noBlankLineNoDispatch()
{
    SseParser parser;
    QVERIFY(parser.feed("data: {\"jsonrpc\":\"2.0\"}\n").isEmpty());
    QVERIFY(parser.feed("data: more").isEmpty()); // the stream may end here: nothing was dispatched
    QCOMPARE(describe(parser.feed("\n\n")), QStringList{QStringLiteral("|{\"jsonrpc\":\"2.0\"}\nmore|")});
}

void TestSseParser::lastEventIdPersists()
{
    SseParser parser;
    const Events events = parser.feed("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
    QCOMPARE(describe(events), (QStringList{QStringLiteral("|a|1"), QStringLiteral("|b|1"), QStringLiteral("|c|")}));
    QCOMPARE(parser.lastEventId(), QByteArray());
    parser.feed("id: stream-7\n\n");
    QCOMPARE(parser.lastEventId(), QByteArray("stream-7"));
}

void TestSseParser::idWithNulIsIgnored()
{
    SseParser parser;
    const Events events = parser.feed(QByteArray("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n", 32));
    QCOMPARE(describe(events), (QStringList{QStringLiteral("|a|1"), QStringLiteral("|b|1")}));
}

void TestSseParser::bomOnlyAtTheStart()
{
    {
        SseParser parser; // a BOM split over reads
        QVERIFY(parser.feed("\xEF").isEmpty());
        QVERIFY(parser.feed("\xBB").isEmpty());
        QCOMPARE(describe(parser.feed("\xBF"
                                      "data: x\n\n")),
                 QStringList{QStringLiteral("|x|")});
        // Later, the same bytes are text: part of a line that is no field we know.
        QVERIFY(parser
                    .feed("\xEF\xBB\xBF"
                          "data: y\n\n")
                    .isEmpty());
    }
    {
        SseParser parser; // starts like a BOM but is not one: the bytes stay
        QCOMPARE(describe(parser.feed("\xEF\xBB"
                                      "data: x\n\n")),
                 QStringList{});
        QCOMPARE(describe(parser.feed("data: y\n\n")), QStringList{QStringLiteral("|y|")});
    }
}

void TestSseParser::lineOverTheCapIsAnError()
{
    SseParser parser;
    QByteArray big = "data: ";
    big.append(QByteArray(SseParser::kMaxEvent, 'x'));
    // Fed in 64 KiB pieces with no line end: an error as soon as the line passes the cap, not at its end.
    Events events;
    qsizetype fed = 0;
    while (fed < big.size() && !parser.hasError()) {
        events += parser.feed(QByteArrayView(big).sliced(fed, std::min<qsizetype>(65536, big.size() - fed)));
        fed += 65536;
    }
    QVERIFY(parser.hasError());
    QVERIFY2(parser.errorString().contains(QStringLiteral("line over")), qPrintable(parser.errorString()));
    QVERIFY(events.isEmpty());
    QVERIFY(fed <= SseParser::kMaxEvent + 65536);
}

void TestSseParser::lineOverTheCapFedBytewise()
{
    SseParser parser;
    parser.feed("data: ");
    const QByteArray chunk(4096, 'z');
    qsizetype fed = 6;
    while (!parser.hasError() && fed < 2 * SseParser::kMaxEvent) {
        parser.feed(chunk);
        fed += chunk.size();
    }
    QVERIFY(parser.hasError());
    QVERIFY(fed > SseParser::kMaxEvent && fed <= SseParser::kMaxEvent + chunk.size());
    // Byte by byte across the cap too.
    SseParser bytewise;
    bytewise.feed(QByteArray(SseParser::kMaxEvent - 2, 'a'));
    QVERIFY(!bytewise.hasError());
    bytewise.feed("b");
    bytewise.feed("c");
    QVERIFY(!bytewise.hasError());
    bytewise.feed("d");
    QVERIFY(bytewise.hasError());
}

void TestSseParser::eventOverTheCapIsAnError()
{
    // Short lines, but together over the cap: one event's data is bounded too.
    SseParser parser;
    const QByteArray line = "data: " + QByteArray(64 * 1024, 'y') + "\n";
    Events events;
    int lines = 0;
    while (!parser.hasError() && lines < 200) {
        events += parser.feed(line);
        ++lines;
    }
    QVERIFY(parser.hasError());
    QVERIFY2(parser.errorString().contains(QStringLiteral("event over")), qPrintable(parser.errorString()));
    QCOMPARE(lines, int(SseParser::kMaxEvent / (64 * 1024 + 1)) + 1);
    QVERIFY(events.isEmpty());
}

void TestSseParser::justUnderTheCapIsFine()
{
    SseParser parser;
    const QByteArray data(SseParser::kMaxEvent - 16, 'k');
    const Events events = parser.feed("data: " + data + "\n\n");
    QVERIFY(!parser.hasError());
    QCOMPARE(events.size(), 1);
    QCOMPARE(events.front().data.size(), data.size());
}

void TestSseParser::errorsAreSticky()
{
    SseParser parser;
    parser.feed(QByteArray(SseParser::kMaxEvent + 1, 'x'));
    QVERIFY(parser.hasError());
    const QString error = parser.errorString();
    QVERIFY(parser.feed("\n\ndata: fine\n\n").isEmpty());
    QCOMPARE(parser.errorString(), error);
}

void TestSseParser::manyEventsInOneChunk()
{
    QByteArray stream;
    for (int i = 0; i < 1000; ++i) {
        stream += "id: " + QByteArray::number(i) + "\ndata: {\"n\":" + QByteArray::number(i) + "}\n\n";
    }
    SseParser parser;
    const Events events = parser.feed(stream);
    QCOMPARE(events.size(), 1000);
    QCOMPARE(events.at(999).data, QByteArray("{\"n\":999}"));
    QCOMPARE(events.at(999).id, QByteArray("999"));
}

QTEST_APPLESS_MAIN(TestSseParser)
#include "TestSseParser.moc"
