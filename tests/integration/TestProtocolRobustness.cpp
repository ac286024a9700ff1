// Hostile and broken clients against the real daemon: each gets a clear error, a protocol error
// closes only that connection, and the daemon keeps serving everyone else.
#include "DaemonHarness.h"
#include "FrameCodec.h"
#include "Message.h"

#include <QDeadlineTimer>
#include <QLocalSocket>
#include <QRandomGenerator>
#include <QTest>

using latchkey::ipc::FrameCodec;
using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;

namespace {

// A client that writes whatever bytes a test wants and reads framed replies.
class RawClient
{
public:
    explicit RawClient(const QString &path) { m_socket.connectToServer(path); }
    bool connected() { return m_socket.waitForConnected(5000); }
    void writeRaw(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    void send(const Json &request)
    {
        const std::string text = request.dump();
        writeRaw(FrameCodec::encode(QByteArray(text.data(), static_cast<qsizetype>(text.size()))));
    }
    // The next reply, or a null json when the connection closed or the deadline passed.
    Json next(int timeoutMs = 5000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (true) {
            if (auto payload = m_codec.next()) {
                return Json::parse(payload->cbegin(), payload->cend());
            }
            if (m_socket.state() != QLocalSocket::ConnectedState && m_socket.bytesAvailable() == 0) {
                return {};
            }
            if (deadline.hasExpired()) {
                return {};
            }
            if (m_socket.bytesAvailable() == 0) {
                m_socket.waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
            }
            m_codec.append(m_socket.readAll());
        }
    }
    bool closedByPeer(int timeoutMs = 5000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (m_socket.state() == QLocalSocket::ConnectedState && !deadline.hasExpired()) {
            m_socket.waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
            m_socket.readAll();
        }
        return m_socket.state() != QLocalSocket::ConnectedState;
    }

private:
    QLocalSocket m_socket;
    FrameCodec m_codec;
};

Json request(int id, const std::string &method, Json params = Json::object())
{
    return {{"v", 1}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

std::string errorCode(const Json &reply)
{
    return reply.is_object() && reply.contains("error") ? reply["error"]["code"].get<std::string>() : std::string();
}

} // namespace

class TestProtocolRobustness : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void fatalErrorsCloseOnlyThatConnection_data();
    void fatalErrorsCloseOnlyThatConnection();
    void requestErrorsKeepTheConnection_data();
    void requestErrorsKeepTheConnection();
    void partialFramesAreBuffered();
    void pipelinedRequestsAreAnsweredInOrder();
    void randomGarbageNeverKillsTheDaemon();

private:
    void expectDaemonServes();

    std::unique_ptr<DaemonHarness> m_harness;
    std::unique_ptr<RawClient> m_bystander;
};

void TestProtocolRobustness::initTestCase()
{
    m_harness = std::make_unique<DaemonHarness>();
    QVERIFY(m_harness->start());
    // A well-behaved client connected throughout; it must never notice the others' trouble.
    m_bystander = std::make_unique<RawClient>(m_harness->socketPath());
    QVERIFY(m_bystander->connected());
}

void TestProtocolRobustness::cleanupTestCase()
{
    m_bystander.reset();
    QVERIFY(m_harness->stop());
}

void TestProtocolRobustness::expectDaemonServes()
{
    static int id = 1000;
    m_bystander->send(request(++id, "server.list"));
    const Json reply = m_bystander->next();
    QVERIFY2(reply.is_object() && reply.value("id", 0) == id && reply.contains("result"), reply.dump().c_str());
}

void TestProtocolRobustness::fatalErrorsCloseOnlyThatConnection_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("code");
    QTest::newRow("length over the 1 MiB cap") << QByteArray::fromHex("00100001") << QByteArray("bad_frame");
    QTest::newRow("length 4 GiB") << QByteArray::fromHex("ffffffff") << QByteArray("bad_frame");
    QTest::newRow("zero length") << QByteArray::fromHex("00000000") << QByteArray("bad_frame");
    QTest::newRow("not JSON") << FrameCodec::encode("{\"v\":1,") << QByteArray("bad_request");
    QTest::newRow("invalid UTF-8") << FrameCodec::encode("{\"v\":1,\"id\":1,\"method\":\"\xff\xfe\"}")
                                   << QByteArray("bad_request");
    QTest::newRow("array, not object") << FrameCodec::encode("[1,2,3]") << QByteArray("bad_request");
    QTest::newRow("no id") << FrameCodec::encode("{\"v\":1,\"method\":\"status\"}") << QByteArray("bad_request");
    QTest::newRow("string id") << FrameCodec::encode("{\"v\":1,\"id\":\"7\",\"method\":\"status\"}")
                               << QByteArray("bad_request");
    QTest::newRow("nesting bomb") << FrameCodec::encode(QByteArray(100000, '[')) << QByteArray("bad_request");
}

void TestProtocolRobustness::fatalErrorsCloseOnlyThatConnection()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, code);
    RawClient client(m_harness->socketPath());
    QVERIFY(client.connected());
    client.writeRaw(bytes);
    const Json reply = client.next();
    QCOMPARE(QByteArray::fromStdString(errorCode(reply)), code);
    QVERIFY(reply["id"].is_null());
    QVERIFY(client.closedByPeer());
    expectDaemonServes();
}

void TestProtocolRobustness::requestErrorsKeepTheConnection_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("code");
    QTest::newRow("unknown method") << QByteArray(R"({"v":1,"id":5,"method":"token.steal"})")
                                    << QByteArray("unknown_method");
    QTest::newRow("future version") << QByteArray(R"({"v":2,"id":5,"method":"status"})")
                                    << QByteArray("unsupported_version");
    QTest::newRow("params not object") << QByteArray(R"({"v":1,"id":5,"method":"status","params":[1]})")
                                       << QByteArray("invalid_params");
    QTest::newRow("name of wrong type") << QByteArray(R"({"v":1,"id":5,"method":"server.env","params":{"name":42}})")
                                        << QByteArray("invalid_params");
    QTest::newRow("name with slash") << QByteArray(R"({"v":1,"id":5,"method":"server.env","params":{"name":"../x"}})")
                                     << QByteArray("invalid_params");
    QTest::newRow("unknown server") << QByteArray(R"({"v":1,"id":5,"method":"server.env","params":{"name":"nope"}})")
                                    << QByteArray("not_found");
    QTest::newRow("huge name") << QByteArray(R"({"v":1,"id":5,"method":"server.env","params":{"name":")") +
                                      QByteArray(900000, 'a') + QByteArray(R"("}})")
                               << QByteArray("invalid_params");
    QTest::newRow("secret with newline")
        << QByteArray(R"({"v":1,"id":5,"method":"secret.set","params":{"server":"a","key":"K","value":"x\ny"}})")
        << QByteArray("invalid_params");
    QTest::newRow("secret with NUL")
        << QByteArray(R"({"v":1,"id":5,"method":"secret.set","params":{"server":"a","key":"K","value":"x\u0000y"}})")
        << QByteArray("invalid_params");
    QTest::newRow("bad env name")
        << QByteArray(R"({"v":1,"id":5,"method":"server.add","params":{"server":{"name":"a","kind":"stdio",)"
                      R"("command":["/bin/true"],"env":[{"var":"1X","source":"secret","key":"K"}]}}})")
        << QByteArray("invalid_params");
}

void TestProtocolRobustness::requestErrorsKeepTheConnection()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, code);
    RawClient client(m_harness->socketPath());
    QVERIFY(client.connected());
    client.writeRaw(FrameCodec::encode(json));
    const Json reply = client.next();
    QCOMPARE(QByteArray::fromStdString(errorCode(reply)), code);
    QCOMPARE(reply["id"].get<int>(), 5);
    QVERIFY(!reply["error"]["message"].get<std::string>().empty());
    // Same connection, next request: still answered.
    client.send(request(6, "server.list"));
    const Json again = client.next();
    QCOMPARE(again.value("id", 0), 6);
    QVERIFY(again.contains("result"));
}

void TestProtocolRobustness::partialFramesAreBuffered()
{
    RawClient client(m_harness->socketPath());
    QVERIFY(client.connected());
    const std::string text = request(9, "server.list").dump();
    const QByteArray frame = FrameCodec::encode(QByteArray::fromStdString(text));
    for (char byte : frame) {
        client.writeRaw(QByteArray(1, byte));
    }
    const Json reply = client.next();
    QCOMPARE(reply.value("id", 0), 9);
}

void TestProtocolRobustness::pipelinedRequestsAreAnsweredInOrder()
{
    RawClient client(m_harness->socketPath());
    QVERIFY(client.connected());
    QByteArray burst;
    for (int id = 1; id <= 200; ++id) {
        burst += FrameCodec::encode(QByteArray::fromStdString(request(id, "server.list").dump()));
    }
    client.writeRaw(burst);
    for (int id = 1; id <= 200; ++id) {
        const Json reply = client.next();
        QCOMPARE(reply.value("id", 0), id);
    }
}

void TestProtocolRobustness::randomGarbageNeverKillsTheDaemon()
{
    auto *rng = QRandomGenerator::global();
    for (int round = 0; round < 50; ++round) {
        RawClient client(m_harness->socketPath());
        QVERIFY(client.connected());
        QByteArray junk(static_cast<qsizetype>(rng->bounded(1, 4096)), Qt::Uninitialized);
        for (char &c : junk) {
            c = static_cast<char>(rng->bounded(256));
        }
        client.writeRaw(junk);
    }
    expectDaemonServes();
    QCOMPARE(m_harness->process()->state(), QProcess::Running);
}

QTEST_GUILESS_MAIN(TestProtocolRobustness)
#include "TestProtocolRobustness.moc"
