#include "TokenSet.h"
#include "JsonFields.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>

namespace latchkey {

using nlohmann::json;

namespace {

constexpr qsizetype kMaxTokenLength = 64 * 1024;
constexpr qsizetype kMaxDescription = 300;

// Far beyond any real token's lifetime or timestamp, and small enough that adding one to the other
// cannot overflow.
constexpr qint64 kMaxLifetime = 10LL * 365 * 24 * 3600; // seconds
constexpr qint64 kMaxTime = 253402300799;               // 9999-12-31T23:59:59Z, in seconds
constexpr qint64 kMaxTimeMs = kMaxTime * 1000 + 999;

// Saturating at `cap`: a number out of range is not undefined behaviour to convert, it is just very large.
qint64 integer(const json &doc, const char *key, qint64 cap)
{
    const auto it = doc.find(key);
    if (it == doc.end()) {
        return 0;
    }
    if (it->is_number_unsigned()) {
        return static_cast<qint64>(std::min<std::uint64_t>(it->get<std::uint64_t>(), static_cast<std::uint64_t>(cap)));
    }
    if (it->is_number_integer()) {
        return it->get<qint64>();
    }
    if (it->is_number_float()) {
        const double value = it->get<double>();
        return value >= static_cast<double>(cap) ? cap : value > 0 ? static_cast<qint64>(value) : 0;
    }
    if (it->is_string()) { // some servers send "3600"
        return QString::fromStdString(it->get<std::string>()).toLongLong();
    }
    return 0;
}

// expires_in in milliseconds: whole seconds as a rule, a fraction kept if an AS sends one.
qint64 expiresInMs(const json &doc)
{
    const auto it = doc.find("expires_in");
    if (it != doc.end() && it->is_number_float()) {
        const double seconds = it->get<double>();
        return seconds >= static_cast<double>(kMaxLifetime) ? kMaxLifetime * 1000
               : seconds > 0                                ? static_cast<qint64>(seconds * 1000)
                                                            : 0;
    }
    return std::min(integer(doc, "expires_in", kMaxLifetime), kMaxLifetime) * 1000;
}

// A stored time: milliseconds where this version wrote them, else the whole seconds of earlier ones.
qint64 storedTime(const json &doc, const char *msKey, const char *secondsKey)
{
    if (doc.contains(msKey)) {
        return integer(doc, msKey, kMaxTimeMs);
    }
    const qint64 seconds = integer(doc, secondsKey, kMaxTime);
    return seconds > kMaxTime || seconds < 0 ? -1 : seconds * 1000;
}

// Text from the AS that a person will read, in a terminal too: no control characters (escape
// sequences, bells, NULs); whitespace only where allowed.
QString printable(QString text, bool collapseWhitespace)
{
    text.removeIf([collapseWhitespace](QChar c) { return !c.isPrint() && !(collapseWhitespace && c.isSpace()); });
    return collapseWhitespace ? text.simplified() : text;
}

std::optional<json> object(const QByteArray &body)
{
    try {
        json doc = json::parse(body.cbegin(), body.cend());
        if (doc.is_object()) {
            return doc;
        }
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

} // namespace

bool TokenSet::isFresh(qint64 nowMs, qint64 marginMs) const
{
    return !accessToken.isEmpty() && (expiresAtMs == 0 || expiresAtMs - nowMs > marginMs);
}

qint64 TokenSet::refreshAt(double fraction) const
{
    const qint64 lifetime = lifetimeMs();
    return lifetime == 0 ? 0 : obtainedAtMs + static_cast<qint64>(static_cast<double>(lifetime) * fraction);
}

bool TokenSet::isBoundTo(const QString &iss, const QString &client, const QString &res) const
{
    return issuer == iss && clientId == client && resource == res;
}

QByteArray TokenSet::serialize() const
{
    const json doc = {{"access_token", accessToken.toStdString()},
                      {"refresh_token", refreshToken.toStdString()},
                      {"token_type", tokenType.toStdString()},
                      {"scope", scope.toStdString()},
                      // Whole seconds (rounded towards "expired") for earlier versions; they ignore the rest.
                      {"obtained_at", obtainedAtMs / 1000},
                      {"expires_at", expiresAtMs / 1000},
                      {"obtained_at_ms", obtainedAtMs},
                      {"expires_at_ms", expiresAtMs},
                      {"grant_type", grantType.toStdString()},
                      {"issuer", issuer.toStdString()},
                      {"client_id", clientId.toStdString()},
                      {"resource", resource.toStdString()},
                      {"account", account.toStdString()},
                      {"v", 1}};
    return QByteArray::fromStdString(doc.dump());
}

std::optional<TokenSet> TokenSet::deserialize(const QByteArray &data)
{
    const auto doc = object(data);
    if (!doc || integer(*doc, "v", 1000) != 1) {
        return std::nullopt;
    }
    TokenSet set;
    set.accessToken = ipc::jsonString(*doc, "access_token");
    set.refreshToken = ipc::jsonString(*doc, "refresh_token");
    set.tokenType = ipc::jsonString(*doc, "token_type");
    set.scope = ipc::jsonString(*doc, "scope");
    set.obtainedAtMs = storedTime(*doc, "obtained_at_ms", "obtained_at");
    set.expiresAtMs = storedTime(*doc, "expires_at_ms", "expires_at");
    set.grantType = ipc::jsonString(*doc, "grant_type");
    set.issuer = ipc::jsonString(*doc, "issuer");
    set.clientId = ipc::jsonString(*doc, "client_id");
    set.resource = ipc::jsonString(*doc, "resource");
    set.account = ipc::jsonString(*doc, "account");
    if (set.accessToken.isEmpty() || set.resource.isEmpty() || set.obtainedAtMs < 0 || set.obtainedAtMs > kMaxTimeMs ||
        set.expiresAtMs < 0 || set.expiresAtMs > kMaxTimeMs) {
        return std::nullopt;
    }
    return set;
}

std::optional<TokenSet> TokenSet::fromTokenResponse(const QByteArray &body, qint64 nowMs, QString *error)
{
    const auto doc = object(body);
    if (!doc) {
        *error = QStringLiteral("the token endpoint answered with something that is not a JSON object");
        return std::nullopt;
    }
    TokenSet set;
    set.accessToken = ipc::jsonString(*doc, "access_token");
    if (set.accessToken.isEmpty() || set.accessToken.size() > kMaxTokenLength) {
        *error = QStringLiteral("the token response has no usable access_token");
        return std::nullopt;
    }
    set.tokenType = ipc::jsonString(*doc, "token_type");
    if (set.tokenType.compare(QStringLiteral("bearer"), Qt::CaseInsensitive) != 0) {
        *error = QStringLiteral("the token type is \"%1\", not Bearer").arg(set.tokenType.left(40));
        return std::nullopt;
    }
    set.tokenType = QStringLiteral("Bearer");
    set.refreshToken = ipc::jsonString(*doc, "refresh_token");
    if (set.refreshToken.size() > kMaxTokenLength) {
        *error = QStringLiteral("the refresh token is too long");
        return std::nullopt;
    }
    set.scope = ipc::jsonString(*doc, "scope");
    set.obtainedAtMs = nowMs;
    if (const qint64 lifetime = expiresInMs(*doc); lifetime > 0) {
        set.expiresAtMs = nowMs + lifetime;
    }
    return set;
}

TokenError TokenError::fromResponse(int httpStatus, const QByteArray &body)
{
    TokenError error;
    error.httpStatus = httpStatus;
    if (const auto doc = object(body)) {
        error.code = printable(ipc::jsonString(*doc, "error"), false).left(64);
        error.description = printable(ipc::jsonString(*doc, "error_description"), true).left(kMaxDescription);
    }
    return error;
}

bool TokenError::isFatal() const
{
    return code == QStringLiteral("invalid_grant") || code == QStringLiteral("invalid_client") ||
           code == QStringLiteral("unauthorized_client") || code == QStringLiteral("invalid_scope");
}

QString TokenError::toString() const
{
    QString text = code.isEmpty() ? QStringLiteral("HTTP %1").arg(httpStatus) : code;
    if (!description.isEmpty()) {
        text += QStringLiteral(": ") + description;
    }
    return text;
}

} // namespace latchkey
