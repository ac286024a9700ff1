#pragma once

#include "Client.h"

#include <QStringList>

#include <memory>

namespace latchkey::cli {

// The `latchkey` command line (see design.md, "Command line"). Exit codes: 0 ok, 1 refused or failed,
// 2 usage, 3 daemon unreachable.
class Cli
{
public:
    enum ExitCode
    {
        Ok = 0,
        Failed = 1,
        Usage = 2,
        Unreachable = 3
    };

    explicit Cli(QStringList arguments);
    int run();

private:
    int status(QStringList args);
    int servers(QStringList args);
    int add(QStringList args);
    int remove(QStringList args);
    int secret(QStringList args);
    int client(QStringList args);
    int runServer(QStringList args);
    int audit(QStringList args);
    int addRemote(const QString &url, QStringList args);
    int login(QStringList args);
    int logout(QStringList args);
    int token(QStringList args);
    int connectBridge(QStringList args);
    int usage(const QString &message = {});

    // Connects (starting the daemon when its socket is absent); false after printing why.
    bool ensureConnected();
    // Performs a call, printing the daemon's error; nullopt on failure with *exitCode set.
    std::optional<ipc::Json> call(const std::string &method, ipc::Json params, int *exitCode, int timeoutMs = 30000,
                                  std::function<void(const ipc::Event &)> onEvent = {});
    static bool takeFlag(QStringList &args, const QString &flag);

    QStringList m_args;
    QString m_socketPath;
    std::unique_ptr<ipc::Client> m_client;
};

} // namespace latchkey::cli
