#include "KeychainStore.h"

#include "Logging.h"

#include <qt6keychain/keychain.h>

#include <QTimer>

namespace latchkey {

namespace {

// A keychain that is still starting with the session answers OtherError once; the
// convention (Nextcloud desktop) is one retry after a short pause.
constexpr int kRetryDelayMs = 300;

SecretStore::Status statusOf(QKeychain::Error error)
{
    switch (error) {
    case QKeychain::NoError:
        return SecretStore::Status::Ok;
    case QKeychain::EntryNotFound:
        return SecretStore::Status::NotFound;
    case QKeychain::CouldNotDeleteEntry:
        return SecretStore::Status::Failed;
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
    case QKeychain::OtherError:
        break;
    }
    return SecretStore::Status::Unavailable;
}

} // namespace

KeychainStore::KeychainStore(QString service, QObject *parent) : QObject(parent), m_service(std::move(service)) {}

QString KeychainStore::backendName() const
{
#if defined(Q_OS_MACOS)
    return QStringLiteral("macOS Keychain");
#elif defined(Q_OS_WIN)
    return QStringLiteral("Windows Credential Manager");
#else
    return QStringLiteral("Secret Service");
#endif
}

void KeychainStore::read(const QString &key, Callback done)
{
    run(Op::Read, key, {}, std::move(done), false);
}

void KeychainStore::write(const QString &key, const QByteArray &value, Callback done)
{
    run(Op::Write, key, value, std::move(done), false);
}

void KeychainStore::remove(const QString &key, Callback done)
{
    run(Op::Remove, key, {}, std::move(done), false);
}

void KeychainStore::run(Op op, const QString &key, const QByteArray &value, Callback done, bool isRetry)
{
    QKeychain::Job *job = nullptr;
    switch (op) {
    case Op::Read:
        job = new QKeychain::ReadPasswordJob(m_service, this);
        break;
    case Op::Write: {
        auto *write = new QKeychain::WritePasswordJob(m_service, this);
        // Text, not binary: qtkeychain base64-encodes binary data on libsecret, and the entry should
        // read back with secret-tool as the person stored it. Values are validated UTF-8 upstream.
        write->setTextData(QString::fromUtf8(value));
        job = write;
        break;
    }
    case Op::Remove:
        job = new QKeychain::DeletePasswordJob(m_service, this);
        break;
    }
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [this, op, key, value, done, isRetry](QKeychain::Job *finished) {
        const QKeychain::Error error = finished->error();
        Result result;
        result.status = statusOf(error);
        if (error == QKeychain::OtherError && !isRetry) {
            qCDebug(lcVault) << "keychain not ready, retrying once:" << finished->errorString();
            QTimer::singleShot(kRetryDelayMs, this, [this, op, key, value, done] { run(op, key, value, done, true); });
            return;
        }
        if (result.status == Status::Ok && op == Op::Read) {
            const auto *read = static_cast<QKeychain::ReadPasswordJob *>(finished);
            result.value = read->textData().toUtf8();
        } else if (result.status != Status::Ok) {
            result.message = finished->errorString();
            if (result.status == Status::Unavailable) {
                qCWarning(lcVault) << "keychain unavailable:" << result.message;
            }
        }
        done(result);
    });
    job->start();
}

} // namespace latchkey
