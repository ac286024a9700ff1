// latchkeyd: the per-user credential daemon. All logic lives in latchkey_core; this file only
// hardens the process, detaches when asked to, and turns signals into a clean shutdown.
#include "Daemon.h"
#include "Logging.h"
#include "SocketActivation.h"
#include "SocketPath.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const int saved = errno;
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &byte, 1);
    errno = saved;
}

// No core dumps (they would hold secrets) and no ptrace attach by other same-uid processes.
void hardenProcess()
{
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    ::umask(077);
}

// Detached, nobody reads our stderr: logs (never secrets) go to the state directory instead.
void redirectStderrToLog()
{
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty()) {
        state = QDir::home().filePath(QStringLiteral(".local/state"));
    }
    const QString dir = QDir(state).filePath(QStringLiteral("latchkey"));
    QDir().mkpath(dir);
    const QByteArray logPath = QFile::encodeName(QDir(dir).filePath(QStringLiteral("latchkeyd.log")));
    int logFd = ::open(logPath.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (logFd < 0) {
        logFd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    if (logFd >= 0) {
        ::dup2(logFd, STDERR_FILENO);
        ::close(logFd);
    }
}

// Classic detach: the parent waits until the child reports ready (or why not) through a pipe, so
// whoever started us knows the socket is up when we exit 0.
int detach(int *readyFd)
{
    int pipeFds[2];
    if (::pipe(pipeFds) != 0) {
        std::perror("latchkeyd: pipe");
        return -1;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("latchkeyd: fork");
        return -1;
    }
    if (child > 0) {
        ::close(pipeFds[1]);
        char buffer[512];
        ssize_t total = 0;
        ssize_t n = 0;
        while ((n = ::read(pipeFds[0], buffer + total, sizeof(buffer) - 1 - static_cast<size_t>(total))) > 0) {
            total += n;
        }
        buffer[total] = '\0';
        if (total > 0 && buffer[0] == '+') {
            std::_Exit(0);
        }
        std::fprintf(stderr, "latchkeyd: %s\n", total > 1 ? buffer + 1 : "the daemon exited before it was ready");
        std::_Exit(1);
    }
    ::close(pipeFds[0]);
    ::fcntl(pipeFds[1], F_SETFD, FD_CLOEXEC);
    ::setsid();
    const int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devNull >= 0) {
        ::dup2(devNull, STDIN_FILENO);
        ::dup2(devNull, STDOUT_FILENO);
        ::close(devNull);
    }
    redirectStderrToLog();
    *readyFd = pipeFds[1];
    return 0;
}

void report(int readyFd, const QByteArray &message)
{
    if (readyFd < 0) {
        return;
    }
    [[maybe_unused]] const auto n = ::write(readyFd, message.constData(), static_cast<size_t>(message.size()));
    ::close(readyFd);
}

} // namespace

int main(int argc, char *argv[])
{
    hardenProcess();

    // Parsed by hand before QCoreApplication exists: detaching must happen before Qt starts threads.
    bool foreground = false;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--foreground" || arg == "-f") {
            foreground = true;
        } else if (arg == "--version" || arg == "-v" || arg == "--help" || arg == "-h") {
            foreground = true; // answered below without detaching
        }
    }
    const latchkey::SocketActivation::Result activation = latchkey::SocketActivation::fromEnvironment();
    if (!activation.error.isEmpty()) {
        std::fprintf(stderr, "latchkeyd: socket activation: %s\n", activation.error.toLocal8Bit().constData());
        return 1;
    }
    if (activation.activated()) {
        foreground = true; // the service manager supervises us
    }
    int readyFd = -1;
    if (!foreground && detach(&readyFd) != 0) {
        return 1;
    }

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("latchkeyd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LATCHKEY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Latchkey credential daemon"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption({{QStringLiteral("f"), QStringLiteral("foreground")}, QStringLiteral("Do not detach.")});
    parser.addOption({QStringLiteral("socket"), QStringLiteral("Listen on PATH."), QStringLiteral("PATH")});
    parser.process(app);

    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        report(readyFd, "-cannot create the signal pipe");
        return 1;
    }
    struct sigaction action
    {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGHUP, &action, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    QSocketNotifier signalNotifier(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &app, [] {
        qCInfo(lcDaemon) << "signal received, shutting down";
        QCoreApplication::quit();
    });

    latchkey::Daemon::Options options;
    options.socketPath = parser.isSet(QStringLiteral("socket")) ? parser.value(QStringLiteral("socket"))
                                                                : latchkey::ipc::SocketPath::defaultPath();
    options.inheritedSocket = activation.descriptor;
    latchkey::Daemon daemon(options);
    QString error;
    if (!daemon.start(&error)) {
        qCCritical(lcDaemon).noquote() << error;
        report(readyFd, "-" + error.toUtf8());
        return 1;
    }
    report(readyFd, "+");
    const int rc = QCoreApplication::exec();
    daemon.stop();
    return rc;
}
