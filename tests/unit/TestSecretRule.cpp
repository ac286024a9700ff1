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

QTEST_GUILESS_MAIN(TestSecretRule)
#include "TestSecretRule.moc"
