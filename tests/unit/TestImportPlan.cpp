// Unit tests for ImportPlan: records, moved secrets and rewritten entries for each client's sample
// file; skips and conflicts.
#include "ImportFixtures.h"
#include "ImportPlan.h"
#include "McpConfigReader.h"

#include <QTest>

using latchkey::import::ImportItem;
using latchkey::import::ImportPlan;
using latchkey::import::McpClientKind;
using latchkey::import::McpConfigReader;
using latchkey::test::importFixture;
using Json = nlohmann::json;

class TestImportPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void claudeDesktop();
    void vsCode();
    void cursorRemoteWithBearer();
    void variablesOnlyTheClientResolves();
    void nameCollisions();
    void knownRemoteServer();
    void badUrlAndVariableName();
    void mcpRemote();
    void mcpRemoteEnvironment();
    void mcpRemoteWithoutHeaders();
    void secretsInArguments();
    void secretInUrl();

private:
    static ImportPlan plan(const QString &fixture, McpClientKind::Kind client, const Json &existing = Json::array());
};

namespace {
const QString kProgram = QStringLiteral("/opt/latchkey/bin/latchkey");
}

ImportPlan TestImportPlan::plan(const QString &fixture, McpClientKind::Kind client, const Json &existing)
{
    QString error;
    const auto config = McpConfigReader::parse(importFixture(fixture), client, fixture, &error);
    if (!config) {
        qWarning("%s", qPrintable(error));
        return {};
    }
    return ImportPlan::build(*config, existing, kProgram);
}

void TestImportPlan::claudeDesktop()
{
    const ImportPlan p = plan(QStringLiteral("claude_desktop_config.json"), McpClientKind::ClaudeDesktop);
    QVERIFY2(p.conflicts().isEmpty(), qPrintable(p.conflicts().join(QLatin1Char('\n'))));
    QCOMPARE(p.items().size(), 3);
    QCOMPARE(p.changeCount(), 2);
    const ImportItem &github = p.items().at(0);
    QCOMPARE(github.action, ImportItem::Action::AddStdio);
    QCOMPARE(github.server, QStringLiteral("github"));
    QCOMPARE(github.secrets.size(), 1);
    QCOMPARE(github.secrets.at(0).first, QStringLiteral("GITHUB_PERSONAL_ACCESS_TOKEN"));
    QCOMPARE(github.record.at("command").at(0).get<std::string>(), std::string("/bin/sh"));
    QVERIFY(github.record.at("env") == Json::array({{{"var", "GITHUB_PERSONAL_ACCESS_TOKEN"},
                                                     {"source", "secret"},
                                                     {"key", "GITHUB_PERSONAL_ACCESS_TOKEN"}}}));
    QCOMPARE(github.rewritten.at("command").get<std::string>(), kProgram.toStdString());
    QVERIFY(github.rewritten.at("args") == nlohmann::ordered_json::array({"run", "github"}));
    // The path stays in the file; the token does not.
    QCOMPARE(github.rewritten.at("env").size(), size_t(1));
    QVERIFY(github.rewritten.at("env").contains("GITHUB_TOOLSETS"));
    QCOMPARE(p.items().at(1).secrets.size(), 0);
    QVERIFY(!p.items().at(1).rewritten.contains("env"));
    QCOMPARE(p.items().at(2).action, ImportItem::Action::Skip);

    const QByteArray text = p.rewrittenText();
    QVERIFY(!text.contains("ghp_FixtureClaude"));
    QVERIFY(text.contains("\"globalShortcut\": \"Ctrl+Space\""));
    QVERIFY(text.contains("\"args\": [\"run\", \"already\"]")); // the skipped entry is byte for byte the same
    QVERIFY(Json::parse(text.toStdString()).is_object());
    const QString diff = p.diff();
    QVERIFY(diff.contains(QStringLiteral("********")));
    QVERIFY(!diff.contains(QStringLiteral("ghp_FixtureClaude")));
    QVERIFY(diff.contains(QStringLiteral("+      \"command\": \"/opt/latchkey/bin/latchkey\"")));
}

void TestImportPlan::vsCode()
{
    const ImportPlan p = plan(QStringLiteral("vscode-mcp.json"), McpClientKind::VsCode);
    QVERIFY(p.conflicts().isEmpty());
    const ImportItem &brave = p.items().at(0);
    QCOMPARE(brave.moved, (QStringList{QStringLiteral("BRAVE_API_KEY"), QStringLiteral("LOG_FORMAT")}));
    QCOMPARE(brave.rewritten.at("type").get<std::string>(), std::string("stdio"));
    QCOMPARE(brave.rewritten.at("env").at("PERPLEXITY_API_KEY").get<std::string>(), std::string("${input:brave-key}"));
    const ImportItem &remote = p.items().at(1);
    QCOMPARE(remote.action, ImportItem::Action::AddRemote);
    QCOMPARE(remote.rewritten.at("type").get<std::string>(), std::string("stdio"));
    QVERIFY(!remote.rewritten.contains("url") && !remote.rewritten.contains("headers"));
    QVERIFY(remote.rewritten.at("args") == nlohmann::ordered_json::array({"connect", "https://mcp.example.com/mcp",
                                                                          "--header", "X-Trace: ${input:brave-key}"}));
    QVERIFY(remote.record.at("headers") == Json::array({{{"header", "X-API-Key"}, {"key", "X-API-Key"}}}));
    const QByteArray text = p.rewrittenText();
    QVERIFY(text.contains("// Workspace MCP servers"));
    QVERIFY(text.contains("/* a remote server with a static bearer */"));
    QVERIFY(text.contains("\"password\": true"));
    QVERIFY(!text.contains("BSA-Fixture") && !text.contains("vsc-FixtureRemoteKey"));
}

void TestImportPlan::cursorRemoteWithBearer()
{
    const ImportPlan p = plan(QStringLiteral("cursor-mcp.json"), McpClientKind::Cursor);
    const ImportItem &search = p.items().at(1);
    QCOMPARE(search.secrets.at(0),
             qMakePair(QStringLiteral("Authorization"), QStringLiteral("Bearer cur-FixtureBearer-97531")));
    QVERIFY(!search.rewritten.contains("type"));
    QCOMPARE(search.record.at("kind").get<std::string>(), std::string("remote"));
}

void TestImportPlan::variablesOnlyTheClientResolves()
{
    QString error;
    const auto config = McpConfigReader::parse(
        R"({"servers": {"db": {"type": "stdio", "command": "uvx", "args": ["mcp-sqlite", "${workspaceFolder}/x.db"]}}})",
        McpClientKind::VsCode, QStringLiteral("mcp.json"), &error);
    QVERIFY(config);
    const ImportPlan p = ImportPlan::build(*config, Json::array(), kProgram);
    QVERIFY(p.items().at(0).rewritten.at("args") ==
            nlohmann::ordered_json::array({"run", "db", "--", "uvx", "mcp-sqlite", "${workspaceFolder}/x.db"}));
}

void TestImportPlan::nameCollisions()
{
    const ImportPlan p = plan(QStringLiteral("claude_desktop_config.json"), McpClientKind::ClaudeDesktop,
                              Json::array({{{"name", "github"}, {"kind", "stdio"}}}));
    QCOMPARE(p.conflicts().size(), 1);
    QVERIFY2(p.conflicts().at(0).contains(QStringLiteral("already has a server named \"github\"")),
             qPrintable(p.conflicts().at(0)));

    QString error;
    const auto config = McpConfigReader::parse(R"({"mcpServers": {"a b": {"command": "x"}, "a-b": {"command": "y"}}})",
                                               McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY(config);
    const ImportPlan twice = ImportPlan::build(*config, Json::array(), kProgram);
    QCOMPARE(twice.conflicts().size(), 1);
    QVERIFY(twice.conflicts().at(0).contains(QStringLiteral("\"a-b\"")));
}

void TestImportPlan::knownRemoteServer()
{
    QString error;
    const auto config = McpConfigReader::parse(R"({"mcpServers": {"r": {"url": "https://MCP.example.com/mcp/"}}})",
                                               McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY(config);
    const Json existing =
        Json::array({{{"name", "known"}, {"kind", "remote"}, {"url", "https://mcp.example.com/mcp"}}});
    const ImportPlan p = ImportPlan::build(*config, existing, kProgram);
    QVERIFY(p.conflicts().isEmpty());
    QCOMPARE(p.items().at(0).action, ImportItem::Action::UseExisting);
    QCOMPARE(p.items().at(0).server, QStringLiteral("known"));

    // With a secret header it would need a record of its own: a conflict, not a silent merge.
    const auto withHeader = McpConfigReader::parse(
        R"({"mcpServers": {"r": {"url": "https://mcp.example.com/mcp", "headers": {"X-API-Key": "k-123456"}}}})",
        McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY(withHeader);
    QCOMPARE(ImportPlan::build(*withHeader, existing, kProgram).conflicts().size(), 1);
}

void TestImportPlan::badUrlAndVariableName()
{
    QString error;
    const auto config = McpConfigReader::parse(
        R"({"mcpServers": {"u": {"url": "ftp://x/y"}, "v": {"command": "x", "env": {"MY-KEY": "s3cr3t-value"}}}})",
        McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY(config);
    const ImportPlan p = ImportPlan::build(*config, Json::array(), kProgram);
    QCOMPARE(p.conflicts().size(), 2);
    QVERIFY(p.conflicts().at(0).contains(QStringLiteral("ftp://x/y")));
    QVERIFY(p.conflicts().at(1).contains(QStringLiteral("MY-KEY")));
    QVERIFY(!p.conflicts().join(QString()).contains(QStringLiteral("s3cr3t")));
}

void TestImportPlan::mcpRemote()
{
    const ImportPlan p = plan(QStringLiteral("mcp-remote.json"), McpClientKind::ClaudeDesktop);
    QVERIFY2(p.conflicts().isEmpty(), qPrintable(p.conflicts().join(QLatin1Char('\n'))));
    QCOMPARE(p.items().size(), 4);
    QCOMPARE(p.changeCount(), 2);

    // `Authorization: Bearer ${AUTH_TOKEN}` with AUTH_TOKEN in "env": the header as the server got it moves to
    // the keychain, the variable leaves the file, and the entry becomes `latchkey connect URL`.
    const ImportItem &viaEnv = p.items().at(0);
    QCOMPARE(viaEnv.action, ImportItem::Action::AddRemote);
    QCOMPARE(viaEnv.server, QStringLiteral("viaenv"));
    QCOMPARE(viaEnv.record.at("kind").get<std::string>(), std::string("remote"));
    QCOMPARE(viaEnv.record.at("url").get<std::string>(), std::string("https://mcp.example.com/mcp"));
    QVERIFY(viaEnv.record.at("headers") == Json::array({{{"header", "Authorization"}, {"key", "Authorization"}}}));
    QCOMPARE(viaEnv.secrets.size(), 1);
    QVERIFY(viaEnv.secrets.at(0) ==
            qMakePair(QStringLiteral("Authorization"), QStringLiteral("Bearer mr-FixtureBearer-24680")));
    QCOMPARE(viaEnv.rewritten.at("command").get<std::string>(), kProgram.toStdString());
    QVERIFY(viaEnv.rewritten.at("args") == nlohmann::ordered_json::array({"connect", "https://mcp.example.com/mcp"}));
    QVERIFY(!viaEnv.rewritten.contains("env"));
    QVERIFY2(viaEnv.note.contains(QStringLiteral("was mcp-remote; --allow-http not needed")), qPrintable(viaEnv.note));

    // The header's value written on mcp-remote's command line: into the keychain too.
    const ImportItem &inlineKey = p.items().at(1);
    QCOMPARE(inlineKey.action, ImportItem::Action::AddRemote);
    QVERIFY(inlineKey.record.at("headers") == Json::array({{{"header", "X-API-Key"}, {"key", "X-API-Key"}}}));
    QVERIFY(inlineKey.rewritten.at("args") ==
            nlohmann::ordered_json::array({"connect", "https://mcp2.example.com/mcp"}));

    // A pre-registered OAuth client: not guessed at; left as it is, the reason names the flag only.
    const ImportItem &pinned = p.items().at(2);
    QCOMPARE(pinned.action, ImportItem::Action::LeaveAlone);
    QVERIFY(pinned.note.contains(QStringLiteral("--static-oauth-client-info")));
    QVERIFY(!pinned.note.contains(QStringLiteral("FixtureClientSecret")));
    QCOMPARE(p.items().at(3).action, ImportItem::Action::LeaveAlone);

    const QByteArray text = p.rewrittenText();
    QVERIFY(!text.contains("mr-FixtureBearer") && !text.contains("mr-FixtureInlineKey"));
    QVERIFY(!text.contains("mcp-remote@0.1.15") && !text.contains("/usr/local/bin/mcp-remote"));
    QVERIFY(text.contains("mr-FixtureClientSecret-8642")); // left alone, byte for byte
    QVERIFY(Json::parse(text.toStdString()).is_object());
    // Nothing secret in what is shown, including the neighbours left alone.
    const QString shown = p.diff() + p.summary().join(QLatin1Char('\n')) + p.notices().join(QLatin1Char('\n'));
    for (const char *secret : {"mr-FixtureBearer", "mr-FixtureInlineKey", "FixtureClientSecret", "FixtureArgSecret"}) {
        QVERIFY2(!shown.contains(QLatin1String(secret)), secret);
    }
    QCOMPARE(p.secretsLeftIn(), (QStringList{QStringLiteral("pinned"), QStringLiteral("argsecret")}));
    QVERIFY(p.notices().join(QString()).contains(QStringLiteral("~/.mcp-auth")));
}

void TestImportPlan::mcpRemoteEnvironment()
{
    const auto build = [](const char *json) {
        QString error;
        const auto config = McpConfigReader::parse(json, McpClientKind::Cursor, QStringLiteral("m"), &error);
        return config ? ImportPlan::build(*config, Json::array(), kProgram) : ImportPlan();
    };
    // A variable the entry does not set comes from the client's environment, which Latchkey cannot see.
    const ImportPlan unset = build(R"({"mcpServers": {"r": {"command": "npx", "args": ["mcp-remote",
        "https://x.example/mcp", "--header", "Authorization:${AUTH_HEADER}"]}}})");
    QCOMPARE(unset.items().at(0).action, ImportItem::Action::LeaveAlone);
    QVERIFY2(unset.items().at(0).note.contains(QStringLiteral("${AUTH_HEADER}")), qPrintable(unset.items().at(0).note));
    QCOMPARE(unset.changeCount(), 0);

    // mcp-remote's README way around spaces in arguments: the whole value in one variable.
    const ImportPlan whole = build(R"({"mcpServers": {"r": {"command": "npx", "args": ["mcp-remote",
        "https://x.example/mcp", "--header", "Authorization:${AUTH_HEADER}"],
        "env": {"AUTH_HEADER": "Bearer tok-0123456789", "NODE_EXTRA_CA_CERTS": "/etc/ca.pem"}}}})");
    const ImportItem &item = whole.items().at(0);
    QCOMPARE(item.action, ImportItem::Action::AddRemote);
    QVERIFY(item.secrets.at(0).second == QStringLiteral("Bearer tok-0123456789"));
    QVERIFY(item.rewritten.at("env") == nlohmann::ordered_json({{"NODE_EXTRA_CA_CERTS", "/etc/ca.pem"}}));
    QVERIFY(!whole.diff().contains(QStringLiteral("tok-0123456789")));

    // A client's own reference stays one: the client resolves it in `latchkey connect`'s arguments.
    const ImportPlan input = build(R"({"mcpServers": {"r": {"command": "npx", "args": ["-y", "mcp-remote",
        "https://x.example/mcp", "--header", "X-Key: ${env:X_KEY}"]}}})");
    QCOMPARE(input.items().at(0).action, ImportItem::Action::AddRemote);
    QVERIFY(input.items().at(0).rewritten.at("args") ==
            nlohmann::ordered_json::array({"connect", "https://x.example/mcp", "--header", "X-Key: ${env:X_KEY}"}));

    // Something secret-looking in "env" that no header uses: not guessed at.
    const ImportPlan stray = build(R"({"mcpServers": {"r": {"command": "npx", "args": ["mcp-remote",
        "https://x.example/mcp"], "env": {"OTHER_TOKEN": "ot-0123456789abcdef"}}}})");
    QCOMPARE(stray.items().at(0).action, ImportItem::Action::LeaveAlone);
    QVERIFY(stray.items().at(0).note.contains(QStringLiteral("OTHER_TOKEN")));
    QVERIFY(!stray.items().at(0).note.contains(QStringLiteral("ot-0123456789abcdef")));

    // The older transport: left alone with the reason.
    const ImportPlan sse = build(R"({"mcpServers": {"r": {"command": "npx", "args": ["mcp-remote",
        "https://x.example/sse", "--transport", "sse-only"]}}})");
    QCOMPARE(sse.items().at(0).action, ImportItem::Action::LeaveAlone);
    QVERIFY(sse.items().at(0).note.contains(QStringLiteral("HTTP+SSE")));
}

void TestImportPlan::mcpRemoteWithoutHeaders()
{
    QString error;
    const auto config = McpConfigReader::parse(
        R"({"servers": {"r": {"type": "stdio", "command": "npx", "args": ["-y", "mcp-remote@latest",
            "https://MCP.example.com/mcp/", "3334"]}, "s": {"command": "mcp-remote", "args": ["https://new.example/mcp"]}}})",
        McpClientKind::VsCode, QStringLiteral("mcp.json"), &error);
    QVERIFY2(config, qPrintable(error));
    const Json existing =
        Json::array({{{"name", "known"}, {"kind", "remote"}, {"url", "https://mcp.example.com/mcp"}}});
    const ImportPlan p = ImportPlan::build(*config, existing, kProgram);
    QVERIFY(p.conflicts().isEmpty());
    QCOMPARE(p.items().at(0).action, ImportItem::Action::UseExisting);
    QCOMPARE(p.items().at(0).server, QStringLiteral("known"));
    QCOMPARE(p.items().at(0).rewritten.at("type").get<std::string>(), std::string("stdio"));
    // No headers: an OAuth record; Latchkey signs in itself.
    const ImportItem &oauth = p.items().at(1);
    QCOMPARE(oauth.action, ImportItem::Action::AddRemote);
    QVERIFY(!oauth.record.contains("headers"));
    QVERIFY(oauth.secrets.isEmpty());
    QVERIFY(p.notices().join(QString()).contains(QStringLiteral("~/.mcp-auth")));
}

void TestImportPlan::secretsInArguments()
{
    QString error;
    const auto config = McpConfigReader::parse(
        R"({"mcpServers": {
  "keyed": {"command": "node", "args": ["server.js", "--api-key", "sk-live-0123456789abcdef"], "env": {"A_TOKEN": "t-42x"}},
  "eq": {"command": "node", "args": ["server.js", "--token=tok-0123456789abcdef"]},
  "docker": {"command": "docker", "args": ["run", "-i", "--rm", "-e", "GITHUB_TOKEN", "ghcr.io/github/github-mcp-server"],
             "env": {"GITHUB_TOKEN": "ghp_0123456789abcdefABCDEF"}},
  "fine": {"command": "node", "args": ["server.js"], "env": {"API_KEY": "k-0123456789"}}
}})",
        McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY2(config, qPrintable(error));
    const ImportPlan p = ImportPlan::build(*config, Json::array(), kProgram);
    QVERIFY(p.conflicts().isEmpty()); // the others still import
    const ImportItem &keyed = p.items().at(0);
    QCOMPARE(keyed.action, ImportItem::Action::LeaveAlone);
    QVERIFY2(keyed.note.contains(QStringLiteral("--api-key ********")), qPrintable(keyed.note));
    QVERIFY(keyed.note.contains(QStringLiteral("environment variable")));
    QVERIFY(keyed.secrets.isEmpty()); // its env secret stays with it: the entry is not touched at all
    QVERIFY(!p.summary().join(QString()).contains(QStringLiteral("sk-live")));
    QCOMPARE(p.items().at(1).action, ImportItem::Action::LeaveAlone);
    QVERIFY(p.items().at(1).note.contains(QStringLiteral("--token=********")));
    // Docker's `-e NAME` passes a variable on: the value is in "env", which moves as usual.
    QCOMPARE(p.items().at(2).action, ImportItem::Action::AddStdio);
    QCOMPARE(p.items().at(3).action, ImportItem::Action::AddStdio);
    QCOMPARE(p.changeCount(), 2);
    QCOMPARE(p.secretsLeftIn(), (QStringList{QStringLiteral("keyed"), QStringLiteral("eq")}));

    // The entries left alone are byte for byte what they were, and their secrets never show in the diff.
    const QByteArray text = p.rewrittenText();
    QVERIFY(text.contains(
        R"("keyed": {"command": "node", "args": ["server.js", "--api-key", "sk-live-0123456789abcdef"], "env": {"A_TOKEN": "t-42x"}})"));
    const QString diff = p.diff();
    QVERIFY(!diff.isEmpty());
    for (const char *secret :
         {"sk-live-0123456789abcdef", "tok-0123456789abcdef", "t-42x", "ghp_0123", "k-0123456789"}) {
        QVERIFY2(!diff.contains(QLatin1String(secret)), secret);
    }
}

void TestImportPlan::secretInUrl()
{
    QString error;
    const auto config = McpConfigReader::parse(
        R"({"mcpServers": {"q": {"url": "https://x.example/mcp?api_key=k-0123456789"},
                           "r": {"command": "npx", "args": ["mcp-remote", "https://u:pw-0123456789@y.example/mcp"]}}})",
        McpClientKind::Cursor, QStringLiteral("m"), &error);
    QVERIFY2(config, qPrintable(error));
    const ImportPlan p = ImportPlan::build(*config, Json::array(), kProgram);
    QCOMPARE(p.secretsLeftIn(), (QStringList{QStringLiteral("q"), QStringLiteral("r")}));
    for (const ImportItem &item : p.items()) {
        QCOMPARE(item.action, ImportItem::Action::LeaveAlone);
        QVERIFY2(item.note.contains(QStringLiteral("URL carries what looks like a secret")), qPrintable(item.note));
        QVERIFY(!item.note.contains(QStringLiteral("0123456789")));
    }
}

QTEST_GUILESS_MAIN(TestImportPlan)
#include "TestImportPlan.moc"
