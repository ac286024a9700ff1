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

QTEST_GUILESS_MAIN(TestImportPlan)
#include "TestImportPlan.moc"
