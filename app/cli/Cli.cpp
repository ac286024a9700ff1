#include "Cli.h"

#include "AppsCommand.h"
#include "CliText.h"
#include "DaemonLauncher.h"
#include "EnterpriseCommand.h"
#include "ImportCommand.h"
#include "Protocol.h"
#include "SecretInput.h"
#include "SocketPath.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QThread>
#include <QUrl>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

extern char **environ;

namespace latchkey::cli {

using ipc::Json;

namespace {

constexpr int kConnectTimeoutMs = 2000;
constexpr int kConsentWaitMs = 90000; // a credential may wait on a consent question (60 s by default)

const char *kUsage = R"(usage: latchkey [--socket PATH] COMMAND [ARGS]

  status [--json]                          daemon, keychain and config health
  servers [--json]                         configured servers
  add stdio NAME [--env VAR=secret:KEY|VAR=token:REMOTE]... -- COMMAND [ARGS...]
                                           a local STDIO server launched with secrets in its environment
  add URL [--name NAME] [--scope S]...     a remote MCP server: shows what discovery found
  login NAME                               sign in to a remote server in the browser
  logout NAME                              revoke at the authorization server and forget the tokens
  token NAME                               print a current access token (for scripts)
  enterprise login [--id-token-stdin] | status [--json] | logout
                                           one IdP sign-in for every server the policy approves
  connect URL [--header K:V]... [--scope S]... [--yes]
                                           stdio <-> Streamable HTTP bridge for MCP clients
  remove NAME                              forget a server (its secrets stay until `secret rm`)
  secret set NAME KEY                      store a secret for server NAME (read from stdin or a prompt)
  secret rm NAME KEY                       delete it from the keychain
  client secret set|rm ISSUER              a pre-registered OAuth client's secret for that authorization
                                           server (stdin or a prompt; oauth.json names the client)
  client key set|rm ISSUER                 its private key for private_key_jwt (PEM on stdin)
  run NAME [-- COMMAND [ARGS...]]          run the server (or COMMAND) with its environment injected
  audit [--json] [--since TIME]            what was handed out or refused, and when
  import --from claude-desktop|vscode|cursor [FILE] [--dry-run] [--yes] [--no-backup]
                                           move an MCP client's servers and their secrets into Latchkey
  apps [--json]                            which apps may use which servers (consent decisions)
  apps allow APP SERVER                    let APP (its executable) use SERVER; only from a terminal
  apps revoke APP [SERVER]                 forget decisions about APP: it is asked again

Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 daemon unreachable.
)";

} // namespace

Cli::Cli(QStringList arguments) : m_args(std::move(arguments)) {}

bool Cli::takeFlag(QStringList &args, const QString &flag)
{
    const qsizetype dashDash = args.indexOf(QStringLiteral("--"));
    const qsizetype at = args.indexOf(flag);
    if (at < 0 || (dashDash >= 0 && at > dashDash)) {
        return false;
    }
    args.removeAt(at);
    return true;
}

int Cli::usage(const QString &message)
{
    if (!message.isEmpty()) {
        err(message);
    }
    std::fputs(kUsage, stderr);
    return Usage;
}

int Cli::run()
{
    m_socketPath = ipc::SocketPath::defaultPath();
    QStringList args = m_args;
    while (!args.isEmpty() && args.front().startsWith(QLatin1Char('-'))) {
        const QString option = args.takeFirst();
        if (option == QStringLiteral("--socket")) {
            if (args.isEmpty()) {
                return usage(QStringLiteral("--socket needs a path"));
            }
            m_socketPath = args.takeFirst();
        } else if (option.startsWith(QStringLiteral("--socket="))) {
            m_socketPath = option.mid(9);
        } else if (option == QStringLiteral("--version")) {
            out(QStringLiteral("latchkey %1\n").arg(QStringLiteral(LATCHKEY_VERSION)));
            return Ok;
        } else if (option == QStringLiteral("--help") || option == QStringLiteral("-h")) {
            std::fputs(kUsage, stdout);
            return Ok;
        } else {
            return usage(QStringLiteral("unknown option %1").arg(option));
        }
    }
    if (args.isEmpty()) {
        return usage();
    }
    const QString command = args.takeFirst();
    if (command == QStringLiteral("status")) {
        return status(args);
    }
    if (command == QStringLiteral("servers")) {
        return servers(args);
    }
    if (command == QStringLiteral("add")) {
        return add(args);
    }
    if (command == QStringLiteral("remove")) {
        return remove(args);
    }
    if (command == QStringLiteral("secret")) {
        return secret(args);
    }
    if (command == QStringLiteral("client")) {
        return client(args);
    }
    if (command == QStringLiteral("run")) {
        return runServer(args);
    }
    if (command == QStringLiteral("audit")) {
        return audit(args);
    }
    if (command == QStringLiteral("login")) {
        return login(args);
    }
    if (command == QStringLiteral("connect")) {
        return connectBridge(args);
    }
    if (command == QStringLiteral("logout")) {
        return logout(args);
    }
    if (command == QStringLiteral("token")) {
        return token(args);
    }
    if (command == QStringLiteral("enterprise")) {
        return EnterpriseCommand([this](auto &&...a) { return call(std::forward<decltype(a)>(a)...); }).run(args);
    }
    if (command == QStringLiteral("import")) {
        return ImportCommand([this] { return ensureConnected() ? m_client.get() : nullptr; }).run(args);
    }
    if (command == QStringLiteral("apps")) {
        return AppsCommand([this](const std::string &method, Json params, int *rc) {
                   return call(method, std::move(params), rc);
               })
            .run(args);
    }
    if (command == QStringLiteral("help")) {
        std::fputs(kUsage, stdout);
        return Ok;
    }
    return usage(QStringLiteral("unknown command \"%1\"").arg(command));
}

bool Cli::ensureConnected()
{
    if (m_client && m_client->isConnected()) {
        return true;
    }
    m_client = std::make_unique<ipc::Client>(m_socketPath);
    if (m_client->connectToDaemon(kConnectTimeoutMs)) {
        return true;
    }
    if (qEnvironmentVariableIsSet("LATCHKEY_NO_AUTOSTART")) {
        err(QStringLiteral("cannot reach latchkeyd at %1: %2").arg(m_socketPath, m_client->lastError()));
        return false;
    }
    QString why;
    const bool started = DaemonLauncher::start(m_socketPath, &why);
    // Another latchkey may have started the daemon at the same moment; its socket appears shortly.
    const QDeadlineTimer deadline(started ? 2000 : 1000);
    while (!m_client->connectToDaemon(kConnectTimeoutMs)) {
        if (deadline.hasExpired()) {
            err(QStringLiteral("cannot reach latchkeyd at %1: %2")
                    .arg(m_socketPath, started ? m_client->lastError() : why));
            return false;
        }
        QThread::msleep(20);
    }
    return true;
}

std::optional<Json> Cli::call(const std::string &method, Json params, int *exitCode, int timeoutMs,
                              std::function<void(const ipc::Event &)> onEvent)
{
    if (!ensureConnected()) {
        *exitCode = Unreachable;
        return std::nullopt;
    }
    const ipc::Response response = m_client->call(method, std::move(params), timeoutMs, std::move(onEvent));
    if (response.ok()) {
        return response.result;
    }
    const std::string &code = response.errorCode;
    if (code == ipc::error::ConnectionClosed || code == ipc::error::DaemonUnreachable || code == ipc::error::Timeout) {
        err(QStringLiteral("latchkeyd at %1 did not answer: %2")
                .arg(m_socketPath, QString::fromStdString(response.errorMessage)));
        *exitCode = Unreachable;
        return std::nullopt;
    }
    err(QString::fromStdString(response.errorMessage) + QStringLiteral(" [%1]").arg(QString::fromStdString(code)));
    *exitCode = Failed;
    return std::nullopt;
}

int Cli::status(QStringList args)
{
    const bool json = takeFlag(args, QStringLiteral("--json"));
    if (!args.isEmpty()) {
        return usage(QStringLiteral("status takes no arguments"));
    }
    int rc = Ok;
    const auto result = call("status", Json::object(), &rc);
    if (!result) {
        return rc;
    }
    if (json) {
        out(QString::fromStdString(result->dump(2)) + QLatin1Char('\n'));
        return Ok;
    }
    const Json &keychain = (*result)["keychain"];
    const Json &config = (*result)["config"];
    out(QStringLiteral("latchkeyd %1 (pid %2) on %3\n")
            .arg(str(*result, "version"))
            .arg(result->value("pid", 0))
            .arg(m_socketPath));
    out(QStringLiteral("keychain: %1, %2\n")
            .arg(str(keychain, "backend"), keychain.value("available", false)
                                               ? QStringLiteral("available")
                                               : QStringLiteral("UNAVAILABLE: ") + str(keychain, "error")));
    out(QStringLiteral("config:   %1, %2\n")
            .arg(str(config, "path"), config.value("ok", false) ? QStringLiteral("ok")
                                                                : QStringLiteral("UNUSABLE: ") + str(config, "error")));
    out(QStringLiteral("servers:  %1\n").arg(result->value("servers", 0)));
    if (const auto managed = result->find("enterprise"); managed != result->end() && managed->is_object()) {
        const Json policyError = managed->value("policyError", Json());
        if (policyError.is_string()) {
            out(QStringLiteral("enterprise: POLICY UNUSABLE: %1\n")
                    .arg(QString::fromStdString(policyError.get<std::string>())));
        } else if (managed->value("configured", false)) {
            out(QStringLiteral("enterprise: %1 (latchkey enterprise status)\n")
                    .arg(managed->value("signedIn", false) ? QStringLiteral("signed in")
                                                           : QStringLiteral("not signed in")));
        }
    }
    if (const auto consent = result->find("consent"); consent != result->end()) {
        out(QStringLiteral("consent:  %1\n")
                .arg(str(*consent, "mode") == QStringLiteral("allow")
                         ? QStringLiteral("OFF (LATCHKEY_CONSENT=allow): apps get credentials unasked")
                         : QStringLiteral("apps are asked; consent agent %1")
                               .arg(consent->value("agent", false) ? QStringLiteral("running")
                                                                   : QStringLiteral("not running"))));
    }
    return Ok;
}

int Cli::servers(QStringList args)
{
    const bool json = takeFlag(args, QStringLiteral("--json"));
    if (!args.isEmpty()) {
        return usage(QStringLiteral("servers takes no arguments"));
    }
    int rc = Ok;
    const auto result = call("server.list", Json::object(), &rc);
    if (!result) {
        return rc;
    }
    if (json) {
        out(QString::fromStdString((*result)["servers"].dump(2)) + QLatin1Char('\n'));
        return Ok;
    }
    const Json &list = (*result)["servers"];
    if (list.empty()) {
        out(QStringLiteral("no servers; add one with: latchkey add stdio NAME --env VAR=secret:KEY -- COMMAND\n"));
        return Ok;
    }
    for (const Json &server : list) {
        QStringList command;
        for (const Json &arg : server["command"]) {
            command << QString::fromStdString(arg.get<std::string>());
        }
        if (str(server, "kind") == QStringLiteral("remote")) {
            const Json &grant = server["grant"];
            const QString state = str(grant, "state");
            out(QStringLiteral("%1  [remote]  %2\n").arg(str(server, "name"), str(server, "url")));
            if (!server.value("auth_required", true)) {
                out(QStringLiteral("    no sign-in needed\n"));
                continue;
            }
            out(QStringLiteral("    %1, %2%3\n")
                    .arg(str(server, "issuer"),
                         state == QStringLiteral("active")        ? QStringLiteral("signed in")
                         : state == QStringLiteral("needs_login") ? QStringLiteral("NEEDS SIGN-IN")
                                                                  : QStringLiteral("not signed in"),
                         str(grant, "reason").isEmpty() ? QString()
                                                        : QStringLiteral(" (%1)").arg(str(grant, "reason"))));
            continue;
        }
        out(QStringLiteral("%1  [%2]  %3\n")
                .arg(str(server, "name"), str(server, "kind"), command.join(QLatin1Char(' '))));
        for (const Json &binding : server["env"]) {
            out(QStringLiteral("    %1 <- %2 %3%4\n")
                    .arg(str(binding, "var"), str(binding, "source"), str(binding, "key"),
                         binding.value("present", false) ? QString() : QStringLiteral("  (not set)")));
        }
    }
    return Ok;
}

int Cli::add(QStringList args)
{
    if (args.isEmpty()) {
        return usage(QStringLiteral("add needs \"stdio NAME ... -- COMMAND\" or a URL"));
    }
    const QString what = args.takeFirst();
    if (what != QStringLiteral("stdio")) {
        if (what.startsWith(QStringLiteral("http://")) || what.startsWith(QStringLiteral("https://"))) {
            return addRemote(what, args);
        }
        return usage(QStringLiteral("add: expected \"stdio\" or a URL, got \"%1\"").arg(what));
    }
    if (args.isEmpty() || args.front().startsWith(QLatin1Char('-'))) {
        return usage(QStringLiteral("add stdio needs a NAME"));
    }
    const QString name = args.takeFirst();
    static const QRegularExpression binding(QStringLiteral("^([^=]+)=(secret|token):(.+)$"));
    Json env = Json::array();
    while (!args.isEmpty() && args.front() != QStringLiteral("--")) {
        const QString option = args.takeFirst();
        if (option != QStringLiteral("--env") || args.isEmpty()) {
            return usage(QStringLiteral("add stdio: expected --env VAR=secret:KEY or --, got \"%1\"").arg(option));
        }
        const QString spec = args.takeFirst();
        const auto match = binding.match(spec);
        if (!match.hasMatch()) {
            return usage(
                QStringLiteral("--env wants VAR=secret:KEY (store the value with `latchkey secret set %1 KEY`) "
                               "or VAR=token:REMOTE; literal values are not accepted so that no secret lands "
                               "in a config file")
                    .arg(name));
        }
        env.push_back({{"var", match.captured(1).toStdString()},
                       {"source", match.captured(2).toStdString()},
                       {"key", match.captured(3).toStdString()}});
    }
    if (args.size() < 2) {
        return usage(QStringLiteral("add stdio %1: the command goes after --").arg(name));
    }
    args.removeFirst();
    Json command = Json::array();
    for (const QString &arg : std::as_const(args)) {
        command.push_back(arg.toStdString());
    }
    const Json record = {{"name", name.toStdString()}, {"kind", "stdio"}, {"command", command}, {"env", env}};
    int rc = Ok;
    const auto result = call("server.add", {{"server", record}}, &rc);
    if (!result) {
        return rc;
    }
    out(QStringLiteral("added %1\n").arg(name));
    for (const Json &b : (*result)["server"]["env"]) {
        if (!b.value("present", false)) {
            out(QStringLiteral("  store %1 with: latchkey secret set %2 %1\n").arg(str(b, "key"), name));
        }
    }
    return Ok;
}

int Cli::remove(QStringList args)
{
    if (args.size() != 1) {
        return usage(QStringLiteral("remove needs exactly one NAME"));
    }
    int rc = Ok;
    if (!call("server.remove", {{"name", args.front().toStdString()}}, &rc)) {
        return rc;
    }
    out(QStringLiteral("removed %1\n").arg(args.front()));
    return Ok;
}

int Cli::secret(QStringList args)
{
    if (args.size() != 3 || (args[0] != QStringLiteral("set") && args[0] != QStringLiteral("rm"))) {
        return usage(QStringLiteral("secret set NAME KEY | secret rm NAME KEY (the value is never an argument)"));
    }
    const std::string server = args[1].toStdString();
    const std::string key = args[2].toStdString();
    int rc = Ok;
    if (args[0] == QStringLiteral("rm")) {
        if (!call("secret.remove", {{"server", server}, {"key", key}}, &rc)) {
            return rc;
        }
        out(QStringLiteral("removed secret %1 of %2\n").arg(args[2], args[1]));
        return Ok;
    }
    QString why;
    auto value = SecretInput::read(QStringLiteral("Secret %1 for %2: ").arg(args[2], args[1]), &why);
    if (!value) {
        err(why);
        return Failed;
    }
    Json params = {{"server", server}, {"key", key}, {"value", value->toStdString()}};
    value->fill('\0');
    const auto result = call("secret.set", std::move(params), &rc);
    if (!result) {
        return rc;
    }
    out(QStringLiteral("stored secret %1 of %2 in the keychain\n").arg(args[2], args[1]));
    return Ok;
}

int Cli::client(QStringList args)
{
    if (args.size() != 3 || (args[0] != QStringLiteral("secret") && args[0] != QStringLiteral("key")) ||
        (args[1] != QStringLiteral("set") && args[1] != QStringLiteral("rm"))) {
        return usage(QStringLiteral("client secret|key set|rm ISSUER (the value is never an argument)"));
    }
    const bool key = args[0] == QStringLiteral("key");
    const QString what = key ? QStringLiteral("private key") : QStringLiteral("client secret");
    Json params = {{"issuer", args[2].toStdString()}, {"kind", key ? "private_key" : "secret"}};
    int rc = Ok;
    if (args[1] == QStringLiteral("rm")) {
        if (!call("client.credential.remove", std::move(params), &rc)) {
            return rc;
        }
        out(QStringLiteral("removed the %1 for %2\n").arg(what, args[2]));
        return Ok;
    }
    QString why;
    auto value = SecretInput::read(QStringLiteral("Client secret for %1: ").arg(args[2]), &why);
    if (!value) {
        err(key ? QStringLiteral("pipe the PEM private key to stdin") : why);
        return Failed;
    }
    params["value"] = value->toStdString();
    value->fill('\0');
    const auto result = call("client.credential.set", std::move(params), &rc);
    if (!result) {
        return rc;
    }
    out(QStringLiteral("stored the %1 for %2 in the keychain\n").arg(what, args[2]));
    return Ok;
}

int Cli::runServer(QStringList args)
{
    if (args.isEmpty() || args.front().startsWith(QLatin1Char('-'))) {
        return usage(QStringLiteral("run needs a server NAME"));
    }
    const QString name = args.takeFirst();
    QStringList override;
    if (!args.isEmpty()) {
        if (args.front() != QStringLiteral("--") || args.size() < 2) {
            return usage(QStringLiteral("run %1: a command goes after --").arg(name));
        }
        override = args.mid(1);
    }
    int rc = Ok;
    // Long enough for a consent question (the daemon's default timeout is 60 s).
    const auto result = call("server.env", {{"name", name.toStdString()}}, &rc, kConsentWaitMs);
    if (!result) {
        return rc;
    }
    std::vector<std::string> argv;
    if (!override.isEmpty()) {
        for (const QString &arg : std::as_const(override)) {
            argv.push_back(arg.toStdString());
        }
    } else {
        for (const Json &arg : (*result)["command"]) {
            argv.push_back(arg.get<std::string>());
        }
    }
    if (argv.empty()) {
        err(QStringLiteral("%1 has no command to run (a remote server?); give one after --").arg(name));
        return Usage;
    }
    // Our environment, with the server's variables replacing any of the same name.
    std::vector<std::string> envStrings;
    const Json &env = (*result)["env"];
    for (char **e = environ; *e; ++e) {
        const char *eq = std::strchr(*e, '=');
        const std::string variable(*e, eq ? static_cast<size_t>(eq - *e) : std::strlen(*e));
        if (!env.contains(variable)) {
            envStrings.emplace_back(*e);
        }
    }
    for (const auto &[variable, value] : env.items()) {
        envStrings.push_back(variable + "=" + value.get<std::string>());
    }
    std::vector<char *> argvPtrs;
    for (auto &arg : argv) {
        argvPtrs.push_back(arg.data());
    }
    argvPtrs.push_back(nullptr);
    std::vector<char *> envPtrs;
    for (auto &entry : envStrings) {
        envPtrs.push_back(entry.data());
    }
    envPtrs.push_back(nullptr);
    m_client.reset(); // close the socket before exec; it is CLOEXEC anyway
    std::fflush(stdout);
    ::execvpe(argvPtrs[0], argvPtrs.data(), envPtrs.data());
    const int saved = errno;
    for (auto &entry : envStrings) {
        std::fill(entry.begin(), entry.end(), '\0');
    }
    err(QStringLiteral("cannot run %1: %2")
            .arg(QString::fromStdString(argv[0]), QString::fromLocal8Bit(std::strerror(saved))));
    return Failed;
}

int Cli::audit(QStringList args)
{
    const bool json = takeFlag(args, QStringLiteral("--json"));
    Json params = Json::object();
    if (args.size() == 2 && args[0] == QStringLiteral("--since")) {
        params["since"] = args[1].toStdString();
    } else if (!args.isEmpty()) {
        return usage(QStringLiteral("audit [--json] [--since TIME]"));
    }
    int rc = Ok;
    const auto result = call("audit.list", params, &rc);
    if (!result) {
        return rc;
    }
    const Json &entries = (*result)["entries"];
    if (json) {
        out(QString::fromStdString(entries.dump(2)) + QLatin1Char('\n'));
        return Ok;
    }
    for (const Json &entry : entries) {
        Json rest = entry;
        rest.erase("ts");
        rest.erase("event");
        out(QStringLiteral("%1  %2  %3\n")
                .arg(str(entry, "ts"), str(entry, "event"), QString::fromStdString(rest.dump())));
    }
    return Ok;
}

int Cli::addRemote(const QString &url, QStringList args)
{
    QString name;
    Json scopes = Json::array();
    while (!args.isEmpty()) {
        const QString option = args.takeFirst();
        if ((option != QStringLiteral("--name") && option != QStringLiteral("--scope")) || args.isEmpty()) {
            return usage(QStringLiteral("add URL [--name NAME] [--scope S]..."));
        }
        if (option == QStringLiteral("--name")) {
            name = args.takeFirst();
        } else {
            scopes.push_back(args.takeFirst().toStdString());
        }
    }
    if (name.isEmpty()) {
        name = QUrl(url).host(); // the host is a fine default name; --name when two servers share one
    }
    const Json record = {
        {"name", name.toStdString()}, {"kind", "remote"}, {"url", url.toStdString()}, {"scopes", scopes}};
    int rc = Ok;
    const auto result = call("server.add", {{"server", record}}, &rc, 60000);
    if (!result) {
        return rc;
    }
    const Json &found = (*result)["discovery"];
    out(QStringLiteral("added %1 (%2)\n").arg(name, str(found, "resource")));
    if (!found.value("auth_required", true)) {
        out(QStringLiteral("  the server needs no sign-in\n"));
        return Ok;
    }
    QStringList scopeList;
    for (const Json &scope : (*result)["server"]["scopes"]) {
        scopeList << QString::fromStdString(scope.get<std::string>());
    }
    const QString registration = str(found, "registration");
    out(QStringLiteral("  authorization server: %1%2\n")
            .arg(str(found, "issuer"),
                 found.value("legacy", false) ? QStringLiteral(" (2025-03-26 fallback)") : QString()));
    out(QStringLiteral("  scopes: %1\n")
            .arg(scopeList.isEmpty() ? QStringLiteral("(none requested)") : scopeList.join(QLatin1Char(' '))));
    out(QStringLiteral("  client registration: %1\n")
            .arg(registration == QStringLiteral("preregistered") ? QStringLiteral("pre-registered client")
                 : registration == QStringLiteral("cimd")        ? QStringLiteral("client ID metadata document")
                 : registration == QStringLiteral("dcr")         ? QStringLiteral("dynamic client registration")
                                                                 : QStringLiteral("none available")));
    out(QStringLiteral("sign in with: latchkey login %1\n").arg(name));
    return Ok;
}

int Cli::login(QStringList args)
{
    if (args.size() != 1) {
        return usage(QStringLiteral("login NAME"));
    }
    const QString name = args.front();
    int rc = Ok;
    // The sign-in takes as long as the person needs in the browser; the daemon times it out itself.
    const auto result =
        call("server.login", {{"name", name.toStdString()}}, &rc, 6 * 60 * 1000, [name](const ipc::Event &event) {
            if (event.name != "login.progress" || str(event.data, "name") != name ||
                str(event.data, "stage") != QStringLiteral("browser") || str(event.data, "url").isEmpty()) {
                return;
            }
            err(QStringLiteral("opening the browser to sign in to %1; if it does not open, visit:\n  %2")
                    .arg(name, str(event.data, "url")));
        });
    if (!result) {
        return rc;
    }
    out(QStringLiteral("signed in to %1\n").arg(name));
    return Ok;
}

int Cli::logout(QStringList args)
{
    if (args.size() != 1) {
        return usage(QStringLiteral("logout NAME"));
    }
    int rc = Ok;
    const auto result = call("server.logout", {{"name", args.front().toStdString()}}, &rc, 60000);
    if (!result) {
        return rc;
    }
    out(QStringLiteral("signed out of %1: %2\n").arg(args.front(), str(*result, "revocation")));
    return Ok;
}

int Cli::token(QStringList args)
{
    if (args.size() != 1) {
        return usage(QStringLiteral("token NAME"));
    }
    int rc = Ok;
    const auto result = call("token.get", {{"name", args.front().toStdString()}}, &rc, kConsentWaitMs);
    if (!result) {
        return rc;
    }
    out(str(*result, "access_token") + QLatin1Char('\n'));
    return Ok;
}

int Cli::connectBridge(QStringList args)
{
    // The daemon must be up before the MCP client starts talking; then the bridge takes over the
    // process (same pid, same stdio) so the client sees one program.
    if (!ensureConnected()) {
        return Unreachable;
    }
    m_client.reset();
    QString program = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("latchkey-bridge"));
    if (!QFileInfo(program).isExecutable()) {
        program = QDir(QCoreApplication::applicationDirPath())
                      .filePath(QStringLiteral("../" LATCHKEY_LIBEXECDIR "/latchkey/latchkey-bridge"));
    }
    std::vector<std::string> argv = {program.toStdString(), "--socket", m_socketPath.toStdString()};
    for (const QString &arg : std::as_const(args)) {
        argv.push_back(arg.toStdString());
    }
    std::vector<char *> pointers;
    for (auto &arg : argv) {
        pointers.push_back(arg.data());
    }
    pointers.push_back(nullptr);
    ::execv(pointers[0], pointers.data());
    err(QStringLiteral("cannot start %1: %2").arg(program, QString::fromLocal8Bit(std::strerror(errno))));
    return Failed;
}

} // namespace latchkey::cli
