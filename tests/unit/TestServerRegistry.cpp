// Unit tests for ServerRegistry: servers.json load/save, permissions, and the rule that a file the
// registry cannot understand is never overwritten.
#include "ServerRegistry.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using latchkey::EnvBinding;
using latchkey::ServerRecord;
using latchkey::ServerRegistry;
using Json = nlohmann::json;

namespace {

ServerRecord makeRecord(const QString &name, const QString &var = QStringLiteral("TOKEN"),
                        const QString &key = QStringLiteral("token"))
{
    ServerRecord record;
    record.name = name;
    record.command = {QStringLiteral("/usr/bin/env"), QStringLiteral("server-") + name};
    record.env = {{var, EnvBinding::Source::Secret, key}};
    return record;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.readAll();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    return file.write(data) == data.size();
}

} // namespace

class TestServerRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void missingFileIsEmpty();
    void addPersistsAndReloads();
    void addCreatesParentDirectory();
    void addDuplicateRefused();
    void removePersists();
    void removeUnknownRefused();
    void fileModeIs0600();
    void fileModeTightenedOnRewrite();
    void secretKeyNames();
    void secretKeysNeverStoreValues();
    void brokenFile_data();
    void brokenFile();
    void failedMutationLeavesFileByteIdentical();
    void loadAgainRecoversAfterFix();
    void olderButValidSchemaLoads();

private:
    QString path() const { return m_dir->filePath(QStringLiteral("config/latchkey/servers.json")); }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestServerRegistry::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestServerRegistry::missingFileIsEmpty()
{
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QVERIFY(registry.error().isEmpty());
    QVERIFY(registry.servers().isEmpty());
    QVERIFY(registry.find(QStringLiteral("x")) == nullptr);
    QVERIFY(registry.secretKeys(QStringLiteral("x")).isEmpty());
    // Loading does not create the file.
    QVERIFY(!QFile::exists(path()));
}

void TestServerRegistry::addPersistsAndReloads()
{
    {
        ServerRegistry registry(path());
        QVERIFY(registry.load());
        QString error;
        QVERIFY2(registry.add(makeRecord(QStringLiteral("alpha")), &error), qPrintable(error));
        QVERIFY2(
            registry.add(makeRecord(QStringLiteral("beta"), QStringLiteral("API_KEY"), QStringLiteral("key")), &error),
            qPrintable(error));
        QCOMPARE(registry.servers().size(), 2);
        QVERIFY(registry.find(QStringLiteral("alpha")) != nullptr);
    }
    QVERIFY(QFile::exists(path()));

    ServerRegistry reloaded(path());
    QVERIFY(reloaded.load());
    QCOMPARE(reloaded.servers().size(), 2);
    const ServerRecord *beta = reloaded.find(QStringLiteral("beta"));
    QVERIFY(beta != nullptr);
    QCOMPARE(beta->command, makeRecord(QStringLiteral("beta")).command);
    QCOMPARE(beta->env.size(), 1);
    QCOMPARE(beta->env.front().variable, QStringLiteral("API_KEY"));
    QCOMPARE(beta->env.front().reference, QStringLiteral("key"));

    const Json doc = Json::parse(readAll(path()).toStdString());
    QCOMPARE(doc.at("schema").get<int>(), ServerRegistry::kSchemaVersion);
    QCOMPARE(doc.at("servers").size(), size_t(2));
}

void TestServerRegistry::addCreatesParentDirectory()
{
    const QString deep = m_dir->filePath(QStringLiteral("a/b/c/servers.json"));
    ServerRegistry registry(deep);
    QVERIFY(registry.load());
    QString error;
    QVERIFY2(registry.add(makeRecord(QStringLiteral("x")), &error), qPrintable(error));
    QVERIFY(QFile::exists(deep));
}

void TestServerRegistry::addDuplicateRefused()
{
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QString error;
    QVERIFY(registry.add(makeRecord(QStringLiteral("alpha")), &error));
    const QByteArray before = readAll(path());
    QVERIFY(!registry.add(makeRecord(QStringLiteral("alpha"), QStringLiteral("OTHER")), &error));
    QVERIFY(error.contains(QStringLiteral("alpha")));
    QCOMPARE(registry.servers().size(), 1);
    QCOMPARE(registry.find(QStringLiteral("alpha"))->env.front().variable, QStringLiteral("TOKEN"));
    QCOMPARE(readAll(path()), before);
}

void TestServerRegistry::removePersists()
{
    {
        ServerRegistry registry(path());
        QVERIFY(registry.load());
        QString error;
        QVERIFY(registry.add(makeRecord(QStringLiteral("alpha")), &error));
        QVERIFY(registry.add(makeRecord(QStringLiteral("beta")), &error));
        QVERIFY2(registry.remove(QStringLiteral("alpha"), &error), qPrintable(error));
        QVERIFY(registry.find(QStringLiteral("alpha")) == nullptr);
    }
    ServerRegistry reloaded(path());
    QVERIFY(reloaded.load());
    QCOMPARE(reloaded.servers().size(), 1);
    QVERIFY(reloaded.find(QStringLiteral("alpha")) == nullptr);
    QVERIFY(reloaded.find(QStringLiteral("beta")) != nullptr);
}

void TestServerRegistry::removeUnknownRefused()
{
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QString error;
    QVERIFY(!registry.remove(QStringLiteral("ghost"), &error));
    QVERIFY(error.contains(QStringLiteral("ghost")));
    QVERIFY(!QFile::exists(path()));
}

void TestServerRegistry::fileModeIs0600()
{
    const mode_t old = ::umask(0022);
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QString error;
    const bool added = registry.add(makeRecord(QStringLiteral("alpha")), &error);
    ::umask(old);
    QVERIFY2(added, qPrintable(error));
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777u, 0600u);
}

void TestServerRegistry::fileModeTightenedOnRewrite()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(writeFile(path(), QByteArrayLiteral(R"({"schema":1,"servers":[]})")));
    QVERIFY(QFile::setPermissions(path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                                              QFileDevice::ReadOther));
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QString error;
    QVERIFY2(registry.add(makeRecord(QStringLiteral("alpha")), &error), qPrintable(error));
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777u, 0600u);
}

void TestServerRegistry::secretKeyNames()
{
    {
        ServerRegistry registry(path());
        QVERIFY(registry.load());
        QString error;
        QVERIFY(registry.add(makeRecord(QStringLiteral("alpha")), &error));
        QVERIFY(!registry.hasSecret(QStringLiteral("alpha"), QStringLiteral("token")));
        QVERIFY2(registry.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("zeta"), true, &error),
                 qPrintable(error));
        QVERIFY(registry.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("token"), true, &error));
        // Setting what is already known is a no-op that succeeds.
        QVERIFY(registry.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("token"), true, &error));
        QVERIFY(registry.hasSecret(QStringLiteral("alpha"), QStringLiteral("token")));
        QVERIFY(!registry.hasSecret(QStringLiteral("beta"), QStringLiteral("token")));
        QCOMPARE(registry.secretKeys(QStringLiteral("alpha")),
                 (QStringList{QStringLiteral("token"), QStringLiteral("zeta")}));
    }
    {
        ServerRegistry reloaded(path());
        QVERIFY(reloaded.load());
        QCOMPARE(reloaded.secretKeys(QStringLiteral("alpha")),
                 (QStringList{QStringLiteral("token"), QStringLiteral("zeta")}));
        QString error;
        QVERIFY(reloaded.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("zeta"), false, &error));
        QVERIFY(reloaded.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("token"), false, &error));
        QVERIFY(reloaded.secretKeys(QStringLiteral("alpha")).isEmpty());
    }
    ServerRegistry last(path());
    QVERIFY(last.load());
    QVERIFY(last.secretKeys(QStringLiteral("alpha")).isEmpty());
    // The emptied server leaves no entry behind.
    const Json doc = Json::parse(readAll(path()).toStdString());
    QVERIFY(doc.at("secrets").empty());
}

void TestServerRegistry::secretKeysNeverStoreValues()
{
    ServerRegistry registry(path());
    QVERIFY(registry.load());
    QString error;
    QVERIFY(registry.add(makeRecord(QStringLiteral("alpha")), &error));
    QVERIFY(registry.setSecretKnown(QStringLiteral("alpha"), QStringLiteral("token"), true, &error));
    const Json doc = Json::parse(readAll(path()).toStdString());
    QVERIFY(doc.at("secrets").at("alpha").is_array());
    QCOMPARE(doc.at("secrets").at("alpha").at(0).get<std::string>(), std::string("token"));
}

void TestServerRegistry::brokenFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("mentions");
    const QByteArray good = QByteArray(R"({"name":"a","kind":"stdio","command":["x"]})");
    QTest::newRow("not json") << QByteArrayLiteral("{\"schema\":1,") << QStringLiteral("JSON");
    QTest::newRow("empty file") << QByteArray() << QStringLiteral("JSON");
    QTest::newRow("array") << QByteArrayLiteral("[]") << QStringLiteral("schema");
    QTest::newRow("no schema") << QByteArrayLiteral(R"({"servers":[]})") << QStringLiteral("schema");
    QTest::newRow("schema string") << QByteArrayLiteral(R"({"schema":"1"})") << QStringLiteral("schema");
    QTest::newRow("newer schema") << QByteArrayLiteral(R"({"schema":2,"servers":[],"fancy":true})")
                                  << QStringLiteral("newer");
    QTest::newRow("schema 0") << QByteArrayLiteral(R"({"schema":0})") << QStringLiteral("schema 0");
    QTest::newRow("servers not list") << QByteArrayLiteral(R"({"schema":1,"servers":{}})") << QStringLiteral("servers");
    QTest::newRow("bad record") << QByteArrayLiteral(R"({"schema":1,"servers":[{"name":"a b"}]})")
                                << QStringLiteral("server name");
    QTest::newRow("listed twice") << QByteArray(R"({"schema":1,"servers":[)" + good + "," + good + "]}")
                                  << QStringLiteral("twice");
    QTest::newRow("secrets not object") << QByteArrayLiteral(R"({"schema":1,"secrets":[]})")
                                        << QStringLiteral("secrets");
    QTest::newRow("secrets bad server") << QByteArrayLiteral(R"({"schema":1,"secrets":{"../x":["k"]}})")
                                        << QStringLiteral("secrets");
    QTest::newRow("secrets bad key") << QByteArrayLiteral(R"({"schema":1,"secrets":{"a":["a/b"]}})")
                                     << QStringLiteral("key");
    QTest::newRow("secrets key not string")
        << QByteArrayLiteral(R"({"schema":1,"secrets":{"a":[1]}})") << QStringLiteral("key");
}

void TestServerRegistry::brokenFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, mentions);
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(writeFile(path(), content));

    ServerRegistry registry(path());
    QVERIFY(!registry.load());
    QVERIFY2(registry.error().contains(mentions), qPrintable(registry.error()));
    QVERIFY(registry.error().contains(path()));
    QVERIFY(registry.servers().isEmpty());

    QString error;
    QVERIFY(!registry.add(makeRecord(QStringLiteral("new")), &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!registry.setSecretKnown(QStringLiteral("new"), QStringLiteral("k"), true, &error));
    QVERIFY(!registry.hasSecret(QStringLiteral("new"), QStringLiteral("k")));
    QCOMPARE(readAll(path()), content);
}

void TestServerRegistry::failedMutationLeavesFileByteIdentical()
{
    // A file from a newer Latchkey with a record this one could parse: still hands off.
    const QByteArray content = QByteArrayLiteral(
        "{ \"schema\": 7,\n  \"servers\": [ {\"name\":\"keep\",\"kind\":\"stdio\",\"command\":[\"x\"]} ],"
        "\n  \"unknown\": \"\xe2\x9c\x93\" }\n");
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(writeFile(path(), content));
    const QByteArray hashBefore = QCryptographicHash::hash(content, QCryptographicHash::Sha256);
    const QDateTime modified = QFileInfo(path()).lastModified();

    ServerRegistry registry(path());
    QVERIFY(!registry.load());
    QVERIFY(registry.error().contains(QStringLiteral("newer")));
    QString error;
    QVERIFY(!registry.add(makeRecord(QStringLiteral("new")), &error));
    QVERIFY(!registry.remove(QStringLiteral("keep"), &error));
    QVERIFY(!registry.setSecretKnown(QStringLiteral("keep"), QStringLiteral("k"), true, &error));
    QCOMPARE(QCryptographicHash::hash(readAll(path()), QCryptographicHash::Sha256), hashBefore);
    QCOMPARE(QFileInfo(path()).lastModified(), modified);
    // No temporary or backup files were left next to it either.
    QCOMPARE(QDir(QFileInfo(path()).absolutePath()).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("servers.json")});
}

void TestServerRegistry::loadAgainRecoversAfterFix()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(writeFile(path(), QByteArrayLiteral("garbage")));
    ServerRegistry registry(path());
    QVERIFY(!registry.load());
    QVERIFY(writeFile(path(), QByteArrayLiteral(R"({"schema":1})")));
    QVERIFY(registry.load());
    QVERIFY(registry.error().isEmpty());
    QString error;
    QVERIFY2(registry.add(makeRecord(QStringLiteral("alpha")), &error), qPrintable(error));
}

void TestServerRegistry::olderButValidSchemaLoads()
{
    QVERIFY(QDir().mkpath(QFileInfo(path()).absolutePath()));
    QVERIFY(writeFile(path(), QByteArrayLiteral(R"({"schema":1,"servers":[{"name":"a","kind":"stdio","command":["x"]}],
                                                   "secrets":{"a":["k1","k2"],"orphan":["k"]}})")));
    ServerRegistry registry(path());
    QVERIFY2(registry.load(), qPrintable(registry.error()));
    QCOMPARE(registry.servers().size(), 1);
    QCOMPARE(registry.secretKeys(QStringLiteral("a")), (QStringList{QStringLiteral("k1"), QStringLiteral("k2")}));
    // Secrets of a removed server stay known until removed (see `latchkey remove`).
    QVERIFY(registry.hasSecret(QStringLiteral("orphan"), QStringLiteral("k")));
}

QTEST_GUILESS_MAIN(TestServerRegistry)
#include "TestServerRegistry.moc"
