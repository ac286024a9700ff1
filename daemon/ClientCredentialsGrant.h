#pragma once

#include "ClientRegistration.h"
#include "HttpFetcher.h"
#include "OAuthMetadata.h"
#include "TokenSet.h"

#include <functional>
#include <optional>

namespace latchkey {

// The OAuth 2.1 client credentials grant (§4.2; MCP's OAuth client credentials extension, SEP-1046) for
// a machine client pre-registered at the AS: no browser and no person, the client authenticates itself
// with client_secret_basic, client_secret_post or private_key_jwt (ClientAssertion). `resource` goes
// along (RFC 8707). No refresh token is expected: a new token is simply requested again — at sign-in
// here, and ahead of expiry by TokenManager, which sends the same request (prepare) itself.
class ClientCredentialsGrant
{
public:
    // tokens, or the failure and the OAuth error code behind it (e.g. invalid_client).
    using Callback =
        std::function<void(const std::optional<TokenSet> &tokens, const QString &error, const QString &errorCode)>;

    // The tokens come marked grantType "client_credentials".
    static void request(HttpFetcher &http, const AuthorizationServerMetadata &as,
                        const ClientRegistration::Client &client, const QString &resource, const QString &scope,
                        Callback done);
    // The token request's form and headers, the client's authentication included. Empty when ready, else
    // why the request cannot be made (no secret or key for this client, or it cannot be used).
    static QString prepare(const AuthorizationServerMetadata &as, const ClientRegistration::Client &client,
                           const QString &resource, const QString &scope, QList<QPair<QString, QString>> *form,
                           HttpFetcher::Headers *headers);
    static QString grantType() { return QStringLiteral("client_credentials"); }
};

} // namespace latchkey
