#pragma once

#include "JsonFields.h"
#include "Message.h"

#include <QString>

#include <cstdio>

namespace latchkey::cli {

// What every command prints: results on stdout; complaints on stderr, prefixed "latchkey: ".
inline void out(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
}

inline void err(const QString &text)
{
    std::fputs((QStringLiteral("latchkey: ") + text + QLatin1Char('\n')).toUtf8().constData(), stderr);
}

// A string member of a daemon answer, empty when absent or not a string.
inline QString str(const ipc::Json &value, const char *key)
{
    return ipc::jsonString(value, key);
}

} // namespace latchkey::cli
