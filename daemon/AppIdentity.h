#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <optional>

namespace latchkey {

// Who is asking for a credential: the app a consent decision is about.
//
// The socket peer is the app, unless it is one of our own front ends (`latchkey run`, `latchkey connect`,
// latchkey-bridge): then the app is the process that spawned it (Claude Desktop, VS Code…), found by walking
// up the parent chain past our own binaries and past plain shell wrappers (`sh -c …`, a script). A chain that
// reaches an interactive shell on a terminal is a person typing: the app is "terminal" and needs no prompt.
//
// A guard rail, not a wall: every same-uid process can ptrace another, rename itself or fake its parentage.
// The wall is the socket's same-uid check. Linux reads /proc; elsewhere the peer's executable is the app.
struct AppIdentity
{
    enum class Kind
    {
        Executable, // an app, named by its executable path
        Terminal,   // a person at an interactive shell with a controlling terminal
        Unknown,    // nothing could be read (the process has gone, or its pid was reused meanwhile)
    };

    Kind kind = Kind::Unknown;
    QString executable; // the app's executable (empty for Terminal and Unknown)
    qint64 pid = -1;    // the app's process (for Terminal: the shell's)

    // What grants are stored under: the executable path, "terminal" or "unknown".
    QString key() const;
    // For people: the executable's file name, "terminal" or "unknown app".
    QString displayName() const;
    bool isTerminal() const { return kind == Kind::Terminal; }

    // One process as /proc tells it. nullopt when it has gone or cannot be read.
    struct Process
    {
        qint64 pid = -1;
        qint64 parent = -1;
        qint64 ttyNr = 0;
        quint64 startTime = 0; // clock ticks since boot: with pid, a process that is not a reused pid
        QString executable;    // without the kernel's " (deleted)" suffix
        QStringList arguments; // argv
    };
    static std::optional<Process> readProcess(qint64 pid);
    // Only /proc/PID/stat (pid, parent, tty, start time): one read, for IdentityCache without pidfds.
    static std::optional<Process> readStat(qint64 pid);

    // The processes identify() went through, the peer first and the app (or the terminal's shell) last,
    // as they were then. IdentityCache re-checks them instead of walking again.
    QList<Process> lineage;

    // ownExecutables: absolute paths of our own front ends (the CLI, the bridge); the daemon passes those
    // beside its own binary.
    static AppIdentity identify(qint64 peerPid, const QStringList &ownExecutables);
    // Our front ends, installed beside the daemon (LATCHKEY_BIN_DIR-free: the daemon's own directory).
    static QStringList defaultOwnExecutables();

    static constexpr const char *kTerminal = "terminal";
};

} // namespace latchkey
