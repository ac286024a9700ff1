#include "FrameLoad.h"

#include "SocketUtil.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <latch>
#include <mutex>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

namespace latchkey::bench {

namespace {

enum Phase : int
{
    Warmup,
    Measure,
    Done
};

constexpr std::uint64_t kFirstId = 1000000; // 7 digits, so every request frame has the same size
constexpr std::uint64_t kLastId = 9999999;

void writeDigits(char *out, std::size_t width, std::uint64_t value)
{
    for (std::size_t i = width; i > 0; --i) {
        out[i - 1] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

struct ClientResult
{
    std::vector<double> latenciesUs;
    std::uint64_t answered = 0;
    std::string error;
};

void runClient(const LoadSpec &spec, const std::atomic<int> &phase, std::latch &connected, ClientResult *result)
{
    const int fd = connectUnix(spec.socketPath);
    if (fd < 0) {
        result->error = std::string("connect: ") + std::strerror(errno);
        connected.count_down();
        return;
    }
    setReceiveTimeout(fd, 10000);
    result->latenciesUs.reserve(1 << 18);
    std::string frame = spec.requestFrame;
    std::vector<char> reply(4 + spec.replySize + 1);
    std::uint64_t id = kFirstId;
    connected.count_down();
    connected.wait();
    for (;;) {
        const int before = phase.load(std::memory_order_relaxed);
        if (before == Done) {
            break;
        }
        writeDigits(frame.data() + spec.idOffset, spec.idWidth, id);
        const std::int64_t start = nowNs();
        if (!writeAll(fd, frame.data(), frame.size())) {
            result->error = std::string("send: ") + std::strerror(errno);
            break;
        }
        // One recv normally brings the whole reply; loop for the rare split.
        std::size_t got = 0;
        std::size_t want = 4;
        bool ok = true;
        while (got < want) {
            const ssize_t n = ::recv(fd, reply.data() + got, reply.size() - got, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                result->error =
                    n == 0 ? std::string("server closed the connection") : std::string("recv: ") + std::strerror(errno);
                ok = false;
                break;
            }
            got += static_cast<std::size_t>(n);
            if (want == 4 && got >= 4) {
                const std::uint32_t length = getBigEndian32(reply.data());
                if (length != spec.replySize) {
                    result->error =
                        "reply of " + std::to_string(length) + " bytes, expected " + std::to_string(spec.replySize);
                    ok = false;
                    break;
                }
                want = 4 + length;
            }
        }
        const std::int64_t end = nowNs();
        if (!ok) {
            break;
        }
        if (got != want) {
            result->error = "server sent more than one reply";
            break;
        }
        if (std::memcmp(reply.data() + 4 + spec.replyIdOffset, frame.data() + spec.idOffset, spec.idWidth) != 0) {
            result->error = "reply carries the wrong id";
            break;
        }
        ++result->answered;
        if (before == Measure && phase.load(std::memory_order_relaxed) == Measure) {
            result->latenciesUs.push_back(static_cast<double>(end - start) / 1000.0);
        }
        id = id == kLastId ? kFirstId : id + 1;
    }
    ::close(fd);
}

} // namespace

double LoadResult::percentile(double q) const
{
    if (latenciesUs.empty()) {
        return 0;
    }
    const auto n = static_cast<double>(latenciesUs.size());
    const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
    return latenciesUs[std::min(rank, latenciesUs.size()) - 1];
}

LoadResult runLoad(const LoadSpec &spec)
{
    const auto clients = static_cast<std::size_t>(spec.clients);
    std::atomic<int> phase{Warmup};
    std::latch connected(static_cast<std::ptrdiff_t>(clients));
    std::vector<ClientResult> results(clients);
    std::vector<std::thread> threads;
    threads.reserve(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        threads.emplace_back(runClient, std::cref(spec), std::cref(phase), std::ref(connected), &results[i]);
    }
    connected.wait();
    const auto sleepFor = [](double seconds) {
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6)));
    };
    sleepFor(spec.warmupSeconds);
    const std::int64_t start = nowNs();
    phase.store(Measure, std::memory_order_relaxed);
    sleepFor(spec.measureSeconds);
    phase.store(Done, std::memory_order_relaxed);
    const std::int64_t end = nowNs();
    for (auto &thread : threads) {
        thread.join();
    }
    LoadResult out;
    out.seconds = static_cast<double>(end - start) / 1e9;
    for (auto &result : results) {
        if (out.error.empty() && !result.error.empty()) {
            out.error = result.error;
        }
        out.answered += result.answered;
        out.latenciesUs.insert(out.latenciesUs.end(), result.latenciesUs.begin(), result.latenciesUs.end());
    }
    out.requests = out.latenciesUs.size();
    std::sort(out.latenciesUs.begin(), out.latenciesUs.end());
    return out;
}

} // namespace latchkey::bench
