// `latchkey connect` end to end, every part real: an MCP client (this test) speaks stdio JSON-RPC to the
// bridge, which reaches the official SDK's MCP server (mcp-server.mjs, JWTs checked) behind oidc-provider
// (as.mjs, 20 s access tokens) with tokens from latchkeyd, which signs in through chromium (browser.mjs)
// and keeps the tokens in the Secret Service.
//   connect --yes → the server is added, the first request signs in, the call goes through;
//   the daemon refreshes the token → calls still work, after the first token is long expired;
//   admin-tool needs mcp:admin → 403 insufficient_scope → the bridge steps up → the call succeeds;
//   two bridges on one grant make calls across a refresh → the AS sees exactly one refresh.
#include "BridgeProcess.h"
#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "NodeServer.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

constexpr int kAccessTtl = 20;
constexpr int kSignInTimeoutMs = 120000;

} // namespace

class TestBridgeEndToEnd : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void firstRequestSignsIn();
    void callsWorkAfterTheDaemonRefreshed();
    void stepUpForAToolThatNeedsMore();
    void twoBridgesShareOneGrantAcrossARefresh();

private:
    QJsonObject asStats();
    int refreshGrants() { return asStats().value(QStringLiteral("refresh_grants")).toInt(); }
    QString currentToken(); // token.get for the server the bridge added, as the bridge gets it
    QString failureContext(BridgeProcess &bridge);

    QTemporaryDir m_scratch;
    std::unique_ptr<NodeServer> m_as;
    std::unique_ptr<NodeServer> m_mcp;
    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<BrowserProgram> m_browser;
    std::unique_ptr<EventClient> m_client;
    std::unique_ptr<BridgeProcess> m_bridge; // the first bridge, kept across the tests
    QNetworkAccessManager m_network;
    QString m_issuer;
    QString m_url;
    QString m_name; // what the bridge named the server it added
    QStringList m_tokens;
};

void TestBridgeEndToEnd::initTestCase()
{
    if (const QString missing = e2eUnavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    QVERIFY(m_scratch.isValid());
    m_as = std::make_unique<NodeServer>(QStringLiteral("as.mjs"),
                                        QStringList{QStringLiteral("--access-ttl"), QString::number(kAccessTtl)});
    QVERIFY2(m_as->start(), qPrintable(m_as->errorString()));
    m_issuer = m_as->value(QStringLiteral("issuer"));
    m_mcp = std::make_unique<NodeServer>(QStringLiteral("mcp-server.mjs"),
                                         QStringList{QStringLiteral("--issuer"), m_issuer});
    QVERIFY2(m_mcp->start(), qPrintable(m_mcp->errorString()));
    m_url = m_mcp->value(QStringLiteral("url"));
    m_daemon = std::make_unique<DaemonHarness>();
    m_browser = std::make_unique<BrowserProgram>(m_scratch.path());
    m_browser->installInto(*m_daemon);
    QVERIFY(m_daemon->start());
    m_client = std::make_unique<EventClient>(m_daemon->socketPath());
    QString error;
    QVERIFY2(m_client->connectAndSubscribe(&error), qPrintable(error));
}

void TestBridgeEndToEnd::cleanupTestCase()
{
    if (!m_daemon) {
        return;
    }
    QByteArray bridgeErr;
    if (m_bridge) {
        m_bridge->closeStdin();
        QCOMPARE(m_bridge->waitForExit(), 0);
        QVERIFY(m_bridge->protocolViolations().isEmpty());
        bridgeErr = m_bridge->standardError();
    }
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    m_client.reset();
    QVERIFY(m_daemon->stop());
    // The bridge never shows a token: not on stderr (stdout carries only what the server answered).
    for (const QString &token : std::as_const(m_tokens)) {
        QVERIFY2(!bridgeErr.contains(token.toUtf8()), "a token on the bridge's stderr");
        QVERIFY2(!m_daemon->daemonOutput().contains(token.toUtf8()), "a token in the daemon's output");
    }
}

QJsonObject TestBridgeEndToEnd::asStats()
{
    return httpRequest(m_network, "GET", QUrl(m_issuer + QStringLiteral("/__test/stats"))).json();
}

QString TestBridgeEndToEnd::currentToken()
{
    const Response answer = m_client->call("token.get", {{"name", m_name.toStdString()}});
    const QString token = QString::fromStdString(answer.result.value("access_token", std::string()));
    if (!token.isEmpty() && !m_tokens.contains(token)) {
        m_tokens << token;
    }
    return token;
}

QString TestBridgeEndToEnd::failureContext(BridgeProcess &bridge)
{
    return QStringLiteral("bridge stderr:\n%1\n%2")
        .arg(QString::fromUtf8(bridge.standardError().right(3000)), m_browser->describe());
}

void TestBridgeEndToEnd::firstRequestSignsIn()
{
    // An MCP client configured with `latchkey connect URL --yes` and nothing else.
    m_bridge = std::make_unique<BridgeProcess>();
    QVERIFY(m_bridge->start(*m_daemon, {m_url, QStringLiteral("--yes")}));
    const QJsonObject initialized = m_bridge->initialize(kSignInTimeoutMs);
    QVERIFY2(initialized.value(QStringLiteral("result")).toObject().contains(QStringLiteral("protocolVersion")),
             qPrintable(QString::fromUtf8(dump(initialized)) + QLatin1Char('\n') + failureContext(*m_bridge)));
    const QByteArray err = m_bridge->standardError();
    QVERIFY2(err.contains("added " + m_url.toUtf8()) && err.contains("signing in"), err.constData());
    // The bridge named the server after its host and port; it is signed in now.
    const Response listed = m_client->call("server.list");
    for (const Json &server : listed.result["servers"]) {
        if (server.value("url", std::string()) == m_url.toStdString()) {
            m_name = QString::fromStdString(server.value("name", std::string()));
            QCOMPARE(QString::fromStdString(server["grant"].value("state", std::string())), QStringLiteral("active"));
        }
    }
    QCOMPARE(m_name, QStringLiteral("127.0.0.1-%1").arg(QUrl(m_url).port()));
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), 1);
    QCOMPARE(m_browser->failures(), 0);

    const QJsonObject called = m_bridge->callTool(QStringLiteral("test-tool"));
    QVERIFY2(toolText(called).startsWith(QStringLiteral("test-tool ok for ")), dump(called).constData());
    QVERIFY(!called.value(QStringLiteral("result")).toObject().value(QStringLiteral("isError")).toBool());
    QVERIFY(!currentToken().isEmpty());
}

void TestBridgeEndToEnd::callsWorkAfterTheDaemonRefreshed()
{
    QVERIFY(m_bridge);
    const QString first = currentToken();
    const qint64 firstExpiry = jwtPayload(first).value(QStringLiteral("exp")).toInteger();
    const int refreshesBefore = refreshGrants();
    // The daemon refreshes ahead of expiry on its own; nobody asks it to here.
    QTRY_VERIFY_WITH_TIMEOUT(refreshGrants() > refreshesBefore, 3 * kAccessTtl * 1000);
    QVERIFY(currentToken() != first);
    const QJsonObject afterRefresh = m_bridge->callTool(QStringLiteral("test-tool"));
    QVERIFY2(toolText(afterRefresh).startsWith(QStringLiteral("test-tool ok")), dump(afterRefresh).constData());
    // And once the first token has expired for certain, calls still go through with the new one.
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentSecsSinceEpoch() > firstExpiry + 1, 2 * kAccessTtl * 1000);
    const QJsonObject afterExpiry = m_bridge->callTool(QStringLiteral("test-tool"));
    QVERIFY2(toolText(afterExpiry).startsWith(QStringLiteral("test-tool ok")),
             qPrintable(QString::fromUtf8(dump(afterExpiry)) + QLatin1Char('\n') + failureContext(*m_bridge)));
    QCOMPARE(m_browser->visits(), 1); // no sign-in again
}

void TestBridgeEndToEnd::stepUpForAToolThatNeedsMore()
{
    QVERIFY(m_bridge);
    QVERIFY(
        !jwtPayload(currentToken()).value(QStringLiteral("scope")).toString().contains(QStringLiteral("mcp:admin")));
    const int visitsBefore = m_browser->visits();
    const QJsonObject called = m_bridge->callTool(QStringLiteral("admin-tool"), {}, kSignInTimeoutMs);
    QVERIFY2(toolText(called) == QStringLiteral("admin-tool ok"),
             qPrintable(QString::fromUtf8(dump(called)) + QLatin1Char('\n') + failureContext(*m_bridge)));
    QVERIFY2(m_bridge->standardError().contains("needs more access"), m_bridge->standardError().constData());
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), visitsBefore + 1); // one sign-in for the step-up
    QCOMPARE(m_browser->failures(), 0);
    const QStringList scopes =
        jwtPayload(currentToken()).value(QStringLiteral("scope")).toString().split(QLatin1Char(' '));
    QVERIFY2(scopes.contains(QStringLiteral("mcp:admin")) && scopes.contains(QStringLiteral("mcp:tools")),
             qPrintable(scopes.join(QLatin1Char(' '))));
    // The stepped-up grant serves the ordinary tool too, and the admin tool again without a sign-in.
    QVERIFY(toolText(m_bridge->callTool(QStringLiteral("test-tool"))).startsWith(QStringLiteral("test-tool ok")));
    QCOMPARE(toolText(m_bridge->callTool(QStringLiteral("admin-tool"))), QStringLiteral("admin-tool ok"));
    QCOMPARE(m_browser->visits(), visitsBefore + 1);
}

void TestBridgeEndToEnd::twoBridgesShareOneGrantAcrossARefresh()
{
    QVERIFY(m_bridge);
    // A second MCP client, another bridge: the server is known now, no --yes, no sign-in.
    BridgeProcess second;
    QVERIFY(second.start(*m_daemon, {m_url}));
    const int visitsBefore = m_browser->visits();
    QVERIFY2(second.initialize().value(QStringLiteral("result")).toObject().contains(QStringLiteral("protocolVersion")),
             qPrintable(failureContext(second)));

    // Both call, several times a second, until the daemon has refreshed the grant and then a while more.
    const int refreshesBefore = refreshGrants();
    QList<BridgeProcess *> bridges = {m_bridge.get(), &second};
    QStringList failures;
    int callsBefore[2] = {0, 0};
    int callsAfter[2] = {0, 0};
    bool refreshed = false;
    QTimer pace;
    pace.setInterval(250);
    connect(&pace, &QTimer::timeout, this, [&] {
        if (!refreshed) {
            refreshed = refreshGrants() > refreshesBefore;
        }
        for (int i = 0; i < 2; ++i) {
            const QJsonObject answer = bridges[i]->callTool(QStringLiteral("test-tool"));
            if (!toolText(answer).startsWith(QStringLiteral("test-tool ok"))) {
                failures << QStringLiteral("bridge %1: %2").arg(i + 1).arg(QString::fromUtf8(dump(answer)));
            }
            ++(refreshed ? callsAfter : callsBefore)[i];
        }
    });
    pace.start();
    QTRY_VERIFY_WITH_TIMEOUT((callsAfter[0] >= 8 && callsAfter[1] >= 8) || !failures.isEmpty(), 3 * kAccessTtl * 1000);
    pace.stop();
    QVERIFY2(failures.isEmpty(),
             qPrintable(failures.join(QLatin1Char('\n')) + QLatin1Char('\n') + failureContext(second)));
    QVERIFY(callsBefore[0] > 0 && callsBefore[1] > 0);
    // One grant, one refresh, however many bridges use it.
    QCOMPARE(refreshGrants(), refreshesBefore + 1);
    QCOMPARE(m_browser->visits(), visitsBefore);
    qInfo("calls before the refresh %d + %d, after %d + %d", callsBefore[0], callsBefore[1], callsAfter[0],
          callsAfter[1]);

    second.closeStdin();
    QCOMPARE(second.waitForExit(), 0);
    QVERIFY(second.protocolViolations().isEmpty());
    for (const QString &token : std::as_const(m_tokens)) {
        QVERIFY2(!second.standardError().contains(token.toUtf8()), "a token on the bridge's stderr");
    }
}

QTEST_GUILESS_MAIN(TestBridgeEndToEnd)
#include "TestBridgeEndToEnd.moc"
