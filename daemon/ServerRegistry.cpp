#include "ServerRegistry.h"

#include "JsonFile.h"
#include "Logging.h"
#include "Names.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace latchkey {

ServerRegistry::ServerRegistry(QString path) : m_path(std::move(path)) {}

QString ServerRegistry::defaultPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("latchkey/servers.json"));
}

const ServerRecord *ServerRegistry::find(const QString &name) const
{
    const auto it = m_servers.constFind(name);
    return it == m_servers.cend() ? nullptr : &*it;
}

QStringList ServerRegistry::secretKeys(const QString &server) const
{
    QStringList keys = m_secrets.value(server).values();
    keys.sort();
    return keys;
}

bool ServerRegistry::hasSecret(const QString &server, const QString &key) const
{
    return m_secrets.value(server).contains(key);
}

bool ServerRegistry::load()
{
    m_error.clear();
    m_servers.clear();
    m_secrets.clear();
    QFile file(m_path);
    if (!file.exists()) {
        return true;
    }
    const auto fail = [this](const QString &why) {
        m_error = QStringLiteral("%1: %2; fix or move the file away (it is left untouched)").arg(m_path, why);
        m_servers.clear();
        m_secrets.clear();
        qCWarning(lcRegistry).noquote() << m_error;
        return false;
    };
    QString unreadable;
    const auto parsed = JsonFile::readVersioned(m_path, kSchemaVersion, &unreadable);
    if (!parsed) {
        return fail(unreadable);
    }
    const nlohmann::json &doc = *parsed;
    if (const auto servers = doc.find("servers"); servers != doc.end()) {
        if (!servers->is_array()) {
            return fail(QStringLiteral("\"servers\" must be a list"));
        }
        for (const auto &item : *servers) {
            QString why;
            auto record = ServerRecord::fromJson(item, &why);
            if (!record) {
                return fail(why);
            }
            if (m_servers.contains(record->name)) {
                return fail(QStringLiteral("server \"%1\" is listed twice").arg(record->name));
            }
            m_servers.insert(record->name, *record);
        }
    }
    if (const auto secrets = doc.find("secrets"); secrets != doc.end()) {
        if (!secrets->is_object()) {
            return fail(QStringLiteral("\"secrets\" must be an object"));
        }
        for (const auto &[server, keys] : secrets->items()) {
            const QString name = QString::fromStdString(server);
            if (!Names::checkServerName(name).isEmpty() || !keys.is_array()) {
                return fail(QStringLiteral("\"secrets\" has an invalid entry"));
            }
            for (const auto &key : keys) {
                if (!key.is_string() ||
                    !Names::checkSecretKey(QString::fromStdString(key.get<std::string>())).isEmpty()) {
                    return fail(QStringLiteral("\"secrets\" of \"%1\" has an invalid key").arg(name));
                }
                m_secrets[name].insert(QString::fromStdString(key.get<std::string>()));
            }
        }
    }
    return true;
}

bool ServerRegistry::add(const ServerRecord &record, QString *error)
{
    if (m_servers.contains(record.name)) {
        *error = QStringLiteral("a server named \"%1\" already exists").arg(record.name);
        return false;
    }
    auto servers = m_servers;
    servers.insert(record.name, record);
    if (!save(servers, m_secrets, error)) {
        return false;
    }
    m_servers = std::move(servers);
    return true;
}

bool ServerRegistry::remove(const QString &name, QString *error)
{
    if (!m_servers.contains(name)) {
        *error = QStringLiteral("no server named \"%1\"").arg(name);
        return false;
    }
    auto servers = m_servers;
    servers.remove(name);
    if (!save(servers, m_secrets, error)) {
        return false;
    }
    m_servers = std::move(servers);
    return true;
}

bool ServerRegistry::update(const ServerRecord &record, QString *error)
{
    if (!m_servers.contains(record.name)) {
        *error = QStringLiteral("no server named \"%1\"").arg(record.name);
        return false;
    }
    auto servers = m_servers;
    servers.insert(record.name, record);
    if (!save(servers, m_secrets, error)) {
        return false;
    }
    m_servers = std::move(servers);
    return true;
}

bool ServerRegistry::setSecretKnown(const QString &server, const QString &key, bool known, QString *error)
{
    if (hasSecret(server, key) == known) {
        return true;
    }
    auto secrets = m_secrets;
    if (known) {
        secrets[server].insert(key);
    } else {
        secrets[server].remove(key);
        if (secrets[server].isEmpty()) {
            secrets.remove(server);
        }
    }
    if (!save(m_servers, secrets, error)) {
        return false;
    }
    m_secrets = std::move(secrets);
    return true;
}

bool ServerRegistry::save(const QMap<QString, ServerRecord> &servers, const QMap<QString, QSet<QString>> &secrets,
                          QString *error)
{
    if (!m_error.isEmpty()) {
        *error = m_error;
        return false;
    }
    nlohmann::json list = nlohmann::json::array();
    for (const ServerRecord &record : servers) {
        list.push_back(record.toJson());
    }
    nlohmann::json known = nlohmann::json::object();
    for (auto it = secrets.cbegin(); it != secrets.cend(); ++it) {
        QStringList keys = it.value().values();
        keys.sort();
        auto &out = known[it.key().toStdString()] = nlohmann::json::array();
        for (const QString &key : keys) {
            out.push_back(key.toStdString());
        }
    }
    const nlohmann::json doc = {{"schema", kSchemaVersion}, {"servers", list}, {"secrets", known}};
    return JsonFile::writeAtomically(m_path, doc, error);
}

} // namespace latchkey
