#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace latchkey {

// private_key_jwt client authentication (RFC 7523 §2.2, OpenID Connect Core §9): a short-lived JWT the
// client signs with its own private key, so that no shared secret crosses the wire. ES256 (P-256) and
// RS256 (RSA ≥ 2048 bits), signed with OpenSSL. The key comes from the keychain and is never logged.
class ClientAssertion
{
public:
    static constexpr qint64 kLifetimeSeconds = 60;

    // Empty when the PEM is an unencrypted private key usable with `algorithm`, else why not.
    static QString checkPrivateKey(const QByteArray &pem, const QString &algorithm);
    // The compact JWS: iss = sub = clientId, aud = audience (the AS issuer), iat, exp, a random jti.
    static std::optional<QByteArray> make(const QByteArray &pem, const QString &algorithm, const QString &clientId,
                                          const QString &audience, qint64 now, QString *error);
};

} // namespace latchkey
