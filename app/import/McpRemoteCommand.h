#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace latchkey::import {

// An entry whose command runs mcp-remote (the npm stdio ↔ remote proxy), read the way mcp-remote 0.1 reads
// its command line:
//   npx [-y|--yes|-q|--quiet] mcp-remote[@VERSION] URL [CALLBACK_PORT] [FLAGS…]   or   mcp-remote URL …
// (either also behind Windows' `cmd /c`)
// `--header "Name: value"` (the value may hold `${VAR}`, which mcp-remote fills from its environment) is the
// only flag that changes what reaches the server. The OAuth callback details (`--host`, `--callback-path`,
// `--auth-timeout`, the port), logging (`--debug`, `--silent`), `--clean`, `--allow-http` and the Streamable
// HTTP transports (`--transport http-first|http-only`) are understood and have no use under `latchkey connect`,
// which runs its own sign-in. Anything else (a pre-registered OAuth client, `--resource`, `--ignore-tool`,
// `--enable-proxy`, the old HTTP+SSE transport, flags of a newer mcp-remote) is not guessed at: problem() says
// which flag, and the entry stays as it is. Messages name flags, never their values.
class McpRemoteCommand
{
public:
    // Whether `command args…` launches mcp-remote; *first is then the index of mcp-remote's first argument.
    static bool launches(const QString &command, const QStringList &args, qsizetype *first = nullptr);
    // mcp-remote's own arguments (those after `mcp-remote[@VERSION]`).
    static McpRemoteCommand parse(const QStringList &arguments);

    // Empty when Latchkey understands every argument; else one sentence on the first it does not.
    const QString &problem() const { return m_problem; }
    const QString &url() const { return m_url; }
    // In command-line order, values as written (`${VAR}` unresolved).
    const QList<QPair<QString, QString>> &headers() const { return m_headers; }
    // Flags understood and not needed by `latchkey connect`, for the plan's note.
    const QStringList &dropped() const { return m_dropped; }

private:
    QString m_problem;
    QString m_url;
    QList<QPair<QString, QString>> m_headers;
    QStringList m_dropped;
};

} // namespace latchkey::import
