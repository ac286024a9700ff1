#pragma once

#include "OAuthMetadata.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <optional>

namespace latchkey {

// One environment variable a server gets when Latchkey launches it.
struct EnvBinding
{
    enum class Source
    {
        Secret, // a secret stored for this server: latchkey/secret/<server>/<key>
        Token,  // the current access token of the remote server named by `reference`
    };
    QString variable;
    Source source = Source::Secret;
    QString reference;

    bool operator==(const EnvBinding &) const = default;
};

// A header the bridge sends to a remote server on every request, its value a secret stored for that
// server (latchkey/secret/<server>/<key>): the "API key / static bearer" rung for remote servers.
struct HeaderBinding
{
    QString header; // an HTTP field name, e.g. "Authorization" or "X-API-Key"
    QString key;    // the secret holding the whole field value, e.g. "Bearer sk-…"

    bool operator==(const HeaderBinding &) const = default;
};

// What Latchkey knows about a remote (OAuth-protected) server: what discovery found and the state of
// its grant. Nothing secret: tokens and client secrets live in the vault.
struct RemoteServer
{
    enum class GrantState
    {
        None,       // never signed in (or signed out)
        Active,     // a token set is in the keychain
        NeedsLogin, // the grant died (invalid_grant, revoked, lost); `reason` says why
    };
    QString url;      // as the person gave it
    QString resource; // canonical server URI: which server this is
    // The `resource` sent to the authorization server when it differs from `resource`: the identifier the
    // server's Protected Resource Metadata publishes (e.g. its origin), which it checks as the audience.
    QString resourceIndicator;
    QString audience() const { return resourceIndicator.isEmpty() ? resource : resourceIndicator; }
    bool authRequired = true;
    bool legacy = false; // a 2025-03-26 server without Protected Resource Metadata
    QStringList scopes;  // requested at sign-in; grows with step-up
    std::optional<AuthorizationServerMetadata> authorizationServer;
    QString clientId;
    QString registration; // "preregistered", "cimd" or "dcr"
    GrantState grant = GrantState::None;
    QString grantReason;
    // Approved by the enterprise policy (EnterpriseSession): empty for a server the person added; else
    // connected | needs_login | unsupported | revoked | error, with the reason. Every state but
    // "unsupported" is served through the ID-JAG grant ("grant_kind": "enterprise").
    QString enterpriseState;
    QString enterpriseReason;
    bool isEnterpriseGrant() const
    {
        return !enterpriseState.isEmpty() && enterpriseState != QStringLiteral("unsupported");
    }
    QList<HeaderBinding> headers; // static credential headers; a record with any is not an OAuth server
};

// The non-secret description of a server, as kept in servers.json.
struct ServerRecord
{
    enum class Kind
    {
        Stdio,
        Remote,
    };
    QString name;
    Kind kind = Kind::Stdio;
    QStringList command; // stdio: program and arguments, executed without a shell
    QList<EnvBinding> env;
    RemoteServer remote; // remote only

    nlohmann::json toJson() const;
    // Parses and validates one record; on failure returns nullopt and says why in *error.
    static std::optional<ServerRecord> fromJson(const nlohmann::json &json, QString *error);

    static QString grantStateName(RemoteServer::GrantState state);
    // Why `name` cannot be a bound header (empty when it can): an HTTP token the bridge does not set itself.
    static QString checkHeaderName(const QString &name);
};

} // namespace latchkey
