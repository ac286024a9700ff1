#include "Bridge.h"

#include "SseParser.h"
#include "TokenHash.h"

#include <QCoreApplication>
#include <QFile>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace latchkey::bridge {

namespace {

constexpr int kMaxStepUps = 3;
constexpr qint64 kMaxJsonBody = 16 * 1024 * 1024;
constexpr qsizetype kMaxChallenge = 4096; // the daemon's cap on a string parameter

QByteArray compact(const ipc::Json &value)
{
    return QByteArray::fromStdString(value.dump(-1, ' ', false, ipc::Json::error_handler_t::replace));
}

// The scope of a Bearer insufficient_scope challenge (RFC 6750 §3), or empty. A small reader: the
// daemon has the full RFC 9110 parser; here only this one quoted parameter matters.
QString challengedScope(const QByteArray &header)
{
    if (!header.contains("insufficient_scope")) {
        return {};
    }
    const qsizetype at = header.indexOf("scope=\"");
    if (at < 0) {
        return {};
    }
    const qsizetype end = header.indexOf('"', at + 7);
    return end < 0 ? QString() : QString::fromUtf8(header.mid(at + 7, end - at - 7));
}

// The scope of a challenge as a set, so that "b a" and "a b" count as the same challenge.
QString normalizedScope(const QString &scope)
{
    QStringList scopes = scope.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    scopes.sort();
    scopes.removeDuplicates();
    return scopes.join(QLatin1Char(' '));
}

// The 2026-07-28 (stateless) wire names the protocol version in each request's _meta; the
// MCP-Protocol-Version header must repeat it.
QByteArray metaProtocolVersion(const ipc::Json &message)
{
    if (!message.is_object()) {
        return {};
    }
    const auto params = message.find("params");
    if (params == message.end() || !params->is_object()) {
        return {};
    }
    const auto meta = params->find("_meta");
    if (meta == params->end() || !meta->is_object()) {
        return {};
    }
    const auto version = meta->find("io.modelcontextprotocol/protocolVersion");
    return version != meta->end() && version->is_string() ? QByteArray::fromStdString(version->get<std::string>())
                                                          : QByteArray();
}

// The id of a request (a message with a method and an id): its answer must reach the client. Null for
// notifications, answers the client sends, and batches.
ipc::Json requestId(const ipc::Json &message)
{
    if (!message.is_object() || !message.contains("method")) {
        return nullptr;
    }
    const auto id = message.find("id");
    return id == message.end() ? ipc::Json(nullptr) : *id;
}

bool askOnTerminal(const QString &question)
{
    QFile tty(QStringLiteral("/dev/tty"));
    if (!tty.open(QIODevice::ReadWrite)) {
        return false;
    }
    tty.write(question.toUtf8());
    tty.flush();
    const QByteArray answer = tty.readLine(16).trimmed().toLower();
    return answer == "y" || answer == "yes";
}

} // namespace

Bridge::Bridge(Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_daemon(m_options.socketPath)
{
    connect(&m_stdio, &StdioChannel::lineReceived, this, &Bridge::onLine);
    connect(&m_stdio, &StdioChannel::lineTooLong, this, [this] {
        m_stdio.write(compact(
            {{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", -32600}, {"message", "message too large"}}}}));
    });
    connect(&m_stdio, &StdioChannel::closed, this, [this] {
        m_stdinClosed = true;
        if (!m_startFailure.isEmpty()) {
            Q_EMIT finished(m_startFailureCode);
            return;
        }
        maybeFinish();
    });
    connect(&m_daemon, &ipc::Client::disconnected, this, [this] {
        if (!m_finishing) {
            log(QStringLiteral("lost the connection to latchkeyd"));
        }
    });
}

void Bridge::log(const QString &text) const
{
    std::fprintf(stderr, "latchkey connect: %s\n", text.toUtf8().constData());
}

void Bridge::start()
{
    if (!m_daemon.connectToDaemon(5000)) {
        startFailed(3,
                    QStringLiteral("cannot reach latchkeyd at %1: %2").arg(m_options.socketPath, m_daemon.lastError()));
        return;
    }
    resolve([this] {
        m_ready = true;
        const auto waiting = std::exchange(m_waiting, {});
        for (const Json &message : waiting) {
            onLine(compact(message));
        }
    });
}

void Bridge::resolve(std::function<void()> ready)
{
    m_daemon.callAsync("server.resolve", {{"url", m_options.url.toString().toStdString()}},
                       [this, ready](const ipc::Response &response) {
                           if (response.ok()) {
                               const Json &server = response.result["server"];
                               m_server = QString::fromStdString(server.value("name", std::string()));
                               m_authRequired = server.value("auth_required", true);
                               const auto headers = server.find("headers");
                               if (headers != server.end() && headers->is_array() && !headers->empty()) {
                                   fetchHeaders(ready);
                                   return;
                               }
                               ready();
                               return;
                           }
                           if (response.errorCode == ipc::error::NotFound) {
                               addServer(ready);
                               return;
                           }
                           startFailed(1, QString::fromStdString(response.errorMessage));
                       });
}

void Bridge::fetchHeaders(std::function<void()> ready)
{
    // The server's static credential headers (an API key, a static bearer), fetched once per session and
    // kept in memory only: one audited handout per bridge, not one per request.
    m_daemon.callAsync("server.headers", {{"name", m_server.toStdString()}},
                       [this, ready](const ipc::Response &response) {
                           if (!response.ok()) {
                               log(QString::fromStdString(response.errorMessage));
                               Q_EMIT finished(1);
                               return;
                           }
                           const Json headers = response.result.value("headers", Json::object());
                           for (const auto &[name, value] : headers.items()) {
                               if (value.is_string()) {
                                   m_secretHeaders.append({QByteArray::fromStdString(name),
                                                           QByteArray::fromStdString(value.get<std::string>())});
                               }
                           }
                           ready();
                       });
}

void Bridge::addServer(std::function<void()> ready)
{
    const QString url = m_options.url.toString();
    if (!m_options.assumeYes &&
        !askOnTerminal(
            QStringLiteral("Latchkey does not know %1 yet. Add it and sign in when it asks? [y/N] ").arg(url))) {
        startFailed(1,
                    QStringLiteral("%1 is not configured; add it with `latchkey add %1` or run with --yes").arg(url));
        return;
    }
    // A readable, unique name: host-port, then -2, -3… if taken.
    QString base = m_options.url.host();
    if (m_options.url.port() > 0) {
        base += QLatin1Char('-') + QString::number(m_options.url.port());
    }
    Json scopes = Json::array();
    for (const QString &scope : std::as_const(m_options.scopes)) {
        scopes.push_back(scope.toStdString());
    }
    auto tryName = std::make_shared<std::function<void(int)>>();
    *tryName = [this, base, scopes, url, ready, tryName](int suffix) {
        const QString name = suffix < 2 ? base : QStringLiteral("%1-%2").arg(base).arg(suffix);
        const Json record = {
            {"name", name.toStdString()}, {"kind", "remote"}, {"url", url.toStdString()}, {"scopes", scopes}};
        m_daemon.callAsync("server.add", {{"server", record}},
                           [this, name, suffix, ready, tryName](const ipc::Response &response) {
                               if (response.errorCode == ipc::error::AlreadyExists && suffix < 20) {
                                   (*tryName)(suffix < 2 ? 2 : suffix + 1);
                                   return;
                               }
                               if (!response.ok()) {
                                   startFailed(1, QString::fromStdString(response.errorMessage));
                                   return;
                               }
                               m_server = name;
                               m_authRequired = response.result["server"].value("auth_required", true);
                               log(QStringLiteral("added %1 as %2").arg(m_options.url.toString(), name));
                               ready();
                           });
    };
    (*tryName)(1);
}

void Bridge::signIn(const QString &scope, const QByteArray &challenge, std::function<void(bool, const QString &)> done)
{
    m_signInWaiters.append(std::move(done));
    if (m_signInWaiters.size() > 1) {
        return; // one sign-in at a time; everyone waits for it
    }
    Json params = {{"name", m_server.toStdString()}};
    if (!scope.isEmpty()) {
        params["scope"] = scope.toStdString();
    }
    if (!challenge.isEmpty()) {
        params["challenge"] = challenge.left(kMaxChallenge).toStdString();
    }
    log(scope.isEmpty() ? QStringLiteral("signing in to %1 (see your browser)").arg(m_server)
                        : QStringLiteral("%1 needs more access (%2); signing in again").arg(m_server, scope));
    m_daemon.callAsync("server.login", params, [this](const ipc::Response &response) {
        const auto waiters = std::exchange(m_signInWaiters, {});
        for (const auto &waiter : waiters) {
            waiter(response.ok(), QString::fromStdString(response.errorMessage));
        }
    });
}

void Bridge::onLine(const QByteArray &line)
{
    const auto message = ipc::parseJson(line);
    if (!message) {
        m_stdio.write(compact({{"jsonrpc", "2.0"},
                               {"id", nullptr},
                               {"error", {{"code", -32700}, {"message", "parse error: not valid JSON"}}}}));
        return;
    }
    if (!message->is_object() && !message->is_array()) {
        m_stdio.write(compact({{"jsonrpc", "2.0"},
                               {"id", nullptr},
                               {"error", {{"code", -32600}, {"message", "invalid request: not a JSON-RPC object"}}}}));
        return;
    }
    if (!m_startFailure.isEmpty()) {
        refuse(*message);
        return;
    }
    // Until the session exists (daemon resolved, initialize answered), later messages wait their turn.
    const bool isInitialize = message->is_object() && message->value("method", std::string()) == "initialize";
    if (!m_ready || (!m_initialized && !isInitialize && m_initializing)) {
        m_waiting.append(*message);
        return;
    }
    if (isInitialize) {
        m_initializing = true;
    }
    ++m_inFlight;
    send(*message, 0);
}

void Bridge::send(const Json &message, int attempt, const std::string &rejected)
{
    if (!m_authRequired) {
        post(message, {}, attempt);
        return;
    }
    Json params = {{"name", m_server.toStdString()}};
    if (!rejected.empty()) {
        params["rejected"] = rejected;
    }
    m_daemon.callAsync("token.get", params, [this, message, attempt](const ipc::Response &response) {
        if (response.ok()) {
            post(message, QString::fromStdString(response.result.value("access_token", std::string())), attempt);
            return;
        }
        if (response.errorCode == ipc::error::NeedsLogin && attempt < 2) {
            signIn({}, m_challenge, [this, message, attempt](bool ok, const QString &why) {
                if (!ok) {
                    fail(message, -32001, QStringLiteral("sign-in failed: %1").arg(why));
                    return;
                }
                send(message, attempt + 1);
            });
            return;
        }
        fail(message, -32001, QString::fromStdString(response.errorMessage));
    });
}

HttpClient::Headers Bridge::headers(const QString &token, QByteArrayView accept, QByteArray protocolVersion) const
{
    HttpClient::Headers headers;
    headers.reserve(6 + m_options.headers.size() + m_secretHeaders.size());
    // A later header replaces an earlier one of the same name: --header over ours, the daemon's over those.
    const auto set = [&headers](const QByteArray &key, const QByteArray &value) {
        headers.removeIf([&key](const auto &header) { return header.first.compare(key, Qt::CaseInsensitive) == 0; });
        headers.emplaceBack(key, value);
    };
    set("Content-Type", "application/json");
    set("Accept", accept.toByteArray());
    for (const auto &[key, value] : m_options.headers) {
        set(key, value);
    }
    for (const auto &[key, value] : m_secretHeaders) {
        set(key, value);
    }
    if (!token.isEmpty()) {
        set("Authorization", "Bearer " + token.toUtf8());
    }
    if (!m_sessionId.isEmpty()) {
        set("Mcp-Session-Id", m_sessionId);
    }
    if (protocolVersion.isEmpty()) {
        protocolVersion = m_protocolVersion;
    }
    if (!protocolVersion.isEmpty()) {
        set("MCP-Protocol-Version", protocolVersion);
    }
    return headers;
}

// What one POST brought back so far.
struct Bridge::Exchange
{
    SseParser parser;
    QByteArray body; // a JSON answer (or an error's body), collected up to the cap
    bool streaming = false;
    bool answered = false; // the answer to the request went to stdout
    QString failure;       // why the reply was cut off
};

void Bridge::post(const Json &message, const QString &token, int attempt)
{
    // Tool calls and streams may take long: no timeout, the client decides.
    HttpReply *reply = m_http.send("POST", m_options.url,
                                   headers(token, "application/json, text/event-stream", metaProtocolVersion(message)),
                                   compact(message));
    auto exchange = std::make_shared<Exchange>();
    const Json id = requestId(message);
    // Event-stream answers are relayed as they arrive; JSON answers once complete. Both are read as they
    // come, so that what waits in memory stays bounded by the caps.
    connect(reply, &HttpReply::readyRead, this, [this, reply, exchange, id] {
        if (!exchange->streaming) {
            const int status = reply->status();
            const QByteArray type = reply->header("Content-Type");
            if (status >= 200 && status < 300 && type.startsWith("text/event-stream")) {
                exchange->streaming = true;
                if (const QByteArray session = reply->header("Mcp-Session-Id"); !session.isEmpty()) {
                    m_sessionId = session;
                }
            } else {
                if (exchange->body.size() + reply->bytesAvailable() > kMaxJsonBody) {
                    exchange->failure =
                        QStringLiteral("the server's answer is over %1 bytes; dropped").arg(kMaxJsonBody);
                    reply->abort();
                    return;
                }
                exchange->body += reply->readAll();
                return;
            }
        }
        for (const SseParser::Event &event : exchange->parser.feed(reply->readAll())) {
            if (deliver(event.data, id) == Delivery::Answered) {
                exchange->answered = true;
            }
        }
        if (exchange->parser.hasError()) {
            exchange->failure = exchange->parser.errorString();
            reply->abort();
        }
    });
    connect(reply, &HttpReply::finished, this, [this, reply, exchange, message, id, token, attempt] {
        reply->deleteLater();
        // A connection that broke in the middle of the answer.
        if (exchange->failure.isEmpty() && reply->status() != 0 && !reply->errorString().isEmpty()) {
            exchange->failure =
                QStringLiteral("%1 broke off its answer: %2").arg(m_options.url.toString(), reply->errorString());
        }
        if (exchange->streaming) {
            if (exchange->answered) {
                if (!exchange->failure.isEmpty()) {
                    log(exchange->failure);
                }
                done(message);
            } else if (!exchange->failure.isEmpty()) {
                fail(message, -32000, exchange->failure);
            } else if (!id.is_null()) {
                fail(message, -32000,
                     QStringLiteral("%1 ended its event stream without an answer to this request")
                         .arg(m_options.url.toString()));
            } else {
                done(message);
            }
            return;
        }
        if (!exchange->failure.isEmpty()) {
            if (id.is_null()) {
                log(exchange->failure);
                done(message);
            } else {
                fail(message, -32000, exchange->failure);
            }
            return;
        }
        exchange->body += reply->readAll();
        onReply(reply, *exchange, message, token, attempt);
    });
}

void Bridge::onReply(HttpReply *reply, const Exchange &exchange, const Json &message, const QString &token, int attempt)
{
    const int status = reply->status();
    if (status == 0) {
        fail(message, -32000,
             QStringLiteral("cannot reach %1: %2").arg(m_options.url.toString(), reply->errorString()));
        return;
    }
    if (status == 401 && attempt < 2) {
        m_challenge = reply->header("WWW-Authenticate");
        if (!m_authRequired) {
            // The server looked open (initialize needed no token) but wants one now: the daemon learns
            // its authorization from this challenge and signs in.
            signIn({}, m_challenge, [this, message, attempt](bool ok, const QString &why) {
                if (!ok) {
                    fail(message, -32001, QStringLiteral("sign-in failed: %1").arg(why));
                    return;
                }
                m_authRequired = true;
                send(message, attempt + 1);
            });
            return;
        }
        // The daemon refreshes (once, however many bridges ask) or signs in, then we retry once.
        send(message, attempt + 1, token.isEmpty() ? std::string() : ipc::tokenHash(token.toUtf8()));
        return;
    }
    if (status == 403) {
        const QByteArray challenge = reply->header("WWW-Authenticate");
        const QString scope = normalizedScope(challengedScope(challenge));
        // A challenge already answered with a step-up will not be satisfied by another one.
        if (!scope.isEmpty() && m_steppedUpFor.size() < kMaxStepUps && !m_steppedUpFor.contains(scope)) {
            m_steppedUpFor.append(scope);
            signIn(scope, challenge, [this, message](bool ok, const QString &why) {
                if (!ok) {
                    fail(message, -32001, QStringLiteral("step-up sign-in failed: %1").arg(why));
                    return;
                }
                send(message, 0);
            });
            return;
        }
    }
    if (status < 200 || status >= 300) {
        fail(message, -32000,
             QStringLiteral("%1 answered HTTP %2%3")
                 .arg(m_options.url.toString())
                 .arg(status)
                 .arg(status == 401 ? QStringLiteral(" (the token was refused again)") : QString()));
        return;
    }
    if (const QByteArray session = reply->header("Mcp-Session-Id"); !session.isEmpty()) {
        m_sessionId = session;
    }
    const Json id = requestId(message);
    const Delivery delivered = exchange.body.isEmpty() ? Delivery::Relayed : deliver(exchange.body, id);
    if (!id.is_null() && delivered != Delivery::Answered) {
        fail(message, -32000,
             delivered == Delivery::NotJson
                 ? QStringLiteral("%1 answered with something that is not JSON").arg(m_options.url.toString())
                 : QStringLiteral("%1 answered HTTP %2 without an answer to this request")
                       .arg(m_options.url.toString())
                       .arg(status));
        return;
    }
    done(message);
}

Bridge::Delivery Bridge::deliver(const QByteArray &body, const Json &id)
{
    const auto parsed = ipc::parseJson(body);
    if (!parsed) {
        log(QStringLiteral("the server sent something that is not JSON; dropped"));
        return Delivery::NotJson;
    }
    Delivery delivered = Delivery::Relayed;
    const auto relay = [this, &id, &delivered](const Json &item) {
        if (!id.is_null() && item.is_object() && (item.contains("result") || item.contains("error"))) {
            if (const auto itemId = item.find("id"); itemId != item.end() && *itemId == id) {
                delivered = Delivery::Answered;
            }
        }
        // Remember what initialize negotiated: later requests carry it (MCP-Protocol-Version).
        if (item.is_object() && item.contains("result") && item["result"].is_object() &&
            item["result"].contains("protocolVersion") && item["result"]["protocolVersion"].is_string()) {
            m_protocolVersion = QByteArray::fromStdString(item["result"]["protocolVersion"].get<std::string>());
        }
        m_stdio.write(compact(item));
    };
    if (parsed->is_array()) {
        for (const Json &item : *parsed) {
            relay(item);
        }
    } else {
        relay(*parsed);
    }
    return delivered;
}

void Bridge::fail(const Json &message, int code, const QString &text)
{
    log(text);
    if (message.is_object() && message.contains("id") && !message["id"].is_null()) {
        m_stdio.write(compact(
            {{"jsonrpc", "2.0"}, {"id", message["id"]}, {"error", {{"code", code}, {"message", text.toStdString()}}}}));
    }
    done(message);
}

void Bridge::startFailed(int exitCode, const QString &why)
{
    log(why);
    m_startFailure = why;
    m_startFailureCode = exitCode;
    const auto waiting = std::exchange(m_waiting, {});
    for (const Json &message : waiting) {
        refuse(message);
    }
    if (m_stdinClosed) {
        Q_EMIT finished(exitCode);
    }
}

void Bridge::refuse(const Json &message)
{
    if (message.is_array()) {
        for (const Json &item : message) {
            refuse(item);
        }
        return;
    }
    // Requests get the reason (an MCP client shows it); notifications and answers have no one to tell.
    if (message.is_object() && message.contains("method") && message.contains("id") && !message["id"].is_null()) {
        m_stdio.write(compact({{"jsonrpc", "2.0"},
                               {"id", message["id"]},
                               {"error", {{"code", -32000}, {"message", m_startFailure.toStdString()}}}}));
    }
}

void Bridge::done(const Json &message)
{
    --m_inFlight;
    const std::string method = message.is_object() ? message.value("method", std::string()) : std::string();
    if (method == "initialize") {
        m_initializing = false;
        m_initialized = true;
        const auto waiting = std::exchange(m_waiting, {});
        for (const Json &next : waiting) {
            onLine(compact(next));
        }
    } else if (method == "notifications/initialized") {
        openStream();
    }
    maybeFinish();
}

void Bridge::openStream()
{
    if (m_streamOpen || m_sessionId.isEmpty()) {
        return;
    }
    m_streamOpen = true;
    const auto open = [this](const QString &token) {
        HttpReply *reply = m_http.send("GET", m_options.url, headers(token, "text/event-stream"));
        auto parser = std::make_shared<SseParser>();
        connect(reply, &HttpReply::readyRead, this, [this, reply, parser] {
            if (reply->status() != 200) {
                reply->readAll(); // 405: this server has no stream of its own
                return;
            }
            for (const SseParser::Event &event : parser->feed(reply->readAll())) {
                deliver(event.data);
            }
            if (parser->hasError()) {
                log(parser->errorString());
                reply->abort();
            }
        });
        connect(reply, &HttpReply::finished, reply, &QObject::deleteLater);
        connect(this, &Bridge::finished, reply, &HttpReply::abort);
    };
    if (!m_authRequired) {
        open({});
        return;
    }
    m_daemon.callAsync("token.get", {{"name", m_server.toStdString()}}, [open](const ipc::Response &response) {
        if (response.ok()) {
            open(QString::fromStdString(response.result.value("access_token", std::string())));
        }
    });
}

void Bridge::maybeFinish()
{
    if (!m_stdinClosed || m_inFlight > 0 || !m_waiting.isEmpty() || m_finishing) {
        return;
    }
    m_finishing = true;
    if (m_sessionId.isEmpty()) {
        Q_EMIT finished(0);
        return;
    }
    // End the session politely (Streamable HTTP: DELETE with the session id), but never hang on it.
    const auto remove = [this](const QString &token) {
        HttpReply *reply =
            m_http.send("DELETE", m_options.url, headers(token, "application/json, text/event-stream"), {}, 3000);
        connect(reply, &HttpReply::finished, this, [this, reply] {
            reply->deleteLater();
            Q_EMIT finished(0);
        });
    };
    if (!m_authRequired) {
        remove({});
        return;
    }
    m_daemon.callAsync("token.get", {{"name", m_server.toStdString()}}, [this, remove](const ipc::Response &response) {
        if (!response.ok()) {
            Q_EMIT finished(0);
            return;
        }
        remove(QString::fromStdString(response.result.value("access_token", std::string())));
    });
}

} // namespace latchkey::bridge
