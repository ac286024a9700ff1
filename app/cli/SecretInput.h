#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace latchkey::cli {

// Reads a secret the way ssh-add and gpg do: from a no-echo prompt on a terminal, else all of stdin.
// Never from argv. One trailing newline is dropped; the rest is validated by the daemon.
class SecretInput
{
public:
    static constexpr qsizetype kMaxBytes = 65536;
    // nullopt with *error set when nothing usable was read.
    static std::optional<QByteArray> read(const QString &prompt, QString *error);
};

} // namespace latchkey::cli
