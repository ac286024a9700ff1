// Unit tests for ConfigFile: the private backup, atomic replacement, and refusing a file that changed.
#include "ConfigFile.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using latchkey::import::ConfigFile;

class TestConfigFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void backupIsPrivateAndNew();
    void replaceKeepsPermissions();
    void replaceRefusesAChangedFile();
};

namespace {

bool write(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

QByteArray read(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

void TestConfigFile::backupIsPrivateAndNew()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mcp.json"));
    QVERIFY(write(path, "{\"secret\": 1}"));
    QString error;
    const QString first = ConfigFile::writeBackup(path, "{\"secret\": 1}", &error);
    QVERIFY2(!first.isEmpty(), qPrintable(error));
    QVERIFY(first.startsWith(path + QStringLiteral(".latchkey-backup-")));
    QCOMPARE(read(first), QByteArray("{\"secret\": 1}"));
    QCOMPARE(QFile::permissions(first),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser | QFileDevice::WriteUser);
    // A second backup in the same second gets a name of its own.
    const QString second = ConfigFile::writeBackup(path, "other", &error);
    QVERIFY(!second.isEmpty() && second != first);
    QCOMPARE(read(first), QByteArray("{\"secret\": 1}"));
}

void TestConfigFile::replaceKeepsPermissions()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mcp.json"));
    QVERIFY(write(path, "old"));
    const auto mode = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser |
                      QFileDevice::WriteUser | QFileDevice::ReadGroup;
    QVERIFY(QFile::setPermissions(path, mode));
    QString error;
    QVERIFY2(ConfigFile::replace(path, "old", "new", &error), qPrintable(error));
    QCOMPARE(read(path), QByteArray("new"));
    QCOMPARE(QFile::permissions(path), mode);
}

void TestConfigFile::replaceRefusesAChangedFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mcp.json"));
    QVERIFY(write(path, "edited meanwhile"));
    QString error;
    QVERIFY(!ConfigFile::replace(path, "as read", "new", &error));
    QVERIFY2(error.contains(QStringLiteral("changed since it was read")), qPrintable(error));
    QCOMPARE(read(path), QByteArray("edited meanwhile"));
    QVERIFY(!ConfigFile::unchanged(dir.filePath(QStringLiteral("gone.json")), "x", &error));
}

QTEST_GUILESS_MAIN(TestConfigFile)
#include "TestConfigFile.moc"
