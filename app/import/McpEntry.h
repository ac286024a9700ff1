#pragma once

#include "JsonSpans.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace latchkey::import {

// One server entry of an MCP client's configuration, as written there.
struct McpEntry
{
    enum class Kind
    {
        Stdio,  // "command" (+ "args", "env")
        Remote, // "url" (+ "headers"); VS Code's "type": "http" or "sse"
        // "command" running mcp-remote (McpRemoteCommand): url and headers from its arguments, `${VAR}` in a
        // header unresolved; command, args and env as for Stdio.
        McpRemote,
    };
    QString name; // its key in the client's server map
    Kind kind = Kind::Stdio;
    QString command;
    QStringList args;
    QList<QPair<QString, QString>> env; // string values only, in file order
    QString url;
    QList<QPair<QString, QString>> headers; // in file order
    QStringList mcpRemoteDropped;           // McpRemote: its flags that `latchkey connect` has no use for
    QString mcpRemoteProblem;               // McpRemote: why Latchkey does not take it over (empty: it does)
    bool viaLatchkey = false;               // already `latchkey run …` / `latchkey connect …`
    nlohmann::ordered_json json;            // the whole entry, unknown keys included
    JsonSpans::Span span;                   // where its value is in the file
};

// A parsed configuration file: its bytes as read and its entries.
struct McpConfig
{
    int client = 0; // McpClientKind::Kind
    QString path;
    QByteArray text;
    QList<McpEntry> entries;
};

} // namespace latchkey::import
