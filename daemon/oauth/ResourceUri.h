#pragma once

#include <QString>
#include <QUrl>

namespace latchkey::oauth {

// The canonical URI of an MCP server: the RFC 8707 `resource` parameter and the RFC 9728 resource
// identifier ("Canonical Server URI" in the MCP authorization specification, 2026-07-28).
//
// Canonical form:
//  - an absolute http or https URL with a host; no userinfo; at most MaxLength characters;
//  - scheme and host lowercase (an internationalized host in its ASCII/punycode form), percent-encoding
//    normalized the way QUrl does (uppercase hex digits, unreserved characters decoded);
//  - the default port (443 for https, 80 for http) dropped;
//  - no fragment: fromServerUrl() drops it, fromIdentifier() refuses it (RFC 8707 §2: MUST NOT);
//  - the bare root path "/" dropped, so `https://mcp.example.com/` becomes `https://mcp.example.com`,
//    the form the MCP specification shows and sends (`resource=https%3A%2F%2Fmcp.example.com`).
//    Any other path is kept exactly, a trailing slash included: `/mcp/` and `/mcp` are different
//    HTTP resources, so there the slash is "semantically significant" in the specification's words;
//  - a query is kept (RFC 8707 discourages but allows it); an empty "?" is dropped;
//  - a path with "." or ".." segments (plain or percent-encoded) is refused: such a URL names a
//    different path than it spells, and it would defeat the path-prefix match below.
class ResourceUri
{
public:
    static constexpr qsizetype MaxLength = 8 * 1024;

    ResourceUri() = default;

    // A server URL as the user or a client configuration gives it; a fragment is dropped.
    static ResourceUri fromServerUrl(const QString &url);
    // A resource identifier as a server publishes it (the PRM `resource`); a fragment is an error.
    static ResourceUri fromIdentifier(const QString &identifier);

    bool isValid() const { return !m_canonical.isEmpty(); }
    // Why the input was refused; empty when valid.
    QString errorString() const { return m_error; }
    // The canonical form; empty when invalid.
    QString toString() const { return m_canonical; }
    QUrl toUrl() const { return m_url; }

    // Does this resource identifier (from Protected Resource Metadata) stand for the MCP server at
    // `server`? Same scheme, host and port, and then:
    //  - this identifier has a query: the canonical forms must be equal;
    //  - else this identifier's path, ignoring one trailing slash, is empty, equal to the server's
    //    path, or a prefix of it that ends at a '/' ("https://h/mcp" covers "https://h/mcp/x", not
    //    "https://h/mcpx").
    // The prefix case is what MCP servers do in practice: metadata served at the root well-known
    // location names the origin (`https://h`) for a server at `https://h/mcp`, and the MCP
    // conformance suite (metadata-var2) does exactly that. A different origin never matches.
    // Both invalid → false.
    bool covers(const ResourceUri &server) const;
    // fromIdentifier(prmResource).covers(fromServerUrl(serverUrl))
    static bool prmResourceMatchesServer(const QString &prmResource, const QString &serverUrl);

    friend bool operator==(const ResourceUri &a, const ResourceUri &b) { return a.m_canonical == b.m_canonical; }

private:
    enum class Fragment
    {
        Drop,
        Refuse
    };
    static ResourceUri parse(const QString &text, Fragment fragment);

    QString m_canonical;
    QString m_error;
    QUrl m_url;
};

} // namespace latchkey::oauth
