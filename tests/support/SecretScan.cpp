#include "SecretScan.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>

namespace latchkey::test {

QStringList SecretScan::filesContaining(const QString &dir, const QByteArray &needle)
{
    QStringList hits;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System | QDir::NoSymLinks, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(needle)) {
            hits << path;
        }
    }
    return hits;
}

QStringList SecretScan::processesWithArgument(const QByteArray &needle)
{
    QStringList hits;
    const QStringList pids = QDir(QStringLiteral("/proc")).entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
    for (const QString &pid : pids) {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!cmdline.open(QIODevice::ReadOnly)) {
            continue;
        }
        QByteArray args = cmdline.readAll();
        if (args.contains(needle)) {
            hits << pid + QStringLiteral(": ") + QString::fromUtf8(args.replace('\0', ' '));
        }
    }
    return hits;
}

} // namespace latchkey::test
