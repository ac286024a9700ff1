#include "ConsentBench.h"

#include "AppIdentity.h"
#include "DaemonHarness.h"
#include "FrameCodec.h"
#include "IdentityCache.h"
#include "Message.h"
#include "SocketUtil.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <csignal>
#include <unistd.h>

namespace latchkey::bench {

namespace {

using latchkey::AppIdentity;
using latchkey::IdentityCache;
using test::DaemonHarness;

double percentile(std::vector<double> values, double q)
{
    LoadResult r;
    std::sort(values.begin(), values.end());
    r.latenciesUs = std::move(values);
    return r.percentile(q);
}

double median(std::vector<double> values)
{
    return percentile(std::move(values), 0.5);
}

struct Latencies
{
    std::vector<double> firstUs; // the first handout on each fresh connection
    std::vector<double> laterUs; // the ones after it on the same connection
};

// One fresh connection: `1 + later` handouts of frame, each timed; false when one gets no right reply.
bool timeConnection(const std::string &socketPath, const std::string &frame, std::size_t replySize, int later,
                    Latencies *out)
{
    const int fd = connectUnix(socketPath);
    if (fd < 0) {
        return false;
    }
    setReceiveTimeout(fd, 10000);
    bool ok = true;
    for (int i = 0; ok && i <= later; ++i) {
        std::string reply;
        const std::int64_t start = nowNs();
        ok = writeAll(fd, frame.data(), frame.size()) && readFrame(fd, &reply) && reply.size() == replySize;
        const double us = static_cast<double>(nowNs() - start) / 1e3;
        (i == 0 ? out->firstUs : out->laterUs).push_back(us);
    }
    ::close(fd);
    return ok;
}

std::string cli(const DaemonHarness &daemon, const QStringList &args, const QByteArray &input = {})
{
    const auto result = daemon.cli(args, input);
    return result.exitCode == 0
               ? std::string()
               : "latchkey " + args.join(QLatin1Char(' ')).toStdString() + ": " + result.err.toStdString();
}

// Microseconds per call of f: the median over 7 batches of n calls.
template <typename F> double usPerCall(int n, F f)
{
    std::vector<double> batches;
    for (int batch = 0; batch < 7; ++batch) {
        const std::int64_t start = nowNs();
        for (int i = 0; i < n; ++i) {
            f();
        }
        batches.push_back(static_cast<double>(nowNs() - start) / 1e3 / n);
    }
    return median(batches);
}

// The first child of pid, from /proc/PID/task/PID/children, within 10 s.
qint64 childOf(qint64 pid)
{
    const QString path = QStringLiteral("/proc/%1/task/%1/children").arg(pid);
    const std::int64_t deadline = nowNs() + 10'000'000'000LL;
    while (nowNs() < deadline) {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly)) {
            const QByteArray first = file.readAll().trimmed().split(' ').value(0);
            if (!first.isEmpty()) {
                return first.toLongLong();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5)); // polled with a deadline
    }
    return -1;
}

// What the daemon spends naming the app, in this process (no socket, no other load in the figure):
// the walk every handout paid before, and the re-check a cached connection pays now.
std::string printIdentityCost()
{
    const qint64 self = QCoreApplication::applicationPid();
    // `latchkey run` as an app starts it: our CLI (a copy of sleep under that name) under sh -c under
    // this program, a three-process walk.
    QTemporaryDir dir;
    const QString cli = dir.filePath(QStringLiteral("latchkey"));
    if (!dir.isValid() || !QFile::copy(QStringLiteral("/usr/bin/sleep"), cli) ||
        !QFile::setPermissions(cli, QFile::ReadOwner | QFile::ExeOwner)) {
        return "cannot copy /usr/bin/sleep into a scratch directory";
    }
    QProcess shell;
    shell.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("'%1' 60; :").arg(cli)});
    if (!shell.waitForStarted(10000)) {
        return "cannot start /bin/sh";
    }
    const qint64 peer = childOf(shell.processId());
    const QStringList own = {QFileInfo(cli).canonicalFilePath()};
    const auto kill = [&] {
        if (peer > 0) {
            ::kill(static_cast<pid_t>(peer), SIGKILL);
        }
        shell.waitForFinished(10000);
    };
    if (peer < 0 || AppIdentity::identify(peer, own).pid != self) {
        kill();
        return "the CLI under sh -c was not walked back to this program";
    }
    std::printf("  naming the app in this process (median of 7 batches of 2000 calls)\n");
    std::printf("  %-34s %9s %9s\n", "", "walk us", "check us");
    struct Case
    {
        const char *label;
        qint64 pid;
        QStringList ownExecutables;
    };
    for (const Case &measured :
         {Case{"direct peer (1 process)", self, {}}, Case{"CLI under sh -c (3 processes)", peer, own}}) {
        const qint64 pid = measured.pid;
        const QStringList &ownExecutables = measured.ownExecutables;
        const double walk = usPerCall(2000, [&] { AppIdentity::identify(pid, ownExecutables); });
        IdentityCache cache;
        cache.identify(pid, ownExecutables);
        const double check = usPerCall(2000, [&] { cache.identify(pid, ownExecutables); });
        if (cache.walks() != 1) {
            kill();
            return "the cached identity was walked again";
        }
        std::printf("  %-34s %9.2f %9.2f\n", measured.label, walk, check);
    }
    std::printf("\n");
    kill();
    return {};
}

void printRow(const char *label, double p50, double p99, double rate)
{
    std::printf("  %-34s %9.1f %9.1f %10.0f\n", label, p50, p99, rate);
}

} // namespace

std::string runConsentBench(const ConsentBenchSpec &spec, std::uint64_t *allowHandouts)
{
    // A second daemon in ask mode, its grants.json granting this program before it starts.
    DaemonHarness ask;
    ask.setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
    const QString self = QFileInfo(QStringLiteral("/proc/self/exe")).symLinkTarget();
    const QString grantsPath = QFileInfo(ask.configPath()).dir().filePath(QStringLiteral("grants.json"));
    QDir().mkpath(QFileInfo(grantsPath).path());
    const nlohmann::json grants = {
        {"schema", 1},
        {"grants",
         {{{"app", self.toStdString()},
           {"server", spec.server.toStdString()},
           {"decision", "always"},
           {"at", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toStdString()}}}}};
    QFile file(grantsPath);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::fromStdString(grants.dump())) < 0) {
        return "cannot write " + grantsPath.toStdString();
    }
    file.close();
    if (!ask.start()) {
        return "the ask-mode latchkeyd did not start";
    }
    // The same record and the same keychain item (one session keychain): frames and replies are byte for
    // byte those of the allow-mode daemon.
    for (const std::string &error :
         {cli(ask, {QStringLiteral("add"), QStringLiteral("stdio"), spec.server, QStringLiteral("--env"),
                    QStringLiteral("%1=secret:%2").arg(spec.variable, spec.secretKey), QStringLiteral("--"),
                    QStringLiteral("/bin/true")}),
          cli(ask, {QStringLiteral("secret"), QStringLiteral("set"), spec.server, spec.secretKey},
              spec.secret + '\n')}) {
        if (!error.empty()) {
            return error;
        }
    }
    const auto status = ask.cli({QStringLiteral("status"), QStringLiteral("--json")});
    if (!status.out.contains("\"mode\":\"ask\"") && !status.out.contains("\"mode\": \"ask\"")) {
        return "the second latchkeyd is not in ask mode: " + status.out.toStdString();
    }
    LoadSpec askLoad = spec.allowLoad;
    askLoad.socketPath = ask.socketPath().toStdString();
    askLoad.clients = 1;
    LoadSpec allowLoad = spec.allowLoad;
    allowLoad.clients = 1;
    LoadSpec rawLoad = spec.rawLoad;
    rawLoad.clients = 1;
    {
        Latencies probe;
        if (!timeConnection(askLoad.socketPath, askLoad.requestFrame, askLoad.replySize, 0, &probe)) {
            return "the ask-mode daemon does not hand out to this granted program (" + self.toStdString() + ")";
        }
    }

    std::printf("== Consent: server.env in ask mode, this program granted \"always\" in grants.json ==\n");
    std::printf("  1 client, closed loop on one connection, %d rounds alternating; medians over the rounds\n\n",
                spec.rounds);
    std::printf("  %-34s %9s %9s %10s\n", "", "p50 us", "p99 us", "req/s");
    std::vector<double> p50[3];
    std::vector<double> p99[3];
    std::vector<double> rate[3];
    for (int round = 0; round < spec.rounds; ++round) {
        const LoadSpec *loads[3] = {&rawLoad, &allowLoad, &askLoad};
        for (int i = 0; i < 3; ++i) {
            const LoadResult r = runLoad(*loads[i]);
            if (!r.error.empty()) {
                return "consent load " + std::to_string(i) + ": " + r.error;
            }
            if (i == 1) {
                *allowHandouts += r.answered;
            }
            p50[i].push_back(r.percentile(0.5));
            p99[i].push_back(r.percentile(0.99));
            rate[i].push_back(r.requestsPerSecond());
        }
    }
    const char *labels[3] = {"raw Unix-socket round trip", "latchkeyd server.env, allow mode",
                             "latchkeyd server.env, ask, granted"};
    for (int i = 0; i < 3; ++i) {
        printRow(labels[i], median(p50[i]), median(p99[i]), median(rate[i]));
    }
    std::printf("  %-34s %8.2fx %8.2fx\n\n", "ratio ask/allow", median(p50[2]) / median(p50[1]),
                median(p99[2]) / median(p99[1]));

    // First handout on a fresh connection (ask: the parent walk fills the connection's IdentityCache)
    // against the later ones (ask: only its /proc/PID/stat re-check). Connections alternate between the
    // daemons so drift in machine load hits both alike.
    Latencies allowTimes;
    Latencies askTimes;
    for (int i = 0; i < spec.connections; ++i) {
        if (!timeConnection(allowLoad.socketPath, allowLoad.requestFrame, allowLoad.replySize, spec.laterPerConnection,
                            &allowTimes) ||
            !timeConnection(askLoad.socketPath, askLoad.requestFrame, askLoad.replySize, spec.laterPerConnection,
                            &askTimes)) {
            return "a handout on a fresh connection failed";
        }
        *allowHandouts += static_cast<std::uint64_t>(spec.laterPerConnection) + 1;
    }
    std::printf("  first handout on a fresh connection vs later ones (%d connections per daemon, %d later each)\n",
                spec.connections, spec.laterPerConnection);
    std::printf("  %-34s %9s %9s %9s %9s\n", "", "first p50", "first p99", "later p50", "later p99");
    for (const auto &[label, times] : {std::pair<const char *, Latencies *>{"allow mode", &allowTimes},
                                       std::pair<const char *, Latencies *>{"ask mode, granted", &askTimes}}) {
        std::printf("  %-34s %9.1f %9.1f %9.1f %9.1f\n", label, percentile(times->firstUs, 0.5),
                    percentile(times->firstUs, 0.99), percentile(times->laterUs, 0.5),
                    percentile(times->laterUs, 0.99));
    }
    std::printf("  (ask, first: identity walked in /proc; ask, later: cached per connection, re-checked)\n\n");
    if (const std::string why = printIdentityCost(); !why.empty()) {
        return why;
    }

    // The keychain item is the allow-mode daemon's too: it removes it at the end.
    if (!ask.stop()) {
        return "the ask-mode latchkeyd did not stop cleanly";
    }
    return {};
}

} // namespace latchkey::bench
