#include "Cli.h"

#include <QCoreApplication>

#include <csignal>

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("latchkey"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LATCHKEY_VERSION));
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    return latchkey::cli::Cli(args).run();
}
