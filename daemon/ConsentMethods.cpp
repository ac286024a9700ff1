#include "ConsentMethods.h"

#include "AuditLog.h"
#include "Connection.h"
#include "Names.h"
#include "Policy.h"
#include "ServerRecord.h"

#include <QRegularExpression>

namespace latchkey {

using ipc::Json;
using ipc::Response;
namespace error = ipc::error;

namespace {

constexpr size_t kMaxApp = 4096;

std::optional<QString> text(const ipc::Request &request, const char *key, bool required,
                            const ConsentMethods::Reply &reply)
{
    const auto it = request.params.find(key);
    if (it == request.params.end() && !required) {
        return QString();
    }
    if (it == request.params.end() || !it->is_string() || it->get_ref<const std::string &>().size() > kMaxApp) {
        reply(Response::failure(request.id, error::InvalidParams, std::string("\"") + key + "\" must be a string"));
        return std::nullopt;
    }
    return QString::fromStdString(it->get<std::string>());
}

// For the command lines the messages suggest: quoted as a POSIX shell would need.
std::string shellQuoted(const QString &word)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./+-]+$"));
    if (plain.match(word).hasMatch()) {
        return word.toStdString();
    }
    QString quoted = word;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return "'" + quoted.toStdString() + "'";
}

Json serverInfo(const ServerRecord &record)
{
    Json info = {{"name", record.name.toStdString()}};
    if (record.kind == ServerRecord::Kind::Remote) {
        info["url"] = record.remote.url.toStdString();
        return info;
    }
    Json command = Json::array();
    for (const QString &arg : record.command) {
        command.push_back(arg.toStdString());
    }
    info["command"] = command;
    // A stdio server may carry a remote server's access token: the question says so.
    Json tokens = Json::array();
    for (const EnvBinding &binding : record.env) {
        if (binding.source == EnvBinding::Source::Token) {
            tokens.push_back(binding.reference.toStdString());
        }
    }
    info["tokens_of"] = tokens;
    return info;
}

} // namespace

ConsentMethods::ConsentMethods(ConsentBroker &broker, AuditLog &audit, QStringList ownExecutables, QObject *parent)
    : QObject(parent), m_broker(broker), m_audit(audit), m_ownExecutables(std::move(ownExecutables))
{}

void ConsentMethods::handle(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply,
                            const Notify &notify, QObject *connection)
{
    const std::string &m = request.method;
    if (m == "consent.list") {
        list(request, reply);
    } else if (m == "consent.revoke") {
        revoke(request, peer, reply);
    } else if (m == "consent.allow") {
        allow(request, peer, reply);
    } else if (m == "consent.register") {
        if (!connection || !notify) {
            reply(Response::failure(request.id, error::BadRequest, "consent.register needs a connection"));
            return;
        }
        m_broker.registerAgent(connection, peer, notify);
        reply(Response::success(request.id, {{"timeoutMs", m_broker.timeout()}}));
    } else if (m == "consent.answer") {
        const auto id = request.params.find("id");
        const auto decision = text(request, "decision", true, reply);
        if (!decision) {
            return;
        }
        if (id == request.params.end() || !id->is_number_integer()) {
            reply(Response::failure(request.id, error::InvalidParams, "\"id\" must be an integer"));
            return;
        }
        QString why;
        if (!m_broker.answer(connection, id->get<std::int64_t>(), *decision, &why)) {
            reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
            return;
        }
        reply(Response::success(request.id, Json::object()));
    } else {
        reply(Response::failure(request.id, error::UnknownMethod, "unknown method \"" + m + "\""));
    }
}

void ConsentMethods::gate(const ipc::Request &request, const ipc::PeerCredentials &peer, QObject *connection,
                          const ServerRecord &record, const Reply &reply, std::function<void()> proceed)
{
    if (m_broker.mode() == ConsentBroker::Mode::Allow) {
        proceed(); // not even /proc is read: CI and headless machines pay nothing
        return;
    }
    auto *cached = qobject_cast<Connection *>(connection);
    const AppIdentity app = cached ? cached->identityCache().identify(peer.pid, m_ownExecutables)
                                   : AppIdentity::identify(peer.pid, m_ownExecutables);
    const std::string server = record.name.toStdString();
    const std::string exe = app.executable.toStdString();
    const std::string seconds = std::to_string((m_broker.timeout() + 999) / 1000);
    m_broker.check(app, record.name, serverInfo(record),
                   [id = request.id, app, server, exe, seconds, reply,
                    proceed = std::move(proceed)](ConsentBroker::Outcome outcome) {
                       const std::string allowHint =
                           "latchkey apps allow " + shellQuoted(app.executable) + " " + server;
                       std::string message;
                       switch (outcome) {
                       case ConsentBroker::Outcome::Allowed:
                           proceed();
                           return;
                       case ConsentBroker::Outcome::Denied:
                           message = exe + " is denied the credentials of \"" + server +
                                     "\" (a decision you made); to undo it run: latchkey apps revoke " +
                                     shellQuoted(app.executable) + " " + server + " — or use Revoke in latchkey-tray";
                           break;
                       case ConsentBroker::Outcome::NoAgent:
                           message = exe + " asks for the credentials of \"" + server +
                                     "\" and needs your consent, but no consent agent is running: start "
                                     "latchkey-tray, or allow it from a terminal with: " +
                                     allowHint;
                           break;
                       case ConsentBroker::Outcome::AgentGone:
                           message = "the consent agent went away before anyone answered whether " + exe +
                                     " may have the credentials of \"" + server + "\"; denied this time";
                           break;
                       case ConsentBroker::Outcome::TimedOut:
                           message = "nobody answered within " + seconds + " s whether " + exe +
                                     " may have the credentials of \"" + server + "\"; denied this time";
                           break;
                       case ConsentBroker::Outcome::Unidentified:
                           message = "cannot tell which app asks for the credentials of \"" + server + "\" (process " +
                                     std::to_string(app.pid) + " has gone); denied";
                           break;
                       }
                       reply(Response::failure(id, error::ConsentDenied, message));
                   });
}

Json ConsentMethods::describe() const
{
    const Policy &policy = m_broker.policy();
    return {{"mode", m_broker.mode() == ConsentBroker::Mode::Allow ? "allow" : "ask"},
            {"agent", m_broker.hasAgent()},
            {"timeoutMs", m_broker.timeout()},
            {"grants_path", policy.path().toStdString()},
            {"ok", policy.error().isEmpty()},
            {"error", policy.error().toStdString()}};
}

Json ConsentMethods::appsFor(const QString &server) const
{
    Json apps = Json::array();
    for (const QString &app : m_broker.policy().allowedApps(server)) {
        apps.push_back(app.toStdString());
    }
    return apps;
}

void ConsentMethods::forgetServer(const QString &server)
{
    QString why;
    if (m_broker.policy().forgetServer(server, &why) > 0) {
        m_audit.record("consent.revoked", {{"server", server.toStdString()}, {"reason", "server_removed"}});
    }
}

void ConsentMethods::list(const ipc::Request &request, const Reply &reply)
{
    Json grants = Json::array();
    for (const Policy::Grant &grant : m_broker.policy().grants()) {
        grants.push_back({{"app", grant.app.toStdString()},
                          {"server", grant.server.toStdString()},
                          {"decision", Policy::decisionName(grant.decision).toStdString()},
                          {"at", grant.at.toStdString()}});
    }
    Json result = describe();
    result["grants"] = grants;
    reply(Response::success(request.id, std::move(result)));
}

void ConsentMethods::revoke(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply)
{
    const auto app = text(request, "app", true, reply);
    const auto server = app ? text(request, "server", false, reply) : std::nullopt;
    if (!server) {
        return;
    }
    // Who may revoke is not checked: taking access away is always safe.
    Policy &policy = m_broker.policy();
    QStringList servers;
    for (const Policy::Grant &grant : policy.grants()) {
        if (grant.app == *app && (server->isEmpty() || grant.server == *server)) {
            servers.append(grant.server);
        }
    }
    QString why;
    const int removed = policy.revoke(*app, *server, &why);
    if (removed < 0) {
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    if (removed == 0) {
        reply(Response::failure(request.id, error::NotFound,
                                "no decision about " + app->toStdString() +
                                    (server->isEmpty() ? std::string() : " and \"" + server->toStdString() + "\"")));
        return;
    }
    m_audit.record("consent.revoked", {{"app", app->toStdString()},
                                       {"server", server->toStdString()},
                                       {"count", removed},
                                       {"pid", peer.pid},
                                       {"exe", peer.executable.toStdString()}});
    for (const QString &changed : std::as_const(servers)) {
        Q_EMIT serverChanged(changed);
    }
    reply(Response::success(request.id, {{"revoked", removed}}));
}

void ConsentMethods::allow(const ipc::Request &request, const ipc::PeerCredentials &peer, const Reply &reply)
{
    const auto app = text(request, "app", true, reply);
    const auto server = app ? text(request, "server", true, reply) : std::nullopt;
    if (!server) {
        return;
    }
    if (const QString why = Names::checkServerName(*server); !why.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
        return;
    }
    if (app->isEmpty() || *app == QString::fromLatin1(AppIdentity::kTerminal)) {
        reply(Response::failure(request.id, error::InvalidParams, "\"app\" must be an app's executable path"));
        return;
    }
    // Only a person at a terminal grants from the command line: otherwise any app could run
    // `latchkey apps allow` for itself.
    const AppIdentity asking = AppIdentity::identify(peer.pid, m_ownExecutables);
    Json audit = {{"app", app->toStdString()},
                  {"server", server->toStdString()},
                  {"by", asking.key().toStdString()},
                  {"by_pid", asking.pid}};
    if (!asking.isTerminal()) {
        m_audit.record("consent.allow_refused", audit);
        reply(Response::failure(request.id, error::ConsentDenied,
                                "apps allow is accepted only from a terminal (it was asked by " +
                                    asking.key().toStdString() +
                                    "); run it yourself in a terminal, or answer the question in latchkey-tray"));
        return;
    }
    QString why;
    if (!m_broker.policy().set(*app, *server, Policy::Decision::Always, &why)) {
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    m_audit.record("consent.allowed", audit);
    Q_EMIT serverChanged(*server);
    reply(Response::success(request.id, {{"app", app->toStdString()}, {"server", server->toStdString()}}));
}

} // namespace latchkey
