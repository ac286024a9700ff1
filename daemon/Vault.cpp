#include "Vault.h"

#include "Logging.h"

#include <openssl/crypto.h>

namespace latchkey {

namespace {

void wipe(QByteArray &bytes)
{
    // Only an unshared buffer is ours to clear; detaching a shared one would just make a copy.
    if (!bytes.isEmpty() && !bytes.isDetached()) {
        bytes.clear();
        return;
    }
    if (!bytes.isEmpty()) {
        OPENSSL_cleanse(bytes.data(), static_cast<size_t>(bytes.size()));
    }
    bytes.clear();
}

} // namespace

Vault::Vault(SecretStore &store, QObject *parent) : QObject(parent), m_store(store) {}

Vault::~Vault()
{
    for (auto &value : m_cache) {
        wipe(value);
    }
}

QString Vault::entryKey(const QString &kind, const QString &owner, const QString &account)
{
    return QStringLiteral("latchkey/%1/%2/%3").arg(kind, owner, account);
}

void Vault::read(const QString &key, SecretStore::Callback done)
{
    if (const auto it = m_cache.constFind(key); it != m_cache.cend()) {
        done({SecretStore::Status::Ok, {}, *it});
        return;
    }
    // Single flight: concurrent askers for an uncached entry share one keychain read.
    auto &waiters = m_pendingReads[key];
    waiters.append(std::move(done));
    if (waiters.size() > 1) {
        return;
    }
    m_store.read(key, [this, key](const SecretStore::Result &result) {
        note(result);
        // A write or remove that finished while this read was out is newer than what it read.
        const bool stale = m_staleReads.remove(key);
        if (result.status == SecretStore::Status::Ok && !stale) {
            m_cache.insert(key, result.value);
        }
        const auto callbacks = m_pendingReads.take(key);
        for (const auto &callback : callbacks) {
            callback(result);
        }
    });
}

void Vault::write(const QString &key, const QByteArray &value, SecretStore::Callback done)
{
    m_store.write(key, value, [this, key, value, done = std::move(done)](const SecretStore::Result &result) {
        note(result);
        if (result.status == SecretStore::Status::Ok) {
            forget(key);
            m_cache.insert(key, value);
        }
        done(result);
    });
}

void Vault::remove(const QString &key, SecretStore::Callback done)
{
    m_store.remove(key, [this, key, done = std::move(done)](const SecretStore::Result &result) {
        note(result);
        if (result.status == SecretStore::Status::Ok || result.status == SecretStore::Status::NotFound) {
            forget(key);
        }
        done(result);
    });
}

void Vault::probe(std::function<void()> done)
{
    m_store.read(entryKey(QStringLiteral("probe"), QStringLiteral("daemon"), QStringLiteral("availability")),
                 [this, done = std::move(done)](const SecretStore::Result &result) {
                     note(result);
                     if (done) {
                         done();
                     }
                 });
}

void Vault::whenKnown(std::function<void()> done)
{
    if (m_known) {
        done();
        return;
    }
    m_waitingForProbe.append(std::move(done));
}

void Vault::note(const SecretStore::Result &result)
{
    const bool wasAvailable = isAvailable();
    const bool wasKnown = std::exchange(m_known, true);
    if (result.status == SecretStore::Status::Unavailable) {
        m_unavailableReason = result.message.isEmpty() ? QStringLiteral("the keychain is unavailable") : result.message;
    } else {
        m_unavailableReason.clear();
    }
    if (wasAvailable != isAvailable()) {
        qCInfo(lcVault) << "keychain" << (isAvailable() ? "available" : "unavailable:") << m_unavailableReason;
        Q_EMIT availabilityChanged(isAvailable());
    }
    if (!wasKnown) {
        const auto waiting = std::exchange(m_waitingForProbe, {});
        for (const auto &callback : waiting) {
            callback();
        }
    }
}

void Vault::forget(const QString &key)
{
    if (m_pendingReads.contains(key)) {
        m_staleReads.insert(key);
    }
    auto it = m_cache.find(key);
    if (it != m_cache.end()) {
        wipe(*it);
        m_cache.erase(it);
    }
}

} // namespace latchkey
