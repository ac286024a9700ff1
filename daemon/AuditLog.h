#pragma once

#include <QFile>
#include <QString>

#include <nlohmann/json.hpp>

namespace latchkey {

// Append-only JSON lines under $XDG_STATE_HOME/latchkey/audit.jsonl (mode 0600): every handout,
// refusal and change. Callers pass only non-secret fields; ids that could identify a token are hashed
// with hashId() first.
class AuditLog
{
public:
    explicit AuditLog(QString path);

    static QString defaultPath();
    static std::string hashId(const QByteArray &id);

    void record(const std::string &event, nlohmann::json fields = nlohmann::json::object());
    QString path() const { return m_path; }

    // Entries newest last, at most `limit`, with ts >= since (ISO 8601) when given.
    nlohmann::json read(const QString &since, int limit) const;

private:
    bool ensureOpen();

    QString m_path;
    QFile m_file;
};

} // namespace latchkey
