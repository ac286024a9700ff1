#include "Dispatcher.h"

#include "AuditLog.h"
#include "Names.h"
#include "ServerRegistry.h"
#include "Vault.h"

#include <QCoreApplication>

#include <memory>

namespace latchkey {

using ipc::Json;
using ipc::Request;
using ipc::Response;
namespace error = ipc::error;

namespace {

constexpr qsizetype kMaxParamString = 4096;

// Reads a required string parameter; on failure answers the request and returns nullopt.
std::optional<QString> stringParam(const Request &request, const char *key, const Dispatcher::Reply &reply)
{
    const auto it = request.params.find(key);
    if (it == request.params.end() || !it->is_string()) {
        reply(Response::failure(request.id, error::InvalidParams, std::string("\"") + key + "\" must be a string"));
        return std::nullopt;
    }
    const auto &text = it->get_ref<const std::string &>();
    if (text.size() > static_cast<size_t>(kMaxParamString)) {
        reply(Response::failure(request.id, error::InvalidParams, std::string("\"") + key + "\" is too long"));
        return std::nullopt;
    }
    return QString::fromStdString(text);
}

// A checked name parameter: the string, or an invalid_params reply naming the rule.
std::optional<QString> nameParam(const Request &request, const char *key, QString (*check)(const QString &),
                                 const Dispatcher::Reply &reply)
{
    auto value = stringParam(request, key, reply);
    if (!value) {
        return std::nullopt;
    }
    if (const QString why = check(*value); !why.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
        return std::nullopt;
    }
    return value;
}

Json peerJson(const ipc::PeerCredentials &peer)
{
    return {{"pid", peer.pid}, {"exe", peer.executable.toStdString()}};
}

Response storeFailure(std::int64_t id, const SecretStore::Result &result)
{
    if (result.status == SecretStore::Status::Unavailable) {
        return Response::failure(id, error::KeychainUnavailable,
                                 "the keychain is unavailable: " + result.message.toStdString() +
                                     " (nothing was stored anywhere else)");
    }
    return Response::failure(id, error::Internal, "the keychain refused: " + result.message.toStdString());
}

} // namespace

Dispatcher::Dispatcher(ServerRegistry &registry, Vault &vault, AuditLog &audit, QObject *parent)
    : QObject(parent), m_registry(registry), m_vault(vault), m_audit(audit)
{}

void Dispatcher::handle(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const std::string &m = request.method;
    if (m == "server.env") {
        serverEnv(request, peer, std::move(reply));
    } else if (m == "status") {
        status(request, std::move(reply));
    } else if (m == "server.list") {
        serverList(request, std::move(reply));
    } else if (m == "server.add") {
        serverAdd(request, peer, std::move(reply));
    } else if (m == "server.remove") {
        serverRemove(request, peer, std::move(reply));
    } else if (m == "secret.set") {
        secretSet(request, peer, std::move(reply));
    } else if (m == "secret.remove") {
        secretRemove(request, peer, std::move(reply));
    } else if (m == "audit.list") {
        auditList(request, std::move(reply));
    } else {
        reply(Response::failure(request.id, error::UnknownMethod, "unknown method \"" + m + "\""));
    }
}

void Dispatcher::status(const Request &request, Reply reply)
{
    // Right after start the keychain probe may still be out; answer once it is back.
    m_vault.whenKnown([this, request, reply] { statusNow(request, reply); });
}

void Dispatcher::statusNow(const Request &request, const Reply &reply)
{
    Json result = {
        {"version", LATCHKEY_VERSION},
        {"protocol", ipc::kProtocolVersion},
        {"pid", QCoreApplication::applicationPid()},
        {"keychain",
         {{"backend", m_vault.backendName().toStdString()},
          {"available", m_vault.isAvailable()},
          {"error", m_vault.unavailableReason().toStdString()}}},
        {"config",
         {{"path", m_registry.path().toStdString()},
          {"ok", m_registry.error().isEmpty()},
          {"error", m_registry.error().toStdString()}}},
        {"servers", m_registry.servers().size()},
    };
    reply(Response::success(request.id, std::move(result)));
}

Json Dispatcher::describe(const ServerRecord &record) const
{
    Json json = record.toJson();
    for (auto &binding : json["env"]) {
        binding["present"] =
            m_registry.hasSecret(record.name, QString::fromStdString(binding["key"].get<std::string>()));
    }
    Json secrets = Json::array();
    for (const QString &key : m_registry.secretKeys(record.name)) {
        secrets.push_back(key.toStdString());
    }
    json["secrets"] = secrets;
    return json;
}

void Dispatcher::serverList(const Request &request, Reply reply)
{
    Json list = Json::array();
    for (const ServerRecord &record : m_registry.servers()) {
        list.push_back(describe(record));
    }
    reply(Response::success(request.id, {{"servers", list}}));
}

void Dispatcher::serverAdd(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto it = request.params.find("server");
    if (it == request.params.end()) {
        reply(Response::failure(request.id, error::InvalidParams, "\"server\" must be a server record"));
        return;
    }
    QString why;
    const auto record = ServerRecord::fromJson(*it, &why);
    if (!record) {
        reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
        return;
    }
    if (m_registry.find(record->name)) {
        reply(Response::failure(request.id, error::AlreadyExists,
                                "a server named \"" + record->name.toStdString() + "\" already exists"));
        return;
    }
    if (!m_registry.add(*record, &why)) {
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    Json audit = peerJson(peer);
    audit["server"] = record->name.toStdString();
    m_audit.record("server.added", audit);
    Q_EMIT serverChanged({{"name", record->name.toStdString()}, {"change", "added"}});
    reply(Response::success(request.id, {{"server", describe(*record)}}));
}

void Dispatcher::serverRemove(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name) {
        return;
    }
    QString why;
    if (!m_registry.find(*name)) {
        reply(Response::failure(request.id, error::NotFound, "no server named \"" + name->toStdString() + "\""));
        return;
    }
    if (!m_registry.remove(*name, &why)) {
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    Json audit = peerJson(peer);
    audit["server"] = name->toStdString();
    m_audit.record("server.removed", audit);
    Q_EMIT serverChanged({{"name", name->toStdString()}, {"change", "removed"}});
    reply(Response::success(request.id, Json::object()));
}

void Dispatcher::secretSet(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto server = nameParam(request, "server", &Names::checkServerName, reply);
    const auto key = server ? nameParam(request, "key", &Names::checkSecretKey, reply) : std::nullopt;
    if (!key) {
        return;
    }
    const auto it = request.params.find("value");
    if (it == request.params.end() || !it->is_string()) {
        reply(Response::failure(request.id, error::InvalidParams, "\"value\" must be a string"));
        return;
    }
    const auto &text = it->get_ref<const std::string &>();
    const QByteArray value(text.data(), static_cast<qsizetype>(text.size()));
    if (const QString why = Names::checkSecretValue(value); !why.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
        return;
    }
    if (!m_registry.error().isEmpty()) {
        reply(Response::failure(request.id, error::ConfigInvalid, m_registry.error().toStdString()));
        return;
    }
    const QString entry = Vault::entryKey(QStringLiteral("secret"), *server, *key);
    m_vault.write(
        entry, value,
        [this, id = request.id, server = *server, key = *key, peer, reply](const SecretStore::Result &result) {
            Json audit = peerJson(peer);
            audit["server"] = server.toStdString();
            audit["key"] = key.toStdString();
            if (result.status != SecretStore::Status::Ok) {
                audit["error"] = result.message.toStdString();
                m_audit.record("secret.store_failed", audit);
                reply(storeFailure(id, result));
                return;
            }
            QString why;
            if (!m_registry.setSecretKnown(server, key, true, &why)) {
                reply(Response::failure(id, error::ConfigInvalid, why.toStdString()));
                return;
            }
            m_audit.record("secret.stored", audit);
            Q_EMIT serverChanged({{"name", server.toStdString()}, {"change", "secret"}});
            reply(Response::success(id, {{"server", server.toStdString()}, {"key", key.toStdString()}}));
        });
}

void Dispatcher::secretRemove(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto server = nameParam(request, "server", &Names::checkServerName, reply);
    const auto key = server ? nameParam(request, "key", &Names::checkSecretKey, reply) : std::nullopt;
    if (!key) {
        return;
    }
    const QString entry = Vault::entryKey(QStringLiteral("secret"), *server, *key);
    m_vault.remove(entry, [this, id = request.id, server = *server, key = *key, peer,
                           reply](const SecretStore::Result &result) {
        // Secret Service reports success for deleting nothing, so "was it there" is the registry's answer.
        const bool wasKnown = m_registry.hasSecret(server, key);
        if (!wasKnown && (result.status == SecretStore::Status::Ok || result.status == SecretStore::Status::NotFound)) {
            reply(Response::failure(id, error::NotFound,
                                    "no secret \"" + key.toStdString() + "\" for server \"" + server.toStdString() +
                                        "\""));
            return;
        }
        if (result.status != SecretStore::Status::Ok && result.status != SecretStore::Status::NotFound) {
            reply(storeFailure(id, result));
            return;
        }
        QString why;
        if (!m_registry.setSecretKnown(server, key, false, &why)) {
            reply(Response::failure(id, error::ConfigInvalid, why.toStdString()));
            return;
        }
        Json audit = peerJson(peer);
        audit["server"] = server.toStdString();
        audit["key"] = key.toStdString();
        m_audit.record("secret.removed", audit);
        Q_EMIT serverChanged({{"name", server.toStdString()}, {"change", "secret"}});
        reply(Response::success(id, Json::object()));
    });
}

void Dispatcher::serverEnv(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name) {
        return;
    }
    const ServerRecord *record = m_registry.find(*name);
    if (!record) {
        reply(Response::failure(request.id, error::NotFound, "no server named \"" + name->toStdString() + "\""));
        return;
    }
    // Gather every binding, then answer once. Each secret is looked up only in this server's own
    // namespace: a record cannot name another server's secret.
    struct Pending
    {
        Json env = Json::object();
        Json variables = Json::array();
        int outstanding = 0;
        std::optional<Response> failure;
    };
    auto pending = std::make_shared<Pending>();
    pending->outstanding = static_cast<int>(record->env.size());
    Json command = Json::array();
    for (const QString &arg : record->command) {
        command.push_back(arg.toStdString());
    }
    const auto finish = [this, pending, id = request.id, server = *name, command, peer, reply] {
        Json audit = peerJson(peer);
        audit["server"] = server.toStdString();
        audit["variables"] = pending->variables;
        if (pending->failure) {
            audit["error"] = pending->failure->errorCode;
            m_audit.record("secret.handout_failed", audit);
            reply(*pending->failure);
            return;
        }
        m_audit.record("secret.handout", audit);
        reply(Response::success(id, {{"command", command}, {"env", std::move(pending->env)}}));
    };
    if (pending->outstanding == 0) {
        finish();
        return;
    }
    for (const EnvBinding &binding : record->env) {
        const QString entry = Vault::entryKey(QStringLiteral("secret"), *name, binding.reference);
        pending->variables.push_back(binding.variable.toStdString());
        m_vault.read(
            entry, [pending, finish, binding, server = *name, id = request.id](const SecretStore::Result &result) {
                if (result.status == SecretStore::Status::Ok) {
                    pending->env[binding.variable.toStdString()] = result.value.toStdString();
                } else if (!pending->failure) {
                    if (result.status == SecretStore::Status::NotFound) {
                        pending->failure =
                            Response::failure(id, error::SecretMissing,
                                              "secret \"" + binding.reference.toStdString() + "\" of server \"" +
                                                  server.toStdString() + "\" is not set; run: latchkey secret set " +
                                                  server.toStdString() + " " + binding.reference.toStdString());
                    } else {
                        pending->failure = storeFailure(id, result);
                    }
                }
                if (--pending->outstanding == 0) {
                    finish();
                }
            });
    }
}

void Dispatcher::auditList(const Request &request, Reply reply)
{
    QString since;
    if (const auto it = request.params.find("since"); it != request.params.end()) {
        if (!it->is_string()) {
            reply(Response::failure(request.id, error::InvalidParams, "\"since\" must be an ISO 8601 time"));
            return;
        }
        since = QString::fromStdString(it->get<std::string>());
    }
    int limit = 1000;
    if (const auto it = request.params.find("limit"); it != request.params.end()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 100000) {
            reply(Response::failure(request.id, error::InvalidParams, "\"limit\" must be an integer from 1 to 100000"));
            return;
        }
        limit = static_cast<int>(it->get<std::int64_t>());
    }
    reply(Response::success(request.id, {{"entries", m_audit.read(since, limit)}}));
}

} // namespace latchkey
