#pragma once

#include "Message.h"

#include <QString>
#include <QStringList>

namespace latchkey::tray {

// One consent question from the daemon (the data of a `consent.request` event): which app asks for which
// server's credentials, and how long the daemon waits for an answer.
struct ConsentRequest
{
    qint64 id = -1;
    QString appExecutable;
    QString appName;
    qint64 appPid = -1;
    QString serverName;
    QString serverUrl;    // remote servers
    QStringList command;  // stdio servers
    QStringList tokensOf; // remote servers whose access token a stdio server is given
    int timeoutMs = 60000;

    bool isValid() const { return id >= 0 && !serverName.isEmpty(); }
    static ConsentRequest fromJson(const ipc::Json &data);
};

} // namespace latchkey::tray
