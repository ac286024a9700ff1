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
    // A remote server's static credential header (an API key or bearer the bridge sends), its value a
    // secret stored for the server.
    struct HeaderBinding
    {
        QString header;
        QString key;
        bool present = false;
    };

    QString name;
    QString kind;
    QStringList command;
    QList<EnvBinding> env;
    QStringList secrets; // the keys stored for this server

    // Remote servers (kind "remote").
    QString url;
    QString resource;
    QString issuer; // the authorization server
    QStringList scopes;
    QList<HeaderBinding> headers; // a server with any is not an OAuth server: its credential is these secrets
    QString grantState;           // "none", "active" or "needs_login"
    QString grantReason;
    bool signingIn = false;
    bool authRequired = true;
    // Seconds since the epoch; 0 when the daemon does not know (or does not say).
    qint64 expiresAt = 0;
    qint64 lastUsedAt = 0;
    // How the server's credential is obtained: the daemon's "rung" or "grant_kind" when it says, else derived.
    QString rung;
    // Servers the organisation's policy approved: "connected", "needs_login", "revoked", … and why.
    QString enterpriseState;
    QString enterpriseReason;
    // The local apps allowed to use this server (executable paths), when the daemon sends them.
    QStringList apps;

    bool isRemote() const { return kind == QStringLiteral("remote"); }
    // A remote server whose credential is an OAuth grant (one that can be signed in to and out of).
    bool usesOAuth() const { return isRemote() && headers.isEmpty(); }
    // A remote server that wants a sign-in: its grant died, or it needs auth and has none yet.
    bool needsSignIn() const;
    bool isSignedIn() const { return grantState == QStringLiteral("active"); }

    // The keys the environment (or the headers) need that are not stored yet, in binding order, without repeats.
    QStringList missingSecrets() const;
    int requiredSecretCount() const;

    // One record; nullopt when it has no name (the only field the tray cannot do without).
    static std::optional<ServerInfo> fromJson(const ipc::Json &json);
    // The "servers" array of a server.list result; unreadable entries are skipped.
    static QList<ServerInfo> listFromJson(const ipc::Json &result);
};

} // namespace latchkey::tray
