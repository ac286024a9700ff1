#include "ClientCredentialsGrant.h"

#include "ClientAssertion.h"
#include "HttpFetcher.h"

#include <QDateTime>
#include <QUrl>

namespace latchkey {

QByteArray ClientCredentialsGrant::basicAuthorization(const QString &clientId, const QString &secret)
{
    return "Basic " + (QUrl::toPercentEncoding(clientId) + ':' + QUrl::toPercentEncoding(secret)).toBase64();
}

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
    const QString &method = client.authMethod;
    if (method == QStringLiteral("private_key_jwt")) {
        QString why;
        // The audience is the AS's issuer identifier (RFC 7523 §3, as updated for mix-up resistance).
        const auto assertion =
            ClientAssertion::make(client.privateKey, client.signingAlgorithm, client.clientId, as.issuer, now, &why);
        if (!assertion) {
            done(std::nullopt, QStringLiteral("cannot authenticate to %1: %2").arg(as.issuer, why), {});
            return;
        }
        form.append({QStringLiteral("client_id"), client.clientId});
        form.append({QStringLiteral("client_assertion_type"),
                     QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")});
        form.append({QStringLiteral("client_assertion"), QString::fromLatin1(*assertion)});
    } else if (method == QStringLiteral("client_secret_basic") && !client.clientSecret.isEmpty()) {
        headers.append({"Authorization", basicAuthorization(client.clientId, client.clientSecret)});
    } else if (method == QStringLiteral("client_secret_post") && !client.clientSecret.isEmpty()) {
        form.append({QStringLiteral("client_id"), client.clientId});
        form.append({QStringLiteral("client_secret"), client.clientSecret});
    } else {
        done(std::nullopt,
             QStringLiteral("the client credentials grant needs a client secret or private key for %1 in the "
                            "keychain (latchkey client secret|key set %1)")
                 .arg(as.issuer),
             {});
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
