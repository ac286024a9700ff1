#include "ServerRecord.h"

#include "Names.h"

namespace latchkey {

namespace {

constexpr qsizetype kMaxArguments = 256;
constexpr qsizetype kMaxArgumentLength = 4096;
constexpr qsizetype kMaxEnv = 64;

std::string utf8(const QString &text)
{
    return text.toStdString();
}

bool readString(const nlohmann::json &json, const char *key, QString *out)
{
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string()) {
        return false;
    }
    *out = QString::fromStdString(it->get<std::string>());
    return true;
}

} // namespace

nlohmann::json ServerRecord::toJson() const
{
    nlohmann::json args = nlohmann::json::array();
    for (const QString &arg : command) {
        args.push_back(utf8(arg));
    }
    nlohmann::json envs = nlohmann::json::array();
    for (const EnvBinding &binding : env) {
        envs.push_back({{"var", utf8(binding.variable)}, {"source", "secret"}, {"key", utf8(binding.reference)}});
    }
    return {{"name", utf8(name)}, {"kind", "stdio"}, {"command", args}, {"env", envs}};
}

std::optional<ServerRecord> ServerRecord::fromJson(const nlohmann::json &json, QString *error)
{
    const auto fail = [error](const QString &why) -> std::optional<ServerRecord> {
        *error = why;
        return std::nullopt;
    };
    if (!json.is_object()) {
        return fail(QStringLiteral("a server record must be an object"));
    }
    ServerRecord record;
    if (!readString(json, "name", &record.name)) {
        return fail(QStringLiteral("a server record needs a \"name\" string"));
    }
    if (const QString why = Names::checkServerName(record.name); !why.isEmpty()) {
        return fail(why);
    }
    QString kind;
    if (!readString(json, "kind", &kind) || kind != QStringLiteral("stdio")) {
        return fail(QStringLiteral("server \"%1\": \"kind\" must be \"stdio\"").arg(record.name));
    }
    const auto command = json.find("command");
    if (command == json.end() || !command->is_array() || command->empty() ||
        command->size() > static_cast<size_t>(kMaxArguments)) {
        return fail(QStringLiteral("server \"%1\": \"command\" must be a list of 1 to %2 strings")
                        .arg(record.name)
                        .arg(kMaxArguments));
    }
    for (const auto &arg : *command) {
        if (!arg.is_string() || arg.get_ref<const std::string &>().size() > static_cast<size_t>(kMaxArgumentLength) ||
            arg.get_ref<const std::string &>().find('\0') != std::string::npos) {
            return fail(QStringLiteral("server \"%1\": each command argument must be a string of at most %2 bytes "
                                       "without NUL")
                            .arg(record.name)
                            .arg(kMaxArgumentLength));
        }
        record.command.append(QString::fromStdString(arg.get<std::string>()));
    }
    if (record.command.front().isEmpty()) {
        return fail(QStringLiteral("server \"%1\": the program name is empty").arg(record.name));
    }
    if (const auto env = json.find("env"); env != json.end()) {
        if (!env->is_array() || env->size() > static_cast<size_t>(kMaxEnv)) {
            return fail(QStringLiteral("server \"%1\": \"env\" must be a list of at most %2 bindings")
                            .arg(record.name)
                            .arg(kMaxEnv));
        }
        for (const auto &item : *env) {
            EnvBinding binding;
            QString source;
            if (!item.is_object() || !readString(item, "var", &binding.variable) ||
                !readString(item, "source", &source) || !readString(item, "key", &binding.reference)) {
                return fail(
                    QStringLiteral("server \"%1\": each env binding needs \"var\", \"source\" and \"key\" strings")
                        .arg(record.name));
            }
            if (source != QStringLiteral("secret")) {
                return fail(QStringLiteral("server \"%1\": env source \"%2\" is not supported (use \"secret\")")
                                .arg(record.name, source));
            }
            if (QString why = Names::checkEnvName(binding.variable); !why.isEmpty()) {
                return fail(QStringLiteral("server \"%1\": %2").arg(record.name, why));
            }
            if (QString why = Names::checkSecretKey(binding.reference); !why.isEmpty()) {
                return fail(QStringLiteral("server \"%1\": %2").arg(record.name, why));
            }
            const bool duplicate = std::any_of(record.env.cbegin(), record.env.cend(),
                                               [&](const EnvBinding &b) { return b.variable == binding.variable; });
            if (duplicate) {
                return fail(
                    QStringLiteral("server \"%1\": variable %2 is bound twice").arg(record.name, binding.variable));
            }
            record.env.append(binding);
        }
    }
    return record;
}

} // namespace latchkey
