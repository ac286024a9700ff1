#pragma once

#include "SecretStore.h"

#include <QObject>

namespace QKeychain {
class Job;
}

namespace latchkey {

// SecretStore on the OS keychain through qtkeychain: Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows. Insecure (plaintext) fallback is always off.
class KeychainStore : public QObject, public SecretStore
{
    Q_OBJECT

public:
    explicit KeychainStore(QString service = QStringLiteral("latchkey"), QObject *parent = nullptr);

    void read(const QString &key, Callback done) override;
    void write(const QString &key, const QByteArray &value, Callback done) override;
    void remove(const QString &key, Callback done) override;
    QString backendName() const override;

private:
    enum class Op
    {
        Read,
        Write,
        Remove
    };
    void run(Op op, const QString &key, const QByteArray &value, Callback done, bool isRetry);

    QString m_service;
};

} // namespace latchkey
