// `latchkey import` end to end, with the real daemon, the real Secret Service and real MCP servers: the
// sample configuration of each client (tests/data/import/) is imported; its secrets land in the keychain
// and nowhere else; the rewritten entries run (`latchkey run NAME` gets the environment, `latchkey connect
// URL` reaches a server that demands a static credential header); the backup holds the original, 0600;
// a dry run, a malformed file, a missing terminal and a failure halfway change nothing. mcp-remote entries
// become `latchkey connect URL` with their header secrets in the keychain; an entry with a secret in its
// arguments is reported and left as it is.
#include "BridgeProcess.h"
#include "DaemonHarness.h"
#include "ImportFixtures.h"
#include "NodeServer.h"
#include "SecretScan.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using latchkey::test::BridgeProcess;
using latchkey::test::DaemonHarness;
using latchkey::test::NodeServer;
using latchkey::test::SecretScan;

namespace {

const QByteArray kClaudeSecret = "ghp_FixtureClaude0123456789abcdefABCDEF";
const QByteArray kVsCodeSecret = "BSA-FixtureVsCode-9f8e7d6c5b4a";
const QByteArray kVsCodeHeader = "vsc-FixtureRemoteKey-13579";
const QByteArray kCursorSecret = "xoxb-FixtureCursor-24680-abcdef";
const QByteArray kCursorBearer = "Bearer cur-FixtureBearer-97531";
const QByteArray kPartialSecret = "tok-PartialFirst-2468";
const QByteArray kMcpRemoteBearer = "Bearer mr-FixtureBearer-24680"; // mcp-remote.json: "Bearer ${AUTH_TOKEN}"
const QByteArray kMcpRemoteKey = "mr-FixtureInlineKey-13579";
// Left in mcp-remote.json on purpose: an argument Latchkey cannot take over, and a pinned OAuth client.
const QByteArray kArgSecret = "sk-live-FixtureArgSecret-0123456789";
const QByteArray kClientSecret = "mr-FixtureClientSecret-8642";

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestImport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void dryRunChangesNothing();
    void refusesWithoutATerminal();
    void malformedChangesNothing_data();
    void malformedChangesNothing();
    void claudeDesktop();
    void vsCode();
    void cursor();
    void failureHalfwayRollsBack();
    void mcpRemoteAndArgumentSecrets();

private:
    DaemonHarness::Result cli(const QStringList &args);
    // Writes a fixture (placeholders filled) into the test home; returns its path.
    QString place(const QString &fixture, const QString &mcpUrl = QStringLiteral("https://mcp.example.com/mcp"),
                  const QString &mcpUrl2 = QStringLiteral("https://mcp2.example.com/mcp"));
    QStringList serverNames();
    QStringList backupsOf(const QString &path) const;
    static QString secretToolLookup(const QString &server, const QString &key);
    static QJsonObject entry(const QString &path, const char *serversKey, const QString &name);
    // Runs a rewritten stdio entry as its MCP client would (its env set, its command and args) and
    // returns what it printed.
    QByteArray runEntry(const QJsonObject &entry);
    void connectThrough(const QJsonObject &entry);

    std::unique_ptr<DaemonHarness> m_harness;
    std::unique_ptr<NodeServer> m_apiKeyServer; // demands X-API-Key
    std::unique_ptr<NodeServer> m_bearerServer; // demands Authorization: Bearer …
    QString m_id;
    QList<QByteArray> m_outputs;
};

void TestImport::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS") || !NodeServer::unavailableReason().isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL("needs the Secret Service and the Node test servers");
        }
        QSKIP("needs the Secret Service and the Node test servers; run through scripts/test.sh");
    }
    m_apiKeyServer = std::make_unique<NodeServer>(QStringLiteral("plain-mcp.mjs"), QStringList{});
    m_apiKeyServer->setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_HEADER"), QStringLiteral("X-API-Key"));
    m_apiKeyServer->setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_VALUE"), QString::fromUtf8(kVsCodeHeader));
    QVERIFY2(m_apiKeyServer->start(), qPrintable(m_apiKeyServer->errorString()));
    m_bearerServer = std::make_unique<NodeServer>(QStringLiteral("plain-mcp.mjs"), QStringList{});
    m_bearerServer->setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_HEADER"), QStringLiteral("Authorization"));
    m_bearerServer->setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_VALUE"), QString::fromUtf8(kCursorBearer));
    QVERIFY2(m_bearerServer->start(), qPrintable(m_bearerServer->errorString()));
    m_harness = std::make_unique<DaemonHarness>();
    QVERIFY(m_harness->start());
    m_id = DaemonHarness::uniqueName(QString());
}

void TestImport::cleanupTestCase()
{
    if (!m_harness) {
        return;
    }
    QVERIFY(m_harness->stop());
    const QByteArray daemonOutput = m_harness->daemonOutput();
    const QByteArray registry = readFile(m_harness->configPath());
    const QByteArray audit = readFile(m_harness->auditPath());
    QVERIFY(audit.contains("\"secret.handout\""));
    for (const QByteArray &secret : {kClaudeSecret, kVsCodeSecret, kVsCodeHeader, kCursorSecret, kCursorBearer,
                                     kPartialSecret, kMcpRemoteBearer, kMcpRemoteKey, kArgSecret, kClientSecret}) {
        QVERIFY(!daemonOutput.contains(secret));
        QVERIFY(!registry.contains(secret));
        QVERIFY(!audit.contains(secret));
        for (const QByteArray &output : std::as_const(m_outputs)) {
            QVERIFY2(!output.contains(secret), output.constData());
        }
        QCOMPARE(SecretScan::processesWithArgument(secret), QStringList());
    }
}

DaemonHarness::Result TestImport::cli(const QStringList &args)
{
    auto result = m_harness->cli(args, {}, 60000);
    m_outputs << result.out << result.err;
    return result;
}

QString TestImport::place(const QString &fixture, const QString &mcpUrl, const QString &mcpUrl2)
{
    const QString path = QDir(m_harness->home()).filePath(QStringLiteral("%1-%2").arg(m_id, fixture));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    file.write(latchkey::test::importFixture(fixture, m_id, mcpUrl, mcpUrl2));
    return path;
}

QStringList TestImport::serverNames()
{
    const auto result = cli({QStringLiteral("servers"), QStringLiteral("--json")});
    if (result.exitCode != 0 || !QJsonDocument::fromJson(result.out).isArray()) {
        qWarning("latchkey servers --json: %s", result.err.constData());
        return {QStringLiteral("<latchkey servers failed>")};
    }
    QStringList names;
    for (const QJsonValue &server : QJsonDocument::fromJson(result.out).array()) {
        names << server.toObject().value(QStringLiteral("name")).toString();
    }
    return names;
}

QStringList TestImport::backupsOf(const QString &path) const
{
    const QFileInfo info(path);
    QStringList out;
    for (const QString &name :
         info.dir().entryList({info.fileName() + QStringLiteral(".latchkey-backup-*")}, QDir::Files)) {
        out << info.dir().filePath(name);
    }
    return out;
}

QString TestImport::secretToolLookup(const QString &server, const QString &key)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"),
               {QStringLiteral("lookup"), QStringLiteral("server"), QStringLiteral("latchkey"), QStringLiteral("user"),
                QStringLiteral("latchkey/secret/%1/%2").arg(server, key)});
    if (!tool.waitForFinished(10000) || tool.exitCode() != 0) {
        return {};
    }
    return QString::fromUtf8(tool.readAllStandardOutput());
}

QJsonObject TestImport::entry(const QString &path, const char *serversKey, const QString &name)
{
    // The rewritten file may keep comments (VS Code): strip whole-line comments before Qt's strict parser.
    QByteArray text;
    for (const QByteArray &line : readFile(path).split('\n')) {
        const QByteArray trimmed = line.trimmed();
        if (!trimmed.startsWith("//") && !trimmed.startsWith("/*")) {
            text += line + '\n';
        }
    }
    return QJsonDocument::fromJson(text)
        .object()
        .value(QString::fromLatin1(serversKey))
        .toObject()
        .value(name)
        .toObject();
}

QByteArray TestImport::runEntry(const QJsonObject &entry)
{
    QProcessEnvironment env = m_harness->environment();
    const QJsonObject vars = entry.value(QStringLiteral("env")).toObject();
    for (auto it = vars.begin(); it != vars.end(); ++it) {
        env.insert(it.key(), it.value().toString());
    }
    QStringList args;
    for (const QJsonValue &arg : entry.value(QStringLiteral("args")).toArray()) {
        args << arg.toString();
    }
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(entry.value(QStringLiteral("command")).toString(), args);
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished(5000);
    }
    const QByteArray out = process.readAllStandardOutput();
    m_outputs << out << process.readAllStandardError();
    return out;
}

void TestImport::connectThrough(const QJsonObject &entry)
{
    QCOMPARE(entry.value(QStringLiteral("command")).toString(), DaemonHarness::binary(QStringLiteral("latchkey")));
    QStringList args;
    for (const QJsonValue &arg : entry.value(QStringLiteral("args")).toArray()) {
        args << arg.toString();
    }
    QCOMPARE(args.value(0), QStringLiteral("connect"));
    BridgeProcess bridge;
    QVERIFY(bridge.start(*m_harness, args.mid(1)));
    const QJsonObject init = bridge.initialize();
    QVERIFY2(init.contains(QStringLiteral("result")), bridge.standardError().constData());
    const QJsonObject echo = bridge.callTool(QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("hi")}});
    QVERIFY2(echo.contains(QStringLiteral("result")), bridge.standardError().constData());
    bridge.closeStdin();
    QCOMPARE(bridge.waitForExit(), 0);
    m_outputs << bridge.standardError();
}

void TestImport::dryRunChangesNothing()
{
    const QString path = place(QStringLiteral("claude_desktop_config.json"));
    const QByteArray before = readFile(path);
    const QStringList servers = serverNames();
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("claude-desktop"), path,
                             QStringLiteral("--dry-run")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QVERIFY(result.out.contains("--- a/" + path.toUtf8()));
    QVERIFY(result.out.contains("-        \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"********\""));
    QVERIFY(result.out.contains("\"run\""));
    QVERIFY(result.out.contains("Dry run: nothing was changed."));
    QCOMPARE(readFile(path), before);
    QCOMPARE(serverNames(), servers);
    QVERIFY(backupsOf(path).isEmpty());
    QCOMPARE(secretToolLookup(QStringLiteral("github") + m_id, QStringLiteral("GITHUB_PERSONAL_ACCESS_TOKEN")),
             QString());
}

void TestImport::refusesWithoutATerminal()
{
    const QString path = place(QStringLiteral("cursor-mcp.json"));
    const QByteArray before = readFile(path);
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("cursor"), path});
    QCOMPARE(result.exitCode, 1);
    QVERIFY2(result.err.contains("--yes") && result.err.contains("Nothing was changed"), result.err.constData());
    QCOMPARE(readFile(path), before);
    QVERIFY(backupsOf(path).isEmpty());
}

void TestImport::malformedChangesNothing_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("client");
    QTest::addColumn<QByteArray>("mentions");
    QTest::newRow("syntax") << QStringLiteral("malformed-syntax.json") << QStringLiteral("claude-desktop")
                            << QByteArray("not valid JSON at line 6");
    QTest::newRow("entry") << QStringLiteral("malformed-entry.json") << QStringLiteral("cursor")
                           << QByteArray("server \"broken\"");
    QTest::newRow("servers") << QStringLiteral("malformed-servers.json") << QStringLiteral("vscode")
                             << QByteArray("\"servers\" must be an object");
    QTest::newRow("wrong client") << QStringLiteral("vscode-mcp.json") << QStringLiteral("cursor")
                                  << QByteArray("is this a Cursor configuration?");
}

void TestImport::malformedChangesNothing()
{
    QFETCH(QString, fixture);
    QFETCH(QString, client);
    QFETCH(QByteArray, mentions);
    const QString path = place(fixture);
    const QByteArray before = readFile(path);
    const QStringList servers = serverNames();
    const auto result =
        cli({QStringLiteral("import"), QStringLiteral("--from"), client, path, QStringLiteral("--yes")});
    QCOMPARE(result.exitCode, 1);
    QVERIFY2(result.err.contains(path.toUtf8()) && result.err.contains(mentions), result.err.constData());
    QVERIFY(result.err.contains("Nothing was changed."));
    QCOMPARE(readFile(path), before);
    QCOMPARE(serverNames(), servers);
    QVERIFY(backupsOf(path).isEmpty());
}

void TestImport::claudeDesktop()
{
    const QString path = place(QStringLiteral("claude_desktop_config.json"));
    const QByteArray original = readFile(path);
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup);
    const QString github = QStringLiteral("github") + m_id;
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("claude-desktop"), path,
                             QStringLiteral("--yes")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QVERIFY(result.out.contains("still holds the secrets"));

    // The secret is in the keychain, under the new server, and not in the file any more.
    QCOMPARE(secretToolLookup(github, QStringLiteral("GITHUB_PERSONAL_ACCESS_TOKEN")),
             QString::fromUtf8(kClaudeSecret));
    const QByteArray rewritten = readFile(path);
    QVERIFY(!rewritten.contains(kClaudeSecret));
    QVERIFY(rewritten.contains("\"globalShortcut\": \"Ctrl+Space\""));
    QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadGroup | QFileDevice::WriteGroup), QFileDevice::ReadGroup);
    QVERIFY(serverNames().contains(github));
    QVERIFY(serverNames().contains(QStringLiteral("filesystem") + m_id));
    QVERIFY(!serverNames().contains(QStringLiteral("already") + m_id));
    const QJsonObject entry = TestImport::entry(path, "mcpServers", github);
    QCOMPARE(entry.value(QStringLiteral("command")).toString(), DaemonHarness::binary(QStringLiteral("latchkey")));
    QCOMPARE(entry.value(QStringLiteral("args")).toArray(), (QJsonArray{QStringLiteral("run"), github}));
    QCOMPARE(entry.value(QStringLiteral("env")).toObject().keys(), QStringList{QStringLiteral("GITHUB_TOOLSETS")});
    QCOMPARE(TestImport::entry(path, "mcpServers", QStringLiteral("already") + m_id).value(QStringLiteral("args")),
             QJsonValue(QJsonArray{QStringLiteral("run"), QStringLiteral("already")}));

    // The rewritten entry runs: the server gets the secret from the keychain, the path from the file.
    const QByteArray out = runEntry(entry);
    const QByteArray digest = QCryptographicHash::hash(kClaudeSecret, QCryptographicHash::Sha256).toHex();
    QVERIFY2(out.startsWith(digest), out.constData());
    QVERIFY2(out.contains("\n/srv/toolsets\n"), out.constData());

    // The backup holds the original, for its owner only.
    const QStringList backups = backupsOf(path);
    QCOMPARE(backups.size(), 1);
    QVERIFY(result.out.contains(backups.front().toUtf8()));
    QCOMPARE(readFile(backups.front()), original);
    QCOMPARE(QFile::permissions(backups.front()) & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);

    // Importing the original again collides with what is now there, and changes nothing.
    const QString again = place(QStringLiteral("claude_desktop_config.json"));
    const auto collision = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("claude-desktop"),
                                again, QStringLiteral("--yes")});
    QCOMPARE(collision.exitCode, 1);
    QVERIFY2(collision.err.contains("already has a server named \"" + github.toUtf8() + "\""),
             collision.err.constData());
    QCOMPARE(readFile(again), original);
    QVERIFY(backupsOf(again).size() == 1); // the first import's backup only
}

void TestImport::vsCode()
{
    const QString url = m_apiKeyServer->value(QStringLiteral("url"));
    const QString path = place(QStringLiteral("vscode-mcp.json"), url);
    const QString brave = QStringLiteral("brave") + m_id;
    const QString remote = QStringLiteral("remote") + m_id;
    const auto result = cli(
        {QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("vscode"), path, QStringLiteral("--yes")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QCOMPARE(secretToolLookup(brave, QStringLiteral("BRAVE_API_KEY")), QString::fromUtf8(kVsCodeSecret));
    QCOMPARE(secretToolLookup(remote, QStringLiteral("X-API-Key")), QString::fromUtf8(kVsCodeHeader));
    const QByteArray rewritten = readFile(path);
    QVERIFY(!rewritten.contains(kVsCodeSecret) && !rewritten.contains(kVsCodeHeader));
    QVERIFY(rewritten.contains("// Workspace MCP servers"));
    QVERIFY(rewritten.contains("\"id\": \"brave-key\""));
    const QJsonObject braveEntry = entry(path, "servers", brave);
    QCOMPARE(braveEntry.value(QStringLiteral("type")).toString(), QStringLiteral("stdio"));
    QCOMPARE(braveEntry.value(QStringLiteral("env")).toObject().value(QStringLiteral("PERPLEXITY_API_KEY")).toString(),
             QStringLiteral("${input:brave-key}"));
    const QByteArray out = runEntry(braveEntry);
    QVERIFY2(out.startsWith(QCryptographicHash::hash(kVsCodeSecret, QCryptographicHash::Sha256).toHex()),
             out.constData());
    QVERIFY2(out.contains("${input:brave-key}|json"), out.constData());

    // The remote entry reaches a server that refuses requests without the key.
    const QJsonObject remoteEntry = entry(path, "servers", remote);
    QCOMPARE(remoteEntry.value(QStringLiteral("type")).toString(), QStringLiteral("stdio"));
    QVERIFY(!remoteEntry.contains(QStringLiteral("url")));
    connectThrough(remoteEntry);
}

void TestImport::cursor()
{
    const QString path = place(QStringLiteral("cursor-mcp.json"), m_bearerServer->value(QStringLiteral("url")));
    const QString search = QStringLiteral("search") + m_id;
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("cursor"), path,
                             QStringLiteral("--yes"), QStringLiteral("--no-backup")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QVERIFY(backupsOf(path).isEmpty());
    QVERIFY(!result.out.contains("backed up"));
    QCOMPARE(secretToolLookup(search, QStringLiteral("Authorization")), QString::fromUtf8(kCursorBearer));
    QCOMPARE(secretToolLookup(QStringLiteral("slack") + m_id, QStringLiteral("SLACK_BOT_TOKEN")),
             QString::fromUtf8(kCursorSecret));
    const QByteArray rewritten = readFile(path);
    QVERIFY(!rewritten.contains(kCursorSecret) && !rewritten.contains("cur-FixtureBearer"));
    connectThrough(entry(path, "mcpServers", search));
}

void TestImport::failureHalfwayRollsBack()
{
    // The second entry's secret has a newline, which the daemon refuses: by then the first entry's
    // secret and record are in. Both must go again, and the file must stay as it was.
    const QString path = place(QStringLiteral("partial-failure.json"));
    const QByteArray before = readFile(path);
    const QString first = QStringLiteral("first") + m_id;
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("claude-desktop"), path,
                             QStringLiteral("--yes")});
    QCOMPARE(result.exitCode, 1);
    QVERIFY2(result.err.contains("second" + m_id.toUtf8()) && result.err.contains("Nothing was imported"),
             result.err.constData());
    QCOMPARE(readFile(path), before);
    QVERIFY(backupsOf(path).isEmpty());
    QVERIFY(!serverNames().contains(first));
    QCOMPARE(secretToolLookup(first, QStringLiteral("FIRST_TOKEN")), QString());
    // It did get that far: the first entry was stored and added, then taken back, in that order.
    QStringList events;
    for (const QByteArray &line : readFile(m_harness->auditPath()).split('\n')) {
        const QJsonObject entry = QJsonDocument::fromJson(line).object();
        if (entry.value(QStringLiteral("server")).toString() == first) {
            events << entry.value(QStringLiteral("event")).toString();
        }
    }
    QCOMPARE(events, (QStringList{QStringLiteral("secret.stored"), QStringLiteral("server.added"),
                                  QStringLiteral("server.removed"), QStringLiteral("secret.removed")}));
}

void TestImport::mcpRemoteAndArgumentSecrets()
{
    // mcp-remote.json: "viaenv" sends `Authorization: Bearer ${AUTH_TOKEN}` (AUTH_TOKEN in its env) to the
    // server that demands that bearer; "inline" has `X-API-Key: …` written on mcp-remote's command line, for
    // the server that demands that key; "pinned" uses a flag Latchkey does not take over; "argsecret" passes
    // an API key as an argument.
    // Servers of their own: the other tests' servers are Latchkey records by now.
    NodeServer bearerServer(QStringLiteral("plain-mcp.mjs"), QStringList{});
    bearerServer.setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_HEADER"), QStringLiteral("Authorization"));
    bearerServer.setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_VALUE"), QString::fromUtf8(kMcpRemoteBearer));
    QVERIFY2(bearerServer.start(), qPrintable(bearerServer.errorString()));
    NodeServer apiKeyServer(QStringLiteral("plain-mcp.mjs"), QStringList{});
    apiKeyServer.setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_HEADER"), QStringLiteral("X-API-Key"));
    apiKeyServer.setEnv(QStringLiteral("PLAIN_MCP_REQUIRE_VALUE"), QString::fromUtf8(kMcpRemoteKey));
    QVERIFY2(apiKeyServer.start(), qPrintable(apiKeyServer.errorString()));
    const QString path = place(QStringLiteral("mcp-remote.json"), bearerServer.value(QStringLiteral("url")),
                               apiKeyServer.value(QStringLiteral("url")));
    const QByteArray original = readFile(path);
    const QString viaEnv = QStringLiteral("viaenv") + m_id;
    const QString inlineKey = QStringLiteral("inline") + m_id;
    const QString pinned = QStringLiteral("pinned") + m_id;
    const QString argSecret = QStringLiteral("argsecret") + m_id;
    const auto result = cli({QStringLiteral("import"), QStringLiteral("--from"), QStringLiteral("claude-desktop"), path,
                             QStringLiteral("--yes")});
    QVERIFY2(result.exitCode == 0, result.err.constData());
    // The plan said what it leaves and why (masked), and where mcp-remote kept its tokens.
    QVERIFY2(result.out.contains("--static-oauth-client-info") && result.out.contains("--api-key ********") &&
                 result.out.contains("~/.mcp-auth"),
             result.out.constData());
    QVERIFY2(result.err.contains(pinned.toUtf8()) && result.err.contains(argSecret.toUtf8()) &&
                 result.err.contains("still hold"),
             result.err.constData());

    // The headers' values are in the keychain, bound to new remote records, and not in the file.
    QVERIFY(secretToolLookup(viaEnv, QStringLiteral("Authorization")) == QString::fromUtf8(kMcpRemoteBearer));
    QVERIFY(secretToolLookup(inlineKey, QStringLiteral("X-API-Key")) == QString::fromUtf8(kMcpRemoteKey));
    const QByteArray rewritten = readFile(path);
    QVERIFY(!rewritten.contains("mr-FixtureBearer") && !rewritten.contains(kMcpRemoteKey));
    QVERIFY(!rewritten.contains("mcp-remote@0.1.15") && !rewritten.contains("AUTH_TOKEN"));
    const QStringList servers = serverNames();
    QVERIFY(servers.contains(viaEnv) && servers.contains(inlineKey));

    // The two it could not take over are untouched, byte for byte (they are the file's last entries), and
    // nothing of theirs reached Latchkey.
    const QByteArray tail = "\"pinned" + m_id.toUtf8();
    QVERIFY(original.contains(tail) && rewritten.contains(tail));
    QVERIFY(rewritten.mid(rewritten.indexOf(tail)) == original.mid(original.indexOf(tail)));
    QVERIFY(!servers.contains(pinned) && !servers.contains(argSecret));
    QVERIFY(secretToolLookup(argSecret, QStringLiteral("api-key")).isEmpty());

    // The rewritten entries run as `latchkey connect URL` and reach servers that refuse requests without
    // the header.
    const QJsonObject viaEnvEntry = entry(path, "mcpServers", viaEnv);
    QVERIFY(!viaEnvEntry.contains(QStringLiteral("env")));
    connectThrough(viaEnvEntry);
    connectThrough(entry(path, "mcpServers", inlineKey));
}

QTEST_GUILESS_MAIN(TestImport)
#include "TestImport.moc"
