#include "ConsentRequest.h"

#include "JsonFields.h"

namespace latchkey::tray {

ConsentRequest ConsentRequest::fromJson(const ipc::Json &data)
{
    ConsentRequest request;
    request.id = JsonFields::integer(data, "id", -1);
    const ipc::Json app = JsonFields::object(data, "app");
    request.appExecutable = JsonFields::string(app, "exe");
    request.appName = JsonFields::string(app, "name");
    request.appPid = JsonFields::integer(app, "pid", -1);
    const ipc::Json server = JsonFields::object(data, "server");
    request.serverName = JsonFields::string(server, "name");
    request.serverUrl = JsonFields::string(server, "url");
    request.command = JsonFields::strings(server, "command");
    request.tokensOf = JsonFields::strings(server, "tokens_of");
    request.timeoutMs = static_cast<int>(JsonFields::integer(data, "timeoutMs", 60000));
    return request;
}

} // namespace latchkey::tray
