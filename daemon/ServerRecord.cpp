#include "ServerRecord.h"

#include "Names.h"
#include "ResourceUri.h"

namespace latchkey {

namespace {

constexpr qsizetype kMaxArguments = 256;
constexpr qsizetype kMaxArgumentLength = 4096;
constexpr qsizetype kMaxEnv = 64;
constexpr qsizetype kMaxHeaders = 16;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

bool readString(const nlohmann::json &json, const char *key, QString *out)
{
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string()) {
        return false;
    }
    *out = QString::fromStdString(it->get<std::string>());
    return true;
}

QStringList readStrings(const nlohmann::json &json, const char *key)
{
    QStringList out;
    const auto it = json.find(key);
    if (it != json.end() && it->is_array()) {
        for (const auto &item : *it) {
            if (item.is_string()) {
                out << QString::fromStdString(item.get<std::string>());
            }
        }
    }
    return out;
}

bool readHeaders(const nlohmann::json &json, RemoteServer *remote, QString *error)
{
    const auto headers = json.find("headers");
    if (headers == json.end()) {
        return true;
    }
    if (!headers->is_array() || headers->size() > static_cast<size_t>(kMaxHeaders)) {
        *error = QStringLiteral("\"headers\" must be a list of at most %1 bindings").arg(kMaxHeaders);
        return false;
    }
    for (const auto &item : *headers) {
        HeaderBinding binding;
        if (!item.is_object() || !readString(item, "header", &binding.header) ||
            !readString(item, "key", &binding.key)) {
            *error = QStringLiteral("each header binding needs \"header\" and \"key\" strings");
            return false;
        }
        QString why = ServerRecord::checkHeaderName(binding.header);
        if (why.isEmpty()) {
            why = Names::checkSecretKey(binding.key);
        }
        const bool duplicate =
            std::any_of(remote->headers.cbegin(), remote->headers.cend(), [&](const HeaderBinding &b) {
                return b.header.compare(binding.header, Qt::CaseInsensitive) == 0;
            });
        if (why.isEmpty() && duplicate) {
            why = QStringLiteral("header %1 is bound twice").arg(binding.header);
        }
        if (!why.isEmpty()) {
            *error = why;
            return false;
        }
        remote->headers.append(binding);
    }
    return true;
}

bool readRemote(const nlohmann::json &json, RemoteServer *remote, QString *error)
{
    if (!readString(json, "url", &remote->url) || remote->url.size() > kMaxArgumentLength) {
        *error = QStringLiteral("a remote server needs a \"url\"");
        return false;
    }
    const oauth::ResourceUri resource = oauth::ResourceUri::fromServerUrl(remote->url);
    if (!resource.isValid()) {
        *error = resource.errorString();
        return false;
    }
    readString(json, "resource", &remote->resource);
    if (remote->resource.isEmpty()) {
        remote->resource = resource.toString(); // a new record: the canonical form of its URL
    }
    if (remote->resource != resource.toString()) {
        *error = QStringLiteral("\"resource\" must be the canonical form of \"url\" (%1)").arg(resource.toString());
        return false;
    }
    readString(json, "resource_indicator", &remote->resourceIndicator);
    if (!remote->resourceIndicator.isEmpty() &&
        !oauth::ResourceUri::prmResourceMatchesServer(remote->resourceIndicator, remote->url)) {
        *error =
            QStringLiteral("\"resource_indicator\" must identify a resource covering \"url\" (%1)").arg(remote->url);
        return false;
    }
    const auto flag = [&json](const char *key, bool fallback) {
        const auto it = json.find(key);
        return it != json.end() && it->is_boolean() ? it->get<bool>() : fallback;
    };
    remote->authRequired = flag("auth_required", true);
    remote->legacy = flag("legacy", false);
    QString scopeError;
    const oauth::ScopeSet scopes = oauth::ScopeSet::fromList(readStrings(json, "scopes"), &scopeError);
    if (!scopeError.isEmpty()) {
        *error = scopeError;
        return false;
    }
    remote->scopes = scopes.toList();
    readString(json, "client_id", &remote->clientId);
    readString(json, "registration", &remote->registration);
    if (const auto as = json.find("authorization_server"); as != json.end()) {
        remote->authorizationServer = AuthorizationServerMetadata::fromJson(*as);
        if (!remote->authorizationServer) {
            *error = QStringLiteral("\"authorization_server\" is not valid metadata");
            return false;
        }
    }
    if (const auto grant = json.find("grant"); grant != json.end() && grant->is_object()) {
        QString state;
        readString(*grant, "state", &state);
        readString(*grant, "reason", &remote->grantReason);
        remote->grant = state == QStringLiteral("active")        ? RemoteServer::GrantState::Active
                        : state == QStringLiteral("needs_login") ? RemoteServer::GrantState::NeedsLogin
                                                                 : RemoteServer::GrantState::None;
    }
    if (const auto managed = json.find("enterprise"); managed != json.end() && managed->is_object()) {
        readString(*managed, "state", &remote->enterpriseState);
        readString(*managed, "reason", &remote->enterpriseReason);
    }
    return readHeaders(json, remote, error);
}

} // namespace

QString ServerRecord::checkHeaderName(const QString &name)
{
    // RFC 9110 token characters only; and none of the fields the bridge sets for the protocol itself.
    static const QString kTokenPunctuation = QStringLiteral("!#$%&'*+-.^_`|~");
    static const QStringList kReserved = {
        QStringLiteral("host"),           QStringLiteral("content-length"),       QStringLiteral("content-type"),
        QStringLiteral("accept"),         QStringLiteral("connection"),           QStringLiteral("transfer-encoding"),
        QStringLiteral("mcp-session-id"), QStringLiteral("mcp-protocol-version"), QStringLiteral("last-event-id")};
    const bool token = !name.isEmpty() && name.size() <= 64 && std::all_of(name.cbegin(), name.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
               kTokenPunctuation.contains(c);
    });
    if (!token) {
        return QStringLiteral("a header name is 1 to 64 letters, digits or one of %1").arg(kTokenPunctuation);
    }
    if (kReserved.contains(name.toLower())) {
        return QStringLiteral("header %1 is set by the bridge itself and cannot be bound").arg(name);
    }
    return {};
}

QString ServerRecord::grantStateName(RemoteServer::GrantState state)
{
    switch (state) {
    case RemoteServer::GrantState::Active:
        return QStringLiteral("active");
    case RemoteServer::GrantState::NeedsLogin:
        return QStringLiteral("needs_login");
    case RemoteServer::GrantState::None:
        break;
    }
    return QStringLiteral("none");
}

nlohmann::json ServerRecord::toJson() const
{
    const auto list = [](const QStringList &items) {
        nlohmann::json out = nlohmann::json::array();
        for (const QString &item : items) {
            out.push_back(utf8(item));
        }
        return out;
    };
    nlohmann::json envs = nlohmann::json::array();
    for (const EnvBinding &binding : env) {
        envs.push_back({{"var", utf8(binding.variable)},
                        {"source", binding.source == EnvBinding::Source::Token ? "token" : "secret"},
                        {"key", utf8(binding.reference)}});
    }
    if (kind == Kind::Stdio) {
        return {{"name", utf8(name)}, {"kind", "stdio"}, {"command", list(command)}, {"env", envs}};
    }
    nlohmann::json json = {
        {"name", utf8(name)},
        {"kind", "remote"},
        {"url", utf8(remote.url)},
        {"resource", utf8(remote.resource)},
        {"auth_required", remote.authRequired},
        {"legacy", remote.legacy},
        {"scopes", list(remote.scopes)},
        {"client_id", utf8(remote.clientId)},
        {"registration", utf8(remote.registration)},
        {"grant", {{"state", utf8(grantStateName(remote.grant))}, {"reason", utf8(remote.grantReason)}}}};
    if (!remote.resourceIndicator.isEmpty() && remote.resourceIndicator != remote.resource) {
        json["resource_indicator"] = utf8(remote.resourceIndicator);
    }
    if (remote.authorizationServer) {
        json["authorization_server"] = remote.authorizationServer->toJson();
    }
    if (!remote.enterpriseState.isEmpty()) {
        json["enterprise"] = {{"state", utf8(remote.enterpriseState)}, {"reason", utf8(remote.enterpriseReason)}};
    }
    json["grant_kind"] = remote.isEnterpriseGrant() ? "enterprise" : "oauth";
    if (!remote.headers.isEmpty()) {
        nlohmann::json headers = nlohmann::json::array();
        for (const HeaderBinding &binding : remote.headers) {
            headers.push_back({{"header", utf8(binding.header)}, {"key", utf8(binding.key)}});
        }
        json["headers"] = headers;
    }
    return json;
}

std::optional<ServerRecord> ServerRecord::fromJson(const nlohmann::json &json, QString *error)
{
    const auto fail = [error](const QString &why) -> std::optional<ServerRecord> {
        *error = why;
        return std::nullopt;
    };
    if (!json.is_object()) {
        return fail(QStringLiteral("a server record must be an object"));
    }
    ServerRecord record;
    if (!readString(json, "name", &record.name)) {
        return fail(QStringLiteral("a server record needs a \"name\" string"));
    }
    if (const QString why = Names::checkServerName(record.name); !why.isEmpty()) {
        return fail(why);
    }
    QString kind;
    if (!readString(json, "kind", &kind) || (kind != QStringLiteral("stdio") && kind != QStringLiteral("remote"))) {
        return fail(QStringLiteral("server \"%1\": \"kind\" must be \"stdio\" or \"remote\"").arg(record.name));
    }
    if (kind == QStringLiteral("remote")) {
        record.kind = Kind::Remote;
        QString why;
        if (!readRemote(json, &record.remote, &why)) {
            return fail(QStringLiteral("server \"%1\": %2").arg(record.name, why));
        }
        return record;
    }
    const auto command = json.find("command");
    if (command == json.end() || !command->is_array() || command->empty() ||
        command->size() > static_cast<size_t>(kMaxArguments)) {
        return fail(QStringLiteral("server \"%1\": \"command\" must be a list of 1 to %2 strings")
                        .arg(record.name)
                        .arg(kMaxArguments));
    }
    for (const auto &arg : *command) {
        if (!arg.is_string() || arg.get_ref<const std::string &>().size() > static_cast<size_t>(kMaxArgumentLength) ||
            arg.get_ref<const std::string &>().find('\0') != std::string::npos) {
            return fail(QStringLiteral("server \"%1\": each command argument must be a string of at most %2 bytes "
                                       "without NUL")
                            .arg(record.name)
                            .arg(kMaxArgumentLength));
        }
        record.command.append(QString::fromStdString(arg.get<std::string>()));
    }
    if (record.command.front().isEmpty()) {
        return fail(QStringLiteral("server \"%1\": the program name is empty").arg(record.name));
    }
    if (const auto env = json.find("env"); env != json.end()) {
        if (!env->is_array() || env->size() > static_cast<size_t>(kMaxEnv)) {
            return fail(QStringLiteral("server \"%1\": \"env\" must be a list of at most %2 bindings")
                            .arg(record.name)
                            .arg(kMaxEnv));
        }
        for (const auto &item : *env) {
            EnvBinding binding;
            QString source;
            if (!item.is_object() || !readString(item, "var", &binding.variable) ||
                !readString(item, "source", &source) || !readString(item, "key", &binding.reference)) {
                return fail(
                    QStringLiteral("server \"%1\": each env binding needs \"var\", \"source\" and \"key\" strings")
                        .arg(record.name));
            }
            if (source == QStringLiteral("token")) {
                binding.source = EnvBinding::Source::Token;
            } else if (source != QStringLiteral("secret")) {
                return fail(QStringLiteral("server \"%1\": env source \"%2\" is not supported (use \"secret\" or "
                                           "\"token\")")
                                .arg(record.name, source));
            }
            if (QString why = Names::checkEnvName(binding.variable); !why.isEmpty()) {
                return fail(QStringLiteral("server \"%1\": %2").arg(record.name, why));
            }
            const auto checkReference =
                binding.source == EnvBinding::Source::Token ? &Names::checkServerName : &Names::checkSecretKey;
            if (QString why = checkReference(binding.reference); !why.isEmpty()) {
                return fail(QStringLiteral("server \"%1\": %2").arg(record.name, why));
            }
            const bool duplicate = std::any_of(record.env.cbegin(), record.env.cend(),
                                               [&](const EnvBinding &b) { return b.variable == binding.variable; });
            if (duplicate) {
                return fail(
                    QStringLiteral("server \"%1\": variable %2 is bound twice").arg(record.name, binding.variable));
            }
            record.env.append(binding);
        }
    }
    return record;
}

} // namespace latchkey
