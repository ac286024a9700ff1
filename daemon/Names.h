#pragma once

#include <QString>

namespace latchkey {

// What names the daemon accepts. Each check returns an empty string when the input is fine,
// else a message that says what is allowed.
class Names
{
public:
    // Server names: 1-64 of [A-Za-z0-9._-], starting with a letter or digit.
    static QString checkServerName(const QString &name);
    // Environment variable names: POSIX portable, [A-Za-z_][A-Za-z0-9_]*, at most 128.
    static QString checkEnvName(const QString &name);
    // Secret keys: 1-128 of [A-Za-z0-9._-].
    static QString checkSecretKey(const QString &key);
    // Secret values: 1-65536 bytes of UTF-8 with no NUL, CR or LF (they travel in environments and headers).
    static QString checkSecretValue(const QByteArray &value);
};

} // namespace latchkey
