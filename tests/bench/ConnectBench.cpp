// bench_connect: figures for `latchkey connect`, the stdio <-> Streamable HTTP bridge, against a real MCP
// server with authorization: the SDK's server (tests/servers/mcp-server.mjs, JWTs checked on every request)
// behind oidc-provider (as.mjs), signed in once through chromium, tokens in the real Secret Service and
// fetched from latchkeyd for every request. Beside it in the same run: a direct HTTP client sending the
// same requests to the same server (keep-alive, token held), and mcp-remote when given (--mcp-remote).
// Prints a report; fails only when something does not work (exit 1) or a real part is missing (exit 2).
// Run it through scripts/bench.sh.
#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "NodeServer.h"
#include "SocketUtil.h"

#include "Client.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using latchkey::test::BrowserProgram;
using latchkey::test::DaemonHarness;
using latchkey::test::NodeServer;
namespace bench = latchkey::bench;
namespace ipc = latchkey::ipc;

namespace {

struct Failure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &what)
{
    throw Failure(what);
}

double msSince(std::int64_t startNs)
{
    return static_cast<double>(bench::nowNs() - startNs) / 1e6;
}

// ---- statistics ----

double percentile(std::vector<double> values, double q)
{
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size()) + 0.999999);
    return values[std::min(values.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double median(std::vector<double> values)
{
    return percentile(std::move(values), 0.5);
}

long procStatusKb(pid_t pid, const char *field)
{
    QFile file(QStringLiteral("/proc/%1/status").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray prefix(field);
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(prefix)) {
            return line.mid(prefix.size()).trimmed().split(' ').value(0).toLong();
        }
    }
    return -1;
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
    return ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
}

// ---- the MCP messages, the same for every client ----

std::string initializeRequest()
{
    return R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
           R"("capabilities":{},"clientInfo":{"name":"bench_connect","version":"1"}}})";
}

std::string toolCall(std::int64_t id)
{
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
           R"(,"method":"tools/call","params":{"name":"test-tool","arguments":{}}})";
}

// An answer to request `id`: `"id":N` followed by a delimiter, in whatever key order the sender uses.
bool isAnswerTo(const std::string &message, std::int64_t id)
{
    const std::string key = "\"id\":" + std::to_string(id);
    for (std::size_t at = message.find(key); at != std::string::npos; at = message.find(key, at + 1)) {
        const char next = at + key.size() < message.size() ? message[at + key.size()] : '\0';
        if (next == ',' || next == '}') {
            return message.find("\"result\"") != std::string::npos || message.find("\"error\"") != std::string::npos;
        }
    }
    return false;
}

// ---- an MCP client on a child's stdio (latchkey connect, mcp-remote) ----

// write(2) until done: for pipes (bench::writeAll is for sockets).
bool writeFully(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

class StdioClient
{
public:
    StdioClient(const std::vector<std::string> &argv, const std::vector<std::string> &env, const std::string &errPath)
        : m_program(argv.front()), m_errPath(errPath)
    {
        int in[2];
        int out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
            fail(std::string("pipe: ") + std::strerror(errno));
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID); // no controlling terminal, as MCP clients do
        std::vector<std::string> args = argv;
        std::vector<std::string> envs = env;
        std::vector<char *> argp;
        for (auto &a : args) {
            argp.push_back(a.data());
        }
        argp.push_back(nullptr);
        std::vector<char *> envp;
        for (auto &e : envs) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        m_started = bench::nowNs();
        const int rc = ::posix_spawn(&m_pid, argp[0], &actions, &attributes, argp.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
        ::close(in[0]);
        ::close(out[1]);
        m_in = in[1];
        m_out = out[0];
        if (rc != 0) {
            fail("cannot start " + argv[0] + ": " + std::strerror(rc));
        }
    }
    ~StdioClient()
    {
        if (m_in >= 0) {
            ::close(m_in);
        }
        if (m_out >= 0) {
            ::close(m_out);
        }
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }
    StdioClient(const StdioClient &) = delete;
    StdioClient &operator=(const StdioClient &) = delete;

    pid_t pid() const { return m_pid; }
    std::int64_t startedNs() const { return m_started; }

    void send(const std::string &message)
    {
        const std::string line = message + '\n';
        if (!writeFully(m_in, line.data(), line.size())) {
            failWithOutput("closed its stdin");
        }
    }

    // The next line on stdout, or nullopt at the deadline or the end of the stream.
    std::optional<std::string> readLine(int timeoutMs)
    {
        const std::int64_t deadline = bench::nowNs() + std::int64_t{timeoutMs} * 1000000;
        for (;;) {
            if (const auto newline = m_buffer.find('\n', m_scanned); newline != std::string::npos) {
                std::string line = m_buffer.substr(0, newline);
                m_buffer.erase(0, newline + 1);
                m_scanned = 0;
                return line;
            }
            m_scanned = m_buffer.size();
            const std::int64_t left = (deadline - bench::nowNs()) / 1000000;
            if (left <= 0) {
                return std::nullopt;
            }
            pollfd p{m_out, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
                continue;
            }
            char chunk[65536];
            const ssize_t n = ::read(m_out, chunk, sizeof(chunk));
            if (n <= 0) {
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                return std::nullopt;
            }
            m_buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // Sends `message` and returns the answer to `id` (other lines, such as notifications, are skipped).
    std::string request(const std::string &message, std::int64_t id, int timeoutMs = 30000)
    {
        send(message);
        for (;;) {
            const auto line = readLine(timeoutMs);
            if (!line) {
                failWithOutput("gave no answer to request " + std::to_string(id));
            }
            if (isAnswerTo(*line, id)) {
                return *line;
            }
        }
    }

    // Closes stdin and waits for the exit; the exit code (or 128+signal); kills after timeoutMs.
    int finish(int timeoutMs = 10000)
    {
        ::close(m_in);
        m_in = -1;
        const std::int64_t deadline = bench::nowNs() + std::int64_t{timeoutMs} * 1000000;
        int status = 0;
        while (::waitpid(m_pid, &status, WNOHANG) == 0) {
            if (bench::nowNs() > deadline) {
                ::kill(m_pid, SIGKILL);
                ::waitpid(m_pid, &status, 0);
                break;
            }
            // Drain stdout meanwhile, so the child never blocks on a full pipe; after its end, poll slowly.
            pollfd p{m_out, POLLIN, 0};
            if (m_out >= 0 && ::poll(&p, 1, 10) > 0) {
                char chunk[65536];
                if (::read(m_out, chunk, sizeof(chunk)) == 0) {
                    ::close(m_out);
                    m_out = -1;
                }
            } else if (m_out < 0) {
                ::poll(nullptr, 0, 1);
            }
        }
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // Fails with the end of what the child wrote on stderr.
    [[noreturn]] void failWithOutput(const std::string &what)
    {
        QFile err(QString::fromStdString(m_errPath));
        QByteArray tail;
        if (err.open(QIODevice::ReadOnly)) {
            tail = err.readAll().right(2000);
        }
        int status = 0;
        std::string state = "still running";
        if (m_pid > 0 && ::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            state = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                      : "killed by signal " + std::to_string(WTERMSIG(status));
            m_pid = -1;
        }
        fail(m_program + " " + what + " (" + state + "); its stderr ends:\n" + tail.toStdString());
    }

private:
    std::string m_program;
    std::string m_errPath;
    pid_t m_pid = -1;
    int m_in = -1;
    int m_out = -1;
    std::int64_t m_started = 0;
    std::string m_buffer;
    std::size_t m_scanned = 0;
};

// ---- a direct HTTP/1.1 client: one keep-alive connection, the token held, nothing else ----

class HttpClient
{
public:
    HttpClient(int port, std::string path, std::string token) : m_port(port), m_path(std::move(path))
    {
        m_headers = "Host: 127.0.0.1:" + std::to_string(port) +
                    "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                    "Authorization: Bearer " +
                    token + "\r\n";
    }
    ~HttpClient()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    void setProtocolVersion(const std::string &version) { m_version = "MCP-Protocol-Version: " + version + "\r\n"; }

    // POSTs body; the status and the answer's body.
    std::pair<int, std::string> post(const std::string &body)
    {
        if (m_fd < 0) {
            connectNow();
        }
        const std::string request = "POST " + m_path + " HTTP/1.1\r\n" + m_headers + m_version +
                                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (!bench::writeAll(m_fd, request.data(), request.size())) {
            fail("direct client: cannot write the request");
        }
        return readResponse();
    }

private:
    void connectNow()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(m_port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) != 0) {
            fail(std::string("direct client: connect: ") + std::strerror(errno));
        }
        const int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        bench::setReceiveTimeout(m_fd, 30000);
    }

    bool fill()
    {
        char chunk[65536];
        for (;;) {
            const ssize_t n = ::read(m_fd, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            m_buffer.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
    }

    std::pair<int, std::string> readResponse()
    {
        std::size_t headerEnd;
        while ((headerEnd = m_buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                fail("direct client: the connection closed before the headers");
            }
        }
        const std::string head = m_buffer.substr(0, headerEnd);
        m_buffer.erase(0, headerEnd + 4);
        const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string body;
        if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
            const std::size_t length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
            while (m_buffer.size() < length) {
                if (!fill()) {
                    fail("direct client: the connection closed in the body");
                }
            }
            body = m_buffer.substr(0, length);
            m_buffer.erase(0, length);
        } else if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
            for (;;) {
                std::size_t lineEnd;
                while ((lineEnd = m_buffer.find("\r\n")) == std::string::npos) {
                    if (!fill()) {
                        fail("direct client: the connection closed in a chunk");
                    }
                }
                const std::size_t size = std::strtoull(m_buffer.c_str(), nullptr, 16);
                while (m_buffer.size() < lineEnd + 2 + size + 2) {
                    if (!fill()) {
                        fail("direct client: the connection closed in a chunk");
                    }
                }
                body.append(m_buffer, lineEnd + 2, size);
                m_buffer.erase(0, lineEnd + 2 + size + 2);
                if (size == 0) {
                    break;
                }
            }
        } else {
            fail("direct client: an answer without a length");
        }
        if (lower.find("\r\nconnection: close") != std::string::npos) {
            ::close(m_fd);
            m_fd = -1;
            m_buffer.clear();
        }
        return {status, body};
    }

    int m_port;
    std::string m_path;
    std::string m_headers;
    std::string m_version;
    int m_fd = -1;
    std::string m_buffer;
};

std::string protocolVersionOf(const std::string &answer)
{
    const std::string key = "\"protocolVersion\":\"";
    const auto at = answer.find(key);
    if (at == std::string::npos) {
        return {};
    }
    const auto end = answer.find('"', at + key.size());
    return answer.substr(at + key.size(), end - at - key.size());
}

// ---- one round per client ----

struct Round
{
    double firstAnswerMs = 0; // start (spawn, or connect) -> the initialize answer
    std::vector<double> rttUs;
    long peakRssKb = -1;
};

Round runDirect(int port, const std::string &path, const std::string &token, int warmup, int calls)
{
    Round round;
    const std::int64_t start = bench::nowNs();
    HttpClient client(port, path, token);
    const auto [status, answer] = client.post(initializeRequest());
    if (status != 200 || !isAnswerTo(answer, 1)) {
        fail("direct client: initialize answered HTTP " + std::to_string(status) + ": " + answer);
    }
    round.firstAnswerMs = msSince(start);
    client.setProtocolVersion(protocolVersionOf(answer));
    for (int i = 0; i < warmup + calls; ++i) {
        const std::int64_t id = 2 + i;
        const std::int64_t t0 = bench::nowNs();
        const auto [callStatus, body] = client.post(toolCall(id));
        const std::int64_t t1 = bench::nowNs();
        if (callStatus != 200 || body.find("test-tool ok") == std::string::npos) {
            fail("direct client: tools/call answered HTTP " + std::to_string(callStatus) + ": " + body);
        }
        if (i >= warmup) {
            round.rttUs.push_back(static_cast<double>(t1 - t0) / 1e3);
        }
    }
    return round;
}

Round runStdio(const std::vector<std::string> &argv, const std::vector<std::string> &env, const std::string &errPath,
               int warmup, int calls, bool checkExit)
{
    Round round;
    StdioClient child(argv, env, errPath);
    const std::string answer = child.request(initializeRequest(), 1, 60000);
    round.firstAnswerMs = msSince(child.startedNs());
    if (answer.find("protocolVersion") == std::string::npos) {
        fail(argv[0] + ": initialize failed: " + answer);
    }
    child.send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    for (int i = 0; i < warmup + calls; ++i) {
        const std::int64_t id = 2 + i;
        const std::int64_t t0 = bench::nowNs();
        const std::string reply = child.request(toolCall(id), id);
        const std::int64_t t1 = bench::nowNs();
        if (reply.find("test-tool ok") == std::string::npos) {
            fail(argv[0] + ": tools/call failed: " + reply);
        }
        if (i >= warmup) {
            round.rttUs.push_back(static_cast<double>(t1 - t0) / 1e3);
        }
    }
    round.peakRssKb = procStatusKb(child.pid(), "VmHWM:");
    const int exitCode = child.finish();
    if (checkExit && exitCode != 0) {
        fail(argv[0] + " exited with " + std::to_string(exitCode) + " after stdin closed (see " + errPath + ")");
    }
    return round;
}

// Spawn -> initialize answer only.
double firstAnswer(const std::vector<std::string> &argv, const std::vector<std::string> &env,
                   const std::string &errPath)
{
    StdioClient child(argv, env, errPath);
    child.request(initializeRequest(), 1, 60000);
    const double ms = msSince(child.startedNs());
    child.finish();
    return ms;
}

struct Summary
{
    std::string label;
    double p50 = 0; // ms, medians over the rounds
    double p99 = 0;
    double first = 0; // ms, median over every start
    double peakMiB = -1;
};

Summary summarize(const std::string &label, const std::vector<Round> &rounds, std::vector<double> firsts)
{
    Summary s;
    s.label = label;
    std::vector<double> p50s;
    std::vector<double> p99s;
    long peak = -1;
    for (const Round &r : rounds) {
        p50s.push_back(percentile(r.rttUs, 0.5) / 1e3);
        p99s.push_back(percentile(r.rttUs, 0.99) / 1e3);
        firsts.push_back(r.firstAnswerMs);
        peak = std::max(peak, r.peakRssKb);
    }
    s.p50 = median(p50s);
    s.p99 = median(p99s);
    s.first = median(firsts);
    s.peakMiB = peak < 0 ? -1 : static_cast<double>(peak) / 1024.0;
    return s;
}

void printRow(const Summary &s)
{
    std::printf("  %-30s %8.3f %8.3f %12.1f", s.label.c_str(), s.p50, s.p99, s.first);
    if (s.peakMiB >= 0) {
        std::printf(" %11.1f\n", s.peakMiB);
    } else {
        std::printf(" %11s\n", "-");
    }
}

std::vector<std::string> environmentOf(const QProcessEnvironment &env)
{
    std::vector<std::string> out;
    const QStringList entries = env.toStringList();
    for (const QString &entry : entries) {
        out.push_back(entry.toStdString());
    }
    return out;
}

struct Options
{
    int calls;
    int warmup;
    int rounds;
    int starts;
    QString mcpRemote; // path to mcp-remote's dist/proxy.js, or empty
};

int benchmark(const Options &options)
{
    if (const QString why = NodeServer::unavailableReason(); !why.isEmpty()) {
        std::fprintf(stderr, "bench_connect: %s\n", qPrintable(why));
        return 2;
    }
    if (!QFileInfo(QStringLiteral("/usr/bin/chromium")).isExecutable()) {
        std::fprintf(stderr, "bench_connect: no /usr/bin/chromium for the sign-in\n");
        return 2;
    }
    QTemporaryDir scratch;
    NodeServer as(QStringLiteral("as.mjs"), {QStringLiteral("--access-ttl"), QStringLiteral("3600")});
    if (!as.start()) {
        fail(as.errorString().toStdString());
    }
    const QString issuer = as.value(QStringLiteral("issuer"));
    NodeServer mcp(QStringLiteral("mcp-server.mjs"), {QStringLiteral("--issuer"), issuer});
    if (!mcp.start()) {
        fail(mcp.errorString().toStdString());
    }
    const QString url = mcp.value(QStringLiteral("url"));
    const QUrl parsed(url);

    DaemonHarness daemon;
    BrowserProgram browser(scratch.path());
    browser.installInto(daemon);
    if (!daemon.start()) {
        fail("latchkeyd did not start");
    }
    ipc::Client client(daemon.socketPath());
    if (!client.connectToDaemon(5000)) {
        fail("cannot reach latchkeyd");
    }
    const std::string name = "bench-connect";
    const auto added = client.call("server.add", {{"server",
                                                   {{"name", name},
                                                    {"kind", "remote"},
                                                    {"url", url.toStdString()},
                                                    {"resource", ""},
                                                    {"scopes", ipc::Json::array()}}}});
    if (!added.ok()) {
        fail("server.add: " + added.errorMessage);
    }
    const std::int64_t signInStart = bench::nowNs();
    const auto signedIn = client.call("server.login", {{"name", name}}, 120000);
    if (!signedIn.ok()) {
        fail("server.login: " + signedIn.errorMessage + "\n" + browser.describe().toStdString());
    }
    const double signInMs = msSince(signInStart);
    const auto token = client.call("token.get", {{"name", name}});
    if (!token.ok()) {
        fail("token.get: " + token.errorMessage);
    }
    const std::string accessToken = token.result.value("access_token", std::string());

    std::printf("latchkey connect benchmarks (latchkey %s, %s build)\n", LATCHKEY_VERSION, LATCHKEY_BENCH_BUILD_TYPE);
    std::printf("  CPUs usable: %d, load average at start: %s\n", usableCpus(), loadAverage().c_str());
    std::printf("  server: tests/servers/mcp-server.mjs (MCP SDK, stateless, JSON answers, JWT checked per request)\n"
                "  behind as.mjs (oidc-provider); signed in once through chromium in %.0f ms; tokens in the Secret "
                "Service\n",
                signInMs);
    std::printf("  request: tools/call test-tool, closed loop, one at a time; %d calls per round after %d warm-up, "
                "%d rounds\n  interleaved; p50/p99 are medians over the rounds; first answer: spawn (or connect) -> "
                "initialize\n  answered, median over %d starts\n",
                options.calls, options.warmup, options.rounds, options.rounds + options.starts);

    const auto env = environmentOf(daemon.environment());
    const std::string errDir = scratch.path().toStdString();
    const std::vector<std::string> connectArgv = {DaemonHarness::binary(QStringLiteral("latchkey")).toStdString(),
                                                  "connect", url.toStdString()};
    std::vector<std::string> remoteArgv;
    std::string remoteLabel;
    if (!options.mcpRemote.isEmpty()) {
        remoteArgv = {NodeServer::nodeBinary().toStdString(),
                      options.mcpRemote.toStdString(),
                      url.toStdString(),
                      "--transport",
                      "http-only",
                      "--header",
                      "Authorization:Bearer " + accessToken};
        QFile package(QFileInfo(options.mcpRemote).dir().filePath(QStringLiteral("../package.json")));
        QByteArray version = "?";
        if (package.open(QIODevice::ReadOnly)) {
            const QByteArray text = package.readAll();
            const qsizetype at = text.indexOf("\"version\": \"");
            if (at >= 0) {
                version = text.mid(at + 12, text.indexOf('"', at + 12) - at - 12);
            }
        }
        remoteLabel = "mcp-remote " + version.toStdString();
        std::printf("  %s: node %s … --transport http-only --header Authorization:Bearer <token held, not "
                    "refreshed>\n",
                    remoteLabel.c_str(), qPrintable(QFileInfo(options.mcpRemote).fileName()));
    }

    // Warm the page cache and the dynamic loader, and check that each client works at all.
    runDirect(parsed.port(), parsed.path().toStdString(), accessToken, 5, 5);
    runStdio(connectArgv, env, errDir + "/connect.err", 5, 5, true);
    if (!remoteArgv.empty()) {
        runStdio(remoteArgv, env, errDir + "/mcp-remote.err", 5, 5, false);
    }

    std::vector<Round> direct;
    std::vector<Round> bridge;
    std::vector<Round> remote;
    for (int r = 0; r < options.rounds; ++r) { // interleaved, so drift in machine load hits all alike
        direct.push_back(
            runDirect(parsed.port(), parsed.path().toStdString(), accessToken, options.warmup, options.calls));
        bridge.push_back(runStdio(connectArgv, env, errDir + "/connect.err", options.warmup, options.calls, true));
        if (!remoteArgv.empty()) {
            remote.push_back(
                runStdio(remoteArgv, env, errDir + "/mcp-remote.err", options.warmup, options.calls, false));
        }
    }
    std::vector<double> directFirsts;
    std::vector<double> bridgeFirsts;
    std::vector<double> remoteFirsts;
    for (int i = 0; i < options.starts; ++i) {
        directFirsts.push_back(runDirect(parsed.port(), parsed.path().toStdString(), accessToken, 0, 0).firstAnswerMs);
        bridgeFirsts.push_back(firstAnswer(connectArgv, env, errDir + "/connect.err"));
        if (!remoteArgv.empty()) {
            remoteFirsts.push_back(firstAnswer(remoteArgv, env, errDir + "/mcp-remote.err"));
        }
    }

    // The bridge asked the daemon for the token on every request: the audit log has a handout for each.
    std::uint64_t handouts = 0;
    {
        QFile audit(daemon.auditPath());
        if (audit.open(QIODevice::ReadOnly)) {
            while (!audit.atEnd()) {
                if (audit.readLine().contains("\"event\":\"token.handout\"")) {
                    ++handouts;
                }
            }
        }
    }
    const std::uint64_t bridgeRequests =
        static_cast<std::uint64_t>(options.rounds) * static_cast<std::uint64_t>(options.warmup + options.calls + 1) +
        10 + static_cast<std::uint64_t>(options.starts);

    const Summary d = summarize("direct HTTP client", direct, directFirsts);
    const Summary b = summarize("latchkey connect", bridge, bridgeFirsts);
    std::printf("\n== tools/call through a stdio client, beside a direct HTTP client ==\n");
    std::printf("  %-30s %8s %8s %12s %11s\n", "", "p50 ms", "p99 ms", "first ms", "peak RSS");
    std::printf("  %-30s %8s %8s %12s %11s\n", "", "", "", "", "MiB");
    printRow(d);
    printRow(b);
    if (!remote.empty()) {
        printRow(summarize(remoteLabel, remote, remoteFirsts));
    }
    const double addedMs = b.p50 - d.p50;
    std::printf("  %-30s %8.3f %8.3f\n", "added by latchkey connect", addedMs, b.p99 - d.p99);
    std::printf("  token.get handouts in the audit log: %llu for at least %llu bridge requests\n",
                static_cast<unsigned long long>(handouts), static_cast<unsigned long long>(bridgeRequests));

    struct Target
    {
        const char *name;
        std::string figure;
        bool met;
    };
    char buffer[3][64];
    std::snprintf(buffer[0], sizeof(buffer[0]), "%.3f ms", addedMs);
    std::snprintf(buffer[1], sizeof(buffer[1]), "%.1f MB", b.peakMiB * 1.048576);
    std::snprintf(buffer[2], sizeof(buffer[2]), "%.1f ms", b.first);
    const Target targets[] = {
        {"added round trip p50 <= 0.5 ms", buffer[0], addedMs <= 0.5},
        {"bridge peak RSS <= 20 MB", buffer[1], b.peakMiB * 1.048576 <= 20.0},
        {"first initialize answer <= 50 ms", buffer[2], b.first <= 50.0},
    };
    std::printf("\n== targets (latchkey connect) ==\n");
    for (const Target &target : targets) {
        std::printf("  %-42s %14s   %s\n", target.name, target.figure.c_str(), target.met ? "PASS" : "MISS");
    }
    std::printf("  load average at end: %s\n", loadAverage().c_str());
    if (!daemon.stop()) {
        fail("latchkeyd did not stop cleanly");
    }
    return handouts >= bridgeRequests ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("latchkey connect benchmarks: prints figures, asserts nothing but that it works."));
    parser.addHelpOption();
    const QCommandLineOption callsOption(QStringLiteral("calls"),
                                         QStringLiteral("Measured tools/call per client and round (default 1000)."),
                                         QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption warmupOption(QStringLiteral("warmup"),
                                          QStringLiteral("Unmeasured calls first (default 100)."), QStringLiteral("N"),
                                          QStringLiteral("100"));
    const QCommandLineOption roundsOption(QStringLiteral("rounds"), QStringLiteral("Rounds (default 5)."),
                                          QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption startsOption(QStringLiteral("starts"),
                                          QStringLiteral("Extra starts for the first-answer time (default 10)."),
                                          QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption remoteOption(QStringLiteral("mcp-remote"),
                                          QStringLiteral("mcp-remote's dist/proxy.js, to measure it alongside."),
                                          QStringLiteral("PATH"));
    parser.addOptions({callsOption, warmupOption, roundsOption, startsOption, remoteOption});
    parser.process(app);
    const Options options{std::max(10, parser.value(callsOption).toInt()),
                          std::max(0, parser.value(warmupOption).toInt()),
                          std::max(1, parser.value(roundsOption).toInt()),
                          std::max(0, parser.value(startsOption).toInt()), parser.value(remoteOption)};
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        std::fprintf(stderr, "bench_connect: DBUS_SESSION_BUS_ADDRESS is not set. The benchmark runs only against "
                             "the real Secret Service: use scripts/bench.sh, which starts one.\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return benchmark(options);
    } catch (const Failure &failure) {
        std::fflush(stdout);
        std::fprintf(stderr, "bench_connect: %s\n", failure.what());
        return 1;
    }
}
