#pragma once

#include "Message.h"

#include <QStringList>

#include <functional>
#include <optional>

namespace latchkey::cli {

// `latchkey enterprise login [--id-token-stdin] | status [--json] | logout` (docs/enterprise.md).
class EnterpriseCommand
{
public:
    // Cli::call: performs a request, printing the daemon's error; nullopt with *exitCode set on failure.
    using Call =
        std::function<std::optional<ipc::Json>(const std::string &method, ipc::Json params, int *exitCode,
                                               int timeoutMs, std::function<void(const ipc::Event &)> onEvent)>;

    explicit EnterpriseCommand(Call call) : m_call(std::move(call)) {}
    int run(QStringList args);

private:
    int login(QStringList args);
    int status(QStringList args);
    int logout(QStringList args);
    static void printServers(const ipc::Json &servers);

    Call m_call;
};

} // namespace latchkey::cli
