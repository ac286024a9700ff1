#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace latchkey::bench {

// A closed-loop load: `clients` threads, each on its own blocking connection, send one request
// frame, wait for its reply, and repeat. Requests that start and end inside the measured window
// count; the warm-up before it does not. Each reply is checked: its size, and that it carries the
// id digits of the request it answers.
struct LoadSpec
{
    std::string socketPath;
    int clients = 1;
    std::string requestFrame;      // a whole frame: 4-byte length, then the payload
    std::size_t idOffset = 0;      // where the id's digits sit in requestFrame (a fixed-width number)
    std::size_t idWidth = 0;       // how many digits
    std::size_t replyIdOffset = 0; // where the same digits must sit in the reply payload
    std::size_t replySize = 0;     // expected reply payload size
    double warmupSeconds = 0.5;
    double measureSeconds = 3.0;
};

struct LoadResult
{
    std::vector<double> latenciesUs; // sorted ascending
    std::uint64_t requests = 0;      // answered inside the measured window
    std::uint64_t answered = 0;      // answered in all, warm-up included
    double seconds = 0;
    std::string error; // empty when every reply was right

    // q in [0, 1]: the nearest-rank percentile of the latencies.
    double percentile(double q) const;
    double requestsPerSecond() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

LoadResult runLoad(const LoadSpec &spec);

} // namespace latchkey::bench
