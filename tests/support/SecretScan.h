#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace latchkey::test {

// Looks for a secret where it must never be: files, process command lines, captured output.
class SecretScan
{
public:
    // Every regular file below dir (following no links) whose bytes contain needle.
    static QStringList filesContaining(const QString &dir, const QByteArray &needle);
    // Every running process whose /proc/PID/cmdline contains needle, as "PID: cmdline".
    static QStringList processesWithArgument(const QByteArray &needle);
};

} // namespace latchkey::test
