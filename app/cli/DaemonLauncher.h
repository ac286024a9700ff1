#pragma once

#include <QString>

namespace latchkey::cli {

// Starts latchkeyd for a socket that nobody serves yet. The daemon detaches once it listens,
// so when start() returns true the socket accepts connections.
class DaemonLauncher
{
public:
    // The latchkeyd beside this executable, else the one on PATH.
    static QString daemonProgram();
    static bool start(const QString &socketPath, QString *error);
};

} // namespace latchkey::cli
