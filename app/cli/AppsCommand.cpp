#include "AppsCommand.h"
#include "JsonFields.h"

#include "Cli.h"

#include <QFileInfo>
#include <QStandardPaths>

#include <cstdio>

namespace latchkey::cli {

using ipc::Json;

namespace {

void print(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
}

} // namespace

AppsCommand::AppsCommand(Call call) : m_call(std::move(call)) {}

const char *AppsCommand::usageText()
{
    return "apps [--json] | apps allow APP SERVER | apps revoke APP [SERVER]  (APP: the app's executable)";
}

int AppsCommand::usage(const QString &message)
{
    std::fputs(QStringLiteral("latchkey: %1\nusage: latchkey %2\n")
                   .arg(message, QString::fromLatin1(usageText()))
                   .toUtf8()
                   .constData(),
               stderr);
    return Cli::Usage;
}

QString AppsCommand::resolveApp(const QString &app)
{
    QString path = app;
    if (!app.contains(QLatin1Char('/'))) {
        path = QStandardPaths::findExecutable(app);
        if (path.isEmpty()) {
            return app; // not on PATH: taken as given (the daemon stores what it is told)
        }
    }
    const QString canonical = QFileInfo(path).canonicalFilePath(); // what /proc/PID/exe will say
    return canonical.isEmpty() ? QFileInfo(path).absoluteFilePath() : canonical;
}

int AppsCommand::run(QStringList args)
{
    if (args.isEmpty() || args.front() == QStringLiteral("--json")) {
        const bool json = !args.isEmpty();
        if (args.size() > (json ? 1 : 0)) {
            return usage(QStringLiteral("apps takes only --json"));
        }
        return list(json);
    }
    const QString verb = args.takeFirst();
    if (verb == QStringLiteral("allow")) {
        return allow(args);
    }
    if (verb == QStringLiteral("revoke")) {
        return revoke(args);
    }
    return usage(QStringLiteral("apps: unknown \"%1\"").arg(verb));
}

int AppsCommand::list(bool json)
{
    int rc = Cli::Ok;
    const auto result = m_call("consent.list", Json::object(), &rc);
    if (!result) {
        return rc;
    }
    if (json) {
        print(QString::fromStdString(result->dump(2)) + QLatin1Char('\n'));
        return Cli::Ok;
    }
    if (ipc::jsonString(*result, "mode") == QStringLiteral("allow")) {
        print(QStringLiteral("consent is off (LATCHKEY_CONSENT=allow): every app gets credentials unasked\n"));
    }
    if (!result->value("ok", true)) {
        print(QStringLiteral("grants UNUSABLE: %1\n").arg(ipc::jsonString(*result, "error")));
    }
    const Json &grants = (*result)["grants"];
    if (grants.empty()) {
        print(QStringLiteral("no decisions yet; apps are asked the first time they want a server's credentials\n"));
        return Cli::Ok;
    }
    for (const Json &grant : grants) {
        print(QStringLiteral("%1  %2  %3  (%4)\n")
                  .arg(ipc::jsonString(grant, "decision") == QStringLiteral("always") ? QStringLiteral("allowed")
                                                                                      : QStringLiteral("DENIED "),
                       ipc::jsonString(grant, "server"), ipc::jsonString(grant, "app"), ipc::jsonString(grant, "at")));
    }
    return Cli::Ok;
}

int AppsCommand::allow(const QStringList &args)
{
    if (args.size() != 2) {
        return usage(QStringLiteral("apps allow needs APP and SERVER"));
    }
    const QString app = resolveApp(args.at(0));
    int rc = Cli::Ok;
    if (!m_call("consent.allow", {{"app", app.toStdString()}, {"server", args.at(1).toStdString()}}, &rc)) {
        return rc;
    }
    print(QStringLiteral("%1 may now use the credentials of %2\n").arg(app, args.at(1)));
    return Cli::Ok;
}

int AppsCommand::revoke(const QStringList &args)
{
    if (args.isEmpty() || args.size() > 2) {
        return usage(QStringLiteral("apps revoke needs APP and optionally SERVER"));
    }
    // As stored: a path that no longer resolves (the app was uninstalled) is revoked as given.
    const QString app =
        QFileInfo::exists(args.at(0)) || !args.at(0).contains(QLatin1Char('/')) ? resolveApp(args.at(0)) : args.at(0);
    Json params = {{"app", app.toStdString()}};
    if (args.size() == 2) {
        params["server"] = args.at(1).toStdString();
    }
    int rc = Cli::Ok;
    const auto result = m_call("consent.revoke", params, &rc);
    if (!result) {
        return rc;
    }
    print(QStringLiteral("revoked %1 decision(s) about %2\n").arg(result->value("revoked", 0)).arg(app));
    return Cli::Ok;
}

} // namespace latchkey::cli
