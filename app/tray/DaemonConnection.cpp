#include "DaemonConnection.h"

#include "Protocol.h"
#include "TrayLogging.h"

#include <algorithm>

namespace latchkey::tray {

namespace {

constexpr std::chrono::milliseconds kAttemptTimeout{5000};

} // namespace

DaemonConnection::DaemonConnection(QString socketPath, QObject *parent)
    : QObject(parent), m_client(std::move(socketPath))
{
    m_retryTimer.setSingleShot(true);
    m_attemptTimer.setSingleShot(true);
    m_attemptTimer.setInterval(kAttemptTimeout);
    connect(&m_retryTimer, &QTimer::timeout, this, &DaemonConnection::attempt);
    connect(&m_attemptTimer, &QTimer::timeout, this, [this] {
        if (!m_client.isConnected()) {
            qCInfo(lcTray) << "connecting to" << m_client.socketPath() << "did not finish; trying again";
            m_client.disconnectFromDaemon();
            onDisconnected();
        }
    });
    connect(&m_client, &ipc::Client::connected, this, &DaemonConnection::onConnected);
    connect(&m_client, &ipc::Client::disconnected, this, &DaemonConnection::onDisconnected);
    connect(&m_client, &ipc::Client::eventReceived, this, &DaemonConnection::onEvent);
}

DaemonConnection::~DaemonConnection()
{
    m_client.disconnect(this);
}

void DaemonConnection::setRetryInterval(std::chrono::milliseconds minimum, std::chrono::milliseconds maximum)
{
    m_minRetry = std::max(minimum, std::chrono::milliseconds(1));
    m_maxRetry = std::max(maximum, m_minRetry);
    m_retryDelay = m_minRetry;
}

void DaemonConnection::start()
{
    if (m_started) {
        return;
    }
    m_started = true;
    attempt();
}

void DaemonConnection::attempt()
{
    if (m_client.isConnected()) {
        return;
    }
    m_attemptTimer.start();
    m_client.connectAsync();
}

void DaemonConnection::onConnected()
{
    m_attemptTimer.stop();
    m_retryTimer.stop();
    m_retryDelay = m_minRetry;
    m_lastError.clear();
    ++m_generation;
    m_refreshOutstanding = 0;
    m_refreshAgain = false;
    qCInfo(lcTray) << "connected to" << m_client.socketPath();
    const quint64 generation = m_generation;
    m_client.callAsync("events.subscribe", ipc::Json::object(), [this, generation](const ipc::Response &response) {
        if (generation == m_generation && !response.ok()) {
            qCWarning(lcTray) << "events.subscribe failed:" << QString::fromStdString(response.errorMessage);
        }
    });
    setState(State::Connected);
    refresh();
}

void DaemonConnection::onDisconnected()
{
    m_attemptTimer.stop();
    ++m_generation;
    m_refreshOutstanding = 0;
    m_refreshAgain = false;
    const QString error = m_client.lastError();
    if (!error.isEmpty()) {
        m_lastError = error;
    }
    if (m_state == State::Connected) {
        qCInfo(lcTray) << "lost the daemon:" << m_lastError;
    }
    // What a stopped daemon said is no longer true; the window shows "unknown" until it is back.
    m_hasStatus = false;
    m_status = {};
    const bool hadServers = !m_servers.isEmpty();
    m_servers.clear();
    setState(State::Disconnected);
    if (hadServers) {
        Q_EMIT serversChanged(m_servers);
    }
    scheduleRetry();
}

void DaemonConnection::scheduleRetry()
{
    if (m_retryTimer.isActive()) {
        return;
    }
    m_retryTimer.start(m_retryDelay);
    m_retryDelay = std::min(m_retryDelay * 2, m_maxRetry);
}

void DaemonConnection::onEvent(const ipc::Event &event)
{
    qCDebug(lcTray) << "event" << event.name.c_str();
    refresh();
    Q_EMIT daemonEvent(event);
    Q_EMIT eventReceived(QString::fromStdString(event.name));
}

void DaemonConnection::call(const std::string &method, ipc::Json params, Callback done)
{
    if (m_state != State::Connected) {
        const QString why = m_lastError.isEmpty() ? tr("the Latchkey daemon is not running") : m_lastError;
        QTimer::singleShot(0, this, [done = std::move(done), why] {
            done(ipc::Response::failure(0, ipc::error::DaemonUnreachable, why.toStdString()));
        });
        return;
    }
    m_client.callAsync(method, std::move(params), std::move(done));
}

void DaemonConnection::refresh()
{
    if (m_state != State::Connected) {
        return;
    }
    if (m_refreshOutstanding > 0) {
        m_refreshAgain = true;
        return;
    }
    m_refreshOutstanding = 2;
    const quint64 generation = m_generation;
    m_client.callAsync("status", ipc::Json::object(), [this, generation](const ipc::Response &response) {
        if (generation != m_generation) {
            return;
        }
        if (response.ok()) {
            m_status = DaemonStatus::fromJson(response.result);
            m_hasStatus = true;
            Q_EMIT statusChanged(m_status);
        } else {
            qCWarning(lcTray) << "status failed:" << QString::fromStdString(response.errorMessage);
        }
        finishRefresh();
    });
    m_client.callAsync("server.list", ipc::Json::object(), [this, generation](const ipc::Response &response) {
        if (generation != m_generation) {
            return;
        }
        if (response.ok()) {
            m_servers = ServerInfo::listFromJson(response.result);
            Q_EMIT serversChanged(m_servers);
        } else {
            qCWarning(lcTray) << "server.list failed:" << QString::fromStdString(response.errorMessage);
        }
        finishRefresh();
    });
}

void DaemonConnection::refreshOrReconnect()
{
    if (m_state == State::Connected) {
        refresh();
        return;
    }
    if (!m_started || m_attemptTimer.isActive()) {
        return; // not started, or an attempt is already under way
    }
    m_retryTimer.stop();
    m_retryDelay = m_minRetry;
    attempt();
}

void DaemonConnection::finishRefresh()
{
    if (--m_refreshOutstanding > 0) {
        return;
    }
    if (std::exchange(m_refreshAgain, false)) {
        refresh();
    }
}

void DaemonConnection::setState(State state)
{
    if (m_state == state) {
        return;
    }
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace latchkey::tray
