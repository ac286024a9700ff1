#include "SocketPath.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace latchkey::ipc {

QString SocketPath::defaultPath()
{
    const QString override = qEnvironmentVariable("LATCHKEY_SOCKET");
    if (!override.isEmpty()) {
        return override;
    }
#if defined(Q_OS_WIN)
    return pipeNameFor(qEnvironmentVariable("USERNAME"));
#elif defined(Q_OS_MACOS)
    return QDir(qEnvironmentVariable("TMPDIR", QStringLiteral("/tmp"))).filePath(QStringLiteral("latchkey/agent.sock"));
#else
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty()) {
        return QDir(runtime).filePath(QStringLiteral("latchkey/agent.sock"));
    }
    return QStringLiteral("/tmp/latchkey-%1/agent.sock").arg(::getuid());
#endif
}

QString SocketPath::directoryOf(const QString &socketPath)
{
#if defined(Q_OS_WIN)
    Q_UNUSED(socketPath);
    return {};
#else
    return QFileInfo(socketPath).absolutePath();
#endif
}

QString SocketPath::pipeNameFor(const QString &userName)
{
    const QString name = userName.isEmpty() ? QStringLiteral("unknown") : userName.toLower();
    return QStringLiteral("latchkey-") + QString::fromLatin1(QUrl::toPercentEncoding(name));
}

} // namespace latchkey::ipc
