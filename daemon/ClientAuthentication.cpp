#include "ClientAuthentication.h"

#include "ClientAssertion.h"

#include <QDateTime>
#include <QUrl>

namespace latchkey {

QByteArray ClientAuthentication::basicAuthorization(const QString &clientId, const QString &secret)
{
    return "Basic " + (QUrl::toPercentEncoding(clientId) + ':' + QUrl::toPercentEncoding(secret)).toBase64();
}

QString ClientAuthentication::apply(const AuthorizationServerMetadata &as, const ClientRegistration::Client &client,
                                    Form *form, HttpFetcher::Headers *headers)
{
    const QString &method = client.authMethod;
    if (method == QStringLiteral("private_key_jwt")) {
        QString why;
        // The audience is the AS's issuer identifier (RFC 7523 §3, as updated for mix-up resistance).
        const auto assertion = ClientAssertion::make(client.privateKey, client.signingAlgorithm, client.clientId,
                                                     as.issuer, QDateTime::currentSecsSinceEpoch(), &why);
        if (!assertion) {
            return why;
        }
        form->append({QStringLiteral("client_id"), client.clientId});
        form->append({QStringLiteral("client_assertion_type"),
                      QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")});
        form->append({QStringLiteral("client_assertion"), QString::fromLatin1(*assertion)});
        return {};
    }
    if (method == QStringLiteral("client_secret_basic") || method == QStringLiteral("client_secret_post")) {
        if (client.clientSecret.isEmpty()) {
            return QStringLiteral("no client secret for %1 in the keychain (latchkey client secret set %1)")
                .arg(as.issuer);
        }
        if (method == QStringLiteral("client_secret_basic")) {
            headers->append({"Authorization", basicAuthorization(client.clientId, client.clientSecret)});
        } else {
            form->append({QStringLiteral("client_id"), client.clientId});
            form->append({QStringLiteral("client_secret"), client.clientSecret});
        }
        return {};
    }
    form->append({QStringLiteral("client_id"), client.clientId});
    return {};
}

} // namespace latchkey
