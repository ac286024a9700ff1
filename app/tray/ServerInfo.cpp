#include "ServerInfo.h"

#include "JsonFields.h"

namespace latchkey::tray {

QStringList ServerInfo::missingSecrets() const
{
    QStringList missing;
    for (const EnvBinding &binding : env) {
        if (!binding.present && !missing.contains(binding.key)) {
            missing.append(binding.key);
        }
    }
    return missing;
}

int ServerInfo::requiredSecretCount() const
{
    QStringList keys;
    for (const EnvBinding &binding : env) {
        if (!keys.contains(binding.key)) {
            keys.append(binding.key);
        }
    }
    return static_cast<int>(keys.size());
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
