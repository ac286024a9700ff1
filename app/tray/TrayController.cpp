#include "TrayController.h"

#include "DaemonConnection.h"
#include "ServerListModel.h"
#include "StatusWindow.h"
#include "TrayIcon.h"
#include "TrayLogging.h"

#include <QApplication>
#include <QSystemTrayIcon>

namespace latchkey::tray {

TrayController::TrayController(Options options, QObject *parent)
    : QObject(parent), m_options(std::move(options)),
      m_connection(std::make_unique<DaemonConnection>(m_options.socketPath)),
      m_model(std::make_unique<ServerListModel>())
{
    // The model first, so the window and icon see the new rows when they hear the same signal.
    connect(m_connection.get(), &DaemonConnection::serversChanged, m_model.get(), &ServerListModel::setServers);
    m_window = std::make_unique<StatusWindow>(m_connection.get(), m_model.get());
    if (m_options.useSystemTray && QSystemTrayIcon::isSystemTrayAvailable()) {
        m_trayIcon = std::make_unique<TrayIcon>(m_connection.get());
        connect(m_trayIcon.get(), &TrayIcon::openRequested, m_window.get(), &StatusWindow::present);
        connect(m_trayIcon.get(), &TrayIcon::quitRequested, qApp, &QCoreApplication::quit);
    }
}

TrayController::~TrayController()
{
    // Views go before the model and the connection they watch.
    m_trayIcon.reset();
    m_window.reset();
}

void TrayController::start()
{
    if (m_trayIcon) {
        QApplication::setQuitOnLastWindowClosed(false);
        m_trayIcon->show();
        if (m_options.showWindow) {
            m_window->present();
        }
    } else {
        qCInfo(lcTray) << "no system tray; showing the window (closing it quits)";
        QApplication::setQuitOnLastWindowClosed(true);
        m_window->present();
    }
    m_connection->start();
}

} // namespace latchkey::tray
