#include "HttpFetcher.h"

#include "EndpointPolicy.h"

#include <QNetworkReply>
#include <QTimer>

#include <memory>

namespace latchkey {

QByteArray HttpResponse::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

QList<QByteArray> HttpResponse::headerValues(QByteArrayView name) const
{
    QList<QByteArray> values;
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            values << value;
        }
    }
    return values;
}

HttpFetcher::HttpFetcher(QObject *parent) : QObject(parent)
{
    m_manager.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_manager.setAutoDeleteReplies(false);
}

QByteArray HttpFetcher::encodeForm(const QList<QPair<QString, QString>> &form)
{
    QByteArray out;
    for (const auto &[key, value] : form) {
        if (!out.isEmpty()) {
            out += '&';
        }
        out += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
    }
    return out;
}

void HttpFetcher::get(const QUrl &url, const Headers &headers, Callback done)
{
    send("GET", url, {}, {}, headers, std::move(done));
}

void HttpFetcher::post(const QUrl &url, const QByteArray &contentType, const QByteArray &body, const Headers &headers,
                       Callback done)
{
    send("POST", url, contentType, body, headers, std::move(done));
}

void HttpFetcher::deleteResource(const QUrl &url, const Headers &headers, Callback done)
{
    send("DELETE", url, {}, {}, headers, std::move(done));
}

void HttpFetcher::postForm(const QUrl &url, const QList<QPair<QString, QString>> &form, const Headers &headers,
                           Callback done)
{
    send("POST", url, "application/x-www-form-urlencoded", encodeForm(form), headers, std::move(done));
}

void HttpFetcher::send(const QByteArray &verb, const QUrl &url, const QByteArray &contentType, const QByteArray &body,
                       const Headers &headers, Callback done)
{
    if (const QString why = oauth::EndpointPolicy::checkEndpoint(url.toString(QUrl::FullyEncoded)); !why.isEmpty()) {
        HttpResponse refused;
        refused.error = why;
        QTimer::singleShot(0, this, [done = std::move(done), refused] { done(refused); });
        return;
    }
    QNetworkRequest request(url);
    request.setTransferTimeout(m_timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArray("Latchkey/" LATCHKEY_VERSION));
    if (!contentType.isEmpty()) {
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    }
    for (const auto &[key, value] : headers) {
        request.setRawHeader(key, value);
    }
    QNetworkReply *reply = m_manager.sendCustomRequest(request, verb, body);
    auto capped = std::make_shared<bool>(false);
    // Stop reading as soon as the answer is bigger than we accept, declared or not.
    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply, capped] {
        if (reply->header(QNetworkRequest::ContentLengthHeader).toLongLong() > kMaxBody) {
            *capped = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply, capped](qint64 received, qint64) {
        if (received > kMaxBody) {
            *capped = true;
            reply->abort();
        }
    });
    const int timeoutMs = m_timeoutMs;
    connect(reply, &QNetworkReply::finished, this, [reply, capped, url, timeoutMs, done = std::move(done)] {
        HttpResponse response;
        response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (*capped) {
            response.error =
                QStringLiteral("%1 answered with more than %2 bytes").arg(url.toDisplayString()).arg(kMaxBody);
        } else {
            response.body = reply->readAll();
            response.headers = reply->rawHeaderPairs();
            if (reply->error() == QNetworkReply::OperationCanceledError && response.status == 0) {
                response.error = QStringLiteral("%1 did not answer within %2 s")
                                     .arg(url.toDisplayString(), QString::number(timeoutMs / 1000.0));
            } else if (reply->error() != QNetworkReply::NoError && response.status == 0) {
                response.error = QStringLiteral("%1: %2").arg(url.toDisplayString(), reply->errorString());
            }
        }
        reply->deleteLater();
        done(response);
    });
}

} // namespace latchkey
