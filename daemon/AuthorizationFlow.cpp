#include "AuthorizationFlow.h"

#include "LoopbackReplyHandler.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QNetworkAccessManager>
#include <QOAuth2AuthorizationCodeFlow>

#include <openssl/rand.h>

namespace latchkey {

namespace {

constexpr qsizetype kMaxShownError = 200;

// Qt 6.4 puts a client secret only in the token request's form (client_secret_post). For
// client_secret_basic the token request gets it in the Authorization header instead (RFC 6749 §2.3.1:
// client_id and secret form-encoded, then Base64); nothing else sent through here carries it.
class BasicAuthNetworkManager : public QNetworkAccessManager
{
public:
    BasicAuthNetworkManager(QUrl tokenEndpoint, const QString &clientId, const QString &secret, QObject *parent)
        : QNetworkAccessManager(parent), m_tokenEndpoint(std::move(tokenEndpoint)),
          m_credentials("Basic " +
                        (QUrl::toPercentEncoding(clientId) + ':' + QUrl::toPercentEncoding(secret)).toBase64())
    {
        setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }

protected:
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &original, QIODevice *outgoingData) override
    {
        QNetworkRequest request(original);
        if (op == PostOperation && request.url() == m_tokenEndpoint) {
            request.setRawHeader("Authorization", m_credentials);
        }
        return QNetworkAccessManager::createRequest(op, request, outgoingData);
    }

private:
    QUrl m_tokenEndpoint;
    QByteArray m_credentials;
};

// An AS-supplied string we may show: printable, single-line, capped.
QString shown(const QVariant &value)
{
    QString text = value.toString().simplified().left(kMaxShownError);
    text.removeIf([](QChar c) { return !c.isPrint(); });
    return text;
}

} // namespace

QString AuthorizationFlow::randomToken(int bytes)
{
    QByteArray buffer(bytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(buffer.data()), bytes) != 1) {
        qFatal("the system random generator failed");
    }
    return QString::fromLatin1(buffer.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString AuthorizationFlow::makeVerifier()
{
    return randomToken(32); // 43 characters of base64url
}

QString AuthorizationFlow::challengeFor(const QString &verifier)
{
    return QString::fromLatin1(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)
                                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

AuthorizationFlow::AuthorizationFlow(QNetworkAccessManager *network, AuthorizationServerMetadata as, Client client,
                                     QString resource, QString scope, BrowserHook browser, QObject *parent)
    : QObject(parent), m_as(std::move(as)), m_client(std::move(client)), m_resource(std::move(resource)),
      m_scope(std::move(scope)), m_browser(std::move(browser)), m_state(randomToken(32)), m_verifier(makeVerifier()),
      m_flow(new QOAuth2AuthorizationCodeFlow(network, this)), m_handler(makeHandler())
{
    const bool basic = !m_client.clientSecret.isEmpty() && m_client.authMethod == QStringLiteral("client_secret_basic");
    const bool post = !m_client.clientSecret.isEmpty() && m_client.authMethod == QStringLiteral("client_secret_post");
    if (basic) {
        m_flow->setNetworkAccessManager(
            new BasicAuthNetworkManager(m_as.tokenEndpoint, m_client.clientId, m_client.clientSecret, this));
    }
    m_flow->setAuthorizationUrl(m_as.authorizationEndpoint);
    m_flow->setAccessTokenUrl(m_as.tokenEndpoint);
    m_flow->setClientIdentifier(m_client.clientId);
    if (post) {
        m_flow->setClientIdentifierSharedKey(m_client.clientSecret);
    }
    if (!m_scope.isEmpty()) {
        m_flow->setScope(m_scope);
    }
    m_flow->setReplyHandler(m_handler);
    m_flow->setState(m_state); // Qt checks the callback against its own copy too
    // Qt 6.4 has no PKCE and no resource indicators: add them, and our own 256-bit state.
    m_flow->setModifyParametersFunction([this](QAbstractOAuth::Stage stage, QMultiMap<QString, QVariant> *params) {
        switch (stage) {
        case QAbstractOAuth::Stage::RequestingAuthorization:
            params->replace(QStringLiteral("state"), m_state);
            params->replace(QStringLiteral("code_challenge"), challengeFor(m_verifier));
            params->replace(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
            if (!m_resource.isEmpty()) { // an IdP sign-in is for no resource
                params->replace(QStringLiteral("resource"), m_resource);
            }
            if (!m_nonce.isEmpty()) {
                params->replace(QStringLiteral("nonce"), m_nonce);
            }
            if (params->value(QStringLiteral("scope")).toString().isEmpty()) {
                params->remove(QStringLiteral("scope")); // no scope at all, rather than an empty one
            }
            // OpenID Connect §11: offline_access is ignored unless consent is prompted for.
            if (m_scope.split(QLatin1Char(' ')).contains(QStringLiteral("offline_access"))) {
                params->replace(QStringLiteral("prompt"), QStringLiteral("consent"));
            }
            break;
        case QAbstractOAuth::Stage::RequestingAccessToken:
            params->replace(QStringLiteral("code_verifier"), m_verifier);
            if (!m_resource.isEmpty()) {
                params->replace(QStringLiteral("resource"), m_resource);
            }
            if (params->value(QStringLiteral("client_secret")).toString().isEmpty()) {
                params->remove(QStringLiteral("client_secret"));
            }
            break;
        default:
            break;
        }
    });
    connect(m_flow, &QAbstractOAuth::authorizeWithBrowser, this, [this](const QUrl &url) {
        m_authorizationUrl = url;
        Q_EMIT authorizationUrlReady(url);
        QString why;
        if (m_browser && !m_browser(url, &why)) {
            // Not fatal: the person can open the URL by hand; the timeout still applies.
            Q_UNUSED(why);
        }
    });
    connect(m_handler, &LoopbackReplyHandler::callbackRefused, this,
            [this](const QString &reason) { finish(std::nullopt, reason); });
    connect(m_handler, &LoopbackReplyHandler::tokenReplyReceived, this,
            [this](int status, const QByteArray &body, const QString &transport) {
                if (!transport.isEmpty()) {
                    finish(std::nullopt, QStringLiteral("the token request failed: %1").arg(transport));
                    return;
                }
                if (status < 200 || status >= 300) {
                    const TokenError failure = TokenError::fromResponse(status, body);
                    m_errorCode = failure.code;
                    finish(std::nullopt,
                           QStringLiteral("the authorization server refused the code: %1").arg(failure.toString()));
                    return;
                }
                QString error;
                auto tokens = TokenSet::fromTokenResponse(body, QDateTime::currentMSecsSinceEpoch(), &error);
                if (!tokens) {
                    finish(std::nullopt, error);
                    return;
                }
                m_tokenResponse = body;
                tokens->issuer = m_as.issuer;
                tokens->clientId = m_client.clientId;
                tokens->resource = m_resource;
                if (tokens->scope.isEmpty()) {
                    tokens->scope = m_scope;
                }
                finish(tokens, {});
            });
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] { finish(std::nullopt, QStringLiteral("sign-in timed out: no answer from the browser")); });
}

AuthorizationFlow::~AuthorizationFlow() = default;

LoopbackReplyHandler *AuthorizationFlow::makeHandler()
{
    return new LoopbackReplyHandler(
        [this](const QVariantMap &received, QString *failure) {
            // Qt 6.4 hands the query values over still percent-encoded.
            QVariantMap values;
            for (auto it = received.cbegin(); it != received.cend(); ++it) {
                values.insert(it.key(), QUrl::fromPercentEncoding(it.value().toString().toUtf8()));
            }
            // A request without our state is not the answer to our request: ignore it, keep listening.
            if (values.value(QStringLiteral("state")).toString() != m_state) {
                return LoopbackReplyHandler::Verdict::Ignore;
            }
            // RFC 9207: the answer must come from the issuer we asked. On a mismatch nothing else in it
            // (error, error_description) is trusted or shown.
            const QVariant iss = values.value(QStringLiteral("iss"));
            if (iss.isValid() && iss.toString() != m_as.issuer) {
                *failure = QStringLiteral("the authorization response came from issuer \"%1\", not \"%2\" (RFC 9207): "
                                          "refused")
                               .arg(shown(iss), m_as.issuer);
                return LoopbackReplyHandler::Verdict::Fail;
            }
            if (!iss.isValid() && m_as.issParameterSupported) {
                *failure = QStringLiteral("the authorization response has no iss although the authorization server "
                                          "promises one (RFC 9207): refused");
                return LoopbackReplyHandler::Verdict::Fail;
            }
            if (values.contains(QStringLiteral("error"))) {
                *failure = QStringLiteral("the authorization server said %1")
                               .arg(shown(values.value(QStringLiteral("error"))));
                const QString description = shown(values.value(QStringLiteral("error_description")));
                if (!description.isEmpty()) {
                    *failure += QStringLiteral(": ") + description;
                }
                return LoopbackReplyHandler::Verdict::Fail;
            }
            if (values.value(QStringLiteral("code")).toString().isEmpty()) {
                *failure = QStringLiteral("the authorization response has no code");
                return LoopbackReplyHandler::Verdict::Fail;
            }
            return LoopbackReplyHandler::Verdict::Pass;
        },
        this);
}

QString AuthorizationFlow::redirectUri() const
{
    return m_handler->callback();
}

void AuthorizationFlow::start(int timeoutMs)
{
    if (!m_handler->isListening()) {
        finish(std::nullopt, QStringLiteral("cannot listen on 127.0.0.1 for the redirect"));
        return;
    }
    m_timeout.start(timeoutMs);
    m_flow->grant();
}

void AuthorizationFlow::cancel(const QString &reason)
{
    finish(std::nullopt, reason);
}

void AuthorizationFlow::finish(const std::optional<TokenSet> &tokens, const QString &error)
{
    if (m_done) {
        return;
    }
    m_done = true;
    m_timeout.stop();
    Q_EMIT finished(tokens, error);
}

} // namespace latchkey
