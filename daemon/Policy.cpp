#include "Policy.h"

#include "JsonFile.h"
#include "Logging.h"
#include "Names.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

namespace latchkey {

namespace {
constexpr qsizetype kMaxApp = 4096;
} // namespace

Policy::Policy(QString path) : m_path(std::move(path)) {}

QString Policy::defaultPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("latchkey/grants.json"));
}

QString Policy::decisionName(Decision decision)
{
    return decision == Decision::Always ? QStringLiteral("always") : QStringLiteral("deny");
}

bool Policy::load()
{
    m_error.clear();
    m_grants.clear();
    if (!QFile::exists(m_path)) {
        return true;
    }
    const auto fail = [this](const QString &why) {
        m_error = QStringLiteral("%1: %2; fix or move the file away (it is left untouched, and apps are asked "
                                 "again meanwhile)")
                      .arg(m_path, why);
        m_grants.clear();
        qCWarning(lcRegistry).noquote() << m_error;
        return false;
    };
    QString unreadable;
    const auto parsed = JsonFile::readVersioned(m_path, kSchemaVersion, &unreadable);
    if (!parsed) {
        return fail(unreadable);
    }
    const nlohmann::json &doc = *parsed;
    const auto list = doc.find("grants");
    if (list == doc.end() || !list->is_array()) {
        return fail(QStringLiteral("\"grants\" must be a list"));
    }
    for (const auto &item : *list) {
        const auto text = [&item](const char *key) {
            const auto it = item.is_object() ? item.find(key) : item.end();
            return it != item.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
        };
        Grant grant{text("app"), text("server"), Decision::Always, text("at")};
        const QString decision = text("decision");
        if (grant.app.isEmpty() || grant.app.size() > kMaxApp || !Names::checkServerName(grant.server).isEmpty() ||
            (decision != QStringLiteral("always") && decision != QStringLiteral("deny"))) {
            return fail(QStringLiteral("a grant needs \"app\", a valid \"server\" and \"decision\" always or deny"));
        }
        grant.decision = decision == QStringLiteral("always") ? Decision::Always : Decision::Deny;
        m_grants.insert({grant.app, grant.server}, grant);
    }
    return true;
}

std::optional<Policy::Decision> Policy::decision(const QString &app, const QString &server) const
{
    const auto it = m_grants.constFind({app, server});
    if (it == m_grants.cend()) {
        return std::nullopt;
    }
    return it->decision;
}

QStringList Policy::allowedApps(const QString &server) const
{
    QStringList apps;
    for (const Grant &grant : m_grants) {
        if (grant.server == server && grant.decision == Decision::Always) {
            apps.append(grant.app);
        }
    }
    apps.sort();
    return apps;
}

bool Policy::set(const QString &app, const QString &server, Decision decision, QString *error)
{
    if (!m_error.isEmpty()) {
        *error = m_error;
        return false;
    }
    auto grants = m_grants;
    grants.insert({app, server}, {app, server, decision, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)});
    if (!save(grants, error)) {
        return false;
    }
    m_grants = std::move(grants);
    return true;
}

int Policy::removeWhere(const std::function<bool(const Grant &)> &match, QString *error)
{
    if (!m_error.isEmpty()) {
        *error = m_error;
        return -1;
    }
    auto grants = m_grants;
    const auto removed = grants.removeIf([&match](const auto &it) { return match(it.value()); });
    if (removed > 0 && !save(grants, error)) {
        return -1;
    }
    m_grants = std::move(grants);
    return static_cast<int>(removed);
}

int Policy::revoke(const QString &app, const QString &server, QString *error)
{
    return removeWhere(
        [&](const Grant &grant) { return grant.app == app && (server.isEmpty() || grant.server == server); }, error);
}

int Policy::forgetServer(const QString &server, QString *error)
{
    return removeWhere([&server](const Grant &grant) { return grant.server == server; }, error);
}

bool Policy::save(const QMap<Key, Grant> &grants, QString *error)
{
    nlohmann::json list = nlohmann::json::array();
    for (const Grant &grant : grants) {
        list.push_back({{"app", grant.app.toStdString()},
                        {"server", grant.server.toStdString()},
                        {"decision", decisionName(grant.decision).toStdString()},
                        {"at", grant.at.toStdString()}});
    }
    const nlohmann::json doc = {{"schema", kSchemaVersion}, {"grants", list}};
    return JsonFile::writeAtomically(m_path, doc, error);
}

} // namespace latchkey
