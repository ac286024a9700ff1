#include "SignedInServer.h"

#include "Client.h"

#include <QJsonDocument>
#include <QTest>
#include <QUrlQuery>

namespace latchkey::test {

using ipc::Json;
using ipc::Response;

QString describe(const Response &response)
{
    return QString::fromStdString(response.errorCode + ": " + response.errorMessage + " " + response.result.dump());
}

SignedInServer::SignedInServer(int accessTtlSeconds) : m_accessTtl(accessTtlSeconds) {}

SignedInServer::~SignedInServer()
{
    if (m_daemon) {
        m_daemon->kill();
    }
}

QString SignedInServer::unavailableReason()
{
    return e2eUnavailableReason();
}

QString SignedInServer::start()
{
    if (!m_scratch.isValid()) {
        return QStringLiteral("no scratch directory");
    }
    m_as = std::make_unique<NodeServer>(QStringLiteral("as.mjs"),
                                        QStringList{QStringLiteral("--access-ttl"), QString::number(m_accessTtl)});
    if (!m_as->start()) {
        return m_as->errorString();
    }
    m_issuer = m_as->value(QStringLiteral("issuer"));
    m_mcp = std::make_unique<NodeServer>(QStringLiteral("mcp-server.mjs"),
                                         QStringList{QStringLiteral("--issuer"), m_issuer});
    if (!m_mcp->start()) {
        return m_mcp->errorString();
    }
    m_url = m_mcp->value(QStringLiteral("url"));

    m_daemon = std::make_unique<DaemonHarness>();
    m_browser = std::make_unique<BrowserProgram>(m_scratch.path());
    m_browser->installInto(*m_daemon);
    if (!m_daemon->start()) {
        return QStringLiteral("latchkeyd did not start: ") + QString::fromUtf8(m_daemon->daemonOutput());
    }
    m_name = DaemonHarness::uniqueName(QStringLiteral("e2e-grant"));
    const Response added = call("server.add", {{"server",
                                                {{"name", m_name.toStdString()},
                                                 {"kind", "remote"},
                                                 {"url", m_url.toStdString()},
                                                 {"resource", ""},
                                                 {"scopes", Json::array()}}}});
    return added.ok() ? QString() : QStringLiteral("server.add: ") + describe(added);
}

QString SignedInServer::signIn(int timeoutMs)
{
    const int visitsBefore = m_browser->visits();
    EventClient client(m_daemon->socketPath());
    QString error;
    if (!client.connectAndSubscribe(&error)) {
        return error;
    }
    const auto reply = client.callAsync("server.login", {{"name", m_name.toStdString()}});
    if (!QTest::qWaitFor([&] { return reply->has_value(); }, timeoutMs)) {
        return QStringLiteral("server.login did not answer in %1 ms\n%2").arg(timeoutMs).arg(m_browser->describe());
    }
    if (!reply->value().ok()) {
        return QStringLiteral("server.login: %1\n%2").arg(describe(reply->value()), m_browser->describe());
    }
    // The browser went through login and consent, reached the callback, and is gone.
    if (!QTest::qWaitFor([&] { return m_browser->allExited(); }, 30000) || m_browser->visits() != visitsBefore + 1 ||
        m_browser->failures() != 0) {
        return QStringLiteral("the browser did not finish cleanly\n") + m_browser->describe();
    }
    return {};
}

Response SignedInServer::call(const std::string &method, Json params, int timeoutMs)
{
    ipc::Client client(m_daemon->socketPath());
    if (!client.connectToDaemon(5000)) {
        return Response::failure(std::nullopt, "daemon_unreachable", client.lastError().toStdString());
    }
    return client.call(method, std::move(params), timeoutMs);
}

QJsonObject SignedInServer::asStats()
{
    return httpRequest(m_network, "GET", QUrl(m_issuer + QStringLiteral("/__test/stats"))).json();
}

QString SignedInServer::setTokenEndpoint(int holdMs, int graceSeconds)
{
    QUrlQuery query;
    if (holdMs >= 0) {
        query.addQueryItem(QStringLiteral("hold_ms"), QString::number(holdMs));
    }
    if (graceSeconds >= 0) {
        query.addQueryItem(QStringLiteral("grace_seconds"), QString::number(graceSeconds));
    }
    QUrl hook(m_issuer + QStringLiteral("/__test/token-endpoint"));
    hook.setQuery(query);
    const HttpResult result = httpRequest(m_network, "POST", hook);
    return result.status == 200 ? QString()
                                : QStringLiteral("/__test/token-endpoint: %1 %2 %3")
                                      .arg(result.status)
                                      .arg(result.error, QString::fromUtf8(result.body));
}

bool SignedInServer::isActiveAtAs(const QString &token)
{
    const QJsonObject client = m_as->ready().value(QStringLiteral("introspection")).toObject();
    const QByteArray basic = "Basic " + (client.value(QStringLiteral("client_id")).toString() + QLatin1Char(':') +
                                         client.value(QStringLiteral("client_secret")).toString())
                                            .toUtf8()
                                            .toBase64();
    const HttpResult result =
        httpRequest(m_network, "POST", QUrl(m_issuer + QStringLiteral("/token/introspection")),
                    "token=" + QUrl::toPercentEncoding(token),
                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", basic}});
    return result.json().value(QStringLiteral("active")).toBool();
}

QJsonObject SignedInServer::keychainTokenSet()
{
    const QByteArray stored = secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(m_name));
    return QJsonDocument::fromJson(stored).object();
}

HttpResult SignedInServer::callTool(const QString &token)
{
    const Json call = {{"jsonrpc", "2.0"},
                       {"id", 1},
                       {"method", "tools/call"},
                       {"params", {{"name", "test-tool"}, {"arguments", Json::object()}}}};
    return httpRequest(m_network, "POST", QUrl(m_url), QByteArray::fromStdString(call.dump()),
                       {{"Content-Type", "application/json"},
                        {"Accept", "application/json, text/event-stream"},
                        {"Authorization", "Bearer " + token.toUtf8()}});
}

} // namespace latchkey::test
