// Single flight, end to end: one grant signed in through chromium at the real AS (10 s access tokens),
// then 200 concurrent token.get requests from 4 processes (TokenStorm: 25 connections each, 2 requests
// per connection, all written before any reply is read) at the moment the stored token goes stale.
// Every process must get the same valid, unexpired, refreshed token, and the AS must count exactly one
// refresh_token grant for the whole storm. Twice: with the daemon running (the token goes stale in
// its hands), and at daemon start after the token has really expired (the first keychain read, the
// start-up refresh and the storm all at once).
//
// The AS holds each refresh answer for 800 ms after rotating (/__test/token-endpoint), so whichever
// request starts the refresh — a storm request, or the daemon's own refresh ahead of expiry, due at
// the same moment — every storm request lands while that one refresh is in flight.
#include "SignedInServer.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

#include <algorithm>

using namespace latchkey::test;
using latchkey::ipc::Response;

namespace {

constexpr int kAccessTtl = 10;
constexpr int kHoldMs = 800;
constexpr int kProcesses = 4;
constexpr int kConnections = 25;
constexpr int kPerConnection = 2;
constexpr int kRequests = kProcesses * kConnections * kPerConnection;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

class TestSingleFlight : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void stormAtTheMomentTheTokenGoesStale();
    void stormAtDaemonStartAfterExpiry();

private:
    struct Storm
    {
        QList<QJsonObject> summaries;
        qint64 goMs = 0;
        int refreshesBeforeGo = 0; // AS refresh grants already counted when the go signal went out
    };
    // Starts the processes, waits until each has its connections up and `ready()` holds, fires,
    // waits for every summary.
    bool runStorm(Storm *storm, const std::function<bool()> &ready, int readyTimeoutMs);
    void verifyStorm(const Storm &storm, const QString &previousToken, int refreshesBefore, const char *label);

    std::unique_ptr<SignedInServer> m_grant;
    QStringList m_tokens; // every token seen, never to appear in the daemon's output
};

void TestSingleFlight::initTestCase()
{
    if (const QString missing = SignedInServer::unavailableReason(); !missing.isEmpty()) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL(qPrintable(missing));
        }
        QSKIP(qPrintable(missing));
    }
    QVERIFY(QFileInfo(QCoreApplication::applicationDirPath() + QStringLiteral("/TokenStorm")).isExecutable());
    m_grant = std::make_unique<SignedInServer>(kAccessTtl);
    const QString started = m_grant->start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    const QString signedIn = m_grant->signIn();
    QVERIFY2(signedIn.isEmpty(), qPrintable(signedIn));
    const QString knobs = m_grant->setTokenEndpoint(kHoldMs, 0);
    QVERIFY2(knobs.isEmpty(), qPrintable(knobs));
}

void TestSingleFlight::cleanupTestCase()
{
    if (!m_grant) {
        return;
    }
    QVERIFY(m_grant->daemon().stop());
    const QByteArray output = m_grant->daemon().daemonOutput();
    for (const QString &token : std::as_const(m_tokens)) {
        QVERIFY2(!output.contains(token.toUtf8()), "a token in the daemon's output");
    }
}

bool TestSingleFlight::runStorm(Storm *storm, const std::function<bool()> &ready, int readyTimeoutMs)
{
    std::vector<std::unique_ptr<QProcess>> processes;
    const QString program = QCoreApplication::applicationDirPath() + QStringLiteral("/TokenStorm");
    for (int i = 0; i < kProcesses; ++i) {
        auto process = std::make_unique<QProcess>();
        process->setProcessEnvironment(m_grant->daemon().environment());
        process->start(program, {QStringLiteral("--socket"), m_grant->daemon().socketPath(), QStringLiteral("--name"),
                                 m_grant->name(), QStringLiteral("--connections"), QString::number(kConnections),
                                 QStringLiteral("--per-connection"), QString::number(kPerConnection)});
        processes.push_back(std::move(process));
    }
    const auto allReady = [&] {
        return std::all_of(processes.begin(), processes.end(), [](const auto &p) { return p->canReadLine(); });
    };
    if (!QTest::qWaitFor(allReady, 20000)) {
        qWarning("the storm processes did not all connect");
        return false;
    }
    for (const auto &process : processes) {
        const QJsonObject line = QJsonDocument::fromJson(process->readLine()).object();
        if (line.value(QStringLiteral("ready")).toInt() != kConnections) {
            qWarning("a storm process is not ready: %s", QJsonDocument(line).toJson().constData());
            return false;
        }
    }
    if (!QTest::qWaitFor(ready, readyTimeoutMs)) {
        qWarning("the moment to fire never came");
        return false;
    }
    storm->refreshesBeforeGo = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt();
    storm->goMs = QDateTime::currentMSecsSinceEpoch();
    for (const auto &process : processes) {
        process->write("go\n");
    }
    const auto allDone = [&] {
        return std::all_of(processes.begin(), processes.end(),
                           [](const auto &p) { return p->state() == QProcess::NotRunning; });
    };
    if (!QTest::qWaitFor(allDone, 60000)) {
        qWarning("the storm processes did not finish");
        return false;
    }
    for (const auto &process : processes) {
        const QJsonObject summary = QJsonDocument::fromJson(process->readAllStandardOutput().trimmed()).object();
        if (process->exitCode() != 0 || summary.isEmpty()) {
            qWarning("a storm process failed: %s", process->readAllStandardError().constData());
            return false;
        }
        storm->summaries << summary;
    }
    return true;
}

void TestSingleFlight::verifyStorm(const Storm &storm, const QString &previousToken, int refreshesBefore,
                                   const char *label)
{
    QCOMPARE(storm.summaries.size(), kProcesses);
    QSet<QString> tokens;
    QSet<qint64> pids;
    int replies = 0;
    qint64 lastReplyMs = 0;
    qint64 minLatency = std::numeric_limits<qint64>::max();
    qint64 maxLatency = 0;
    QList<qint64> medians;
    for (const QJsonObject &summary : storm.summaries) {
        const QByteArray text = QJsonDocument(summary).toJson(QJsonDocument::Compact);
        pids.insert(summary.value(QStringLiteral("pid")).toInteger());
        QCOMPARE(summary.value(QStringLiteral("requests")).toInt(), kConnections * kPerConnection);
        QVERIFY2(summary.value(QStringLiteral("replies")).toInt() == kConnections * kPerConnection, text.constData());
        QVERIFY2(summary.value(QStringLiteral("ok")).toInt() == kConnections * kPerConnection, text.constData());
        QVERIFY2(summary.value(QStringLiteral("expired_on_arrival")).toInt() == 0, text.constData());
        replies += summary.value(QStringLiteral("replies")).toInt();
        lastReplyMs = std::max(lastReplyMs, summary.value(QStringLiteral("last_reply_ms")).toInteger());
        const QJsonObject latency = summary.value(QStringLiteral("latency_ms")).toObject();
        minLatency = std::min(minLatency, latency.value(QStringLiteral("min")).toInteger());
        maxLatency = std::max(maxLatency, latency.value(QStringLiteral("max")).toInteger());
        medians << latency.value(QStringLiteral("median")).toInteger();
        const QJsonArray distinct = summary.value(QStringLiteral("tokens")).toArray();
        for (const QJsonValue &entry : distinct) {
            tokens.insert(entry.toObject().value(QStringLiteral("token")).toString());
        }
    }
    QCOMPARE(pids.size(), kProcesses);
    QCOMPARE(replies, kRequests);
    // Everyone got the same token: a refreshed one, valid when the last reply came, for this server.
    QCOMPARE(tokens.size(), 1);
    const QString token = *tokens.cbegin();
    m_tokens << token;
    QVERIFY(token != previousToken);
    const QJsonObject claims = jwtPayload(token);
    QCOMPARE(claims.value(QStringLiteral("aud")).toString(), m_grant->url());
    QCOMPARE(claims.value(QStringLiteral("iss")).toString(), m_grant->issuer());
    QVERIFY2(claims.value(QStringLiteral("exp")).toInteger() * 1000 > lastReplyMs, "a token expired on arrival");
    const HttpResult called = m_grant->callTool(token);
    QVERIFY2(called.status == 200, called.body.constData());

    // Exactly one refresh_token grant at the AS for the whole storm.
    QVERIFY(QTest::qWaitFor(
        [&] { return m_grant->asStats().value(QStringLiteral("token_requests_in_flight")).toInt() == 0; }, 10000));
    const QJsonObject stats = m_grant->asStats();
    const int refreshes = stats.value(QStringLiteral("refresh_grants")).toInt() - refreshesBefore;
    std::sort(medians.begin(), medians.end());
    qInfo("%s: %d token.get from %d processes (%d connections each, %d requests per connection) -> %d refresh "
          "grant(s) at the AS (%s); storm latency from the go signal: first reply %lld ms, median of process "
          "medians %lld ms, last reply %lld ms (wall %lld ms); AS held the refresh answer %d ms",
          label, replies, kProcesses, kConnections, kPerConnection, refreshes,
          storm.refreshesBeforeGo > refreshesBefore ? "joined the daemon's own refresh, already at the AS"
                                                    : "the storm started it",
          minLatency, medians.at(medians.size() / 2), maxLatency, lastReplyMs - storm.goMs, kHoldMs);
    QCOMPARE(refreshes, 1);
    // The keychain holds what was handed out.
    QCOMPARE(m_grant->keychainTokenSet().value(QStringLiteral("access_token")).toString(), token);
}

void TestSingleFlight::stormAtTheMomentTheTokenGoesStale()
{
    const QJsonObject stored = m_grant->keychainTokenSet();
    const QString previous = stored.value(QStringLiteral("access_token")).toString();
    QVERIFY(!previous.isEmpty());
    m_tokens << previous;
    // TokenManager's rule: stale once less than min(30 s, a quarter of the lifetime) is left (in ms).
    const qint64 expiresAt = stored.value(QStringLiteral("expires_at_ms")).toInteger();
    const qint64 lifetime = expiresAt - stored.value(QStringLiteral("obtained_at_ms")).toInteger();
    QCOMPARE(lifetime, qint64(kAccessTtl) * 1000);
    const qint64 staleAt = expiresAt - std::min<qint64>(30000, lifetime / 4);
    QVERIFY2(nowMs() < staleAt, "the sign-in took so long that the token is stale already");
    const int refreshesBefore = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt();
    QCOMPARE(refreshesBefore, 0);

    Storm storm;
    QVERIFY(runStorm(
        &storm, [&] { return nowMs() >= staleAt; }, (kAccessTtl + 5) * 1000));
    verifyStorm(storm, previous, refreshesBefore, "stale in a running daemon");
}

void TestSingleFlight::stormAtDaemonStartAfterExpiry()
{
    QVERIFY(m_grant->daemon().stop());
    const QJsonObject stored = m_grant->keychainTokenSet();
    const QString previous = stored.value(QStringLiteral("access_token")).toString();
    const qint64 expiresAt = stored.value(QStringLiteral("expires_at_ms")).toInteger();
    // Expired for real while no daemon ran (a laptop waking up).
    QVERIFY(QTest::qWaitFor([&] { return nowMs() >= expiresAt; }, (kAccessTtl + 5) * 1000));
    const int refreshesBefore = m_grant->asStats().value(QStringLiteral("refresh_grants")).toInt();
    QVERIFY(m_grant->daemon().start());

    Storm storm;
    QVERIFY(runStorm(
        &storm, [] { return true; }, 1000));
    verifyStorm(storm, previous, refreshesBefore, "expired, at daemon start");
}

QTEST_GUILESS_MAIN(TestSingleFlight)
#include "TestSingleFlight.moc"
