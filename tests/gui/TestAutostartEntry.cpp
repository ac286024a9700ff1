#include "AutostartEntry.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using latchkey::tray::AutostartEntry;

class TestAutostartEntry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_config.isValid() && m_system.isValid());
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config.path()));
        qputenv("XDG_CONFIG_DIRS", QFile::encodeName(m_system.path()));
        QDir(m_config.path() + QStringLiteral("/autostart")).removeRecursively();
        QDir(m_system.path() + QStringLiteral("/autostart")).removeRecursively();
    }

    void systemEntryIsHiddenByAUserEntry()
    {
        // As the DEB installs it: /etc/xdg/autostart/latchkey-tray.desktop, on by default.
        QVERIFY(QDir().mkpath(m_system.path() + QStringLiteral("/autostart")));
        QFile system(m_system.path() + QStringLiteral("/autostart/latchkey-tray.desktop"));
        QVERIFY(system.open(QIODevice::WriteOnly));
        system.write("[Desktop Entry]\nType=Application\nExec=latchkey-tray\n");
        system.close();
        QCOMPARE(AutostartEntry::systemPath(), system.fileName());
        QVERIFY(AutostartEntry::isEnabled());

        QString error;
        QVERIFY2(AutostartEntry::setEnabled(false, &error, QStringLiteral("/usr/bin/latchkey-tray")),
                 qPrintable(error));
        QVERIFY(!AutostartEntry::isEnabled());
        QFile user(AutostartEntry::path());
        QVERIFY(user.open(QIODevice::ReadOnly));
        QVERIFY(user.readAll().contains("\nHidden=true\n"));
        user.close();
        QVERIFY(system.exists()); // the package's file is never touched

        QVERIFY(AutostartEntry::setEnabled(true, &error, QStringLiteral("/usr/bin/latchkey-tray")));
        QVERIFY(AutostartEntry::isEnabled());
    }

    void writesAndRemovesTheEntry()
    {
        QCOMPARE(AutostartEntry::path(), m_config.path() + QStringLiteral("/autostart/latchkey-tray.desktop"));
        QVERIFY(!AutostartEntry::isEnabled());
        QString error;
        QVERIFY2(AutostartEntry::setEnabled(true, &error, QStringLiteral("/opt/My Apps/latchkey-tray")),
                 qPrintable(error));
        QVERIFY(AutostartEntry::isEnabled());
        QFile file(AutostartEntry::path());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.startsWith("[Desktop Entry]\n"));
        QVERIFY2(text.contains("\nExec=\"/opt/My Apps/latchkey-tray\"\n"), text.constData());
        QVERIFY(text.contains("\nType=Application\n"));
        file.close();

        QVERIFY(AutostartEntry::setEnabled(false, &error));
        QVERIFY(!AutostartEntry::isEnabled());
        QVERIFY(AutostartEntry::setEnabled(false, &error)); // already off: fine
    }

    void execIsQuotedAsTheSpecAsks()
    {
        const QByteArray text = AutostartEntry::contents(QStringLiteral("/a/\"b\"/$c`d`\\e%f"));
        QVERIFY2(text.contains("Exec=\"/a/\\\"b\\\"/\\$c\\`d\\`\\\\e%%f\"\n"), text.constData());
    }

    void saysWhyItCannotWrite()
    {
        // A file where the autostart directory should be.
        QFile blocker(m_config.path() + QStringLiteral("/autostart"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QString error;
        QVERIFY(!AutostartEntry::setEnabled(true, &error, QStringLiteral("/usr/bin/latchkey-tray")));
        QVERIFY2(error.contains(QStringLiteral("autostart")), qPrintable(error));
        QVERIFY(!AutostartEntry::isEnabled());
        QVERIFY(blocker.remove());
    }

private:
    QTemporaryDir m_config;
    QTemporaryDir m_system;
};

QTEST_GUILESS_MAIN(TestAutostartEntry)
#include "TestAutostartEntry.moc"
