#include "AutostartEntry.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace latchkey::tray {

namespace {

const QString kFileName = QStringLiteral("latchkey-tray.desktop");

bool isHidden(const QString &file)
{
    QFile entry(file);
    if (!entry.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QList<QByteArray> lines = entry.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QByteArray trimmed = line.trimmed();
        if (trimmed == "Hidden=true" || trimmed == "X-GNOME-Autostart-enabled=false") {
            return true;
        }
    }
    return false;
}

} // namespace

QString AutostartEntry::path()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QStringLiteral("/autostart/") +
           kFileName;
}

QString AutostartEntry::systemPath()
{
    QString dirs = qEnvironmentVariable("XDG_CONFIG_DIRS");
    if (dirs.isEmpty()) {
        dirs = QStringLiteral("/etc/xdg");
    }
    for (const QString &dir : dirs.split(QLatin1Char(':'), Qt::SkipEmptyParts)) {
        const QString file = dir + QStringLiteral("/autostart/") + kFileName;
        if (QFileInfo::exists(file)) {
            return file;
        }
    }
    return {};
}

bool AutostartEntry::isEnabled()
{
    if (QFileInfo::exists(path())) {
        return !isHidden(path());
    }
    const QString system = systemPath();
    return !system.isEmpty() && !isHidden(system);
}

QByteArray AutostartEntry::contents(const QString &program, bool hidden)
{
    // Desktop Entry spec, "The Exec key": quote the argument and escape ", `, $ and \ inside quotes.
    QString quoted = program;
    for (const QChar c : {QLatin1Char('\\'), QLatin1Char('"'), QLatin1Char('`'), QLatin1Char('$')}) {
        quoted.replace(c, QStringLiteral("\\") + c);
    }
    quoted.replace(QLatin1Char('%'), QStringLiteral("%%"));
    const QString text = QStringLiteral("[Desktop Entry]\n"
                                        "Type=Application\n"
                                        "Name=Latchkey\n"
                                        "Comment=Token vault for MCP servers\n"
                                        "Exec=\"%1\"\n"
                                        "Icon=latchkey\n"
                                        "Terminal=false\n"
                                        "X-GNOME-Autostart-enabled=true\n")
                             .arg(quoted);
    return (hidden ? text + QStringLiteral("Hidden=true\n") : text).toUtf8();
}

bool AutostartEntry::setEnabled(bool enabled, QString *error, const QString &program)
{
    const QString file = path();
    // Off without a system entry: no entry at all. Off with one: a user entry that hides it.
    const bool hide = !enabled && !systemPath().isEmpty();
    if (!enabled && !hide) {
        if (QFile::exists(file) && !QFile::remove(file)) {
            *error = QCoreApplication::translate("AutostartEntry", "cannot remove %1").arg(file);
            return false;
        }
        return true;
    }
    if (!QDir().mkpath(QFileInfo(file).absolutePath())) {
        *error = QCoreApplication::translate("AutostartEntry", "cannot create %1").arg(QFileInfo(file).absolutePath());
        return false;
    }
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) ||
        out.write(contents(program.isEmpty() ? QCoreApplication::applicationFilePath() : program, hide)) < 0 ||
        !out.commit()) {
        *error = QCoreApplication::translate("AutostartEntry", "cannot write %1: %2").arg(file, out.errorString());
        return false;
    }
    return true;
}

} // namespace latchkey::tray
