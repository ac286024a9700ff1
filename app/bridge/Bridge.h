#pragma once

#include "Client.h"
#include "HttpClient.h"
#include "StdioChannel.h"

#include <QObject>
#include <QUrl>

#include <functional>

namespace latchkey::bridge {

// `latchkey connect URL`: newline-delimited JSON-RPC on stdio ↔ MCP Streamable HTTP at URL.
// Tokens come from the daemon for every request and are never kept here; the daemon refreshes them
// (one refresh however many bridges hit a 401) and signs in when needed; a 401 from a server that looked
// open (it answered initialize without a token) makes the daemon discover its authorization from that
// challenge. On 403 insufficient_scope the grant is stepped up with the union of scopes: once per
// distinct challenge and at most three times per session, so a server that never accepts cannot loop us.
class Bridge : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QUrl url;
        QList<QPair<QByteArray, QByteArray>> headers; // --header K:V, sent on every request
        QStringList scopes;
        bool assumeYes = false;
        QString socketPath;
    };

    explicit Bridge(Options options, QObject *parent = nullptr);
    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    using Json = ipc::Json;
    void resolve(std::function<void()> ready);
    void addServer(std::function<void()> ready);
    void fetchHeaders(std::function<void()> ready);
    void signIn(const QString &scope, const QByteArray &challenge,
                std::function<void(bool ok, const QString &why)> done);
    void onLine(const QByteArray &line);
    void send(const Json &message, int attempt, const std::string &rejected = {});
    void post(const Json &message, const QString &token, int attempt);
    struct Exchange; // what one POST brought back so far
    void onReply(HttpReply *reply, const Exchange &exchange, const Json &message, const QString &token, int attempt);
    enum class Delivery
    {
        NotJson,
        Relayed,
        Answered // one of the messages was the answer to the request
    };
    // Relays the JSON-RPC message(s) in body to stdout.
    Delivery deliver(const QByteArray &body, const Json &id = nullptr);
    void fail(const Json &message, int code, const QString &text);
    // The bridge cannot serve the server at all (daemon unreachable, server unknown or unreachable): every
    // request, waiting or still to come, is answered with `why` until stdin closes; then exit with `exitCode`.
    void startFailed(int exitCode, const QString &why);
    void refuse(const Json &message);
    void openStream();
    void done(const Json &message);
    void maybeFinish();
    // The headers of every request to the server; protocolVersion overrides the negotiated one.
    HttpClient::Headers headers(const QString &token, QByteArrayView accept, QByteArray protocolVersion = {}) const;
    void log(const QString &text) const;

    Options m_options;
    ipc::Client m_daemon;
    StdioChannel m_stdio;
    HttpClient m_http;
    QString m_server;
    QList<QPair<QByteArray, QByteArray>> m_secretHeaders; // from the daemon (server.headers), never logged
    bool m_authRequired = true;
    bool m_ready = false;
    bool m_initializing = false;
    bool m_initialized = false;
    bool m_stdinClosed = false;
    bool m_finishing = false;
    bool m_streamOpen = false;
    int m_inFlight = 0;
    int m_startFailureCode = 0;
    QString m_startFailure;
    QByteArray m_sessionId;
    QByteArray m_protocolVersion;
    QByteArray m_challenge;     // WWW-Authenticate of the last 401, for the sign-in it may lead to
    QStringList m_steppedUpFor; // the insufficient_scope challenges already answered with a step-up
    QList<Json> m_waiting;      // messages that arrived before the session was ready
    QList<std::function<void(bool, const QString &)>> m_signInWaiters;
};

} // namespace latchkey::bridge
