#include "DaemonSettings.h"

#include "JsonFile.h"
#include "Protocol.h"

#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <nlohmann/json.hpp>

namespace latchkey {

namespace {

constexpr qsizetype kMaxBrowser = 1024;
constexpr qint64 kMaxFile = 64 * 1024;

} // namespace

DaemonSettings::DaemonSettings(QString path) : m_path(std::move(path)) {}

QString DaemonSettings::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/latchkey/settings.json");
}

void DaemonSettings::load(QString *error)
{
    QFile file(m_path);
    if (!file.exists()) {
        return;
    }
    const auto fail = [&](const QString &why) {
        if (error) {
            *error = QStringLiteral("%1: %2").arg(m_path, why);
        }
    };
    if (!file.open(QIODevice::ReadOnly) || file.size() > kMaxFile) {
        fail(QStringLiteral("cannot read it"));
        return;
    }
    const QByteArray text = file.readAll();
    const auto doc = nlohmann::json::parse(text.cbegin(), text.cend(), nullptr, false);
    if (!doc.is_object()) {
        fail(QStringLiteral("not a JSON object"));
        return;
    }
    if (const auto it = doc.find("browser"); it != doc.end() && it->is_string()) {
        m_browser = QString::fromStdString(it->get<std::string>());
    }
}

bool DaemonSettings::setBrowser(const QString &browser, QString *error)
{
    const QString value = browser.trimmed();
    if (value.size() > kMaxBrowser) {
        *error = QStringLiteral("the browser must be at most %1 characters").arg(kMaxBrowser);
        return false;
    }
    if (!value.isEmpty()) {
        const QFileInfo info(value);
        const bool ok = info.isAbsolute()
                            ? info.isFile() && info.isExecutable()
                            : !value.contains(QLatin1Char('/')) && !QStandardPaths::findExecutable(value).isEmpty();
        if (!ok) {
            *error = QStringLiteral("\"%1\" is not an executable program (give its absolute path or a name on PATH, "
                                    "without arguments)")
                         .arg(value);
            return false;
        }
    }
    if (!JsonFile::writeAtomically(m_path, {{"browser", value.toStdString()}}, error)) {
        return false;
    }
    m_browser = value;
    return true;
}

void DaemonSettings::handle(const ipc::Request &request, const std::function<void(ipc::Response)> &reply)
{
    if (request.method == "settings.set") {
        const auto it = request.params.find("browser");
        if (it == request.params.end() || !it->is_string()) {
            reply(ipc::Response::failure(request.id, ipc::error::InvalidParams, "\"browser\" must be a string"));
            return;
        }
        QString why;
        if (!setBrowser(QString::fromStdString(it->get<std::string>()), &why)) {
            reply(ipc::Response::failure(request.id, ipc::error::InvalidParams, why.toStdString()));
            return;
        }
    }
    reply(ipc::Response::success(request.id, {{"browser", m_browser.toStdString()}}));
}

} // namespace latchkey
