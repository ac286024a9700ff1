#pragma once

#include <QString>
#include <QtGlobal>

namespace latchkey {

// Socket activation: the service manager (systemd's latchkeyd.socket, launchd's Sockets key) owns the
// listening socket and hands it to latchkeyd, so the socket exists before the daemon does.
// On Linux this follows sd_listen_fds(3): LISTEN_PID must be our pid, the sockets start at fd 3, and the
// variables are unset so nothing we spawn inherits them. The descriptor must be a listening AF_UNIX
// stream socket; anything else is refused with a reason instead of being served.
class SocketActivation
{
public:
    static constexpr int kFirstDescriptor = 3;

    struct Result
    {
        qintptr descriptor = -1; // the adopted listening socket, or -1
        QString error;           // activation was offered but cannot be used
        bool activated() const { return descriptor >= 0; }
    };

    // Reads (and unsets) LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES; on macOS asks launchd instead.
    // Neither activated nor an error means: listen on our own socket path.
    static Result fromEnvironment();
    // Whether descriptor is a listening AF_UNIX stream socket; if not, why in *error.
    static bool isListeningUnixStream(qintptr descriptor, QString *error);
};

} // namespace latchkey
