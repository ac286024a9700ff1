#pragma once

#include <QList>
#include <QString>
#include <QUrl>

namespace latchkey::oauth {

// Where to look for metadata, as ordered candidate lists: try each in turn, use the first document
// that validates. Every list is empty when its input is unusable (not a URL ResourceUri accepts, or
// one that EndpointPolicy::checkEndpoint refuses, such as plain http to a non-loopback host).
class WellKnown
{
public:
    // Protected Resource Metadata (RFC 9728 §3.1; MCP "Protected Resource Metadata Discovery"):
    //  1. the well-known suffix inserted between the host and the path and/or query of the server's
    //     canonical URL, one terminating '/' of the path removed:
    //     https://h/mcp → https://h/.well-known/oauth-protected-resource/mcp
    //  2. the root: https://h/.well-known/oauth-protected-resource
    // A server at the root (no path, no query) has only the second.
    static QList<QUrl> protectedResourceMetadataUrls(const QString &serverUrl);

    // As above, but a `resource_metadata` from the 401's WWW-Authenticate comes first and alone: the
    // MCP specification says to use it when present and to construct URLs only otherwise. The hint
    // is ignored (the constructed list is returned) when EndpointPolicy refuses it, or when it points
    // at a loopback host while the server is not on one: a remote server has no business making
    // Latchkey send requests to services on this machine.
    static QList<QUrl> protectedResourceMetadataUrls(const QString &serverUrl, const QString &resourceMetadata);

    // Authorization Server Metadata for an issuer (RFC 8414 §3.1 and §5, OpenID Connect Discovery §4;
    // the order of the MCP "Authorization Server Metadata Discovery" section and mcp-auth.md item 3).
    // With a path (https://as/t1; one terminating '/' removed first):
    //  1. https://as/.well-known/oauth-authorization-server/t1
    //  2. https://as/.well-known/openid-configuration/t1
    //  3. https://as/t1/.well-known/openid-configuration
    // Without one (https://as or https://as/):
    //  1. https://as/.well-known/oauth-authorization-server
    //  2. https://as/.well-known/openid-configuration
    // An issuer with a query or fragment is not an issuer (RFC 8414 §2): empty list. The fetched
    // document's `issuer` must still equal the issuer string exactly; that check is the caller's.
    static QList<QUrl> authorizationServerMetadataUrls(const QString &issuer);

    // Servers of the 2025-03-26 revision without Protected Resource Metadata: the authorization base
    // URL is the MCP server's origin (path discarded). Use it as the issuer for metadata discovery,
    // and when that fails, fall back to legacyEndpoint(). Empty when the server URL is unusable.
    static QString legacyAuthorizationBase(const QString &serverUrl);

    enum class LegacyEndpoint
    {
        Authorize,
        Token,
        Register
    };
    // https://h/authorize, https://h/token, https://h/register for a server at https://h/any/path.
    static QUrl legacyEndpoint(const QString &serverUrl, LegacyEndpoint which);
};

} // namespace latchkey::oauth
