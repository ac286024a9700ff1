// Unit tests for McpClientKind: names and the default configuration paths.
#include "McpClientKind.h"

#include <QDir>
#include <QTest>

using latchkey::import::McpClientKind;

class TestMcpClientKind : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void names();
    void defaultPaths();
};

void TestMcpClientKind::names()
{
    for (const QString &name : McpClientKind::names()) {
        const auto kind = McpClientKind::fromName(name);
        QVERIFY(kind);
        QCOMPARE(McpClientKind::name(*kind), name);
    }
    QVERIFY(!McpClientKind::fromName(QStringLiteral("claude")));
    QCOMPARE(QString::fromLatin1(McpClientKind::serversKey(McpClientKind::VsCode)), QStringLiteral("servers"));
    QCOMPARE(QString::fromLatin1(McpClientKind::serversKey(McpClientKind::Cursor)), QStringLiteral("mcpServers"));
}

void TestMcpClientKind::defaultPaths()
{
    qputenv("XDG_CONFIG_HOME", "/cfg");
    QCOMPARE(McpClientKind::defaultPath(McpClientKind::Cursor), QDir::homePath() + QStringLiteral("/.cursor/mcp.json"));
#if defined(Q_OS_LINUX)
    QCOMPARE(McpClientKind::defaultPath(McpClientKind::ClaudeDesktop),
             QStringLiteral("/cfg/Claude/claude_desktop_config.json"));
    QCOMPARE(McpClientKind::defaultPath(McpClientKind::VsCode), QStringLiteral("/cfg/Code/User/mcp.json"));
    qunsetenv("XDG_CONFIG_HOME");
    QCOMPARE(McpClientKind::defaultPath(McpClientKind::ClaudeDesktop),
             QDir::homePath() + QStringLiteral("/.config/Claude/claude_desktop_config.json"));
#endif
}

QTEST_GUILESS_MAIN(TestMcpClientKind)
#include "TestMcpClientKind.moc"
