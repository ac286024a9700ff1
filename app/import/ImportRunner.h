#pragma once

#include "ImportPlan.h"
#include "Message.h"

#include <QString>
#include <QStringList>

#include <functional>

namespace latchkey::import {

// Carries out an ImportPlan through the daemon, all or nothing:
//   1. the file must still hold what the plan was made from; 2. the backup (unless switched off);
//   3. per entry its secrets (secret.set, values over the socket only), then its record (server.add);
//   4. the rewritten file, atomically.
// When a step fails, what was added is taken back (server.remove, secret.remove, the backup), the file
// is left as it was, and the result says what failed and whether the roll-back was complete.
class ImportRunner
{
public:
    // One request to the daemon; `done` runs exactly once (synchronously from a blocking client is fine).
    using Call = std::function<void(const std::string &method, nlohmann::json params,
                                    std::function<void(const ipc::Response &)> done)>;
    struct Options
    {
        bool backup = true;
    };
    struct Result
    {
        bool ok = false;
        QString message;       // what happened, for people
        QString backupPath;    // empty without a backup (or after a failure)
        QStringList added;     // Latchkey servers added
        QStringList leftovers; // what the roll-back could not undo (each a sentence)
    };

    explicit ImportRunner(Call call);
    void run(const ImportPlan &plan, Options options, std::function<void(const Result &)> done);

private:
    Call m_call;
};

} // namespace latchkey::import
