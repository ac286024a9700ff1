#include "TrayController.h"

#include "ConsentController.h"
#include "DaemonConnection.h"
#include "GrantsModel.h"
#include "GrantsPanel.h"
#include "ImportWizard.h"
#include "MainWindow.h"
#include "Notifier.h"
#include "ServerActions.h"
#include "ServerListModel.h"
#include "TrayIcon.h"
#include "TrayLogging.h"

#include <QAction>
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
    m_actions = std::make_unique<ServerActions>(m_connection.get());
    m_window = std::make_unique<MainWindow>(m_connection.get(), m_model.get(), m_actions.get());
    connect(m_window.get(), &MainWindow::quitRequested, qApp, &QCoreApplication::quit);
    connect(m_window->importAction(), &QAction::triggered, this, &TrayController::openImportWizard);
    m_window->importAction()->setVisible(true);
    m_notifier = std::make_unique<Notifier>(m_connection.get());
    if (m_options.useSystemTray && QSystemTrayIcon::isSystemTrayAvailable()) {
        m_trayIcon = std::make_unique<TrayIcon>(m_connection.get(), m_actions.get());
        connect(m_trayIcon.get(), &TrayIcon::openRequested, m_window.get(), &MainWindow::present);
        connect(m_trayIcon.get(), &TrayIcon::quitRequested, qApp, &QCoreApplication::quit);
        m_notifier->setTrayIcon(m_trayIcon->systemTrayIcon());
        connect(m_trayIcon->importAction(), &QAction::triggered, this, &TrayController::openImportWizard);
        m_trayIcon->importAction()->setVisible(true);
        // A balloon clicked opens the window.
        connect(m_trayIcon->systemTrayIcon(), &QSystemTrayIcon::messageClicked, m_window.get(), &MainWindow::present);
    } else {
        connect(m_notifier.get(), &Notifier::notified, m_window.get(),
                [window = m_window.get()](Notifier::Kind, const QString &, const QString &title,
                                          const QString &message) { window->showBanner(title, message); });
    }
    m_consent = std::make_unique<ConsentController>(*m_connection);
    m_grants = std::make_unique<GrantsModel>(*m_connection);
    m_grantsPanel = new GrantsPanel(*m_grants); // the window's tab owns it
    m_window->setAppAccessWidget(m_grantsPanel);
}

TrayController::~TrayController()
{
    // Views go before the model and the connection they watch.
    m_consent.reset();
    m_trayIcon.reset();
    m_notifier.reset();
    m_window.reset(); // and the grants panel in its tab, before the grants model
    m_grantsPanel = nullptr;
    m_grants.reset();
    m_actions.reset();
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

ImportWizard *TrayController::openImportWizard()
{
    if (!m_importWizard) {
        m_importWizard = new ImportWizard({m_options.socketPath, {}}, m_window.get());
        m_importWizard->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_importWizard->show();
    m_importWizard->raise();
    m_importWizard->activateWindow();
    return m_importWizard;
}

} // namespace latchkey::tray
