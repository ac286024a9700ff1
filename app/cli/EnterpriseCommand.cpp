#include "EnterpriseCommand.h"

#include "CliText.h"
#include "SecretInput.h"

#include <QDateTime>

namespace latchkey::cli {

using ipc::Json;

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kSignInTimeoutMs = 6 * 60 * 1000;

int usage(const QString &message)
{
    err(message);
    err(QStringLiteral("usage: latchkey enterprise login [--id-token-stdin [--allow-unverified-id-token]] | status "
                       "[--json] | logout"));
    return kUsage;
}

} // namespace

int EnterpriseCommand::run(QStringList args)
{
    if (args.isEmpty()) {
        return usage(QStringLiteral("enterprise needs a subcommand"));
    }
    const QString sub = args.takeFirst();
    if (sub == QStringLiteral("login")) {
        return login(args);
    }
    if (sub == QStringLiteral("status")) {
        return status(args);
    }
    if (sub == QStringLiteral("logout")) {
        return logout(args);
    }
    return usage(QStringLiteral("unknown enterprise subcommand \"%1\"").arg(sub));
}

void EnterpriseCommand::printServers(const Json &servers)
{
    if (!servers.is_array()) {
        return;
    }
    for (const Json &server : servers) {
        const QString state = str(server, "state");
        const QString reason = str(server, "reason");
        out(QStringLiteral("  %1  %2  %3%4\n")
                .arg(str(server, "name"), -20)
                .arg(state.toUpper(), -12)
                .arg(str(server, "url"),
                     reason.isEmpty() ? QString() : QStringLiteral("  (") + reason + QLatin1Char(')')));
    }
}

int EnterpriseCommand::login(QStringList args)
{
    Json params = Json::object();
    const bool fromStdin = args.removeAll(QStringLiteral("--id-token-stdin")) > 0;
    // Waives the signature check only when the IdP's keys cannot be had (the daemon audits it).
    const bool allowUnverified = args.removeAll(QStringLiteral("--allow-unverified-id-token")) > 0;
    if (allowUnverified && !fromStdin) {
        return usage(QStringLiteral("--allow-unverified-id-token applies only with --id-token-stdin"));
    }
    if (!args.isEmpty()) {
        return usage(QStringLiteral("enterprise login takes only --id-token-stdin [--allow-unverified-id-token]"));
    }
    if (fromStdin) {
        // For SSO brokers and headless sessions: the ID token comes on stdin, never in argv.
        QString why;
        const auto token = SecretInput::read(QStringLiteral("ID token: "), &why);
        if (!token) {
            err(why);
            return kFailed;
        }
        params["id_token"] = token->trimmed().toStdString();
        if (allowUnverified) {
            params["allow_unverified_id_token"] = true;
        }
    }
    int rc = kOk;
    const auto result = m_call("enterprise.login", params, &rc, kSignInTimeoutMs, [](const ipc::Event &event) {
        if (event.name == "login.progress" && str(event.data, "name") == QStringLiteral("enterprise") &&
            !str(event.data, "url").isEmpty()) {
            err(QStringLiteral("opening the browser to sign in at your identity provider; if it does not open, "
                               "visit:\n  %1")
                    .arg(str(event.data, "url")));
        }
    });
    if (!result) {
        return rc;
    }
    const Json &idp = (*result)["idp"];
    out(QStringLiteral("signed in at %1 as %2\n").arg(str(idp, "issuer"), str(idp, "subject")));
    if (!idp.value("signatureChecked", true)) {
        err(QStringLiteral("warning: the ID token's signature was NOT checked (the IdP's keys could not be had; "
                           "accepted because of --allow-unverified-id-token, and audited)"));
    }
    printServers((*result)["servers"]);
    return kOk; // signed in at the IdP, whatever each server's state
}

int EnterpriseCommand::status(QStringList args)
{
    const bool json = args.removeAll(QStringLiteral("--json")) > 0;
    if (!args.isEmpty()) {
        return usage(QStringLiteral("enterprise status takes only --json"));
    }
    int rc = kOk;
    const auto result = m_call("enterprise.status", Json::object(), &rc, 30000, {});
    if (!result) {
        return rc;
    }
    if (json) {
        out(QString::fromStdString(result->dump(2)) + QLatin1Char('\n'));
        return kOk;
    }
    const Json &policy = (*result)["policy"];
    const Json &idp = (*result)["idp"];
    if (policy.value("error", Json()).is_string()) {
        out(QStringLiteral("policy:  UNUSABLE: %1\n").arg(str(policy, "error")));
    } else if (!idp.is_object()) {
        out(QStringLiteral("policy:  none (looked at %1)\n").arg(str(policy, "path")));
        return kOk;
    } else {
        out(QStringLiteral("policy:  %1\n").arg(str(policy, "source")));
    }
    if (idp.is_object()) {
        const bool signedIn = idp.value("signedIn", false);
        const qint64 expires = idp.value("expiresAt", qint64(0));
        out(QStringLiteral("idp:     %1, %2\n")
                .arg(str(idp, "issuer"),
                     signedIn
                         ? QStringLiteral("signed in as %1 (ID token until %2%3)")
                               .arg(str(idp, "subject"), QDateTime::fromSecsSinceEpoch(expires).toString(Qt::ISODate),
                                    idp.value("signatureChecked", true)
                                        ? QString()
                                        : QStringLiteral("; its signature was NOT checked: accepted with "
                                                         "--allow-unverified-id-token"))
                         : QStringLiteral("not signed in (latchkey enterprise login)")));
    }
    out(QStringLiteral("servers:\n"));
    printServers((*result)["servers"]);
    return kOk;
}

int EnterpriseCommand::logout(QStringList args)
{
    if (!args.isEmpty()) {
        return usage(QStringLiteral("enterprise logout takes no arguments"));
    }
    int rc = kOk;
    const auto result = m_call("enterprise.logout", Json::object(), &rc, 60000, {});
    if (!result) {
        return rc;
    }
    out(QStringLiteral("signed out of the identity provider; enterprise tokens deleted\n"));
    const Json &revocation = (*result)["idpRevocation"];
    const QString outcome = str(revocation, "result");
    if (outcome == QStringLiteral("revoked")) {
        out(QStringLiteral("the IdP revoked the sign-in's refresh token\n"));
    } else if (outcome == QStringLiteral("failed")) {
        // Local state is gone either way; the person should know the IdP may still honour the refresh token.
        err(QStringLiteral("warning: the IdP did not revoke the sign-in's refresh token (%1); it was deleted "
                           "here, and lapses at the IdP on its own")
                .arg(str(revocation, "detail")));
    } else if (outcome == QStringLiteral("not_offered")) {
        out(QStringLiteral("the IdP offers no revocation; its refresh token was deleted here\n"));
    }
    return kOk;
}

} // namespace latchkey::cli
