#pragma once

#include "Message.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace latchkey::tray {

// One server as `server.list` describes it (no secrets, only whether each one is stored).
struct ServerInfo
{
    struct EnvBinding
    {
        QString variable;
        QString source; // "secret"
        QString key;
        bool present = false;
    };

    QString name;
    QString kind;
    QStringList command;
    QList<EnvBinding> env;
    QStringList secrets; // the keys stored for this server

    // The keys the environment needs that are not stored yet, in binding order, without repeats.
    QStringList missingSecrets() const;
    int requiredSecretCount() const;

    // One record; nullopt when it has no name (the only field the tray cannot do without).
    static std::optional<ServerInfo> fromJson(const ipc::Json &json);
    // The "servers" array of a server.list result; unreadable entries are skipped.
    static QList<ServerInfo> listFromJson(const ipc::Json &result);
};

} // namespace latchkey::tray
