#include "DaemonHarness.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QUuid>

namespace latchkey::test {

DaemonHarness::DaemonHarness() : m_env(QProcessEnvironment::systemEnvironment())
{
    QDir root(m_home.path());
    for (const char *sub : {"config", "state", "runtime", "cache"}) {
        root.mkpath(QString::fromLatin1(sub));
    }
    QFile::setPermissions(root.filePath(QStringLiteral("runtime")),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    m_socketPath = root.filePath(QStringLiteral("runtime/latchkey/agent.sock"));
    m_env.insert(QStringLiteral("HOME"), m_home.path());
    m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), root.filePath(QStringLiteral("config")));
    m_env.insert(QStringLiteral("XDG_STATE_HOME"), root.filePath(QStringLiteral("state")));
    m_env.insert(QStringLiteral("XDG_CACHE_HOME"), root.filePath(QStringLiteral("cache")));
    m_env.insert(QStringLiteral("XDG_RUNTIME_DIR"), root.filePath(QStringLiteral("runtime")));
    m_env.insert(QStringLiteral("LATCHKEY_SOCKET"), m_socketPath);
    m_env.insert(QStringLiteral("LATCHKEY_NO_AUTOSTART"), QStringLiteral("1"));
    // Tests written before per-app consent get credentials without a question; TestConsent sets "ask".
    m_env.insert(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("allow"));
}

DaemonHarness::~DaemonHarness()
{
    if (m_daemon && m_daemon->state() != QProcess::NotRunning) {
        kill();
    }
}

QString DaemonHarness::configPath() const
{
    return QDir(m_home.path()).filePath(QStringLiteral("config/latchkey/servers.json"));
}

QString DaemonHarness::auditPath() const
{
    return QDir(m_home.path()).filePath(QStringLiteral("state/latchkey/audit.jsonl"));
}

QString DaemonHarness::binary(const QString &name)
{
    QString dir = qEnvironmentVariable("LATCHKEY_BIN_DIR");
    if (dir.isEmpty()) {
        dir = QCoreApplication::applicationDirPath() + QStringLiteral("/../bin");
    }
    return QDir(dir).absoluteFilePath(name);
}

bool DaemonHarness::start(int timeoutMs)
{
    m_output.clear();
    m_daemon = std::make_unique<QProcess>();
    m_daemon->setProcessEnvironment(m_env);
    m_daemon->setProcessChannelMode(QProcess::MergedChannels);
    m_daemon->start(binary(QStringLiteral("latchkeyd")),
                    {QStringLiteral("--foreground"), QStringLiteral("--socket"), m_socketPath});
    if (!m_daemon->waitForStarted(timeoutMs)) {
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_output.contains("listening on")) {
        if (m_daemon->state() == QProcess::NotRunning || deadline.hasExpired()) {
            m_output += m_daemon->readAll();
            qWarning("latchkeyd did not start: %s", m_output.constData());
            return false;
        }
        m_daemon->waitForReadyRead(static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        m_output += m_daemon->readAll();
    }
    return true;
}

bool DaemonHarness::stop(int timeoutMs)
{
    if (!m_daemon || m_daemon->state() == QProcess::NotRunning) {
        return true;
    }
    m_daemon->terminate();
    if (!m_daemon->waitForFinished(timeoutMs)) {
        kill();
        return false;
    }
    m_output += m_daemon->readAll();
    return m_daemon->exitStatus() == QProcess::NormalExit && m_daemon->exitCode() == 0;
}

void DaemonHarness::kill()
{
    if (m_daemon) {
        m_daemon->kill();
        m_daemon->waitForFinished(5000);
        m_output += m_daemon->readAll();
    }
}

qint64 DaemonHarness::pid() const
{
    return m_daemon ? m_daemon->processId() : -1;
}

QByteArray DaemonHarness::daemonOutput()
{
    if (m_daemon) {
        m_output += m_daemon->readAll();
    }
    return m_output;
}

DaemonHarness::Result DaemonHarness::cli(const QStringList &args, const QByteArray &input, int timeoutMs) const
{
    QProcess process;
    process.setProcessEnvironment(m_env);
    process.start(binary(QStringLiteral("latchkey")), args);
    Result result;
    if (!process.waitForStarted(timeoutMs)) {
        return result;
    }
    if (!input.isEmpty()) {
        process.write(input);
    }
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString DaemonHarness::uniqueName(const QString &prefix)
{
    return prefix + QLatin1Char('-') + QUuid::createUuid().toString(QUuid::Id128).left(12);
}

} // namespace latchkey::test
