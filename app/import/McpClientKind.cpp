#include "McpClientKind.h"

#include <QDir>
#include <QStandardPaths>

namespace latchkey::import {

std::optional<McpClientKind::Kind> McpClientKind::fromName(const QString &name)
{
    if (name == QStringLiteral("claude-desktop")) {
        return ClaudeDesktop;
    }
    if (name == QStringLiteral("vscode")) {
        return VsCode;
    }
    if (name == QStringLiteral("cursor")) {
        return Cursor;
    }
    return std::nullopt;
}

QString McpClientKind::name(Kind kind)
{
    switch (kind) {
    case ClaudeDesktop:
        return QStringLiteral("claude-desktop");
    case VsCode:
        return QStringLiteral("vscode");
    case Cursor:
        break;
    }
    return QStringLiteral("cursor");
}

QString McpClientKind::displayName(Kind kind)
{
    switch (kind) {
    case ClaudeDesktop:
        return QStringLiteral("Claude Desktop");
    case VsCode:
        return QStringLiteral("VS Code");
    case Cursor:
        break;
    }
    return QStringLiteral("Cursor");
}

QStringList McpClientKind::names()
{
    return {name(ClaudeDesktop), name(VsCode), name(Cursor)};
}

const char *McpClientKind::serversKey(Kind kind)
{
    return kind == VsCode ? "servers" : "mcpServers";
}

QString McpClientKind::defaultPath(Kind kind)
{
    const QString home = QDir::homePath();
    if (kind == Cursor) {
        return QDir(home).filePath(QStringLiteral(".cursor/mcp.json"));
    }
    // Claude Desktop and VS Code keep their files in the per-user application data folder:
    // ~/.config on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows.
#if defined(Q_OS_MACOS)
    const QString base = QDir(home).filePath(QStringLiteral("Library/Application Support"));
#elif defined(Q_OS_WIN)
    const QString base = qEnvironmentVariable("APPDATA", QDir(home).filePath(QStringLiteral("AppData/Roaming")));
#else
    const QString base = qEnvironmentVariable("XDG_CONFIG_HOME", QDir(home).filePath(QStringLiteral(".config")));
#endif
    if (kind == ClaudeDesktop) {
        return QDir(base).filePath(QStringLiteral("Claude/claude_desktop_config.json"));
    }
    return QDir(base).filePath(QStringLiteral("Code/User/mcp.json"));
}

} // namespace latchkey::import
