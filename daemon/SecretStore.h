#pragma once

#include <QByteArray>
#include <QString>

#include <functional>

namespace latchkey {

// Where secrets rest. The contract every implementation keeps:
// - operations are asynchronous and each callback runs exactly once, on the caller's thread;
// - a missing entry is NotFound, never Unavailable, so "not stored yet" and "cannot ask" stay distinct;
// - when the backing store cannot be reached, nothing is written anywhere else (no plaintext fallback),
//   and the message names the cause so the person can fix it.
class SecretStore
{
public:
    enum class Status
    {
        Ok,
        NotFound,
        Unavailable, // no keychain, no Secret Service, locked or access denied
        Failed,      // the store answered with an error for this entry
    };
    struct Result
    {
        Status status = Status::Ok;
        QString message; // empty when Ok; never contains a secret
        QByteArray value;
    };
    using Callback = std::function<void(const Result &)>;

    virtual ~SecretStore() = default;

    virtual void read(const QString &key, Callback done) = 0;
    virtual void write(const QString &key, const QByteArray &value, Callback done) = 0;
    virtual void remove(const QString &key, Callback done) = 0;
    // Short description for status output, e.g. "Secret Service (libsecret)".
    virtual QString backendName() const = 0;
};

} // namespace latchkey
