// latchkey-consent-demo (test-only, never installed): shows a ConsentDialog with sample data, for screenshots
// (scripts/screenshots.sh under Xvfb) and for trying the dialog by hand. `--grab FILE` saves the dialog as a
// PNG and exits; otherwise it stays until answered. The shipped tray has no such switch.
#include "ConsentDialog.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("latchkey-consent-demo"));
    QCommandLineParser parser;
    const QCommandLineOption grab(QStringLiteral("grab"), QStringLiteral("Save the dialog to FILE (PNG) and exit."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption stdio(QStringLiteral("stdio"), QStringLiteral("Ask about a STDIO server instead."));
    parser.addHelpOption();
    parser.addOptions({grab, stdio});
    parser.process(app);

    latchkey::tray::ConsentRequest request;
    request.id = 1;
    request.appExecutable = QStringLiteral("/usr/share/code/code");
    request.appName = QStringLiteral("code");
    request.appPid = 48213;
    request.timeoutMs = 60000;
    if (parser.isSet(stdio)) {
        request.serverName = QStringLiteral("github-local");
        request.command = {QStringLiteral("npx"), QStringLiteral("-y"),
                           QStringLiteral("@modelcontextprotocol/server-github")};
        request.tokensOf = {QStringLiteral("github")};
    } else {
        request.serverName = QStringLiteral("github");
        request.serverUrl = QStringLiteral("https://api.githubcopilot.com/mcp/");
    }
    latchkey::tray::ConsentDialog dialog(request);
    QObject::connect(&dialog, &latchkey::tray::ConsentDialog::decided, &app,
                     [](latchkey::tray::ConsentDialog::Outcome outcome) {
                         std::printf("%d\n", static_cast<int>(outcome));
                         QCoreApplication::quit();
                     });
    dialog.show();
    if (parser.isSet(grab)) {
        const QString file = parser.value(grab);
        QTimer::singleShot(500, &dialog, [&dialog, file] {
            const bool saved = dialog.grab().save(file, "PNG");
            std::fprintf(saved ? stdout : stderr, saved ? "saved %s\n" : "cannot save %s\n", qPrintable(file));
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return QApplication::exec();
}
