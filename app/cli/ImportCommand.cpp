#include "ImportCommand.h"

#include "Cli.h"
#include "ImportPlan.h"
#include "ImportRunner.h"
#include "McpClientKind.h"
#include "McpConfigReader.h"

#include <QCoreApplication>

#include <cstdio>
#include <unistd.h>

namespace latchkey::cli {

namespace {

using import::McpClientKind;

constexpr int kCallTimeoutMs = 120000; // server.add of a remote server runs discovery first

void print(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
}

int fail(const QString &text, int code = Cli::Failed)
{
    std::fputs((QStringLiteral("latchkey: ") + text + QLatin1Char('\n')).toUtf8().constData(), stderr);
    return code;
}

int usage(const QString &text)
{
    return fail(text + QStringLiteral("\nusage: latchkey import --from %1 [FILE] [--dry-run] [--yes] [--no-backup]")
                           .arg(McpClientKind::names().join(QLatin1Char('|'))),
                Cli::Usage);
}

bool confirm(const QString &question)
{
    std::fputs(question.toUtf8().constData(), stderr);
    std::fflush(stderr);
    char line[64] = {};
    if (!std::fgets(line, sizeof line, stdin)) {
        return false;
    }
    const QString answer = QString::fromLocal8Bit(line).trimmed().toLower();
    return answer == QStringLiteral("y") || answer == QStringLiteral("yes");
}

} // namespace

ImportCommand::ImportCommand(std::function<ipc::Client *()> connect) : m_connect(std::move(connect)) {}

int ImportCommand::run(QStringList args)
{
    std::optional<McpClientKind::Kind> client;
    QString path;
    bool dryRun = false;
    bool yes = false;
    bool backup = true;
    while (!args.isEmpty()) {
        const QString arg = args.takeFirst();
        if (arg == QStringLiteral("--from")) {
            if (args.isEmpty()) {
                return usage(QStringLiteral("--from needs a client"));
            }
            client = McpClientKind::fromName(args.takeFirst());
            if (!client) {
                return usage(QStringLiteral("--from takes %1").arg(McpClientKind::names().join(QStringLiteral(", "))));
            }
        } else if (arg == QStringLiteral("--dry-run") || arg == QStringLiteral("-n")) {
            dryRun = true;
        } else if (arg == QStringLiteral("--yes") || arg == QStringLiteral("-y")) {
            yes = true;
        } else if (arg == QStringLiteral("--no-backup")) {
            backup = false;
        } else if (path.isEmpty() && !arg.startsWith(QLatin1Char('-'))) {
            path = arg;
        } else {
            return usage(QStringLiteral("unexpected argument %1").arg(arg));
        }
    }
    if (!client) {
        return usage(QStringLiteral("import needs --from"));
    }
    if (path.isEmpty()) {
        path = McpClientKind::defaultPath(*client);
    }
    QString why;
    const auto config = import::McpConfigReader::read(path, *client, &why);
    if (!config) {
        return fail(why + QStringLiteral("\nNothing was changed."));
    }
    ipc::Client *daemon = m_connect();
    if (!daemon) {
        return Cli::Unreachable;
    }
    const auto call = [daemon](const std::string &method, nlohmann::json params,
                               std::function<void(const ipc::Response &)> done) {
        done(daemon->call(method, std::move(params), kCallTimeoutMs));
    };
    ipc::Response list = daemon->call("server.list");
    if (!list.ok()) {
        return fail(QString::fromStdString(list.errorMessage), Cli::Unreachable);
    }
    const auto plan = import::ImportPlan::build(*config, list.result.value("servers", nlohmann::json::array()),
                                                QCoreApplication::applicationFilePath());
    print(QStringLiteral("Import from %1: %2\n").arg(McpClientKind::displayName(*client), path));
    for (const QString &line : plan.summary()) {
        print(QStringLiteral("  %1\n").arg(line));
    }
    for (const QString &notice : plan.notices()) {
        print(QStringLiteral("\n%1\n").arg(notice));
    }
    if (!plan.conflicts().isEmpty()) {
        return fail(plan.conflicts().join(QLatin1Char('\n')) + QStringLiteral("\nNothing was changed."));
    }
    if (plan.changeCount() == 0) {
        print(QStringLiteral("Nothing to import.\n"));
        return Cli::Ok;
    }
    print(QStringLiteral("\n") + plan.diff());
    if (dryRun) {
        print(QStringLiteral("\nDry run: nothing was changed.\n"));
        return Cli::Ok;
    }
    if (!yes) {
        if (!::isatty(STDIN_FILENO)) {
            return fail(QStringLiteral("not on a terminal: run with --yes to import without asking (or --dry-run "
                                       "to only look). Nothing was changed."));
        }
        if (!confirm(
                QStringLiteral("\nImport %1 server(s) and rewrite %2? [y/N] ").arg(plan.changeCount()).arg(path))) {
            return fail(QStringLiteral("not imported; nothing was changed."));
        }
    }
    import::ImportRunner::Result result;
    import::ImportRunner(call).run(plan, {backup}, [&result](const import::ImportRunner::Result &r) { result = r;
});
for (const QString &leftover : std::as_const(result.leftovers)) {
    fail(leftover);
}
if (!result.ok) {
    return fail(result.message);
}
print(QStringLiteral("\n%1\nRestart %2 so it picks up the new entries.\n")
          .arg(result.message, McpClientKind::displayName(*client)));
if (!plan.secretsLeftIn().isEmpty()) {
    fail(QStringLiteral("%1 still hold(s) what looks like a secret in %2; see above.")
             .arg(plan.secretsLeftIn().join(QStringLiteral(", ")), path));
}
if (!result.backupPath.isEmpty()) {
    print(QStringLiteral("The original is backed up at %1 (readable by you only). It still holds the secrets "
                         "that were moved: check the result, then delete it.\n")
              .arg(result.backupPath));
}
return Cli::Ok;
} // namespace latchkey::cli

} // namespace latchkey::cli
