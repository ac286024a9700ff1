#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <optional>

namespace latchkey {

// One environment variable a server gets when Latchkey launches it.
struct EnvBinding
{
    enum class Source
    {
        Secret
    };
    QString variable;
    Source source = Source::Secret;
    QString reference; // the secret key (in the server's own namespace)

    bool operator==(const EnvBinding &) const = default;
};

// The non-secret description of a server, as kept in servers.json.
struct ServerRecord
{
    enum class Kind
    {
        Stdio
    };
    QString name;
    Kind kind = Kind::Stdio;
    QStringList command; // program and arguments, executed without a shell
    QList<EnvBinding> env;

    nlohmann::json toJson() const;
    // Parses and validates one record; on failure returns nullopt and says why in *error.
    static std::optional<ServerRecord> fromJson(const nlohmann::json &json, QString *error);
};

} // namespace latchkey
