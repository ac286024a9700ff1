#pragma once

#include "SecretStore.h"

#include <QHash>

namespace latchkey {

// In-memory SecretStore for unit tests. Callbacks run synchronously. setUnavailable() makes
// every operation fail the way an unreachable keychain does.
class MemoryStore : public SecretStore
{
public:
    void read(const QString &key, Callback done) override;
    void write(const QString &key, const QByteArray &value, Callback done) override;
    void remove(const QString &key, Callback done) override;
    QString backendName() const override { return QStringLiteral("memory"); }

    void setUnavailable(const QString &reason) { m_unavailable = reason; }
    bool contains(const QString &key) const { return m_entries.contains(key); }
    int readCount() const { return m_reads; }

private:
    QHash<QString, QByteArray> m_entries;
    QString m_unavailable;
    int m_reads = 0;
};

} // namespace latchkey
