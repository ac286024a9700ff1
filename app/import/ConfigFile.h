#pragma once

#include <QByteArray>
#include <QString>

namespace latchkey::import {

// The configuration file on disk: a private backup of what it held, and an atomic replacement that
// refuses when someone else changed the file since it was read.
class ConfigFile
{
public:
    // Whether `path` still holds exactly `expected`; otherwise *error says what happened.
    static bool unchanged(const QString &path, const QByteArray &expected, QString *error);
    // Writes `original` to PATH.latchkey-backup-<UTC time> (a new file, mode 0600: it holds the secrets
    // that were moved). Returns its path, or empty with *error.
    static QString writeBackup(const QString &path, const QByteArray &original, QString *error);
    // Replaces the file with `text` through QSaveFile (all or nothing, same permissions), if it still
    // holds `expected`.
    static bool replace(const QString &path, const QByteArray &expected, const QByteArray &text, QString *error);
};

} // namespace latchkey::import
