// Unit tests for Vault over MemoryStore (synchronous) and a deferred store (answers when the test says),
// so caching, single flight and the order of keychain answers can be checked exactly.
#include "MemoryStore.h"
#include "Vault.h"

#include <QSignalSpy>
#include <QTest>

#include <functional>

using latchkey::MemoryStore;
using latchkey::SecretStore;
using latchkey::Vault;
using Status = SecretStore::Status;

namespace {

// A store whose answers are held until the test releases them, like a keychain that takes its time.
// The outcome of a read is fixed when the store processes it (at the call), the answer arrives later.
class DeferredStore : public SecretStore
{
public:
    void read(const QString &key, Callback done) override
    {
        ++m_reads;
        Result result = m_unavailable             ? Result{Status::Unavailable, QStringLiteral("locked"), {}}
                        : m_entries.contains(key) ? Result{Status::Ok, {}, m_entries.value(key)}
                                                  : Result{Status::NotFound, QStringLiteral("no such entry"), {}};
        m_pending.append([done = std::move(done), result] { done(result); });
    }
    void write(const QString &key, const QByteArray &value, Callback done) override
    {
        m_entries.insert(key, value);
        m_pending.append([done = std::move(done)] { done({Status::Ok, {}, {}}); });
    }
    void remove(const QString &key, Callback done) override
    {
        const bool had = m_entries.remove(key) > 0;
        m_pending.append([done = std::move(done), had] {
            done(had ? Result{Status::Ok, {}, {}} : Result{Status::NotFound, QStringLiteral("no such entry"), {}});
        });
    }
    QString backendName() const override { return QStringLiteral("deferred"); }

    void put(const QString &key, const QByteArray &value) { m_entries.insert(key, value); }
    void setUnavailable(bool unavailable) { m_unavailable = unavailable; }
    int reads() const { return m_reads; }
    qsizetype pending() const { return m_pending.size(); }
    // Delivers the answer of the index-th outstanding operation (in call order).
    void complete(qsizetype index = 0) { m_pending.takeAt(index)(); }
    void completeAll()
    {
        while (!m_pending.isEmpty()) {
            complete();
        }
    }

private:
    QHash<QString, QByteArray> m_entries;
    QList<std::function<void()>> m_pending;
    bool m_unavailable = false;
    int m_reads = 0;
};

struct Capture
{
    int calls = 0;
    SecretStore::Result result;

    SecretStore::Callback callback()
    {
        return [this](const SecretStore::Result &r) {
            ++calls;
            result = r;
        };
    }
};

const QString kKey = QStringLiteral("latchkey/secret/github/token");

} // namespace

class TestVault : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void entryKeyLayout();
    void readMissIsNotFoundAndNotCached();
    void cacheHitAvoidsStoreRead();
    void writeThroughNeedsNoRead();
    void writeReplacesCachedValue();
    void failedWriteNotCached();
    void removeForgetsCache();
    void removeMissingStillForgets();
    void singleFlight();
    void singleFlightSharesFailure();
    void singleFlightPerKey();
    void writeDuringPendingReadWins();
    void removeDuringPendingReadWins();
    void unavailable();
    void unavailableDefaultReason();
    void availabilityChangedOnlyOnChange();
    void probeAndWhenKnown();
    void callbacksRunExactlyOnce();
};

void TestVault::entryKeyLayout()
{
    QCOMPARE(Vault::entryKey(QStringLiteral("secret"), QStringLiteral("github"), QStringLiteral("token")), kKey);
    QCOMPARE(Vault::entryKey(QStringLiteral("oauth"), QStringLiteral("https://as.example"), QStringLiteral("a")),
             QStringLiteral("latchkey/oauth/https://as.example/a"));
}

void TestVault::readMissIsNotFoundAndNotCached()
{
    MemoryStore store;
    Vault vault(store);
    Capture first;
    vault.read(kKey, first.callback());
    QCOMPARE(first.calls, 1);
    QCOMPARE(first.result.status, Status::NotFound);
    QVERIFY(vault.isAvailable());
    Capture second;
    vault.read(kKey, second.callback());
    QCOMPARE(second.result.status, Status::NotFound);
    QCOMPARE(store.readCount(), 2);
}

void TestVault::cacheHitAvoidsStoreRead()
{
    MemoryStore store;
    store.write(kKey, QByteArrayLiteral("s3cret"), [](const SecretStore::Result &) {});
    Vault vault(store);
    Capture first;
    vault.read(kKey, first.callback());
    QCOMPARE(first.result.status, Status::Ok);
    QCOMPARE(first.result.value, QByteArrayLiteral("s3cret"));
    QCOMPARE(store.readCount(), 1);
    for (int i = 0; i < 5; ++i) {
        Capture again;
        vault.read(kKey, again.callback());
        QCOMPARE(again.calls, 1);
        QCOMPARE(again.result.status, Status::Ok);
        QCOMPARE(again.result.value, QByteArrayLiteral("s3cret"));
    }
    QCOMPARE(store.readCount(), 1);
}

void TestVault::writeThroughNeedsNoRead()
{
    MemoryStore store;
    Vault vault(store);
    Capture written;
    vault.write(kKey, QByteArrayLiteral("v1"), written.callback());
    QCOMPARE(written.calls, 1);
    QCOMPARE(written.result.status, Status::Ok);
    QVERIFY(store.contains(kKey));
    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.result.value, QByteArrayLiteral("v1"));
    QCOMPARE(store.readCount(), 0);
}

void TestVault::writeReplacesCachedValue()
{
    MemoryStore store;
    Vault vault(store);
    vault.write(kKey, QByteArrayLiteral("old"), [](const SecretStore::Result &) {});
    vault.write(kKey, QByteArrayLiteral("new"), [](const SecretStore::Result &) {});
    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.result.value, QByteArrayLiteral("new"));
    QCOMPARE(store.readCount(), 0);
}

void TestVault::failedWriteNotCached()
{
    MemoryStore store;
    Vault vault(store);
    store.setUnavailable(QStringLiteral("no Secret Service"));
    Capture written;
    vault.write(kKey, QByteArrayLiteral("v1"), written.callback());
    QCOMPARE(written.result.status, Status::Unavailable);
    QVERIFY(!store.contains(kKey));
    store.setUnavailable({});
    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.result.status, Status::NotFound);
    QCOMPARE(store.readCount(), 1);
}

void TestVault::removeForgetsCache()
{
    MemoryStore store;
    Vault vault(store);
    vault.write(kKey, QByteArrayLiteral("v1"), [](const SecretStore::Result &) {});
    Capture removed;
    vault.remove(kKey, removed.callback());
    QCOMPARE(removed.result.status, Status::Ok);
    QVERIFY(!store.contains(kKey));
    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.result.status, Status::NotFound);
    QCOMPARE(store.readCount(), 1);
}

void TestVault::removeMissingStillForgets()
{
    MemoryStore store;
    Vault vault(store);
    vault.write(kKey, QByteArrayLiteral("v1"), [](const SecretStore::Result &) {});
    // Someone deleted the entry behind our back (e.g. with seahorse).
    store.remove(kKey, [](const SecretStore::Result &) {});
    Capture removed;
    vault.remove(kKey, removed.callback());
    QCOMPARE(removed.result.status, Status::NotFound);
    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.result.status, Status::NotFound);
}

void TestVault::singleFlight()
{
    DeferredStore store;
    store.put(kKey, QByteArrayLiteral("shared"));
    Vault vault(store);
    Capture a;
    Capture b;
    Capture c;
    vault.read(kKey, a.callback());
    vault.read(kKey, b.callback());
    vault.read(kKey, c.callback());
    QCOMPARE(store.reads(), 1);
    QCOMPARE(store.pending(), 1);
    QCOMPARE(a.calls + b.calls + c.calls, 0);
    store.complete();
    for (const Capture *capture : {&a, &b, &c}) {
        QCOMPARE(capture->calls, 1);
        QCOMPARE(capture->result.status, Status::Ok);
        QCOMPARE(capture->result.value, QByteArrayLiteral("shared"));
    }
    // Answered from the cache from now on.
    Capture d;
    vault.read(kKey, d.callback());
    QCOMPARE(d.calls, 1);
    QCOMPARE(store.reads(), 1);
}

void TestVault::singleFlightSharesFailure()
{
    DeferredStore store;
    Vault vault(store);
    Capture a;
    Capture b;
    vault.read(kKey, a.callback());
    vault.read(kKey, b.callback());
    store.complete();
    QCOMPARE(a.result.status, Status::NotFound);
    QCOMPARE(b.result.status, Status::NotFound);
    // A miss is not cached: the next asker goes to the store again, in a new flight.
    store.put(kKey, QByteArrayLiteral("later"));
    Capture c;
    vault.read(kKey, c.callback());
    QCOMPARE(store.reads(), 2);
    store.complete();
    QCOMPARE(c.result.value, QByteArrayLiteral("later"));
}

void TestVault::singleFlightPerKey()
{
    DeferredStore store;
    const QString other = Vault::entryKey(QStringLiteral("secret"), QStringLiteral("gitlab"), QStringLiteral("token"));
    store.put(kKey, QByteArrayLiteral("gh"));
    store.put(other, QByteArrayLiteral("gl"));
    Vault vault(store);
    Capture a;
    Capture b;
    vault.read(kKey, a.callback());
    vault.read(other, b.callback());
    QCOMPARE(store.reads(), 2);
    store.completeAll();
    QCOMPARE(a.result.value, QByteArrayLiteral("gh"));
    QCOMPARE(b.result.value, QByteArrayLiteral("gl"));
}

void TestVault::writeDuringPendingReadWins()
{
    // The keychain processed a read, then a write; the write's answer arrives first. The late read
    // answer carries the old value, which must not overwrite the newer one in the cache.
    DeferredStore store;
    store.put(kKey, QByteArrayLiteral("old"));
    Vault vault(store);
    Capture read;
    vault.read(kKey, read.callback());
    Capture written;
    vault.write(kKey, QByteArrayLiteral("new"), written.callback());
    store.complete(1); // the write
    QCOMPARE(written.result.status, Status::Ok);
    store.complete(0); // the read, with what the keychain held when it read
    QCOMPARE(read.calls, 1);
    QCOMPARE(read.result.value, QByteArrayLiteral("old"));

    Capture after;
    vault.read(kKey, after.callback());
    store.completeAll();
    QCOMPARE(after.calls, 1);
    QCOMPARE(after.result.status, Status::Ok);
    QCOMPARE(after.result.value, QByteArrayLiteral("new"));
}

void TestVault::removeDuringPendingReadWins()
{
    DeferredStore store;
    store.put(kKey, QByteArrayLiteral("old"));
    Vault vault(store);
    Capture read;
    vault.read(kKey, read.callback());
    Capture removed;
    vault.remove(kKey, removed.callback());
    store.complete(1); // the remove
    QCOMPARE(removed.result.status, Status::Ok);
    store.complete(0); // the read, answered before the remove
    QCOMPARE(read.result.value, QByteArrayLiteral("old"));

    Capture after;
    vault.read(kKey, after.callback());
    store.completeAll();
    QCOMPARE(after.calls, 1);
    QCOMPARE(after.result.status, Status::NotFound);
}

void TestVault::unavailable()
{
    MemoryStore store;
    Vault vault(store);
    QSignalSpy spy(&vault, &Vault::availabilityChanged);
    QVERIFY(vault.isAvailable());
    store.setUnavailable(QStringLiteral("Cannot autolaunch D-Bus without X11 $DISPLAY"));

    Capture read;
    vault.read(kKey, read.callback());
    QCOMPARE(read.calls, 1);
    QCOMPARE(read.result.status, Status::Unavailable);
    QVERIFY(!vault.isAvailable());
    QCOMPARE(vault.unavailableReason(), QStringLiteral("Cannot autolaunch D-Bus without X11 $DISPLAY"));
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);

    Capture written;
    vault.write(kKey, QByteArrayLiteral("v"), written.callback());
    QCOMPARE(written.result.status, Status::Unavailable);
    QVERIFY(!store.contains(kKey));

    store.setUnavailable({});
    Capture again;
    vault.read(kKey, again.callback());
    QCOMPARE(again.result.status, Status::NotFound);
    QVERIFY(vault.isAvailable());
    QVERIFY(vault.unavailableReason().isEmpty());
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toBool(), true);
}

void TestVault::unavailableDefaultReason()
{
    DeferredStore store;
    store.setUnavailable(true);
    Vault vault(store);
    vault.read(kKey, [](const SecretStore::Result &) {});
    store.complete();
    QVERIFY(!vault.isAvailable());
    QVERIFY(!vault.unavailableReason().isEmpty());

    // A store that gives no message still yields a reason to show.
    class Silent : public MemoryStore
    {
    public:
        void read(const QString &, Callback done) override { done({Status::Unavailable, {}, {}}); }
    } silent;
    Vault quiet(silent);
    quiet.read(kKey, [](const SecretStore::Result &) {});
    QVERIFY(!quiet.isAvailable());
    QVERIFY(!quiet.unavailableReason().isEmpty());
}

void TestVault::availabilityChangedOnlyOnChange()
{
    MemoryStore store;
    Vault vault(store);
    QSignalSpy spy(&vault, &Vault::availabilityChanged);
    vault.read(kKey, [](const SecretStore::Result &) {});
    vault.read(kKey, [](const SecretStore::Result &) {});
    QCOMPARE(spy.count(), 0);
    store.setUnavailable(QStringLiteral("locked"));
    vault.read(kKey, [](const SecretStore::Result &) {});
    vault.write(kKey, QByteArrayLiteral("x"), [](const SecretStore::Result &) {});
    vault.remove(kKey, [](const SecretStore::Result &) {});
    QCOMPARE(spy.count(), 1);
}

void TestVault::probeAndWhenKnown()
{
    DeferredStore store;
    store.setUnavailable(true);
    Vault vault(store);
    int waited = 0;
    vault.whenKnown([&waited] { ++waited; });
    QCOMPARE(waited, 0);
    bool probed = false;
    vault.probe([&probed] { probed = true; });
    QCOMPARE(store.reads(), 1);
    QCOMPARE(waited, 0);
    store.complete();
    QVERIFY(probed);
    QCOMPARE(waited, 1);
    QVERIFY(!vault.isAvailable());
    // Once known, at once.
    vault.whenKnown([&waited] { ++waited; });
    QCOMPARE(waited, 2);
    // The probe entry is never cached as a secret and never created.
    vault.probe();
    QCOMPARE(store.reads(), 2);
    store.completeAll();
    QCOMPARE(waited, 2);
}

void TestVault::callbacksRunExactlyOnce()
{
    MemoryStore store;
    Vault vault(store);
    Capture w;
    Capture r;
    Capture d;
    vault.write(kKey, QByteArrayLiteral("x"), w.callback());
    vault.read(kKey, r.callback());
    vault.remove(kKey, d.callback());
    QCOMPARE(w.calls, 1);
    QCOMPARE(r.calls, 1);
    QCOMPARE(d.calls, 1);
}

QTEST_GUILESS_MAIN(TestVault)
#include "TestVault.moc"
