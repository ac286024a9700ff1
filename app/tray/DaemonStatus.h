#pragma once

#include "Message.h"

#include <QString>

namespace latchkey::tray {

// What the daemon's `status` method reports, read leniently: a field that is missing or of the
// wrong type keeps its default, so a newer or older daemon never breaks the tray.
struct DaemonStatus
{
    QString version;
    qint64 pid = 0;
    QString keychainBackend;
    bool keychainAvailable = false;
    QString keychainError;
    QString configPath;
    bool configOk = false;
    QString configError;
    int serverCount = 0;
    bool enterpriseConfigured = false; // a usable enterprise policy names an IdP
    QString enterprisePolicyPath;
    QString enterprisePolicyError; // why the policy cannot be used; empty when it can (or there is none)
    bool enterpriseSignedIn = false;
    int enterpriseServerCount = 0;

    static DaemonStatus fromJson(const ipc::Json &json);
};

} // namespace latchkey::tray
