#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

#include <memory>

namespace latchkey::test {

// A Node program from tests/servers/ (the test AS, MCP server, hostile server) run by a test: started
// with /usr/bin/node, ready once it prints its one JSON line on stdout, stopped (SIGTERM, then SIGKILL)
// when the object goes. Its stderr is kept for failure messages.
class NodeServer
{
public:
    // script: a file name under tests/servers/ (e.g. "as.mjs"), args: its options.
    NodeServer(QString script, QStringList args);
    ~NodeServer();
    NodeServer(const NodeServer &) = delete;
    NodeServer &operator=(const NodeServer &) = delete;

    void setEnv(const QString &name, const QString &value) { m_env.insert(name, value); }

    // Starts it and waits, with a deadline, for the ready line. False (and errorString()) when the
    // process ends first, prints something that is not a JSON object, or the deadline passes.
    bool start(int timeoutMs = 30000);
    void stop(int timeoutMs = 5000);

    QJsonObject ready() const { return m_ready; }
    QString value(const QString &key) const;
    QString errorString() const { return m_error; }
    // Everything it wrote to stderr so far.
    QByteArray standardError();
    bool isRunning() const;

    // The node binary (LATCHKEY_NODE, else /usr/bin/node) and tests/servers in the source tree.
    static QString nodeBinary();
    static QString serversDir();
    // Why the Node test servers cannot run here (no node, no `npm ci` yet), or empty when they can.
    static QString unavailableReason();

private:
    QString m_script;
    QStringList m_args;
    QProcessEnvironment m_env;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QJsonObject m_ready;
    QString m_error;
};

} // namespace latchkey::test
