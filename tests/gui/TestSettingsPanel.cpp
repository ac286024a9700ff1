#include "AutostartEntry.h"
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "FakeDaemon.h"
#include "GuiTestSupport.h"
#include "Protocol.h"
#include "SettingsPanel.h"

#include <QCheckBox>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using latchkey::ipc::Json;
using latchkey::test::answeredSoFar;
using latchkey::test::DaemonHarness;
using latchkey::test::FakeDaemon;
using latchkey::test::kGuiTimeout;
using latchkey::tray::DaemonConnection;
using latchkey::tray::SettingsPanel;
using namespace std::chrono_literals;

namespace {

template <typename T> T *child(const SettingsPanel &panel, const char *name)
{
    return panel.findChild<T *>(QString::fromLatin1(name));
}

// settings.get as a separate client sees it (not through the panel).
QString daemonBrowser(const DaemonHarness &harness)
{
    latchkey::ipc::Client client(harness.socketPath());
    if (!client.connectToDaemon(kGuiTimeout)) {
        return QStringLiteral("<unreachable>");
    }
    const latchkey::ipc::Response response = client.call("settings.get", Json::object(), kGuiTimeout);
    return response.ok() ? QString::fromStdString(response.result.value("browser", std::string("<none>")))
                         : QStringLiteral("<%1>").arg(QString::fromStdString(response.errorMessage));
}

} // namespace

class TestSettingsPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        // This process's XDG_CONFIG_HOME: the autostart entry goes there, never into a real home.
        m_config = std::make_unique<QTemporaryDir>();
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config->path()));
        qputenv("XDG_CONFIG_DIRS", QFile::encodeName(m_config->path() + QStringLiteral("/system")));
    }

    void theBrowserRoundTripsThroughTheDaemon()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        SettingsPanel panel(&connection);
        auto *browser = child<QLineEdit>(panel, "browserEdit");
        QVERIFY(latchkey::test::connectNow(connection)); // connecting reads the settings
        QVERIFY(answeredSoFar(connection));              // the panel's settings.get included
        QVERIFY(browser->isEnabled());
        QCOMPARE(browser->text(), QString());
        QCOMPARE(panel.browserStatus(), QString()); // nothing applied yet

        QSignalSpy message(&panel, &SettingsPanel::message);
        browser->setText(QStringLiteral("  /bin/true  "));
        QTest::keyClick(browser, Qt::Key_Return);
        QVERIFY(message.wait(kGuiTimeout));
        QCOMPARE(message.at(0).at(0).toString(), QStringLiteral("Sign-ins open /bin/true"));
        QCOMPARE(panel.browserStatus(), QStringLiteral("Sign-ins open /bin/true"));
        QCOMPARE(browser->text(), QStringLiteral("/bin/true")); // as the daemon keeps it
        QCOMPARE(daemonBrowser(harness), QStringLiteral("/bin/true"));

        // A program named on PATH is fine too.
        browser->setText(QStringLiteral("sh"));
        QTest::mouseClick(child<QPushButton>(panel, "applyBrowser"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(message.size(), 2, kGuiTimeout);
        QCOMPARE(daemonBrowser(harness), QStringLiteral("sh"));

        // A fresh panel (a tray started later) reads it back.
        SettingsPanel later(&connection);
        later.reload();
        QTRY_COMPARE_WITH_TIMEOUT(child<QLineEdit>(later, "browserEdit")->text(), QStringLiteral("sh"), kGuiTimeout);

        // Empty: back to the desktop's default.
        browser->clear();
        QTest::keyClick(browser, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(message.size(), 3, kGuiTimeout);
        QCOMPARE(panel.browserStatus(), QStringLiteral("Sign-ins open the desktop's default browser"));
        QCOMPARE(daemonBrowser(harness), QString());
    }

    void badValuesAreRefusedVisiblyAndLoseNothing_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("reason");
        QTest::newRow("no such file") << QStringLiteral("/nonexistent/browser") << QStringLiteral("not an executable");
        QTest::newRow("not executable") << QStringLiteral("/etc/passwd") << QStringLiteral("not an executable");
        QTest::newRow("a directory") << QStringLiteral("/usr/bin") << QStringLiteral("not an executable");
        QTest::newRow("with arguments") << QStringLiteral("sh -c evil") << QStringLiteral("without arguments");
        QTest::newRow("relative path") << QStringLiteral("bin/sh") << QStringLiteral("not an executable");
        QTest::newRow("too long") << QStringLiteral("/%1").arg(QString(2000, QLatin1Char('a')))
                                  << QStringLiteral("at most 1024 characters");
    }

    void badValuesAreRefusedVisiblyAndLoseNothing()
    {
        QFETCH(QString, value);
        QFETCH(QString, reason);
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        SettingsPanel panel(&connection);
        panel.show();
        auto *browser = child<QLineEdit>(panel, "browserEdit");
        QVERIFY(latchkey::test::connectNow(connection));

        // Something good first, so "unchanged" means something.
        QSignalSpy message(&panel, &SettingsPanel::message);
        browser->setText(QStringLiteral("/bin/true"));
        panel.applyBrowser();
        QVERIFY(message.wait(kGuiTimeout));

        browser->clear();
        QTest::keyClicks(browser, value); // typed, as a person does (setText() would not count as an edit)
        QTest::keyClick(browser, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(message.size(), 2, kGuiTimeout);
        const QString said = panel.browserStatus();
        QVERIFY2(said.startsWith(QStringLiteral("Browser not changed: ")), qPrintable(said));
        QVERIFY2(said.contains(reason), qPrintable(said));
        QCOMPARE(message.at(1).at(0).toString(), said);
        // Shown in the panel itself (the status bar's copy fades), and what was typed is still there.
        QVERIFY(child<QLabel>(panel, "browserStatus")->isVisible());
        QCOMPARE(browser->text(), value);
        QCOMPARE(daemonBrowser(harness), QStringLiteral("/bin/true"));
        // A reload (a reconnect) does not overwrite what is being corrected.
        panel.reload();
        QVERIFY(answeredSoFar(connection));
        QCOMPARE(browser->text(), value);
    }

    void aDaemonWithoutTheSettingSaysSo()
    {
        FakeDaemon fake; // answers settings.* with unknown_method, as a daemon from before them does
        QVERIFY(fake.listen());
        DaemonConnection connection(fake.socketPath());
        SettingsPanel panel(&connection);
        const QString note = child<QLabel>(panel, "browserNote")->text();
        QVERIFY(latchkey::test::connectNow(connection));
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("settings.get").size(), 1, kGuiTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!child<QLineEdit>(panel, "browserEdit")->isEnabled(), kGuiTimeout);
        QVERIFY(!child<QPushButton>(panel, "applyBrowser")->isEnabled());
        QVERIFY(child<QLabel>(panel, "browserNote")->text().contains(QStringLiteral("no browser setting")));

        // The daemon is replaced by one that has it: the panel follows on the next read.
        fake.answer("settings.get", {{"browser", "firefox"}});
        panel.reload();
        QTRY_VERIFY_WITH_TIMEOUT(child<QLineEdit>(panel, "browserEdit")->isEnabled(), kGuiTimeout);
        QCOMPARE(child<QLineEdit>(panel, "browserEdit")->text(), QStringLiteral("firefox"));
        QCOMPARE(child<QLabel>(panel, "browserNote")->text(), note);

        // Another failure is not "no such setting": the field stays usable.
        fake.fail("settings.get", latchkey::ipc::error::Internal, "disk on fire");
        panel.reload();
        QVERIFY(answeredSoFar(connection));
        QCOMPARE(fake.requests("settings.get").size(), 3);
        QVERIFY(child<QLineEdit>(panel, "browserEdit")->isEnabled());

        // settings.set carries exactly the trimmed value.
        fake.answer("settings.set", {{"browser", "/usr/bin/chromium"}});
        child<QLineEdit>(panel, "browserEdit")->setText(QStringLiteral(" /usr/bin/chromium\t"));
        panel.applyBrowser();
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("settings.set").size(), 1, kGuiTimeout);
        QVERIFY(fake.requests("settings.set").at(0).params == Json::object({{"browser", "/usr/bin/chromium"}}));
    }

    void startAtLoginWritesAndRemovesTheEntry()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen());
        DaemonConnection connection(fake.socketPath());
        SettingsPanel panel(&connection);
        auto *autostart = child<QCheckBox>(panel, "autostartCheck");
        const QString entry = m_config->path() + QStringLiteral("/autostart/latchkey-tray.desktop");
        QCOMPARE(latchkey::tray::AutostartEntry::path(), entry);
        QVERIFY(!autostart->isChecked());
        QSignalSpy message(&panel, &SettingsPanel::message);

        autostart->click();
        QVERIFY(QFile::exists(entry));
        QVERIFY(latchkey::tray::AutostartEntry::isEnabled());
        QCOMPARE(message.size(), 1);
        QVERIFY(message.at(0).at(0).toString().contains(entry));
        autostart->click();
        QVERIFY(!QFile::exists(entry));
        QCOMPARE(message.at(1).at(0).toString(), QStringLiteral("Latchkey no longer starts at login"));

        // A panel opened later shows what is on disk.
        autostart->click();
        SettingsPanel later(&connection);
        QVERIFY(child<QCheckBox>(later, "autostartCheck")->isChecked());
    }

    void startAtLoginThatCannotBeWrittenSaysWhyAndUnticks()
    {
        // Where the autostart directory should be, a file: nothing can be written under it (even as root).
        QFile blocker(m_config->path() + QStringLiteral("/autostart"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        FakeDaemon fake;
        QVERIFY(fake.listen());
        DaemonConnection connection(fake.socketPath());
        SettingsPanel panel(&connection);
        auto *autostart = child<QCheckBox>(panel, "autostartCheck");
        QSignalSpy message(&panel, &SettingsPanel::message);
        autostart->click();
        QVERIFY(!autostart->isChecked());
        QCOMPARE(message.size(), 1);
        QVERIFY2(message.at(0).at(0).toString().startsWith(QStringLiteral("Start at login: cannot ")),
                 qPrintable(message.at(0).at(0).toString()));
        QVERIFY(!latchkey::tray::AutostartEntry::isEnabled());
    }

private:
    std::unique_ptr<QTemporaryDir> m_config;
};

QTEST_MAIN(TestSettingsPanel)
#include "TestSettingsPanel.moc"
