#pragma once

#include <QString>
#include <QUrl>

namespace latchkey::oauth {

// Which URLs Latchkey will talk to as an authorization server, or open in the user's browser
// (mcp-auth.md item 9; OAuth 2.1 §1.5; RFC 8252 §8.3; RFC 6749 §3.1 "MUST NOT include a fragment").
// Each check returns an empty string when the URL is acceptable, else a message that says why not.
//
// Both checks require:
//  - at most the length cap, and only printable ASCII (0x21-0x7E): no spaces, controls, backslashes
//    or raw non-ASCII. Browsers, QUrl and servers disagree on how to read those (a backslash is a
//    path separator to a browser but not to QUrl), and a URL two parsers read differently is how a
//    check gets bypassed. Internationalized hosts must arrive in punycode form;
//  - a valid absolute URL with a host and no userinfo ("https://good@evil" is refused, as is any
//    '@' in the authority);
//  - https; or http when the host is a loopback name: 127.0.0.1, [::1] or localhost (QUrl also reads
//    short forms such as 127.1 as 127.0.0.1, as browsers do).
// The caller should hand on the URL it checked unchanged, not a re-parsed or re-built one.
class EndpointPolicy
{
public:
    static constexpr qsizetype MaxEndpointLength = 8 * 1024;
    static constexpr qsizetype MaxBrowserUrlLength = 32 * 1024;

    // An issuer, metadata URL or AS endpoint (authorization, token, registration, revocation, JWKS).
    // No fragment, not even an empty one.
    static QString checkEndpoint(const QString &url);
    // A URL to open in the browser (the authorization request). A fragment is allowed.
    static QString checkBrowserUrl(const QString &url);

    // 127.0.0.1, ::1 or localhost (case-insensitive; QUrl normalizes the host before this check).
    static bool isLoopbackHost(const QUrl &url);

private:
    static QString check(const QString &url, qsizetype maxLength, bool allowFragment);
};

} // namespace latchkey::oauth
