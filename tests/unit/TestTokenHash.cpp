// Unit tests for ipc::tokenHash, the short one-way name of a token shared by the daemon's audit log and
// token.get's `rejected` (which the bridge sends).
#include "TokenHash.h"

#include <QTest>

using latchkey::ipc::tokenHash;

class TestTokenHash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isTheStartOfSha256()
    {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2).
        QCOMPARE(tokenHash("abc"), std::string("ba7816bf8f01cfea"));
    }
    void differsForDifferentTokens() { QVERIFY(tokenHash("token-1") != tokenHash("token-2")); }
    void neverContainsTheToken()
    {
        const QByteArray token = "0123456789abcdef0123456789abcdef";
        QCOMPARE(tokenHash(token).size(), std::size_t{16});
        QVERIFY(token.indexOf(QByteArray::fromStdString(tokenHash(token))) < 0);
    }
};

QTEST_APPLESS_MAIN(TestTokenHash)
#include "TestTokenHash.moc"
