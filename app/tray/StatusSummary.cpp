#include "StatusSummary.h"

#include <algorithm>

namespace latchkey::tray {

StatusSummary StatusSummary::evaluate(DaemonConnection::State state, const DaemonStatus *status,
                                      const QList<ServerInfo> &servers, const QString &socketPath,
                                      const QString &lastError)
{
    StatusSummary summary;
    if (state == DaemonConnection::State::Connecting) {
        summary.health = Health::Unknown;
        summary.headline = tr("Connecting to the Latchkey daemon…");
        summary.daemon = tr("connecting…");
        summary.keychain = tr("unknown");
        summary.config = tr("unknown");
        summary.servers = tr("unknown");
        return summary;
    }
    if (state == DaemonConnection::State::Disconnected) {
        summary.health = Health::Error;
        summary.headline = tr("The Latchkey daemon is not running");
        // Qt's socket errors read oddly here ("Invalid name" for a missing socket): say what it means
        // and keep the raw error for the tooltip.
        summary.daemon =
            socketPath.isEmpty() ? tr("not running") : tr("not running: nothing answers on %1").arg(socketPath);
        summary.detail = lastError;
        summary.keychain = tr("unknown while the daemon is not running");
        summary.config = tr("unknown while the daemon is not running");
        summary.servers = tr("Run latchkey status to start it; Latchkey reconnects by itself.");
        return summary;
    }

    QStringList missingNames;
    QStringList signInNames;
    for (const ServerInfo &server : servers) {
        if (!server.missingSecrets().isEmpty()) {
            missingNames.append(server.name);
        }
        if (server.needsSignIn()) {
            signInNames.append(server.name);
        }
    }
    const auto missing = static_cast<int>(missingNames.size());
    // English plurals by branching: there is no translation catalogue (and so no numerus forms) yet.
    const auto count = static_cast<int>(servers.size());
    summary.servers = count == 0 ? tr("No servers yet") : count == 1 ? tr("1 server") : tr("%1 servers").arg(count);
    if (missing > 0) {
        summary.servers = tr("%1; store what is missing with: latchkey secret set SERVER KEY").arg(summary.servers);
    } else if (count > 0 && std::any_of(servers.begin(), servers.end(),
                                        [](const ServerInfo &s) { return s.requiredSecretCount() > 0; })) {
        summary.servers = tr("%1, every secret stored").arg(summary.servers);
    }
    if (!status) {
        summary.health = Health::Unknown;
        summary.headline = tr("Connected; asking the daemon for its status…");
        summary.daemon = tr("connected");
        summary.keychain = tr("unknown");
        summary.config = tr("unknown");
        return summary;
    }

    summary.daemon = status->version.isEmpty()
                         ? tr("connected (pid %1)").arg(status->pid)
                         : tr("connected: latchkeyd %1 (pid %2)").arg(status->version).arg(status->pid);
    const QString backend = status->keychainBackend.isEmpty() ? tr("keychain") : status->keychainBackend;
    summary.keychain =
        status->keychainAvailable
            ? tr("available (%1)").arg(backend)
            : tr("unavailable (%1): %2")
                  .arg(backend, status->keychainError.isEmpty() ? tr("no reason given") : status->keychainError);
    summary.config =
        status->configOk
            ? tr("ok (%1)").arg(status->configPath)
            : tr("unusable: %1").arg(status->configError.isEmpty() ? status->configPath : status->configError);
    if (!status->enterprisePolicyError.isEmpty()) {
        summary.enterprise = tr("policy unusable: %1").arg(status->enterprisePolicyError);
    } else if (status->enterpriseConfigured) {
        const int approved = status->enterpriseServerCount;
        const QString approvedText = approved == 1 ? tr("1 approved server") : tr("%1 approved servers").arg(approved);
        summary.enterprise = status->enterpriseSignedIn ? tr("signed in; %1").arg(approvedText)
                                                        : tr("not signed in; %1").arg(approvedText);
    }
    if (!status->keychainAvailable) {
        summary.health = Health::Error;
        summary.headline = tr("The keychain is unavailable");
    } else if (!status->configOk) {
        summary.health = Health::Error;
        summary.headline = tr("The server configuration cannot be read");
    } else if (!status->enterprisePolicyError.isEmpty()) {
        // Everything else still works; what the organisation approved does not until the policy is fixed.
        summary.health = Health::Attention;
        summary.headline = tr("The enterprise policy cannot be used");
    } else if (!signInNames.isEmpty()) {
        summary.health = Health::Attention;
        summary.headline = signInNames.size() == 1 ? tr("%1 needs you to sign in").arg(signInNames.first())
                                                   : tr("%1 servers need you to sign in").arg(signInNames.size());
    } else if (missing > 0) {
        summary.health = Health::Attention;
        summary.headline = missing == 1 ? tr("%1 needs a secret").arg(missingNames.first())
                                        : tr("%1 servers need secrets").arg(missing);
    } else {
        summary.health = Health::Good;
        summary.headline = tr("Latchkey is running");
    }
    return summary;
}

StatusSummary StatusSummary::of(const DaemonConnection &connection)
{
    return evaluate(connection.state(), connection.hasStatus() ? &connection.status() : nullptr, connection.servers(),
                    connection.socketPath(), connection.lastError());
}

} // namespace latchkey::tray
