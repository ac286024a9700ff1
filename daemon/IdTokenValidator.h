#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>

namespace latchkey {

class HttpFetcher;

// Validates an OpenID Connect ID token (OIDC Core §3.1.3.7) with OpenSSL: the JWS signature against the
// IdP's JWKS (the key picked by kid; an unknown kid refetches the JWKS once, for key rotation), then iss,
// aud (contains our client_id; azp when there are several audiences), exp and iat with a small leeway,
// and the nonce of the sign-in. Only asymmetric algorithms: RS256/384/512, PS256, ES256/384; "none" and
// HMAC (a public key used as a shared secret) are refused. The token is never logged.
class IdTokenValidator : public QObject
{
    Q_OBJECT

public:
    struct Expected
    {
        QString issuer;
        QString clientId;
        QString nonce; // empty: the token came without a sign-in of ours (no nonce to compare)
        qint64 now = 0;
        qint64 leeway = 60;
    };
    struct Claims
    {
        QString subject;
        qint64 expiresAt = 0;
        qint64 issuedAt = 0;
        nlohmann::json payload;
    };
    using Callback = std::function<void(const std::optional<Claims> &claims, const QString &error)>;

    explicit IdTokenValidator(HttpFetcher &http, QObject *parent = nullptr);

    // Fetches (or reuses) the JWKS at jwksUri, then verify().
    void validate(const QByteArray &token, const QUrl &jwksUri, const Expected &expected, Callback done);

    // The synchronous core. *unknownKey: no key in the set matches (worth refetching the JWKS).
    static std::optional<Claims> verify(const QByteArray &token, const nlohmann::json &jwks, const Expected &expected,
                                        QString *error, bool *unknownKey = nullptr);
    // The claim checks alone, on a payload whose signature has been checked.
    static std::optional<Claims> checkClaims(const nlohmann::json &payload, const Expected &expected, QString *error);
    // The header and payload of a compact JWS, unverified (for the checks above and for tests).
    static bool split(const QByteArray &token, nlohmann::json *header, nlohmann::json *payload, QString *error);

    // (Re)fetches the JWKS; error empty once it is cached.
    void fetch(const QUrl &jwksUri, std::function<void(const QString &error)> done);

private:
    HttpFetcher &m_http;
    QHash<QString, nlohmann::json> m_jwks; // by URI
};

} // namespace latchkey
