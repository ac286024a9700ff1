#include "Policy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::Policy;

class TestPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void missingFileIsNoGrants();
    void decisionsPersistAcrossLoads();
    void fileIsPrivateAndSchemaVersioned();
    void revokeOneServerOrAll();
    void forgetServer();
    void corruptFileIsReportedAndLeftUntouched_data();
    void corruptFileIsReportedAndLeftUntouched();
    void unwritableDirectoryKeepsMemoryAsItWas();

private:
    QString path() const { return m_dir->filePath(QStringLiteral("latchkey/grants.json")); }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestPolicy::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestPolicy::missingFileIsNoGrants()
{
    Policy policy(path());
    QVERIFY(policy.load());
    QVERIFY(policy.error().isEmpty());
    QVERIFY(policy.grants().isEmpty());
    QVERIFY(!policy.decision(QStringLiteral("/usr/bin/code"), QStringLiteral("github")));
    QVERIFY(!QFile::exists(path())); // reading never creates the file
}

void TestPolicy::decisionsPersistAcrossLoads()
{
    QString error;
    {
        Policy policy(path());
        QVERIFY(policy.load());
        QVERIFY2(
            policy.set(QStringLiteral("/usr/bin/code"), QStringLiteral("github"), Policy::Decision::Always, &error),
            qPrintable(error));
        QVERIFY(policy.set(QStringLiteral("/opt/evil"), QStringLiteral("github"), Policy::Decision::Deny, &error));
        QVERIFY(policy.set(QStringLiteral("/usr/bin/zed"), QStringLiteral("github"), Policy::Decision::Always, &error));
    }
    Policy again(path());
    QVERIFY(again.load());
    QCOMPARE(again.decision(QStringLiteral("/usr/bin/code"), QStringLiteral("github")), Policy::Decision::Always);
    QCOMPARE(again.decision(QStringLiteral("/opt/evil"), QStringLiteral("github")), Policy::Decision::Deny);
    QVERIFY(!again.decision(QStringLiteral("/usr/bin/code"), QStringLiteral("gitlab")));
    QCOMPARE(again.allowedApps(QStringLiteral("github")),
             QStringList({QStringLiteral("/usr/bin/code"), QStringLiteral("/usr/bin/zed")}));
    QCOMPARE(again.grants().size(), 3);
    QVERIFY(!again.grants().first().at.isEmpty());
    // A later decision replaces the earlier one.
    QVERIFY(again.set(QStringLiteral("/opt/evil"), QStringLiteral("github"), Policy::Decision::Always, &error));
    QCOMPARE(again.grants().size(), 3);
    QCOMPARE(again.decision(QStringLiteral("/opt/evil"), QStringLiteral("github")), Policy::Decision::Always);
}

void TestPolicy::fileIsPrivateAndSchemaVersioned()
{
    Policy policy(path());
    QString error;
    QVERIFY(policy.set(QStringLiteral("/usr/bin/code"), QStringLiteral("github"), Policy::Decision::Always, &error));
    const auto permissions = QFileInfo(path()).permissions();
    QVERIFY(permissions & QFileDevice::ReadOwner);
    QVERIFY(!(permissions &
              (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther | QFileDevice::WriteOther)));
    QFile file(path());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto doc = nlohmann::json::parse(file.readAll().toStdString());
    QCOMPARE(doc["schema"].get<int>(), Policy::kSchemaVersion);
    QCOMPARE(doc["grants"][0]["decision"].get<std::string>(), std::string("always"));
}

void TestPolicy::revokeOneServerOrAll()
{
    Policy policy(path());
    QString error;
    const QString app = QStringLiteral("/usr/bin/code");
    QVERIFY(policy.set(app, QStringLiteral("github"), Policy::Decision::Always, &error));
    QVERIFY(policy.set(app, QStringLiteral("gitlab"), Policy::Decision::Deny, &error));
    QVERIFY(policy.set(QStringLiteral("/usr/bin/zed"), QStringLiteral("github"), Policy::Decision::Always, &error));
    QCOMPARE(policy.revoke(app, QStringLiteral("github"), &error), 1);
    QVERIFY(!policy.decision(app, QStringLiteral("github")));
    QCOMPARE(policy.revoke(app, QStringLiteral("github"), &error), 0);
    QCOMPARE(policy.revoke(app, QString(), &error), 1);
    QCOMPARE(policy.grants().size(), 1);
    Policy again(path());
    QVERIFY(again.load());
    QCOMPARE(again.grants().size(), 1); // what was revoked stays revoked
}

void TestPolicy::forgetServer()
{
    Policy policy(path());
    QString error;
    QVERIFY(policy.set(QStringLiteral("/a"), QStringLiteral("github"), Policy::Decision::Always, &error));
    QVERIFY(policy.set(QStringLiteral("/b"), QStringLiteral("github"), Policy::Decision::Deny, &error));
    QVERIFY(policy.set(QStringLiteral("/b"), QStringLiteral("other"), Policy::Decision::Deny, &error));
    QCOMPARE(policy.forgetServer(QStringLiteral("github"), &error), 2);
    QCOMPARE(policy.grants().size(), 1);
}

void TestPolicy::corruptFileIsReportedAndLeftUntouched_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("why");
    QTest::newRow("not json") << QByteArray("{\"schema\":1,") << QStringLiteral("not valid JSON");
    QTest::newRow("no schema") << QByteArray("{\"grants\":[]}") << QStringLiteral("no \"schema\"");
    QTest::newRow("newer schema") << QByteArray("{\"schema\":9,\"grants\":[]}") << QStringLiteral("schema 9");
    QTest::newRow("grants not a list") << QByteArray("{\"schema\":1,\"grants\":{}}")
                                       << QStringLiteral("\"grants\" must be a list");
    QTest::newRow("bad decision")
        << QByteArray("{\"schema\":1,\"grants\":[{\"app\":\"/a\",\"server\":\"github\",\"decision\":\"maybe\"}]}")
        << QStringLiteral("always or deny");
    QTest::newRow("bad server name")
        << QByteArray("{\"schema\":1,\"grants\":[{\"app\":\"/a\",\"server\":\"../x\",\"decision\":\"deny\"}]}")
        << QStringLiteral("valid \"server\"");
}

void TestPolicy::corruptFileIsReportedAndLeftUntouched()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, why);
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QFile file(path());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();

    Policy policy(path());
    QVERIFY(!policy.load());
    QVERIFY2(policy.error().contains(why), qPrintable(policy.error()));
    QVERIFY(policy.error().contains(path()));
    QVERIFY(policy.grants().isEmpty()); // nothing allowed by a file we cannot read
    QString error;
    QVERIFY(!policy.set(QStringLiteral("/a"), QStringLiteral("github"), Policy::Decision::Always, &error));
    QCOMPARE(error, policy.error());
    QCOMPARE(policy.revoke(QStringLiteral("/a"), QString(), &error), -1);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), content); // nothing lost
}

void TestPolicy::unwritableDirectoryKeepsMemoryAsItWas()
{
    // A file where the directory should be: the save fails, and the decision is not half-taken.
    QFile blocker(m_dir->filePath(QStringLiteral("latchkey")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    Policy policy(path());
    QVERIFY(policy.load());
    QString error;
    QVERIFY(!policy.set(QStringLiteral("/a"), QStringLiteral("github"), Policy::Decision::Always, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!policy.decision(QStringLiteral("/a"), QStringLiteral("github")));
}

QTEST_GUILESS_MAIN(TestPolicy)
#include "TestPolicy.moc"
