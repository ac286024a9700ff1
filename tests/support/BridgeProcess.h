#pragma once

// `latchkey connect URL …` as an MCP client sees it: a child process that takes newline-delimited
// JSON-RPC on stdin and answers on stdout. Header-only, for the integration and e2e tests of the bridge.
// Every wait has a deadline; every line of stdout must be a JSON-RPC 2.0 message (protocolViolations()
// lists those that were not).
#include "DaemonHarness.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

#include <algorithm>
#include <functional>
#include <memory>

#include <unistd.h>

namespace latchkey::test {

class BridgeProcess
{
public:
    // Started without a controlling terminal (setsid), as MCP clients start their servers.
    bool start(const DaemonHarness &daemon, const QStringList &connectArgs)
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessEnvironment(daemon.environment());
        m_process->setChildProcessModifier([] { ::setsid(); });
        m_process->start(DaemonHarness::binary(QStringLiteral("latchkey")),
                         QStringList{QStringLiteral("connect")} + connectArgs);
        return m_process->waitForStarted(10000);
    }

    qint64 pid() const { return m_process ? m_process->processId() : -1; }
    QProcess *process() { return m_process.get(); }

    void send(const QByteArray &line) { m_process->write(line + '\n'); }
    void send(const QJsonObject &message) { send(QJsonDocument(message).toJson(QJsonDocument::Compact)); }

    // A request with the next id; returns the id.
    int request(const QString &method, const QJsonObject &params = {})
    {
        const int id = ++m_lastId;
        QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                            {QStringLiteral("id"), id},
                            {QStringLiteral("method"), method}};
        if (!params.isEmpty()) {
            message.insert(QStringLiteral("params"), params);
        }
        send(message);
        return id;
    }
    void notify(const QString &method)
    {
        send(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}, {QStringLiteral("method"), method}});
    }

    // The first stdout message that matches, taken out of what was read; the others stay for later
    // waits (answers may come in any order). An empty object when the deadline passes or the process
    // ends first.
    QJsonObject waitFor(const std::function<bool(const QJsonObject &)> &match, int timeoutMs = 30000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        qsizetype checked = 0;
        for (;;) {
            for (; checked < m_messages.size(); ++checked) {
                if (match(m_messages.at(checked))) {
                    return m_messages.takeAt(checked);
                }
            }
            if (deadline.hasExpired() || !readMore(deadline)) {
                return {};
            }
        }
    }
    // The answer (result or error) to request `id`.
    QJsonObject waitForAnswer(int id, int timeoutMs = 30000)
    {
        return waitFor(
            [id](const QJsonObject &message) {
                return message.value(QStringLiteral("id")).toInt(-1) == id &&
                       (message.contains(QStringLiteral("result")) || message.contains(QStringLiteral("error")));
            },
            timeoutMs);
    }
    // request() then waitForAnswer().
    QJsonObject call(const QString &method, const QJsonObject &params = {}, int timeoutMs = 30000)
    {
        return waitForAnswer(request(method, params), timeoutMs);
    }
    QJsonObject callTool(const QString &name, const QJsonObject &arguments = {}, int timeoutMs = 30000)
    {
        QJsonObject params{{QStringLiteral("name"), name}};
        params.insert(QStringLiteral("arguments"), arguments);
        return call(QStringLiteral("tools/call"), params, timeoutMs);
    }
    // initialize, then notifications/initialized; the initialize answer.
    QJsonObject initialize(int timeoutMs = 30000)
    {
        const QJsonObject answer =
            call(QStringLiteral("initialize"),
                 {{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                  {QStringLiteral("capabilities"), QJsonObject()},
                  {QStringLiteral("clientInfo"), QJsonObject{{QStringLiteral("name"), QStringLiteral("latchkey-tests")},
                                                             {QStringLiteral("version"), QStringLiteral("1")}}}},
                 timeoutMs);
        notify(QStringLiteral("notifications/initialized"));
        return answer;
    }

    // Drops what was read and reads on until `match` or the deadline; counts what it dropped. For floods.
    bool drainUntil(const std::function<bool(const QJsonObject &)> &match, qint64 *dropped, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            while (!m_messages.isEmpty()) {
                const QJsonObject next = m_messages.takeFirst();
                if (match(next)) {
                    return true;
                }
                ++*dropped;
            }
            if (deadline.hasExpired() || !readMore(deadline)) {
                return false;
            }
        }
    }

    void closeStdin() { m_process->closeWriteChannel(); }
    // Waits for the exit; the exit code, or -1 (crash, or still running at the deadline: then killed).
    int waitForExit(int timeoutMs = 15000)
    {
        if (m_process->state() != QProcess::NotRunning && !m_process->waitForFinished(timeoutMs)) {
            m_process->kill();
            m_process->waitForFinished(5000);
            return -1;
        }
        collect();
        return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
    }
    bool isRunning() const { return m_process && m_process->state() == QProcess::Running; }

    // Everything on stderr so far.
    QByteArray standardError()
    {
        if (m_process) {
            m_stderr += m_process->readAllStandardError();
        }
        return m_stderr;
    }
    // stderr until it contains `text` or the deadline passes.
    bool waitForStderr(const QByteArray &text, int timeoutMs = 30000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!standardError().contains(text)) {
            if (deadline.hasExpired() || m_process->state() != QProcess::Running) {
                return standardError().contains(text);
            }
            m_process->waitForReadyRead(
                static_cast<int>(std::max<qint64>(1, std::min<qint64>(100, deadline.remainingTime()))));
            m_stdout += m_process->readAllStandardOutput();
            splitLines();
        }
        return true;
    }

    // Messages read but not yet taken by a wait.
    const QList<QJsonObject> &unclaimed() const { return m_messages; }
    // stdout lines that were not a JSON-RPC 2.0 object (must stay empty).
    const QList<QByteArray> &protocolViolations() const { return m_violations; }
    // Bytes read from stdout so far.
    qint64 bytesRead() const { return m_bytesRead; }

    // VmHWM (peak resident set) of the running bridge, in KiB, or -1.
    long peakRssKb() const { return procStatusKb("VmHWM:"); }
    long rssKb() const { return procStatusKb("VmRSS:"); }

    ~BridgeProcess()
    {
        if (m_process && m_process->state() != QProcess::NotRunning) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }

private:
    long procStatusKb(const char *field) const
    {
        QFile file(QStringLiteral("/proc/%1/status").arg(pid()));
        if (pid() <= 0 || !file.open(QIODevice::ReadOnly)) {
            return -1;
        }
        const QByteArray prefix(field);
        const QList<QByteArray> lines = file.readAll().split('\n');
        for (const QByteArray &line : lines) {
            if (line.startsWith(prefix)) {
                return line.mid(prefix.size()).trimmed().split(' ').value(0).toLong();
            }
        }
        return -1;
    }

    bool readMore(const QDeadlineTimer &deadline)
    {
        if (m_process->bytesAvailable() == 0 && m_process->state() != QProcess::Running) {
            collect();
            return !m_messages.isEmpty();
        }
        if (m_process->bytesAvailable() == 0) {
            m_process->waitForReadyRead(
                static_cast<int>(std::max<qint64>(1, std::min<qint64>(200, deadline.remainingTime()))));
        }
        collect();
        return true;
    }

    void collect()
    {
        const QByteArray bytes = m_process->readAllStandardOutput();
        m_bytesRead += bytes.size();
        m_stdout += bytes;
        m_stderr += m_process->readAllStandardError();
        splitLines();
    }

    void splitLines()
    {
        qsizetype start = 0;
        for (;;) {
            const qsizetype end = m_stdout.indexOf('\n', start);
            if (end < 0) {
                break;
            }
            const QByteArray line = m_stdout.mid(start, end - start);
            start = end + 1;
            QJsonParseError error{};
            const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
            if (!doc.isObject() || doc.object().value(QStringLiteral("jsonrpc")).toString() != QStringLiteral("2.0")) {
                if (m_violations.size() < 20) {
                    m_violations << line.left(200);
                }
                continue;
            }
            m_messages << doc.object();
        }
        m_stdout.remove(0, start);
    }

    std::unique_ptr<QProcess> m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QList<QJsonObject> m_messages;
    QList<QByteArray> m_violations;
    qint64 m_bytesRead = 0;
    int m_lastId = 0;
};

// The text of a tools/call answer's first content item.
inline QString toolText(const QJsonObject &answer)
{
    return answer.value(QStringLiteral("result"))
        .toObject()
        .value(QStringLiteral("content"))
        .toArray()
        .at(0)
        .toObject()
        .value(QStringLiteral("text"))
        .toString();
}

// A message as one line, for failure messages.
inline QByteArray dump(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace latchkey::test
