#include "MemoryStore.h"

namespace latchkey {

void MemoryStore::read(const QString &key, Callback done)
{
    ++m_reads;
    if (!m_unavailable.isEmpty()) {
        done({Status::Unavailable, m_unavailable, {}});
        return;
    }
    const auto it = m_entries.constFind(key);
    if (it == m_entries.cend()) {
        done({Status::NotFound, QStringLiteral("no such entry"), {}});
        return;
    }
    done({Status::Ok, {}, *it});
}

void MemoryStore::write(const QString &key, const QByteArray &value, Callback done)
{
    if (!m_unavailable.isEmpty()) {
        done({Status::Unavailable, m_unavailable, {}});
        return;
    }
    m_entries.insert(key, value);
    done({Status::Ok, {}, {}});
}

void MemoryStore::remove(const QString &key, Callback done)
{
    if (!m_unavailable.isEmpty()) {
        done({Status::Unavailable, m_unavailable, {}});
        return;
    }
    if (m_entries.remove(key) == 0) {
        done({Status::NotFound, QStringLiteral("no such entry"), {}});
        return;
    }
    done({Status::Ok, {}, {}});
}

} // namespace latchkey
