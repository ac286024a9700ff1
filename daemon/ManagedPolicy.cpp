#include "ManagedPolicy.h"

#include "EndpointPolicy.h"
#include "Names.h"
#include "ResourceUri.h"
#include "ScopeSet.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QSettings>
#include <QStandardPaths>

namespace latchkey {

using nlohmann::json;

namespace {

constexpr qint64 kMaxPolicyBytes = 256 * 1024;
constexpr qsizetype kMaxClientId = 512;
constexpr int kMaxServers = 500;

const QStringList kClientAuthMethods = {QStringLiteral("none"), QStringLiteral("client_secret_basic"),
                                        QStringLiteral("client_secret_post"), QStringLiteral("private_key_jwt")};

// Typos and secrets are refused by name, so an admin learns at once what the daemon will not read.
bool onlyKeys(const json &object, std::initializer_list<const char *> allowed, const QString &where, QString *error)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        bool known = false;
        for (const char *key : allowed) {
            known = known || it.key() == key;
        }
        if (!known) {
            const QString key = QString::fromStdString(it.key()).left(64);
            *error = key.contains(QStringLiteral("secret")) || key.contains(QStringLiteral("key"))
                         ? QStringLiteral("%1: \"%2\" is not allowed: the policy holds no secrets (store them with "
                                          "`latchkey client secret|key set ISSUER`)")
                               .arg(where, key)
                         : QStringLiteral("%1: unknown field \"%2\"").arg(where, key);
            return false;
        }
    }
    return true;
}

bool readString(const json &object, const char *key, bool required, const QString &where, QString *out, QString *error)
{
    const auto it = object.find(key);
    if (it == object.end()) {
        if (required) {
            *error = QStringLiteral("%1: \"%2\" is missing").arg(where, QString::fromLatin1(key));
        }
        return !required;
    }
    if (!it->is_string() || it->get_ref<const std::string &>().empty() ||
        it->get_ref<const std::string &>().size() > static_cast<size_t>(kMaxClientId * 16)) {
        *error = QStringLiteral("%1: \"%2\" must be a non-empty string").arg(where, QString::fromLatin1(key));
        return false;
    }
    *out = QString::fromStdString(it->get<std::string>());
    return true;
}

bool readScopes(const json &object, const QString &where, QStringList *out, QString *error)
{
    const auto it = object.find("scopes");
    if (it == object.end()) {
        return true;
    }
    QStringList scopes;
    if (it->is_array()) {
        for (const json &scope : *it) {
            if (!scope.is_string()) {
                *error = QStringLiteral("%1: \"scopes\" must be a list of strings").arg(where);
                return false;
            }
            scopes.append(QString::fromStdString(scope.get<std::string>()));
        }
    } else {
        *error = QStringLiteral("%1: \"scopes\" must be a list of strings").arg(where);
        return false;
    }
    QString why;
    const oauth::ScopeSet set = oauth::ScopeSet::fromList(scopes, &why);
    if (!why.isEmpty()) {
        *error = QStringLiteral("%1: %2").arg(where, why);
        return false;
    }
    *out = set.toList();
    return true;
}

bool readClientAuth(const json &object, const QString &where, QString *out, QString *error)
{
    if (!readString(object, "client_auth", false, where, out, error)) {
        return false;
    }
    if (!out->isEmpty() && !kClientAuthMethods.contains(*out)) {
        *error = QStringLiteral("%1: \"client_auth\" must be one of %2")
                     .arg(where, kClientAuthMethods.join(QStringLiteral(", ")));
        return false;
    }
    return true;
}

bool readUrl(const json &object, const char *key, const QString &where, QString *out, QString *error)
{
    if (!readString(object, key, true, where, out, error)) {
        return false;
    }
    // https, or http to a loopback host only (tests); the same rule as every OAuth endpoint.
    if (const QString why = oauth::EndpointPolicy::checkEndpoint(*out); !why.isEmpty()) {
        *error = QStringLiteral("%1: \"%2\" refused: %3").arg(where, QString::fromLatin1(key), why);
        return false;
    }
    return true;
}

} // namespace

std::optional<ManagedPolicy> ManagedPolicy::fromJson(const json &doc, QString *error, bool userConfig)
{
    if (!doc.is_object()) {
        *error = QStringLiteral("the policy must be a JSON object");
        return std::nullopt;
    }
    if (!onlyKeys(doc, {"schema", "idp", "servers"}, QStringLiteral("policy"), error)) {
        return std::nullopt;
    }
    const auto schema = doc.find("schema");
    if (schema == doc.end() || !schema->is_number_integer() || schema->get<int>() != 1) {
        *error = QStringLiteral("\"schema\" must be 1");
        return std::nullopt;
    }
    ManagedPolicy policy;
    const auto idp = doc.find("idp");
    if (idp == doc.end() || !idp->is_object()) {
        *error = QStringLiteral("\"idp\" must be an object naming the identity provider");
        return std::nullopt;
    }
    const QString idpWhere = QStringLiteral("idp");
    if (!onlyKeys(*idp, {"issuer", "client_id", "client_auth", "scopes"}, idpWhere, error) ||
        !readUrl(*idp, "issuer", idpWhere, &policy.idp.issuer, error) ||
        !readString(*idp, "client_id", true, idpWhere, &policy.idp.clientId, error) ||
        !readClientAuth(*idp, idpWhere, &policy.idp.clientAuth, error) ||
        !readScopes(*idp, idpWhere, &policy.idp.scopes, error)) {
        return std::nullopt;
    }
    if (policy.idp.clientAuth.isEmpty()) {
        policy.idp.clientAuth = QStringLiteral("none");
    }
    if (policy.idp.clientId.size() > kMaxClientId) {
        *error = QStringLiteral("idp: \"client_id\" is too long");
        return std::nullopt;
    }
    if (!policy.idp.scopes.contains(QStringLiteral("openid"))) {
        policy.idp.scopes.prepend(QStringLiteral("openid"));
    }
    const auto servers = doc.find("servers");
    if (servers != doc.end() && userConfig) {
        *error = QStringLiteral("\"servers\": only an administrator's managed policy approves servers");
        return std::nullopt;
    }
    if (servers != doc.end()) {
        if (!servers->is_array() || servers->size() > static_cast<size_t>(kMaxServers)) {
            *error = QStringLiteral("\"servers\" must be a list (at most %1)").arg(kMaxServers);
            return std::nullopt;
        }
        QSet<QString> names;
        QSet<QString> resources;
        int index = 0;
        for (const json &entry : *servers) {
            QString where = QStringLiteral("servers[%1]").arg(index++);
            if (!entry.is_object()) {
                *error = where + QStringLiteral(": must be an object");
                return std::nullopt;
            }
            Server server;
            if (!onlyKeys(entry, {"name", "url", "scopes", "client_id", "client_auth"}, where, error) ||
                !readString(entry, "name", true, where, &server.name, error)) {
                return std::nullopt;
            }
            if (const QString why = Names::checkServerName(server.name); !why.isEmpty()) {
                *error = QStringLiteral("%1: %2").arg(where, why);
                return std::nullopt;
            }
            where = QStringLiteral("servers[\"%1\"]").arg(server.name);
            if (!readUrl(entry, "url", where, &server.url, error) || !readScopes(entry, where, &server.scopes, error) ||
                !readString(entry, "client_id", false, where, &server.clientId, error) ||
                !readClientAuth(entry, where, &server.clientAuth, error)) {
                return std::nullopt;
            }
            const oauth::ResourceUri resource = oauth::ResourceUri::fromServerUrl(server.url);
            if (!resource.isValid()) {
                *error = QStringLiteral("%1: \"url\": %2").arg(where, resource.errorString());
                return std::nullopt;
            }
            if (names.contains(server.name) || resources.contains(resource.toString())) {
                *error = QStringLiteral("%1: listed twice").arg(where);
                return std::nullopt;
            }
            names.insert(server.name);
            resources.insert(resource.toString());
            policy.servers.append(server);
        }
    }
    return policy;
}

std::optional<ManagedPolicy> ManagedPolicy::parse(const QByteArray &text, QString *error, bool userConfig)
{
    try {
        return fromJson(json::parse(text.cbegin(), text.cend()), error, userConfig);
    } catch (const json::exception &e) {
        *error = QStringLiteral("not valid JSON: %1").arg(QString::fromUtf8(e.what()).left(200));
        return std::nullopt;
    }
}

json ManagedPolicy::fromSettingsTree(const QVariantMap &tree)
{
    // A policy pushed as one JSON string (PolicyJson), or as the document's own tree of dictionaries.
    const QByteArray text = tree.contains(QStringLiteral("PolicyJson"))
                                ? tree.value(QStringLiteral("PolicyJson")).toString().toUtf8()
                                : QJsonDocument(QJsonObject::fromVariantMap(tree)).toJson(QJsonDocument::Compact);
    return json::parse(text.cbegin(), text.cend(), nullptr, false);
}

QString ManagedPolicy::systemPath()
{
    return QStringLiteral("/etc/latchkey/policy.json");
}

QString ManagedPolicy::userPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("latchkey/enterprise.json"));
}

ManagedPolicy::Loaded ManagedPolicy::loadFile(const QString &path, bool userConfig)
{
    Loaded loaded;
    loaded.path = path;
    QFile file(path);
    if (!file.exists()) {
        return loaded;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        loaded.error = QStringLiteral("%1: cannot be read: %2").arg(path, file.errorString());
        return loaded;
    }
    if (file.size() > kMaxPolicyBytes) {
        loaded.error = QStringLiteral("%1: larger than %2 KiB").arg(path).arg(kMaxPolicyBytes / 1024);
        return loaded;
    }
    QString why;
    loaded.policy = parse(file.read(kMaxPolicyBytes), &why, userConfig);
    if (!loaded.policy) {
        loaded.error = QStringLiteral("%1: %2").arg(path, why);
        return loaded;
    }
    loaded.policy->source = path;
    return loaded;
}

ManagedPolicy::Loaded ManagedPolicy::load()
{
    const QString overridden = qEnvironmentVariable("LATCHKEY_POLICY");
    if (!overridden.isEmpty()) {
        return loadFile(overridden, false);
    }
    Loaded managed;
#if defined(Q_OS_MACOS) || defined(Q_OS_WIN)
#if defined(Q_OS_MACOS)
    // A configuration profile's payload for the domain lands in the managed preferences, which
    // QSettings reads through CFPreferences (forced values win over the user's).
    QSettings settings(QStringLiteral("com.latchkey.Latchkey"), QString(), QSettings::NativeFormat);
    managed.path = QStringLiteral("managed preferences com.latchkey.Latchkey");
#else
    QSettings settings(QStringLiteral("HKEY_LOCAL_MACHINE\\Software\\Policies\\Latchkey"), QSettings::NativeFormat);
    managed.path = QStringLiteral("HKLM\\Software\\Policies\\Latchkey");
#endif
    QVariantMap tree;
    for (const QString &key : settings.childKeys()) {
        tree.insert(key, settings.value(key));
    }
    if (!tree.isEmpty()) {
        QString why;
        managed.policy = fromJson(fromSettingsTree(tree), &why, false);
        if (!managed.policy) {
            managed.error = QStringLiteral("%1: %2").arg(managed.path, why);
            return managed;
        }
        managed.policy->source = managed.path;
        return managed;
    }
#else
    managed = loadFile(systemPath(), false);
    if (managed.policy || !managed.error.isEmpty()) {
        return managed;
    }
#endif
    Loaded user = loadFile(userPath(), true);
    if (user.policy || !user.error.isEmpty()) {
        return user;
    }
    return managed;
}

} // namespace latchkey
