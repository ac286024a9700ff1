// Unit tests for ipc::Message: request parsing (what the daemon accepts from the wire), daemon message
// parsing (what clients accept), and serialisation.
#include "Message.h"

#include <QTest>

using namespace latchkey::ipc;

namespace {

QByteArray bytes(const std::string &text)
{
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

QByteArray nested(qsizetype depth, char open, char close, const QByteArray &inner = {})
{
    return QByteArray(depth, open) + inner + QByteArray(depth, close);
}

} // namespace

class TestMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parseValidRequest();
    void paramsOptional();
    void notJson_data();
    void notJson();
    void notObject_data();
    void notObject();
    void badId_data();
    void badId();
    void idOutOfRangeIsNotAnotherId();
    void wrongVersion_data();
    void wrongVersion();
    void missingVersion();
    void badMethod_data();
    void badMethod();
    void paramsNotObject_data();
    void paramsNotObject();
    void depthBombRefused_data();
    void depthBombRefused();
    void moderateNestingAccepted();
    void invalidUtf8Refused_data();
    void invalidUtf8Refused();
    void validUtf8Accepted();
    void parseJsonReportsWhy();
    void requestRoundTrip();
    void responseSerialize();
    void responseWithoutIdSerializesNull();
    void serializeNeverThrowsOnInvalidUtf8();
    void eventRoundTrip();
    void parseDaemonResponse();
    void parseDaemonError();
    void parseDaemonErrorWithoutCode();
    void parseDaemonEvent();
    void parseDaemonGarbage_data();
    void parseDaemonGarbage();
};

void TestMessage::parseValidRequest()
{
    const auto parsed =
        parseRequest(QByteArrayLiteral(R"({"v":1,"id":7,"method":"token.get","params":{"server":"gh","n":[1,2]}})"));
    QVERIFY(parsed.request.has_value());
    QVERIFY(!parsed.fatal);
    QCOMPARE(parsed.request->id, 7);
    QCOMPARE(parsed.request->method, std::string("token.get"));
    QCOMPARE(parsed.request->params.at("server").get<std::string>(), std::string("gh"));
    QCOMPARE(parsed.request->params.at("n").size(), size_t(2));

    const auto negative = parseRequest(QByteArrayLiteral(R"({"v":1,"id":-3,"method":"status"})"));
    QVERIFY(negative.request.has_value());
    QCOMPARE(negative.request->id, -3);

    const auto large = parseRequest(QByteArrayLiteral(R"({"v":1,"id":9223372036854775807,"method":"status"})"));
    QVERIFY(large.request.has_value());
    QCOMPARE(large.request->id, std::numeric_limits<std::int64_t>::max());
}

void TestMessage::paramsOptional()
{
    for (const QByteArray &payload : {QByteArrayLiteral(R"({"v":1,"id":1,"method":"status"})"),
                                      QByteArrayLiteral(R"({"v":1,"id":1,"method":"status","params":null})")}) {
        const auto parsed = parseRequest(payload);
        QVERIFY(parsed.request.has_value());
        QVERIFY(parsed.request->params.is_object());
        QVERIFY(parsed.request->params.empty());
    }
}

void TestMessage::notJson_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("text") << QByteArrayLiteral("hello");
    QTest::newRow("truncated") << QByteArrayLiteral(R"({"v":1,"id":1,"method":"st)");
    QTest::newRow("trailing garbage") << QByteArrayLiteral(R"({"v":1,"id":1,"method":"status"} x)");
    QTest::newRow("two documents") << QByteArrayLiteral(R"({"v":1,"id":1,"method":"status"}{})");
    QTest::newRow("nul byte") << QByteArray("{\"v\":1,\0}", 9);
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("single quotes") << QByteArrayLiteral("{'v':1}");
    QTest::newRow("comment") << QByteArrayLiteral(R"({"v":1 /* x */,"id":1,"method":"status"})");
}

void TestMessage::notJson()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
    QVERIFY(!parsed.error.id.has_value());
}

void TestMessage::notObject_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("array") << QByteArrayLiteral(R"([{"v":1,"id":1,"method":"status"}])");
    QTest::newRow("string") << QByteArrayLiteral(R"("status")");
    QTest::newRow("number") << QByteArrayLiteral("7");
    QTest::newRow("null") << QByteArrayLiteral("null");
    QTest::newRow("true") << QByteArrayLiteral("true");
}

void TestMessage::notObject()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
    QVERIFY(!parsed.error.id.has_value());
}

void TestMessage::badId_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("missing") << QByteArrayLiteral(R"({"v":1,"method":"status"})");
    QTest::newRow("string") << QByteArrayLiteral(R"({"v":1,"id":"7","method":"status"})");
    QTest::newRow("float") << QByteArrayLiteral(R"({"v":1,"id":7.5,"method":"status"})");
    QTest::newRow("float integral") << QByteArrayLiteral(R"({"v":1,"id":7.0,"method":"status"})");
    QTest::newRow("exponent") << QByteArrayLiteral(R"({"v":1,"id":1e3,"method":"status"})");
    QTest::newRow("null") << QByteArrayLiteral(R"({"v":1,"id":null,"method":"status"})");
    QTest::newRow("bool") << QByteArrayLiteral(R"({"v":1,"id":true,"method":"status"})");
    QTest::newRow("object") << QByteArrayLiteral(R"({"v":1,"id":{},"method":"status"})");
    QTest::newRow("beyond uint64") << QByteArrayLiteral(R"({"v":1,"id":18446744073709551616,"method":"status"})");
}

void TestMessage::badId()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
    QVERIFY(!parsed.error.id.has_value());
}

void TestMessage::idOutOfRangeIsNotAnotherId()
{
    // 2^63 fits only an unsigned integer. Answering it as INT64_MIN would reply to a request the
    // client never sent; it is refused like any other id that is not a 64-bit signed integer.
    for (const QByteArray &payload : {QByteArrayLiteral(R"({"v":1,"id":9223372036854775808,"method":"status"})"),
                                      QByteArrayLiteral(R"({"v":1,"id":18446744073709551615,"method":"status"})")}) {
        const auto parsed = parseRequest(payload);
        QVERIFY(!parsed.request.has_value());
        QVERIFY(parsed.fatal);
        QVERIFY(!parsed.error.id.has_value());
    }
    const auto reply = parseDaemonMessage(QByteArrayLiteral(R"({"id":18446744073709551615,"result":{}})"));
    QVERIFY(reply.response.has_value());
    QVERIFY(!reply.response->id.has_value());
}

void TestMessage::wrongVersion_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("2") << QByteArrayLiteral(R"({"v":2,"id":5,"method":"status"})");
    QTest::newRow("0") << QByteArrayLiteral(R"({"v":0,"id":5,"method":"status"})");
    QTest::newRow("-1") << QByteArrayLiteral(R"({"v":-1,"id":5,"method":"status"})");
    QTest::newRow("huge") << QByteArrayLiteral(R"({"v":9223372036854775807,"id":5,"method":"status"})");
}

void TestMessage::wrongVersion()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(!parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::UnsupportedVersion));
    QCOMPARE(parsed.error.id, std::optional<std::int64_t>(5));
    QVERIFY(parsed.error.errorMessage.find(std::to_string(kProtocolVersion)) != std::string::npos);
}

void TestMessage::missingVersion()
{
    for (const QByteArray &payload : {QByteArrayLiteral(R"({"id":5,"method":"status"})"),
                                      QByteArrayLiteral(R"({"v":"1","id":5,"method":"status"})"),
                                      QByteArrayLiteral(R"({"v":1.0,"id":5,"method":"status"})")}) {
        const auto parsed = parseRequest(payload);
        QVERIFY(!parsed.request.has_value());
        QVERIFY(!parsed.fatal);
        QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
        QCOMPARE(parsed.error.id, std::optional<std::int64_t>(5));
    }
}

void TestMessage::badMethod_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("missing") << QByteArrayLiteral(R"({"v":1,"id":9})");
    QTest::newRow("empty") << QByteArrayLiteral(R"({"v":1,"id":9,"method":""})");
    QTest::newRow("number") << QByteArrayLiteral(R"({"v":1,"id":9,"method":42})");
    QTest::newRow("null") << QByteArrayLiteral(R"({"v":1,"id":9,"method":null})");
    QTest::newRow("65 bytes") << QByteArray(R"({"v":1,"id":9,"method":")" + QByteArray(65, 'm') + R"("})");
    QTest::newRow("1 MiB") << QByteArray(R"({"v":1,"id":9,"method":")" + QByteArray(1024 * 1024, 'm') + R"("})");
}

void TestMessage::badMethod()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(!parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
    QCOMPARE(parsed.error.id, std::optional<std::int64_t>(9));
    // The reply never echoes what the client sent as a method.
    QVERIFY(parsed.error.errorMessage.size() < 200);
}

void TestMessage::paramsNotObject_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("array") << QByteArrayLiteral(R"({"v":1,"id":3,"method":"status","params":[]})");
    QTest::newRow("string") << QByteArrayLiteral(R"({"v":1,"id":3,"method":"status","params":"x"})");
    QTest::newRow("number") << QByteArrayLiteral(R"({"v":1,"id":3,"method":"status","params":1})");
    QTest::newRow("false") << QByteArrayLiteral(R"({"v":1,"id":3,"method":"status","params":false})");
}

void TestMessage::paramsNotObject()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(!parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::InvalidParams));
    QCOMPARE(parsed.error.id, std::optional<std::int64_t>(3));
}

void TestMessage::depthBombRefused_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("100k [ unterminated") << QByteArray(100000, '[');
    QTest::newRow("100k [] balanced") << nested(100000, '[', ']');
    QTest::newRow("1M [ (frame cap)") << QByteArray(1024 * 1024, '[');
    QByteArray objects;
    for (int i = 0; i < 50000; ++i) {
        objects += "{\"a\":";
    }
    objects += "1" + QByteArray(50000, '}');
    QTest::newRow("50k objects") << objects;
    QTest::newRow("bomb in params") << QByteArray(R"({"v":1,"id":1,"method":"status","params":{"x":)" +
                                                  nested(100000, '[', ']') + "}}");
    QTest::newRow("just over the limit") << QByteArray(R"({"v":1,"id":1,"method":"status","params":{"x":)" +
                                                       nested(kMaxJsonDepth, '[', ']') + "}}");
}

void TestMessage::depthBombRefused()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
    QVERIFY(!parseJson(payload).has_value());
}

void TestMessage::moderateNestingAccepted()
{
    // The request object, params and x take three levels; nesting up to the limit parses.
    const auto parsed = parseRequest(
        QByteArray(R"({"v":1,"id":1,"method":"status","params":{"x":)" + nested(kMaxJsonDepth - 3, '[', ']') + "}}"));
    QVERIFY(parsed.request.has_value());
    QVERIFY(parseJson(nested(kMaxJsonDepth, '[', ']')).has_value());
    QVERIFY(!parseJson(nested(kMaxJsonDepth + 1, '[', ']')).has_value());
    // Scalars and keys inside the deepest allowed container do not count as another level.
    QVERIFY(parseJson(nested(kMaxJsonDepth, '[', ']', QByteArrayLiteral("1,\"s\",null"))).has_value());
    const auto objects = [](int depth) {
        QByteArray text;
        for (int i = 0; i < depth; ++i) {
            text += "{\"k\":";
        }
        return text + "true" + QByteArray(depth, '}');
    };
    QVERIFY(parseJson(objects(kMaxJsonDepth)).has_value());
    QVERIFY(!parseJson(objects(kMaxJsonDepth + 1)).has_value());
}

void TestMessage::invalidUtf8Refused_data()
{
    QTest::addColumn<QByteArray>("payload");
    const auto withMethod = [](const QByteArray &raw) {
        return QByteArray(R"({"v":1,"id":1,"method":"status","params":{"s":")" + raw + "\"}}");
    };
    QTest::newRow("lone continuation") << withMethod(QByteArray("\x80"));
    QTest::newRow("truncated sequence") << withMethod(QByteArray("\xe2\x82"));
    QTest::newRow("overlong slash") << withMethod(QByteArray("\xc0\xaf"));
    QTest::newRow("surrogate") << withMethod(QByteArray("\xed\xa0\x80"));
    QTest::newRow("beyond U+10FFFF") << withMethod(QByteArray("\xf4\x90\x80\x80"));
    QTest::newRow("0xff") << withMethod(QByteArray("\xff"));
    QTest::newRow("latin1 in method") << QByteArray("{\"v\":1,\"id\":1,\"method\":\"st\xe9tus\"}");
    QTest::newRow("latin1 in key") << QByteArray("{\"v\":1,\"id\":1,\"method\":\"status\",\"\xe9\":1}");
}

void TestMessage::invalidUtf8Refused()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseRequest(payload);
    QVERIFY(!parsed.request.has_value());
    QVERIFY(parsed.fatal);
    QCOMPARE(parsed.error.errorCode, std::string(error::BadRequest));
}

void TestMessage::validUtf8Accepted()
{
    const QByteArray text = QStringLiteral("caf\u00e9 \u2603 \U0001F511").toUtf8();
    const auto parsed = parseRequest(
        QByteArray(R"({"v":1,"id":1,"method":"status","params":{"s":")" + text + R"(","e":"\u00e9\ud83d\udd11"}})"));
    QVERIFY(parsed.request.has_value());
    QCOMPARE(bytes(parsed.request->params.at("s").get<std::string>()), text);
    QCOMPARE(bytes(parsed.request->params.at("e").get<std::string>()), QStringLiteral("\u00e9\U0001F511").toUtf8());
}

void TestMessage::parseJsonReportsWhy()
{
    std::string why;
    QVERIFY(!parseJson(QByteArrayLiteral("{"), &why).has_value());
    QVERIFY(!why.empty());
    why.clear();
    QVERIFY(!parseJson(QByteArray(1000, '['), &why).has_value());
    QVERIFY(!why.empty());
    QVERIFY(parseJson(QByteArrayLiteral(R"({"a":[1,2,{"b":null}]})")).has_value());
}

void TestMessage::requestRoundTrip()
{
    Request request;
    request.id = 42;
    request.method = "secret.set";
    request.params = {{"server", "gh"}, {"key", "token"}, {"nested", {{"a", {1, 2, 3}}}}};
    const auto parsed = parseRequest(request.serialize());
    QVERIFY(parsed.request.has_value());
    QCOMPARE(parsed.request->id, request.id);
    QCOMPARE(parsed.request->method, request.method);
    QVERIFY(parsed.request->params == request.params);

    const auto doc = parseJson(request.serialize());
    QVERIFY(doc.has_value());
    QCOMPARE(doc->at("v").get<int>(), kProtocolVersion);
}

void TestMessage::responseSerialize()
{
    const auto ok = parseJson(Response::success(7, {{"x", 1}}).serialize());
    QVERIFY(ok.has_value());
    QCOMPARE(ok->at("id").get<std::int64_t>(), 7);
    QCOMPARE(ok->at("result").at("x").get<int>(), 1);
    QVERIFY(!ok->contains("error"));

    // A null result becomes an empty object, so clients can always index into it.
    const auto empty = parseJson(Response::success(8, nullptr).serialize());
    QVERIFY(empty.has_value());
    QVERIFY(empty->at("result").is_object());

    const auto failed = parseJson(Response::failure(9, error::NotFound, "no server named \"x\"").serialize());
    QVERIFY(failed.has_value());
    QCOMPARE(failed->at("error").at("code").get<std::string>(), std::string(error::NotFound));
    QCOMPARE(failed->at("error").at("message").get<std::string>(), std::string("no server named \"x\""));
    QVERIFY(!failed->contains("result"));
}

void TestMessage::responseWithoutIdSerializesNull()
{
    const auto doc = parseJson(Response::failure(std::nullopt, error::BadFrame, "bad").serialize());
    QVERIFY(doc.has_value());
    QVERIFY(doc->contains("id"));
    QVERIFY(doc->at("id").is_null());

    const auto back = parseDaemonMessage(Response::failure(std::nullopt, error::BadFrame, "bad").serialize());
    QVERIFY(back.response.has_value());
    QVERIFY(!back.response->id.has_value());
    QCOMPARE(back.response->errorCode, std::string(error::BadFrame));
}

void TestMessage::serializeNeverThrowsOnInvalidUtf8()
{
    Response response = Response::failure(1, error::Internal, std::string("bad \xff byte"));
    QByteArray out;
    try {
        out = response.serialize();
    } catch (...) {
        QFAIL("serialize threw on invalid UTF-8");
    }
    QVERIFY(parseJson(out).has_value());

    Event event{"x", {{"s", std::string("\xc0")}}};
    QVERIFY(parseJson(event.serialize()).has_value());
}

void TestMessage::eventRoundTrip()
{
    const Event event{"server.changed", {{"name", "gh"}, {"change", "added"}}};
    const auto parsed = parseDaemonMessage(event.serialize());
    QVERIFY(parsed.error.empty());
    QVERIFY(!parsed.response.has_value());
    QVERIFY(parsed.event.has_value());
    QCOMPARE(parsed.event->name, event.name);
    QVERIFY(parsed.event->data == event.data);
}

void TestMessage::parseDaemonResponse()
{
    const auto parsed = parseDaemonMessage(Response::success(11, {{"servers", Json::array()}}).serialize());
    QVERIFY(parsed.error.empty());
    QVERIFY(!parsed.event.has_value());
    QVERIFY(parsed.response.has_value());
    QVERIFY(parsed.response->ok());
    QCOMPARE(parsed.response->id, std::optional<std::int64_t>(11));
    QVERIFY(parsed.response->result.at("servers").is_array());
}

void TestMessage::parseDaemonError()
{
    const auto parsed =
        parseDaemonMessage(Response::failure(12, error::KeychainUnavailable, "no secret service").serialize());
    QVERIFY(parsed.response.has_value());
    QVERIFY(!parsed.response->ok());
    QCOMPARE(parsed.response->id, std::optional<std::int64_t>(12));
    QCOMPARE(parsed.response->errorCode, std::string(error::KeychainUnavailable));
    QCOMPARE(parsed.response->errorMessage, std::string("no secret service"));
}

void TestMessage::parseDaemonErrorWithoutCode()
{
    // An error object without a usable code still reads as a failure, never as success.
    for (const QByteArray &payload : {QByteArrayLiteral(R"({"id":1,"error":{}})"),
                                      QByteArrayLiteral(R"({"id":1,"error":{"code":5,"message":[]}})")}) {
        const auto parsed = parseDaemonMessage(payload);
        QVERIFY(parsed.response.has_value());
        QVERIFY(!parsed.response->ok());
        QCOMPARE(parsed.response->errorCode, std::string(error::Internal));
    }
}

void TestMessage::parseDaemonEvent()
{
    // An event wins over an id, and data is optional.
    const auto bare = parseDaemonMessage(QByteArrayLiteral(R"({"event":"keychain.changed"})"));
    QVERIFY(bare.event.has_value());
    QVERIFY(!bare.response.has_value());
    QCOMPARE(bare.event->name, std::string("keychain.changed"));
    QVERIFY(bare.event->data.is_object());
    QVERIFY(bare.event->data.empty());

    const auto withId = parseDaemonMessage(QByteArrayLiteral(R"({"id":3,"event":"x","data":{"a":1},"result":{}})"));
    QVERIFY(withId.event.has_value());
    QVERIFY(!withId.response.has_value());
    QCOMPARE(withId.event->data.at("a").get<int>(), 1);

    // A non-string event name is not an event.
    const auto notEvent = parseDaemonMessage(QByteArrayLiteral(R"({"event":5,"id":1,"result":{}})"));
    QVERIFY(!notEvent.event.has_value());
    QVERIFY(notEvent.response.has_value());
}

void TestMessage::parseDaemonGarbage_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("not json") << QByteArrayLiteral("}{");
    QTest::newRow("array") << QByteArrayLiteral("[1]");
    QTest::newRow("neither") << QByteArrayLiteral(R"({"id":1})");
    QTest::newRow("depth bomb") << QByteArray(100000, '[');
    QTest::newRow("invalid utf8") << QByteArray("{\"id\":1,\"result\":\"\xff\"}");
}

void TestMessage::parseDaemonGarbage()
{
    QFETCH(QByteArray, payload);
    const auto parsed = parseDaemonMessage(payload);
    QVERIFY(!parsed.response.has_value());
    QVERIFY(!parsed.event.has_value());
    QVERIFY(!parsed.error.empty());
}

QTEST_GUILESS_MAIN(TestMessage)
#include "TestMessage.moc"
