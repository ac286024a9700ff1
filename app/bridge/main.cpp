// latchkey-bridge: what `latchkey connect URL` runs. Kept out of the `latchkey` binary so the CLI's
// other commands start without QtNetwork.
#include "Bridge.h"
#include "SocketPath.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

int main(int argc, char *argv[])
{
    std::signal(SIGPIPE, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("latchkey-bridge"));
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();

    latchkey::bridge::Bridge::Options options;
    options.socketPath = latchkey::ipc::SocketPath::defaultPath();
    QString url;
    const auto usage = [] {
        std::fputs("usage: latchkey connect URL [--header K:V]... [--scope S]... [--yes] [--socket PATH]\n", stderr);
        return 2;
    };
    while (!args.isEmpty()) {
        const QString arg = args.takeFirst();
        if (arg == QStringLiteral("--yes") || arg == QStringLiteral("-y")) {
            options.assumeYes = true;
        } else if ((arg == QStringLiteral("--header") || arg == QStringLiteral("--scope") ||
                    arg == QStringLiteral("--socket")) &&
                   !args.isEmpty()) {
            const QString value = args.takeFirst();
            if (arg == QStringLiteral("--scope")) {
                options.scopes << value;
            } else if (arg == QStringLiteral("--socket")) {
                options.socketPath = value;
            } else {
                const qsizetype colon = value.indexOf(QLatin1Char(':'));
                if (colon <= 0) {
                    return usage();
                }
                options.headers.append({value.left(colon).trimmed().toUtf8(), value.mid(colon + 1).trimmed().toUtf8()});
            }
        } else if (url.isEmpty() && !arg.startsWith(QLatin1Char('-'))) {
            url = arg;
        } else {
            return usage();
        }
    }
    options.url = QUrl(url, QUrl::StrictMode);
    if (!options.url.isValid() ||
        (options.url.scheme() != QStringLiteral("https") && options.url.scheme() != QStringLiteral("http"))) {
        return usage();
    }
    latchkey::bridge::Bridge bridge(options);
    QObject::connect(&bridge, &latchkey::bridge::Bridge::finished, &app,
                     [](int code) { QCoreApplication::exit(code); });
    bridge.start();
    return QCoreApplication::exec();
}
