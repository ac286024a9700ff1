// latchkey_bench: figures for the daemon's hot paths, against a real latchkeyd and the real Secret
// Service (run it through scripts/bench.sh). It prints a report; it never fails on a slow figure, only
// when something does not work (exit 1) or the keychain is missing (exit 2).
#include "ConsentBench.h"
#include "DaemonHarness.h"
#include "EchoServer.h"
#include "FrameCodec.h"
#include "FrameLoad.h"
#include "Message.h"
#include "SocketUtil.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QStandardPaths>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using latchkey::test::DaemonHarness;
namespace bench = latchkey::bench;
namespace ipc = latchkey::ipc;

namespace {

constexpr const char *kVariable = "BENCH_TOKEN";
constexpr const char *kSecretKey = "token";
constexpr std::int64_t kTemplateId = 1000000; // FrameLoad's first id: 7 digits, patched in place

// Something did not work (as opposed to a slow figure): unwinds, so the daemon and the helpers stop.
struct Failure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &what)
{
    throw Failure(what);
}

std::string toStd(const QString &text)
{
    return text.toStdString();
}

// ---- child processes, spawned without Qt so the timing is the program's and not QProcess's ----

std::vector<std::string> environmentOf(const QProcessEnvironment &env)
{
    std::vector<std::string> out;
    for (const QString &entry : env.toStringList()) {
        out.push_back(entry.toStdString());
    }
    return out;
}

std::vector<char *> pointers(std::vector<std::string> &strings)
{
    std::vector<char *> out;
    for (auto &s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

enum class Output
{
    Inherit,
    Quiet,
    QuietStdout
};

pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env, Output output)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (output != Output::Inherit) {
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    if (output == Output::Quiet) {
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    auto argvPtrs = pointers(argv);
    auto envPtrs = pointers(env);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argvPtrs[0], &actions, nullptr, argvPtrs.data(), envPtrs.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        fail("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    return pid;
}

int waitExit(pid_t pid)
{
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct RunTime
{
    double wallMs;
    double cpuMs; // user + system time of the child (and of what it exec'd)
};

// One spawn-to-exit; a non-zero exit is fatal.
RunTime timeRun(const std::vector<std::string> &argv, const std::vector<std::string> &env)
{
    const std::int64_t start = bench::nowNs();
    const pid_t pid = spawn(argv, env, Output::QuietStdout);
    int status = 0;
    rusage usage{};
    while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    const std::int64_t end = bench::nowNs();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail(argv[0] + " did not exit with 0 (status " + std::to_string(status) + ")");
    }
    const auto ms = [](const timeval &tv) {
        return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
    };
    return {static_cast<double>(end - start) / 1e6, ms(usage.ru_utime) + ms(usage.ru_stime)};
}

// ---- /proc ----

long procStatusKb(qint64 pid, const char *field)
{
    QFile file(QStringLiteral("/proc/%1/status").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray prefix(field);
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith(prefix)) {
            return line.mid(prefix.size()).trimmed().split(' ').value(0).toLong();
        }
    }
    return -1;
}

// User + system CPU time of the whole process (every thread), in seconds.
double cpuSeconds(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        return 0;
    }
    const QByteArray stat = file.readAll();
    // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13) {
        return 0;
    }
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return static_cast<double>(fields[11].toLongLong() + fields[12].toLongLong()) / ticks;
}

std::string loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    if (!file.open(QIODevice::ReadOnly)) {
        return "?";
    }
    const QList<QByteArray> parts = file.readAll().split(' ');
    return parts.size() >= 3 ? (parts[0] + " " + parts[1] + " " + parts[2]).toStdString() : std::string("?");
}

int usableCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof(set), &set) != 0) {
        return -1;
    }
    return CPU_COUNT(&set);
}

// ---- statistics ----

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

double percentileOf(std::vector<double> values, double q)
{
    bench::LoadResult r;
    std::sort(values.begin(), values.end());
    r.latenciesUs = std::move(values);
    return r.percentile(q);
}

// ---- protocol helpers ----

std::string requestFrame(const std::string &method, const ipc::Json &params, std::int64_t id)
{
    ipc::Request request;
    request.id = id;
    request.method = method;
    request.params = params;
    const QByteArray frame = ipc::FrameCodec::encode(request.serialize());
    return frame.toStdString();
}

// One request on a fresh connection; the reply's payload, or nullopt.
std::optional<std::string> roundTrip(const std::string &socketPath, const std::string &frame)
{
    const int fd = bench::connectUnix(socketPath);
    if (fd < 0) {
        return std::nullopt;
    }
    bench::setReceiveTimeout(fd, 10000);
    std::string reply;
    const bool ok = bench::writeAll(fd, frame.data(), frame.size()) && bench::readFrame(fd, &reply);
    ::close(fd);
    return ok ? std::optional<std::string>(reply) : std::nullopt;
}

ipc::Json resultOf(const std::string &payload, const char *what)
{
    const auto message =
        ipc::parseDaemonMessage(QByteArrayView(payload.data(), static_cast<qsizetype>(payload.size())));
    if (!message.response) {
        fail(std::string(what) + ": unreadable reply: " + payload);
    }
    if (!message.response->ok()) {
        fail(std::string(what) + ": " + message.response->errorCode + ": " + message.response->errorMessage);
    }
    return message.response->result;
}

void cliOrFail(const DaemonHarness &daemon, const QStringList &args, const QByteArray &input = {})
{
    const auto result = daemon.cli(args, input);
    if (result.exitCode != 0) {
        fail("latchkey " + toStd(args.join(QLatin1Char(' '))) + " failed (" + std::to_string(result.exitCode) +
             "): " + result.err.toStdString());
    }
}

QByteArray randomToken()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray token("bench_");
    for (int i = 0; i < 34; ++i) {
        token.append(alphabet[QRandomGenerator::system()->bounded(static_cast<int>(sizeof(alphabet) - 1))]);
    }
    return token;
}

// ---- report ----

struct Target
{
    std::string name;
    std::string figure;
    bool met;
};

// One load's figures; with several rounds, each is the median over the rounds.
struct Figures
{
    double p50 = 0;
    double p99 = 0;
    double rate = 0;
    double cpuUsPerRequest = 0; // daemon only
    double minRate = 0;
    double maxRate = 0;
};

Figures figuresOf(const bench::LoadResult &r, double cpuUsPerRequest)
{
    const double rate = r.requestsPerSecond();
    return {r.percentile(0.50), r.percentile(0.99), rate, cpuUsPerRequest, rate, rate};
}

Figures medianOf(const std::vector<Figures> &rounds)
{
    const auto pick = [&rounds](double Figures::*field) {
        std::vector<double> values;
        for (const Figures &f : rounds) {
            values.push_back(f.*field);
        }
        return median(values);
    };
    Figures out{pick(&Figures::p50), pick(&Figures::p99), pick(&Figures::rate), pick(&Figures::cpuUsPerRequest), 0, 0};
    const auto [lo, hi] = std::minmax_element(rounds.begin(), rounds.end(),
                                              [](const Figures &a, const Figures &b) { return a.rate < b.rate; });
    out.minRate = lo->rate;
    out.maxRate = hi->rate;
    return out;
}

void printLoadRow(const char *label, int clients, const Figures &f, bool daemon)
{
    std::printf("  %-26s %7d %9.1f %9.1f %10.0f", label, clients, f.p50, f.p99, f.rate);
    if (daemon) {
        std::printf(" %11.1f", f.cpuUsPerRequest);
    } else {
        std::printf(" %11s", "");
    }
    std::printf("   %.0f-%.0f\n", f.minRate, f.maxRate);
}

// value with `decimals` decimals, then suffix ("3.2x", "41234 req/s").
std::string figure(double value, int decimals, const char *suffix)
{
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.*f%s", decimals, value, suffix);
    return buffer;
}

struct Options
{
    double seconds;
    int rounds;
    int runs;
    int starts;
};

int benchmark(const Options &options)
{
    const double seconds = options.seconds;
    const int rounds = options.rounds;
    const int runs = options.runs;
    const int starts = options.starts;
    DaemonHarness daemon;
    const auto env = environmentOf(daemon.environment());
    const std::string latchkeyd = toStd(DaemonHarness::binary(QStringLiteral("latchkeyd")));
    const std::string latchkey = toStd(DaemonHarness::binary(QStringLiteral("latchkey")));
    const std::string socketPath = toStd(daemon.socketPath());
    if (!daemon.start()) {
        fail("latchkeyd did not start");
    }
    const qint64 pid = daemon.pid();

    std::printf("Latchkey benchmarks (latchkey %s, %s build)\n", LATCHKEY_VERSION, LATCHKEY_BENCH_BUILD_TYPE);
    std::printf("  CPUs usable: %d, load average at start: %s\n", usableCpus(), loadAverage().c_str());

    // ---- a stdio server with one secret, stored in the real keychain through the CLI ----
    const std::string statusFrame = requestFrame("status", ipc::Json::object(), 1);
    const auto statusReply = roundTrip(socketPath, statusFrame);
    if (!statusReply) {
        fail("latchkeyd does not answer status");
    }
    // Idle RSS once the daemon has settled (its keychain probe answered).
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long rssAfterStart = procStatusKb(pid, "VmRSS:");

    const QString name = DaemonHarness::uniqueName(QStringLiteral("bench"));
    const QByteArray secret = randomToken();
    cliOrFail(daemon, {QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--env"),
                       QStringLiteral("%1=secret:%2").arg(QLatin1String(kVariable), QLatin1String(kSecretKey)),
                       QStringLiteral("--"), QStringLiteral("/bin/true")});
    cliOrFail(daemon, {QStringLiteral("secret"), QStringLiteral("set"), name, QLatin1String(kSecretKey)},
              secret + "\n");
    const auto statusAgain = roundTrip(socketPath, statusFrame);
    if (!statusAgain) {
        fail("latchkeyd stopped answering status");
    }
    const ipc::Json status = resultOf(*statusAgain, "status");
    const std::string backend = status["keychain"].value("backend", std::string("?"));
    if (!status["keychain"].value("available", false)) {
        fail("the keychain is unavailable: " + status["keychain"].value("error", std::string()));
    }
    std::string keychainCheck = "secret-tool not installed, item not checked";
    if (const QString tool = QStandardPaths::findExecutable(QStringLiteral("secret-tool")); !tool.isEmpty()) {
        QProcess lookup;
        lookup.setProcessEnvironment(daemon.environment());
        lookup.start(tool, {QStringLiteral("lookup"), QStringLiteral("server"), QStringLiteral("latchkey"),
                            QStringLiteral("user"),
                            QStringLiteral("latchkey/secret/%1/%2").arg(name, QLatin1String(kSecretKey))});
        lookup.waitForFinished(10000);
        if (lookup.readAllStandardOutput().trimmed() != secret) {
            fail("the secret is not in the Secret Service keychain (secret-tool lookup)");
        }
        keychainCheck = "item verified with secret-tool";
    }
    std::printf("  keychain: %s (%s); daemon pid %lld\n", backend.c_str(), keychainCheck.c_str(),
                static_cast<long long>(pid));

    // ---- the frames: a real server.env request, and the daemon's real reply ----
    const std::string envFrame = requestFrame("server.env", {{"name", toStd(name)}}, kTemplateId);
    const std::string idDigits = std::to_string(kTemplateId);
    const std::size_t idAt = envFrame.find("\"id\":" + idDigits);
    const auto envReply = roundTrip(socketPath, envFrame);
    if (!envReply) {
        fail("server.env got no reply");
    }
    const ipc::Json envResult = resultOf(*envReply, "server.env");
    if (envResult["env"].value(kVariable, std::string()) != secret.toStdString()) {
        fail("server.env did not hand out the secret");
    }
    if (ipc::Response::success(kTemplateId, envResult).serialize().toStdString() != *envReply) {
        fail("the server.env reply is not byte for byte what ipc::Response::serialize() writes: " + *envReply);
    }
    const std::size_t replyIdAt = envReply->find("\"id\":" + idDigits);
    if (idAt == std::string::npos || replyIdAt == std::string::npos) {
        fail("cannot find the id in the frames");
    }
    const std::size_t idOffset = idAt + 5; // past "id":
    const std::size_t replyIdOffset = replyIdAt + 5;
    std::uint64_t handouts = 1;

    bench::LoadSpec daemonSpec;
    daemonSpec.socketPath = socketPath;
    daemonSpec.requestFrame = envFrame;
    daemonSpec.idOffset = idOffset;
    daemonSpec.idWidth = idDigits.size();
    daemonSpec.replyIdOffset = replyIdOffset;
    daemonSpec.replySize = envReply->size();
    daemonSpec.measureSeconds = seconds;

    // The baseline answers with a frame of the same size (the secret blanked out).
    std::string echoReply = *envReply;
    if (const auto at = echoReply.find(secret.toStdString()); at != std::string::npos) {
        echoReply.replace(at, static_cast<std::size_t>(secret.size()), static_cast<std::size_t>(secret.size()), 'x');
    }
    const std::string echoPath = toStd(QDir(daemon.home()).filePath(QStringLiteral("runtime/bench-echo.sock")));
    bench::EchoServer echo(echoPath, echoReply, idOffset - 4, replyIdOffset, idDigits.size());
    std::string error;
    if (!echo.start(&error)) {
        fail("echo server: " + error);
    }
    bench::LoadSpec echoSpec = daemonSpec;
    echoSpec.socketPath = echoPath;

    std::printf("\n== Secret handover: server.env of a stdio server with one secret (cached in the daemon) ==\n");
    std::printf("  request frame %zu B, reply frame %zu B; closed loop, %.1f s measured after %.1f s warm-up,\n"
                "  %d rounds alternating baseline and daemon; figures are medians over the rounds\n",
                envFrame.size(), envReply->size() + 4, seconds, daemonSpec.warmupSeconds, rounds);
    std::printf("  baseline: single-threaded epoll server in this process answering a same-size frame\n\n");
    std::printf("  %-26s %7s %9s %9s %10s %11s   %s\n", "", "clients", "p50 us", "p99 us", "req/s", "daemon CPU",
                "req/s range");
    std::printf("  %-26s %7s %9s %9s %10s %11s   over %d rounds\n", "", "", "", "", "", "us/req", rounds);
    std::vector<Target> targets;
    double rate16 = 0;
    for (const int clients : {1, 16}) {
        echoSpec.clients = clients;
        daemonSpec.clients = clients;
        std::vector<Figures> rawRounds;
        std::vector<Figures> realRounds;
        for (int round = 0; round < rounds; ++round) { // alternated, so drift in machine load hits both alike
            const bench::LoadResult raw = bench::runLoad(echoSpec);
            if (!raw.error.empty()) {
                fail("echo baseline: " + raw.error);
            }
            const double cpuBefore = cpuSeconds(pid);
            const bench::LoadResult real = bench::runLoad(daemonSpec);
            const double cpuAfter = cpuSeconds(pid);
            handouts += real.answered;
            if (!real.error.empty()) {
                fail("latchkeyd server.env: " + real.error);
            }
            rawRounds.push_back(figuresOf(raw, 0));
            realRounds.push_back(figuresOf(
                real, real.answered > 0 ? (cpuAfter - cpuBefore) * 1e6 / static_cast<double>(real.answered) : 0));
        }
        const Figures raw = medianOf(rawRounds);
        const Figures real = medianOf(realRounds);
        printLoadRow("raw Unix-socket round trip", clients, raw, false);
        printLoadRow("latchkeyd server.env", clients, real, true);
        const double r50 = real.p50 / raw.p50;
        const double r99 = real.p99 / raw.p99;
        std::printf("  %-26s %7s %8.1fx %8.1fx %9.2fx\n\n", "ratio daemon/raw", "", r50, r99, real.rate / raw.rate);
        const std::string suffix = clients == 1 ? " (1 client)" : " (16 clients)";
        targets.push_back({"handover p50 <= 5x raw" + suffix, figure(r50, 1, "x"), r50 <= 5.0});
        targets.push_back({"handover p99 <= 10x raw" + suffix, figure(r99, 1, "x"), r99 <= 10.0});
        if (clients == 16) {
            rate16 = real.rate;
        }
    }
    {
        bench::ConsentBenchSpec consent;
        consent.allowLoad = daemonSpec;
        consent.rawLoad = echoSpec;
        consent.server = name;
        consent.variable = QLatin1String(kVariable);
        consent.secretKey = QLatin1String(kSecretKey);
        consent.secret = secret;
        consent.rounds = rounds;
        if (const std::string why = bench::runConsentBench(consent, &handouts); !why.empty()) {
            fail("consent: " + why);
        }
    }
    echo.stop();
    targets.push_back({"handover >= 25,000 req/s (16 clients)", figure(rate16, 0, " req/s"), rate16 >= 25000});

    // ---- latchkey run NAME -- /bin/true against /bin/true alone ----
    {
        const auto check = daemon.cli(
            {QStringLiteral("run"), name, QStringLiteral("--"), QStringLiteral("printenv"), QLatin1String(kVariable)});
        ++handouts;
        if (check.exitCode != 0 || check.out.trimmed() != secret) {
            fail("latchkey run did not inject the secret: " + check.err.toStdString());
        }
    }
    const std::vector<std::string> runArgv = {latchkey, "run", toStd(name), "--", "/bin/true"};
    const std::vector<std::string> trueArgv = {"/bin/true"};
    for (int i = 0; i < 3; ++i) { // warm the page cache and the dynamic loader
        timeRun(trueArgv, env);
        timeRun(runArgv, env);
        ++handouts;
    }
    std::vector<double> runMs;
    std::vector<double> trueMs;
    std::vector<double> runCpuMs;
    std::vector<double> trueCpuMs;
    for (int i = 0; i < runs; ++i) { // interleaved, so drift in machine load hits both alike
        const RunTime alone = timeRun(trueArgv, env);
        const RunTime wrapped = timeRun(runArgv, env);
        ++handouts;
        trueMs.push_back(alone.wallMs);
        trueCpuMs.push_back(alone.cpuMs);
        runMs.push_back(wrapped.wallMs);
        runCpuMs.push_back(wrapped.cpuMs);
    }
    const double added = median(runMs) - median(trueMs);
    std::printf("== latchkey run NAME -- /bin/true (%d runs each, interleaved) ==\n", runs);
    std::printf("  %-30s %9s %9s %9s\n", "", "wall p50", "wall p90", "CPU p50");
    std::printf("  %-30s %6.2f ms %6.2f ms %6.2f ms\n", "/bin/true", median(trueMs), percentileOf(trueMs, 0.9),
                median(trueCpuMs));
    std::printf("  %-30s %6.2f ms %6.2f ms %6.2f ms\n", "latchkey run NAME -- /bin/true", median(runMs),
                percentileOf(runMs, 0.9), median(runCpuMs));
    std::printf("  %-30s %6.2f ms %9s %6.2f ms\n\n", "added by latchkey run", added, "",
                median(runCpuMs) - median(trueCpuMs));
    targets.push_back({"latchkey run adds <= 10 ms (median)", figure(added, 2, " ms"), added <= 10.0});

    // ---- daemon start-to-ready: spawn -> the socket answers status ----
    std::vector<double> readyMs;
    for (int i = 0; i < starts; ++i) {
        const std::string path =
            toStd(QDir(daemon.home()).filePath(QStringLiteral("runtime/latchkey/ready-%1.sock").arg(i)));
        const std::int64_t start = bench::nowNs();
        const pid_t child = spawn({latchkeyd, "--foreground", "--socket", path}, env, Output::Quiet);
        bool ready = false;
        while (!ready) {
            if (bench::nowNs() - start > 10'000'000'000LL) {
                ::kill(child, SIGKILL);
                waitExit(child);
                fail("a latchkeyd did not answer status within 10 s");
            }
            const int fd = bench::connectUnix(path);
            if (fd < 0) {
                int childStatus = 0;
                if (::waitpid(child, &childStatus, WNOHANG) == child) {
                    fail("a latchkeyd exited before it was ready");
                }
                std::this_thread::sleep_for(std::chrono::microseconds(100));
                continue;
            }
            bench::setReceiveTimeout(fd, 10000);
            std::string reply;
            ready = bench::writeAll(fd, statusFrame.data(), statusFrame.size()) && bench::readFrame(fd, &reply);
            ::close(fd);
            if (ready) {
                readyMs.push_back(static_cast<double>(bench::nowNs() - start) / 1e6);
            }
        }
        ::kill(child, SIGTERM);
        if (waitExit(child) != 0) {
            fail("a latchkeyd did not exit cleanly on SIGTERM");
        }
    }
    std::printf("== latchkeyd start-to-ready (spawn -> socket answers status, %d starts) ==\n", starts);
    std::printf("  median %7.2f ms   min %7.2f ms   max %7.2f ms\n\n", median(readyMs),
                *std::min_element(readyMs.begin(), readyMs.end()), *std::max_element(readyMs.begin(), readyMs.end()));

    // ---- every handout must be in the audit log ----
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long rssAfterRuns = procStatusKb(pid, "VmRSS:");
    const long hwm = procStatusKb(pid, "VmHWM:");
    std::uint64_t audited = 0;
    {
        QFile audit(daemon.auditPath());
        if (!audit.open(QIODevice::ReadOnly)) {
            fail("cannot read the audit log");
        }
        const QByteArray marker = "\"event\":\"secret.handout\"";
        while (!audit.atEnd()) {
            if (audit.readLine().contains(marker)) {
                ++audited;
            }
        }
    }
    std::printf("== latchkeyd idle RSS ==\n");
    std::printf("  after start %6.1f MiB   after the runs %6.1f MiB   (peak %.1f MiB)\n\n",
                static_cast<double>(rssAfterStart) / 1024.0, static_cast<double>(rssAfterRuns) / 1024.0,
                static_cast<double>(hwm) / 1024.0);
    std::printf("== audit ==\n  %llu secret.handout records for %llu handouts: %s\n\n",
                static_cast<unsigned long long>(audited), static_cast<unsigned long long>(handouts),
                audited == handouts ? "every handout recorded" : "MISMATCH");

    std::printf("== targets ==\n");
    for (const Target &target : targets) {
        std::printf("  %-42s %14s   %s\n", target.name.c_str(), target.figure.c_str(), target.met ? "PASS" : "MISS");
    }
    std::printf("  load average at end: %s\n", loadAverage().c_str());

    cliOrFail(daemon, {QStringLiteral("secret"), QStringLiteral("rm"), name, QLatin1String(kSecretKey)});
    if (!daemon.stop()) {
        fail("latchkeyd did not stop cleanly");
    }
    return audited == handouts ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Latchkey benchmarks: prints figures, asserts nothing."));
    parser.addHelpOption();
    const QCommandLineOption secondsOption(QStringLiteral("seconds"),
                                           QStringLiteral("Measured seconds per handover load and round (default 2)."),
                                           QStringLiteral("S"), QStringLiteral("2"));
    const QCommandLineOption runsOption(QStringLiteral("runs"),
                                        QStringLiteral("Runs of `latchkey run` and of /bin/true (default 50)."),
                                        QStringLiteral("N"), QStringLiteral("50"));
    const QCommandLineOption startsOption(QStringLiteral("starts"),
                                          QStringLiteral("Daemon starts for start-to-ready (default 10)."),
                                          QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption roundsOption(
        QStringLiteral("rounds"), QStringLiteral("Rounds of each handover load; figures are medians (default 3)."),
        QStringLiteral("N"), QStringLiteral("3"));
    parser.addOptions({secondsOption, roundsOption, runsOption, startsOption});
    parser.process(app);
    const Options options{
        std::max(0.2, parser.value(secondsOption).toDouble()), std::max(1, parser.value(roundsOption).toInt()),
        std::max(1, parser.value(runsOption).toInt()), std::max(1, parser.value(startsOption).toInt())};

    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        std::fprintf(stderr, "latchkey_bench: DBUS_SESSION_BUS_ADDRESS is not set. The benchmark runs only against "
                             "the real Secret Service: use scripts/bench.sh, which starts one.\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        return benchmark(options);
    } catch (const Failure &failure) {
        std::fflush(stdout);
        std::fprintf(stderr, "latchkey_bench: %s\n", failure.what());
        return 1;
    }
}
