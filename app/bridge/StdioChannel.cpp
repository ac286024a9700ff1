#include "StdioChannel.h"

#include <QSocketNotifier>

#include <cerrno>
#include <unistd.h>

namespace latchkey::bridge {

StdioChannel::StdioChannel(QObject *parent) : StdioChannel(STDIN_FILENO, STDOUT_FILENO, parent) {}

StdioChannel::StdioChannel(int inputFd, int outputFd, QObject *parent)
    : QObject(parent), m_inputFd(inputFd), m_outputFd(outputFd),
      m_notifier(new QSocketNotifier(inputFd, QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &StdioChannel::onReadable);
}

void StdioChannel::write(const QByteArray &message)
{
    QByteArray line = message;
    line.append('\n');
    const char *data = line.constData();
    qsizetype left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(m_outputFd, data, static_cast<size_t>(left));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; // the client went away; stdin's end will close us
        }
        data += n;
        left -= n;
    }
}

void StdioChannel::onReadable()
{
    char chunk[65536];
    const ssize_t n = ::read(m_inputFd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) {
        return;
    }
    if (n <= 0) {
        m_notifier->setEnabled(false);
        if (!m_buffer.trimmed().isEmpty() && !m_discarding) {
            Q_EMIT lineReceived(std::exchange(m_buffer, {}));
        }
        Q_EMIT closed();
        return;
    }
    qsizetype start = 0;
    for (qsizetype i = 0; i < n; ++i) {
        if (chunk[i] != '\n') {
            continue;
        }
        if (!m_discarding) {
            m_buffer.append(chunk + start, i - start);
            if (!m_buffer.trimmed().isEmpty()) {
                Q_EMIT lineReceived(m_buffer);
            }
        }
        m_buffer.clear();
        m_discarding = false;
        start = i + 1;
    }
    if (!m_discarding) {
        m_buffer.append(chunk + start, n - start);
        if (m_buffer.size() > kMaxLine) {
            m_buffer.clear();
            m_discarding = true; // skip to the next newline
            Q_EMIT lineTooLong();
        }
    }
}

} // namespace latchkey::bridge
