// ClientAssertion (private_key_jwt, RFC 7523 §2.2) and ClientAuthentication (the token endpoint
// authentication methods of RFC 7591 §2): assertions verified with OpenSSL against the public key,
// keys that must be refused, and what each method puts on the wire.
#include "ClientAssertion.h"
#include "ClientAuthentication.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

using namespace latchkey;

namespace {

struct Free
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
    void operator()(BIO *bio) const { BIO_free(bio); }
    void operator()(EVP_MD_CTX *ctx) const { EVP_MD_CTX_free(ctx); }
    void operator()(ECDSA_SIG *sig) const { ECDSA_SIG_free(sig); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;

Key ecKey(const char *curve)
{
    return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

Key rsaKey(size_t bits)
{
    return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}

QByteArray pem(EVP_PKEY *key, const char *passphrase = nullptr)
{
    std::unique_ptr<BIO, Free> bio(BIO_new(BIO_s_mem()));
    const EVP_CIPHER *cipher = passphrase ? EVP_aes_256_cbc() : nullptr;
    PEM_write_bio_PrivateKey(bio.get(), key, cipher, nullptr, 0, nullptr,
                             const_cast<char *>(passphrase)); // NOLINT: OpenSSL's C signature
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, static_cast<qsizetype>(size));
}

QByteArray fromBase64Url(const QByteArray &text)
{
    return QByteArray::fromBase64(text, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

nlohmann::json part(const QByteArray &text)
{
    const QByteArray json = fromBase64Url(text);
    return nlohmann::json::parse(json.cbegin(), json.cend());
}

// JWS ES256 signatures are R||S; OpenSSL verifies DER.
QByteArray derFromRaw(const QByteArray &raw)
{
    std::unique_ptr<ECDSA_SIG, Free> sig(ECDSA_SIG_new());
    const auto *bytes = reinterpret_cast<const unsigned char *>(raw.constData());
    ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    QByteArray der(length, '\0');
    auto *out = reinterpret_cast<unsigned char *>(der.data());
    i2d_ECDSA_SIG(sig.get(), &out);
    return der;
}

bool verifies(EVP_PKEY *key, const QByteArray &input, const QByteArray &signature)
{
    std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
    return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
           EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.constData()),
                            static_cast<size_t>(signature.size()),
                            reinterpret_cast<const unsigned char *>(input.constData()),
                            static_cast<size_t>(input.size())) == 1;
}

QString text(const nlohmann::json &value)
{
    return value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString();
}

QString field(const ClientAuthentication::Form &form, const QString &name)
{
    for (const auto &[key, value] : form) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

AuthorizationServerMetadata as()
{
    AuthorizationServerMetadata metadata;
    metadata.issuer = QStringLiteral("https://as.example.com/tenant");
    metadata.tokenEndpoint = QUrl(QStringLiteral("https://as.example.com/tenant/token"));
    return metadata;
}

} // namespace

class TestClientAuthentication : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void es256AssertionVerifies();
    void rs256AssertionVerifies();
    void assertionsDiffer();
    void keysRefused_data();
    void keysRefused();
    void basic();
    void post();
    void privateKeyJwt();
    void none();
    void secretMissing();
};

void TestClientAuthentication::es256AssertionVerifies()
{
    const Key key = ecKey("P-256");
    QVERIFY(key);
    QString error;
    const auto jwt = ClientAssertion::make(pem(key.get()), QStringLiteral("ES256"), QStringLiteral("client-1"),
                                           QStringLiteral("https://as.example.com"), 1'800'000'000, &error);
    QVERIFY2(jwt, qPrintable(error));
    const QList<QByteArray> parts = jwt->split('.');
    QCOMPARE(parts.size(), 3);
    const auto header = part(parts[0]);
    QCOMPARE(text(header["alg"]), QStringLiteral("ES256"));
    QCOMPARE(text(header["typ"]), QStringLiteral("JWT"));
    const auto claims = part(parts[1]);
    QCOMPARE(text(claims["iss"]), QStringLiteral("client-1"));
    QCOMPARE(text(claims["sub"]), QStringLiteral("client-1"));
    QCOMPARE(text(claims["aud"]), QStringLiteral("https://as.example.com"));
    QCOMPARE(claims["iat"].get<qint64>(), qint64(1'800'000'000));
    QCOMPARE(claims["exp"].get<qint64>(), qint64(1'800'000'000) + ClientAssertion::kLifetimeSeconds);
    QVERIFY(claims["jti"].get<std::string>().size() >= 20);
    const QByteArray signature = fromBase64Url(parts[2]);
    QCOMPARE(signature.size(), 64); // R||S, not DER
    QVERIFY(verifies(key.get(), parts[0] + '.' + parts[1], derFromRaw(signature)));
    QVERIFY(!verifies(key.get(), parts[0] + '.' + parts[0], derFromRaw(signature)));
}

void TestClientAuthentication::rs256AssertionVerifies()
{
    const Key key = rsaKey(2048);
    QVERIFY(key);
    QString error;
    const auto jwt = ClientAssertion::make(pem(key.get()), QStringLiteral("RS256"), QStringLiteral("c"),
                                           QStringLiteral("https://as.example.com"), 1'800'000'000, &error);
    QVERIFY2(jwt, qPrintable(error));
    const QList<QByteArray> parts = jwt->split('.');
    QCOMPARE(text(part(parts[0])["alg"]), QStringLiteral("RS256"));
    QVERIFY(verifies(key.get(), parts[0] + '.' + parts[1], fromBase64Url(parts[2])));
}

void TestClientAuthentication::assertionsDiffer()
{
    // A fresh jti each time: the AS may refuse a replayed assertion.
    const Key key = ecKey("P-256");
    const QByteArray keyPem = pem(key.get());
    QString error;
    const auto one =
        ClientAssertion::make(keyPem, QStringLiteral("ES256"), QStringLiteral("c"), QStringLiteral("a"), 1, &error);
    const auto two =
        ClientAssertion::make(keyPem, QStringLiteral("ES256"), QStringLiteral("c"), QStringLiteral("a"), 1, &error);
    QVERIFY(one && two);
    QVERIFY(text(part(one->split('.')[1])["jti"]) != text(part(two->split('.')[1])["jti"]));
}

void TestClientAuthentication::keysRefused_data()
{
    QTest::addColumn<QByteArray>("pem");
    QTest::addColumn<QString>("algorithm");
    const Key p256 = ecKey("P-256");
    const Key p384 = ecKey("P-384");
    const Key rsa1024 = rsaKey(1024);
    const Key rsa2048 = rsaKey(2048);
    QTest::newRow("garbage") << QByteArray("not a key") << QStringLiteral("ES256");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("ES256");
    QTest::newRow("encrypted") << pem(p256.get(), "passphrase") << QStringLiteral("ES256");
    QTest::newRow("P-384 for ES256") << pem(p384.get()) << QStringLiteral("ES256");
    QTest::newRow("RSA for ES256") << pem(rsa2048.get()) << QStringLiteral("ES256");
    QTest::newRow("EC for RS256") << pem(p256.get()) << QStringLiteral("RS256");
    QTest::newRow("RSA 1024") << pem(rsa1024.get()) << QStringLiteral("RS256");
    QTest::newRow("HS256") << pem(p256.get()) << QStringLiteral("HS256");
    QTest::newRow("none") << pem(p256.get()) << QStringLiteral("none");
}

void TestClientAuthentication::keysRefused()
{
    QFETCH(QByteArray, pem);
    QFETCH(QString, algorithm);
    QVERIFY(!ClientAssertion::checkPrivateKey(pem, algorithm).isEmpty());
    QString error;
    QVERIFY(!ClientAssertion::make(pem, algorithm, QStringLiteral("c"), QStringLiteral("a"), 1, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!error.contains(QStringLiteral("BEGIN"))); // the key is never echoed
}

void TestClientAuthentication::basic()
{
    ClientRegistration::Client client{QStringLiteral("dcr"), QStringLiteral("my client"), QStringLiteral("p:w%")};
    client.authMethod = QStringLiteral("client_secret_basic");
    ClientAuthentication::Form form;
    HttpFetcher::Headers headers;
    QVERIFY(ClientAuthentication::apply(as(), client, &form, &headers).isEmpty());
    QVERIFY(form.isEmpty()); // neither the secret nor a second method in the form
    QCOMPARE(headers.size(), 1);
    QCOMPARE(headers[0].first, QByteArray("Authorization"));
    // RFC 6749 §2.3.1: form-encoded before Base64.
    QCOMPARE(headers[0].second, "Basic " + QByteArray("my%20client:p%3Aw%25").toBase64());
}

void TestClientAuthentication::post()
{
    ClientRegistration::Client client{QStringLiteral("preregistered"), QStringLiteral("id"), QStringLiteral("s")};
    client.authMethod = QStringLiteral("client_secret_post");
    ClientAuthentication::Form form;
    HttpFetcher::Headers headers;
    QVERIFY(ClientAuthentication::apply(as(), client, &form, &headers).isEmpty());
    QVERIFY(headers.isEmpty());
    QCOMPARE(field(form, QStringLiteral("client_id")), QStringLiteral("id"));
    QCOMPARE(field(form, QStringLiteral("client_secret")), QStringLiteral("s"));
}

void TestClientAuthentication::privateKeyJwt()
{
    const Key key = ecKey("P-256");
    ClientRegistration::Client client{QStringLiteral("preregistered"), QStringLiteral("id"), {}};
    client.authMethod = QStringLiteral("private_key_jwt");
    client.privateKey = pem(key.get());
    ClientAuthentication::Form form;
    HttpFetcher::Headers headers;
    QVERIFY(ClientAuthentication::apply(as(), client, &form, &headers).isEmpty());
    QVERIFY(headers.isEmpty());
    QCOMPARE(field(form, QStringLiteral("client_assertion_type")),
             QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
    const QList<QByteArray> parts = field(form, QStringLiteral("client_assertion")).toLatin1().split('.');
    QCOMPARE(parts.size(), 3);
    QCOMPARE(text(part(parts[1])["aud"]), as().issuer); // the issuer, not the token endpoint
    QVERIFY(field(form, QStringLiteral("client_secret")).isEmpty());
}

void TestClientAuthentication::none()
{
    ClientRegistration::Client client{QStringLiteral("dcr"), QStringLiteral("id"), QStringLiteral("ignored")};
    client.authMethod = QStringLiteral("none");
    ClientAuthentication::Form form;
    HttpFetcher::Headers headers;
    QVERIFY(ClientAuthentication::apply(as(), client, &form, &headers).isEmpty());
    QVERIFY(headers.isEmpty());
    QCOMPARE(form.size(), 1);
    QCOMPARE(field(form, QStringLiteral("client_id")), QStringLiteral("id"));
}

void TestClientAuthentication::secretMissing()
{
    ClientRegistration::Client client{QStringLiteral("preregistered"), QStringLiteral("id"), {}};
    client.authMethod = QStringLiteral("client_secret_basic");
    ClientAuthentication::Form form;
    HttpFetcher::Headers headers;
    QVERIFY(!ClientAuthentication::apply(as(), client, &form, &headers).isEmpty());
    QVERIFY(headers.isEmpty());
}

QTEST_GUILESS_MAIN(TestClientAuthentication)
#include "TestClientAuthentication.moc"
