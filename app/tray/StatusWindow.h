#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace latchkey::tray {

class DaemonConnection;
class ServerListModel;

// The main window: the daemon's state (connection, keychain, configuration) and the servers table.
// Shown from the tray's "Open Latchkey", or on its own where there is no system tray.
class StatusWindow : public QWidget
{
    Q_OBJECT

public:
    StatusWindow(DaemonConnection *connection, ServerListModel *model, QWidget *parent = nullptr);

    // Brings the window up in front, as the tray's "Open Latchkey" does.
    void present();

private:
    void updateStatus();
    void updateServers();

    DaemonConnection *m_connection;
    ServerListModel *m_model;
    QLabel *m_icon;
    QLabel *m_headline;
    QLabel *m_daemon;
    QLabel *m_keychain;
    QLabel *m_config;
    QLabel *m_serversSummary;
    QStackedWidget *m_serversStack;
    QTableView *m_serversView;
    QLabel *m_emptyServers;
    QPushButton *m_refresh;
};

} // namespace latchkey::tray
