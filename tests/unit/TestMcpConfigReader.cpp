// Unit tests for McpConfigReader: the three clients' formats, already-imported entries, and clear
// errors (file, line, column) for malformed files.
#include "ImportFixtures.h"
#include "McpConfigReader.h"

#include <QTemporaryDir>
#include <QTest>

using latchkey::import::McpClientKind;
using latchkey::import::McpConfigReader;
using latchkey::import::McpEntry;
using latchkey::test::importFixture;

class TestMcpConfigReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void claudeDesktop();
    void vsCodeWithComments();
    void cursorRemote();
    void latchkeyProgram();
    void mcpRemote();
    void malformed_data();
    void malformed();
    void wrongClientForFile();
    void duplicateNamesRefused();
    void missingFile();
};

void TestMcpConfigReader::claudeDesktop()
{
    QString error;
    const auto config = McpConfigReader::parse(importFixture(QStringLiteral("claude_desktop_config.json")),
                                               McpClientKind::ClaudeDesktop, QStringLiteral("c.json"), &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->entries.size(), 3);
    const McpEntry &github = config->entries.at(0);
    QCOMPARE(github.name, QStringLiteral("github"));
    QCOMPARE(github.kind, McpEntry::Kind::Stdio);
    QCOMPARE(github.command, QStringLiteral("/bin/sh"));
    QCOMPARE(github.args.size(), 2);
    QCOMPARE(github.env.size(), 2);
    QCOMPARE(github.env.at(0).first, QStringLiteral("GITHUB_PERSONAL_ACCESS_TOKEN"));
    QVERIFY(!github.viaLatchkey);
    QCOMPARE(config->text.mid(github.span.begin, 1), QByteArray("{"));
    QCOMPARE(config->text.at(github.span.end - 1), '}');
    QVERIFY(config->entries.at(2).viaLatchkey);
}

void TestMcpConfigReader::vsCodeWithComments()
{
    QString error;
    const auto config = McpConfigReader::parse(importFixture(QStringLiteral("vscode-mcp.json")), McpClientKind::VsCode,
                                               QStringLiteral("mcp.json"), &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->entries.size(), 2);
    QCOMPARE(config->entries.at(1).kind, McpEntry::Kind::Remote);
    QCOMPARE(config->entries.at(1).url, QStringLiteral("https://mcp.example.com/mcp"));
    QCOMPARE(config->entries.at(1).headers.size(), 2);
    QCOMPARE(config->entries.at(1).json.at("type").get<std::string>(), std::string("http"));
}

void TestMcpConfigReader::cursorRemote()
{
    QString error;
    const auto config = McpConfigReader::parse(importFixture(QStringLiteral("cursor-mcp.json")), McpClientKind::Cursor,
                                               QStringLiteral("mcp.json"), &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->entries.at(1).headers.at(0),
             qMakePair(QStringLiteral("Authorization"), QStringLiteral("Bearer cur-FixtureBearer-97531")));
}

void TestMcpConfigReader::latchkeyProgram()
{
    QVERIFY(McpConfigReader::isLatchkeyProgram(QStringLiteral("latchkey")));
    QVERIFY(McpConfigReader::isLatchkeyProgram(QStringLiteral("/usr/bin/latchkey")));
    QVERIFY(McpConfigReader::isLatchkeyProgram(QStringLiteral("C:\\Program Files\\Latchkey\\latchkey.exe")));
    QVERIFY(!McpConfigReader::isLatchkeyProgram(QStringLiteral("latchkey-bridge")));
    QVERIFY(!McpConfigReader::isLatchkeyProgram(QStringLiteral("npx")));
}

void TestMcpConfigReader::malformed_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<int>("client");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("syntax") << QStringLiteral("malformed-syntax.json") << int(McpClientKind::ClaudeDesktop)
                            << QStringLiteral("line 6, column 11");
    QTest::newRow("entry") << QStringLiteral("malformed-entry.json") << int(McpClientKind::Cursor)
                           << QStringLiteral("server \"broken\" (line 4");
    QTest::newRow("servers") << QStringLiteral("malformed-servers.json") << int(McpClientKind::VsCode)
                             << QStringLiteral("\"servers\" must be an object");
}

void TestMcpConfigReader::malformed()
{
    QFETCH(QString, fixture);
    QFETCH(int, client);
    QFETCH(QString, mentions);
    QString error;
    const QByteArray text = importFixture(fixture);
    QVERIFY(!text.isEmpty());
    QVERIFY(!McpConfigReader::parse(text, McpClientKind::Kind(client), QStringLiteral("/x/") + fixture, &error));
    QVERIFY2(error.startsWith(QStringLiteral("/x/") + fixture), qPrintable(error));
    QVERIFY2(error.contains(mentions), qPrintable(error));
    // The error never repeats a secret of the file.
    QVERIFY(!error.contains(QStringLiteral("Fixture")));
}

void TestMcpConfigReader::wrongClientForFile()
{
    QString error;
    QVERIFY(!McpConfigReader::parse(importFixture(QStringLiteral("vscode-mcp.json")), McpClientKind::Cursor,
                                    QStringLiteral("mcp.json"), &error));
    QVERIFY2(error.contains(QStringLiteral("no \"mcpServers\" object: is this a Cursor configuration?")),
             qPrintable(error));
}

void TestMcpConfigReader::duplicateNamesRefused()
{
    QString error;
    QVERIFY(!McpConfigReader::parse(R"({"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}})",
                                    McpClientKind::Cursor, QStringLiteral("mcp.json"), &error));
    QVERIFY2(error.contains(QStringLiteral("twice")), qPrintable(error));
}

void TestMcpConfigReader::missingFile()
{
    QTemporaryDir dir;
    QString error;
    const QString path = dir.filePath(QStringLiteral("nope.json"));
    QVERIFY(!McpConfigReader::read(path, McpClientKind::ClaudeDesktop, &error));
    QVERIFY2(error.contains(path) && error.contains(QStringLiteral("no such file")), qPrintable(error));
}

void TestMcpConfigReader::mcpRemote()
{
    QString error;
    const auto config = McpConfigReader::parse(importFixture(QStringLiteral("mcp-remote.json")),
                                               McpClientKind::ClaudeDesktop, QStringLiteral("c.json"), &error);
    QVERIFY2(config, qPrintable(error));
    QCOMPARE(config->entries.size(), 4);
    const McpEntry &viaEnv = config->entries.at(0);
    QCOMPARE(viaEnv.kind, McpEntry::Kind::McpRemote);
    QCOMPARE(viaEnv.url, QStringLiteral("https://mcp.example.com/mcp"));
    QCOMPARE(viaEnv.headers.size(), 1);
    QCOMPARE(viaEnv.headers.at(0).second, QStringLiteral("Bearer ${AUTH_TOKEN}")); // resolved by the plan
    QCOMPARE(viaEnv.mcpRemoteDropped, QStringList{QStringLiteral("--allow-http")});
    QVERIFY(viaEnv.mcpRemoteProblem.isEmpty());
    // Still a command like any other: the plan decides.
    QCOMPARE(viaEnv.command, QStringLiteral("npx"));
    QCOMPARE(viaEnv.env.size(), 1);

    const McpEntry &inline_ = config->entries.at(1);
    QCOMPARE(inline_.kind, McpEntry::Kind::McpRemote);
    QCOMPARE(inline_.url, QStringLiteral("https://mcp2.example.com/mcp"));
    QCOMPARE(inline_.headers.at(0).first, QStringLiteral("X-API-Key"));

    const McpEntry &pinned = config->entries.at(2);
    QCOMPARE(pinned.kind, McpEntry::Kind::McpRemote);
    QVERIFY(pinned.mcpRemoteProblem.contains(QStringLiteral("--static-oauth-client-info")));
    QVERIFY(!pinned.mcpRemoteProblem.contains(QStringLiteral("FixtureClientSecret")));

    QCOMPARE(config->entries.at(3).kind, McpEntry::Kind::Stdio);
}

QTEST_GUILESS_MAIN(TestMcpConfigReader)
#include "TestMcpConfigReader.moc"
