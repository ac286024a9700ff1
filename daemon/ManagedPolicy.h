#pragma once

#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <nlohmann/json.hpp>

#include <optional>

namespace latchkey {

// The admin's policy for Enterprise-Managed Authorization (docs/enterprise.md): which IdP Latchkey signs
// in to and which MCP servers are approved. Read-only for the daemon; it never holds a secret (client
// secrets and keys go to the keychain with `latchkey client secret|key set ISSUER`).
// Where it comes from: $LATCHKEY_POLICY (tests, unusual deployments), else per OS: /etc/latchkey/policy.json
// on Linux, the managed preferences domain com.latchkey.Latchkey on macOS, HKLM\Software\Policies\Latchkey
// on Windows. A person may add an IdP (only "idp") in $XDG_CONFIG_HOME/latchkey/enterprise.json; the
// managed policy wins when both exist.
struct ManagedPolicy
{
    struct Idp
    {
        QString issuer;
        QString clientId;
        QString clientAuth =
            QStringLiteral("none"); // none | client_secret_basic | client_secret_post | private_key_jwt
        QStringList scopes;         // openid always included
    };
    struct Server
    {
        QString name;
        QString url;
        QStringList scopes;
        QString clientId;   // Latchkey's client at that server's AS; empty: the registration ladder
        QString clientAuth; // empty: what the AS and the keychain allow
    };

    Idp idp;
    QList<Server> servers;
    QString source; // the file (or preferences domain / registry key) it came from

    // Validates a schema-1 document. nullopt with *error naming the field and the rule.
    // userConfig: the person's enterprise.json, which may name an IdP but approves no servers.
    static std::optional<ManagedPolicy> fromJson(const nlohmann::json &doc, QString *error, bool userConfig = false);
    static std::optional<ManagedPolicy> parse(const QByteArray &text, QString *error, bool userConfig = false);
    // The same document as a key/value tree (macOS managed preferences, Windows registry).
    static nlohmann::json fromSettingsTree(const QVariantMap &tree);

    struct Loaded; // below: it holds a ManagedPolicy
    // Looks in the places above, in order; a broken managed policy is reported, never skipped over.
    static Loaded load();
    static Loaded loadFile(const QString &path, bool userConfig);
    static QString systemPath();
    static QString userPath();
};

struct ManagedPolicy::Loaded
{
    std::optional<ManagedPolicy> policy; // nullopt: none configured, or invalid (error set)
    QString path;                        // where it was looked for / found
    QString error;                       // names the file and the problem
};

} // namespace latchkey
