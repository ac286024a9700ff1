// Unit tests for bridge::StdioChannel: newline-delimited messages read from a descriptor however the
// bytes arrive, a cap per line that skips to the next line, the end of input, and whole-line writes.
// Pipes stand in for stdin and stdout.
#include "StdioChannel.h"

#include <QSignalSpy>
#include <QTest>

#include <cerrno>
#include <csignal>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using latchkey::bridge::StdioChannel;

namespace {

struct Pipe
{
    int read = -1;
    int write = -1;
    Pipe()
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) == 0) {
            read = fds[0];
            write = fds[1];
        }
    }
    ~Pipe()
    {
        closeRead();
        closeWrite();
    }
    Pipe(const Pipe &) = delete;
    Pipe &operator=(const Pipe &) = delete;
    void closeRead()
    {
        if (read >= 0) {
            ::close(read);
            read = -1;
        }
    }
    void closeWrite()
    {
        if (write >= 0) {
            ::close(write);
            write = -1;
        }
    }
};

bool writeAll(int fd, QByteArrayView bytes)
{
    const char *p = bytes.data();
    qsizetype left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, static_cast<size_t>(left));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        left -= n;
    }
    return true;
}

QByteArray readAvailable(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    QByteArray out;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) {
            break;
        }
        out.append(buffer, n);
    }
    ::fcntl(fd, F_SETFL, flags);
    return out;
}

QList<QByteArray> lines(const QSignalSpy &spy)
{
    QList<QByteArray> out;
    for (const QList<QVariant> &arguments : spy) {
        out << arguments.at(0).toByteArray();
    }
    return out;
}

} // namespace

class TestStdioChannel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneLinePerMessage();
    void partialLinesAcrossReads();
    void blankLinesAreSkipped();
    void crlfLinesKeepTheirCr();
    void lineOverTheCapIsSkippedToTheNextLine();
    void lastLineWithoutNewlineAtEnd();
    void endOfInputClosesOnce();
    void writeAppendsOneNewline();
    void writeOfABigMessageIsWhole();
    void writeToAClosedReaderDoesNotHang();
};

void TestStdioChannel::oneLinePerMessage()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QVERIFY(writeAll(in.write, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"));
    QTRY_COMPARE(received.size(), 3);
    QCOMPARE(lines(received), (QList<QByteArray>{"{\"id\":1}", "{\"id\":2}", "{\"id\":3}"}));
}

void TestStdioChannel::partialLinesAcrossReads()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    const QByteArray message = R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})";
    for (const char c : message) {
        QVERIFY(writeAll(in.write, QByteArrayView(&c, 1)));
        QCoreApplication::processEvents();
    }
    QCOMPARE(received.size(), 0);
    QVERIFY(writeAll(in.write, "\n{\"id\":"));
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.at(0).at(0).toByteArray(), message);
    QVERIFY(writeAll(in.write, "8}\n"));
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(received.at(1).at(0).toByteArray(), QByteArray("{\"id\":8}"));
}

void TestStdioChannel::blankLinesAreSkipped()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QVERIFY(writeAll(in.write, "\n\n  \n{\"id\":1}\n\t\n{\"id\":2}\n"));
    QTRY_COMPARE(received.size(), 2);
    QCOMPARE(lines(received), (QList<QByteArray>{"{\"id\":1}", "{\"id\":2}"}));
}

void TestStdioChannel::crlfLinesKeepTheirCr()
{
    // A CR before the LF is JSON whitespace: the line is handed on as it came, for the JSON parser.
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QVERIFY(writeAll(in.write, "{\"id\":1}\r\n"));
    QTRY_COMPARE(received.size(), 1);
    QCOMPARE(received.at(0).at(0).toByteArray(), QByteArray("{\"id\":1}\r"));
}

void TestStdioChannel::lineOverTheCapIsSkippedToTheNextLine()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QSignalSpy tooLong(&channel, &StdioChannel::lineTooLong);
    // Written by another thread while the event loop reads, so the pipe never blocks the test.
    const QByteArray line =
        "{\"big\":\"" + QByteArray(StdioChannel::kMaxLine + 4 * 1024 * 1024, 'x') + "\"}\n{\"id\":2}\n";
    bool written = false;
    std::jthread writer([&] { written = writeAll(in.write, line); });
    QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 30000);
    writer.join();
    QVERIFY(written);
    QCOMPARE(received.at(0).at(0).toByteArray(), QByteArray("{\"id\":2}"));
    QCOMPARE(tooLong.size(), 1); // once per line, however long it goes on
}

void TestStdioChannel::lastLineWithoutNewlineAtEnd()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QSignalSpy closed(&channel, &StdioChannel::closed);
    QVERIFY(writeAll(in.write, "{\"id\":1}\n{\"id\":2}"));
    QTRY_COMPARE(received.size(), 1);
    in.closeWrite();
    QTRY_COMPARE(closed.size(), 1);
    QCOMPARE(lines(received), (QList<QByteArray>{"{\"id\":1}", "{\"id\":2}"}));
}

void TestStdioChannel::endOfInputClosesOnce()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    QSignalSpy received(&channel, &StdioChannel::lineReceived);
    QSignalSpy closed(&channel, &StdioChannel::closed);
    QVERIFY(writeAll(in.write, "   \n"));
    in.closeWrite();
    QTRY_COMPARE(closed.size(), 1);
    for (int i = 0; i < 10; ++i) { // the notifier is off: no second closed()
        QCoreApplication::processEvents();
    }
    QCOMPARE(closed.size(), 1);
    QCOMPARE(received.size(), 0);
}

void TestStdioChannel::writeAppendsOneNewline()
{
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    channel.write(R"({"jsonrpc":"2.0","id":1,"result":{}})");
    channel.write(R"({"jsonrpc":"2.0","method":"notifications/message"})");
    QCOMPARE(readAvailable(out.read), QByteArray("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
                                                 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n"));
}

void TestStdioChannel::writeOfABigMessageIsWhole()
{
    // Larger than a pipe's buffer: written in several system calls while the reader drains.
    Pipe in;
    Pipe out;
    StdioChannel channel(in.read, out.write);
    const QByteArray message = "\"" + QByteArray(1024 * 1024, 'm') + "\"";
    QByteArray got;
    std::thread reader([&got, fd = out.read, expected = message.size() + 1] {
        char buffer[65536];
        while (got.size() < expected) {
            const ssize_t n = ::read(fd, buffer, sizeof(buffer));
            if (n <= 0) {
                break;
            }
            got.append(buffer, n);
        }
    });
    channel.write(message);
    reader.join();
    QCOMPARE(got.size(), message.size() + 1);
    QCOMPARE(got, message + '\n');
}

void TestStdioChannel::writeToAClosedReaderDoesNotHang()
{
    Pipe in;
    Pipe out;
    out.closeRead();
    StdioChannel channel(in.read, out.write);
    const auto previous = std::signal(SIGPIPE, SIG_IGN); // as latchkey-bridge's main() does
    channel.write(QByteArray(1024 * 1024, 'c'));         // EPIPE: dropped, no exception, no hang
    std::signal(SIGPIPE, previous);
}

QTEST_GUILESS_MAIN(TestStdioChannel)
#include "TestStdioChannel.moc"
