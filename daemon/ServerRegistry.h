#pragma once

#include "ServerRecord.h"

#include <QMap>
#include <QSet>
#include <QString>

namespace latchkey {

// Non-secret server records and the names (never values) of stored secrets, kept in
// $XDG_CONFIG_HOME/latchkey/servers.json. Written atomically (QSaveFile), mode 0600, schema-versioned.
// A file that cannot be read or parsed is never overwritten: the registry goes read-only and says why.
class ServerRegistry
{
public:
    static constexpr int kSchemaVersion = 1;

    explicit ServerRegistry(QString path);

    static QString defaultPath();

    // Loads the file; a missing file is an empty registry. Returns false and sets error() otherwise.
    bool load();
    QString path() const { return m_path; }
    // Empty when the registry is usable; else why it is read-only.
    QString error() const { return m_error; }

    QList<ServerRecord> servers() const { return m_servers.values(); }
    const ServerRecord *find(const QString &name) const;
    QStringList secretKeys(const QString &server) const;
    bool hasSecret(const QString &server, const QString &key) const;

    // Each mutation saves at once; false with *error on failure (and memory left as it was).
    bool add(const ServerRecord &record, QString *error);
    bool remove(const QString &name, QString *error);
    // Replaces the record of the same name (grant state, scopes, discovery results).
    bool update(const ServerRecord &record, QString *error);
    bool setSecretKnown(const QString &server, const QString &key, bool known, QString *error);

private:
    bool save(const QMap<QString, ServerRecord> &servers, const QMap<QString, QSet<QString>> &secrets, QString *error);

    QString m_path;
    QString m_error;
    QMap<QString, ServerRecord> m_servers;
    QMap<QString, QSet<QString>> m_secrets;
};

} // namespace latchkey
