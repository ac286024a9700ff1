#include "ClientCredentialsGrant.h"

#include "ClientAuthentication.h"
#include "HttpFetcher.h"

#include <QDateTime>

namespace latchkey {

void ClientCredentialsGrant::request(HttpFetcher &http, const AuthorizationServerMetadata &as,
                                     const ClientRegistration::Client &client, const QString &resource,
                                     const QString &scope, Callback done)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    QList<QPair<QString, QString>> form = {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                           {QStringLiteral("resource"), resource}};
    if (!scope.isEmpty()) {
        form.append({QStringLiteral("scope"), scope});
    }
    HttpFetcher::Headers headers = {{"Accept", "application/json"}};
    if (client.authMethod == QStringLiteral("none")) {
        done(std::nullopt,
             QStringLiteral("the client credentials grant needs a client secret or private key for %1 in the "
                            "keychain (latchkey client secret|key set %1)")
                 .arg(as.issuer),
             {});
        return;
    }
    if (const QString why = ClientAuthentication::apply(as, client, &form, &headers); !why.isEmpty()) {
        done(std::nullopt, QStringLiteral("cannot authenticate to %1: %2").arg(as.issuer, why), {});
        return;
    }
    http.postForm(as.tokenEndpoint, form, headers, [done, as, now](const HttpResponse &response) {
        if (!response.error.isEmpty()) {
            done(std::nullopt, QStringLiteral("the token request failed: %1").arg(response.error), {});
            return;
        }
        if (response.status < 200 || response.status >= 300) {
            const TokenError failure = TokenError::fromResponse(response.status, response.body);
            done(std::nullopt,
                 QStringLiteral("the authorization server refused the client: %1").arg(failure.toString()),
                 failure.code);
            return;
        }
        QString error;
        auto tokens = TokenSet::fromTokenResponse(response.body, now, &error);
        if (!tokens) {
            done(std::nullopt, error, {});
            return;
        }
        done(tokens, {}, {});
    });
}

} // namespace latchkey
