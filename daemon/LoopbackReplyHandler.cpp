#include "LoopbackReplyHandler.h"

#include "HttpFetcher.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QNetworkReply>
#include <QOAuthHttpServerReplyHandler>
#include <QTimer>

namespace latchkey {

namespace {

// Qt builds the page after callbackReceived returns, so the text set while handling a request is the
// text that request gets. Fixed strings only: Qt puts the text into HTML as it is.
const QString kTaken = QStringLiteral("Latchkey received the answer. You can close this tab and return to your "
                                      "application.");
const QString kRefused = QStringLiteral("Latchkey refused this answer from the authorization server; your application "
                                        "says why. You can close this tab.");
const QString kNotOurs = QStringLiteral("Latchkey is not waiting for this answer; it was ignored.");

// How long the listener's sockets may take to deliver their last page once the flow is over.
constexpr int kLingerMs = 5000;

} // namespace

LoopbackReplyHandler::LoopbackReplyHandler(Gate gate, QObject *parent)
    : QOAuthOobReplyHandler(parent),
      m_server(new QOAuthHttpServerReplyHandler(QHostAddress::LocalHost, 0, this)) // never all interfaces
      ,
      m_gate(std::move(gate))
{
    m_server->setCallbackPath(QStringLiteral("/callback"));
    m_server->setCallbackText(kTaken);
    connect(m_server, &QAbstractOAuthReplyHandler::callbackReceived, this, [this](const QVariantMap &values) {
        QString failure;
        switch (m_gate(values, &failure)) {
        case Verdict::Pass:
            m_server->setCallbackText(kTaken);
            Q_EMIT callbackReceived(values);
            break;
        case Verdict::Ignore:
            m_server->setCallbackText(kNotOurs);
            break;
        case Verdict::Fail:
            m_server->setCallbackText(kRefused);
            Q_EMIT callbackRefused(failure);
            break;
        }
    });
}

LoopbackReplyHandler::~LoopbackReplyHandler()
{
    // A refusal ends the flow while Qt is still answering the browser: the page is queued on a socket
    // that belongs to the listener. Deleting the listener now would drop that connection without a
    // byte (the browser shows an empty response), so stop listening and let it go a little later.
    // The application keeps it meanwhile, so nothing outlives the application.
    m_server->close();
    m_server->setParent(QCoreApplication::instance());
    QTimer::singleShot(kLingerMs, m_server, &QObject::deleteLater);
}

bool LoopbackReplyHandler::isListening() const
{
    return m_server->isListening();
}

QString LoopbackReplyHandler::callback() const
{
    return m_server->callback();
}

void LoopbackReplyHandler::networkReplyFinished(QNetworkReply *reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->bytesAvailable() > HttpFetcher::kMaxBody) {
        Q_EMIT tokenReplyReceived(status, {}, QStringLiteral("the token endpoint answered with more than 1 MiB"));
        return;
    }
    const QByteArray body = reply->readAll();
    const QString transport =
        status == 0 && reply->error() != QNetworkReply::NoError ? reply->errorString() : QString();
    Q_EMIT tokenReplyReceived(status, body, transport);
}

} // namespace latchkey
