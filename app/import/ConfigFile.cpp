#include "ConfigFile.h"

#include <QDateTime>
#include <QFile>
#include <QSaveFile>

namespace latchkey::import {

bool ConfigFile::unchanged(const QString &path, const QByteArray &expected, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read it again: %2").arg(path, file.errorString());
        return false;
    }
    if (file.readAll() != expected) {
        *error = QStringLiteral("%1 changed since it was read (did the MCP client save it?); run the import again")
                     .arg(path);
        return false;
    }
    return true;
}

QString ConfigFile::writeBackup(const QString &path, const QByteArray &original, QString *error)
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'"));
    for (int attempt = 1; attempt < 100; ++attempt) {
        const QString name = attempt == 1 ? QStringLiteral("%1.latchkey-backup-%2").arg(path, stamp)
                                          : QStringLiteral("%1.latchkey-backup-%2-%3").arg(path, stamp).arg(attempt);
        QFile backup(name);
        // NewOnly: never over another file; the mode is set at creation, so it is never readable by others.
        if (!backup.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            if (backup.exists()) {
                continue;
            }
            *error = QStringLiteral("cannot write the backup %1: %2").arg(name, backup.errorString());
            return {};
        }
        if (backup.write(original) != original.size() || !backup.flush()) {
            *error = QStringLiteral("cannot write the backup %1: %2").arg(name, backup.errorString());
            backup.remove();
            return {};
        }
        return name;
    }
    *error = QStringLiteral("cannot find a free name for the backup of %1").arg(path);
    return {};
}

bool ConfigFile::replace(const QString &path, const QByteArray &expected, const QByteArray &text, QString *error)
{
    if (!unchanged(path, expected, error)) {
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace latchkey::import
