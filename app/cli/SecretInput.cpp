#include "SecretInput.h"

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace latchkey::cli {

namespace {

QByteArray readAll(int fd, qsizetype limit, bool stopAtNewline)
{
    QByteArray out;
    char buffer[4096];
    while (out.size() <= limit) {
        const ssize_t n = ::read(fd, buffer, stopAtNewline ? 1 : sizeof(buffer));
        if (n <= 0) {
            break;
        }
        out.append(buffer, n);
        if (stopAtNewline && buffer[0] == '\n') {
            break;
        }
    }
    return out;
}

} // namespace

std::optional<QByteArray> SecretInput::read(const QString &prompt, QString *error)
{
    QByteArray value;
    if (::isatty(STDIN_FILENO)) {
        termios saved{};
        if (::tcgetattr(STDIN_FILENO, &saved) != 0) {
            *error = QStringLiteral("cannot read the terminal settings");
            return std::nullopt;
        }
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        std::fputs(prompt.toLocal8Bit().constData(), stderr);
        std::fflush(stderr);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        value = readAll(STDIN_FILENO, kMaxBytes, true);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    } else {
        value = readAll(STDIN_FILENO, kMaxBytes, false);
    }
    if (value.size() > kMaxBytes) {
        value.fill('\0');
        *error = QStringLiteral("the secret is longer than %1 bytes").arg(kMaxBytes);
        return std::nullopt;
    }
    if (value.endsWith('\n')) {
        value.chop(1);
        if (value.endsWith('\r')) {
            value.chop(1);
        }
    }
    if (value.isEmpty()) {
        *error = QStringLiteral("no secret given (pipe it to stdin or type it at the prompt)");
        return std::nullopt;
    }
    return value;
}

} // namespace latchkey::cli
