#pragma once

#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace latchkey {

// Persisted consent decisions per (app, server): "always" or "deny". Kept in
// $XDG_CONFIG_HOME/latchkey/grants.json, written atomically (QSaveFile), mode 0600, schema-versioned.
// Like ServerRegistry, a file that cannot be read or parsed is never overwritten: the policy goes
// read-only, says why, and knows no grants (so apps are asked again — nothing is allowed by accident).
// An app is its executable path (see AppIdentity); "allow once" is never stored.
class Policy
{
public:
    static constexpr int kSchemaVersion = 1;

    enum class Decision
    {
        Always,
        Deny
    };

    struct Grant
    {
        QString app;
        QString server;
        Decision decision = Decision::Always;
        QString at; // ISO 8601, UTC
    };

    explicit Policy(QString path);

    static QString defaultPath();
    static QString decisionName(Decision decision);

    // A missing file is no grants. False and error() otherwise.
    bool load();
    QString path() const { return m_path; }
    QString error() const { return m_error; }

    std::optional<Decision> decision(const QString &app, const QString &server) const;
    QList<Grant> grants() const { return m_grants.values(); }
    // Apps with an "always" grant for the server, sorted.
    QStringList allowedApps(const QString &server) const;

    // Each saves at once; false with *error (and nothing changed) on failure.
    bool set(const QString &app, const QString &server, Decision decision, QString *error);
    // The app's decisions for one server, or for all servers when server is empty. How many went, or -1.
    int revoke(const QString &app, const QString &server, QString *error);
    // Every decision about a server (it was removed).
    int forgetServer(const QString &server, QString *error);

private:
    using Key = QPair<QString, QString>; // app, server
    bool save(const QMap<Key, Grant> &grants, QString *error);
    int removeWhere(const std::function<bool(const Grant &)> &match, QString *error);

    QString m_path;
    QString m_error;
    QMap<Key, Grant> m_grants;
};

} // namespace latchkey
