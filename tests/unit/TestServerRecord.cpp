// Unit tests for ServerRecord: JSON round trip and every validation rule of fromJson.
#include "ServerRecord.h"

#include <QTest>

using latchkey::EnvBinding;
using latchkey::ServerRecord;
using Json = nlohmann::json;

namespace {

Json validRecord()
{
    return Json{{"name", "github"},
                {"kind", "stdio"},
                {"command", {"npx", "-y", "@modelcontextprotocol/server-github"}},
                {"env", {{{"var", "GITHUB_TOKEN"}, {"source", "secret"}, {"key", "token"}}}}};
}

} // namespace

Q_DECLARE_METATYPE(Json)

class TestServerRecord : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesValidRecord();
    void envIsOptional();
    void roundTrip();
    void unknownFieldsIgnored();
    void invalid_data();
    void invalid();
    void limitsAreInclusive();
    void nulInArgumentRefused();
    void duplicateVariableRefused();
    void sameKeyForTwoVariablesAllowed();
    void unicodeArgumentsKept();
    void remoteResourceIndicator_data();
    void remoteResourceIndicator();
    void remoteHeaderBindingsRoundTrip();
    void remoteHeaderBindingsInvalid_data();
    void remoteHeaderBindingsInvalid();
};

void TestServerRecord::parsesValidRecord()
{
    QString error;
    const auto record = ServerRecord::fromJson(validRecord(), &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QCOMPARE(record->name, QStringLiteral("github"));
    QCOMPARE(record->kind, ServerRecord::Kind::Stdio);
    QCOMPARE(record->command, (QStringList{QStringLiteral("npx"), QStringLiteral("-y"),
                                           QStringLiteral("@modelcontextprotocol/server-github")}));
    QCOMPARE(record->env.size(), 1);
    QCOMPARE(record->env.front().variable, QStringLiteral("GITHUB_TOKEN"));
    QCOMPARE(record->env.front().source, EnvBinding::Source::Secret);
    QCOMPARE(record->env.front().reference, QStringLiteral("token"));
}

void TestServerRecord::envIsOptional()
{
    Json json = validRecord();
    json.erase("env");
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QVERIFY(record->env.isEmpty());

    json["env"] = Json::array();
    QVERIFY(ServerRecord::fromJson(json, &error).has_value());
}

void TestServerRecord::roundTrip()
{
    ServerRecord record;
    record.name = QStringLiteral("local.tool_1");
    record.command = {QStringLiteral("/usr/bin/tool"), QStringLiteral("--flag"), QString(),
                      QStringLiteral("with space")};
    record.env = {{QStringLiteral("A"), EnvBinding::Source::Secret, QStringLiteral("a")},
                  {QStringLiteral("B_2"), EnvBinding::Source::Secret, QStringLiteral("b.key")}};
    QString error;
    const auto back = ServerRecord::fromJson(record.toJson(), &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(back->name, record.name);
    QCOMPARE(back->command, record.command);
    QCOMPARE(back->env, record.env);
    QVERIFY(back->toJson() == record.toJson());

    const Json json = record.toJson();
    QCOMPARE(json.at("kind").get<std::string>(), std::string("stdio"));
    QCOMPARE(json.at("env").at(1).at("source").get<std::string>(), std::string("secret"));
}

void TestServerRecord::unknownFieldsIgnored()
{
    Json json = validRecord();
    json["future_field"] = {{"x", 1}};
    QString error;
    QVERIFY(ServerRecord::fromJson(json, &error).has_value());
}

void TestServerRecord::invalid_data()
{
    QTest::addColumn<Json>("json");
    QTest::addColumn<QString>("mentions");

    const auto with = [](const char *key, Json value) {
        Json json = validRecord();
        json[key] = std::move(value);
        return json;
    };
    const auto without = [](const char *key) {
        Json json = validRecord();
        json.erase(key);
        return json;
    };
    const auto withBinding = [](Json binding) {
        Json json = validRecord();
        json["env"] = Json::array({std::move(binding)});
        return json;
    };
    const auto binding = [](const char *var, const char *source, const char *key) {
        return Json{{"var", var}, {"source", source}, {"key", key}};
    };

    QTest::newRow("array") << Json::array({validRecord()}) << QStringLiteral("object");
    QTest::newRow("null") << Json() << QStringLiteral("object");
    QTest::newRow("string") << Json("github") << QStringLiteral("object");
    QTest::newRow("no name") << without("name") << QStringLiteral("name");
    QTest::newRow("name not string") << with("name", 5) << QStringLiteral("name");
    QTest::newRow("name empty") << with("name", "") << QStringLiteral("server name");
    QTest::newRow("name with slash") << with("name", "../etc") << QStringLiteral("server name");
    QTest::newRow("name too long") << with("name", std::string(65, 'a')) << QStringLiteral("server name");
    QTest::newRow("no kind") << without("kind") << QStringLiteral("kind");
    QTest::newRow("kind http") << with("kind", "http") << QStringLiteral("kind");
    QTest::newRow("kind not string") << with("kind", Json::array()) << QStringLiteral("kind");
    QTest::newRow("no command") << without("command") << QStringLiteral("command");
    QTest::newRow("command string") << with("command", "npx -y server") << QStringLiteral("command");
    QTest::newRow("command empty") << with("command", Json::array()) << QStringLiteral("command");
    QTest::newRow("command too many") << with("command", Json(std::vector<std::string>(257, "a")))
                                      << QStringLiteral("command");
    QTest::newRow("argument not string") << with("command", {"npx", 1}) << QStringLiteral("argument");
    QTest::newRow("argument null") << with("command", {"npx", nullptr}) << QStringLiteral("argument");
    QTest::newRow("argument too long") << with("command", {"npx", std::string(4097, 'x')})
                                       << QStringLiteral("argument");
    QTest::newRow("program empty") << with("command", {"", "arg"}) << QStringLiteral("program");
    QTest::newRow("env object") << with("env", {{"A", "secret:a"}}) << QStringLiteral("env");
    QTest::newRow("env too many") << with("env", Json(std::vector<Json>(65, binding("A", "secret", "a"))))
                                  << QStringLiteral("env");
    QTest::newRow("binding not object") << withBinding("A=secret:a") << QStringLiteral("binding");
    QTest::newRow("binding without var") << withBinding({{"source", "secret"}, {"key", "a"}})
                                         << QStringLiteral("binding");
    QTest::newRow("binding without source") << withBinding({{"var", "A"}, {"key", "a"}}) << QStringLiteral("binding");
    QTest::newRow("binding without key") << withBinding({{"var", "A"}, {"source", "secret"}})
                                         << QStringLiteral("binding");
    QTest::newRow("binding key not string")
        << withBinding({{"var", "A"}, {"source", "secret"}, {"key", 1}}) << QStringLiteral("binding");
    QTest::newRow("literal source") << withBinding(binding("A", "literal", "a")) << QStringLiteral("literal");
    QTest::newRow("env var digit first") << withBinding(binding("1A", "secret", "a"))
                                         << QStringLiteral("environment variable");
    QTest::newRow("env var with equals") << withBinding(binding("A=B", "secret", "a"))
                                         << QStringLiteral("environment variable");
    QTest::newRow("env var empty") << withBinding(binding("", "secret", "a")) << QStringLiteral("environment variable");
    QTest::newRow("env var with NUL") << withBinding(
                                             {{"var", std::string("A\0B", 3)}, {"source", "secret"}, {"key", "a"}})
                                      << QStringLiteral("environment variable");
    QTest::newRow("env var dash") << withBinding(binding("MY-VAR", "secret", "a"))
                                  << QStringLiteral("environment variable");
    QTest::newRow("key with slash") << withBinding(binding("A", "secret", "../other/token"))
                                    << QStringLiteral("secret key");
    QTest::newRow("key empty") << withBinding(binding("A", "secret", "")) << QStringLiteral("secret key");
}

void TestServerRecord::invalid()
{
    QFETCH(Json, json);
    QFETCH(QString, mentions);
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QVERIFY(!record.has_value());
    QVERIFY2(error.contains(mentions), qPrintable(error));
}

void TestServerRecord::limitsAreInclusive()
{
    Json json = validRecord();
    json["name"] = std::string(64, 'n');
    json["command"] = Json(std::vector<std::string>(256, std::string(4096, 'x')));
    Json env = Json::array();
    for (int i = 0; i < 64; ++i) {
        env.push_back({{"var", "V" + std::to_string(i)}, {"source", "secret"}, {"key", "k"}});
    }
    json["env"] = env;
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QCOMPARE(record->command.size(), 256);
    QCOMPARE(record->env.size(), 64);
}

void TestServerRecord::nulInArgumentRefused()
{
    for (const std::string &arg : {std::string("a\0b", 3), std::string("\0", 1), std::string("end\0", 4)}) {
        Json json = validRecord();
        json["command"] = {"prog", arg};
        QString error;
        QVERIFY(!ServerRecord::fromJson(json, &error).has_value());
        QVERIFY2(error.contains(QStringLiteral("NUL")), qPrintable(error));
    }
    Json json = validRecord();
    json["command"] = {std::string("pr\0og", 5)};
    QString error;
    QVERIFY(!ServerRecord::fromJson(json, &error).has_value());
}

void TestServerRecord::duplicateVariableRefused()
{
    Json json = validRecord();
    json["env"] = {{{"var", "TOKEN"}, {"source", "secret"}, {"key", "a"}},
                   {{"var", "OTHER"}, {"source", "secret"}, {"key", "b"}},
                   {{"var", "TOKEN"}, {"source", "secret"}, {"key", "c"}}};
    QString error;
    QVERIFY(!ServerRecord::fromJson(json, &error).has_value());
    QVERIFY2(error.contains(QStringLiteral("TOKEN")) && error.contains(QStringLiteral("twice")), qPrintable(error));
}

void TestServerRecord::sameKeyForTwoVariablesAllowed()
{
    Json json = validRecord();
    json["env"] = {{{"var", "GH_TOKEN"}, {"source", "secret"}, {"key", "token"}},
                   {{"var", "GITHUB_TOKEN"}, {"source", "secret"}, {"key", "token"}}};
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QCOMPARE(record->env.size(), 2);
}

void TestServerRecord::unicodeArgumentsKept()
{
    Json json = validRecord();
    const QString arg = QStringLiteral("--title=caf\u00e9 \U0001F511");
    json["command"] = {"prog", arg.toStdString()};
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QCOMPARE(record->command.at(1), arg);
    QCOMPARE(record->toJson().at("command").at(1).get<std::string>(), arg.toStdString());
}

QTEST_GUILESS_MAIN(TestServerRecord)
#include "TestServerRecord.moc"

void TestServerRecord::remoteResourceIndicator_data()
{
    QTest::addColumn<QString>("indicator");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("audience");
    const QString url = QStringLiteral("https://mcp.example.com/mcp");
    QTest::newRow("absent: the canonical URL") << QString() << true << url;
    QTest::newRow("the origin, as a root PRM publishes it")
        << QStringLiteral("https://mcp.example.com") << true << QStringLiteral("https://mcp.example.com");
    QTest::newRow("another host") << QStringLiteral("https://other.example.com") << false << QString();
    QTest::newRow("a sibling path") << QStringLiteral("https://mcp.example.com/other") << false << QString();
    QTest::newRow("not a URI") << QStringLiteral("mcp.example.com") << false << QString();
}

void TestServerRecord::remoteResourceIndicator()
{
    QFETCH(QString, indicator);
    QFETCH(bool, valid);
    QFETCH(QString, audience);
    Json json{{"name", "remote"}, {"kind", "remote"}, {"url", "https://mcp.example.com/mcp"}};
    if (!indicator.isEmpty()) {
        json["resource_indicator"] = indicator.toStdString();
    }
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    QCOMPARE(record.has_value(), valid);
    if (!valid) {
        QVERIFY(error.contains(QStringLiteral("resource_indicator")));
        return;
    }
    QCOMPARE(record->remote.audience(), audience);
    // Written back only when it differs from the canonical resource, and read back the same.
    const Json written = record->toJson();
    QCOMPARE(written.contains("resource_indicator"), !indicator.isEmpty());
    const auto back = ServerRecord::fromJson(written, &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(back->remote.audience(), audience);
}

namespace {

Json remoteWithHeaders(Json headers)
{
    return Json{{"name", "search"}, {"kind", "remote"}, {"url", "https://mcp.example.com/mcp"}, {"headers", headers}};
}

} // namespace

void TestServerRecord::remoteHeaderBindingsRoundTrip()
{
    QString error;
    const auto record =
        ServerRecord::fromJson(remoteWithHeaders({{{"header", "Authorization"}, {"key", "Authorization"}},
                                                  {{"header", "X-API-Key"}, {"key", "x-api-key"}}}),
                               &error);
    QVERIFY2(record.has_value(), qPrintable(error));
    QCOMPARE(record->remote.headers.size(), 2);
    QCOMPARE(record->remote.headers.at(1).header, QStringLiteral("X-API-Key"));
    QCOMPARE(record->remote.headers.at(1).key, QStringLiteral("x-api-key"));
    const auto back = ServerRecord::fromJson(record->toJson(), &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(back->remote.headers, record->remote.headers);

    // Without bindings the record's JSON is what it always was.
    const auto plain =
        ServerRecord::fromJson(Json{{"name", "s"}, {"kind", "remote"}, {"url", "https://mcp.example.com/mcp"}}, &error);
    QVERIFY(plain.has_value());
    QVERIFY(!plain->toJson().contains("headers"));
}

void TestServerRecord::remoteHeaderBindingsInvalid_data()
{
    QTest::addColumn<Json>("headers");
    QTest::addColumn<QString>("mentions");
    const auto one = [](const char *header, const char *key) {
        return Json::array({Json{{"header", header}, {"key", key}}});
    };
    QTest::newRow("not a list") << Json("Authorization") << QStringLiteral("list");
    QTest::newRow("binding not object") << Json::array({"Authorization"}) << QStringLiteral("\"header\"");
    QTest::newRow("no key") << Json::array({Json{{"header", "Authorization"}}}) << QStringLiteral("\"key\"");
    QTest::newRow("space in name") << one("X API Key", "k") << QStringLiteral("header name");
    QTest::newRow("colon in name") << one("X-Key:", "k") << QStringLiteral("header name");
    QTest::newRow("CRLF in name") << one("X-Key\r\nHost", "k") << QStringLiteral("header name");
    QTest::newRow("empty name") << one("", "k") << QStringLiteral("header name");
    QTest::newRow("reserved Host") << one("host", "k") << QStringLiteral("set by the bridge");
    QTest::newRow("reserved session") << one("Mcp-Session-Id", "k") << QStringLiteral("set by the bridge");
    QTest::newRow("bad key") << one("X-Key", "../other/token") << QStringLiteral("secret key");
    QTest::newRow("twice") << Json::array(
                                  {Json{{"header", "X-Key"}, {"key", "a"}}, Json{{"header", "x-key"}, {"key", "b"}}})
                           << QStringLiteral("bound twice");
    Json many = Json::array();
    for (int i = 0; i < 17; ++i) {
        many.push_back({{"header", "X-H" + std::to_string(i)}, {"key", "k" + std::to_string(i)}});
    }
    QTest::newRow("too many") << many << QStringLiteral("at most 16");
}

void TestServerRecord::remoteHeaderBindingsInvalid()
{
    QFETCH(Json, headers);
    QFETCH(QString, mentions);
    QString error;
    QVERIFY(!ServerRecord::fromJson(remoteWithHeaders(headers), &error).has_value());
    QVERIFY2(error.contains(mentions), qPrintable(error));
}
