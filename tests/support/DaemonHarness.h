#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace latchkey::test {

// A real latchkeyd process in a throwaway home: its own $HOME, XDG config/state/runtime dirs and
// socket, sharing only the session bus (and so the Secret Service) of the test run.
class DaemonHarness
{
public:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    DaemonHarness();
    ~DaemonHarness();

    QString home() const { return m_home.path(); }
    QString socketPath() const { return m_socketPath; }
    QString configPath() const;
    QString auditPath() const;
    QProcessEnvironment environment() const { return m_env; }
    void setEnv(const QString &name, const QString &value) { m_env.insert(name, value); }
    void unsetEnv(const QString &name) { m_env.remove(name); }

    static QString binary(const QString &name);

    // Starts latchkeyd --foreground and waits (with a deadline) until it logs that it listens.
    bool start(int timeoutMs = 10000);
    // SIGTERM and wait; true on a clean exit with code 0.
    bool stop(int timeoutMs = 10000);
    void kill();
    qint64 pid() const;
    QProcess *process() { return m_daemon.get(); }
    // Everything the daemon wrote to stderr so far.
    QByteArray daemonOutput();

    // Runs the CLI against this daemon; stdin is written then closed.
    Result cli(const QStringList &args, const QByteArray &input = {}, int timeoutMs = 20000) const;

    // Unique per test run, so parallel tests sharing one keychain never collide.
    static QString uniqueName(const QString &prefix);

private:
    QTemporaryDir m_home;
    QString m_socketPath;
    QProcessEnvironment m_env;
    std::unique_ptr<QProcess> m_daemon;
    QByteArray m_output;
};

} // namespace latchkey::test
