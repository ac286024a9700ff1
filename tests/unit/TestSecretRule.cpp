// Unit tests for SecretRule: what counts as a literal secret in an MCP configuration.
#include "SecretRule.h"

#include <QTest>

using latchkey::import::SecretRule;

class TestSecretRule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data();
    void classify();
    void keyFor();
    void credentialNames();
    void arguments_data();
    void arguments();
};

void TestSecretRule::classify_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("secret");
    QTest::newRow("github pat") << QStringLiteral("ghp_0123456789abcdefABCDEF0123456789abcd") << true;
    QTest::newRow("bearer") << QStringLiteral("Bearer abc.def.ghi") << true;
    QTest::newRow("word") << QStringLiteral("debug") << true; // not obviously harmless: moved
    QTest::newRow("url with password") << QStringLiteral("postgres://u:p@db/x") << true;
    QTest::newRow("http url with user") << QStringLiteral("https://user:pw@example.com/") << true;
    QTest::newRow("url with query") << QStringLiteral("https://example.com/hook?token=abc") << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("blank") << QStringLiteral("   ") << false;
    QTest::newRow("vscode input") << QStringLiteral("${input:api-key}") << false;
    QTest::newRow("env reference") << QStringLiteral("Bearer ${env:TOKEN}") << false;
    QTest::newRow("workspace") << QStringLiteral("${workspaceFolder}/db.sqlite") << false;
    QTest::newRow("absolute path") << QStringLiteral("/home/me/data") << false;
    QTest::newRow("home path") << QStringLiteral("~/notes") << false;
    QTest::newRow("relative path") << QStringLiteral("./data") << false;
    QTest::newRow("windows path") << QStringLiteral("C:\\Users\\me") << false;
    QTest::newRow("windows env path") << QStringLiteral("%APPDATA%\\x") << false;
    QTest::newRow("plain url") << QStringLiteral("https://api.example.com/v1") << false;
    QTest::newRow("number") << QStringLiteral("8080") << false;
    QTest::newRow("flag") << QStringLiteral("TRUE") << false;
}

void TestSecretRule::classify()
{
    QFETCH(QString, value);
    QFETCH(bool, secret);
    QString reason;
    QCOMPARE(SecretRule::isSecret(value, &reason), secret);
    QCOMPARE(reason.isEmpty(), secret);
}

void TestSecretRule::keyFor()
{
    QCOMPARE(SecretRule::keyFor(QStringLiteral("GITHUB_TOKEN")), QStringLiteral("GITHUB_TOKEN"));
    QCOMPARE(SecretRule::keyFor(QStringLiteral("X-API-Key")), QStringLiteral("X-API-Key"));
    QCOMPARE(SecretRule::keyFor(QStringLiteral("a b/c")), QStringLiteral("a_b_c"));
    QCOMPARE(SecretRule::keyFor(QString(200, QLatin1Char('k'))).size(), 128);
}

void TestSecretRule::credentialNames()
{
    bool strong = false;
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("--api-key"), &strong) && strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("apiKey"), &strong) && strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("X-API-Key"), &strong) && strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("GITHUB_PERSONAL_ACCESS_TOKEN"), &strong) && strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("Authorization"), &strong) && strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("--key"), &strong) && !strong);
    QVERIFY(SecretRule::isCredentialName(QStringLiteral("--auth"), &strong) && !strong);
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--token-file")));
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--key-id")));
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--max-tokens")));
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--auth-mode")));
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--port")));
    QVERIFY(!SecretRule::isCredentialName(QStringLiteral("--path")));
}

void TestSecretRule::arguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QList<int>>("indices");
    QTest::addColumn<QStringList>("shown");
    const auto list = [](std::initializer_list<const char *> items) {
        QStringList out;
        for (const char *item : items) {
            out << QString::fromUtf8(item);
        }
        return out;
    };
    QTest::newRow("--api-key VALUE") << list({"server.js", "--api-key", "sk-live-abc123def456ghi789"}) << QList<int>{2}
                                     << list({"--api-key ********"});
    QTest::newRow("--token=VALUE") << list({"server.js", "--token=tok_9f8e7d6c5b4a"}) << QList<int>{1}
                                   << list({"--token=********"});
    QTest::newRow("docker -e") << list({"run", "-i", "--rm", "-e", "GITHUB_TOKEN=ghp_0123456789abcdefABCDEF", "img"})
                               << QList<int>{4} << list({"GITHUB_TOKEN=********"});
    QTest::newRow("header") << list({"--header", "Authorization: Bearer abc.def.ghi"}) << QList<int>{1}
                            << list({"Authorization: ********"});
    QTest::newRow("bare prefix") << list({"server.js", "ghp_0123456789abcdefABCDEF"}) << QList<int>{1}
                                 << list({"********"});
    QTest::newRow("slack") << list({"xoxb-1234567890-abcdefghij"}) << QList<int>{0} << list({"********"});
    QTest::newRow("jwt") << list({"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"}) << QList<int>{0}
                         << list({"********"});
    QTest::newRow("url password") << list({"postgres://app:hunter2-pw@db:5432/x"}) << QList<int>{0}
                                  << list({"postgres://app:********@db:5432/x"});
    QTest::newRow("url query") << list({"--url=https://x.example/mcp?api_key=k123456&x=1"}) << QList<int>{0}
                               << list({"--url=https://x.example/mcp?api_key=********&x=1"});
    QTest::newRow("weak name, token") << list({"--key", "a1b2c3d4e5f6g7h8i9j0"}) << QList<int>{1}
                                      << list({"--key ********"});
    QTest::newRow("json") << list({"--static-oauth-client-info", "{\"client_id\":\"c\",\"client_secret\":\"cs-x\"}"})
                          << QList<int>{1} << list({"{…, ********}"});
    // Not secrets.
    QTest::newRow("weak name, word") << list({"--auth", "oauth"}) << QList<int>{} << QStringList{};
    QTest::newRow("paths and flags") << list({"-y", "@modelcontextprotocol/server-filesystem", "/home/me", "~/x",
                                              "--port", "8080", "--verbose"})
                                     << QList<int>{} << QStringList{};
    QTest::newRow("token file") << list({"--token-file", "secrets/token.txt"}) << QList<int>{} << QStringList{};
    QTest::newRow("client reference") << list({"--api-key", "${input:api-key}"}) << QList<int>{} << QStringList{};
    QTest::newRow("env name") << list({"--token-env", "GITHUB_TOKEN"}) << QList<int>{} << QStringList{};
    QTest::newRow("plain url") << list({"https://api.example.com/v1?page=2"}) << QList<int>{} << QStringList{};
    QTest::newRow("package") << list({"sk-learn-tools"}) << QList<int>{} << QStringList{};
    QTest::newRow("shell") << list({"-c", "printf '%s' \"$SLACK_BOT_TOKEN\" | sha256sum"}) << QList<int>{}
                           << QStringList{};
    QTest::newRow("flag after option") << list({"--password", "--verbose"}) << QList<int>{} << QStringList{};
}

void TestSecretRule::arguments()
{
    QFETCH(QStringList, args);
    QFETCH(QList<int>, indices);
    QFETCH(QStringList, shown);
    const auto found = SecretRule::inArguments(args);
    QList<int> gotIndices;
    QStringList gotShown;
    for (const auto &secret : found) {
        gotIndices << int(secret.index);
        gotShown << secret.shown;
        QVERIFY(!secret.secrets.isEmpty());
        for (const QString &part : secret.secrets) {
            QVERIFY(args.at(secret.index).contains(part));
            QVERIFY(!secret.shown.contains(part));
        }
    }
    QCOMPARE(gotIndices, indices);
    QCOMPARE(gotShown, shown);
}

QTEST_GUILESS_MAIN(TestSecretRule)
#include "TestSecretRule.moc"
