#pragma once

#include "OAuthMetadata.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <optional>

namespace latchkey {

class HttpFetcher;
class Vault;

// How Latchkey is known to an authorization server, keyed by the AS issuer (mcp-auth.md item 5):
// a pre-registered client for that issuer, else a Client ID Metadata Document when the AS supports
// it and a document URL is configured, else Dynamic Client Registration (RFC 7591). A DCR client is
// kept in the vault (its secret, if any, is a secret) and dropped when the AS says invalid_client.
class ClientRegistration : public QObject
{
    Q_OBJECT

public:
    struct Client
    {
        QString method; // "preregistered", "cimd" or "dcr"
        QString clientId;
        QString clientSecret;
        // How the client authenticates at the token endpoint (RFC 7591 §2): "none",
        // "client_secret_basic", "client_secret_post" or "private_key_jwt".
        QString authMethod = QStringLiteral("none");
        // "authorization_code" (a person signs in) or "client_credentials" (a machine client).
        QString grantType = QStringLiteral("authorization_code");
        QByteArray privateKey = {};                         // PEM, for private_key_jwt; from the keychain
        QString signingAlgorithm = QStringLiteral("ES256"); // or RS256
    };
    struct Settings
    {
        QHash<QString, QString> preregistered;     // issuer → client_id
        QHash<QString, QString> authMethods;       // issuer → token_endpoint_auth_method, when oauth.json says
        QHash<QString, QString> grantTypes;        // issuer → "client_credentials" for machine clients
        QHash<QString, QString> signingAlgorithms; // issuer → private_key_jwt algorithm (default ES256)
        QString metadataDocumentUrl;               // Latchkey's published client_id URL, if any
    };
    using Callback = std::function<void(const std::optional<Client> &client, const QString &error)>;

    ClientRegistration(HttpFetcher &http, Vault &vault, Settings settings, QObject *parent = nullptr);

    // What ensure() would use, for showing before any sign-in.
    QString plan(const AuthorizationServerMetadata &as) const;
    void ensure(const AuthorizationServerMetadata &as, Callback done);
    // The client ensure() would use, without registering anything: nullopt when there is none yet.
    void known(const AuthorizationServerMetadata &as, Callback done);
    // A client an administrator configured elsewhere (the enterprise policy): used like one from oauth.json.
    // authMethod empty: decided from the keychain and the AS as for any pre-registered client.
    void preregister(const QString &issuer, const QString &clientId, const QString &authMethod);
    // Forget a registration the AS no longer knows; the next ensure() registers again.
    void drop(const QString &issuer, std::function<void()> done);

    static QString vaultKey(const QString &issuer);
    // Where a pre-registered (confidential) client's secret for this issuer is kept: the keychain only.
    static QString secretVaultKey(const QString &issuer);
    // And its private key (PEM) for private_key_jwt.
    static QString privateKeyVaultKey(const QString &issuer);
    // The token endpoint authentication a client with (or without) a secret uses at this AS: none without
    // a secret; else client_secret_basic unless the AS lists only client_secret_post (RFC 8414 §2: an
    // absent list means client_secret_basic).
    static QString authMethodFor(const AuthorizationServerMetadata &as, bool hasSecret);
    // Settings from $XDG_CONFIG_HOME/latchkey/oauth.json (non-secret); empty when absent.
    static Settings loadSettings(const QString &path, QString *error);
    static QString defaultSettingsPath();

private:
    void lookup(const AuthorizationServerMetadata &as, bool registerIfMissing, Callback done);
    void registerDynamically(const AuthorizationServerMetadata &as, Callback done);

    HttpFetcher &m_http;
    Vault &m_vault;
    Settings m_settings;
};

} // namespace latchkey
