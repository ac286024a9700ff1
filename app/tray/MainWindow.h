#pragma once

#include "ServerActions.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTimer;

namespace latchkey::tray {

class AddServerWizard;
class AuditLogView;
class DaemonConnection;
class ServerDetails;
class ServerListModel;
class SettingsPanel;
class StatusHeader;
struct ServerInfo;

// The main window: the daemon's state on top; tabs for the servers (table, details pane, sign in /
// sign out / revoke / remove, the add-server wizard), the audit log, app access and settings.
// Everything it does goes through ServerActions and DaemonConnection, asynchronously.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(DaemonConnection *connection, ServerListModel *model, ServerActions *actions, QWidget *parent = nullptr);

    // Brings the window up in front, as the tray's "Open Latchkey" does.
    void present();
    // The selected server's name, or empty.
    QString selectedServer() const;
    bool selectServer(const QString &name);

    // Hooks for the other parts of the tray: the app-access panel (consent grants) takes the
    // placeholder tab's place; the import action is hidden until someone connects it.
    void setAppAccessWidget(QWidget *widget);
    QAction *importAction() const { return m_import; }
    QAction *enterpriseAction() const { return m_enterprise; }

    // Opens the add-server wizard (non-modal; one at a time).
    AddServerWizard *openAddServerWizard();
    AddServerWizard *addServerWizard() const;
    // A notification shown in the window's banner (where there is no tray to show it).
    void showBanner(const QString &title, const QString &message);
    void showTab(QWidget *tab);

    QTabWidget *tabs() const { return m_tabs; }
    AuditLogView *auditLog() const { return m_audit; }
    SettingsPanel *settings() const { return m_settings; }
    ServerDetails *details() const { return m_details; }

Q_SIGNALS:
    void quitRequested();

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    QWidget *buildServersTab();
    void buildMenus();
    void updateServers();
    void updateActions();
    void updateDetails();
    void onFinished(ServerActions::Action action, const QString &server, bool ok, const QString &message);
    const ServerInfo *selectedInfo() const;
    // Asks before something that cannot be undone; runs `then` on yes. Non-modal (open()).
    void confirm(const QString &title, const QString &text, const QString &yes, std::function<void()> then);
    void signInSelected();
    void signOutSelected();
    void revokeSelected();
    void removeSelected();
    void refresh();

    DaemonConnection *m_connection;
    ServerListModel *m_model;
    ServerActions *m_actions;
    StatusHeader *m_header;
    QLabel *m_banner;
    QTabWidget *m_tabs;
    QWidget *m_serversTab;
    QStackedWidget *m_serversStack;
    QTableView *m_serversView;
    QLabel *m_emptyServers;
    ServerDetails *m_details;
    AuditLogView *m_audit;
    QWidget *m_appAccess;
    SettingsPanel *m_settings;
    QPushButton *m_refreshButton;
    QAction *m_add;
    QAction *m_import;
    QAction *m_enterprise;
    QAction *m_signIn;
    QAction *m_signOut;
    QAction *m_revoke;
    QAction *m_remove;
    QAction *m_refresh;
    QAction *m_find;
    QTimer *m_clock;
    QString m_selected;
    QPointer<AddServerWizard> m_wizard;
};

} // namespace latchkey::tray
