// libFuzzer target: TokenSet::fromTokenResponse, TokenError::fromResponse and TokenSet::deserialize on
// arbitrary bytes (a token endpoint's answer, or a vault entry).
// Checks: an accepted response has a Bearer access token and refresh token within the cap, the time it
// was read, and an expiry that is unknown (0) or after it, never wrapped into the past; refresh timing
// stays within the lifetime; the vault serialization round trips; an error response's code and
// description are capped and printable; isFatal only for the codes that end a grant.
#include "TokenSet.h"

#include <cstdint>
#include <cstdlib>

using latchkey::TokenError;
using latchkey::TokenSet;

namespace {

constexpr qint64 kNow = 1'800'000'000'123; // ms

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void checkTiming(const TokenSet &set, qint64 now)
{
    const qint64 at = set.refreshAt(0.8);
    if (at != 0) {
        require(at >= set.obtainedAtMs && at <= set.expiresAtMs);
    }
    (void)set.isFresh(now, 30000);
    (void)set.isFresh(now, 0);
}

void checkRoundTrip(const TokenSet &set)
{
    const auto back = TokenSet::deserialize(set.serialize());
    require(back.has_value());
    require(back->accessToken == set.accessToken);
    require(back->refreshToken == set.refreshToken);
    require(back->tokenType == set.tokenType);
    require(back->scope == set.scope);
    require(back->obtainedAtMs == set.obtainedAtMs);
    require(back->expiresAtMs == set.expiresAtMs);
    require(back->grantType == set.grantType);
    require(back->issuer == set.issuer);
    require(back->clientId == set.clientId);
    require(back->resource == set.resource);
    require(back->account == set.account);
    require(back->serialize() == set.serialize());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body = QByteArray::fromRawData(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));

    QString error;
    if (auto set = TokenSet::fromTokenResponse(body, kNow, &error)) {
        require(error.isEmpty());
        require(!set->accessToken.isEmpty() && set->accessToken.size() <= 64 * 1024);
        require(set->refreshToken.size() <= 64 * 1024);
        require(set->tokenType == QStringLiteral("Bearer"));
        require(set->obtainedAtMs == kNow);
        require(set->expiresAtMs == 0 || set->expiresAtMs > kNow);
        require(set->issuer.isEmpty() && set->clientId.isEmpty() && set->resource.isEmpty());
        checkTiming(*set, kNow);
        set->issuer = QStringLiteral("https://as.example.com");
        set->clientId = QStringLiteral("client");
        set->resource = QStringLiteral("https://mcp.example.com/mcp");
        checkRoundTrip(*set);
    } else {
        require(!error.isEmpty());
    }

    const int status = size > 0 ? 400 + data[0] % 200 : 0;
    const TokenError failure = TokenError::fromResponse(status, body);
    require(failure.httpStatus == status);
    require(failure.code.size() <= 64);
    require(failure.description.size() <= 300);
    // Shown to a person, in a terminal too: printable only (no escape sequences, no line breaks).
    for (const QChar c : failure.code + failure.description) {
        require(c.isPrint());
    }
    require(!failure.description.startsWith(u' '));
    if (failure.isFatal()) {
        require(failure.code == QStringLiteral("invalid_grant") || failure.code == QStringLiteral("invalid_client") ||
                failure.code == QStringLiteral("unauthorized_client") ||
                failure.code == QStringLiteral("invalid_scope"));
    }
    require(!failure.toString().isEmpty());

    // The same bytes as a vault entry: whatever loads, saves and loads again the same.
    if (const auto stored = TokenSet::deserialize(body)) {
        require(!stored->accessToken.isEmpty() && !stored->resource.isEmpty());
        checkTiming(*stored, kNow);
        checkRoundTrip(*stored);
    }
    return 0;
}
