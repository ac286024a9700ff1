#pragma once

#include <QString>

#include <nlohmann/json.hpp>

#include <optional>

namespace latchkey {

// The daemon's schema-versioned JSON files (servers.json, grants.json): read with a size cap and a schema
// check, written atomically (QSaveFile) with mode 0600.
class JsonFile
{
public:
    static constexpr qint64 kMaxSize = 4 * 1024 * 1024;

    // The document, an object whose integer "schema" is 1 … maxSchema; else nullopt and *why.
    static std::optional<nlohmann::json> readVersioned(const QString &path, int maxSchema, QString *why);
    // Pretty-printed, through a temporary file renamed into place; the directory is created as needed.
    static bool writeAtomically(const QString &path, const nlohmann::json &doc, QString *error);
};

} // namespace latchkey
