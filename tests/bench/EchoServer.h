#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace latchkey::bench {

// The baseline for the handover benchmark: a trivial Unix-socket server on one thread (like the
// daemon's single event loop), epoll-driven, that answers each length-prefixed request frame with a
// reply frame of a fixed size. It copies the request's id digits into the reply, so the load
// clients can check correlation exactly as they do against the daemon. No JSON, no allocation per
// request: what is left is the kernel's round trip plus one epoll wake-up.
class EchoServer
{
public:
    // replyPayload: the reply's payload; idSource/idTarget: where the id digits sit in the request
    // and reply payloads; idWidth: how many digits to copy.
    EchoServer(std::string socketPath, std::string replyPayload, std::size_t idSource, std::size_t idTarget,
               std::size_t idWidth);
    ~EchoServer();
    EchoServer(const EchoServer &) = delete;
    EchoServer &operator=(const EchoServer &) = delete;

    bool start(std::string *error);
    void stop();

private:
    void loop();

    std::string m_path;
    std::vector<char> m_replyFrame;
    std::size_t m_idSource;
    std::size_t m_idTarget;
    std::size_t m_idWidth;
    int m_listenFd = -1;
    int m_epollFd = -1;
    int m_wakeFd = -1;
    std::thread m_thread;
};

} // namespace latchkey::bench
