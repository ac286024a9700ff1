#pragma once

#include "ClientRegistration.h"
#include "HttpFetcher.h"
#include "OAuthMetadata.h"

#include <QList>
#include <QPair>
#include <QString>

namespace latchkey {

// How a client proves itself at the token (and revocation) endpoint, per its registered method (RFC 7591
// §2): client_secret_basic (the Authorization header), client_secret_post (in the form), private_key_jwt
// (a ClientAssertion), or none (client_id alone). One place, for every grant and for revocation.
class ClientAuthentication
{
public:
    using Form = QList<QPair<QString, QString>>;

    // Adds the authentication (and client_id where the method wants it) to a request; empty, or why not.
    static QString apply(const AuthorizationServerMetadata &as, const ClientRegistration::Client &client, Form *form,
                         HttpFetcher::Headers *headers);
    // RFC 6749 §2.3.1: client_id and secret form-encoded, joined by a colon, Base64.
    static QByteArray basicAuthorization(const QString &clientId, const QString &secret);
};

} // namespace latchkey
