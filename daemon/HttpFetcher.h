#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPair>
#include <QUrl>

#include <functional>

namespace latchkey {

struct HttpResponse
{
    int status = 0; // 0 when no HTTP answer arrived
    QString error;  // transport error, size cap or policy refusal; empty otherwise
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    bool ok() const { return error.isEmpty() && status >= 200 && status < 300; }
    QByteArray header(QByteArrayView name) const; // the first, case-insensitive
    QList<QByteArray> headerValues(QByteArrayView name) const;
};

// Every HTTP request the OAuth engine makes goes through here: a timeout on each request, a cap on
// what is read (checked while it downloads), no redirects followed, and only endpoints that
// EndpointPolicy accepts (https, or http to loopback).
class HttpFetcher : public QObject
{
    Q_OBJECT

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;
    using Callback = std::function<void(const HttpResponse &)>;
    static constexpr qint64 kMaxBody = 1024 * 1024;
    static constexpr int kTimeoutMs = 15000;

    explicit HttpFetcher(QObject *parent = nullptr);

    void get(const QUrl &url, const Headers &headers, Callback done);
    void post(const QUrl &url, const QByteArray &contentType, const QByteArray &body, const Headers &headers,
              Callback done);
    void deleteResource(const QUrl &url, const Headers &headers, Callback done);
    // application/x-www-form-urlencoded, each value percent-encoded.
    void postForm(const QUrl &url, const QList<QPair<QString, QString>> &form, const Headers &headers, Callback done);

    QNetworkAccessManager *manager() { return &m_manager; }
    void setTimeout(int ms) { m_timeoutMs = ms; }

    static QByteArray encodeForm(const QList<QPair<QString, QString>> &form);

private:
    void send(const QByteArray &verb, const QUrl &url, const QByteArray &contentType, const QByteArray &body,
              const Headers &headers, Callback done);

    QNetworkAccessManager m_manager;
    int m_timeoutMs = kTimeoutMs;
};

} // namespace latchkey
