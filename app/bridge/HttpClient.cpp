#include "HttpClient.h"

#include <QSocketNotifier>

#include <limits>

#include <curl/curl.h>

namespace latchkey::bridge {

HttpClient::HttpClient(QObject *parent) : QObject(parent)
{
    // Once per process, before any other libcurl call (the bridge has one thread that uses it).
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    Q_UNUSED(initialized)
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &HttpClient::onSocket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &HttpClient::onTimer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    m_share = curl_share_init();
    curl_share_setopt(m_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { perform(CURL_SOCKET_TIMEOUT, 0); });
}

HttpClient::~HttpClient()
{
    const auto replies = findChildren<HttpReply *>(Qt::FindDirectChildrenOnly);
    for (HttpReply *reply : replies) {
        reply->release();
    }
    const auto fds = m_watches.keys();
    for (const int fd : fds) {
        unwatch(fd);
    }
    curl_multi_cleanup(m_multi);
    curl_share_cleanup(m_share);
}

HttpReply *HttpClient::send(const QByteArray &method, const QUrl &url, const Headers &headers, const QByteArray &body,
                            int timeoutMs)
{
    Headers safe;
    safe.reserve(headers.size());
    for (const auto &[name, value] : headers) {
        const auto breaks = [](const QByteArray &text) {
            return text.contains('\r') || text.contains('\n') || text.contains('\0');
        };
        if (!name.isEmpty() && !name.contains(':') && !name.contains(' ') && !breaks(name) && !breaks(value)) {
            safe.append({name, value});
        }
    }
    auto *reply = new HttpReply(this, method, url, std::move(safe), body, timeoutMs);
    if (!reply->prepare() || !start(reply)) {
        // Told like any other failure: from the event loop, after the caller has connected.
        reply->m_done = true;
        markDirty(reply);
        QMetaObject::invokeMethod(
            this, [this] { perform(CURL_SOCKET_TIMEOUT, 0); }, Qt::QueuedConnection);
    }
    return reply;
}

bool HttpClient::start(HttpReply *reply)
{
    if (curl_multi_add_handle(m_multi, reply->m_easy) != CURLM_OK) {
        reply->m_error = QStringLiteral("cannot start the request");
        reply->release();
        return false;
    }
    return true;
}

void HttpClient::stop(HttpReply *reply)
{
    curl_multi_remove_handle(m_multi, reply->m_easy);
}

int HttpClient::onSocket(void *, int fd, int what, void *self, void *)
{
    auto *client = static_cast<HttpClient *>(self);
    if (what == CURL_POLL_REMOVE) {
        client->unwatch(fd);
        return 0;
    }
    Watch &watch = client->m_watches[fd];
    const auto ensure = [client, fd](QSocketNotifier *&notifier, QSocketNotifier::Type type, int events, bool wanted) {
        if (!notifier && wanted) {
            notifier = new QSocketNotifier(fd, type, client);
            connect(notifier, &QSocketNotifier::activated, client,
                    [client, fd, events] { client->perform(fd, events); });
        }
        if (notifier) {
            notifier->setEnabled(wanted);
        }
    };
    ensure(watch.read, QSocketNotifier::Read, CURL_CSELECT_IN, (what & CURL_POLL_IN) != 0);
    ensure(watch.write, QSocketNotifier::Write, CURL_CSELECT_OUT, (what & CURL_POLL_OUT) != 0);
    return 0;
}

int HttpClient::onTimer(void *, long timeoutMs, void *self)
{
    auto *client = static_cast<HttpClient *>(self);
    if (timeoutMs < 0) {
        client->m_timer.stop();
    } else {
        client->m_timer.start(static_cast<int>(qMin<long>(timeoutMs, std::numeric_limits<int>::max())));
    }
    return 0;
}

void HttpClient::unwatch(int fd)
{
    const Watch watch = m_watches.take(fd);
    // Possibly the notifier whose signal is being delivered right now: disable now, delete later.
    for (QSocketNotifier *notifier : {watch.read, watch.write}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
}

void HttpClient::markDirty(HttpReply *reply)
{
    if (!m_dirty.contains(reply)) {
        m_dirty.append(reply);
    }
}

void HttpClient::perform(int fd, int events)
{
    int running = 0;
    curl_multi_socket_action(m_multi, fd, events, &running);
    int left = 0;
    while (CURLMsg *message = curl_multi_info_read(m_multi, &left)) {
        if (message->msg != CURLMSG_DONE) {
            continue;
        }
        void *owner = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &owner);
        if (owner) {
            static_cast<HttpReply *>(owner)->complete(message->data.result);
        }
    }
    // Signals only now, outside libcurl: their receivers may send, read or abort.
    while (!m_dirty.isEmpty()) {
        const auto dirty = std::exchange(m_dirty, {});
        for (const QPointer<HttpReply> &reply : dirty) {
            if (reply) {
                reply->dispatch();
            }
        }
    }
}

} // namespace latchkey::bridge
