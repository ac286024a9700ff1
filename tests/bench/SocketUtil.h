#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

// Plain POSIX helpers for the benchmark's load clients and baseline server: no Qt on the measured
// path, so the client side costs as little CPU as possible on a 2-core machine.
namespace latchkey::bench {

inline void putBigEndian32(char *out, std::uint32_t value)
{
    out[0] = static_cast<char>((value >> 24) & 0xffu);
    out[1] = static_cast<char>((value >> 16) & 0xffu);
    out[2] = static_cast<char>((value >> 8) & 0xffu);
    out[3] = static_cast<char>(value & 0xffu);
}

inline std::uint32_t getBigEndian32(const char *in)
{
    const auto byte = [in](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])); };
    return (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
}

inline std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A listening SOCK_STREAM Unix socket at path (an existing file there is removed first); -1 and *error on failure.
int listenUnix(const std::string &path, std::string *error);
// A blocking connection to path, or -1 (errno set).
int connectUnix(const std::string &path);
// Blocking I/O on a connected socket; false on error or end of stream.
bool writeAll(int fd, const char *data, std::size_t size);
// Reads one length-prefixed frame into *payload (blocking); false on error, end of stream or a length over 1 MiB.
bool readFrame(int fd, std::string *payload);
// Sets a receive timeout on a blocking socket, so a dead peer cannot hang the benchmark.
void setReceiveTimeout(int fd, int milliseconds);

} // namespace latchkey::bench
