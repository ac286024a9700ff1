#pragma once

#include "ClientRegistration.h"
#include "OAuthMetadata.h"
#include "TokenSet.h"

#include <functional>
#include <optional>

namespace latchkey {

class HttpFetcher;

// The OAuth 2.1 client credentials grant (§4.2; MCP's OAuth client credentials extension, SEP-1046) for
// a machine client pre-registered at the AS: no browser and no person, the client authenticates itself
// with client_secret_basic, client_secret_post or private_key_jwt (ClientAssertion). `resource` goes
// along (RFC 8707). No refresh token is expected: a new token is simply requested again.
class ClientCredentialsGrant
{
public:
    // tokens, or the failure and the OAuth error code behind it (e.g. invalid_client).
    using Callback =
        std::function<void(const std::optional<TokenSet> &tokens, const QString &error, const QString &errorCode)>;

    static void request(HttpFetcher &http, const AuthorizationServerMetadata &as,
                        const ClientRegistration::Client &client, const QString &resource, const QString &scope,
                        Callback done);
};

} // namespace latchkey
