#include "AuditLog.h"

#include "Logging.h"
#include "TokenHash.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <deque>

namespace latchkey {

AuditLog::AuditLog(QString path) : m_path(std::move(path)) {}

QString AuditLog::defaultPath()
{
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty()) {
        state = QDir::home().filePath(QStringLiteral(".local/state"));
    }
    return QDir(state).filePath(QStringLiteral("latchkey/audit.jsonl"));
}

std::string AuditLog::hashId(const QByteArray &id)
{
    return ipc::tokenHash(id);
}

bool AuditLog::ensureOpen()
{
    if (m_file.isOpen()) {
        return true;
    }
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    m_file.setFileName(m_path);
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        qCWarning(lcAudit) << "cannot open audit log" << m_path << m_file.errorString();
        return false;
    }
    m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    // A crash can leave a torn last line: start on a new one so the next entry is not glued to it.
    if (m_file.size() > 0) {
        QFile tail(m_path);
        if (tail.open(QIODevice::ReadOnly) && tail.seek(tail.size() - 1) && tail.read(1) != QByteArrayLiteral("\n")) {
            m_file.write("\n", 1);
        }
    }
    return true;
}

void AuditLog::record(const std::string &event, nlohmann::json fields)
{
    if (!ensureOpen()) {
        return;
    }
    fields["ts"] = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString();
    fields["event"] = event;
    const std::string line = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    m_file.write(line.data(), static_cast<qint64>(line.size()));
    m_file.flush();
}

nlohmann::json AuditLog::read(const QString &since, int limit) const
{
    QFile file(m_path);
    nlohmann::json out = nlohmann::json::array();
    if (!file.open(QIODevice::ReadOnly)) {
        return out;
    }
    std::deque<nlohmann::json> kept;
    const std::string from = since.toStdString();
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(64 * 1024);
        try {
            auto entry = nlohmann::json::parse(line.cbegin(), line.cend());
            if (!entry.is_object() || !entry.contains("ts") || !entry["ts"].is_string()) {
                continue;
            }
            if (!from.empty() && entry["ts"].get<std::string>() < from) {
                continue;
            }
            kept.push_back(std::move(entry));
            if (limit > 0 && kept.size() > static_cast<size_t>(limit)) {
                kept.pop_front();
            }
        } catch (const std::exception &) {
            continue; // a torn last line after a crash is skipped, not fatal
        }
    }
    for (auto &entry : kept) {
        out.push_back(std::move(entry));
    }
    return out;
}

} // namespace latchkey
