#pragma once

#include "OAuthMetadata.h"
#include "TokenSet.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QOAuth2AuthorizationCodeFlow;

namespace latchkey {

class LoopbackReplyHandler;

// One interactive sign-in: the OAuth 2.1 authorization code flow with PKCE S256 through
// QOAuth2AuthorizationCodeFlow, a loopback redirect on 127.0.0.1, `resource` on the authorization and
// token requests (RFC 8707), a 256-bit `state`, and the RFC 9207 `iss` check. The browser is opened
// through the hook; finished() fires exactly once (tokens, or an error that says what went wrong).
class AuthorizationFlow : public QObject
{
    Q_OBJECT

public:
    struct Client
    {
        QString clientId;
        QString clientSecret; // empty for public clients
        // Token endpoint authentication (RFC 7591 §2): "client_secret_basic" (the Authorization header),
        // "client_secret_post" (in the form), anything else sends no secret.
        QString authMethod = QStringLiteral("none");
    };
    // Opens the URL for the person; false with *error when it cannot.
    using BrowserHook = std::function<bool(const QUrl &url, QString *error)>;

    AuthorizationFlow(QNetworkAccessManager *network, AuthorizationServerMetadata as, Client client, QString resource,
                      QString scope, BrowserHook browser, QObject *parent = nullptr);
    ~AuthorizationFlow() override;

    void start(int timeoutMs = 5 * 60 * 1000);
    void cancel(const QString &reason = QStringLiteral("sign-in was cancelled"));
    QUrl authorizationUrl() const { return m_authorizationUrl; }
    QString redirectUri() const;
    // OpenID Connect: a nonce for the ID token (sent on the authorization request when set).
    void setNonce(const QString &nonce) { m_nonce = nonce; }
    // The successful token response as the AS sent it (an OIDC sign-in reads id_token from it).
    QByteArray tokenResponse() const { return m_tokenResponse; }
    // The OAuth error code behind a failure (e.g. invalid_client), when the AS gave one.
    QString errorCode() const { return m_errorCode; }

    // PKCE (RFC 7636): a 256-bit verifier and its S256 challenge.
    static QString makeVerifier();
    static QString challengeFor(const QString &verifier);
    static QString randomToken(int bytes);

Q_SIGNALS:
    void authorizationUrlReady(const QUrl &url);
    void finished(const std::optional<latchkey::TokenSet> &tokens, const QString &error);

private:
    void finish(const std::optional<TokenSet> &tokens, const QString &error);
    LoopbackReplyHandler *makeHandler();

    AuthorizationServerMetadata m_as;
    Client m_client;
    QString m_resource;
    QString m_scope;
    BrowserHook m_browser;
    QString m_state;
    QString m_verifier;
    QUrl m_authorizationUrl;
    QTimer m_timeout;
    bool m_done = false;
    QString m_errorCode;
    QString m_nonce;
    QByteArray m_tokenResponse;
    QOAuth2AuthorizationCodeFlow *m_flow;
    LoopbackReplyHandler *m_handler;
};

} // namespace latchkey
