#include "DaemonLauncher.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace latchkey::cli {

QString DaemonLauncher::daemonProgram()
{
    const QString beside = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("latchkeyd"));
    if (QFileInfo(beside).isExecutable()) {
        return beside;
    }
    return QStandardPaths::findExecutable(QStringLiteral("latchkeyd"));
}

bool DaemonLauncher::start(const QString &socketPath, QString *error)
{
    const QString program = daemonProgram();
    if (program.isEmpty()) {
        *error = QStringLiteral("latchkeyd is not installed next to latchkey or on PATH");
        return false;
    }
    QProcess daemon;
    daemon.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    daemon.setStandardInputFile(QProcess::nullDevice());
    daemon.setStandardOutputFile(QProcess::nullDevice());
    daemon.start(program, {QStringLiteral("--socket"), socketPath});
    if (!daemon.waitForFinished(15000)) {
        *error = QStringLiteral("latchkeyd did not become ready in time");
        daemon.kill();
        return false;
    }
    if (daemon.exitStatus() != QProcess::NormalExit || daemon.exitCode() != 0) {
        *error = QStringLiteral("latchkeyd could not start (see its message above)");
        return false;
    }
    return true;
}

} // namespace latchkey::cli
