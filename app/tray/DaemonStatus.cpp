#include "DaemonStatus.h"

#include "JsonFields.h"

namespace latchkey::tray {

DaemonStatus DaemonStatus::fromJson(const ipc::Json &json)
{
    DaemonStatus status;
    status.version = JsonFields::string(json, "version");
    status.pid = JsonFields::integer(json, "pid");
    const ipc::Json keychain = JsonFields::object(json, "keychain");
    status.keychainBackend = JsonFields::string(keychain, "backend");
    status.keychainAvailable = JsonFields::boolean(keychain, "available");
    status.keychainError = JsonFields::string(keychain, "error");
    const ipc::Json config = JsonFields::object(json, "config");
    status.configPath = JsonFields::string(config, "path");
    status.configOk = JsonFields::boolean(config, "ok");
    status.configError = JsonFields::string(config, "error");
    status.serverCount = static_cast<int>(JsonFields::integer(json, "servers"));
    const ipc::Json enterprise = JsonFields::object(json, "enterprise");
    status.enterpriseConfigured = JsonFields::boolean(enterprise, "configured");
    status.enterprisePolicyPath = JsonFields::string(enterprise, "policyPath");
    status.enterprisePolicyError = JsonFields::string(enterprise, "policyError");
    status.enterpriseSignedIn = JsonFields::boolean(enterprise, "signedIn");
    status.enterpriseServerCount = static_cast<int>(JsonFields::integer(enterprise, "servers"));
    return status;
}

} // namespace latchkey::tray
