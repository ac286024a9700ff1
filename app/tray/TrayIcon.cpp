#include "TrayIcon.h"

#include "DaemonConnection.h"
#include "Icons.h"
#include "ServerActions.h"
#include "StatusSummary.h"

#include <QAction>

namespace latchkey::tray {

TrayIcon::TrayIcon(DaemonConnection *connection, ServerActions *actions, QObject *parent)
    : QObject(parent), m_connection(connection), m_actions(actions)
{
    m_open = m_menu.addAction(tr("&Open Latchkey"));
    QFont bold = m_open->font();
    bold.setBold(true);
    m_open->setFont(bold);
    m_menu.addSeparator();
    m_status = m_menu.addAction(QString());
    m_status->setEnabled(false);
    m_signInSeparator = m_menu.addSeparator();
    m_enterprise = m_menu.addAction(tr("&Enterprise sign-in…"));
    m_enterprise->setVisible(m_actions != nullptr);
    m_import = m_menu.addAction(tr("&Import from MCP clients…"));
    m_import->setVisible(false);
    m_menu.addSeparator();
    m_quit = m_menu.addAction(tr("&Quit"));

    connect(m_open, &QAction::triggered, this, &TrayIcon::openRequested);
    connect(m_quit, &QAction::triggered, this, &TrayIcon::quitRequested);
    connect(&m_icon, &QSystemTrayIcon::activated, this, &TrayIcon::onActivated);
    m_icon.setContextMenu(&m_menu);
    if (m_actions) {
        connect(m_enterprise, &QAction::triggered, m_actions, &ServerActions::enterpriseSignIn);
        connect(m_actions, &ServerActions::enterpriseAvailabilityChanged, this, [this](bool available) {
            m_enterprise->setText(available ? tr("&Enterprise sign-in…") : tr("&Enterprise sign-in (unavailable)"));
            m_enterprise->setEnabled(available);
        });
    }

    connect(m_connection, &DaemonConnection::stateChanged, this, &TrayIcon::update);
    connect(m_connection, &DaemonConnection::statusChanged, this, &TrayIcon::update);
    connect(m_connection, &DaemonConnection::serversChanged, this, &TrayIcon::update);
    update();
}

TrayIcon::~TrayIcon()
{
    // The menu goes after the icon (declaration order); detach it first so the icon never points at it.
    m_icon.setContextMenu(nullptr);
}

void TrayIcon::show()
{
    m_icon.show();
}

QString TrayIcon::statusText() const
{
    return m_status->text();
}

void TrayIcon::update()
{
    const StatusSummary summary = StatusSummary::of(*m_connection);
    if (summary.health != m_health || m_icon.icon().isNull()) {
        m_health = summary.health;
        m_icon.setIcon(Icons::forHealth(m_health));
    }
    m_status->setText(summary.headline);
    m_icon.setToolTip(tr("Latchkey: %1").arg(summary.headline));
    m_enterprise->setEnabled(m_connection->state() == DaemonConnection::State::Connected && m_actions &&
                             m_actions->enterpriseAvailable());
    updateSignIns();
}

void TrayIcon::updateSignIns()
{
    qDeleteAll(m_signIns);
    m_signIns.clear();
    if (!m_actions) {
        return;
    }
    for (const ServerInfo &server : m_connection->servers()) {
        if (!server.needsSignIn() || server.signingIn) {
            continue;
        }
        auto *action = new QAction(tr("Sign in to %1…").arg(server.name), &m_menu);
        connect(action, &QAction::triggered, m_actions,
                [actions = m_actions, name = server.name] { actions->signIn(name); });
        m_menu.insertAction(m_signInSeparator, action);
        m_signIns.append(action);
    }
}

void TrayIcon::onActivated(QSystemTrayIcon::ActivationReason reason)
{
    if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick) {
        Q_EMIT openRequested();
    }
}

} // namespace latchkey::tray
