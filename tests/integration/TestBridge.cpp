// `latchkey connect` (the stdio <-> Streamable HTTP bridge) with the real latchkeyd and a real MCP server
// from the official SDK (tests/servers/plain-mcp.mjs: no authorization, sessions, and tools that
// misbehave on purpose). What an MCP client must be able to count on: stdout carries JSON-RPC and
// nothing else; every request gets an answer, an error if need be, whatever the client or the server
// sends; memory stays bounded while a server floods; the session ends with a DELETE when stdin closes;
// an unknown server is never added behind the person's back.
#include "BridgeProcess.h"
#include "DaemonHarness.h"
#include "NodeServer.h"

#include "Client.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QTimer>

using namespace latchkey::test;
using latchkey::ipc::Json;

namespace {

constexpr long kMaxPeakRssKb = 64 * 1024; // the bridge while a server sends 100 MiB
constexpr qint64 kFlood = 100LL * 1024 * 1024;

QJsonObject getJson(const QUrl &url)
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setTransferTimeout(10000);
    QNetworkReply *reply = network.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished()) {
        loop.exec();
    }
    const QJsonObject object = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return object;
}

QString errorMessage(const QJsonObject &answer)
{
    return answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
}

int errorCode(const QJsonObject &answer)
{
    return answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toInt();
}

QJsonObject echoArgs(const QString &text)
{
    return {{QStringLiteral("text"), text}};
}

} // namespace

class TestBridge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void unknownServerWithoutYesIsRefused();
    void unknownUnreachableServerWithYesIsRefused();
    void relaysBothWays_data();
    void relaysBothWays();
    void malformedInputGetsJsonRpcErrors();
    void oversizedInputLineGetsAnError();
    void hostileAnswersBecomeErrors_data();
    void hostileAnswersBecomeErrors();
    void floodOfEventsKeepsMemoryBounded();
    void serverUnreachableGivesJsonRpcErrors();
    void stdinClosedEndsTheSessionWithDelete_data();
    void stdinClosedEndsTheSessionWithDelete();
    void sameServerTwiceRefused();

private:
    // A bridge to `url`, initialized; the test fails (and returns nullptr) if it is not.
    std::shared_ptr<BridgeProcess> connectTo(const QString &url, const QStringList &extra = {});
    // A bridge checked by checkStreams() after the test.
    std::shared_ptr<BridgeProcess> newBridge();
    void checkStreams(BridgeProcess &bridge);
    QJsonObject stats(const NodeServer &server);
    QStringList serverNames();

    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<NodeServer> m_sse;               // answers POSTs with event streams
    std::unique_ptr<NodeServer> m_json;              // answers POSTs with JSON
    QList<std::shared_ptr<BridgeProcess>> m_bridges; // of the current test, for checkStreams in cleanup()
};

void TestBridge::initTestCase()
{
    if (const QString why = NodeServer::unavailableReason(); !why.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) { // scripts/test.sh: everything must run
            QFAIL(qPrintable(why));
        }
        QSKIP(qPrintable(why));
    }
    m_sse = std::make_unique<NodeServer>(QStringLiteral("plain-mcp.mjs"), QStringList{});
    QVERIFY2(m_sse->start(), qPrintable(m_sse->errorString()));
    m_json = std::make_unique<NodeServer>(QStringLiteral("plain-mcp.mjs"), QStringList{QStringLiteral("--json")});
    QVERIFY2(m_json->start(), qPrintable(m_json->errorString()));
    m_daemon = std::make_unique<DaemonHarness>();
    QVERIFY(m_daemon->start());
}

void TestBridge::cleanup()
{
    const auto bridges = std::exchange(m_bridges, {});
    for (const auto &bridge : bridges) {
        checkStreams(*bridge);
    }
}

// stdout: JSON-RPC only (BridgeProcess checks every line); stderr: log lines only, never a protocol message.
void TestBridge::checkStreams(BridgeProcess &bridge)
{
    const QList<QByteArray> &violations = bridge.protocolViolations();
    QVERIFY2(violations.isEmpty(), violations.isEmpty() ? "" : violations.front().constData());
    const QList<QByteArray> lines = bridge.standardError().split('\n');
    for (const QByteArray &line : lines) {
        if (line.isEmpty()) {
            continue;
        }
        QVERIFY2(line.startsWith("latchkey connect: "), line.left(300).constData());
        QVERIFY2(!line.contains("\"jsonrpc\""), line.left(300).constData());
    }
}

std::shared_ptr<BridgeProcess> TestBridge::newBridge()
{
    auto bridge = std::make_shared<BridgeProcess>();
    m_bridges << bridge;
    return bridge;
}

std::shared_ptr<BridgeProcess> TestBridge::connectTo(const QString &url, const QStringList &extra)
{
    auto bridge = newBridge();
    if (!bridge->start(*m_daemon, QStringList{url, QStringLiteral("--yes")} + extra)) {
        qWarning("latchkey connect did not start");
        return nullptr;
    }
    const QJsonObject answer = bridge->initialize();
    if (!answer.value(QStringLiteral("result")).toObject().contains(QStringLiteral("protocolVersion"))) {
        qWarning("initialize: %s\nstderr: %s", dump(answer).constData(), bridge->standardError().constData());
        return nullptr;
    }
    return bridge;
}

QJsonObject TestBridge::stats(const NodeServer &server)
{
    QUrl url(server.value(QStringLiteral("url")));
    url.setPath(QStringLiteral("/__test/stats"));
    return getJson(url);
}

QStringList TestBridge::serverNames()
{
    latchkey::ipc::Client client(m_daemon->socketPath());
    QStringList names;
    if (!client.connectToDaemon(5000)) {
        return names;
    }
    const auto listed = client.call("server.list");
    for (const Json &server : listed.result["servers"]) {
        names << QString::fromStdString(server.value("name", std::string()));
    }
    return names;
}

void TestBridge::unknownServerWithoutYesIsRefused()
{
    const QStringList before = serverNames();
    const int postsBefore = stats(*m_sse).value(QStringLiteral("posts")).toInt();
    QString unknown = m_sse->value(QStringLiteral("url"));
    unknown.replace(QStringLiteral("/mcp"), QStringLiteral("/unknown-mcp"));

    auto bridgePtr = newBridge();
    BridgeProcess &bridge = *bridgePtr;
    QVERIFY(bridge.start(*m_daemon, {unknown})); // no --yes, and no terminal to ask on
    // The MCP client hears why, as the answer to its initialize and to whatever it asks next.
    for (const QJsonObject &answer : {bridge.initialize(5000), bridge.call(QStringLiteral("tools/list"), {}, 5000)}) {
        const QString message =
            answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
        QVERIFY2(message.contains(QStringLiteral("is not configured")) && message.contains(unknown), dump(answer));
    }
    QVERIFY(bridge.isRunning()); // until the client lets go
    bridge.closeStdin();
    QCOMPARE(bridge.waitForExit(), 1);
    const QByteArray err = bridge.standardError();
    QVERIFY2(err.contains("is not configured") && err.contains("--yes") && err.contains(unknown.toUtf8()),
             err.constData());
    QVERIFY(bridge.protocolViolations().isEmpty());                              // stdout: JSON-RPC only
    QCOMPARE(serverNames(), before);                                             // nothing added
    QCOMPARE(stats(*m_sse).value(QStringLiteral("posts")).toInt(), postsBefore); // the server was not contacted
}

void TestBridge::unknownUnreachableServerWithYesIsRefused()
{
    const QStringList before = serverNames();
    // A port nothing listens on: bind one, then let it go.
    NodeServer gone(QStringLiteral("plain-mcp.mjs"), {});
    QVERIFY2(gone.start(), qPrintable(gone.errorString()));
    const QString url = gone.value(QStringLiteral("url"));
    gone.stop();

    auto bridgePtr = newBridge();
    BridgeProcess &bridge = *bridgePtr;
    QVERIFY(bridge.start(*m_daemon, {url, QStringLiteral("--yes")}));
    const QJsonObject answer = bridge.initialize(20000);
    const QString message =
        answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QStringLiteral("cannot reach")), dump(answer));
    bridge.closeStdin();
    QCOMPARE(bridge.waitForExit(), 1);
    QVERIFY2(bridge.standardError().contains("cannot reach"), bridge.standardError().constData());
    QCOMPARE(serverNames(), before);
}

void TestBridge::relaysBothWays_data()
{
    QTest::addColumn<bool>("json");
    QTest::newRow("event-stream answers") << false;
    QTest::newRow("JSON answers") << true;
}

void TestBridge::relaysBothWays()
{
    QFETCH(bool, json);
    NodeServer &server = json ? *m_json : *m_sse;
    const QString url = server.value(QStringLiteral("url"));
    const int getsBefore = stats(server).value(QStringLiteral("gets")).toInt();
    auto bridge = connectTo(url);
    QVERIFY(bridge);
    // Added on first use, under a readable name, and known from now on.
    const QByteArray err = bridge->standardError();
    QVERIFY2(serverNames().contains(QStringLiteral("127.0.0.1-%1").arg(QUrl(url).port())), err.constData());

    const QJsonObject tools = bridge->call(QStringLiteral("tools/list"));
    QStringList names;
    const QJsonArray list = tools.value(QStringLiteral("result")).toObject().value(QStringLiteral("tools")).toArray();
    for (const QJsonValue &tool : list) {
        names << tool.toObject().value(QStringLiteral("name")).toString();
    }
    QVERIFY2(names.contains(QStringLiteral("echo")) && names.contains(QStringLiteral("notify")), dump(tools));

    // Unicode, quotes and newlines survive both directions.
    const QString text = QStringLiteral("h\u00e9llo \"w\u00f6rld\"\n\u20ac \U0001F511");
    QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(text))), text);

    // Several requests in flight at once; every answer comes back under its own id.
    QList<int> ids;
    for (int i = 0; i < 20; ++i) {
        ids << bridge->request(QStringLiteral("tools/call"),
                               {{QStringLiteral("name"), QStringLiteral("echo")},
                                {QStringLiteral("arguments"), echoArgs(QString::number(i))}});
    }
    for (int i = 0; i < ids.size(); ++i) {
        const QJsonObject answer = bridge->waitForAnswer(ids.at(i));
        QCOMPARE(toolText(answer), QString::number(i));
    }

    if (!json) {
        // A notification the server sends on the request's stream comes before the answer.
        const int id =
            bridge->request(QStringLiteral("tools/call"), {{QStringLiteral("name"), QStringLiteral("notify")}});
        const QJsonObject note = bridge->waitFor([](const QJsonObject &message) {
            return message.value(QStringLiteral("method")).toString() == QStringLiteral("notifications/message");
        });
        QCOMPARE(note.value(QStringLiteral("params")).toObject().value(QStringLiteral("data")).toString(),
                 QStringLiteral("working"));
        QCOMPARE(toolText(bridge->waitForAnswer(id)), QStringLiteral("notified"));
        // After notifications/initialized the bridge listens on the session's own stream (GET).
        QTRY_VERIFY_WITH_TIMEOUT(stats(server).value(QStringLiteral("gets")).toInt() > getsBefore, 10000);
    }
    QVERIFY(bridge->isRunning());
    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
}

void TestBridge::malformedInputGetsJsonRpcErrors()
{
    auto bridge = connectTo(m_sse->value(QStringLiteral("url")));
    QVERIFY(bridge);
    struct Case
    {
        QByteArray line;
        int code;
    };
    const QList<Case> cases = {
        {"this is not JSON", -32700},
        {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", -32700},
        {"[1, 2", -32700},
        {"42", -32600},
        {"\"a string\"", -32600},
        {"null", -32600},
        {QByteArray("{\"id\":\0}", 8), -32700},
        {"\xff\xfe{}", -32700},
    };
    for (const Case &bad : cases) {
        bridge->send(bad.line);
        const QJsonObject answer = bridge->waitFor(
            [](const QJsonObject &message) { return message.contains(QStringLiteral("error")); }, 15000);
        QVERIFY2(!answer.isEmpty(), bad.line.constData());
        QCOMPARE(answer.value(QStringLiteral("id")), QJsonValue(QJsonValue::Null));
        QCOMPARE(errorCode(answer), bad.code);
        QVERIFY(!errorMessage(answer).isEmpty());
        // …and the bridge goes on.
        QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(QStringLiteral("still here")))),
                 QStringLiteral("still here"));
    }
    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
}

void TestBridge::oversizedInputLineGetsAnError()
{
    auto bridge = connectTo(m_sse->value(QStringLiteral("url")));
    QVERIFY(bridge);
    // Over the 16 MiB line cap: refused without being kept whole, and the next line is read as usual.
    QByteArray huge = R"({"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"echo","arguments":{"text":")";
    huge += QByteArray(17 * 1024 * 1024, 'h');
    huge += R"("}}})";
    bridge->send(huge);
    const QJsonObject answer =
        bridge->waitFor([](const QJsonObject &message) { return message.contains(QStringLiteral("error")); }, 60000);
    QCOMPARE(errorCode(answer), -32600);
    QVERIFY2(errorMessage(answer).contains(QStringLiteral("too large")), dump(answer));
    QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(QStringLiteral("next")))),
             QStringLiteral("next"));
    QVERIFY2(bridge->peakRssKb() < kMaxPeakRssKb, qPrintable(QString::number(bridge->peakRssKb())));
    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
}

void TestBridge::hostileAnswersBecomeErrors_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QString>("logged");   // on stderr
    QTest::addColumn<QString>("answered"); // in the JSON-RPC error
    QTest::newRow("event stream of garbage, no answer")
        << QStringLiteral("garbage-sse") << QStringLiteral("not JSON") << QStringLiteral("without an answer");
    QTest::newRow("100 MiB line") << QStringLiteral("long-line-sse") << QStringLiteral("line over")
                                  << QStringLiteral("line over");
    QTest::newRow("100 MiB event") << QStringLiteral("huge-event-sse") << QStringLiteral("event over")
                                   << QStringLiteral("event over");
    QTest::newRow("JSON that is not") << QStringLiteral("garbage-json") << QStringLiteral("not JSON")
                                      << QStringLiteral("not JSON");
    QTest::newRow("100 MiB JSON") << QStringLiteral("huge-json") << QStringLiteral("over") << QStringLiteral("over");
}

void TestBridge::hostileAnswersBecomeErrors()
{
    QFETCH(QString, tool);
    QFETCH(QString, logged);
    QFETCH(QString, answered);
    auto bridge = connectTo(m_sse->value(QStringLiteral("url")));
    QVERIFY(bridge);
    const QJsonObject answer = bridge->callTool(tool, {}, 60000);
    QVERIFY2(answer.contains(QStringLiteral("error")), dump(answer) + '\n' + bridge->standardError());
    QCOMPARE(errorCode(answer), -32000);
    QVERIFY2(errorMessage(answer).contains(answered), dump(answer));
    QVERIFY2(bridge->standardError().contains(logged.toUtf8()), bridge->standardError().constData());
    // The bridge survives, with its memory bounded, and the session goes on.
    QVERIFY(bridge->isRunning());
    QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(QStringLiteral("after")))),
             QStringLiteral("after"));
    const long peak = bridge->peakRssKb();
    qInfo("%s: bridge peak RSS %ld KiB", qPrintable(tool), peak);
    QVERIFY2(peak > 0 && peak < kMaxPeakRssKb, qPrintable(QStringLiteral("peak RSS %1 KiB").arg(peak)));
    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
}

void TestBridge::floodOfEventsKeepsMemoryBounded()
{
    // 100 MiB of well-formed notifications on one request's stream, then the answer: each is relayed as
    // it arrives, nothing piles up.
    auto bridge = connectTo(m_sse->value(QStringLiteral("url")));
    QVERIFY(bridge);
    const int id = bridge->request(QStringLiteral("tools/call"),
                                   {{QStringLiteral("name"), QStringLiteral("flood-sse")},
                                    {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("size"), kFlood}}}});
    qint64 notifications = 0;
    long peak = 0;
    QElapsedTimer timer;
    timer.start();
    const bool answered = bridge->drainUntil(
        [id, &peak, &bridge](const QJsonObject &message) {
            peak = std::max(peak, bridge->rssKb());
            return message.value(QStringLiteral("id")).toInt(-1) == id;
        },
        &notifications, 110000);
    QVERIFY2(answered, bridge->standardError().constData());
    peak = std::max(peak, bridge->peakRssKb());
    qInfo("flood: %lld notifications (%lld bytes on stdout) in %lld ms, bridge peak RSS %ld KiB", notifications,
          bridge->bytesRead(), timer.elapsed(), peak);
    QVERIFY(bridge->bytesRead() > kFlood * 9 / 10);
    QVERIFY(notifications > 100000);
    QVERIFY2(peak < kMaxPeakRssKb, qPrintable(QStringLiteral("peak RSS %1 KiB").arg(peak)));
    QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(QStringLiteral("after")))),
             QStringLiteral("after"));
    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
}

void TestBridge::serverUnreachableGivesJsonRpcErrors()
{
    auto server = std::make_unique<NodeServer>(QStringLiteral("plain-mcp.mjs"), QStringList{});
    QVERIFY2(server->start(), qPrintable(server->errorString()));
    const QString url = server->value(QStringLiteral("url"));
    {
        auto first = connectTo(url); // known from now on
        QVERIFY(first);
        first->closeStdin();
        QCOMPARE(first->waitForExit(), 0);
    }
    server->stop();

    auto bridgePtr = newBridge();
    BridgeProcess &bridge = *bridgePtr;
    QVERIFY(bridge.start(*m_daemon, {url}));
    const QJsonObject answer = bridge.initialize();
    QCOMPARE(errorCode(answer), -32000);
    QVERIFY2(errorMessage(answer).contains(QStringLiteral("cannot reach")) && errorMessage(answer).contains(url),
             dump(answer));
    QVERIFY(bridge.standardError().contains("cannot reach"));
    // Still there, still answering every request.
    const QJsonObject again = bridge.call(QStringLiteral("tools/list"));
    QVERIFY2(errorMessage(again).contains(QStringLiteral("cannot reach")), dump(again));
    QVERIFY(bridge.isRunning());
    bridge.closeStdin();
    QCOMPARE(bridge.waitForExit(), 0);
}

void TestBridge::stdinClosedEndsTheSessionWithDelete_data()
{
    QTest::addColumn<bool>("json");
    QTest::newRow("event-stream server") << false;
    QTest::newRow("JSON server") << true;
}

void TestBridge::stdinClosedEndsTheSessionWithDelete()
{
    QFETCH(bool, json);
    NodeServer &server = json ? *m_json : *m_sse;
    const QJsonArray sessionsBefore = stats(server).value(QStringLiteral("sessions")).toArray();
    auto bridge = connectTo(server.value(QStringLiteral("url")));
    QVERIFY(bridge);
    QCOMPARE(toolText(bridge->callTool(QStringLiteral("echo"), echoArgs(QStringLiteral("x")))), QStringLiteral("x"));
    const QJsonArray sessions = stats(server).value(QStringLiteral("sessions")).toArray();
    QVERIFY(sessions.size() > sessionsBefore.size()); // and one more if this connect added the server
    const QString session = sessions.last().toString();
    QVERIFY(!stats(server).value(QStringLiteral("deleted")).toArray().contains(session));

    bridge->closeStdin();
    QCOMPARE(bridge->waitForExit(), 0);
    QVERIFY2(stats(server).value(QStringLiteral("deleted")).toArray().contains(session),
             dump(stats(server)) + "\nsession " + session.toUtf8());
}

void TestBridge::sameServerTwiceRefused()
{
    // One record per resource, so that a token asked for by resource has exactly one grant to come from.
    NodeServer server(QStringLiteral("plain-mcp.mjs"), {});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString url = server.value(QStringLiteral("url"));
    const QString first = DaemonHarness::uniqueName(QStringLiteral("dup-a"));
    const QString second = DaemonHarness::uniqueName(QStringLiteral("dup-b"));
    const auto added = m_daemon->cli({QStringLiteral("add"), url, QStringLiteral("--name"), first});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const auto again = m_daemon->cli({QStringLiteral("add"), url, QStringLiteral("--name"), second});
    QCOMPARE(again.exitCode, 1);
    QVERIFY2(again.err.contains("already configured as") && again.err.contains(first.toUtf8()), again.err.constData());
    QVERIFY(serverNames().contains(first));
    QVERIFY(!serverNames().contains(second));
}

QTEST_GUILESS_MAIN(TestBridge)
#include "TestBridge.moc"
