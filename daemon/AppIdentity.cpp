#include "AppIdentity.h"

#include "PeerCredentials.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace latchkey {

namespace {

// Deep enough for wrappers of wrappers; bounded so a strange /proc cannot keep us walking.
constexpr int kMaxDepth = 32;
constexpr qint64 kMaxProcFile = 64 * 1024;

QByteArray readProcFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.read(kMaxProcFile); // /proc files report size 0: read() reads to the end
}

bool isShell(const QString &executable)
{
    static const QStringList shells = {QStringLiteral("sh"),   QStringLiteral("bash"), QStringLiteral("dash"),
                                       QStringLiteral("zsh"),  QStringLiteral("fish"), QStringLiteral("ksh"),
                                       QStringLiteral("mksh"), QStringLiteral("tcsh"), QStringLiteral("csh")};
    return shells.contains(QFileInfo(executable).fileName());
}

// A shell people type at: only options, and none of them -c (a command) — no script, no command string.
bool isInteractiveShell(const QStringList &arguments)
{
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (!arg.startsWith(QLatin1Char('-'))) {
            return false; // a script file
        }
        if (!arg.startsWith(QStringLiteral("--")) && arg.contains(QLatin1Char('c'))) {
            return false; // -c, -ec, -lc …
        }
    }
    return true;
}

} // namespace

QString AppIdentity::key() const
{
    switch (kind) {
    case Kind::Executable:
        return executable;
    case Kind::Terminal:
        return QString::fromLatin1(kTerminal);
    case Kind::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QString AppIdentity::displayName() const
{
    switch (kind) {
    case Kind::Executable:
        return QFileInfo(executable).fileName();
    case Kind::Terminal:
        return QString::fromLatin1(kTerminal);
    case Kind::Unknown:
        break;
    }
    return QStringLiteral("unknown app");
}

std::optional<AppIdentity::Process> AppIdentity::readProcess(qint64 pid)
{
#if defined(Q_OS_LINUX)
    if (pid <= 0) {
        return std::nullopt;
    }
    const QString base = QStringLiteral("/proc/%1/").arg(pid);
    // Fields after the command name, which is in parentheses and may itself hold ") ".
    const auto statFields = [&base]() -> QList<QByteArray> {
        const QByteArray stat = readProcFile(base + QStringLiteral("stat"));
        const qsizetype close = stat.lastIndexOf(')');
        return close < 0 ? QList<QByteArray>() : stat.mid(close + 2).trimmed().split(' ');
    };
    const QList<QByteArray> before = statFields();
    constexpr qsizetype kStartTime = 19; // field 22 of proc(5), counted from field 3
    if (before.size() <= kStartTime) {
        return std::nullopt;
    }
    Process process;
    process.pid = pid;
    process.parent = before.at(1).toLongLong();
    process.ttyNr = before.at(4).toLongLong();
    process.startTime = before.at(kStartTime).toULongLong();
    process.executable = ipc::PeerCredentials::executableOf(pid);
    if (process.executable.endsWith(QStringLiteral(" (deleted)"))) {
        process.executable.chop(10); // replaced on disk (an upgrade): still the same app
    }
    for (const QByteArray &arg : readProcFile(base + QStringLiteral("cmdline")).split('\0')) {
        process.arguments.append(QString::fromLocal8Bit(arg));
    }
    if (!process.arguments.isEmpty() && process.arguments.constLast().isEmpty()) {
        process.arguments.removeLast();
    }
    // Read again: had the process ended and its pid been reused meanwhile, the start time differs.
    const QList<QByteArray> after = statFields();
    if (after.size() <= kStartTime || after.at(kStartTime).toULongLong() != process.startTime ||
        process.executable.isEmpty()) {
        return std::nullopt;
    }
    return process;
#else
    const QString executable = ipc::PeerCredentials::executableOf(pid);
    if (executable.isEmpty()) {
        return std::nullopt;
    }
    Process process;
    process.pid = pid;
    process.executable = executable;
    return process;
#endif
}

AppIdentity AppIdentity::identify(qint64 peerPid, const QStringList &ownExecutables)
{
    AppIdentity app;
    app.pid = peerPid;
    auto current = readProcess(peerPid);
    if (!current) {
        return app;
    }
    const auto isOwn = [&ownExecutables](const QString &path) { return ownExecutables.contains(path); };
    if (!isOwn(current->executable)) {
        app.kind = Kind::Executable;
        app.executable = current->executable;
        return app;
    }
    const qint64 terminal = current->ttyNr;
    for (int depth = 0; depth < kMaxDepth; ++depth) {
        const auto parent = readProcess(current->parent);
        if (!parent) {
            break; // the spawner has gone, or is not ours to read: nobody we could name
        }
        if (isOwn(parent->executable)) {
            current = parent;
            continue;
        }
        if (isShell(parent->executable)) {
            if (terminal != 0 && parent->ttyNr == terminal && isInteractiveShell(parent->arguments)) {
                app.kind = Kind::Terminal;
                app.pid = parent->pid;
                return app;
            }
            if (!isInteractiveShell(parent->arguments)) {
                current = parent; // sh -c "latchkey run …", a wrapper script: the app is further up
                continue;
            }
        }
        app.kind = Kind::Executable;
        app.executable = parent->executable;
        app.pid = parent->pid;
        return app;
    }
    return app;
}

QStringList AppIdentity::defaultOwnExecutables()
{
    const QDir dir(QCoreApplication::applicationDirPath());
    QStringList own;
    // Built: all side by side. Installed: the bridge under libexec (see app/bridge/CMakeLists.txt).
    for (const QString &name : {QStringLiteral("latchkey"), QStringLiteral("latchkey-bridge"),
                                QStringLiteral("../" LATCHKEY_LIBEXECDIR "/latchkey/latchkey-bridge")}) {
        const QString path = QFileInfo(dir.filePath(name)).canonicalFilePath();
        if (!path.isEmpty()) {
            own.append(path);
        }
    }
    return own;
}

} // namespace latchkey
