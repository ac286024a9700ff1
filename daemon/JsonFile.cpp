#include "JsonFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace latchkey {

std::optional<nlohmann::json> JsonFile::readVersioned(const QString &path, int maxSchema, QString *why)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *why = file.errorString();
        return std::nullopt;
    }
    if (file.size() > kMaxSize) {
        *why = QStringLiteral("larger than %1 bytes").arg(kMaxSize);
        return std::nullopt;
    }
    const QByteArray data = file.readAll();
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(data.cbegin(), data.cend());
    } catch (const std::exception &e) {
        *why = QStringLiteral("not valid JSON (%1)").arg(QString::fromUtf8(e.what()));
        return std::nullopt;
    }
    if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_number_integer()) {
        *why = QStringLiteral("no \"schema\" version");
        return std::nullopt;
    }
    const auto schema = doc["schema"].get<std::int64_t>();
    if (schema > maxSchema) {
        *why =
            QStringLiteral("schema %1 was written by a newer Latchkey (this one reads %2)").arg(schema).arg(maxSchema);
        return std::nullopt;
    }
    if (schema < 1) {
        *why = QStringLiteral("schema %1 is not valid").arg(schema);
        return std::nullopt;
    }
    return doc;
}

bool JsonFile::writeAtomically(const QString &path, const nlohmann::json &doc, QString *error)
{
    const std::string text = doc.dump(2) + "\n";
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        *error = QStringLiteral("cannot create %1").arg(info.absolutePath());
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(text.data(), static_cast<qint64>(text.size()));
    if (!file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace latchkey
