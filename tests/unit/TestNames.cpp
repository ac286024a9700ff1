// Unit tests for Names: which server names, variable names, secret keys and secret values are accepted.
#include "Names.h"

#include <QTest>

using latchkey::Names;

class TestNames : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serverName_data();
    void serverName();
    void envName_data();
    void envName();
    void secretKey_data();
    void secretKey();
    void secretValue_data();
    void secretValue();
    void messagesNeverEchoInput();
};

void TestNames::serverName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("ok");
    QTest::newRow("simple") << QStringLiteral("github") << true;
    QTest::newRow("digit first") << QStringLiteral("1password") << true;
    QTest::newRow("punctuation inside") << QStringLiteral("my.server_v2-beta") << true;
    QTest::newRow("single char") << QStringLiteral("a") << true;
    QTest::newRow("64 chars") << QString(64, u'a') << true;
    QTest::newRow("65 chars") << QString(65, u'a') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("dot first") << QStringLiteral(".hidden") << false;
    QTest::newRow("dash first") << QStringLiteral("-rf") << false;
    QTest::newRow("underscore first") << QStringLiteral("_x") << false;
    QTest::newRow("slash") << QStringLiteral("a/b") << false;
    QTest::newRow("dot dot slash") << QStringLiteral("a/../b") << false;
    QTest::newRow("space") << QStringLiteral("a b") << false;
    QTest::newRow("nul") << QStringLiteral("a\0b") << false;
    QTest::newRow("newline") << QStringLiteral("a\nb") << false;
    QTest::newRow("non-ascii letter") << QStringLiteral("caf\u00e9") << false;
    QTest::newRow("fullwidth digit") << QStringLiteral("\uff11abc") << false;
    QTest::newRow("colon") << QStringLiteral("a:b") << false;
}

void TestNames::serverName()
{
    QFETCH(QString, name);
    QFETCH(bool, ok);
    const QString why = Names::checkServerName(name);
    QCOMPARE(why.isEmpty(), ok);
}

void TestNames::envName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("ok");
    QTest::newRow("upper") << QStringLiteral("GITHUB_TOKEN") << true;
    QTest::newRow("lower") << QStringLiteral("api_key") << true;
    QTest::newRow("underscore first") << QStringLiteral("_PRIVATE") << true;
    QTest::newRow("single underscore") << QStringLiteral("_") << true;
    QTest::newRow("digits inside") << QStringLiteral("A1B2") << true;
    QTest::newRow("128 chars") << QString(128, u'V') << true;
    QTest::newRow("129 chars") << QString(129, u'V') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("digit first") << QStringLiteral("1VAR") << false;
    QTest::newRow("equals") << QStringLiteral("A=B") << false;
    QTest::newRow("dash") << QStringLiteral("MY-VAR") << false;
    QTest::newRow("dot") << QStringLiteral("MY.VAR") << false;
    QTest::newRow("space") << QStringLiteral("MY VAR") << false;
    QTest::newRow("nul") << QStringLiteral("A\0B") << false;
    QTest::newRow("non-ascii") << QStringLiteral("\u00c4PI") << false;
    QTest::newRow("dollar") << QStringLiteral("$HOME") << false;
}

void TestNames::envName()
{
    QFETCH(QString, name);
    QFETCH(bool, ok);
    QCOMPARE(Names::checkEnvName(name).isEmpty(), ok);
}

void TestNames::secretKey_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("ok");
    QTest::newRow("simple") << QStringLiteral("token") << true;
    QTest::newRow("dot first") << QStringLiteral(".env") << true;
    QTest::newRow("dash first") << QStringLiteral("-key") << true;
    QTest::newRow("mixed") << QStringLiteral("API_key-2.v") << true;
    QTest::newRow("128 chars") << QString(128, u'k') << true;
    QTest::newRow("129 chars") << QString(129, u'k') << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("slash") << QStringLiteral("a/b") << false;
    QTest::newRow("space") << QStringLiteral("a b") << false;
    QTest::newRow("colon") << QStringLiteral("secret:x") << false;
    QTest::newRow("nul") << QStringLiteral("a\0") << false;
    QTest::newRow("non-ascii") << QStringLiteral("cl\u00e9") << false;
}

void TestNames::secretKey()
{
    QFETCH(QString, key);
    QFETCH(bool, ok);
    QCOMPARE(Names::checkSecretKey(key).isEmpty(), ok);
}

void TestNames::secretValue_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("ok");
    QTest::newRow("ascii") << QByteArrayLiteral("ghp_abcdef0123456789") << true;
    QTest::newRow("utf8") << QStringLiteral("p\u00e4ss \u2603 \U0001F511").toUtf8() << true;
    QTest::newRow("spaces and tabs") << QByteArrayLiteral(" a\tb ") << true;
    QTest::newRow("64 KiB") << QByteArray(65536, 's') << true;
    QTest::newRow("64 KiB + 1") << QByteArray(65537, 's') << false;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("nul") << QByteArray("ab\0cd", 5) << false;
    QTest::newRow("newline") << QByteArrayLiteral("abc\n") << false;
    QTest::newRow("carriage return") << QByteArrayLiteral("a\rb") << false;
    QTest::newRow("lone continuation") << QByteArray("a\x80") << false;
    QTest::newRow("truncated sequence") << QByteArray("a\xe2\x82") << false;
    QTest::newRow("overlong") << QByteArray("\xc0\xaf") << false;
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << false;
    QTest::newRow("0xff") << QByteArray("\xff") << false;
}

void TestNames::secretValue()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, ok);
    QCOMPARE(Names::checkSecretValue(value).isEmpty(), ok);
}

void TestNames::messagesNeverEchoInput()
{
    // Messages describe the rule; a rejected secret must never appear in one.
    const QByteArray secret = QByteArrayLiteral("hunter2-very-secret\n");
    const QString why = Names::checkSecretValue(secret);
    QVERIFY(!why.isEmpty());
    QVERIFY(!why.contains(QStringLiteral("hunter2")));
    QVERIFY(!Names::checkServerName(QStringLiteral("bad name!")).contains(QStringLiteral("bad name!")));
}

QTEST_GUILESS_MAIN(TestNames)
#include "TestNames.moc"
