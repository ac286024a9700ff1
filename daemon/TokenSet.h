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
    qint64 obtainedAt = 0; // seconds since the epoch
    qint64 expiresAt = 0;  // 0 when the AS did not say

    QString issuer;
    QString clientId;
    QString resource;
    QString account = QStringLiteral("default");

    // Valid for at least `margin` more seconds (a token without expiry counts as valid).
    bool isFresh(qint64 now, qint64 margin) const;
    // When to refresh ahead of expiry: at `fraction` (0.75-0.8 with jitter) of the lifetime.
    qint64 refreshAt(double fraction) const;
    bool isBoundTo(const QString &issuer, const QString &clientId, const QString &resource) const;

    QByteArray serialize() const;
    static std::optional<TokenSet> deserialize(const QByteArray &data);

    // A successful token endpoint response (RFC 6749 §5.1). The binding fields are not touched.
    // nullopt with *error for anything else, including an error response (see TokenError).
    static std::optional<TokenSet> fromTokenResponse(const QByteArray &body, qint64 now, QString *error);
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
