#include "Dispatcher.h"

#include "AuditLog.h"
#include "ClientAssertion.h"
#include "ClientRegistration.h"
#include "ConsentMethods.h"
#include "DaemonSettings.h"
#include "Discovery.h"
#include "EndpointPolicy.h"
#include "EnterpriseHandler.h"
#include "Logging.h"
#include "Names.h"
#include "ResourceUri.h"
#include "ServerRegistry.h"
#include "SignInService.h"
#include "TokenManager.h"
#include "Vault.h"

#include <QCoreApplication>
#include <QDateTime>

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

// Why a server's own secret could not be read, as the reply to give.
Response secretReadFailure(std::int64_t id, const SecretStore::Result &result, const QString &server,
                           const QString &key)
{
    if (result.status != SecretStore::Status::NotFound) {
        return storeFailure(id, result);
    }
    return Response::failure(id, error::SecretMissing,
                             "secret \"" + key.toStdString() + "\" of server \"" + server.toStdString() +
                                 "\" is not set; run: latchkey secret set " + server.toStdString() + " " +
                                 key.toStdString());
}

// A handout that gathers several secrets, then answers once: the values by name, the names (all the
// audit log ever sees) and the first failure.
struct Handout
{
    Json values = Json::object();
    Json names = Json::array();
    int outstanding = 0;
    std::optional<Response> failure;
};

// Audits a finished handout by names only and answers it: `success`, or its first failure.
void answerHandout(AuditLog &log, const ipc::PeerCredentials &peer, const QString &server, const char *namesField,
                   const Handout &handout, Response success, const Dispatcher::Reply &reply)
{
    Json audit = peerJson(peer);
    audit["server"] = server.toStdString();
    audit[namesField] = handout.names;
    if (handout.failure) {
        audit["error"] = handout.failure->errorCode;
        log.record("secret.handout_failed", audit);
        reply(*handout.failure);
        return;
    }
    log.record("secret.handout", audit);
    reply(std::move(success));
}

} // namespace

Dispatcher::Dispatcher(ServerRegistry &registry, Vault &vault, AuditLog &audit, QObject *parent)
    : QObject(parent), m_registry(registry), m_vault(vault), m_audit(audit)
{}

void Dispatcher::handle(const Request &request, const ipc::PeerCredentials &peer, Reply reply, Notify notify,
                        QObject *connection)
{
    const std::string &m = request.method;
    if (m.rfind("consent.", 0) == 0 && m_consent) {
        m_consent->handle(request, peer, reply, notify, connection);
    } else if (m == "server.env") {
        serverEnv(request, peer, std::move(reply), false, connection);
    } else if (m == "server.headers") {
        serverHeaders(request, peer, std::move(reply), false, connection);
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
    } else if (m == "client.credential.set" || m == "client.credential.remove") {
        clientCredential(request, peer, m == "client.credential.set", std::move(reply));
    } else if (m == "audit.list") {
        auditList(request, std::move(reply));
    } else if (m == "token.get") {
        tokenGet(request, peer, std::move(reply), false, connection);
    } else if (m == "server.resolve") {
        serverResolve(request, std::move(reply));
    } else if (m == "server.discover") {
        serverDiscover(request, std::move(reply));
    } else if (m == "server.login") {
        serverLogin(request, peer, std::move(reply), std::move(notify));
    } else if (m == "server.login.cancel") {
        serverLoginCancel(request, std::move(reply));
    } else if (m == "server.logout") {
        serverLogout(request, peer, std::move(reply));
    } else if ((m == "settings.get" || m == "settings.set") && m_settings) {
        m_settings->handle(request, reply);
    } else if (m_enterprise && m_enterprise->handle(request, peer, reply, notify)) {
        return;
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
    if (m_enterprise) {
        result["enterprise"] = m_enterprise->summary();
    }
    if (m_consent) {
        result["consent"] = m_consent->describe();
    }
    reply(Response::success(request.id, std::move(result)));
}

Json Dispatcher::describe(const ServerRecord &record) const
{
    Json json = record.toJson();
    if (record.kind == ServerRecord::Kind::Remote) {
        json.erase("authorization_server");
        if (record.remote.authorizationServer) {
            json["issuer"] = record.remote.authorizationServer->issuer.toStdString();
        }
        json["signing_in"] = m_signIn && m_signIn->isSigningIn(record.name);
        if (json.contains("headers")) {
            for (auto &binding : json["headers"]) {
                binding["present"] =
                    m_registry.hasSecret(record.name, QString::fromStdString(binding["key"].get<std::string>()));
            }
        }
    }
    if (record.kind == ServerRecord::Kind::Stdio) {
        for (auto &binding : json["env"]) {
            const QString key = QString::fromStdString(binding["key"].get<std::string>());
            if (binding["source"] == "token") {
                const ServerRecord *remote = m_registry.find(key);
                binding["present"] = remote && remote->remote.grant == RemoteServer::GrantState::Active;
            } else {
                binding["present"] = m_registry.hasSecret(record.name, key);
            }
        }
    }
    if (record.kind == ServerRecord::Kind::Remote && m_tokens) {
        if (const qint64 expiresAt = m_tokens->expiresAtMs(record.name) / 1000; expiresAt > 0) {
            json["expires_at"] = expiresAt;
        }
    }
    if (const qint64 lastUsed = m_lastUsed.value(record.name); lastUsed > 0) {
        json["last_used_at"] = lastUsed;
    }
    Json secrets = Json::array();
    for (const QString &key : m_registry.secretKeys(record.name)) {
        secrets.push_back(key.toStdString());
    }
    json["secrets"] = secrets;
    if (m_consent) {
        json["apps"] = m_consent->appsFor(record.name); // apps with an "always" grant
    }
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
    for (const EnvBinding &binding : record->env) {
        const ServerRecord *source =
            binding.source == EnvBinding::Source::Token ? m_registry.find(binding.reference) : nullptr;
        if (binding.source == EnvBinding::Source::Token && (!source || source->kind != ServerRecord::Kind::Remote)) {
            reply(Response::failure(request.id, error::InvalidParams,
                                    "token:" + binding.reference.toStdString() +
                                        " names no remote server; add it first "
                                        "with: latchkey add URL --name " +
                                        binding.reference.toStdString()));
            return;
        }
    }
    if (record->kind == ServerRecord::Kind::Remote && !record->remote.headers.isEmpty()) {
        serverAddWithHeaders(request, *record, peer, std::move(reply));
        return;
    }
    if (record->kind == ServerRecord::Kind::Remote) {
        serverAddRemote(request, *record, peer, std::move(reply));
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
    const ServerRecord *record = m_registry.find(*name);
    if (!record) {
        reply(Response::failure(request.id, error::NotFound, "no server named \"" + name->toStdString() + "\""));
        return;
    }
    const auto removeRecord = [this, id = request.id, name = *name, peer, reply](const QString &revocation) {
        QString why;
        if (!m_registry.remove(name, &why)) {
            reply(Response::failure(id, error::ConfigInvalid, why.toStdString()));
            return;
        }
        Json audit = peerJson(peer);
        audit["server"] = name.toStdString();
        m_audit.record("server.removed", audit);
        m_lastUsed.remove(name);
        if (m_consent) {
            m_consent->forgetServer(name);
        }
        Q_EMIT serverChanged({{"name", name.toStdString()}, {"change", "removed"}});
        reply(Response::success(id, {{"revocation", revocation.toStdString()}}));
    };
    // A remote server's grant goes with it: revoked where the AS allows, and out of the keychain.
    if (record->kind == ServerRecord::Kind::Remote && m_tokens) {
        m_tokens->signOut(*name, removeRecord);
        return;
    }
    removeRecord({});
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

void Dispatcher::serverEnv(const Request &request, const ipc::PeerCredentials &peer, Reply reply, bool consented,
                           QObject *connection)
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
    if (m_consent && !consented) {
        m_consent->gate(request, peer, connection, *record, reply, [this, request, peer, reply] {
            serverEnv(request, peer, reply, true); // looked up again: it may have changed meanwhile
        });
        return;
    }
    // Gather every binding, then answer once. Each secret is looked up only in this server's own
    // namespace: a record cannot name another server's secret.
    auto pending = std::make_shared<Handout>();
    pending->outstanding = static_cast<int>(record->env.size());
    Json command = Json::array();
    for (const QString &arg : record->command) {
        command.push_back(arg.toStdString());
    }
    const auto finish = [this, pending, id = request.id, server = *name, command, peer, reply] {
        if (!pending->failure) {
            m_lastUsed.insert(server, QDateTime::currentSecsSinceEpoch());
        }
        answerHandout(m_audit, peer, server, "variables", *pending,
                      Response::success(id, {{"command", command}, {"env", pending->values}}), reply);
    };
    if (pending->outstanding == 0) {
        finish();
        return;
    }
    for (const EnvBinding &binding : record->env) {
        pending->names.push_back(binding.variable.toStdString());
        if (binding.source == EnvBinding::Source::Token) {
            // The access token of the named remote grant; its refresh token never leaves the daemon.
            if (!m_tokens) {
                pending->failure = Response::failure(request.id, error::Internal, "no OAuth engine in this daemon");
                if (--pending->outstanding == 0) {
                    finish();
                }
                continue;
            }
            m_tokens->accessToken(
                binding.reference, [pending, finish, binding, id = request.id](const TokenManager::Answer &answer) {
                    if (answer.errorCode.isEmpty()) {
                        pending->values[binding.variable.toStdString()] = answer.accessToken.toStdString();
                    } else if (!pending->failure) {
                        pending->failure =
                            Response::failure(id, answer.errorCode.toStdString(), answer.message.toStdString());
                    }
                    if (--pending->outstanding == 0) {
                        finish();
                    }
                });
            continue;
        }
        const QString entry = Vault::entryKey(QStringLiteral("secret"), *name, binding.reference);
        m_vault.read(entry,
                     [pending, finish, binding, server = *name, id = request.id](const SecretStore::Result &result) {
                         if (result.status == SecretStore::Status::Ok) {
                             pending->values[binding.variable.toStdString()] = result.value.toStdString();
                         } else if (!pending->failure) {
                             pending->failure = secretReadFailure(id, result, server, binding.reference);
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
    // Newest entries win when the answer would not fit in one frame.
    Json entries = m_audit.read(since, limit);
    constexpr size_t kBudget = ipc::kMaxFrameSize - 4096;
    size_t size = entries.dump().size();
    size_t drop = 0;
    while (size > kBudget && drop < entries.size()) {
        size -= entries[drop++].dump().size() + 1;
    }
    if (drop > 0) {
        entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(drop));
    }
    reply(Response::success(request.id, {{"entries", entries}, {"truncated", drop > 0}}));
}

void Dispatcher::setOAuth(Discovery *discovery, ClientRegistration *registration, SignInService *signIn,
                          TokenManager *tokens)
{
    m_discovery = discovery;
    m_registration = registration;
    m_signIn = signIn;
    m_tokens = tokens;
}

void Dispatcher::setConsent(ConsentMethods *consent)
{
    m_consent = consent;
    connect(consent, &ConsentMethods::serverChanged, this, [this](const QString &server) {
        Q_EMIT serverChanged({{"name", server.toStdString()}, {"change", "consent"}});
    });
}

bool Dispatcher::requireOAuth(const Request &request, const Reply &reply) const
{
    if (m_discovery && m_registration && m_signIn && m_tokens) {
        return true;
    }
    reply(Response::failure(request.id, error::Internal, "this daemon runs without its OAuth engine"));
    return false;
}

Json Dispatcher::describeDiscovery(const DiscoveryResult &result) const
{
    Json scopes = Json::array();
    for (const QString &scope : result.scopes.toList()) {
        scopes.push_back(scope.toStdString());
    }
    return {{"url", result.serverUrl.toStdString()},
            {"resource", result.resource.toStdString()},
            {"resource_indicator", result.resourceIndicator.toStdString()},
            {"auth_required", result.authRequired},
            {"legacy", result.legacy},
            {"resource_metadata", result.resourceMetadataUrl.toStdString()},
            {"issuer", result.authorizationServer.issuer.toStdString()},
            {"authorization_endpoint", result.authorizationServer.authorizationEndpoint.toString().toStdString()},
            {"registration_endpoint", result.authorizationServer.registrationEndpoint.toString().toStdString()},
            {"revocation_endpoint", result.authorizationServer.revocationEndpoint.toString().toStdString()},
            {"cimd_supported", result.authorizationServer.clientIdMetadataDocumentSupported},
            {"registration", result.authRequired ? m_registration->plan(result.authorizationServer).toStdString() : ""},
            {"scopes", scopes}};
}

void Dispatcher::serverDiscover(const Request &request, Reply reply)
{
    const auto url = stringParam(request, "url", reply);
    if (!url || !requireOAuth(request, reply)) {
        return;
    }
    m_discovery->discover(
        *url, [this, id = request.id, reply](const std::optional<DiscoveryResult> &result, const QString &why) {
            if (!result) {
                reply(Response::failure(id, error::DiscoveryFailed, why.toStdString()));
                return;
            }
            reply(Response::success(id, {{"discovery", describeDiscovery(*result)}}));
        });
}

void Dispatcher::serverAddRemote(const Request &request, const ServerRecord &record, const ipc::PeerCredentials &peer,
                                 Reply reply)
{
    if (!requireOAuth(request, reply)) {
        return;
    }
    // One record per resource: token.get {resource} must name exactly one grant.
    const auto sameResource = [this](const ServerRecord &wanted) -> std::optional<QString> {
        for (const ServerRecord &known : m_registry.servers()) {
            if (known.kind == ServerRecord::Kind::Remote && known.remote.resource == wanted.remote.resource) {
                return known.name;
            }
        }
        return std::nullopt;
    };
    const auto alreadyConfigured = [&record](const QString &as) {
        return "\"" + record.remote.url.toStdString() + "\" is already configured as \"" + as.toStdString() + "\"";
    };
    if (const auto existing = sameResource(record)) {
        reply(Response::failure(request.id, error::AlreadyExists, alreadyConfigured(*existing)));
        return;
    }
    // Discovery first: nothing is stored for a server whose metadata breaks a rule.
    m_discovery->discover(record.remote.url, [this, id = request.id, record, peer, sameResource, alreadyConfigured,
                                              reply](const std::optional<DiscoveryResult> &result, const QString &why) {
        if (!result) {
            Json audit = peerJson(peer);
            audit["server"] = record.name.toStdString();
            audit["reason"] = why.toStdString();
            m_audit.record("server.discovery_failed", audit);
            reply(Response::failure(id, error::DiscoveryFailed, why.toStdString()));
            return;
        }
        if (m_registry.find(record.name)) {
            reply(Response::failure(id, error::AlreadyExists,
                                    "a server named \"" + record.name.toStdString() + "\" already exists"));
            return;
        }
        if (const auto existing = sameResource(record)) { // added while discovery ran
            reply(Response::failure(id, error::AlreadyExists, alreadyConfigured(*existing)));
            return;
        }
        ServerRecord stored = record;
        stored.remote.resource = result->resource;
        stored.remote.resourceIndicator =
            result->resourceIndicator == result->resource ? QString() : result->resourceIndicator;
        stored.remote.authRequired = result->authRequired;
        stored.remote.legacy = result->legacy;
        if (result->authRequired) {
            stored.remote.authorizationServer = result->authorizationServer;
            // Scopes named by the person win; else what discovery suggests.
            if (stored.remote.scopes.isEmpty()) {
                stored.remote.scopes = result->scopes.toList();
            }
        }
        QString error;
        if (!m_registry.add(stored, &error)) {
            reply(Response::failure(id, error::ConfigInvalid, error.toStdString()));
            return;
        }
        Json audit = peerJson(peer);
        audit["server"] = stored.name.toStdString();
        audit["issuer"] = result->authorizationServer.issuer.toStdString();
        m_audit.record("server.added", audit);
        Q_EMIT serverChanged({{"name", stored.name.toStdString()}, {"change", "added"}});
        reply(Response::success(id, {{"server", describe(stored)}, {"discovery", describeDiscovery(*result)}}));
    });
}

void Dispatcher::serverLogin(const Request &request, const ipc::PeerCredentials &peer, Reply reply, Notify notify)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name || !requireOAuth(request, reply)) {
        return;
    }
    oauth::ScopeSet extra;
    if (const auto it = request.params.find("scope"); it != request.params.end() && it->is_string()) {
        QString why;
        extra = oauth::ScopeSet::parse(QString::fromStdString(it->get<std::string>()), &why);
        if (!why.isEmpty()) {
            reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
            return;
        }
    }
    // challenge: the WWW-Authenticate of the 401/403 that led the caller here, if any.
    QList<QByteArray> challenge;
    if (request.params.contains("challenge")) {
        const auto value = stringParam(request, "challenge", reply);
        if (!value) {
            return;
        }
        challenge.append(value->toUtf8());
    }
    const auto signIn = [this, id = request.id, name = *name, extra, peer, reply, notify] {
        Json audit = peerJson(peer);
        audit["server"] = name.toStdString();
        m_audit.record("login.started", audit);
        // The authorization URL goes to the one who asked, never to every subscriber.
        auto link = std::make_shared<QMetaObject::Connection>();
        if (notify) {
            *link = connect(m_signIn, &SignInService::progress, this,
                            [notify, name](const QString &server, const QString &stage, const QUrl &url) {
                                if (server == name && !url.isEmpty()) {
                                    notify({"login.progress",
                                            {{"name", name.toStdString()},
                                             {"stage", stage.toStdString()},
                                             {"url", url.toString(QUrl::FullyEncoded).toStdString()}}});
                                }
                            });
        }
        m_signIn->signIn(name, extra, [this, id, name, reply, link](const QString &code, const QString &message) {
            QObject::disconnect(*link);
            if (!code.isEmpty()) {
                reply(Response::failure(id, code.toStdString(), message.toStdString()));
                return;
            }
            Q_EMIT serverChanged({{"name", name.toStdString()}, {"change", "signed_in"}});
            const ServerRecord *record = m_registry.find(name);
            reply(Response::success(id, {{"server", record ? describe(*record) : Json::object()}}));
        });
    };
    const ServerRecord *record = m_registry.find(*name);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        signIn(); // which says what is wrong
        return;
    }
    // Look again before every interactive sign-in: the server may have moved to another authorization
    // server (SEP-2352), or protect requests although it answered the first one without a token.
    m_discovery->discover(
        record->remote.url,
        [this, id = request.id, name = *name, signIn, reply](const std::optional<DiscoveryResult> &result,
                                                             const QString &why) {
            if (!result) {
                m_audit.record("login.discovery_failed",
                               {{"server", name.toStdString()}, {"reason", why.toStdString()}});
                reply(Response::failure(id, error::DiscoveryFailed, why.toStdString()));
                return;
            }
            if (result->authRequired) {
                adoptDiscovery(name, *result);
            }
            signIn();
        },
        challenge);
}

void Dispatcher::adoptDiscovery(const QString &name, const DiscoveryResult &result)
{
    const ServerRecord *current = m_registry.find(name);
    if (!current) {
        return;
    }
    ServerRecord updated = *current;
    RemoteServer &remote = updated.remote;
    const QString previous = remote.authorizationServer ? remote.authorizationServer->issuer : QString();
    const bool moved = previous != result.authorizationServer.issuer;
    remote.authRequired = true;
    remote.legacy = result.legacy;
    remote.authorizationServer = result.authorizationServer;
    // A changed resource indicator unbinds the token set minted for the old one (TokenSet::isBoundTo).
    remote.resourceIndicator = result.resourceIndicator == result.resource ? QString() : result.resourceIndicator;
    if (moved) {
        // Nothing of the old authorization server's carries over: its client registration, the scopes it
        // defined; the token set bound to it is no longer handed out (TokenSet::isBoundTo).
        remote.clientId.clear();
        remote.registration.clear();
        remote.scopes = result.scopes.toList();
        if (!previous.isEmpty()) {
            m_audit.record("server.authorization_server_changed",
                           {{"server", name.toStdString()},
                            {"from", previous.toStdString()},
                            {"to", result.authorizationServer.issuer.toStdString()}});
        }
    } else if (remote.scopes.isEmpty()) {
        remote.scopes = result.scopes.toList();
    }
    QString why;
    if (!m_registry.update(updated, &why)) {
        qCWarning(lcDaemon).noquote() << "cannot record what discovery found for" << name << ":" << why;
    }
}

void Dispatcher::serverLoginCancel(const Request &request, Reply reply)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name || !requireOAuth(request, reply)) {
        return;
    }
    if (!m_signIn->cancel(*name)) {
        reply(Response::failure(request.id, error::NotFound, "no sign-in to " + name->toStdString() + " is under way"));
        return;
    }
    reply(Response::success(request.id, Json::object()));
}

void Dispatcher::serverLogout(const Request &request, const ipc::PeerCredentials &peer, Reply reply)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name || !requireOAuth(request, reply)) {
        return;
    }
    const ServerRecord *record = m_registry.find(*name);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        reply(Response::failure(request.id, error::NotFound, "no remote server named \"" + name->toStdString() + "\""));
        return;
    }
    Json audit = peerJson(peer);
    audit["server"] = name->toStdString();
    m_audit.record("logout.requested", audit);
    m_tokens->signOut(*name, [this, id = request.id, name = *name, reply](const QString &note) {
        Q_EMIT serverChanged({{"name", name.toStdString()}, {"change", "signed_out"}});
        reply(Response::success(id, {{"revocation", note.toStdString()}}));
    });
}

void Dispatcher::tokenGet(const Request &request, const ipc::PeerCredentials &peer, Reply reply, bool consented,
                          QObject *connection)
{
    if (!requireOAuth(request, reply)) {
        return;
    }
    // By name, or by the exact canonical resource; a token only ever goes to the resource it is for.
    QString server;
    if (request.params.contains("name")) {
        const auto name = nameParam(request, "name", &Names::checkServerName, reply);
        if (!name) {
            return;
        }
        server = *name;
    }
    if (request.params.contains("resource")) {
        const auto resource = stringParam(request, "resource", reply);
        if (!resource) {
            return;
        }
        const oauth::ResourceUri wanted = oauth::ResourceUri::fromServerUrl(*resource);
        QString match;
        for (const ServerRecord &record : m_registry.servers()) {
            if (record.kind == ServerRecord::Kind::Remote && wanted.isValid() &&
                record.remote.resource == wanted.toString()) {
                match = record.name;
                break;
            }
        }
        if (match.isEmpty() || (!server.isEmpty() && server != match)) {
            Json audit = peerJson(peer);
            audit["resource"] = resource->toStdString();
            audit["server"] = server.toStdString();
            m_audit.record("token.audience_mismatch", audit);
            reply(Response::failure(request.id, error::NotFound,
                                    "no configured server has the resource " + resource->toStdString()));
            return;
        }
        server = match;
    }
    if (server.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, "token.get needs \"name\" or \"resource\""));
        return;
    }
    if (const ServerRecord *record = m_registry.find(server); record && m_consent && !consented) {
        m_consent->gate(request, peer, connection, *record, reply,
                        [this, request, peer, reply] { tokenGet(request, peer, reply, true); });
        return;
    }
    const auto rejectedParam = request.params.find("rejected");
    const std::string rejected = rejectedParam != request.params.end() && rejectedParam->is_string()
                                     ? rejectedParam->get<std::string>()
                                     : std::string();
    m_tokens->accessToken(
        server,
        [this, id = request.id, server, peer, reply](const TokenManager::Answer &answer) {
            Json audit = peerJson(peer);
            audit["server"] = server.toStdString();
            if (!answer.errorCode.isEmpty()) {
                audit["error"] = answer.errorCode.toStdString();
                m_audit.record("token.refused", audit);
                reply(Response::failure(id, answer.errorCode.toStdString(), answer.message.toStdString()));
                return;
            }
            audit["token"] = AuditLog::hashId(answer.accessToken.toUtf8());
            m_audit.record("token.handout", audit);
            m_lastUsed.insert(server, QDateTime::currentSecsSinceEpoch());
            const ServerRecord *record = m_registry.find(server);
            reply(
                Response::success(id, {{"access_token", answer.accessToken.toStdString()},
                                       {"token_type", "Bearer"},
                                       {"expires_at", answer.expiresAtMs / 1000},
                                       {"resource", record ? record->remote.resource.toStdString() : std::string()}}));
        },
        std::chrono::seconds(30), rejected);
}

void Dispatcher::serverResolve(const Request &request, Reply reply)
{
    const auto url = stringParam(request, "url", reply);
    if (!url) {
        return;
    }
    const oauth::ResourceUri wanted = oauth::ResourceUri::fromServerUrl(*url);
    if (!wanted.isValid()) {
        reply(Response::failure(request.id, error::InvalidParams, wanted.errorString().toStdString()));
        return;
    }
    for (const ServerRecord &record : m_registry.servers()) {
        if (record.kind == ServerRecord::Kind::Remote && record.remote.resource == wanted.toString()) {
            reply(Response::success(request.id, {{"server", describe(record)}}));
            return;
        }
    }
    reply(Response::failure(request.id, error::NotFound,
                            "no configured server has the resource " + wanted.toString().toStdString()));
}

} // namespace latchkey

namespace latchkey {

void Dispatcher::clientCredential(const Request &request, const ipc::PeerCredentials &peer, bool store, Reply reply)
{
    // A pre-registered client's secret or private key, per authorization server issuer: into the keychain
    // only (oauth.json names the client, never its credential).
    const auto issuer = stringParam(request, "issuer", reply);
    const auto kind = issuer ? stringParam(request, "kind", reply) : std::nullopt;
    if (!kind) {
        return;
    }
    if (const QString why = oauth::EndpointPolicy::checkEndpoint(*issuer); !why.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, "issuer refused: " + why.toStdString()));
        return;
    }
    QString entry;
    if (*kind == QStringLiteral("secret")) {
        entry = ClientRegistration::secretVaultKey(*issuer);
    } else if (*kind == QStringLiteral("private_key")) {
        entry = ClientRegistration::privateKeyVaultKey(*issuer);
    } else {
        reply(Response::failure(request.id, error::InvalidParams, "\"kind\" must be \"secret\" or \"private_key\""));
        return;
    }
    Json audit = peerJson(peer);
    audit["issuer"] = issuer->toStdString();
    audit["kind"] = kind->toStdString();
    if (!store) {
        m_vault.remove(entry, [this, id = request.id, audit, reply](const SecretStore::Result &result) {
            if (result.status != SecretStore::Status::Ok && result.status != SecretStore::Status::NotFound) {
                reply(storeFailure(id, result));
                return;
            }
            m_audit.record("client.credential_removed", audit);
            reply(Response::success(id, Json::object()));
        });
        return;
    }
    const auto it = request.params.find("value");
    if (it == request.params.end() || !it->is_string()) {
        reply(Response::failure(request.id, error::InvalidParams, "\"value\" must be a string"));
        return;
    }
    const auto &text = it->get_ref<const std::string &>();
    const QByteArray value(text.data(), static_cast<qsizetype>(text.size()));
    QString why;
    if (*kind == QStringLiteral("secret")) {
        why = Names::checkSecretValue(value);
    } else if (value.size() > 65536) {
        why = QStringLiteral("the private key is longer than 65536 bytes");
    } else if (ClientAssertion::checkPrivateKey(value, QStringLiteral("ES256")).isEmpty() ||
               ClientAssertion::checkPrivateKey(value, QStringLiteral("RS256")).isEmpty()) {
        why.clear();
    } else {
        why = QStringLiteral(
            "the private key must be an unencrypted PEM EC P-256 (ES256) or RSA >= 2048 bit (RS256) key");
    }
    if (!why.isEmpty()) {
        reply(Response::failure(request.id, error::InvalidParams, why.toStdString()));
        return;
    }
    m_vault.write(entry, value, [this, id = request.id, audit, reply](const SecretStore::Result &result) {
        if (result.status != SecretStore::Status::Ok) {
            reply(storeFailure(id, result));
            return;
        }
        m_audit.record("client.credential_stored", audit);
        reply(Response::success(id, {{"issuer", audit["issuer"]}, {"kind", audit["kind"]}}));
    });
}

} // namespace latchkey

namespace latchkey {

// The "API key / static bearer" rung of a remote server: the bridge sends these headers, their values
// from the keychain. Such a record runs no OAuth: no discovery at add time (the server may want the very
// header we hold before it answers anything) and auth_required false.
void Dispatcher::serverAddWithHeaders(const Request &request, const ServerRecord &record,
                                      const ipc::PeerCredentials &peer, Reply reply)
{
    ServerRecord stored = record;
    stored.remote = RemoteServer{};
    stored.remote.url = record.remote.url;
    stored.remote.resource = record.remote.resource;
    stored.remote.authRequired = false;
    stored.remote.headers = record.remote.headers;
    QString why;
    if (!m_registry.add(stored, &why)) {
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    Json audit = peerJson(peer);
    audit["server"] = stored.name.toStdString();
    audit["rung"] = "header";
    m_audit.record("server.added", audit);
    Q_EMIT serverChanged({{"name", stored.name.toStdString()}, {"change", "added"}});
    reply(Response::success(request.id, {{"server", describe(stored)}}));
}

void Dispatcher::serverHeaders(const Request &request, const ipc::PeerCredentials &peer, Reply reply, bool consented,
                               QObject *connection)
{
    const auto name = nameParam(request, "name", &Names::checkServerName, reply);
    if (!name) {
        return;
    }
    const ServerRecord *record = m_registry.find(*name);
    if (!record || record->kind != ServerRecord::Kind::Remote) {
        reply(Response::failure(request.id, error::NotFound, "no remote server named \"" + name->toStdString() + "\""));
        return;
    }
    if (m_consent && !consented) {
        m_consent->gate(request, peer, connection, *record, reply,
                        [this, request, peer, reply] { serverHeaders(request, peer, reply, true); });
        return;
    }
    // Only this server's own secrets, answered once all are read; a handout like server.env.
    auto pending = std::make_shared<Handout>();
    pending->outstanding = static_cast<int>(record->remote.headers.size());
    for (const HeaderBinding &binding : record->remote.headers) {
        pending->names.push_back(binding.header.toStdString());
    }
    const auto finish = [this, pending, id = request.id, server = *name, peer, reply] {
        if (!pending->failure) {
            m_lastUsed.insert(server, QDateTime::currentSecsSinceEpoch());
        }
        answerHandout(m_audit, peer, server, "headers", *pending, Response::success(id, {{"headers", pending->values}}),
                      reply);
    };
    if (pending->outstanding == 0) {
        finish();
        return;
    }
    for (const HeaderBinding &binding : record->remote.headers) {
        m_vault.read(Vault::entryKey(QStringLiteral("secret"), *name, binding.key),
                     [pending, finish, binding, server = *name, id = request.id](const SecretStore::Result &result) {
                         if (result.status == SecretStore::Status::Ok) {
                             pending->values[binding.header.toStdString()] = result.value.toStdString();
                         } else if (!pending->failure) {
                             pending->failure = secretReadFailure(id, result, server, binding.key);
                         }
                         if (--pending->outstanding == 0) {
                             finish();
                         }
                     });
    }
}

} // namespace latchkey
