#pragma once

#include <QString>

namespace latchkey::ipc {

// Where the daemon listens and clients connect.
// LATCHKEY_SOCKET wins; then Linux: $XDG_RUNTIME_DIR/latchkey/agent.sock, falling back to
// /tmp/latchkey-<uid>/agent.sock; macOS: $TMPDIR/latchkey/agent.sock; Windows: the pipe latchkey-<user>.
class SocketPath
{
public:
    static QString defaultPath();
    // The per-user directory holding the socket (empty on Windows).
    static QString directoryOf(const QString &socketPath);
};

} // namespace latchkey::ipc
