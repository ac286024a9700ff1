#include "ServerInfo.h"

#include "JsonFields.h"

namespace latchkey::tray {

QStringList ServerInfo::missingSecrets() const
{
    QStringList missing;
    const auto add = [&missing](const QString &key, bool present) {
        if (!present && !missing.contains(key)) {
            missing.append(key);
        }
    };
    for (const EnvBinding &binding : env) {
        add(binding.key, binding.present);
    }
    for (const HeaderBinding &binding : headers) {
        add(binding.key, binding.present);
    }
    return missing;
}

int ServerInfo::requiredSecretCount() const
{
    QStringList keys;
    for (const EnvBinding &binding : env) {
        keys.append(binding.key);
    }
    for (const HeaderBinding &binding : headers) {
        keys.append(binding.key);
    }
    keys.removeDuplicates();
    return static_cast<int>(keys.size());
}

bool ServerInfo::needsSignIn() const
{
    if (!usesOAuth()) {
        return false;
    }
    return grantState == QStringLiteral("needs_login") || (authRequired && grantState == QStringLiteral("none"));
}

std::optional<ServerInfo> ServerInfo::fromJson(const ipc::Json &json)
{
    ServerInfo info;
    info.name = JsonFields::string(json, "name");
    if (info.name.isEmpty()) {
        return std::nullopt;
    }
    info.kind = JsonFields::string(json, "kind");
    info.command = JsonFields::strings(json, "command");
    info.secrets = JsonFields::strings(json, "secrets");
    for (const ipc::Json &item : JsonFields::array(json, "env")) {
        EnvBinding binding;
        binding.variable = JsonFields::string(item, "var");
        binding.source = JsonFields::string(item, "source");
        binding.key = JsonFields::string(item, "key");
        binding.present = JsonFields::boolean(item, "present");
        if (!binding.variable.isEmpty()) {
            info.env.append(binding);
        }
    }
    info.url = JsonFields::string(json, "url");
    info.resource = JsonFields::string(json, "resource");
    info.issuer = JsonFields::string(json, "issuer");
    info.scopes = JsonFields::strings(json, "scopes");
    for (const ipc::Json &item : JsonFields::array(json, "headers")) {
        HeaderBinding binding;
        binding.header = JsonFields::string(item, "header");
        binding.key = JsonFields::string(item, "key");
        binding.present = JsonFields::boolean(item, "present");
        if (!binding.header.isEmpty()) {
            info.headers.append(binding);
        }
    }
    const ipc::Json grant = JsonFields::object(json, "grant");
    info.grantState = JsonFields::string(grant, "state");
    info.grantReason = JsonFields::string(grant, "reason");
    info.signingIn = JsonFields::boolean(json, "signing_in");
    info.authRequired = JsonFields::boolean(json, "auth_required", true);
    info.expiresAt = JsonFields::integer(json, "expires_at");
    info.lastUsedAt = JsonFields::integer(json, "last_used_at");
    info.rung = JsonFields::string(json, "rung");
    const ipc::Json enterprise = JsonFields::object(json, "enterprise");
    info.enterpriseState = JsonFields::string(enterprise, "state");
    info.enterpriseReason = JsonFields::string(enterprise, "reason");
    if (info.rung.isEmpty() && JsonFields::string(json, "grant_kind") == QStringLiteral("enterprise")) {
        info.rung = QStringLiteral("enterprise");
    }
    if (info.rung.isEmpty()) {
        info.rung = info.usesOAuth()                               ? QStringLiteral("oauth")
                    : info.env.isEmpty() && info.headers.isEmpty() ? QStringLiteral("none")
                                                                   : QStringLiteral("api_key");
    }
    // Apps: strings, or objects naming the executable (the consent side's shape is not fixed yet).
    for (const ipc::Json &app : JsonFields::array(json, "apps")) {
        QString exe = app.is_string() ? QString::fromStdString(app.get<std::string>()) : JsonFields::string(app, "exe");
        if (exe.isEmpty()) {
            exe = JsonFields::string(app, "name");
        }
        if (!exe.isEmpty()) {
            info.apps.append(exe);
        }
    }
    return info;
}

QList<ServerInfo> ServerInfo::listFromJson(const ipc::Json &result)
{
    QList<ServerInfo> list;
    for (const ipc::Json &item : JsonFields::array(result, "servers")) {
        if (auto info = fromJson(item)) {
            list.append(std::move(*info));
        }
    }
    return list;
}

} // namespace latchkey::tray
