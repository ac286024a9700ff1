#include "AutostartEntry.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace latchkey::tray {

QString AutostartEntry::path()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/autostart/latchkey-tray.desktop");
}

bool AutostartEntry::isEnabled()
{
    return QFileInfo::exists(path());
}

QByteArray AutostartEntry::contents(const QString &program)
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
    return text.toUtf8();
}

bool AutostartEntry::setEnabled(bool enabled, QString *error, const QString &program)
{
    const QString file = path();
    if (!enabled) {
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
        out.write(contents(program.isEmpty() ? QCoreApplication::applicationFilePath() : program)) < 0 ||
        !out.commit()) {
        *error = QCoreApplication::translate("AutostartEntry", "cannot write %1: %2").arg(file, out.errorString());
        return false;
    }
    return true;
}

} // namespace latchkey::tray
