#include "NodeServer.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace latchkey::test {

NodeServer::NodeServer(QString script, QStringList args)
    : m_script(std::move(script)), m_args(std::move(args)), m_env(QProcessEnvironment::systemEnvironment())
{}

NodeServer::~NodeServer()
{
    stop();
}

QString NodeServer::nodeBinary()
{
    const QString configured = qEnvironmentVariable("LATCHKEY_NODE");
    return configured.isEmpty() ? QStringLiteral("/usr/bin/node") : configured;
}

QString NodeServer::serversDir()
{
    QString source = qEnvironmentVariable("LATCHKEY_SOURCE_DIR");
    if (source.isEmpty()) {
        source = QStringLiteral(LATCHKEY_TEST_SOURCE_DIR);
    }
    return QDir(source).absoluteFilePath(QStringLiteral("tests/servers"));
}

QString NodeServer::unavailableReason()
{
    if (!QFileInfo(nodeBinary()).isExecutable()) {
        return QStringLiteral("no Node at %1 (set LATCHKEY_NODE)").arg(nodeBinary());
    }
    const QDir servers(serversDir());
    for (const char *package : {"oidc-provider", "@modelcontextprotocol/sdk", "playwright-core", "jose"}) {
        if (!servers.exists(QStringLiteral("node_modules/%1/package.json").arg(QString::fromLatin1(package)))) {
            return QStringLiteral("%1 lacks node_modules/%2: run `npm ci` there")
                .arg(servers.path(), QString::fromLatin1(package));
        }
    }
    return {};
}

bool NodeServer::start(int timeoutMs)
{
    m_stdout.clear();
    m_stderr.clear();
    m_ready = {};
    m_error.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessEnvironment(m_env);
    m_process->setWorkingDirectory(serversDir());
    m_process->start(nodeBinary(), QStringList{QDir(serversDir()).absoluteFilePath(m_script)} + m_args);
    if (!m_process->waitForStarted(timeoutMs)) {
        m_error = QStringLiteral("%1 did not start: %2").arg(m_script, m_process->errorString());
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_stdout.contains('\n')) {
        if (m_process->state() == QProcess::NotRunning || deadline.hasExpired()) {
            m_stderr += m_process->readAllStandardError();
            m_error = QStringLiteral("%1 %2 before its ready line; stderr:\n%3")
                          .arg(m_script,
                               m_process->state() == QProcess::NotRunning ? QStringLiteral("ended")
                                                                          : QStringLiteral("timed out"),
                               QString::fromUtf8(m_stderr));
            return false;
        }
        m_process->waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        m_stdout += m_process->readAllStandardOutput();
        m_stderr += m_process->readAllStandardError();
    }
    const QByteArray line = m_stdout.left(m_stdout.indexOf('\n'));
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (!doc.isObject()) {
        m_error = QStringLiteral("%1 printed a ready line that is not a JSON object: %2")
                      .arg(m_script, QString::fromUtf8(line.left(300)));
        return false;
    }
    m_ready = doc.object();
    return true;
}

void NodeServer::stop(int timeoutMs)
{
    if (!m_process || m_process->state() == QProcess::NotRunning) {
        return;
    }
    m_process->terminate();
    if (!m_process->waitForFinished(timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished(timeoutMs);
    }
    m_stderr += m_process->readAllStandardError();
}

QString NodeServer::value(const QString &key) const
{
    return m_ready.value(key).toVariant().toString();
}

QByteArray NodeServer::standardError()
{
    if (m_process) {
        m_stderr += m_process->readAllStandardError();
    }
    return m_stderr;
}

bool NodeServer::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

} // namespace latchkey::test
