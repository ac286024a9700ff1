#pragma once

// Signing keys made by a test (RS256: RSA 2048, ES256: P-256) with OpenSSL, their public JWKs, and compact
// JWS tokens signed with them: for tests of code that verifies ID tokens. Header-only, tests only.
#include <QByteArray>
#include <QString>

#include <nlohmann/json.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <memory>

namespace latchkey::test {

using nlohmann::json;

inline QByteArray b64(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

inline std::string b64s(const QByteArray &data)
{
    return b64(data).toStdString();
}

inline QByteArray bnBytes(const BIGNUM *bn, int size = 0)
{
    QByteArray out(size > 0 ? size : BN_num_bytes(bn), '\0');
    if (size > 0) {
        BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), size);
    } else {
        BN_bn2bin(bn, reinterpret_cast<unsigned char *>(out.data()));
    }
    return out;
}

// A signing key made for the test, and its public JWK.
struct TestKey
{
    std::shared_ptr<EVP_PKEY> key;
    QString alg;
    json jwk;

    static TestKey make(const QString &alg, const std::string &kid)
    {
        TestKey k;
        k.alg = alg;
        EVP_PKEY *raw = alg.startsWith(QLatin1Char('R')) ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048))
                                                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        k.key.reset(raw, &EVP_PKEY_free);
        if (alg.startsWith(QLatin1Char('R'))) {
            BIGNUM *n = nullptr;
            BIGNUM *e = nullptr;
            EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_N, &n);
            EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_E, &e);
            k.jwk = {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"n", b64s(bnBytes(n))}, {"e", b64s(bnBytes(e))}};
            BN_free(n);
            BN_free(e);
        } else {
            unsigned char point[65];
            size_t length = 0;
            EVP_PKEY_get_octet_string_param(raw, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length);
            const QByteArray p(reinterpret_cast<const char *>(point), static_cast<qsizetype>(length));
            k.jwk = {
                {"kty", "EC"}, {"kid", kid}, {"crv", "P-256"}, {"x", b64s(p.mid(1, 32))}, {"y", b64s(p.mid(33, 32))}};
        }
        return k;
    }

    QByteArray sign(const json &payload, json header = json::object()) const
    {
        if (!header.contains("alg")) {
            header["alg"] = alg.toStdString();
        }
        if (!header.contains("kid")) {
            header["kid"] = jwk["kid"];
        }
        const QByteArray input =
            b64(QByteArray::fromStdString(header.dump())) + '.' + b64(QByteArray::fromStdString(payload.dump()));
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t length = 0;
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get());
        EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char *>(input.constData()),
                       static_cast<size_t>(input.size()));
        QByteArray signature(static_cast<qsizetype>(length), '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length,
                       reinterpret_cast<const unsigned char *>(input.constData()), static_cast<size_t>(input.size()));
        EVP_MD_CTX_free(ctx);
        signature.resize(static_cast<qsizetype>(length));
        if (alg == QStringLiteral("ES256")) { // DER → r||s
            const unsigned char *der = reinterpret_cast<const unsigned char *>(signature.constData());
            ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &der, signature.size());
            signature = bnBytes(ECDSA_SIG_get0_r(sig), 32) + bnBytes(ECDSA_SIG_get0_s(sig), 32);
            ECDSA_SIG_free(sig);
        }
        return input + '.' + b64(signature);
    }
};

} // namespace latchkey::test
