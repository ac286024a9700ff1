#pragma once

#include "Message.h"

#include <QString>
#include <QStringList>

namespace latchkey::tray {

// Lenient readers for the daemon's JSON: a missing key or a value of another type gives the
// default instead of throwing, so the UI shows what it can of any reply.
class JsonFields
{
public:
    static QString string(const ipc::Json &json, const char *key);
    static bool boolean(const ipc::Json &json, const char *key, bool fallback = false);
    static qint64 integer(const ipc::Json &json, const char *key, qint64 fallback = 0);
    // The object under key, or an empty object.
    static ipc::Json object(const ipc::Json &json, const char *key);
    // The array under key, or an empty array.
    static ipc::Json array(const ipc::Json &json, const char *key);
    // The strings of the array under key; other elements are skipped.
    static QStringList strings(const ipc::Json &json, const char *key);
};

} // namespace latchkey::tray
