#pragma once

#include "DaemonConnection.h"
#include "Health.h"

#include <QCoreApplication>
#include <QString>

namespace latchkey::tray {

// What the tray and the window say about the daemon, worked out in one place so both agree.
struct StatusSummary
{
    Q_DECLARE_TR_FUNCTIONS(StatusSummary)

public:
    Health health = Health::Unknown;
    QString headline;   // one short sentence: the tray menu's status line and the window's title line
    QString daemon;     // "connected: latchkeyd 0.1.0 (pid 42)" or "not running"
    QString keychain;   // "available (Secret Service)" or the error
    QString config;     // "ok (path)" or the error
    QString servers;    // "3 servers, every secret stored", or what to do when something is missing
    QString enterprise; // the managed policy's state or error; empty when there is no policy at all
    QString detail;     // the socket error behind "not running", for a tooltip

    static StatusSummary evaluate(DaemonConnection::State state, const DaemonStatus *status,
                                  const QList<ServerInfo> &servers, const QString &socketPath = {},
                                  const QString &lastError = {});
    static StatusSummary of(const DaemonConnection &connection);
};

} // namespace latchkey::tray
