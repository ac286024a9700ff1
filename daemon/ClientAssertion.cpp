#include "ClientAssertion.h"

#include <nlohmann/json.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <memory>

namespace latchkey {

namespace {

struct Free
{
    void operator()(BIO *bio) const { BIO_free(bio); }
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
    void operator()(EVP_MD_CTX *ctx) const { EVP_MD_CTX_free(ctx); }
    void operator()(ECDSA_SIG *sig) const { ECDSA_SIG_free(sig); }
};

// Never prompts for a passphrase: an encrypted key is refused, not asked about on some terminal.
int noPassphrase(char *, int, int, void *)
{
    return -1;
}

std::unique_ptr<EVP_PKEY, Free> readKey(const QByteArray &pem)
{
    std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(pem.constData(), static_cast<int>(pem.size())));
    if (!bio) {
        return nullptr;
    }
    return std::unique_ptr<EVP_PKEY, Free>(PEM_read_bio_PrivateKey(bio.get(), nullptr, &noPassphrase, nullptr));
}

QString checkKey(EVP_PKEY *key, const QString &algorithm)
{
    if (algorithm == QStringLiteral("ES256")) {
        char group[64] = {};
        size_t length = 0;
        if (EVP_PKEY_is_a(key, "EC") != 1 || EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1 ||
            QByteArray(group, static_cast<qsizetype>(length)) != "prime256v1") {
            return QStringLiteral("ES256 needs an EC private key on the P-256 curve");
        }
        return {};
    }
    if (algorithm == QStringLiteral("RS256")) {
        if (EVP_PKEY_is_a(key, "RSA") != 1 || EVP_PKEY_get_bits(key) < 2048) {
            return QStringLiteral("RS256 needs an RSA private key of at least 2048 bits");
        }
        return {};
    }
    return QStringLiteral("unsupported signing algorithm \"%1\" (ES256 or RS256)").arg(algorithm);
}

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// An ECDSA signature as JWS wants it (RFC 7518 §3.4): R and S, 32 bytes each, not DER.
std::optional<QByteArray> rawEcdsa(const QByteArray &der)
{
    const auto *data = reinterpret_cast<const unsigned char *>(der.constData());
    std::unique_ptr<ECDSA_SIG, Free> sig(d2i_ECDSA_SIG(nullptr, &data, static_cast<long>(der.size())));
    if (!sig) {
        return std::nullopt;
    }
    const BIGNUM *r = nullptr;
    const BIGNUM *s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    QByteArray raw(64, '\0');
    auto *out = reinterpret_cast<unsigned char *>(raw.data());
    if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32) {
        return std::nullopt;
    }
    return raw;
}

} // namespace

QString ClientAssertion::checkPrivateKey(const QByteArray &pem, const QString &algorithm)
{
    const auto key = readKey(pem);
    if (!key) {
        return QStringLiteral("not an unencrypted PEM private key");
    }
    return checkKey(key.get(), algorithm);
}

std::optional<QByteArray> ClientAssertion::make(const QByteArray &pem, const QString &algorithm,
                                                const QString &clientId, const QString &audience, qint64 now,
                                                QString *error)
{
    const auto key = readKey(pem);
    if (!key) {
        *error = QStringLiteral("the client's private key is not an unencrypted PEM private key");
        return std::nullopt;
    }
    if (const QString why = checkKey(key.get(), algorithm); !why.isEmpty()) {
        *error = why;
        return std::nullopt;
    }
    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        *error = QStringLiteral("the system random generator failed");
        return std::nullopt;
    }
    const nlohmann::json header = {{"alg", algorithm.toStdString()}, {"typ", "JWT"}};
    const nlohmann::json claims = {
        {"iss", clientId.toStdString()},
        {"sub", clientId.toStdString()},
        {"aud", audience.toStdString()},
        {"iat", now},
        {"exp", now + kLifetimeSeconds},
        {"jti", base64Url(QByteArray(reinterpret_cast<const char *>(nonce), sizeof nonce)).toStdString()}};
    const QByteArray input =
        base64Url(QByteArray::fromStdString(header.dump())) + '.' + base64Url(QByteArray::fromStdString(claims.dump()));

    std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
    size_t length = 0;
    const auto *data = reinterpret_cast<const unsigned char *>(input.constData());
    const auto size = static_cast<size_t>(input.size());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, data, size) != 1) {
        *error = QStringLiteral("cannot sign the client assertion");
        return std::nullopt;
    }
    QByteArray signature(static_cast<qsizetype>(length), '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length, data, size) != 1) {
        *error = QStringLiteral("cannot sign the client assertion");
        return std::nullopt;
    }
    signature.truncate(static_cast<qsizetype>(length));
    if (algorithm == QStringLiteral("ES256")) {
        const auto raw = rawEcdsa(signature);
        if (!raw) {
            *error = QStringLiteral("cannot sign the client assertion");
            return std::nullopt;
        }
        signature = *raw;
    }
    return input + '.' + base64Url(signature);
}

} // namespace latchkey
