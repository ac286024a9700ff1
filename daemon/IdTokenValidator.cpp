#include "IdTokenValidator.h"

#include "HttpFetcher.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <memory>

namespace latchkey {

using nlohmann::json;

namespace {

constexpr qsizetype kMaxToken = 64 * 1024;

struct Free
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
    void operator()(EVP_PKEY_CTX *ctx) const { EVP_PKEY_CTX_free(ctx); }
    void operator()(EVP_MD_CTX *ctx) const { EVP_MD_CTX_free(ctx); }
    void operator()(ECDSA_SIG *sig) const { ECDSA_SIG_free(sig); }
    void operator()(BIGNUM *bn) const { BN_free(bn); }
    void operator()(OSSL_PARAM_BLD *bld) const { OSSL_PARAM_BLD_free(bld); }
    void operator()(OSSL_PARAM *params) const { OSSL_PARAM_free(params); }
};
template <typename T> using Owned = std::unique_ptr<T, Free>;

QByteArray base64Url(const std::string &text, bool *ok)
{
    const auto result = QByteArray::fromBase64Encoding(
        QByteArray::fromStdString(text), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    *ok = static_cast<bool>(result);
    return result.decoded;
}

std::string str(const json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Algorithm
{
    const char *name;
    const char *kty;
    const EVP_MD *(*digest)();
    const char *curve; // EC only
    int size;          // EC: bytes per coordinate
    bool pss;
};

const Algorithm kAlgorithms[] = {
    {"RS256", "RSA", &EVP_sha256, nullptr, 0, false}, {"RS384", "RSA", &EVP_sha384, nullptr, 0, false},
    {"RS512", "RSA", &EVP_sha512, nullptr, 0, false}, {"PS256", "RSA", &EVP_sha256, nullptr, 0, true},
    {"ES256", "EC", &EVP_sha256, "P-256", 32, false}, {"ES384", "EC", &EVP_sha384, "P-384", 48, false},
};

Owned<BIGNUM> bignum(const json &jwk, const char *key)
{
    bool ok = false;
    const QByteArray bytes = base64Url(str(jwk, key), &ok);
    if (!ok || bytes.isEmpty()) {
        return nullptr;
    }
    return Owned<BIGNUM>(
        BN_bin2bn(reinterpret_cast<const unsigned char *>(bytes.constData()), static_cast<int>(bytes.size()), nullptr));
}

// A JWK (RSA n/e, or EC crv/x/y) as an OpenSSL public key, through OSSL_PARAM_BLD + EVP_PKEY_fromdata.
Owned<EVP_PKEY> publicKey(const json &jwk, const Algorithm &alg, QString *error)
{
    Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
    Owned<BIGNUM> n;
    Owned<BIGNUM> e;
    QByteArray point;
    if (QLatin1String(alg.kty) == QLatin1String("RSA")) {
        n = bignum(jwk, "n");
        e = bignum(jwk, "e");
        if (!n || !e || BN_num_bits(n.get()) < 2048) {
            *error = QStringLiteral("the IdP's RSA key is malformed or shorter than 2048 bits");
            return nullptr;
        }
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    } else {
        if (str(jwk, "crv") != alg.curve) {
            *error = QStringLiteral("the IdP's key is not on the curve %1 needs").arg(QString::fromLatin1(alg.name));
            return nullptr;
        }
        bool okX = false;
        bool okY = false;
        const QByteArray x = base64Url(str(jwk, "x"), &okX);
        const QByteArray y = base64Url(str(jwk, "y"), &okY);
        if (!okX || !okY || x.size() != alg.size || y.size() != alg.size) {
            *error = QStringLiteral("the IdP's EC key is malformed");
            return nullptr;
        }
        point = QByteArray(1, '\x04') + x + y; // uncompressed point (SEC 1 §2.3.3)
        OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                        alg.size == 32 ? "prime256v1" : "secp384r1", 0);
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.constData(),
                                         static_cast<size_t>(point.size()));
    }
    Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder.get()));
    Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, alg.kty, nullptr));
    EVP_PKEY *key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        *error = QStringLiteral("the IdP's key cannot be used");
        return nullptr;
    }
    return Owned<EVP_PKEY>(key);
}

bool verifySignature(EVP_PKEY *key, const Algorithm &alg, const QByteArray &input, QByteArray signature)
{
    if (QLatin1String(alg.kty) == QLatin1String("EC")) {
        // JWS (RFC 7518 §3.4) carries r||s; OpenSSL wants DER.
        if (signature.size() != 2 * alg.size) {
            return false;
        }
        Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
        BIGNUM *r = BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.constData()), alg.size, nullptr);
        BIGNUM *s =
            BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.constData()) + alg.size, alg.size, nullptr);
        if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
            BN_free(r);
            BN_free(s);
            return false;
        }
        unsigned char *der = nullptr;
        const int length = i2d_ECDSA_SIG(sig.get(), &der);
        if (length <= 0) {
            return false;
        }
        signature = QByteArray(reinterpret_cast<const char *>(der), length);
        OPENSSL_free(der);
    }
    Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, alg.digest(), nullptr, key) != 1) {
        return false;
    }
    if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
        return false;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.constData()),
                            static_cast<size_t>(signature.size()),
                            reinterpret_cast<const unsigned char *>(input.constData()),
                            static_cast<size_t>(input.size())) == 1;
}

qint64 number(const json &payload, const char *key)
{
    const auto it = payload.find(key);
    if (it == payload.end() || !it->is_number()) {
        return -1;
    }
    const double value = it->get<double>();
    return value < 0 || value > 253402300799.0 ? -1 : static_cast<qint64>(value);
}

} // namespace

IdTokenValidator::IdTokenValidator(HttpFetcher &http, QObject *parent) : QObject(parent), m_http(http) {}

bool IdTokenValidator::split(const QByteArray &token, json *header, json *payload, QString *error)
{
    const QList<QByteArray> parts = token.split('.');
    if (token.size() > kMaxToken || parts.size() != 3) {
        *error = QStringLiteral("the ID token is not a signed JWT (compact JWS)");
        return false;
    }
    bool okHeader = false;
    bool okPayload = false;
    const QByteArray headerText = base64Url(parts[0].toStdString(), &okHeader);
    const QByteArray payloadText = base64Url(parts[1].toStdString(), &okPayload);
    *header = json::parse(headerText.cbegin(), headerText.cend(), nullptr, false);
    *payload = json::parse(payloadText.cbegin(), payloadText.cend(), nullptr, false);
    if (!okHeader || !okPayload || !header->is_object() || !payload->is_object()) {
        *error = QStringLiteral("the ID token's header or claims are not JSON objects");
        return false;
    }
    return true;
}

std::optional<IdTokenValidator::Claims> IdTokenValidator::verify(const QByteArray &token, const json &jwks,
                                                                 const Expected &expected, QString *error,
                                                                 bool *unknownKey)
{
    if (unknownKey) {
        *unknownKey = false;
    }
    json header;
    json payload;
    if (!split(token, &header, &payload, error)) {
        return std::nullopt;
    }
    const std::string algName = str(header, "alg");
    const Algorithm *alg = nullptr;
    for (const Algorithm &candidate : kAlgorithms) {
        alg = algName == candidate.name ? &candidate : alg;
    }
    if (!alg) {
        *error =
            QStringLiteral("the ID token's algorithm \"%1\" is not accepted (only RS256/384/512, PS256, ES256/384)")
                .arg(QString::fromStdString(algName).left(20));
        return std::nullopt;
    }
    if (header.contains("crit")) {
        *error = QStringLiteral("the ID token has critical header extensions Latchkey does not know");
        return std::nullopt;
    }
    // The key: by kid; without a kid, the one key of the right type (OIDC Core §10.1).
    const std::string kid = str(header, "kid");
    const json *chosen = nullptr;
    int candidates = 0;
    const auto keys = jwks.find("keys");
    if (keys != jwks.end() && keys->is_array()) {
        for (const json &jwk : *keys) {
            if (!jwk.is_object() || str(jwk, "kty") != alg->kty || (jwk.contains("use") && str(jwk, "use") != "sig")) {
                continue;
            }
            if (kid.empty() || str(jwk, "kid") == kid) {
                chosen = &jwk;
                ++candidates;
            }
        }
    }
    if (!chosen || (kid.empty() && candidates != 1)) {
        if (unknownKey) {
            *unknownKey = true;
        }
        *error = kid.empty() ? QStringLiteral("the ID token names no key and the IdP's JWKS has no single %1 key")
                                   .arg(QString::fromLatin1(alg->kty))
                             : QStringLiteral("the IdP's JWKS has no key \"%1\" for the ID token")
                                   .arg(QString::fromStdString(kid).left(64));
        return std::nullopt;
    }
    const Owned<EVP_PKEY> key = publicKey(*chosen, *alg, error);
    if (!key) {
        return std::nullopt;
    }
    const qsizetype lastDot = token.lastIndexOf('.');
    bool okSignature = false;
    const QByteArray signature = base64Url(token.mid(lastDot + 1).toStdString(), &okSignature);
    if (!okSignature || !verifySignature(key.get(), *alg, token.left(lastDot), signature)) {
        *error = QStringLiteral("the ID token's signature does not verify against the IdP's key");
        return std::nullopt;
    }
    return checkClaims(payload, expected, error);
}

std::optional<IdTokenValidator::Claims> IdTokenValidator::checkClaims(const json &payload, const Expected &expected,
                                                                      QString *error)
{
    if (QString::fromStdString(str(payload, "iss")) != expected.issuer) {
        *error = QStringLiteral("the ID token was issued by \"%1\", not the IdP \"%2\"")
                     .arg(QString::fromStdString(str(payload, "iss")).left(200), expected.issuer);
        return std::nullopt;
    }
    QStringList audiences;
    if (const auto aud = payload.find("aud"); aud != payload.end() && aud->is_string()) {
        audiences.append(QString::fromStdString(aud->get<std::string>()));
    } else if (aud != payload.end() && aud->is_array()) {
        for (const json &entry : *aud) {
            if (entry.is_string()) {
                audiences.append(QString::fromStdString(entry.get<std::string>()));
            }
        }
    }
    if (!audiences.contains(expected.clientId)) {
        *error = QStringLiteral("the ID token is not meant for Latchkey (aud does not contain \"%1\")")
                     .arg(expected.clientId);
        return std::nullopt;
    }
    const QString azp = QString::fromStdString(str(payload, "azp"));
    if ((audiences.size() > 1 && azp.isEmpty()) || (!azp.isEmpty() && azp != expected.clientId)) {
        *error = QStringLiteral("the ID token has several audiences and was not authorized for \"%1\" (azp)")
                     .arg(expected.clientId);
        return std::nullopt;
    }
    const qint64 exp = number(payload, "exp");
    const qint64 iat = number(payload, "iat");
    if (exp < 0 || iat < 0) {
        *error = QStringLiteral("the ID token lacks exp or iat");
        return std::nullopt;
    }
    if (exp + expected.leeway <= expected.now) {
        *error = QStringLiteral("the ID token has expired");
        return std::nullopt;
    }
    if (iat > expected.now + expected.leeway) {
        *error = QStringLiteral("the ID token was issued in the future (check the clock)");
        return std::nullopt;
    }
    if (!expected.nonce.isEmpty() && QString::fromStdString(str(payload, "nonce")) != expected.nonce) {
        *error = QStringLiteral("the ID token's nonce is not the one of this sign-in (replayed or mixed up)");
        return std::nullopt;
    }
    Claims claims;
    claims.subject = QString::fromStdString(str(payload, "sub"));
    if (claims.subject.isEmpty()) {
        *error = QStringLiteral("the ID token has no subject");
        return std::nullopt;
    }
    claims.expiresAt = exp;
    claims.issuedAt = iat;
    claims.payload = payload;
    return claims;
}

void IdTokenValidator::fetch(const QUrl &jwksUri, std::function<void(const QString &error)> done)
{
    m_http.get(jwksUri, {{"Accept", "application/json"}}, [this, jwksUri, done](const HttpResponse &response) {
        if (!response.ok()) {
            done(QStringLiteral("cannot fetch the IdP's keys from %1: %2")
                     .arg(jwksUri.toString(),
                          response.error.isEmpty() ? QStringLiteral("HTTP %1").arg(response.status) : response.error));
            return;
        }
        json keys = json::parse(response.body.cbegin(), response.body.cend(), nullptr, false);
        if (!keys.is_object() || !keys.contains("keys")) {
            done(QStringLiteral("the IdP's JWKS at %1 is not a key set").arg(jwksUri.toString()));
            return;
        }
        m_jwks.insert(jwksUri.toString(), std::move(keys));
        done({});
    });
}

void IdTokenValidator::validate(const QByteArray &token, const QUrl &jwksUri, const Expected &expected, Callback done)
{
    const auto attempt = [this, token, jwksUri, expected, done](bool fetched) {
        QString error;
        bool unknownKey = false;
        auto claims = verify(token, m_jwks.value(jwksUri.toString()), expected, &error, &unknownKey);
        if (claims || !unknownKey || fetched) {
            done(claims, error);
            return;
        }
        // A key we do not have: the IdP may have rotated. Refetch once, then decide.
        fetch(jwksUri, [this, token, jwksUri, expected, done](const QString &why) {
            if (!why.isEmpty()) {
                done(std::nullopt, why);
                return;
            }
            QString refetchedError;
            const auto verified = verify(token, m_jwks.value(jwksUri.toString()), expected, &refetchedError);
            done(verified, refetchedError);
        });
    };
    if (m_jwks.contains(jwksUri.toString())) {
        attempt(false);
        return;
    }
    fetch(jwksUri, [attempt, done](const QString &why) {
        if (!why.isEmpty()) {
            done(std::nullopt, why);
            return;
        }
        attempt(true);
    });
}

} // namespace latchkey
