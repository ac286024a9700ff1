#pragma once

#include "McpClientKind.h"
#include "McpEntry.h"

#include <optional>

namespace latchkey::import {

// Reads a Claude Desktop, VS Code or Cursor MCP configuration. The file is JSON; comments are allowed
// (VS Code's mcp.json is JSON with comments). Every problem is reported with the file, and the line and
// column where nlohmann found it; nothing is guessed.
class McpConfigReader
{
public:
    static std::optional<McpConfig> parse(const QByteArray &text, McpClientKind::Kind client, const QString &path,
                                          QString *error);
    // Reads the file, then parse(). Configurations are small: anything over 4 MiB is refused.
    static std::optional<McpConfig> read(const QString &path, McpClientKind::Kind client, QString *error);

    // Whether the program of an entry is Latchkey itself (`latchkey`, `/usr/bin/latchkey`, `latchkey.exe`).
    static bool isLatchkeyProgram(const QString &command);
};

} // namespace latchkey::import
