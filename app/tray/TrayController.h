#pragma once

#include <QObject>

#include <memory>

namespace latchkey::tray {

class DaemonConnection;
class ServerListModel;
class StatusWindow;
class TrayIcon;

// Wires the tray app together: one connection to the daemon feeding one server model, the window,
// and the tray icon where the desktop has a system tray (else the window is shown at start and
// closing it quits).
class TrayController : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString socketPath;
        bool useSystemTray = true; // false: window only, even where a tray exists
        bool showWindow = false;   // show the window at start even with a tray
    };

    explicit TrayController(Options options, QObject *parent = nullptr);
    ~TrayController() override;

    void start();

    DaemonConnection *connection() const { return m_connection.get(); }
    ServerListModel *model() const { return m_model.get(); }
    StatusWindow *window() const { return m_window.get(); }
    // Null where there is no system tray.
    TrayIcon *trayIcon() const { return m_trayIcon.get(); }

private:
    Options m_options;
    std::unique_ptr<DaemonConnection> m_connection;
    std::unique_ptr<ServerListModel> m_model;
    std::unique_ptr<StatusWindow> m_window;
    std::unique_ptr<TrayIcon> m_trayIcon;
};

} // namespace latchkey::tray
