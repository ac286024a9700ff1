#pragma once

#include <QByteArray>
#include <QObject>

class QSocketNotifier;

namespace latchkey::bridge {

// Newline-delimited JSON-RPC on stdin and stdout (MCP stdio transport). Lines over the cap are
// dropped with an error; stdout carries protocol messages only. The descriptors can be others (tests).
class StdioChannel : public QObject
{
    Q_OBJECT

public:
    static constexpr qsizetype kMaxLine = 16 * 1024 * 1024;

    explicit StdioChannel(QObject *parent = nullptr);
    StdioChannel(int inputFd, int outputFd, QObject *parent = nullptr);
    void write(const QByteArray &message);

Q_SIGNALS:
    void lineReceived(const QByteArray &line);
    void lineTooLong();
    void closed();

private:
    void onReadable();

    int m_inputFd;
    int m_outputFd;
    QSocketNotifier *m_notifier;
    QByteArray m_buffer;
    bool m_discarding = false;
};

} // namespace latchkey::bridge
