#include "EchoServer.h"

#include "SocketUtil.h"

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace latchkey::bench {

namespace {

constexpr std::size_t kHeader = 4;
constexpr std::uint32_t kMaxPayload = 1024 * 1024;

// Writes everything, waiting for room when the (non-blocking) socket is full.
bool writeAllNonBlocking(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            size -= static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) { // EWOULDBLOCK is the same value on Linux
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        return false;
    }
    return true;
}

} // namespace

EchoServer::EchoServer(std::string socketPath, std::string replyPayload, std::size_t idSource, std::size_t idTarget,
                       std::size_t idWidth)
    : m_path(std::move(socketPath)), m_idSource(idSource), m_idTarget(idTarget), m_idWidth(idWidth)
{
    m_replyFrame.resize(kHeader + replyPayload.size());
    putBigEndian32(m_replyFrame.data(), static_cast<std::uint32_t>(replyPayload.size()));
    std::memcpy(m_replyFrame.data() + kHeader, replyPayload.data(), replyPayload.size());
}

EchoServer::~EchoServer()
{
    stop();
}

bool EchoServer::start(std::string *error)
{
    m_listenFd = listenUnix(m_path, error);
    if (m_listenFd < 0) {
        return false;
    }
    m_epollFd = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epollFd < 0 || m_wakeFd < 0) {
        *error = std::string("epoll/eventfd: ") + std::strerror(errno);
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_listenFd;
    ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_listenFd, &ev);
    ev.data.fd = m_wakeFd;
    ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, m_wakeFd, &ev);
    m_thread = std::thread([this] { loop(); });
    return true;
}

void EchoServer::stop()
{
    if (m_thread.joinable()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(m_wakeFd, &one, sizeof(one));
        m_thread.join();
    }
    for (int *fd : {&m_listenFd, &m_epollFd, &m_wakeFd}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
    if (!m_path.empty()) {
        ::unlink(m_path.c_str());
    }
}

void EchoServer::loop()
{
    std::unordered_map<int, std::string> pending; // bytes of an incomplete request, per connection
    std::string out;
    char buffer[64 * 1024];
    epoll_event events[64];
    for (;;) {
        const int ready = ::epoll_wait(m_epollFd, events, 64, -1);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        for (int i = 0; i < ready; ++i) {
            const int fd = events[i].data.fd;
            if (fd == m_wakeFd) {
                for (const auto &entry : pending) {
                    ::close(entry.first);
                }
                return;
            }
            if (fd == m_listenFd) {
                const int client = ::accept4(m_listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (client >= 0) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.fd = client;
                    ::epoll_ctl(m_epollFd, EPOLL_CTL_ADD, client, &ev);
                    pending.emplace(client, std::string());
                }
                continue;
            }
            const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            }
            std::string &in = pending[fd];
            bool broken = n <= 0;
            if (!broken) {
                in.append(buffer, static_cast<std::size_t>(n));
            }
            out.clear();
            std::size_t at = 0;
            while (!broken && in.size() - at >= kHeader) {
                const std::uint32_t length = getBigEndian32(in.data() + at);
                if (length == 0 || length > kMaxPayload) {
                    broken = true;
                    break;
                }
                if (in.size() - at - kHeader < length) {
                    break;
                }
                const std::size_t reply = out.size();
                out.append(m_replyFrame.data(), m_replyFrame.size());
                if (m_idSource + m_idWidth <= length) {
                    std::memcpy(out.data() + reply + kHeader + m_idTarget, in.data() + at + kHeader + m_idSource,
                                m_idWidth);
                }
                at += kHeader + length;
            }
            in.erase(0, at);
            if (!broken && !out.empty()) {
                broken = !writeAllNonBlocking(fd, out.data(), out.size());
            }
            if (broken) {
                ::epoll_ctl(m_epollFd, EPOLL_CTL_DEL, fd, nullptr);
                ::close(fd);
                pending.erase(fd);
            }
        }
    }
}

} // namespace latchkey::bench
