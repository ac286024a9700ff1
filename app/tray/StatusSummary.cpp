#include "StatusSummary.h"

#include <algorithm>

namespace latchkey::tray {

StatusSummary StatusSummary::evaluate(DaemonConnection::State state, const DaemonStatus *status,
                                      const QList<ServerInfo> &servers, const QString &lastError)
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
        summary.daemon = lastError.isEmpty() ? tr("not running") : tr("not running (%1)").arg(lastError);
        summary.keychain = tr("unknown while the daemon is not running");
        summary.config = tr("unknown while the daemon is not running");
        summary.servers = tr("unknown while the daemon is not running");
        return summary;
    }

    const int missing = static_cast<int>(std::count_if(
        servers.begin(), servers.end(), [](const ServerInfo &s) { return !s.missingSecrets().isEmpty(); }));
    summary.servers =
        missing == 0 ? tr("%n server(s)", nullptr, static_cast<int>(servers.size()))
                     : tr("%n server(s), %1 missing secrets", nullptr, static_cast<int>(servers.size())).arg(missing);
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
    if (!status->keychainAvailable) {
        summary.health = Health::Error;
        summary.headline = tr("The keychain is unavailable");
    } else if (!status->configOk) {
        summary.health = Health::Error;
        summary.headline = tr("The server configuration cannot be read");
    } else if (missing > 0) {
        summary.health = Health::Attention;
        summary.headline = tr("%n server(s) missing secrets", nullptr, missing);
    } else {
        summary.health = Health::Good;
        summary.headline = tr("Latchkey is running");
    }
    return summary;
}

StatusSummary StatusSummary::of(const DaemonConnection &connection)
{
    return evaluate(connection.state(), connection.hasStatus() ? &connection.status() : nullptr, connection.servers(),
                    connection.lastError());
}

} // namespace latchkey::tray
