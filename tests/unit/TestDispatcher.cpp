// Unit tests for Dispatcher: every method, driven without a socket over MemoryStore, a registry and an
// audit log in a temporary directory.
#include "AuditLog.h"
#include "Dispatcher.h"
#include "MemoryStore.h"
#include "ServerRegistry.h"
#include "Vault.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace latchkey;
using ipc::Json;
using ipc::Request;
using ipc::Response;
namespace error = ipc::error;

namespace {

const QByteArray kGithubToken = QByteArrayLiteral("ghp_UNIT_TEST_SECRET_0123456789abcdef");
const QByteArray kGitlabToken = QByteArrayLiteral("glpat-OTHER_SERVER_SECRET_zyxwv");
const QByteArray kSlackToken = QByteArrayLiteral("xoxb-THIRD-SECRET-7777");

// env is a vector so that a single binding in braces stays a list (nlohmann reads {x} as x itself).
Json stdioServer(const std::string &name, const std::vector<Json> &env = {})
{
    return {{"name", name},
            {"kind", "stdio"},
            {"command", {"/usr/bin/" + name + "-mcp", "--stdio"}},
            {"env", Json::array_t(env.begin(), env.end())}};
}

Json binding(const std::string &var, const std::string &key)
{
    return {{"var", var}, {"source", "secret"}, {"key", key}};
}

std::string str(const QByteArray &bytes)
{
    return bytes.toStdString();
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void unknownMethod();
    void status();
    void statusWaitsForFirstProbe();
    void statusReportsUnavailableKeychainAndBrokenConfig();

    void serverAddAndList();
    void serverAddBadParams_data();
    void serverAddBadParams();
    void serverAddDuplicate();
    void serverAddWithBrokenConfig();

    void serverRemove();
    void nameParamChecks_data();
    void nameParamChecks();

    void secretSet();
    void secretSetBadParams_data();
    void secretSetBadParams();
    void secretSetKeychainUnavailableWritesNothing();
    void secretSetWithBrokenConfigTouchesNoKeychain();
    void secretRemove();
    void secretRemoveUnknown();

    void serverEnvOwnSecretsOnly();
    void serverEnvNoBindings();
    void serverListSaysWhenLastUsed();
    void serverEnvSecretMissing();
    void serverEnvKeychainUnavailable();
    void serverEnvUnknownServer();
    void serverHeadersOwnSecretsOnly();
    void serverHeadersSecretMissing();
    void serverHeadersNeedARemoteServer();

    void auditList();
    void auditListBadParams_data();
    void auditListBadParams();
    void auditNeverContainsSecretValues();

private:
    // Runs one request; fails the test unless exactly one reply came back before handle() returned.
    Response call(const std::string &method, Json params = Json::object());
    bool addServer(const Json &record);
    bool setSecret(const std::string &server, const std::string &key, const QByteArray &value);
    QString configPath() const { return m_dir->filePath(QStringLiteral("config/servers.json")); }
    QString auditPath() const { return m_dir->filePath(QStringLiteral("state/audit.jsonl")); }
    QString entry(const QString &server, const QString &key) const
    {
        return Vault::entryKey(QStringLiteral("secret"), server, key);
    }
    Json auditEntries() const { return m_audit->read({}, 0); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<MemoryStore> m_store;
    std::unique_ptr<Vault> m_vault;
    std::unique_ptr<ServerRegistry> m_registry;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<Dispatcher> m_dispatcher;
    QList<Json> m_changes;
    ipc::PeerCredentials m_peer;
    std::int64_t m_nextId = 1;
};

void TestDispatcher::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_store = std::make_unique<MemoryStore>();
    m_vault = std::make_unique<Vault>(*m_store);
    m_registry = std::make_unique<ServerRegistry>(configPath());
    QVERIFY(m_registry->load());
    m_audit = std::make_unique<AuditLog>(auditPath());
    m_dispatcher = std::make_unique<Dispatcher>(*m_registry, *m_vault, *m_audit);
    m_changes.clear();
    connect(m_dispatcher.get(), &Dispatcher::serverChanged, this,
            [this](const nlohmann::json &data) { m_changes.append(data); });
    m_peer = {};
    m_peer.uid = 1000;
    m_peer.gid = 1000;
    m_peer.pid = 4242;
    m_peer.executable = QStringLiteral("/usr/bin/unit-test-client");
    // As the daemon does at start: status waits for the first keychain answer.
    m_vault->probe();
}

void TestDispatcher::cleanup()
{
    m_dispatcher.reset();
    m_audit.reset();
    m_registry.reset();
    m_vault.reset();
    m_store.reset();
    m_dir.reset();
}

Response TestDispatcher::call(const std::string &method, Json params)
{
    Request request;
    request.id = m_nextId++;
    request.method = method;
    request.params = std::move(params);
    int replies = 0;
    Response out = Response::failure(std::nullopt, "test_no_reply", "no reply");
    m_dispatcher->handle(request, m_peer, [&](Response response) {
        ++replies;
        out = std::move(response);
    });
    if (replies != 1) {
        qWarning("method %s answered %d times", method.c_str(), replies);
        return Response::failure(std::nullopt, "test_reply_count", std::to_string(replies));
    }
    if (out.id != request.id) {
        return Response::failure(std::nullopt, "test_wrong_id", "reply carries another id");
    }
    return out;
}

bool TestDispatcher::addServer(const Json &record)
{
    const Response response = call("server.add", {{"server", record}});
    if (!response.ok()) {
        qWarning("server.add failed: %s %s", response.errorCode.c_str(), response.errorMessage.c_str());
    }
    return response.ok();
}

bool TestDispatcher::setSecret(const std::string &server, const std::string &key, const QByteArray &value)
{
    const Response response = call("secret.set", {{"server", server}, {"key", key}, {"value", str(value)}});
    if (!response.ok()) {
        qWarning("secret.set failed: %s %s", response.errorCode.c_str(), response.errorMessage.c_str());
    }
    return response.ok();
}

void TestDispatcher::unknownMethod()
{
    for (const std::string &method : {std::string("token.steal"), std::string("Status"), std::string("status "),
                                      std::string("server"), std::string(64, 'x')}) {
        const Response response = call(method);
        QCOMPARE(response.errorCode, std::string(error::UnknownMethod));
    }
    QVERIFY(auditEntries().empty());
}

void TestDispatcher::status()
{
    QVERIFY(addServer(stdioServer("github")));
    const Response response = call("status", {{"ignored", true}});
    QVERIFY2(response.ok(), response.errorMessage.c_str());
    const Json &r = response.result;
    QCOMPARE(r.at("version").get<std::string>(), std::string(LATCHKEY_VERSION));
    QCOMPARE(r.at("protocol").get<int>(), ipc::kProtocolVersion);
    QVERIFY(r.at("pid").get<std::int64_t>() > 0);
    QCOMPARE(r.at("keychain").at("backend").get<std::string>(), std::string("memory"));
    QCOMPARE(r.at("keychain").at("available").get<bool>(), true);
    QCOMPARE(r.at("config").at("ok").get<bool>(), true);
    QCOMPARE(r.at("config").at("path").get<std::string>(), configPath().toStdString());
    QCOMPARE(r.at("servers").get<int>(), 1);
}

void TestDispatcher::statusWaitsForFirstProbe()
{
    MemoryStore store;
    Vault vault(store);
    Dispatcher dispatcher(*m_registry, vault, *m_audit);
    Request request;
    request.id = 99;
    request.method = "status";
    int replies = 0;
    Response out;
    dispatcher.handle(request, m_peer, [&](Response response) {
        ++replies;
        out = std::move(response);
    });
    QCOMPARE(replies, 0);
    store.setUnavailable(QStringLiteral("no Secret Service"));
    vault.probe();
    QCOMPARE(replies, 1);
    QCOMPARE(out.id, std::optional<std::int64_t>(99));
    QCOMPARE(out.result.at("keychain").at("available").get<bool>(), false);
}

void TestDispatcher::statusReportsUnavailableKeychainAndBrokenConfig()
{
    QVERIFY(QDir().mkpath(QFileInfo(configPath()).absolutePath()));
    QFile file(configPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"schema\":99}");
    file.close();
    QVERIFY(!m_registry->load());
    m_store->setUnavailable(QStringLiteral("The name org.freedesktop.secrets was not provided"));
    m_vault->probe();

    const Response response = call("status");
    QVERIFY(response.ok());
    QCOMPARE(response.result.at("keychain").at("available").get<bool>(), false);
    QVERIFY(response.result.at("keychain").at("error").get<std::string>().find("org.freedesktop.secrets") !=
            std::string::npos);
    QCOMPARE(response.result.at("config").at("ok").get<bool>(), false);
    QVERIFY(response.result.at("config").at("error").get<std::string>().find("newer") != std::string::npos);
}

void TestDispatcher::serverAddAndList()
{
    const Json record = stdioServer("github", {binding("GITHUB_TOKEN", "token")});
    const Response added = call("server.add", {{"server", record}});
    QVERIFY2(added.ok(), added.errorMessage.c_str());
    const Json &server = added.result.at("server");
    QCOMPARE(server.at("name").get<std::string>(), std::string("github"));
    QCOMPARE(server.at("env").at(0).at("present").get<bool>(), false);
    QVERIFY(server.at("secrets").empty());
    QVERIFY(m_registry->find(QStringLiteral("github")) != nullptr);
    QVERIFY(readAll(configPath()).contains("github"));
    QCOMPARE(m_changes.size(), 1);
    QCOMPARE(m_changes.at(0).at("change").get<std::string>(), std::string("added"));

    const Json entries = auditEntries();
    QCOMPARE(entries.size(), size_t(1));
    QCOMPARE(entries.at(0).at("event").get<std::string>(), std::string("server.added"));
    QCOMPARE(entries.at(0).at("server").get<std::string>(), std::string("github"));
    QCOMPARE(entries.at(0).at("pid").get<qint64>(), m_peer.pid);
    QCOMPARE(entries.at(0).at("exe").get<std::string>(), m_peer.executable.toStdString());

    QVERIFY(addServer(stdioServer("gitlab")));
    QVERIFY(setSecret("github", "token", kGithubToken));
    const Response list = call("server.list");
    QVERIFY(list.ok());
    const Json &servers = list.result.at("servers");
    QCOMPARE(servers.size(), size_t(2));
    QCOMPARE(servers.at(0).at("name").get<std::string>(), std::string("github"));
    QCOMPARE(servers.at(0).at("env").at(0).at("present").get<bool>(), true);
    QVERIFY(servers.at(0).at("secrets") == Json::array({"token"}));
    QCOMPARE(servers.at(1).at("name").get<std::string>(), std::string("gitlab"));
    QVERIFY(servers.at(1).at("secrets").empty());
    // The listing names secrets; it never carries a value.
    QVERIFY(list.serialize().indexOf(kGithubToken) < 0);
}

void TestDispatcher::serverAddBadParams_data()
{
    QTest::addColumn<QByteArray>("params");
    const auto p = [](const Json &params) { return QByteArray::fromStdString(params.dump()); };
    Json nulArg = stdioServer("x");
    nulArg["command"] = {"prog", std::string("a\0b", 3)};
    Json badEnv = stdioServer("x", {binding("BAD-NAME", "k")});
    Json dupEnv = stdioServer("x", {binding("A", "k"), binding("A", "j")});
    Json foreignKey = stdioServer("x", {binding("A", "../gitlab/token")});
    Json longArg = stdioServer("x");
    longArg["command"] = {"prog", std::string(1024 * 1024, 'a')};

    QTest::newRow("no server") << p(Json::object());
    QTest::newRow("server is string") << p({{"server", "github"}});
    QTest::newRow("server is array") << p({{"server", Json::array({stdioServer("x")})}});
    QTest::newRow("server is null") << p({{"server", nullptr}});
    QTest::newRow("name is number") << p({{"server", {{"name", 1}, {"kind", "stdio"}, {"command", {"x"}}}}});
    QTest::newRow("name is 1 MiB") << p({{"server", stdioServer(std::string(1024 * 1024, 'n'))}});
    QTest::newRow("name with slash") << p({{"server", stdioServer("../../etc")}});
    QTest::newRow("kind remote") << p({{"server", {{"name", "x"}, {"kind", "http"}, {"command", {"x"}}}}});
    QTest::newRow("command missing") << p({{"server", {{"name", "x"}, {"kind", "stdio"}}}});
    QTest::newRow("command 1 MiB argument") << p({{"server", longArg}});
    QTest::newRow("NUL in argument") << p({{"server", nulArg}});
    QTest::newRow("bad env name") << p({{"server", badEnv}});
    QTest::newRow("duplicate env") << p({{"server", dupEnv}});
    QTest::newRow("key outside namespace") << p({{"server", foreignKey}});
}

void TestDispatcher::serverAddBadParams()
{
    QFETCH(QByteArray, params);
    const Response response = call("server.add", Json::parse(params.toStdString()));
    QCOMPARE(response.errorCode, std::string(error::InvalidParams));
    QVERIFY(!response.errorMessage.empty());
    QVERIFY(response.errorMessage.size() < 1000);
    QVERIFY(m_registry->servers().isEmpty());
    QVERIFY(!QFile::exists(configPath()));
    QVERIFY(m_changes.isEmpty());
    QVERIFY(auditEntries().empty());
}

void TestDispatcher::serverAddDuplicate()
{
    QVERIFY(addServer(stdioServer("github")));
    const QByteArray before = readAll(configPath());
    Json other = stdioServer("github");
    other["command"] = {"/bin/other"};
    const Response response = call("server.add", {{"server", other}});
    QCOMPARE(response.errorCode, std::string(error::AlreadyExists));
    QCOMPARE(readAll(configPath()), before);
    QCOMPARE(m_registry->find(QStringLiteral("github"))->command.front(), QStringLiteral("/usr/bin/github-mcp"));
}

void TestDispatcher::serverAddWithBrokenConfig()
{
    QVERIFY(QDir().mkpath(QFileInfo(configPath()).absolutePath()));
    const QByteArray broken = QByteArrayLiteral("{\"schema\":1,\"servers\":[{\"name\":\"\"}]}");
    QFile file(configPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(broken);
    file.close();
    QVERIFY(!m_registry->load());
    const Response response = call("server.add", {{"server", stdioServer("github")}});
    QCOMPARE(response.errorCode, std::string(error::ConfigInvalid));
    QVERIFY(response.errorMessage.find(configPath().toStdString()) != std::string::npos);
    QCOMPARE(readAll(configPath()), broken);
    QVERIFY(m_changes.isEmpty());
}

void TestDispatcher::serverRemove()
{
    QVERIFY(addServer(stdioServer("github")));
    QVERIFY(addServer(stdioServer("gitlab")));
    m_changes.clear();
    const Response removed = call("server.remove", {{"name", "github"}});
    QVERIFY2(removed.ok(), removed.errorMessage.c_str());
    QVERIFY(m_registry->find(QStringLiteral("github")) == nullptr);
    QVERIFY(m_registry->find(QStringLiteral("gitlab")) != nullptr);
    QCOMPARE(m_changes.size(), 1);
    QCOMPARE(m_changes.at(0).at("change").get<std::string>(), std::string("removed"));
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("server.removed"));

    ServerRegistry reloaded(configPath());
    QVERIFY(reloaded.load());
    QCOMPARE(reloaded.servers().size(), 1);

    const Response again = call("server.remove", {{"name", "github"}});
    QCOMPARE(again.errorCode, std::string(error::NotFound));
}

void TestDispatcher::nameParamChecks_data()
{
    // Every method that takes a server name by string, and the key where there is one.
    QTest::addColumn<QString>("method");
    QTest::addColumn<QByteArray>("params");
    const auto p = [](const Json &params) { return QByteArray::fromStdString(params.dump()); };
    const std::string huge(1024 * 1024, 'a');
    for (const char *method : {"server.remove", "server.env"}) {
        const QString m = QString::fromLatin1(method);
        QTest::addRow("%s missing", method) << m << p(Json::object());
        QTest::addRow("%s number", method) << m << p({{"name", 7}});
        QTest::addRow("%s null", method) << m << p({{"name", nullptr}});
        QTest::addRow("%s array", method) << m << p({{"name", {"github"}}});
        QTest::addRow("%s object", method) << m << p({{"name", {{"name", "github"}}}});
        QTest::addRow("%s empty", method) << m << p({{"name", ""}});
        QTest::addRow("%s invalid", method) << m << p({{"name", "git hub"}});
        QTest::addRow("%s 4097 bytes", method) << m << p({{"name", std::string(4097, 'a')}});
        QTest::addRow("%s 1 MiB", method) << m << p({{"name", huge}});
    }
    for (const char *method : {"secret.set", "secret.remove"}) {
        const QString m = QString::fromLatin1(method);
        QTest::addRow("%s no server", method) << m << p({{"key", "token"}, {"value", "v"}});
        QTest::addRow("%s server number", method) << m << p({{"server", 1}, {"key", "token"}, {"value", "v"}});
        QTest::addRow("%s server invalid", method) << m << p({{"server", "a/b"}, {"key", "token"}, {"value", "v"}});
        QTest::addRow("%s server 1 MiB", method) << m << p({{"server", huge}, {"key", "token"}, {"value", "v"}});
        QTest::addRow("%s no key", method) << m << p({{"server", "github"}, {"value", "v"}});
        QTest::addRow("%s key bool", method) << m << p({{"server", "github"}, {"key", true}, {"value", "v"}});
        QTest::addRow("%s key invalid", method) << m << p({{"server", "github"}, {"key", "a b"}, {"value", "v"}});
        QTest::addRow("%s key 1 MiB", method) << m << p({{"server", "github"}, {"key", huge}, {"value", "v"}});
    }
}

void TestDispatcher::nameParamChecks()
{
    QFETCH(QString, method);
    QFETCH(QByteArray, params);
    QVERIFY(addServer(stdioServer("github", {binding("TOKEN", "token")})));
    const QByteArray before = readAll(configPath());
    const qsizetype auditBefore = static_cast<qsizetype>(auditEntries().size());
    const Response response = call(method.toStdString(), Json::parse(params.toStdString()));
    QCOMPARE(response.errorCode, std::string(error::InvalidParams));
    // The message says what is allowed; it does not echo a megabyte back.
    QVERIFY(response.errorMessage.size() < 1000);
    QCOMPARE(readAll(configPath()), before);
    QCOMPARE(static_cast<qsizetype>(auditEntries().size()), auditBefore);
    QVERIFY(!m_store->contains(entry(QStringLiteral("github"), QStringLiteral("token"))));
}

void TestDispatcher::secretSet()
{
    QVERIFY(addServer(stdioServer("github", {binding("GITHUB_TOKEN", "token")})));
    m_changes.clear();
    const Response response =
        call("secret.set", {{"server", "github"}, {"key", "token"}, {"value", str(kGithubToken)}});
    QVERIFY2(response.ok(), response.errorMessage.c_str());
    QCOMPARE(response.result.at("server").get<std::string>(), std::string("github"));
    QCOMPARE(response.result.at("key").get<std::string>(), std::string("token"));
    QVERIFY(response.serialize().indexOf(kGithubToken) < 0);
    QVERIFY(m_store->contains(QStringLiteral("latchkey/secret/github/token")));
    QVERIFY(m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));
    QCOMPARE(m_changes.size(), 1);
    QCOMPARE(m_changes.at(0).at("change").get<std::string>(), std::string("secret"));
    const Json last = auditEntries().back();
    QCOMPARE(last.at("event").get<std::string>(), std::string("secret.stored"));
    QCOMPARE(last.at("key").get<std::string>(), std::string("token"));

    // The registry keeps only the key's name.
    const QByteArray config = readAll(configPath());
    QVERIFY(config.contains("token"));
    QVERIFY(config.indexOf(kGithubToken) < 0);

    // Replacing the value is allowed and what server.env hands out afterwards.
    QVERIFY(setSecret("github", "token", QByteArrayLiteral("ghp_REPLACED")));
    const Response env = call("server.env", {{"name", "github"}});
    QVERIFY(env.ok());
    QCOMPARE(env.result.at("env").at("GITHUB_TOKEN").get<std::string>(), std::string("ghp_REPLACED"));
}

void TestDispatcher::secretSetBadParams_data()
{
    QTest::addColumn<QByteArray>("params");
    const auto p = [](Json value) {
        Json params = {{"server", "github"}, {"key", "token"}};
        if (!value.is_discarded()) {
            params["value"] = std::move(value);
        }
        return QByteArray::fromStdString(params.dump());
    };
    QTest::newRow("missing") << p(Json(Json::value_t::discarded));
    QTest::newRow("number") << p(12345);
    QTest::newRow("null") << p(nullptr);
    QTest::newRow("array") << p(Json::array({"a"}));
    QTest::newRow("empty") << p("");
    QTest::newRow("newline") << p("abc\ndef");
    QTest::newRow("carriage return") << p("abc\r");
    QTest::newRow("NUL") << p(std::string("ab\0c", 4));
    QTest::newRow("64 KiB + 1") << p(std::string(65537, 's'));
    QTest::newRow("1 MiB") << p(std::string(1024 * 1024, 's'));
}

void TestDispatcher::secretSetBadParams()
{
    QFETCH(QByteArray, params);
    QVERIFY(addServer(stdioServer("github", {binding("TOKEN", "token")})));
    const Response response = call("secret.set", Json::parse(params.toStdString()));
    QCOMPARE(response.errorCode, std::string(error::InvalidParams));
    QVERIFY(response.errorMessage.size() < 1000);
    QVERIFY(!m_store->contains(entry(QStringLiteral("github"), QStringLiteral("token"))));
    QVERIFY(!m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));
}

void TestDispatcher::secretSetKeychainUnavailableWritesNothing()
{
    QVERIFY(addServer(stdioServer("github", {binding("TOKEN", "token")})));
    const QByteArray before = readAll(configPath());
    m_store->setUnavailable(QStringLiteral("Cannot autolaunch D-Bus without X11 $DISPLAY"));
    m_changes.clear();

    const Response response =
        call("secret.set", {{"server", "github"}, {"key", "token"}, {"value", str(kGithubToken)}});
    QCOMPARE(response.errorCode, std::string(error::KeychainUnavailable));
    QVERIFY(response.errorMessage.find("D-Bus") != std::string::npos);
    QVERIFY(response.serialize().indexOf(kGithubToken) < 0);
    QVERIFY(!m_vault->isAvailable());
    QVERIFY(!m_store->contains(entry(QStringLiteral("github"), QStringLiteral("token"))));
    QVERIFY(!m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));
    QCOMPARE(readAll(configPath()), before);
    QVERIFY(m_changes.isEmpty());
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("secret.store_failed"));

    // Nothing was kept for later either: once the keychain is back, the value is still not there.
    m_store->setUnavailable({});
    const Response env = call("server.env", {{"name", "github"}});
    QCOMPARE(env.errorCode, std::string(error::SecretMissing));
    QVERIFY(readAll(auditPath()).indexOf(kGithubToken) < 0);
}

void TestDispatcher::secretSetWithBrokenConfigTouchesNoKeychain()
{
    QVERIFY(addServer(stdioServer("github", {binding("TOKEN", "token")})));
    QFile file(configPath());
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("not json");
    file.close();
    QVERIFY(!m_registry->load());
    const Response response =
        call("secret.set", {{"server", "github"}, {"key", "token"}, {"value", str(kGithubToken)}});
    QCOMPARE(response.errorCode, std::string(error::ConfigInvalid));
    QVERIFY(!m_store->contains(entry(QStringLiteral("github"), QStringLiteral("token"))));
    QCOMPARE(readAll(configPath()), QByteArrayLiteral("not json"));
}

void TestDispatcher::secretRemove()
{
    QVERIFY(addServer(stdioServer("github", {binding("TOKEN", "token")})));
    QVERIFY(setSecret("github", "token", kGithubToken));
    m_changes.clear();
    const Response removed = call("secret.remove", {{"server", "github"}, {"key", "token"}});
    QVERIFY2(removed.ok(), removed.errorMessage.c_str());
    QVERIFY(!m_store->contains(entry(QStringLiteral("github"), QStringLiteral("token"))));
    QVERIFY(!m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));
    QCOMPARE(m_changes.size(), 1);
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("secret.removed"));
    // The vault cache forgot it too.
    const Response env = call("server.env", {{"name", "github"}});
    QCOMPARE(env.errorCode, std::string(error::SecretMissing));

    // Known to the registry but gone from the keychain (deleted by hand): removing still cleans up.
    QVERIFY(setSecret("github", "token", kGithubToken));
    m_store->remove(entry(QStringLiteral("github"), QStringLiteral("token")), [](const SecretStore::Result &) {});
    QVERIFY(call("secret.remove", {{"server", "github"}, {"key", "token"}}).ok());
    QVERIFY(!m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));

    // Keychain unavailable: refused, and the registry still lists the key.
    QVERIFY(setSecret("github", "token", kGithubToken));
    m_store->setUnavailable(QStringLiteral("locked"));
    const Response refused = call("secret.remove", {{"server", "github"}, {"key", "token"}});
    QCOMPARE(refused.errorCode, std::string(error::KeychainUnavailable));
    QVERIFY(m_registry->hasSecret(QStringLiteral("github"), QStringLiteral("token")));
}

void TestDispatcher::secretRemoveUnknown()
{
    QVERIFY(addServer(stdioServer("github")));
    const Response noKey = call("secret.remove", {{"server", "github"}, {"key", "token"}});
    QCOMPARE(noKey.errorCode, std::string(error::NotFound));
    const Response noServer = call("secret.remove", {{"server", "ghost"}, {"key", "token"}});
    QCOMPARE(noServer.errorCode, std::string(error::NotFound));
    QVERIFY(m_changes.size() == 1); // only the add
}

void TestDispatcher::serverEnvOwnSecretsOnly()
{
    QVERIFY(addServer(stdioServer("github", {binding("GITHUB_TOKEN", "token"), binding("GH_SLACK", "slack")})));
    QVERIFY(addServer(stdioServer("gitlab", {binding("GITLAB_TOKEN", "token")})));
    QVERIFY(setSecret("github", "token", kGithubToken));
    QVERIFY(setSecret("github", "slack", kSlackToken));
    QVERIFY(setSecret("github", "unbound", QByteArrayLiteral("NOT_BOUND_VALUE")));
    QVERIFY(setSecret("gitlab", "token", kGitlabToken));

    const Response github = call("server.env", {{"name", "github"}});
    QVERIFY2(github.ok(), github.errorMessage.c_str());
    const Json &env = github.result.at("env");
    QCOMPARE(env.size(), size_t(2));
    QCOMPARE(env.at("GITHUB_TOKEN").get<std::string>(), str(kGithubToken));
    QCOMPARE(env.at("GH_SLACK").get<std::string>(), str(kSlackToken));
    QVERIFY(github.result.at("command") == Json::array({"/usr/bin/github-mcp", "--stdio"}));
    const QByteArray wire = github.serialize();
    QVERIFY(wire.indexOf(kGitlabToken) < 0);
    QVERIFY(!wire.contains("NOT_BOUND_VALUE"));

    const Response gitlab = call("server.env", {{"name", "gitlab"}});
    QVERIFY(gitlab.ok());
    QCOMPARE(gitlab.result.at("env").size(), size_t(1));
    QCOMPARE(gitlab.result.at("env").at("GITLAB_TOKEN").get<std::string>(), str(kGitlabToken));

    const Json handout = auditEntries().back();
    QCOMPARE(handout.at("event").get<std::string>(), std::string("secret.handout"));
    QCOMPARE(handout.at("server").get<std::string>(), std::string("gitlab"));
    QVERIFY(handout.at("variables") == Json::array({"GITLAB_TOKEN"}));
    QCOMPARE(handout.at("pid").get<qint64>(), m_peer.pid);
}

void TestDispatcher::serverEnvNoBindings()
{
    QVERIFY(addServer(stdioServer("plain")));
    const Response response = call("server.env", {{"name", "plain"}});
    QVERIFY2(response.ok(), response.errorMessage.c_str());
    QVERIFY(response.result.at("env").is_object());
    QVERIFY(response.result.at("env").empty());
    QCOMPARE(response.result.at("command").size(), size_t(2));
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("secret.handout"));
}

void TestDispatcher::serverListSaysWhenLastUsed()
{
    const auto listed = [this](const std::string &name) {
        const Response list = call("server.list");
        for (const Json &server : list.result.at("servers")) {
            if (server.at("name") == name) {
                return server;
            }
        }
        return Json();
    };
    QVERIFY(addServer(stdioServer("plain")));
    QVERIFY(addServer(stdioServer("other")));
    QVERIFY(!listed("plain").contains("last_used_at"));
    QVERIFY(!listed("plain").contains("expires_at")); // remote servers only

    const qint64 before = QDateTime::currentSecsSinceEpoch();
    QVERIFY(call("server.env", {{"name", "plain"}}).ok());
    const qint64 used = listed("plain").value("last_used_at", qint64(0));
    QVERIFY(used >= before && used <= QDateTime::currentSecsSinceEpoch());
    QVERIFY(!listed("other").contains("last_used_at"));

    // A server removed and added again starts afresh.
    QVERIFY(call("server.remove", {{"name", "plain"}}).ok());
    QVERIFY(addServer(stdioServer("plain")));
    QVERIFY(!listed("plain").contains("last_used_at"));
}

void TestDispatcher::serverEnvSecretMissing()
{
    // gitlab has a "token"; github binds a "token" of its own that was never set. The other
    // server's secret must not stand in for it.
    QVERIFY(addServer(stdioServer("github", {binding("GITHUB_TOKEN", "token"), binding("OTHER", "other")})));
    QVERIFY(addServer(stdioServer("gitlab", {binding("GITLAB_TOKEN", "token")})));
    QVERIFY(setSecret("gitlab", "token", kGitlabToken));
    QVERIFY(setSecret("github", "other", kSlackToken));

    const Response response = call("server.env", {{"name", "github"}});
    QCOMPARE(response.errorCode, std::string(error::SecretMissing));
    QVERIFY2(response.errorMessage.find("latchkey secret set github token") != std::string::npos,
             response.errorMessage.c_str());
    QVERIFY(response.result.is_null() || response.result.empty());
    const QByteArray wire = response.serialize();
    QVERIFY(wire.indexOf(kGitlabToken) < 0);
    QVERIFY(wire.indexOf(kSlackToken) < 0);
    const Json last = auditEntries().back();
    QCOMPARE(last.at("event").get<std::string>(), std::string("secret.handout_failed"));
    QCOMPARE(last.at("error").get<std::string>(), std::string(error::SecretMissing));
}

void TestDispatcher::serverEnvKeychainUnavailable()
{
    QVERIFY(addServer(stdioServer("github", {binding("GITHUB_TOKEN", "token")})));
    m_store->setUnavailable(QStringLiteral("Object does not exist at path /org/freedesktop/secrets/collection/login"));
    const Response response = call("server.env", {{"name", "github"}});
    QCOMPARE(response.errorCode, std::string(error::KeychainUnavailable));
    QVERIFY(response.errorMessage.find("collection/login") != std::string::npos);
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("secret.handout_failed"));
}

void TestDispatcher::serverEnvUnknownServer()
{
    QVERIFY(addServer(stdioServer("github")));
    const Response response = call("server.env", {{"name", "ghost"}});
    QCOMPARE(response.errorCode, std::string(error::NotFound));
    QVERIFY(response.errorMessage.find("ghost") != std::string::npos);
}

void TestDispatcher::auditList()
{
    QVERIFY(addServer(stdioServer("a")));
    QVERIFY(addServer(stdioServer("b")));
    QVERIFY(addServer(stdioServer("c")));
    const Response all = call("audit.list");
    QVERIFY(all.ok());
    QCOMPARE(all.result.at("entries").size(), size_t(3));
    const Response two = call("audit.list", {{"limit", 2}});
    QVERIFY(two.ok());
    QCOMPARE(two.result.at("entries").size(), size_t(2));
    QCOMPARE(two.result.at("entries").at(1).at("server").get<std::string>(), std::string("c"));
    const Response future = call("audit.list", {{"since", "2999-01-01T00:00:00Z"}});
    QVERIFY(future.ok());
    QVERIFY(future.result.at("entries").empty());
    const Response past = call("audit.list", {{"since", "2000-01-01T00:00:00Z"}, {"limit", 100000}});
    QVERIFY(past.ok());
    QCOMPARE(past.result.at("entries").size(), size_t(3));
}

void TestDispatcher::auditListBadParams_data()
{
    QTest::addColumn<QByteArray>("params");
    const auto p = [](const Json &params) { return QByteArray::fromStdString(params.dump()); };
    QTest::newRow("since number") << p({{"since", 2026}});
    QTest::newRow("since null") << p({{"since", nullptr}});
    QTest::newRow("limit 0") << p({{"limit", 0}});
    QTest::newRow("limit negative") << p({{"limit", -5}});
    QTest::newRow("limit too large") << p({{"limit", 100001}});
    QTest::newRow("limit huge") << p({{"limit", std::numeric_limits<std::uint64_t>::max()}});
    QTest::newRow("limit string") << p({{"limit", "10"}});
    QTest::newRow("limit float") << p({{"limit", 2.5}});
    QTest::newRow("limit bool") << p({{"limit", true}});
}

void TestDispatcher::auditListBadParams()
{
    QFETCH(QByteArray, params);
    const Response response = call("audit.list", Json::parse(params.toStdString()));
    QCOMPARE(response.errorCode, std::string(error::InvalidParams));
}

void TestDispatcher::auditNeverContainsSecretValues()
{
    // Every path that touches a secret, then the audit file is scanned byte for byte.
    QVERIFY(addServer(stdioServer("github", {binding("GITHUB_TOKEN", "token")})));
    QVERIFY(addServer(stdioServer("gitlab", {binding("GITLAB_TOKEN", "token"), binding("X", "missing")})));
    QVERIFY(setSecret("github", "token", kGithubToken));
    QVERIFY(setSecret("gitlab", "token", kGitlabToken));
    QVERIFY(call("server.env", {{"name", "github"}}).ok());
    QCOMPARE(call("server.env", {{"name", "gitlab"}}).errorCode, std::string(error::SecretMissing));
    QVERIFY(call("server.list").ok());
    QCOMPARE(call("secret.set", {{"server", "github"}, {"key", "token"}, {"value", str(kSlackToken) + "\n"}}).errorCode,
             std::string(error::InvalidParams));
    m_store->setUnavailable(QStringLiteral("locked"));
    QCOMPARE(call("secret.set", {{"server", "github"}, {"key", "token"}, {"value", str(kSlackToken)}}).errorCode,
             std::string(error::KeychainUnavailable));
    QCOMPARE(call("server.env", {{"name", "gitlab"}}).errorCode, std::string(error::KeychainUnavailable));
    m_store->setUnavailable({});
    QVERIFY(call("secret.remove", {{"server", "github"}, {"key", "token"}}).ok());
    QVERIFY(call("audit.list").ok());

    const QByteArray log = readAll(auditPath());
    QVERIFY(log.size() > 0);
    QVERIFY(auditEntries().size() >= 8);
    for (const QByteArray &secret : {kGithubToken, kGitlabToken, kSlackToken}) {
        QVERIFY2(log.indexOf(secret) < 0, secret.constData());
        // Nor a recognisable part of it.
        QVERIFY2(log.indexOf(secret.mid(5, 16)) < 0, secret.constData());
    }
    // And the audit listing over the wire carries none either.
    const QByteArray wire = call("audit.list").serialize();
    for (const QByteArray &secret : {kGithubToken, kGitlabToken, kSlackToken}) {
        QVERIFY(wire.indexOf(secret) < 0);
    }
}

QTEST_GUILESS_MAIN(TestDispatcher)
#include "TestDispatcher.moc"

namespace {

Json headerServer(const std::string &name, const std::vector<Json> &headers)
{
    return {{"name", name},
            {"kind", "remote"},
            {"url", "https://" + name + ".example.com/mcp"},
            {"headers", Json::array_t(headers.begin(), headers.end())}};
}

Json header(const std::string &field, const std::string &key)
{
    return {{"header", field}, {"key", key}};
}

} // namespace

void TestDispatcher::serverHeadersOwnSecretsOnly()
{
    // No OAuth engine in this dispatcher: a static-header record needs none and runs no discovery.
    QVERIFY(addServer(headerServer("search", {header("Authorization", "auth"), header("X-Team", "team")})));
    QVERIFY(addServer(stdioServer("gitlab", {binding("GITLAB_TOKEN", "auth")})));
    QVERIFY(setSecret("search", "auth", "Bearer " + kGithubToken));
    QVERIFY(setSecret("search", "team", kSlackToken));
    QVERIFY(setSecret("gitlab", "auth", kGitlabToken));

    const Response list = call("server.list");
    QVERIFY(list.ok());
    const Json &servers = list.result.at("servers");
    const auto found =
        std::find_if(servers.begin(), servers.end(), [](const Json &server) { return server.at("name") == "search"; });
    QVERIFY(found != servers.end());
    const Json &record = *found;
    QCOMPARE(record.at("auth_required").get<bool>(), false);
    QCOMPARE(record.at("headers").size(), size_t(2));
    QCOMPARE(record.at("headers").at(0).at("present").get<bool>(), true);
    QVERIFY(list.serialize().indexOf(kGithubToken) < 0);

    const Response response = call("server.headers", {{"name", "search"}});
    QVERIFY2(response.ok(), response.errorMessage.c_str());
    const Json &headers = response.result.at("headers");
    QCOMPARE(headers.size(), size_t(2));
    QCOMPARE(headers.at("Authorization").get<std::string>(), "Bearer " + str(kGithubToken));
    QCOMPARE(headers.at("X-Team").get<std::string>(), str(kSlackToken));
    QVERIFY(response.serialize().indexOf(kGitlabToken) < 0);

    const Json handout = auditEntries().back();
    QCOMPARE(handout.at("event").get<std::string>(), std::string("secret.handout"));
    QCOMPARE(handout.at("server").get<std::string>(), std::string("search"));
    QVERIFY(handout.at("headers") == Json::array({"Authorization", "X-Team"}));
    QVERIFY(!readAll(auditPath()).contains(kGithubToken));
}

void TestDispatcher::serverHeadersSecretMissing()
{
    QVERIFY(addServer(headerServer("search", {header("X-API-Key", "key")})));
    QVERIFY(addServer(stdioServer("gitlab", {binding("GITLAB_TOKEN", "key")})));
    QVERIFY(setSecret("gitlab", "key", kGitlabToken));
    const Response response = call("server.headers", {{"name", "search"}});
    QCOMPARE(response.errorCode, std::string(error::SecretMissing));
    QVERIFY2(response.errorMessage.find("latchkey secret set search key") != std::string::npos,
             response.errorMessage.c_str());
    QVERIFY(response.serialize().indexOf(kGitlabToken) < 0);
    QCOMPARE(auditEntries().back().at("event").get<std::string>(), std::string("secret.handout_failed"));

    m_store->setUnavailable(QStringLiteral("no keyring"));
    QCOMPARE(call("server.headers", {{"name", "search"}}).errorCode, std::string(error::KeychainUnavailable));
}

void TestDispatcher::serverHeadersNeedARemoteServer()
{
    QVERIFY(addServer(stdioServer("gitlab")));
    QCOMPARE(call("server.headers", {{"name", "gitlab"}}).errorCode, std::string(error::NotFound));
    QCOMPARE(call("server.headers", {{"name", "ghost"}}).errorCode, std::string(error::NotFound));
    QCOMPARE(call("server.headers", {{"name", "../x"}}).errorCode, std::string(error::InvalidParams));
    QCOMPARE(call("server.headers", Json::object()).errorCode, std::string(error::InvalidParams));
    // A bad binding never reaches the registry.
    const Response bad = call("server.add", {{"server", headerServer("bad", {header("Host", "k")})}});
    QCOMPARE(bad.errorCode, std::string(error::InvalidParams));
}
