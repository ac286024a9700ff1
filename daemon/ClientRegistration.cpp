#include "ClientRegistration.h"
#include "JsonFields.h"

#include "HttpFetcher.h"
#include "Logging.h"
#include "TokenSet.h"
#include "Vault.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

namespace latchkey {

using nlohmann::json;

namespace {} // namespace

ClientRegistration::ClientRegistration(HttpFetcher &http, Vault &vault, Settings settings, QObject *parent)
    : QObject(parent), m_http(http), m_vault(vault), m_settings(std::move(settings))
{}

QString ClientRegistration::defaultSettingsPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("latchkey/oauth.json"));
}

ClientRegistration::Settings ClientRegistration::loadSettings(const QString &path, QString *error)
{
    Settings settings;
    QFile file(path);
    if (!file.exists()) {
        return settings;
    }
    if (!file.open(QIODevice::ReadOnly) || file.size() > 1024 * 1024) {
        *error = QStringLiteral("%1: cannot read it").arg(path);
        return settings;
    }
    const QByteArray data = file.readAll();
    try {
        const json doc = json::parse(data.cbegin(), data.cend());
        if (const auto clients = doc.find("clients"); clients != doc.end() && clients->is_array()) {
            for (const auto &client : *clients) {
                const QString issuer = ipc::jsonString(client, "issuer");
                const QString clientId = ipc::jsonString(client, "client_id");
                if (!issuer.isEmpty() && !clientId.isEmpty()) {
                    settings.preregistered.insert(issuer, clientId);
                    // A secret never lives here: `latchkey client secret set ISSUER` puts it in the keychain.
                    if (const QString method = ipc::jsonString(client, "token_endpoint_auth_method");
                        !method.isEmpty()) {
                        settings.authMethods.insert(issuer, method);
                    }
                    if (const QString grant = ipc::jsonString(client, "grant_type"); !grant.isEmpty()) {
                        settings.grantTypes.insert(issuer, grant);
                    }
                    if (const QString algorithm = ipc::jsonString(client, "signing_algorithm"); !algorithm.isEmpty()) {
                        settings.signingAlgorithms.insert(issuer, algorithm);
                    }
                }
            }
        }
        settings.metadataDocumentUrl = ipc::jsonString(doc, "client_id_metadata_document");
    } catch (const std::exception &e) {
        *error = QStringLiteral("%1: not valid JSON (%2)").arg(path, QString::fromUtf8(e.what()));
    }
    return settings;
}

QString ClientRegistration::vaultKey(const QString &issuer)
{
    return Vault::entryKey(QStringLiteral("client"), issuer, QStringLiteral("registration"));
}

QString ClientRegistration::secretVaultKey(const QString &issuer)
{
    return Vault::entryKey(QStringLiteral("client"), issuer, QStringLiteral("secret"));
}

QString ClientRegistration::privateKeyVaultKey(const QString &issuer)
{
    return Vault::entryKey(QStringLiteral("client"), issuer, QStringLiteral("private_key"));
}

QString ClientRegistration::authMethodFor(const AuthorizationServerMetadata &as, bool hasSecret)
{
    const QStringList &supported = as.tokenEndpointAuthMethods;
    if (!hasSecret) {
        return QStringLiteral("none");
    }
    if (supported.isEmpty() || supported.contains(QStringLiteral("client_secret_basic"))) {
        return QStringLiteral("client_secret_basic");
    }
    if (supported.contains(QStringLiteral("client_secret_post"))) {
        return QStringLiteral("client_secret_post");
    }
    return QStringLiteral("none");
}

QString ClientRegistration::plan(const AuthorizationServerMetadata &as) const
{
    if (m_settings.preregistered.contains(as.issuer)) {
        return QStringLiteral("preregistered");
    }
    if (as.clientIdMetadataDocumentSupported && !m_settings.metadataDocumentUrl.isEmpty()) {
        return QStringLiteral("cimd");
    }
    if (!as.registrationEndpoint.isEmpty()) {
        return QStringLiteral("dcr");
    }
    return {};
}

void ClientRegistration::ensure(const AuthorizationServerMetadata &as, Callback done)
{
    lookup(as, true, std::move(done));
}

void ClientRegistration::preregister(const QString &issuer, const QString &clientId, const QString &authMethod)
{
    m_settings.preregistered.insert(issuer, clientId);
    if (authMethod.isEmpty()) {
        m_settings.authMethods.remove(issuer);
    } else {
        m_settings.authMethods.insert(issuer, authMethod);
    }
}

void ClientRegistration::known(const AuthorizationServerMetadata &as, Callback done)
{
    lookup(as, false, std::move(done));
}

void ClientRegistration::lookup(const AuthorizationServerMetadata &as, bool registerIfMissing, Callback done)
{
    const QString method = plan(as);
    if (method == QStringLiteral("preregistered")) {
        // A confidential pre-registered client has its secret or private key in the keychain; a public
        // one has neither.
        m_vault.read(secretVaultKey(as.issuer), [this, as, done](const SecretStore::Result &secret) {
            m_vault.read(privateKeyVaultKey(as.issuer), [this, as, done, secret](const SecretStore::Result &key) {
                if (secret.status == SecretStore::Status::Unavailable ||
                    key.status == SecretStore::Status::Unavailable) {
                    done(std::nullopt, QStringLiteral("the keychain is unavailable: %1")
                                           .arg(secret.message.isEmpty() ? key.message : secret.message));
                    return;
                }
                Client client{QStringLiteral("preregistered"), m_settings.preregistered.value(as.issuer), {}};
                if (secret.status == SecretStore::Status::Ok) {
                    client.clientSecret = QString::fromUtf8(secret.value);
                }
                if (key.status == SecretStore::Status::Ok) {
                    client.privateKey = key.value;
                }
                client.signingAlgorithm = m_settings.signingAlgorithms.value(as.issuer, QStringLiteral("ES256"));
                client.grantType = m_settings.grantTypes.value(as.issuer, QStringLiteral("authorization_code"));
                client.authMethod = m_settings.authMethods.value(
                    as.issuer, !client.privateKey.isEmpty() ? QStringLiteral("private_key_jwt")
                                                            : authMethodFor(as, !client.clientSecret.isEmpty()));
                done(client, {});
            });
        });
        return;
    }
    if (method == QStringLiteral("cimd")) {
        done(Client{method, m_settings.metadataDocumentUrl, {}, QStringLiteral("none")}, {});
        return;
    }
    if (method.isEmpty()) {
        done(std::nullopt, QStringLiteral("authorization server %1 offers no way to register Latchkey (no client ID "
                                          "metadata documents, no dynamic registration); configure a client_id for it "
                                          "in %2")
                               .arg(as.issuer, defaultSettingsPath()));
        return;
    }
    m_vault.read(vaultKey(as.issuer), [this, as, registerIfMissing, done](const SecretStore::Result &result) {
        if (result.status == SecretStore::Status::Ok) {
            try {
                const json doc = json::parse(result.value.cbegin(), result.value.cend());
                const QString clientId = ipc::jsonString(doc, "client_id");
                if (!clientId.isEmpty()) {
                    Client client{QStringLiteral("dcr"), clientId, ipc::jsonString(doc, "client_secret")};
                    client.authMethod = ipc::jsonString(doc, "token_endpoint_auth_method");
                    if (client.authMethod.isEmpty()) {
                        client.authMethod = authMethodFor(as, !client.clientSecret.isEmpty());
                    }
                    done(client, {});
                    return;
                }
            } catch (const std::exception &) {
            }
        } else if (result.status == SecretStore::Status::Unavailable) {
            done(std::nullopt, QStringLiteral("the keychain is unavailable: %1").arg(result.message));
            return;
        }
        if (!registerIfMissing) {
            done(std::nullopt, {});
            return;
        }
        registerDynamically(as, done);
    });
}

void ClientRegistration::registerDynamically(const AuthorizationServerMetadata &as, Callback done)
{
    // RFC 7591 with RFC 8252 loopback redirects: any port on 127.0.0.1 is ours at sign-in time. A public
    // client, unless the AS takes only confidential ones; then what it lists.
    const QStringList &supported = as.tokenEndpointAuthMethods;
    const QString wanted = supported.isEmpty() || supported.contains(QStringLiteral("none")) ? QStringLiteral("none")
                                                                                             : authMethodFor(as, true);
    const json request = {{"client_name", "Latchkey"},
                          {"redirect_uris", {"http://127.0.0.1/callback"}},
                          {"grant_types", {"authorization_code", "refresh_token"}},
                          {"response_types", {"code"}},
                          {"token_endpoint_auth_method", wanted.toStdString()},
                          {"application_type", "native"}};
    m_http.post(
        as.registrationEndpoint, "application/json", QByteArray::fromStdString(request.dump()),
        {{"Accept", "application/json"}}, [this, as, done](const HttpResponse &response) {
            if (!response.error.isEmpty() || response.status < 200 || response.status >= 300) {
                done(std::nullopt, QStringLiteral("dynamic client registration at %1 failed: %2")
                                       .arg(as.registrationEndpoint.toDisplayString(),
                                            response.error.isEmpty()
                                                ? TokenError::fromResponse(response.status, response.body).toString()
                                                : response.error));
                return;
            }
            json doc;
            try {
                doc = json::parse(response.body.cbegin(), response.body.cend());
            } catch (const std::exception &) {
            }
            const QString clientId = doc.is_object() ? ipc::jsonString(doc, "client_id") : QString();
            if (clientId.isEmpty()) {
                done(std::nullopt, QStringLiteral("dynamic client registration returned no client_id"));
                return;
            }
            Client client{QStringLiteral("dcr"), clientId, ipc::jsonString(doc, "client_secret")};
            // What the AS registered wins over what we asked for (RFC 7591 §3.2.1).
            client.authMethod = ipc::jsonString(doc, "token_endpoint_auth_method");
            if (client.authMethod.isEmpty()) {
                client.authMethod = authMethodFor(as, !client.clientSecret.isEmpty());
            }
            const json stored = {{"client_id", clientId.toStdString()},
                                 {"client_secret", client.clientSecret.toStdString()},
                                 {"token_endpoint_auth_method", client.authMethod.toStdString()},
                                 {"issuer", as.issuer.toStdString()}};
            m_vault.write(vaultKey(as.issuer), QByteArray::fromStdString(stored.dump()),
                          [done, client](const SecretStore::Result &result) {
                              if (result.status != SecretStore::Status::Ok) {
                                  done(std::nullopt, QStringLiteral("cannot keep the registration: the keychain "
                                                                    "is unavailable: %1")
                                                         .arg(result.message));
                                  return;
                              }
                              done(client, {});
                          });
        });
}

void ClientRegistration::drop(const QString &issuer, std::function<void()> done)
{
    m_vault.remove(vaultKey(issuer), [done](const SecretStore::Result &) { done(); });
}

} // namespace latchkey
