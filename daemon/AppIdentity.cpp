#include "AppIdentity.h"

#include "PeerCredentials.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>

#if defined(Q_OS_LINUX)
#include <fcntl.h>
#include <unistd.h>
#endif

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

std::optional<AppIdentity::Process> AppIdentity::readStat(qint64 pid)
{
#if defined(Q_OS_LINUX)
    if (pid <= 0) {
        return std::nullopt;
    }
    // Plain open/read into a stack buffer: this runs on every handout in ask mode (IdentityCache).
    char path[32];
    std::snprintf(path, sizeof(path), "/proc/%lld/stat", static_cast<long long>(pid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    char buffer[1024]; // a stat line is about 300 bytes
    ssize_t size = -1;
    do {
        size = ::read(fd, buffer, sizeof(buffer) - 1);
    } while (size < 0 && errno == EINTR);
    ::close(fd);
    if (size <= 0) {
        return std::nullopt;
    }
    const QByteArray stat = QByteArray::fromRawData(buffer, size);
    // The command name is in parentheses and may itself hold ") ": the fields follow the last ')'.
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0) {
        return std::nullopt;
    }
    const QList<QByteArray> fields = stat.mid(close + 2).trimmed().split(' ');
    constexpr qsizetype kStartTime = 19; // field 22 of proc(5), counted from field 3
    if (fields.size() <= kStartTime) {
        return std::nullopt;
    }
    Process process;
    process.pid = pid;
    process.parent = fields.at(1).toLongLong();
    process.ttyNr = fields.at(4).toLongLong();
    process.startTime = fields.at(kStartTime).toULongLong();
    return process;
#else
    Q_UNUSED(pid)
    return std::nullopt;
#endif
}

std::optional<AppIdentity::Process> AppIdentity::readProcess(qint64 pid)
{
#if defined(Q_OS_LINUX)
    auto process = readStat(pid);
    if (!process) {
        return std::nullopt;
    }
    const QString base = QStringLiteral("/proc/%1/").arg(pid);
    process->executable = ipc::PeerCredentials::executableOf(pid);
    if (process->executable.endsWith(QStringLiteral(" (deleted)"))) {
        process->executable.chop(10); // replaced on disk (an upgrade): still the same app
    }
    for (const QByteArray &arg : readProcFile(base + QStringLiteral("cmdline")).split('\0')) {
        process->arguments.append(QString::fromLocal8Bit(arg));
    }
    if (!process->arguments.isEmpty() && process->arguments.constLast().isEmpty()) {
        process->arguments.removeLast();
    }
    // Read again: had the process ended and its pid been reused meanwhile, the start time differs.
    const auto after = readStat(pid);
    if (!after || after->startTime != process->startTime || process->executable.isEmpty()) {
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
    const auto walked = [&app](Process process) {
        process.arguments.clear(); // what IdentityCache compares is in the stat fields
        app.lineage.append(std::move(process));
    };
    walked(*current);
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
        walked(*parent);
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
