#pragma once

#include "SecretStore.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

namespace latchkey {

// The only holder of secrets in the daemon. Entries are keyed latchkey/<kind>/<owner>/<account>
// (owner: a server name or an AS issuer). Values read once are cached in memory so a handover does
// not cost a keychain round trip; writes go to the keychain first and reach the cache only when
// the keychain has them. Cached values are wiped when replaced, removed, or when the vault goes.
class Vault : public QObject
{
    Q_OBJECT

public:
    explicit Vault(SecretStore &store, QObject *parent = nullptr);
    ~Vault() override;

    static QString entryKey(const QString &kind, const QString &owner, const QString &account);

    void read(const QString &key, SecretStore::Callback done);
    void write(const QString &key, const QByteArray &value, SecretStore::Callback done);
    void remove(const QString &key, SecretStore::Callback done);

    // Asks the keychain once (a read of an entry that never exists) to learn whether it is reachable.
    void probe(std::function<void()> done = {});
    // Runs done once the first probe has answered (at once if it has), so status is never a guess.
    void whenKnown(std::function<void()> done);
    bool isAvailable() const { return m_unavailableReason.isEmpty(); }
    QString unavailableReason() const { return m_unavailableReason; }
    QString backendName() const { return m_store.backendName(); }

Q_SIGNALS:
    void availabilityChanged(bool available);

private:
    void note(const SecretStore::Result &result);
    void forget(const QString &key);

    SecretStore &m_store;
    QHash<QString, QByteArray> m_cache;
    QHash<QString, QList<SecretStore::Callback>> m_pendingReads;
    QSet<QString> m_staleReads; // pending reads overtaken by a write or remove
    QString m_unavailableReason;
    bool m_known = false;
    QList<std::function<void()>> m_waitingForProbe;
};

} // namespace latchkey
