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
    // The Windows named pipe for a user: "latchkey-" + the name lower-cased (Windows names are
    // case-insensitive) and percent-encoded, so DOMAIN\alice and alice stay apart and no '\' gets in.
    static QString pipeNameFor(const QString &userName);
};

} // namespace latchkey::ipc
