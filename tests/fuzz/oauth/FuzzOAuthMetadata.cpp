// libFuzzer target: ProtectedResourceMetadata::parse and AuthorizationServerMetadata::parse on arbitrary
// bytes. The input is split at the first newline into the issuer discovery expects and the document.
// AS metadata is parsed twice: against that issuer, and against the document's own "issuer" (so the
// checks behind the issuer comparison are reached too).
// Checks: a refusal always says why; wrongIssuer exactly when the document names another issuer;
// accepted metadata has the issuer asked for, the required endpoints, endpoints EndpointPolicy still
// accepts as stored; toJson/fromJson round trips (servers.json must load what we wrote); PRM has a
// resource, authorization servers and valid scopes.
#include "EndpointPolicy.h"
#include "OAuthMetadata.h"

#include <cstdint>
#include <cstdlib>
#include <optional>

using latchkey::AuthorizationServerMetadata;
using latchkey::ProtectedResourceMetadata;
using latchkey::oauth::EndpointPolicy;
using latchkey::oauth::ScopeSet;
using nlohmann::json;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void checkScopes(const ScopeSet &set)
{
    require(set.size() <= ScopeSet::MaxScopes);
    for (const QString &scope : set.toList()) {
        require(ScopeSet::isScopeToken(scope));
    }
}

void checkEndpoint(const QUrl &url, bool required)
{
    if (url.isEmpty()) {
        require(!required);
        return;
    }
    require(EndpointPolicy::checkEndpoint(url.toString(QUrl::FullyEncoded)).isEmpty());
}

// The "issuer" a document names; nullopt when it is not a JSON object with a string issuer.
std::optional<QString> namedIssuer(const QByteArray &body)
{
    try {
        const json doc = json::parse(body.cbegin(), body.cend());
        if (doc.is_object() && doc.contains("issuer") && doc["issuer"].is_string()) {
            return QString::fromStdString(doc["issuer"].get<std::string>());
        }
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

void checkAs(const QByteArray &body, const QString &issuer)
{
    QString error;
    bool wrongIssuer = false;
    const auto as = AuthorizationServerMetadata::parse(body, issuer, &error, &wrongIssuer);
    if (!as) {
        require(!error.isEmpty());
        // Skipping to the next URL is only for a document about another issuer, never for a broken one
        // about ours (that would let a later candidate override it).
        const auto named = namedIssuer(body);
        if (wrongIssuer) {
            require(!named || named->isEmpty() || *named != issuer);
        } else if (named) {
            require(*named == issuer && !named->isEmpty());
        }
        return;
    }
    require(error.isEmpty());
    require(!wrongIssuer);
    require(as->issuer == issuer);
    checkEndpoint(as->authorizationEndpoint, true);
    checkEndpoint(as->tokenEndpoint, true);
    checkEndpoint(as->registrationEndpoint, false);
    checkEndpoint(as->revocationEndpoint, false);
    checkEndpoint(as->introspectionEndpoint, false);
    require(EndpointPolicy::checkBrowserUrl(as->authorizationEndpoint.toString(QUrl::FullyEncoded)).isEmpty());
    checkScopes(as->scopesSupported);

    // What discovery keeps in servers.json must load again, unchanged.
    const json stored = as->toJson();
    const auto back = AuthorizationServerMetadata::fromJson(json::parse(stored.dump()));
    require(back.has_value());
    require(back->issuer == as->issuer);
    require(back->authorizationEndpoint == as->authorizationEndpoint);
    require(back->tokenEndpoint == as->tokenEndpoint);
    require(back->registrationEndpoint == as->registrationEndpoint);
    require(back->revocationEndpoint == as->revocationEndpoint);
    require(back->introspectionEndpoint == as->introspectionEndpoint);
    require(back->scopesSupported.toList() == as->scopesSupported.toList());
    require(back->grantTypesSupported == as->grantTypesSupported);
    require(back->issParameterSupported == as->issParameterSupported);
    require(back->clientIdMetadataDocumentSupported == as->clientIdMetadataDocumentSupported);
    require(back->toJson() == stored);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input =
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const qsizetype newline = input.indexOf('\n');
    const QString expected = newline < 0 ? QString() : QString::fromUtf8(input.left(newline));
    const QByteArray body = newline < 0 ? input : input.mid(newline + 1);

    QString error;
    const auto prm = ProtectedResourceMetadata::parse(body, &error);
    if (prm) {
        require(error.isEmpty());
        require(!prm->resource.isEmpty());
        require(!prm->authorizationServers.isEmpty());
        for (const QString &server : prm->authorizationServers) {
            require(!server.isNull());
        }
        checkScopes(prm->scopesSupported);
    } else {
        require(!error.isEmpty());
    }

    checkAs(body, expected);
    if (const auto named = namedIssuer(body)) {
        checkAs(body, *named);
    }
    try {
        const json doc = json::parse(body.cbegin(), body.cend());
        // Whatever servers.json holds: fromJson either refuses or yields endpoints the policy accepts.
        if (const auto stored = AuthorizationServerMetadata::fromJson(doc)) {
            checkEndpoint(stored->authorizationEndpoint, true);
            checkEndpoint(stored->tokenEndpoint, true);
            checkEndpoint(stored->revocationEndpoint, false);
            require(!stored->issuer.isEmpty());
        }
    } catch (const std::exception &) {
    }
    return 0;
}
