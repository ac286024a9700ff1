#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace latchkey::import {

// The MCP clients whose configuration Latchkey imports, and what tells their files apart.
class McpClientKind
{
public:
    enum Kind
    {
        ClaudeDesktop,
        VsCode,
        Cursor,
    };

    // "claude-desktop", "vscode", "cursor" (as `--from` takes them); nullopt for anything else.
    static std::optional<Kind> fromName(const QString &name);
    static QString name(Kind kind);
    static QString displayName(Kind kind);
    static QStringList names();
    // The key holding the server map: "mcpServers" (Claude Desktop, Cursor) or "servers" (VS Code).
    static const char *serversKey(Kind kind);
    // Where the client keeps its user configuration on this OS (the file need not exist).
    static QString defaultPath(Kind kind);
};

} // namespace latchkey::import
