#include "ClientCredentialsGrant.h"

#include "ClientAuthentication.h"
#include "HttpFetcher.h"

#include <QDateTime>

namespace latchkey {

QString ClientCredentialsGrant::prepare(const AuthorizationServerMetadata &as, const ClientRegistration::Client &client,
                                        const QString &resource, const QString &scope,
                                        QList<QPair<QString, QString>> *form, HttpFetcher::Headers *headers)
{
    *form = {{QStringLiteral("grant_type"), grantType()}, {QStringLiteral("resource"), resource}};
    if (!scope.isEmpty()) {
        form->append({QStringLiteral("scope"), scope});
    }
    *headers = {{"Accept", "application/json"}};
    if (client.authMethod == QStringLiteral("none")) {
        return QStringLiteral("the client credentials grant needs a client secret or private key for %1 in the "
                              "keychain (latchkey client secret|key set %1)")
            .arg(as.issuer);
    }
    if (const QString why = ClientAuthentication::apply(as, client, form, headers); !why.isEmpty()) {
        return QStringLiteral("cannot authenticate to %1: %2").arg(as.issuer, why);
    }
    return {};
}

void ClientCredentialsGrant::request(HttpFetcher &http, const AuthorizationServerMetadata &as,
                                     const ClientRegistration::Client &client, const QString &resource,
                                     const QString &scope, Callback done)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<QPair<QString, QString>> form;
    HttpFetcher::Headers headers;
    if (const QString why = prepare(as, client, resource, scope, &form, &headers); !why.isEmpty()) {
        done(std::nullopt, why, {});
        return;
    }
    http.postForm(as.tokenEndpoint, form, headers, [done, now](const HttpResponse &response) {
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
        tokens->grantType = grantType();
        done(tokens, {}, {});
    });
}

} // namespace latchkey
