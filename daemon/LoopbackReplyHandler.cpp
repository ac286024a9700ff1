#include "LoopbackReplyHandler.h"

#include "HttpFetcher.h"

#include <QHostAddress>
#include <QNetworkReply>
#include <QOAuthHttpServerReplyHandler>

namespace latchkey {

LoopbackReplyHandler::LoopbackReplyHandler(Gate gate, QObject *parent)
    : QOAuthOobReplyHandler(parent),
      m_server(new QOAuthHttpServerReplyHandler(QHostAddress::LocalHost, 0, this)) // never all interfaces
      ,
      m_gate(std::move(gate))
{
    m_server->setCallbackPath(QStringLiteral("/callback"));
    m_server->setCallbackText(QStringLiteral("Latchkey received the answer. You can close this tab and return to "
                                             "your application."));
    connect(m_server, &QAbstractOAuthReplyHandler::callbackReceived, this, [this](const QVariantMap &values) {
        QString failure;
        switch (m_gate(values, &failure)) {
        case Verdict::Pass:
            Q_EMIT callbackReceived(values);
            break;
        case Verdict::Ignore:
            break;
        case Verdict::Fail:
            Q_EMIT callbackRefused(failure);
            break;
        }
    });
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
