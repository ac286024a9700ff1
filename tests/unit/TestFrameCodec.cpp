// Unit tests for ipc::FrameCodec: length-prefixed framing with a cap checked before buffering.
#include "FrameCodec.h"

#include <QTest>

using latchkey::ipc::FrameCodec;

namespace {

QByteArray header(quint32 length)
{
    QByteArray bytes(4, '\0');
    bytes[0] = static_cast<char>((length >> 24) & 0xffu);
    bytes[1] = static_cast<char>((length >> 16) & 0xffu);
    bytes[2] = static_cast<char>((length >> 8) & 0xffu);
    bytes[3] = static_cast<char>(length & 0xffu);
    return bytes;
}

} // namespace

class TestFrameCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeWritesBigEndianLength();
    void roundTrip_data();
    void roundTrip();
    void partialFrameByteByByte();
    void severalFramesInOneChunk();
    void frameSplitAcrossChunksAfterAComplete();
    void payloadMayContainAnyByte();
    void capExceededRefusedBeforeBuffering();
    void capExceededWithDefaultLimit();
    void payloadExactlyAtCapAccepted();
    void zeroLengthIsAnError();
    void oversizeSecondHeaderSurfacesInNext();
    void errorsAreSticky();
    void emptyAppendIsHarmless();
    void nextOnEmptyCodec();
    void bufferShrinksAfterConsumption();
};

void TestFrameCodec::encodeWritesBigEndianLength()
{
    const QByteArray frame = FrameCodec::encode(QByteArrayLiteral("hello"));
    QCOMPARE(frame.size(), 9);
    QCOMPARE(frame.left(4), QByteArray::fromHex("00000005"));
    QCOMPARE(frame.mid(4), QByteArrayLiteral("hello"));

    const QByteArray big(0x010203, 'x');
    QCOMPARE(FrameCodec::encode(big).left(4), QByteArray::fromHex("00010203"));
}

void TestFrameCodec::roundTrip_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("one byte") << QByteArrayLiteral("x");
    QTest::newRow("json") << QByteArrayLiteral(R"({"v":1,"id":7,"method":"status"})");
    QTest::newRow("utf8") << QStringLiteral("caf\u00e9 \u2603").toUtf8();
    QTest::newRow("64 KiB") << QByteArray(64 * 1024, 'a');
}

void TestFrameCodec::roundTrip()
{
    QFETCH(QByteArray, payload);
    FrameCodec codec;
    codec.append(FrameCodec::encode(payload));
    const auto out = codec.next();
    QVERIFY(out.has_value());
    QCOMPARE(*out, payload);
    QVERIFY(!codec.next().has_value());
    QVERIFY(!codec.hasError());
    QCOMPARE(codec.bufferedBytes(), 0);
}

void TestFrameCodec::partialFrameByteByByte()
{
    const QByteArray payload = QByteArrayLiteral(R"({"v":1,"id":1,"method":"server.list"})");
    const QByteArray frame = FrameCodec::encode(payload);
    FrameCodec codec;
    for (qsizetype i = 0; i < frame.size() - 1; ++i) {
        codec.append(frame.mid(i, 1));
        QVERIFY2(!codec.next().has_value(), qPrintable(QStringLiteral("frame surfaced after %1 bytes").arg(i + 1)));
        QVERIFY(!codec.hasError());
        QCOMPARE(codec.bufferedBytes(), i + 1);
    }
    codec.append(frame.right(1));
    const auto out = codec.next();
    QVERIFY(out.has_value());
    QCOMPARE(*out, payload);
    QVERIFY(!codec.next().has_value());
}

void TestFrameCodec::severalFramesInOneChunk()
{
    const QList<QByteArray> payloads = {QByteArrayLiteral("first"), QByteArrayLiteral("second frame"),
                                        QByteArray(1000, 'z'), QByteArrayLiteral("4")};
    QByteArray chunk;
    for (const QByteArray &p : payloads) {
        chunk += FrameCodec::encode(p);
    }
    FrameCodec codec;
    codec.append(chunk);
    for (const QByteArray &p : payloads) {
        const auto out = codec.next();
        QVERIFY(out.has_value());
        QCOMPARE(*out, p);
    }
    QVERIFY(!codec.next().has_value());
    QVERIFY(!codec.hasError());
    QCOMPARE(codec.bufferedBytes(), 0);
}

void TestFrameCodec::frameSplitAcrossChunksAfterAComplete()
{
    const QByteArray a = FrameCodec::encode(QByteArrayLiteral("alpha"));
    const QByteArray b = FrameCodec::encode(QByteArrayLiteral("bravo-bravo"));
    FrameCodec codec;
    // A complete frame plus two bytes of the next header, then the rest in two pieces.
    codec.append(a + b.left(2));
    QCOMPARE(codec.next().value_or(QByteArray()), QByteArrayLiteral("alpha"));
    QVERIFY(!codec.next().has_value());
    QCOMPARE(codec.bufferedBytes(), 2);
    codec.append(b.mid(2, 5));
    QVERIFY(!codec.next().has_value());
    codec.append(b.mid(7));
    QCOMPARE(codec.next().value_or(QByteArray()), QByteArrayLiteral("bravo-bravo"));
    QVERIFY(!codec.hasError());
}

void TestFrameCodec::payloadMayContainAnyByte()
{
    QByteArray payload;
    for (int i = 0; i < 256; ++i) {
        payload.append(static_cast<char>(i));
    }
    FrameCodec codec;
    codec.append(FrameCodec::encode(payload));
    QCOMPARE(codec.next().value_or(QByteArray()), payload);
}

void TestFrameCodec::capExceededRefusedBeforeBuffering()
{
    FrameCodec codec(1024);
    codec.append(header(1025));
    QVERIFY(codec.hasError());
    QVERIFY2(codec.errorString().contains(QStringLiteral("1025")), qPrintable(codec.errorString()));
    QCOMPARE(codec.bufferedBytes(), 0);
    QVERIFY(!codec.next().has_value());
}

void TestFrameCodec::capExceededWithDefaultLimit()
{
    // A header claiming 2 MiB: refused the moment its four bytes are in, nothing kept.
    FrameCodec codec;
    codec.append(header(2u * 1024u * 1024u));
    QVERIFY(codec.hasError());
    QCOMPARE(codec.bufferedBytes(), 0);

    // Also when the header trickles in one byte at a time.
    FrameCodec slow;
    const QByteArray h = header(0xffffffffu);
    for (qsizetype i = 0; i < 3; ++i) {
        slow.append(h.mid(i, 1));
        QVERIFY(!slow.hasError());
    }
    slow.append(h.mid(3, 1));
    QVERIFY(slow.hasError());
    QCOMPARE(slow.bufferedBytes(), 0);
}

void TestFrameCodec::payloadExactlyAtCapAccepted()
{
    FrameCodec codec(16);
    const QByteArray payload(16, 'p');
    codec.append(FrameCodec::encode(payload));
    QVERIFY(!codec.hasError());
    QCOMPARE(codec.next().value_or(QByteArray()), payload);
}

void TestFrameCodec::zeroLengthIsAnError()
{
    FrameCodec codec;
    codec.append(header(0));
    QVERIFY(codec.hasError());
    QVERIFY(!codec.errorString().isEmpty());
    QVERIFY(!codec.next().has_value());
    QCOMPARE(codec.bufferedBytes(), 0);
}

void TestFrameCodec::oversizeSecondHeaderSurfacesInNext()
{
    // The second header arrives in the same chunk as a good frame: the good one is still delivered,
    // then the bad header ends the stream.
    FrameCodec codec(1024);
    codec.append(FrameCodec::encode(QByteArrayLiteral("ok")) + header(5000) + QByteArray(10, 'x'));
    QCOMPARE(codec.next().value_or(QByteArray()), QByteArrayLiteral("ok"));
    QVERIFY(!codec.next().has_value());
    QVERIFY(codec.hasError());
    QCOMPARE(codec.bufferedBytes(), 0);

    FrameCodec zero;
    zero.append(FrameCodec::encode(QByteArrayLiteral("ok")) + header(0));
    QCOMPARE(zero.next().value_or(QByteArray()), QByteArrayLiteral("ok"));
    QVERIFY(!zero.next().has_value());
    QVERIFY(zero.hasError());
}

void TestFrameCodec::errorsAreSticky()
{
    FrameCodec codec(64);
    codec.append(header(65));
    QVERIFY(codec.hasError());
    const QString first = codec.errorString();

    // A perfectly good frame after the error is ignored: the stream cannot be resynchronised.
    codec.append(FrameCodec::encode(QByteArrayLiteral("good")));
    QVERIFY(codec.hasError());
    QCOMPARE(codec.errorString(), first);
    QCOMPARE(codec.bufferedBytes(), 0);
    QVERIFY(!codec.next().has_value());
    QVERIFY(!codec.next().has_value());
    QVERIFY(codec.hasError());
}

void TestFrameCodec::emptyAppendIsHarmless()
{
    FrameCodec codec;
    codec.append(QByteArrayView());
    codec.append(QByteArray());
    QVERIFY(!codec.hasError());
    QCOMPARE(codec.bufferedBytes(), 0);
    QVERIFY(!codec.next().has_value());
}

void TestFrameCodec::nextOnEmptyCodec()
{
    FrameCodec codec;
    QVERIFY(!codec.next().has_value());
    QVERIFY(!codec.hasError());
    QVERIFY(codec.errorString().isEmpty());
}

void TestFrameCodec::bufferShrinksAfterConsumption()
{
    FrameCodec codec;
    const QByteArray frame = FrameCodec::encode(QByteArray(100, 'a'));
    codec.append(frame + frame.left(10));
    QCOMPARE(codec.bufferedBytes(), frame.size() + 10);
    QVERIFY(codec.next().has_value());
    QCOMPARE(codec.bufferedBytes(), 10);
    QVERIFY(!codec.next().has_value());
    QCOMPARE(codec.bufferedBytes(), 10);
    codec.append(frame.mid(10));
    QVERIFY(codec.next().has_value());
    QCOMPARE(codec.bufferedBytes(), 0);
}

QTEST_GUILESS_MAIN(TestFrameCodec)
#include "TestFrameCodec.moc"
