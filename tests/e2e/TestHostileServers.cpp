// Servers that break one rule each (tests/servers/hostile.mjs; rule numbers from mcp-auth.md's client
// checklist). Discovery-time breaks: server.add and server.discover refuse with a message naming the
// rule, nothing lands in servers.json or the keychain, no browser opens. Authorization-response breaks
// (RFC 9207 iss, state): the login fails (or keeps waiting, for a foreign state), the code is never
// redeemed, no token is stored, and a hostile error text is never shown.
#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "NodeServer.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

QByteArray describe(const Response &response)
{
    return QByteArray::fromStdString(response.errorCode + ": " + response.errorMessage + " " + response.result.dump());
}

} // namespace

class TestHostileServers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void theHarnessServerIsFine();
    void refusedAtDiscovery_data();
    void refusedAtDiscovery();
    void refusedAuthorizationResponse_data();
    void refusedAuthorizationResponse();
    void foreignStateIsIgnored();

private:
    std::unique_ptr<NodeServer> startHostile(const QString &mode);
    Response addRemote(const QString &name, const QString &url);
    QJsonObject hostileStats(const NodeServer &server);
    // Nothing of this server anywhere: not in servers.json, not in the keychain (by name or by its origin).
    void verifyNothingStored(const QString &name, const QString &origin);

    QTemporaryDir m_scratch;
    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<BrowserProgram> m_browser;
    std::unique_ptr<EventClient> m_client;
    QNetworkAccessManager m_network;
};

void TestHostileServers::initTestCase()
{
    if (const QString missing = e2eUnavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    QVERIFY(m_scratch.isValid());
    m_daemon = std::make_unique<DaemonHarness>();
    m_browser = std::make_unique<BrowserProgram>(m_scratch.path());
    m_browser->installInto(*m_daemon);
    QVERIFY(m_daemon->start());
    m_client = std::make_unique<EventClient>(m_daemon->socketPath());
    QString error;
    QVERIFY2(m_client->connectAndSubscribe(&error), qPrintable(error));
}

void TestHostileServers::cleanupTestCase()
{
    if (!m_daemon) {
        return;
    }
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    m_client.reset();
    QVERIFY(m_daemon->stop());
}

std::unique_ptr<NodeServer> TestHostileServers::startHostile(const QString &mode)
{
    auto server =
        std::make_unique<NodeServer>(QStringLiteral("hostile.mjs"), QStringList{QStringLiteral("--mode"), mode});
    if (!server->start()) {
        qWarning("%s", qPrintable(server->errorString()));
        return nullptr;
    }
    return server;
}

Response TestHostileServers::addRemote(const QString &name, const QString &url)
{
    return m_client->call("server.add", {{"server",
                                          {{"name", name.toStdString()},
                                           {"kind", "remote"},
                                           {"url", url.toStdString()},
                                           {"resource", ""},
                                           {"scopes", Json::array()}}}});
}

QJsonObject TestHostileServers::hostileStats(const NodeServer &server)
{
    const QUrl url(server.value(QStringLiteral("url")));
    return httpRequest(m_network, "GET", url.resolved(QUrl(QStringLiteral("/__test/stats")))).json();
}

void TestHostileServers::verifyNothingStored(const QString &name, const QString &origin)
{
    QFile config(m_daemon->configPath());
    if (config.open(QIODevice::ReadOnly)) {
        const QByteArray content = config.readAll();
        QVERIFY2(!content.contains(name.toUtf8()), content.constData());
        QVERIFY2(!content.contains(origin.toUtf8()), content.constData());
    }
    const QStringList users = keychainUsers();
    for (const QString &user : users) {
        QVERIFY2(!user.contains(name) && !user.contains(origin), qPrintable(user));
    }
    const Response listed = m_client->call("server.list");
    QVERIFY(!QByteArray::fromStdString(listed.result.dump()).contains(name.toUtf8()));
}

void TestHostileServers::theHarnessServerIsFine()
{
    // The same server in its well-behaved mode passes discovery: the refusals below are the modes'.
    const auto server = startHostile(QStringLiteral("valid"));
    QVERIFY(server);
    const Response discovered =
        m_client->call("server.discover", {{"url", server->value(QStringLiteral("url")).toStdString()}});
    QVERIFY2(discovered.errorCode.empty(), describe(discovered).constData());
    QCOMPARE(QString::fromStdString(discovered.result["discovery"].value("issuer", std::string())),
             server->value(QStringLiteral("issuer")));
}

void TestHostileServers::refusedAtDiscovery_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("rule"); // what the error must say
    QTest::newRow("2: PRM resource for another server")
        << QStringLiteral("prm-resource-mismatch") << QStringLiteral("RFC 9728");
    QTest::newRow("3: AS metadata for another issuer")
        << QStringLiteral("issuer-mismatch") << QStringLiteral("RFC 8414 §3.3");
    QTest::newRow("4: no S256") << QStringLiteral("no-s256") << QStringLiteral("PKCE S256");
    QTest::newRow("4: no code_challenge_methods_supported") << QStringLiteral("no-pkce") << QStringLiteral("PKCE S256");
    QTest::newRow("9: http issuer off loopback") << QStringLiteral("http-issuer") << QStringLiteral("only on loopback");
    QTest::newRow("9: http token endpoint")
        << QStringLiteral("http-token-endpoint") << QStringLiteral("token_endpoint");
    QTest::newRow("9: http authorization endpoint")
        << QStringLiteral("http-authorize") << QStringLiteral("authorization_endpoint");
}

void TestHostileServers::refusedAtDiscovery()
{
    QFETCH(QString, mode);
    QFETCH(QString, rule);
    const auto server = startHostile(mode);
    QVERIFY(server);
    const QString url = server->value(QStringLiteral("url"));
    const QString origin = QUrl(url).adjusted(QUrl::RemovePath).toString();
    const QString name = DaemonHarness::uniqueName(QStringLiteral("hostile"));
    const int visitsBefore = m_browser->visits();

    const Response discovered = m_client->call("server.discover", {{"url", url.toStdString()}});
    QCOMPARE(discovered.errorCode, std::string("discovery_failed"));
    QVERIFY2(QString::fromStdString(discovered.errorMessage).contains(rule), describe(discovered).constData());

    const Response added = addRemote(name, url);
    QCOMPARE(added.errorCode, std::string("discovery_failed"));
    QVERIFY2(QString::fromStdString(added.errorMessage).contains(rule), describe(added).constData());

    verifyNothingStored(name, origin);
    QCOMPARE(m_browser->visits(), visitsBefore);
    QCOMPARE(m_browser->entries().size(), 0); // these rows run first: the browser log is still empty
    const QJsonObject stats = hostileStats(*server);
    QCOMPARE(stats.value(QStringLiteral("registrations")).toInt(), 0);
    QCOMPARE(stats.value(QStringLiteral("authorize")).toArray().size(), 0);
    if (mode == QStringLiteral("issuer-mismatch")) {
        // Every candidate location was tried before giving up (mcp-auth.md item 3).
        const QJsonObject requests = stats.value(QStringLiteral("requests")).toObject();
        for (const char *path : {"/.well-known/oauth-authorization-server/as", "/.well-known/openid-configuration/as",
                                 "/as/.well-known/openid-configuration"}) {
            QVERIFY2(requests.value(QString::fromLatin1(path)).toInt() >= 1, path);
        }
    }
}

void TestHostileServers::refusedAuthorizationResponse_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("8: iss of another issuer") << QStringLiteral("iss-mismatch");
    QTest::newRow("8: error response with another iss") << QStringLiteral("iss-mismatch-error");
    QTest::newRow("8: iss missing though advertised") << QStringLiteral("iss-missing");
}

void TestHostileServers::refusedAuthorizationResponse()
{
    QFETCH(QString, mode);
    const auto server = startHostile(mode);
    QVERIFY(server);
    const QString url = server->value(QStringLiteral("url"));
    const QString name = DaemonHarness::uniqueName(QStringLiteral("hostile"));
    const Response added = addRemote(name, url);
    QVERIFY2(added.errorCode.empty(), describe(added).constData());
    const int visitsBefore = m_browser->visits();

    auto reply = m_client->callAsync("server.login", {{"name", name.toStdString()}});
    QTRY_VERIFY2_WITH_TIMEOUT(reply->has_value(), qPrintable(m_browser->describe()), 60000);
    const Response &login = **reply;
    QCOMPARE(login.errorCode, std::string("login_failed"));
    const QString message = QString::fromStdString(login.errorMessage);
    QVERIFY2(message.contains(QStringLiteral("RFC 9207")), qPrintable(message));
    // On an iss mismatch nothing else in the response is trusted or shown.
    QVERIFY2(!message.contains(QStringLiteral("HOSTILE")) && !message.contains(QStringLiteral("evil.example")),
             qPrintable(message));

    // The browser went there once; the AS saw a proper request; the code was never redeemed.
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->allExited(), qPrintable(m_browser->describe()), 30000);
    QCOMPARE(m_browser->visits(), visitsBefore + 1);
    // The browser got a page that says so (not an empty response), and no text of the server's.
    const QList<QJsonObject> log = m_browser->entries();
    QCOMPARE(log.constLast().value(QStringLiteral("status")).toInt(-1), 0);
    const QString page = log.at(log.size() - 2).value(QStringLiteral("body")).toString();
    QVERIFY2(page.contains(QStringLiteral("refused")) && !page.contains(QStringLiteral("HOSTILE")), qPrintable(page));
    const QJsonObject stats = hostileStats(*server);
    QCOMPARE(stats.value(QStringLiteral("token_requests")).toInt(), 0);
    const QJsonArray authorize = stats.value(QStringLiteral("authorize")).toArray();
    QCOMPARE(authorize.size(), 1);
    const QJsonObject request = authorize.at(0).toObject();
    QCOMPARE(request.value(QStringLiteral("response_type")).toString(), QStringLiteral("code"));
    QCOMPARE(request.value(QStringLiteral("code_challenge_method")).toString(), QStringLiteral("S256"));
    QCOMPARE(request.value(QStringLiteral("code_challenge_length")).toInt(), 43);
    QVERIFY(request.value(QStringLiteral("state_length")).toInt() >= 22); // ≥ 128 bits of base64url
    QCOMPARE(request.value(QStringLiteral("resource")).toString(), url);  // RFC 8707 (item 7)
    QVERIFY(request.value(QStringLiteral("redirect_uri")).toString().startsWith(QStringLiteral("http://127.0.0.1:")));

    QVERIFY(secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(name)).isEmpty());
    const QStringList users = keychainUsers();
    // The registration happened before the refusal and is kept for that issuer; no token.
    QVERIFY2(
        users.contains(QStringLiteral("latchkey/client/%1/registration").arg(server->value(QStringLiteral("issuer")))),
        qPrintable(users.join(u'\n')));
    for (const QString &user : users) {
        QVERIFY2(!user.startsWith(QStringLiteral("latchkey/token/%1/").arg(name)), qPrintable(user));
    }
    const Response token = m_client->call("token.get", {{"name", name.toStdString()}});
    QCOMPARE(token.errorCode, std::string("needs_login"));
}

void TestHostileServers::foreignStateIsIgnored()
{
    // An authorization response with a state Latchkey never sent is not an answer to its request: the
    // login keeps waiting (item 8), and the code in it is never redeemed.
    const auto server = startHostile(QStringLiteral("state-mismatch"));
    QVERIFY(server);
    const QString url = server->value(QStringLiteral("url"));
    const QString name = DaemonHarness::uniqueName(QStringLiteral("hostile"));
    const Response added = addRemote(name, url);
    QVERIFY2(added.errorCode.empty(), describe(added).constData());
    const int visitsBefore = m_browser->visits();

    auto reply = m_client->callAsync("server.login", {{"name", name.toStdString()}});
    // The browser reached the callback with the foreign state and is gone...
    QTRY_VERIFY2_WITH_TIMEOUT(m_browser->visits() == visitsBefore + 1 && m_browser->allExited(),
                              qPrintable(m_browser->describe()), 60000);
    QVERIFY2(m_browser->failures() == 0, qPrintable(m_browser->describe()));
    QVERIFY2(m_browser->count(QStringLiteral("callback")) == m_browser->visits(), qPrintable(m_browser->describe()));
    // ...and the login still waits for the real answer.
    QVERIFY2(!reply->has_value(), reply->has_value() ? describe(**reply).constData() : "");
    const Response cancelled = m_client->call("server.login.cancel", {{"name", name.toStdString()}});
    QVERIFY2(cancelled.errorCode.empty(), describe(cancelled).constData());
    QTRY_VERIFY_WITH_TIMEOUT(reply->has_value(), 10000);
    QCOMPARE((*reply)->errorCode, std::string("login_failed"));
    QVERIFY2(QString::fromStdString((*reply)->errorMessage).contains(QStringLiteral("cancel")),
             describe(**reply).constData());
    QCOMPARE(hostileStats(*server).value(QStringLiteral("token_requests")).toInt(), 0);
    QVERIFY(secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(name)).isEmpty());
}

QTEST_GUILESS_MAIN(TestHostileServers)
#include "TestHostileServers.moc"
