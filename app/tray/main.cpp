#include "Icons.h"
#include "SocketPath.h"
#include "TrayController.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("latchkey-tray"));
    QApplication::setApplicationDisplayName(QStringLiteral("Latchkey"));
    QApplication::setApplicationVersion(QStringLiteral(LATCHKEY_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("latchkey-tray"));
    QApplication::setWindowIcon(latchkey::tray::Icons::application());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Latchkey tray: the state of latchkeyd and its servers."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption socketOption(
        QStringLiteral("socket"),
        QCoreApplication::translate("main", "Connect to the daemon at PATH (default: $LATCHKEY_SOCKET or the "
                                            "per-user socket)."),
        QStringLiteral("PATH"));
    const QCommandLineOption showOption(QStringLiteral("show"),
                                        QCoreApplication::translate("main", "Open the window at start."));
    const QCommandLineOption noTrayOption(
        QStringLiteral("no-tray"),
        QCoreApplication::translate("main", "Do not use the system tray: show the window; closing it quits."));
    parser.addOptions({socketOption, showOption, noTrayOption});
    parser.process(app);

    latchkey::tray::TrayController::Options options;
    options.socketPath =
        parser.isSet(socketOption) ? parser.value(socketOption) : latchkey::ipc::SocketPath::defaultPath();
    options.useSystemTray = !parser.isSet(noTrayOption);
    options.showWindow = parser.isSet(showOption);

    latchkey::tray::TrayController controller(options);
    controller.start();
    return QApplication::exec();
}
