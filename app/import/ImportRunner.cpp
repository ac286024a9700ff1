#include "ImportRunner.h"

#include "ConfigFile.h"

#include <QFile>

#include <memory>
#include <vector>

namespace latchkey::import {

namespace {

using Json = nlohmann::json;

struct Step
{
    std::string method;
    Json params;
    std::string undoMethod;
    Json undoParams;
    QString what; // for the failure message
    QString server;
};

// One import in progress. Only the callbacks waiting on the daemon hold it, so it goes (and the secret
// values in its plan with it) as soon as the last answer is handled.
struct Run : std::enable_shared_from_this<Run>
{
    ImportRunner::Call call;
    ImportPlan plan;
    std::function<void(const ImportRunner::Result &)> done;
    std::vector<Step> steps;
    size_t next = 0;
    QByteArray rewritten;
    ImportRunner::Result result;

    void finish(bool ok, const QString &message)
    {
        result.ok = ok;
        result.message = message;
        done(result);
    }

    void advance()
    {
        if (next == steps.size()) {
            QString failure;
            if (!ConfigFile::replace(plan.config().path, plan.config().text, rewritten, &failure)) {
                rollBack(failure);
                return;
            }
            finish(true, QStringLiteral("Imported %1 server(s) into Latchkey and rewrote %2.")
                             .arg(plan.changeCount())
                             .arg(plan.config().path));
            return;
        }
        const Step &step = steps[next];
        call(step.method, step.params, [self = shared_from_this()](const ipc::Response &response) {
            const Step &current = self->steps[self->next];
            if (!response.ok()) {
                self->rollBack(QStringLiteral("Failed while %1: %2 [%3]")
                                   .arg(current.what, QString::fromStdString(response.errorMessage),
                                        QString::fromStdString(response.errorCode)));
                return;
            }
            ++self->next;
            if (current.method == "server.add") {
                self->result.added << current.server;
            }
            self->advance();
        });
    }

    // Undoes steps [0, next) in reverse order, then reports `failure`.
    void rollBack(const QString &failure)
    {
        if (next == 0) {
            if (!result.backupPath.isEmpty() && QFile::remove(result.backupPath)) {
                result.backupPath.clear();
            }
            result.added.clear();
            QString message = failure;
            if (result.leftovers.isEmpty()) {
                message += QStringLiteral("\nNothing was imported: what had been added was taken back and %1 is "
                                          "unchanged.")
                               .arg(plan.config().path);
            }
            finish(false, message);
            return;
        }
        const Step &step = steps[--next];
        call(step.undoMethod, step.undoParams, [self = shared_from_this(), failure](const ipc::Response &response) {
            if (!response.ok()) {
                const Step &undone = self->steps[self->next];
                self->result.leftovers << QStringLiteral("could not undo %1: %2")
                                              .arg(undone.what, QString::fromStdString(response.errorMessage));
            }
            self->rollBack(failure);
        });
    }
};

} // namespace

ImportRunner::ImportRunner(Call call) : m_call(std::move(call)) {}

void ImportRunner::run(const ImportPlan &plan, Options options, std::function<void(const Result &)> done)
{
    auto run = std::make_shared<Run>();
    run->call = m_call;
    run->plan = plan;
    run->done = std::move(done);
    const QString path = plan.config().path;
    if (!plan.conflicts().isEmpty()) {
        run->finish(false, plan.conflicts().join(QLatin1Char('\n')));
        return;
    }
    for (const ImportItem &item : plan.items()) {
        if (item.action != ImportItem::Action::AddStdio && item.action != ImportItem::Action::AddRemote) {
            continue;
        }
        const std::string server = item.server.toStdString();
        for (const auto &[key, value] : item.secrets) {
            run->steps.push_back({"secret.set",
                                  {{"server", server}, {"key", key.toStdString()}, {"value", value.toStdString()}},
                                  "secret.remove",
                                  {{"server", server}, {"key", key.toStdString()}},
                                  QStringLiteral("storing the secret %1 of %2 in the keychain").arg(key, item.server),
                                  item.server});
        }
        run->steps.push_back({"server.add",
                              {{"server", item.record}},
                              "server.remove",
                              {{"name", server}},
                              QStringLiteral("adding the server %1").arg(item.server),
                              item.server});
    }
    run->rewritten = plan.rewrittenText();

    QString why;
    if (!ConfigFile::unchanged(path, plan.config().text, &why)) {
        run->finish(false, why);
        return;
    }
    if (options.backup) {
        run->result.backupPath = ConfigFile::writeBackup(path, plan.config().text, &why);
        if (run->result.backupPath.isEmpty()) {
            run->finish(false, why + QStringLiteral("; nothing was imported"));
            return;
        }
    }
    run->advance();
}

} // namespace latchkey::import
