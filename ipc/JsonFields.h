#pragma once

#include "Message.h"

#include <QString>
#include <QStringList>

namespace latchkey::ipc {

// Reading members of a JSON object that may be absent or of another type (documents from servers, records,
// daemon answers): the absent and the mistyped read as empty.

// A string member, or empty.
inline QString jsonString(const Json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString();
}

// The string entries of an array member (other entries skipped), or empty.
inline QStringList jsonStrings(const Json &object, const char *key)
{
    QStringList out;
    const auto it = object.find(key);
    if (it != object.end() && it->is_array()) {
        for (const Json &item : *it) {
            if (item.is_string()) {
                out.append(QString::fromStdString(item.get<std::string>()));
            }
        }
    }
    return out;
}

} // namespace latchkey::ipc
