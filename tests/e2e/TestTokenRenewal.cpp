// TokenManager's renewal rules end to end: a real latchkeyd, the real AS (oidc-provider, as.mjs) and the
// Secret Service.
// - onDemandRefreshBacksOff: a grant signed in through chromium; the AS's token endpoint fails (503,
//   temporarily_unavailable); a client that keeps asking token.get with the token its server refused
//   gets temporarily_unavailable saying when the next try is, and the AS sees exactly one refresh
//   request for all of them. A new sign-in ends the backoff: the next refused token is refreshed at once.
// - machineTokenRenewedBeforeExpiry: a machine client (client credentials, pre-registered in oauth.json,
//   secret in the keychain) with 30 s tokens gets a new client_credentials grant at 75-80 % of the
//   lifetime, before the first token expires, with no token.get asking for it; token.get then hands
//   out the new token without another grant.
#include "SignedInServer.h"

#include "Client.h"
#include "TokenHash.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

constexpr int kRequests = 10;
constexpr int kMachineTtl = 30;

int count(const QJsonObject &stats, const char *group, const char *grantType)
{
    return stats.value(QLatin1String(group)).toObject().value(QLatin1String(grantType)).toInt();
}

} // namespace

class TestTokenRenewal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void onDemandRefreshBacksOff();
    void machineTokenRenewedBeforeExpiry();

private:
    QString setFailStatus(const QString &issuer, int status);
    QNetworkAccessManager m_network;
};

void TestTokenRenewal::initTestCase()
{
    if (const QString missing = e2eUnavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
}

QString TestTokenRenewal::setFailStatus(const QString &issuer, int status)
{
    const HttpResult result = httpRequest(
        m_network, "POST", QUrl(issuer + QStringLiteral("/__test/token-endpoint?fail_status=%1").arg(status)));
    return result.status == 200 ? QString()
                                : QStringLiteral("/__test/token-endpoint: %1 %2").arg(result.status).arg(result.error);
}

void TestTokenRenewal::onDemandRefreshBacksOff()
{
    SignedInServer grant(3600);
    const QString started = grant.start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const QString signedIn = grant.signIn();
    QVERIFY2(signedIn.isEmpty(), qPrintable(signedIn));
    const Response first = grant.tokenGet();
    QVERIFY2(first.ok(), describeResponse(first).constData());
    const QString token = jsonString(first.result, "access_token");
    QVERIFY(!token.isEmpty());

    QVERIFY(setFailStatus(grant.issuer(), 503).isEmpty());
    // A client in a loop: its server refuses the token (401), it asks again, and again.
    const Json params = {{"name", grant.name().toStdString()}, {"rejected", latchkey::ipc::tokenHash(token.toUtf8())}};
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < kRequests; ++i) {
        const Response answer = grant.call("token.get", params);
        QVERIFY2(answer.errorCode == "temporarily_unavailable", describeResponse(answer).constData());
        const QString message = QString::fromStdString(answer.errorMessage);
        QVERIFY2(message.contains(QStringLiteral("next try is at")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("temporarily_unavailable")), qPrintable(message));
    }
    const qint64 elapsed = clock.elapsed();
    // All within the first backoff step (15 s after the failure), or the count below proves nothing.
    QVERIFY2(elapsed < 14000, qPrintable(QStringLiteral("%1 token.get took %2 ms").arg(kRequests).arg(elapsed)));
    const QJsonObject stats = grant.asStats();
    QCOMPARE(count(stats, "failed_token_requests", "refresh_token"), 1);
    QCOMPARE(stats.value(QStringLiteral("refresh_grants")).toInt(), 0);
    qInfo("%d token.get with a refused token while the AS failed: %d refresh request(s) at the AS in %lld ms",
          kRequests, count(stats, "failed_token_requests", "refresh_token"), elapsed);

    // The AS recovers and the person signs in again: that ends the backoff at once, without waiting for
    // the retry. A token the server refuses now is refreshed on the spot.
    QVERIFY(setFailStatus(grant.issuer(), 0).isEmpty());
    const QString again = grant.signIn();
    QVERIFY2(again.isEmpty(), qPrintable(again));
    const Response signedInAgain = grant.tokenGet();
    QVERIFY2(signedInAgain.ok(), describeResponse(signedInAgain).constData());
    const QString second = jsonString(signedInAgain.result, "access_token");
    QVERIFY(second != token);
    const Response refreshed = grant.call(
        "token.get", {{"name", grant.name().toStdString()}, {"rejected", latchkey::ipc::tokenHash(second.toUtf8())}});
    QVERIFY2(refreshed.ok(), describeResponse(refreshed).constData());
    const QString third = jsonString(refreshed.result, "access_token");
    QVERIFY(third != second && third != token);
    QCOMPARE(grant.asStats().value(QStringLiteral("refresh_grants")).toInt(), 1);
    QCOMPARE(count(grant.asStats(), "failed_token_requests", "refresh_token"), 1);
    const HttpResult called = grant.callTool(third);
    QVERIFY2(called.status == 200, called.body.constData());

    QVERIFY(grant.daemon().stop());
    const QByteArray output = grant.daemon().daemonOutput();
    for (const QString &seen : {token, second, third}) {
        QVERIFY2(!output.contains(seen.toUtf8()), "a token in the daemon's output");
    }
}

void TestTokenRenewal::machineTokenRenewedBeforeExpiry()
{
    NodeServer as(QStringLiteral("as.mjs"), {QStringLiteral("--access-ttl"), QString::number(kMachineTtl)});
    QVERIFY2(as.start(), qPrintable(as.errorString()));
    const QString issuer = as.value(QStringLiteral("issuer"));
    const QJsonObject machine = as.ready().value(QStringLiteral("machine")).toObject();
    NodeServer mcp(QStringLiteral("mcp-server.mjs"), {QStringLiteral("--issuer"), issuer});
    QVERIFY2(mcp.start(), qPrintable(mcp.errorString()));
    const QString url = mcp.value(QStringLiteral("url"));

    // The administrator's configuration: a machine client for this AS (oauth.json), its secret in the keychain.
    DaemonHarness daemon;
    QVERIFY(QDir().mkpath(QFileInfo(daemon.configPath()).absolutePath()));
    QFile oauth(QFileInfo(daemon.configPath()).absolutePath() + QStringLiteral("/oauth.json"));
    QVERIFY(oauth.open(QIODevice::WriteOnly));
    const QJsonObject client{{QStringLiteral("issuer"), issuer},
                             {QStringLiteral("client_id"), machine.value(QStringLiteral("client_id"))},
                             {QStringLiteral("grant_type"), QStringLiteral("client_credentials")}};
    oauth.write(QJsonDocument(QJsonObject{{QStringLiteral("clients"), QJsonArray{client}}}).toJson());
    oauth.close();
    QVERIFY2(daemon.start(), daemon.daemonOutput().constData());
    latchkey::ipc::Client ipc(daemon.socketPath());
    QVERIFY(ipc.connectToDaemon(5000));
    const Response secret = ipc.call(
        "client.credential.set", {{"issuer", issuer.toStdString()},
                                  {"kind", "secret"},
                                  {"value", machine.value(QStringLiteral("client_secret")).toString().toStdString()}});
    QVERIFY2(secret.ok(), describeResponse(secret).constData());
    const QString name = DaemonHarness::uniqueName(QStringLiteral("e2e-machine"));
    const Response added =
        ipc.call("server.add",
                 {{"server", {{"name", name.toStdString()}, {"kind", "remote"}, {"url", url.toStdString()}}}}, 30000);
    QVERIFY2(added.ok(), describeResponse(added).constData());
    const Response login = ipc.call("server.login", {{"name", name.toStdString()}}, 30000);
    QVERIFY2(login.ok(), describeResponse(login).constData());

    const Response first = ipc.call("token.get", {{"name", name.toStdString()}});
    QVERIFY2(first.ok(), describeResponse(first).constData());
    const QString firstToken = jsonString(first.result, "access_token");
    const qint64 firstExpiryMs = jwtPayload(firstToken).value(QStringLiteral("exp")).toInteger() * 1000;
    const auto grantTimes = [&] {
        const QJsonObject stats = httpRequest(m_network, "GET", QUrl(issuer + QStringLiteral("/__test/stats"))).json();
        return stats.value(QStringLiteral("token_grant_times"))
            .toObject()
            .value(QStringLiteral("client_credentials"))
            .toArray();
    };
    QCOMPARE(grantTimes().size(), 1); // the sign-in's

    // Nobody asks; the daemon renews on its own, ahead of expiry (at 22.5-24 s of 30).
    QVERIFY2(QTest::qWaitFor([&] { return grantTimes().size() >= 2; }, (kMachineTtl + 20) * 1000),
             "no renewal of the machine token");
    const QJsonArray times = grantTimes();
    const qint64 issuedMs = times.at(0).toInteger();
    const qint64 renewedMs = times.at(1).toInteger();
    qInfo("machine token of %d s: renewed %lld ms after issue, %lld ms before it expired", kMachineTtl,
          renewedMs - issuedMs, firstExpiryMs - renewedMs);
    QVERIFY2(renewedMs < firstExpiryMs, "renewed only after the token expired");
    QVERIFY2(renewedMs - issuedMs >= kMachineTtl * 700, "renewed far earlier than 75 % of the lifetime");

    // token.get hands out the renewed token, without another grant.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const Response now = ipc.call("token.get", {{"name", name.toStdString()}});
            return now.ok() && jsonString(now.result, "access_token") != firstToken;
        }(),
        10000);
    const Response second = ipc.call("token.get", {{"name", name.toStdString()}});
    QVERIFY2(second.ok(), describeResponse(second).constData());
    const QJsonObject claims = jwtPayload(jsonString(second.result, "access_token"));
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(), url);
    QCOMPARE(claims.value(QStringLiteral("client_id")).toString(),
             machine.value(QStringLiteral("client_id")).toString());
    QVERIFY(claims.value(QStringLiteral("exp")).toInteger() * 1000 > QDateTime::currentMSecsSinceEpoch());
    QCOMPARE(grantTimes().size(), 2);
    // The keychain holds it as a client credentials set.
    const QJsonObject stored =
        QJsonDocument::fromJson(secretToolLookup(QStringLiteral("latchkey/token/%1/default").arg(name))).object();
    QCOMPARE(stored.value(QStringLiteral("grant_type")).toString(), QStringLiteral("client_credentials"));
    QCOMPARE(stored.value(QStringLiteral("access_token")).toString(), jsonString(second.result, "access_token"));
    QVERIFY(daemon.stop());
}

QTEST_GUILESS_MAIN(TestTokenRenewal)
#include "TestTokenRenewal.moc"
