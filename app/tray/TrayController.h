#pragma once

#include <QObject>
#include <QPointer>

#include <memory>

namespace latchkey::tray {

class ConsentController;
class DaemonConnection;
class ImportWizard;
class MainWindow;
class Notifier;
class ServerActions;
class GrantsModel;
class GrantsPanel;
class ServerListModel;
class TrayIcon;

// Wires the tray app together: one connection to the daemon feeding one server model, the actions
// on servers, the window, the notifier, and the tray icon where the desktop has a system tray (else
// the window is shown at start, closing it quits, and notifications show in the window's banner).
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
    ServerActions *actions() const { return m_actions.get(); }
    MainWindow *window() const { return m_window.get(); }
    Notifier *notifier() const { return m_notifier.get(); }
    // Null where there is no system tray.
    TrayIcon *trayIcon() const { return m_trayIcon.get(); }
    // "Import from MCP clients…" (window and tray menu): one wizard at a time.
    ImportWizard *openImportWizard();
    ConsentController *consent() const { return m_consent.get(); }
    GrantsPanel *grantsPanel() const { return m_grantsPanel; }

private:
    Options m_options;
    std::unique_ptr<DaemonConnection> m_connection;
    std::unique_ptr<ServerListModel> m_model;
    std::unique_ptr<ServerActions> m_actions;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<Notifier> m_notifier;
    std::unique_ptr<TrayIcon> m_trayIcon;
    QPointer<ImportWizard> m_importWizard;
    // Per-app consent: the dialogs, and the decisions with Revoke (the window's app-access tab).
    std::unique_ptr<ConsentController> m_consent;
    std::unique_ptr<GrantsModel> m_grants;
    GrantsPanel *m_grantsPanel = nullptr; // owned by the window
};

} // namespace latchkey::tray
