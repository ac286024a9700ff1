#include "DaemonSettings.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using latchkey::DaemonSettings;
using latchkey::ipc::Json;
using latchkey::ipc::Request;
using latchkey::ipc::Response;

class TestDaemonSettings : public QObject
{
    Q_OBJECT

private:
    QString path() const { return m_dir.filePath(QStringLiteral("latchkey/settings.json")); }
    Response call(DaemonSettings &settings, const std::string &method, Json params = Json::object())
    {
        Request request;
        request.id = 7;
        request.method = method;
        request.params = std::move(params);
        Response answer;
        settings.handle(request, [&answer](Response response) { answer = std::move(response); });
        return answer;
    }

    QTemporaryDir m_dir;

private Q_SLOTS:
    void browserIsStoredAndReadBack()
    {
        DaemonSettings settings(path());
        settings.load();
        QCOMPARE(settings.browser(), QString());
        QString error;
        QVERIFY2(settings.setBrowser(QStringLiteral("/bin/true"), &error), qPrintable(error));
        const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                QFileDevice::WriteOther | QFileDevice::ExeOther;
        QVERIFY(!(QFile(path()).permissions() & others)); // 0600

        DaemonSettings again(path());
        again.load();
        QCOMPARE(again.browser(), QStringLiteral("/bin/true"));
        QVERIFY(again.setBrowser(QStringLiteral("sh"), &error)); // a name on PATH
        QVERIFY(again.setBrowser(QString(), &error));            // back to the default
        DaemonSettings third(path());
        third.load();
        QCOMPARE(third.browser(), QString());
    }

    void badBrowsersAreRefusedAndChangeNothing_data()
    {
        QTest::addColumn<QString>("browser");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/browser");
        QTest::newRow("not executable") << m_dir.filePath(QStringLiteral("plain-file"));
        QTest::newRow("with arguments") << QStringLiteral("firefox --private-window");
        QTest::newRow("relative path") << QStringLiteral("bin/true");
        QTest::newRow("directory") << QStringLiteral("/bin");
        QTest::newRow("too long") << QStringLiteral("/").repeated(2000);
    }

    void badBrowsersAreRefusedAndChangeNothing()
    {
        QFETCH(QString, browser);
        QFile plain(m_dir.filePath(QStringLiteral("plain-file"))); // 0644: not a program
        QVERIFY(plain.open(QIODevice::WriteOnly));
        plain.close();
        QVERIFY(plain.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                                     QFileDevice::ReadOther));
        DaemonSettings settings(path());
        QString error;
        QVERIFY(settings.setBrowser(QStringLiteral("/bin/true"), &error));
        QVERIFY(!settings.setBrowser(browser, &error));
        QVERIFY(!error.isEmpty());
        QCOMPARE(settings.browser(), QStringLiteral("/bin/true"));
        DaemonSettings reread(path());
        reread.load();
        QCOMPARE(reread.browser(), QStringLiteral("/bin/true"));
    }

    void unreadableFileKeepsTheDefaults()
    {
        QFile file(path());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("[not an object]");
        file.close();
        DaemonSettings settings(path());
        QString error;
        settings.load(&error);
        QVERIFY(error.contains(QStringLiteral("not a JSON object")));
        QCOMPARE(settings.browser(), QString());
    }

    void methods()
    {
        DaemonSettings settings(path());
        Response got = call(settings, "settings.get");
        QVERIFY(got.ok());
        QVERIFY(got.id == 7);
        QVERIFY(got.result.at("browser") == "");
        Response set = call(settings, "settings.set", {{"browser", "/bin/true"}});
        QVERIFY2(set.ok(), set.errorMessage.c_str());
        QVERIFY(call(settings, "settings.get").result.at("browser") == "/bin/true");
        Response bad = call(settings, "settings.set", {{"browser", 42}});
        QCOMPARE(bad.errorCode, std::string("invalid_params"));
        bad = call(settings, "settings.set", {{"browser", "/nonexistent"}});
        QCOMPARE(bad.errorCode, std::string("invalid_params"));
        QVERIFY(call(settings, "settings.get").result.at("browser") == "/bin/true");
    }
};

QTEST_GUILESS_MAIN(TestDaemonSettings)
#include "TestDaemonSettings.moc"
