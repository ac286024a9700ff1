#pragma once

#include "Client.h"

#include <QStringList>

#include <functional>

namespace latchkey::cli {

// `latchkey import --from claude-desktop|vscode|cursor [FILE] [--dry-run] [--yes] [--no-backup]`:
// shows the plan and a diff of the file (secrets masked), asks, then imports (app/import/README.md).
class ImportCommand
{
public:
    // connect: the daemon client, connected (starting the daemon if need be); nullptr after printing why.
    explicit ImportCommand(std::function<ipc::Client *()> connect);
    int run(QStringList args);

private:
    std::function<ipc::Client *()> m_connect;
};

} // namespace latchkey::cli
