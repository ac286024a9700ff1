// Unit tests for ManagedPolicy: a valid schema-1 policy, every refusal with a message naming the field,
// http only to loopback, no secrets, servers only in the admin's policy, and the file loader's errors
// (which name the file) and LATCHKEY_POLICY.
#include "ManagedPolicy.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using latchkey::ManagedPolicy;
using nlohmann::json;

class TestManagedPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid();
    void invalid_data();
    void invalid();
    void userConfigNamesOnlyAnIdp();
    void loadFileNamesTheFile();
    void environmentOverride();
    void settingsTree();

private:
    static json base()
    {
        return json::parse(R"({
            "schema": 1,
            "idp": {"issuer": "https://idp.example.com", "client_id": "latchkey", "client_auth": "none",
                    "scopes": ["openid", "offline_access"]},
            "servers": [
                {"name": "crm", "url": "https://crm.example.com/mcp", "scopes": ["crm.read"],
                 "client_id": "latchkey-at-crm", "client_auth": "client_secret_basic"},
                {"name": "local", "url": "http://127.0.0.1:8080/mcp"}
            ]})");
    }
};

void TestManagedPolicy::valid()
{
    QString error;
    const auto policy = ManagedPolicy::fromJson(base(), &error);
    QVERIFY2(policy, qPrintable(error));
    QCOMPARE(policy->idp.issuer, QStringLiteral("https://idp.example.com"));
    QCOMPARE(policy->idp.clientId, QStringLiteral("latchkey"));
    QCOMPARE(policy->idp.scopes, QStringList({QStringLiteral("openid"), QStringLiteral("offline_access")}));
    QCOMPARE(policy->servers.size(), 2);
    QCOMPARE(policy->servers[0].name, QStringLiteral("crm"));
    QCOMPARE(policy->servers[0].clientAuth, QStringLiteral("client_secret_basic"));
    QCOMPARE(policy->servers[1].clientId, QString());

    json minimal = base();
    minimal["idp"].erase("scopes");
    minimal["idp"].erase("client_auth");
    minimal.erase("servers");
    const auto small = ManagedPolicy::fromJson(minimal, &error);
    QVERIFY2(small, qPrintable(error));
    QCOMPARE(small->idp.scopes, QStringList{QStringLiteral("openid")}); // openid always
    QCOMPARE(small->idp.clientAuth, QStringLiteral("none"));
    QVERIFY(small->servers.isEmpty());
}

void TestManagedPolicy::invalid_data()
{
    QTest::addColumn<QByteArray>("patch"); // a JSON merge patch (RFC 7386) on base()
    QTest::addColumn<QString>("expected");
    QTest::newRow("schema 2") << QByteArray(R"({"schema":2})") << QStringLiteral("\"schema\" must be 1");
    QTest::newRow("no schema") << QByteArray(R"({"schema":null})") << QStringLiteral("\"schema\" must be 1");
    QTest::newRow("no idp") << QByteArray(R"({"idp":null})") << QStringLiteral("\"idp\" must be an object");
    QTest::newRow("no issuer") << QByteArray(R"({"idp":{"issuer":null}})")
                               << QStringLiteral("idp: \"issuer\" is missing");
    QTest::newRow("http issuer") << QByteArray(R"({"idp":{"issuer":"http://idp.example.com"}})")
                                 << QStringLiteral("idp: \"issuer\" refused");
    QTest::newRow("issuer fragment") << QByteArray(R"({"idp":{"issuer":"https://idp.example.com/#x"}})")
                                     << QStringLiteral("idp: \"issuer\" refused");
    QTest::newRow("no client_id") << QByteArray(R"({"idp":{"client_id":null}})")
                                  << QStringLiteral("idp: \"client_id\" is missing");
    QTest::newRow("empty client_id") << QByteArray(R"({"idp":{"client_id":""}})")
                                     << QStringLiteral("idp: \"client_id\" must be a non-empty string");
    QTest::newRow("bad client_auth") << QByteArray(R"({"idp":{"client_auth":"tls_client_auth"}})")
                                     << QStringLiteral("idp: \"client_auth\" must be one of");
    QTest::newRow("secret in policy") << QByteArray(R"({"idp":{"client_secret":"s3cret"}})")
                                      << QStringLiteral("the policy holds no secrets");
    QTest::newRow("typo") << QByteArray(R"({"idp":{"clientid":"x"}})") << QStringLiteral("unknown field \"clientid\"");
    QTest::newRow("scopes not a list") << QByteArray(R"({"idp":{"scopes":"openid"}})")
                                       << QStringLiteral("\"scopes\" must be a list of strings");
    QTest::newRow("scope with space") << QByteArray(R"({"idp":{"scopes":["a b"]}})") << QStringLiteral("idp: ");
    QTest::newRow("servers not a list") << QByteArray(R"({"servers":{}})")
                                        << QStringLiteral("\"servers\" must be a list");
    QTest::newRow("unknown top level") << QByteArray(R"({"extra":1})") << QStringLiteral("unknown field \"extra\"");
}

void TestManagedPolicy::invalid()
{
    QFETCH(QByteArray, patch);
    QFETCH(QString, expected);
    json doc = base();
    doc.merge_patch(json::parse(patch.toStdString()));
    QString error;
    QVERIFY(!ManagedPolicy::fromJson(doc, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestManagedPolicy::userConfigNamesOnlyAnIdp()
{
    QString error;
    QVERIFY(!ManagedPolicy::fromJson(base(), &error, true));
    QVERIFY2(error.contains(QStringLiteral("only an administrator")), qPrintable(error));
    json idpOnly = base();
    idpOnly.erase("servers");
    QVERIFY2(ManagedPolicy::fromJson(idpOnly, &error, true), qPrintable(error));
}

void TestManagedPolicy::loadFileNamesTheFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("policy.json"));
    // Absent: no policy, no error.
    auto loaded = ManagedPolicy::loadFile(path, false);
    QVERIFY(!loaded.policy);
    QVERIFY(loaded.error.isEmpty());

    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"schema\": 1, \"idp\": ");
    file.close();
    loaded = ManagedPolicy::loadFile(path, false);
    QVERIFY(!loaded.policy);
    QVERIFY2(loaded.error.startsWith(path + QStringLiteral(": not valid JSON")), qPrintable(loaded.error));

    // Each server entry is named in the error, and an http URL off loopback is refused.
    json doc = base();
    doc["servers"][0]["url"] = "http://crm.example.com/mcp";
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QByteArray::fromStdString(doc.dump()));
    file.close();
    loaded = ManagedPolicy::loadFile(path, false);
    QVERIFY(!loaded.policy);
    QVERIFY2(loaded.error.contains(QStringLiteral("servers[\"crm\"]: \"url\" refused")), qPrintable(loaded.error));

    doc = base();
    doc["servers"][1]["name"] = "crm";
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QByteArray::fromStdString(doc.dump()));
    file.close();
    loaded = ManagedPolicy::loadFile(path, false);
    QVERIFY2(loaded.error.contains(QStringLiteral("listed twice")), qPrintable(loaded.error));
}

void TestManagedPolicy::environmentOverride()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("p.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray::fromStdString(base().dump()));
    file.close();
    qputenv("LATCHKEY_POLICY", path.toUtf8());
    const auto loaded = ManagedPolicy::load();
    qunsetenv("LATCHKEY_POLICY");
    QVERIFY2(loaded.policy, qPrintable(loaded.error));
    QCOMPARE(loaded.path, path);
    QCOMPARE(loaded.policy->source, path);
    QCOMPARE(loaded.policy->servers.size(), 2);
}

void TestManagedPolicy::settingsTree()
{
    // macOS managed preferences / Windows registry: a PolicyJson string, or the document as a tree.
    QVariantMap tree;
    tree.insert(QStringLiteral("PolicyJson"), QString::fromStdString(base().dump()));
    QString error;
    QVERIFY2(ManagedPolicy::fromJson(ManagedPolicy::fromSettingsTree(tree), &error), qPrintable(error));
    QVariantMap idp = {{QStringLiteral("issuer"), QStringLiteral("https://idp.example.com")},
                       {QStringLiteral("client_id"), QStringLiteral("latchkey")}};
    QVariantMap nested = {{QStringLiteral("schema"), 1}, {QStringLiteral("idp"), idp}};
    const auto policy = ManagedPolicy::fromJson(ManagedPolicy::fromSettingsTree(nested), &error);
    QVERIFY2(policy, qPrintable(error));
    QCOMPARE(policy->idp.clientId, QStringLiteral("latchkey"));
}

QTEST_GUILESS_MAIN(TestManagedPolicy)
#include "TestManagedPolicy.moc"
