#include "OAuthMetadata.h"
#include "JsonFields.h"

#include "EndpointPolicy.h"
#include "WellKnown.h"

namespace latchkey {

using nlohmann::json;
using oauth::EndpointPolicy;

namespace {

std::optional<json> parseObject(const QByteArray &body, QString *error, const QString &what)
{
    try {
        json doc = json::parse(body.cbegin(), body.cend());
        if (doc.is_object()) {
            return doc;
        }
    } catch (const std::exception &) {
    }
    *error = QStringLiteral("%1 is not a JSON object").arg(what);
    return std::nullopt;
}

bool flag(const json &doc, const char *key)
{
    const auto it = doc.find(key);
    return it != doc.end() && it->is_boolean() && it->get<bool>();
}

// An optional endpoint: absent is fine, present must be acceptable.
bool endpoint(const json &doc, const char *key, bool required, QUrl *out, QString *error)
{
    const QString value = ipc::jsonString(doc, key);
    if (value.isEmpty()) {
        if (required) {
            *error = QStringLiteral("authorization server metadata has no %1").arg(QString::fromLatin1(key));
            return false;
        }
        return true;
    }
    if (const QString why = EndpointPolicy::checkEndpoint(value); !why.isEmpty()) {
        *error = QStringLiteral("authorization server %1 refused: %2").arg(QString::fromLatin1(key), why);
        return false;
    }
    *out = QUrl(value, QUrl::StrictMode);
    return true;
}

json stringArray(const QStringList &list)
{
    json out = json::array();
    for (const QString &item : list) {
        out.push_back(item.toStdString());
    }
    return out;
}

} // namespace

std::optional<ProtectedResourceMetadata> ProtectedResourceMetadata::parse(const QByteArray &body, QString *error)
{
    const auto doc = parseObject(body, error, QStringLiteral("protected resource metadata"));
    if (!doc) {
        return std::nullopt;
    }
    ProtectedResourceMetadata prm;
    prm.resource = ipc::jsonString(*doc, "resource");
    if (prm.resource.isEmpty()) {
        *error = QStringLiteral("protected resource metadata has no \"resource\" (RFC 9728 §2)");
        return std::nullopt;
    }
    prm.authorizationServers = ipc::jsonStrings(*doc, "authorization_servers");
    if (prm.authorizationServers.isEmpty()) {
        *error = QStringLiteral("protected resource metadata lists no authorization_servers");
        return std::nullopt;
    }
    prm.scopesSupported = oauth::ScopeSet::fromList(ipc::jsonStrings(*doc, "scopes_supported"));
    return prm;
}

std::optional<AuthorizationServerMetadata> AuthorizationServerMetadata::parse(const QByteArray &body,
                                                                              const QString &expectedIssuer,
                                                                              QString *error, bool *wrongIssuer)
{
    const auto doc = parseObject(body, error, QStringLiteral("authorization server metadata"));
    if (!doc) {
        return std::nullopt;
    }
    AuthorizationServerMetadata as;
    as.issuer = ipc::jsonString(*doc, "issuer");
    // Required (RFC 8414 §2): a document without one is not for the issuer we asked, whatever we asked.
    const bool otherIssuer = as.issuer.isEmpty() || as.issuer != expectedIssuer;
    if (wrongIssuer) {
        *wrongIssuer = otherIssuer;
    }
    if (otherIssuer) {
        // RFC 8414 §3.3: a document whose issuer differs from the one the URL came from is not used.
        *error = QStringLiteral("authorization server metadata names issuer \"%1\", not \"%2\" (RFC 8414 §3.3)")
                     .arg(as.issuer, expectedIssuer);
        return std::nullopt;
    }
    if (!endpoint(*doc, "authorization_endpoint", true, &as.authorizationEndpoint, error) ||
        !endpoint(*doc, "token_endpoint", true, &as.tokenEndpoint, error) ||
        !endpoint(*doc, "registration_endpoint", false, &as.registrationEndpoint, error) ||
        !endpoint(*doc, "revocation_endpoint", false, &as.revocationEndpoint, error) ||
        !endpoint(*doc, "introspection_endpoint", false, &as.introspectionEndpoint, error)) {
        return std::nullopt;
    }
    if (const QString why = EndpointPolicy::checkBrowserUrl(as.authorizationEndpoint.toString(QUrl::FullyEncoded));
        !why.isEmpty()) {
        *error = QStringLiteral("authorization endpoint refused: %1").arg(why);
        return std::nullopt;
    }
    if (!ipc::jsonStrings(*doc, "code_challenge_methods_supported").contains(QStringLiteral("S256"))) {
        *error = QStringLiteral("authorization server does not support PKCE S256 "
                                "(code_challenge_methods_supported lacks \"S256\")");
        return std::nullopt;
    }
    as.scopesSupported = oauth::ScopeSet::fromList(ipc::jsonStrings(*doc, "scopes_supported"));
    as.grantTypesSupported = ipc::jsonStrings(*doc, "grant_types_supported");
    as.tokenEndpointAuthMethods = ipc::jsonStrings(*doc, "token_endpoint_auth_methods_supported");
    as.authorizationGrantProfiles = ipc::jsonStrings(*doc, "authorization_grant_profiles_supported");
    as.issParameterSupported = flag(*doc, "authorization_response_iss_parameter_supported");
    as.clientIdMetadataDocumentSupported = flag(*doc, "client_id_metadata_document_supported");
    return as;
}

AuthorizationServerMetadata AuthorizationServerMetadata::legacyDefaults(const QString &serverUrl)
{
    using oauth::WellKnown;
    AuthorizationServerMetadata as;
    as.issuer = WellKnown::legacyAuthorizationBase(serverUrl);
    as.authorizationEndpoint = WellKnown::legacyEndpoint(serverUrl, WellKnown::LegacyEndpoint::Authorize);
    as.tokenEndpoint = WellKnown::legacyEndpoint(serverUrl, WellKnown::LegacyEndpoint::Token);
    as.registrationEndpoint = WellKnown::legacyEndpoint(serverUrl, WellKnown::LegacyEndpoint::Register);
    return as;
}

json AuthorizationServerMetadata::toJson() const
{
    // Encoded as received: the default (pretty) form decodes %20 or %C3%B6, which fromJson then refuses.
    const auto text = [](const QUrl &url) { return url.toString(QUrl::FullyEncoded).toStdString(); };
    return {{"issuer", issuer.toStdString()},
            {"authorization_endpoint", text(authorizationEndpoint)},
            {"token_endpoint", text(tokenEndpoint)},
            {"registration_endpoint", text(registrationEndpoint)},
            {"revocation_endpoint", text(revocationEndpoint)},
            {"introspection_endpoint", text(introspectionEndpoint)},
            {"scopes_supported", stringArray(scopesSupported.toList())},
            {"grant_types_supported", stringArray(grantTypesSupported)},
            {"token_endpoint_auth_methods_supported", stringArray(tokenEndpointAuthMethods)},
            {"authorization_grant_profiles_supported", stringArray(authorizationGrantProfiles)},
            {"authorization_response_iss_parameter_supported", issParameterSupported},
            {"client_id_metadata_document_supported", clientIdMetadataDocumentSupported}};
}

std::optional<AuthorizationServerMetadata> AuthorizationServerMetadata::fromJson(const json &doc)
{
    if (!doc.is_object()) {
        return std::nullopt;
    }
    AuthorizationServerMetadata as;
    as.issuer = ipc::jsonString(doc, "issuer");
    QString error;
    if (as.issuer.isEmpty() || !endpoint(doc, "authorization_endpoint", true, &as.authorizationEndpoint, &error) ||
        !endpoint(doc, "token_endpoint", true, &as.tokenEndpoint, &error) ||
        !endpoint(doc, "registration_endpoint", false, &as.registrationEndpoint, &error) ||
        !endpoint(doc, "revocation_endpoint", false, &as.revocationEndpoint, &error) ||
        !endpoint(doc, "introspection_endpoint", false, &as.introspectionEndpoint, &error)) {
        return std::nullopt;
    }
    as.scopesSupported = oauth::ScopeSet::fromList(ipc::jsonStrings(doc, "scopes_supported"));
    as.grantTypesSupported = ipc::jsonStrings(doc, "grant_types_supported");
    as.tokenEndpointAuthMethods = ipc::jsonStrings(doc, "token_endpoint_auth_methods_supported");
    as.authorizationGrantProfiles = ipc::jsonStrings(doc, "authorization_grant_profiles_supported");
    as.issParameterSupported = flag(doc, "authorization_response_iss_parameter_supported");
    as.clientIdMetadataDocumentSupported = flag(doc, "client_id_metadata_document_supported");
    return as;
}

} // namespace latchkey
