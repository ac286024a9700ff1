// Crash safety of refresh-token rotation, end to end: a grant signed in through chromium at the real
// AS with 2 s access tokens (a refresh is due one second after each refresh), then 50 cycles of:
// start latchkeyd with its refresh due (it refreshes at once), ask token.get, SIGKILL it at a random
// moment in the next 350 ms (stratified over the window, shuffled; the seed is printed and
// LATCHKEY_CRASH_SEED replays it), see where the kill landed, restart it and check that
// `latchkey servers --json` parses and the grant is usable (refreshed and persisted again, token.get
// hands out an unexpired JWT for this resource that the MCP server accepts) or needs sign-in with a
// reason — never anything else, never a hang.
//
// The AS holds each refresh answer 150 ms after rotating (/__test/token-endpoint hold_ms), so a good
// share of the kills land after the AS rotated the refresh token and before the new one reached the
// keychain: the one window in which a client can lose a grant. What happens then is the AS's choice:
// - With a reuse grace period (Okta's rotation grace period, 30 s by default; Auth0's reuse interval;
//   Ory Hydra's grace_period; Keycloak and Entra ID do not revoke on reuse at all), the previous refresh
//   token still works for a while, so the restarted daemon simply refreshes with it. The 50 cycles run
//   against such an AS (grace 30 s) and every cycle must end usable.
// - oidc-provider's strict default (RFC 9700 §4.14.2 replay detection without leeway: reuse of a rotated
//   refresh token revokes the grant) makes that window cost a sign-in, whatever the client does. The
//   last case kills the daemon deterministically inside that window against the strict AS and checks
//   that the grant then says needs_login with the AS's reason, and that signing in again restores it.
#include "JsonFields.h"
#include "SignedInServer.h"

#include "Client.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <map>

using namespace latchkey::test;
using latchkey::ipc::Json;
using latchkey::ipc::Response;

namespace {

constexpr int kAccessTtl = 2;
constexpr int kHoldMs = 150;
constexpr int kKillWindowMs = 350;
constexpr int kGraceSeconds = 30;
constexpr int kCycles = 50;

qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}

enum class Landing
{
    BeforeRotation,      // the AS had not rotated the refresh token
    RotatedNotPersisted, // the AS had rotated it; the keychain still had the previous one
    Persisted,           // the new token set was in the keychain
};

const char *landingName(Landing landing)
{
    switch (landing) {
    case Landing::BeforeRotation:
        return "before the AS rotated";
    case Landing::RotatedNotPersisted:
        return "after the AS rotated, before the keychain write";
    case Landing::Persisted:
        return "after the keychain write";
    }
    return "?";
}

enum class Outcome
{
    Usable,
    NeedsLogin,
    Other,
};

const char *outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Usable:
        return "usable";
    case Outcome::NeedsLogin:
        return "needs_login";
    case Outcome::Other:
        return "other";
    }
    return "?";
}

} // namespace

class TestRefreshCrashSafety : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void fiftyKillsDuringRefresh();
    void strictAuthorizationServerCostsASignIn();

private:
    bool waitUntilAsIdle();
    QString grantState(QString *reason = nullptr);
    // The stored token set, once the refresh it holds is due (75 % of its lifetime, in milliseconds).
    QJsonObject waitUntilRefreshDue();
    // After a restart: the grant settles (refreshed and persisted, or needs_login), `latchkey servers
    // --json` and servers.json parse, and token.get answers accordingly. *detail says what was seen.
    Outcome checkGrant(const QString &refreshTokenAtKill, QString *detail);
    QString usableToken(QString *detail);

    std::unique_ptr<SignedInServer> m_grant;
};

void TestRefreshCrashSafety::initTestCase()
{
    if (const QString missing = SignedInServer::unavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    m_grant = std::make_unique<SignedInServer>(kAccessTtl);
    const QString started = m_grant->start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const QString signedIn = m_grant->signIn();
    QVERIFY2(signedIn.isEmpty(), qPrintable(signedIn));
    const QString knobs = m_grant->setTokenEndpoint(kHoldMs, kGraceSeconds);
    QVERIFY2(knobs.isEmpty(), qPrintable(knobs));
    // The cycles start their own daemons.
    QVERIFY(m_grant->daemon().stop());
}

void TestRefreshCrashSafety::cleanupTestCase()
{
    if (m_grant) {
        QVERIFY(m_grant->daemon().stop());
    }
}

bool TestRefreshCrashSafety::waitUntilAsIdle()
{
    return QTest::qWaitFor(
        [&] { return m_grant->asStats().value(QStringLiteral("token_requests_in_flight")).toInt() == 0; }, 10000);
}

QString TestRefreshCrashSafety::grantState(QString *reason)
{
    const Response listed = m_grant->call("server.list", Json::object(), 10000);
    for (const Json &server : listed.result.value("servers", Json::array())) {
        if (latchkey::ipc::jsonString(server, "name") == m_grant->name()) {
            if (reason) {
                *reason = latchkey::ipc::jsonString(server["grant"], "reason");
            }
            return latchkey::ipc::jsonString(server["grant"], "state");
        }
    }
    return {};
}

QJsonObject TestRefreshCrashSafety::waitUntilRefreshDue()
{
    const QJsonObject stored = m_grant->keychainTokenSet();
    const qint64 obtainedAt = stored.value(QStringLiteral("obtained_at_ms")).toInteger();
    const qint64 lifetime = stored.value(QStringLiteral("expires_at_ms")).toInteger() - obtainedAt;
    const qint64 dueAt = obtainedAt + lifetime * 3 / 4;
    if (stored.isEmpty() || !QTest::qWaitFor([&] { return QDateTime::currentMSecsSinceEpoch() >= dueAt; }, 10000)) {
        return {};
    }
    return stored;
}

QString TestRefreshCrashSafety::usableToken(QString *detail)
{
    // A 2 s token can expire between token.get and the MCP server's check: then ask again (a few times).
    for (int attempt = 0; attempt < 3; ++attempt) {
        const Response answer = m_grant->tokenGet(15000);
        if (!answer.ok()) {
            *detail = QStringLiteral("token.get: ") + describe(answer);
            return {};
        }
        const QString token = latchkey::ipc::jsonString(answer.result, "access_token");
        const QJsonObject claims = jwtPayload(token);
        const qint64 exp = claims.value(QStringLiteral("exp")).toInteger();
        if (claims.value(QStringLiteral("aud")).toString() != m_grant->url() ||
            claims.value(QStringLiteral("iss")).toString() != m_grant->issuer() ||
            exp * 1000 <= QDateTime::currentMSecsSinceEpoch()) {
            *detail = QStringLiteral("token.get handed out an expired or foreign token: ") +
                      QString::fromUtf8(QJsonDocument(claims).toJson(QJsonDocument::Compact));
            return {};
        }
        const HttpResult called = m_grant->callTool(token);
        if (called.status == 200) {
            return token;
        }
        *detail = QStringLiteral("the MCP server refused the token: %1 %2")
                      .arg(called.status)
                      .arg(QString::fromUtf8(called.body.left(300)));
        if (called.status != 401 || exp > nowSecs()) {
            return {};
        }
    }
    return {};
}

Outcome TestRefreshCrashSafety::checkGrant(const QString &refreshTokenAtKill, QString *detail)
{
    // The grant settles: the refresh token in the keychain is live at the AS (the new one was
    // persisted before the kill), or the restarted daemon has refreshed with it (it refreshes at once:
    // the refresh was due and did not land) and persisted the next one, or the grant says needs_login.
    QString state;
    const bool settled = QTest::qWaitFor(
        [&] {
            state = grantState();
            if (state != QStringLiteral("active")) {
                return !state.isEmpty();
            }
            const QString stored = m_grant->keychainTokenSet().value(QStringLiteral("refresh_token")).toString();
            return !stored.isEmpty() && (stored != refreshTokenAtKill || m_grant->isActiveAtAs(stored));
        },
        10000);
    if (!settled) {
        *detail =
            QStringLiteral("the grant neither settled nor said needs_login within 10 s (state \"%1\")").arg(state);
        return Outcome::Other;
    }

    // servers.json and `latchkey servers --json` parse, and agree on the state.
    QFile file(m_grant->daemon().configPath());
    QJsonParseError parseError{};
    if (!file.open(QIODevice::ReadOnly) || QJsonDocument::fromJson(file.readAll(), &parseError).isNull()) {
        *detail = QStringLiteral("servers.json does not parse: ") + parseError.errorString();
        return Outcome::Other;
    }
    const DaemonHarness::Result listed = m_grant->daemon().cli({QStringLiteral("servers"), QStringLiteral("--json")});
    const auto servers = latchkey::ipc::parseJson(listed.out);
    if (listed.exitCode != 0 || !servers || !servers->is_array()) {
        *detail = QStringLiteral("`latchkey servers --json` failed (%1): %2 %3")
                      .arg(listed.exitCode)
                      .arg(QString::fromUtf8(listed.out.left(300)), QString::fromUtf8(listed.err.left(300)));
        return Outcome::Other;
    }
    QString cliState;
    QString reason;
    for (const Json &server : *servers) {
        if (latchkey::ipc::jsonString(server, "name") == m_grant->name()) {
            cliState = latchkey::ipc::jsonString(server["grant"], "state");
            reason = latchkey::ipc::jsonString(server["grant"], "reason");
        }
    }
    if (cliState != state) {
        *detail = QStringLiteral("`latchkey servers --json` says \"%1\", server.list said \"%2\"").arg(cliState, state);
        return Outcome::Other;
    }

    if (state == QStringLiteral("needs_login")) {
        const Response answer = m_grant->tokenGet(15000);
        if (answer.errorCode != "needs_login" || answer.errorMessage.empty() || reason.isEmpty()) {
            *detail = QStringLiteral("needs_login without a clear answer: reason \"%1\", token.get %2")
                          .arg(reason, describe(answer));
            return Outcome::Other;
        }
        *detail = reason;
        return Outcome::NeedsLogin;
    }
    if (state != QStringLiteral("active")) {
        *detail = QStringLiteral("grant state \"%1\" (%2)").arg(state, reason);
        return Outcome::Other;
    }
    return usableToken(detail).isEmpty() ? Outcome::Other : Outcome::Usable;
}

void TestRefreshCrashSafety::fiftyKillsDuringRefresh()
{
    bool seeded = false;
    quint32 seed = qEnvironmentVariable("LATCHKEY_CRASH_SEED").toUInt(&seeded);
    if (!seeded) {
        seed = QRandomGenerator::global()->generate();
    }
    qInfo("kill delays: seed %u (LATCHKEY_CRASH_SEED=%u replays them)", seed, seed);
    QRandomGenerator random(seed);
    // Stratified over the window so the whole refresh is covered, in random order.
    QList<int> delays;
    for (int i = 0; i < kCycles; ++i) {
        delays << static_cast<int>((i + random.generateDouble()) * kKillWindowMs / kCycles);
    }
    std::shuffle(delays.begin(), delays.end(), random);

    std::map<std::pair<Landing, Outcome>, int> table;
    std::map<Outcome, int> outcomes;
    QStringList problems;
    QStringList needsLoginReasons;
    QElapsedTimer elapsed;
    elapsed.start();
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        QVERIFY(waitUntilAsIdle());
        const QJsonObject before = waitUntilRefreshDue();
        QVERIFY2(!before.isEmpty(), "no token set in the keychain, or its refresh never came due");
        const QString refreshTokenBefore = before.value(QStringLiteral("refresh_token")).toString();
        const int rotationsBefore = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt();

        // Start (it refreshes at once: the stored refresh is due), ask, kill at the random moment.
        QVERIFY(m_grant->daemon().start());
        bool killed = false;
        {
            latchkey::ipc::Client asker(m_grant->daemon().socketPath());
            QVERIFY(asker.connectToDaemon(5000));
            asker.callAsync("token.get", {{"name", m_grant->name().toStdString()}}, [](const Response &) {});
            QTimer::singleShot(delays.at(cycle), this, [&] {
                m_grant->daemon().kill();
                killed = true;
            });
            QVERIFY(QTest::qWaitFor([&] { return killed; }, kKillWindowMs + 10000));
        }

        // Where the kill landed: the AS's rotation count and the keychain, once the AS is done.
        QVERIFY(waitUntilAsIdle());
        const QString refreshTokenAtKill =
            m_grant->keychainTokenSet().value(QStringLiteral("refresh_token")).toString();
        const int rotations = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt() - rotationsBefore;
        const Landing landing = refreshTokenAtKill != refreshTokenBefore ? Landing::Persisted
                                : rotations > 0                          ? Landing::RotatedNotPersisted
                                                                         : Landing::BeforeRotation;

        // Restart and check.
        QVERIFY(m_grant->daemon().start());
        QString detail;
        const Outcome outcome = checkGrant(refreshTokenAtKill, &detail);
        ++table[{landing, outcome}];
        ++outcomes[outcome];
        if (outcome == Outcome::Other) {
            problems << QStringLiteral("cycle %1 (kill at %2 ms, %3): %4")
                            .arg(cycle)
                            .arg(delays.at(cycle))
                            .arg(QString::fromLatin1(landingName(landing)), detail);
        } else if (outcome == Outcome::NeedsLogin) {
            needsLoginReasons << QStringLiteral("cycle %1: %2").arg(cycle).arg(detail);
            // Later cycles need a grant: sign in again.
            const QString signedIn = m_grant->signIn();
            QVERIFY2(signedIn.isEmpty(), qPrintable(signedIn));
        }
        QVERIFY2(m_grant->daemon().stop(), "latchkeyd did not exit cleanly on SIGTERM");
        if (outcome == Outcome::Other) {
            break; // no point piling more cycles onto a broken state
        }
    }
    const QJsonObject stats = m_grant->asStats();
    qInfo("%d kill cycles in %lld ms; AS: %d refresh grants, %d rotated refresh tokens accepted in the grace period",
          int(outcomes[Outcome::Usable] + outcomes[Outcome::NeedsLogin] + outcomes[Outcome::Other]), elapsed.elapsed(),
          stats.value(QStringLiteral("refresh_grants")).toInt(), stats.value(QStringLiteral("grace_reuses")).toInt());
    for (const auto &[key, count] : table) {
        qInfo("  killed %-48s -> %-11s x %d", landingName(key.first), outcomeName(key.second), count);
    }
    qInfo("  total: usable %d, needs_login %d, other %d", outcomes[Outcome::Usable], outcomes[Outcome::NeedsLogin],
          outcomes[Outcome::Other]);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    QCOMPARE(outcomes[Outcome::Usable] + outcomes[Outcome::NeedsLogin], kCycles);
    // With a grace period nothing may cost a sign-in: a needs_login here means Latchkey lost a token.
    QVERIFY2(needsLoginReasons.isEmpty(), qPrintable(needsLoginReasons.join(QLatin1Char('\n'))));
    // The window that matters was hit.
    int inWindow = 0;
    for (const auto &[key, count] : table) {
        inWindow += key.first == Landing::RotatedNotPersisted ? count : 0;
    }
    QVERIFY2(inWindow > 0, "no kill landed between the AS's rotation and the keychain write");
}

void TestRefreshCrashSafety::strictAuthorizationServerCostsASignIn()
{
    // No grace, and the rotated answer held long enough to kill the daemon inside the window for sure.
    QString knobs = m_grant->setTokenEndpoint(2000, 0);
    QVERIFY2(knobs.isEmpty(), qPrintable(knobs));
    QVERIFY(waitUntilAsIdle());
    const QJsonObject before = waitUntilRefreshDue();
    QVERIFY(!before.isEmpty());
    const int rotationsBefore = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt();
    QVERIFY(m_grant->daemon().start());
    QVERIFY(QTest::qWaitFor(
        [&] { return m_grant->asStats().value(QStringLiteral("refresh_responses_held")).toInt() > 0; }, 10000));
    m_grant->daemon().kill();
    QVERIFY(waitUntilAsIdle());
    QCOMPARE(m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt(), rotationsBefore + 1);
    QCOMPARE(m_grant->keychainTokenSet().value(QStringLiteral("refresh_token")).toString(),
             before.value(QStringLiteral("refresh_token")).toString());
    knobs = m_grant->setTokenEndpoint(0, -1);
    QVERIFY2(knobs.isEmpty(), qPrintable(knobs));

    // The restarted daemon presents the rotated refresh token: the AS refuses it and revokes the grant.
    QVERIFY(m_grant->daemon().start());
    QString detail;
    const Outcome outcome = checkGrant(before.value(QStringLiteral("refresh_token")).toString(), &detail);
    qInfo("strict AS, killed after its rotation and before the keychain write: %s (%s)", outcomeName(outcome),
          qPrintable(detail));
    QCOMPARE(outcome, Outcome::NeedsLogin);
    QVERIFY2(detail.contains(QStringLiteral("invalid_grant")), qPrintable(detail));
    QVERIFY(m_grant->keychainTokenSet().isEmpty());

    // Signing in again restores it.
    const QString signedIn = m_grant->signIn();
    QVERIFY2(signedIn.isEmpty(), qPrintable(signedIn));
    QVERIFY2(!usableToken(&detail).isEmpty(), qPrintable(detail));
}

QTEST_GUILESS_MAIN(TestRefreshCrashSafety)
#include "TestRefreshCrashSafety.moc"
