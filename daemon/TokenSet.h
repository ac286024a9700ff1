#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace latchkey {

// One grant's tokens, bound to the (issuer, client_id, resource, account) they were minted for.
// Serialized only into the vault. The refresh token never leaves the daemon.
struct TokenSet
{
    QString accessToken;
    QString refreshToken;
    QString tokenType = QStringLiteral("Bearer");
    QString scope;
    // Milliseconds since the epoch, so that a short lifetime or a margin is exact (records kept by earlier
    // versions hold whole seconds and are read as such).
    qint64 obtainedAtMs = 0;
    qint64 expiresAtMs = 0; // 0 when the AS did not say
    // "client_credentials" for a machine client's token (renewed with a new grant, having no refresh
    // token); empty for a person's sign-in.
    QString grantType;

    QString issuer;
    QString clientId;
    QString resource;
    QString account = QStringLiteral("default");

    // Valid for more than `marginMs` after `nowMs` (a token without expiry counts as valid).
    bool isFresh(qint64 nowMs, qint64 marginMs) const;
    // When to renew ahead of expiry (ms since the epoch): at `fraction` (0.75-0.8 with jitter) of the
    // lifetime; 0 when the lifetime is unknown.
    qint64 refreshAt(double fraction) const;
    // The lifetime the AS gave (ms); 0 when unknown.
    qint64 lifetimeMs() const
    {
        return expiresAtMs > obtainedAtMs && obtainedAtMs > 0 ? expiresAtMs - obtainedAtMs : 0;
    }
    bool isClientCredentials() const { return grantType == QStringLiteral("client_credentials"); }
    bool isBoundTo(const QString &issuer, const QString &clientId, const QString &resource) const;

    QByteArray serialize() const;
    static std::optional<TokenSet> deserialize(const QByteArray &data);

    // A successful token endpoint response (RFC 6749 §5.1). The binding fields are not touched.
    // nullopt with *error for anything else, including an error response (see TokenError). nowMs: when the
    // request was sent (ms since the epoch), so that the lifetime never counts from later than it began.
    static std::optional<TokenSet> fromTokenResponse(const QByteArray &body, qint64 nowMs, QString *error);
};

// An error response from a token endpoint (RFC 6749 §5.2), and how to treat it.
struct TokenError
{
    QString code;        // e.g. invalid_grant; empty when the body was not an OAuth error
    QString description; // from the AS, trimmed and capped; shown to the person, never a secret of ours
    int httpStatus = 0;

    static TokenError fromResponse(int httpStatus, const QByteArray &body);
    // invalid_grant and friends: the grant is dead, sign in again. Otherwise try again later.
    bool isFatal() const;
    QString toString() const;
};

} // namespace latchkey
