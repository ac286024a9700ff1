#pragma once

#include "ScopeSet.h"

#include <QString>
#include <QStringList>
#include <QUrl>

#include <nlohmann/json.hpp>

#include <optional>

namespace latchkey {

// RFC 9728 Protected Resource Metadata, as far as an MCP client uses it.
struct ProtectedResourceMetadata
{
    QString resource;
    QStringList authorizationServers;
    oauth::ScopeSet scopesSupported;

    // nullopt with *error when the document is not usable (not JSON, no resource, no AS list).
    static std::optional<ProtectedResourceMetadata> parse(const QByteArray &body, QString *error);
};

// RFC 8414 Authorization Server Metadata. parse() enforces the rules a client must: the issuer equals
// the one the URL was built from, endpoints pass EndpointPolicy, and PKCE S256 is supported.
struct AuthorizationServerMetadata
{
    QString issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl registrationEndpoint;  // empty when the AS has no DCR
    QUrl revocationEndpoint;    // empty when the AS has no RFC 7009 endpoint
    QUrl introspectionEndpoint; // informational
    oauth::ScopeSet scopesSupported;
    QStringList grantTypesSupported;
    QStringList tokenEndpointAuthMethods;
    QStringList authorizationGrantProfiles;
    bool issParameterSupported = false; // RFC 9207
    bool clientIdMetadataDocumentSupported = false;

    // *wrongIssuer tells a document for another issuer (skip it, try the next URL) from a broken one.
    static std::optional<AuthorizationServerMetadata> parse(const QByteArray &body, const QString &expectedIssuer,
                                                            QString *error, bool *wrongIssuer = nullptr);
    // For the 2025-03-26 fallback when a server publishes no metadata at all.
    static AuthorizationServerMetadata legacyDefaults(const QString &serverUrl);

    nlohmann::json toJson() const;
    static std::optional<AuthorizationServerMetadata> fromJson(const nlohmann::json &json);
};

} // namespace latchkey
