#include "JsonFields.h"

#include <limits>

namespace latchkey::tray {

namespace {

const ipc::Json *find(const ipc::Json &json, const char *key)
{
    if (!json.is_object()) {
        return nullptr;
    }
    const auto it = json.find(key);
    return it == json.end() ? nullptr : &*it;
}

} // namespace

QString JsonFields::string(const ipc::Json &json, const char *key)
{
    const ipc::Json *value = find(json, key);
    return value && value->is_string() ? QString::fromStdString(value->get_ref<const std::string &>()) : QString();
}

bool JsonFields::boolean(const ipc::Json &json, const char *key, bool fallback)
{
    const ipc::Json *value = find(json, key);
    return value && value->is_boolean() ? value->get<bool>() : fallback;
}

qint64 JsonFields::integer(const ipc::Json &json, const char *key, qint64 fallback)
{
    const ipc::Json *value = find(json, key);
    if (!value) {
        return fallback;
    }
    if (value->is_number_integer() && !value->is_number_unsigned()) {
        return value->get<std::int64_t>();
    }
    if (value->is_number_unsigned()) {
        const auto number = value->get<std::uint64_t>();
        return number > static_cast<std::uint64_t>(std::numeric_limits<qint64>::max()) ? fallback
                                                                                       : static_cast<qint64>(number);
    }
    return fallback;
}

ipc::Json JsonFields::object(const ipc::Json &json, const char *key)
{
    const ipc::Json *value = find(json, key);
    return value && value->is_object() ? *value : ipc::Json::object();
}

ipc::Json JsonFields::array(const ipc::Json &json, const char *key)
{
    const ipc::Json *value = find(json, key);
    return value && value->is_array() ? *value : ipc::Json::array();
}

QStringList JsonFields::strings(const ipc::Json &json, const char *key)
{
    QStringList list;
    const ipc::Json *value = find(json, key);
    if (!value || !value->is_array()) {
        return list;
    }
    for (const ipc::Json &item : *value) {
        if (item.is_string()) {
            list.append(QString::fromStdString(item.get_ref<const std::string &>()));
        }
    }
    return list;
}

} // namespace latchkey::tray
