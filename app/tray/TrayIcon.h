#pragma once

#include "Health.h"

#include <QMenu>
#include <QObject>
#include <QSystemTrayIcon>

class QAction;

namespace latchkey::tray {

class DaemonConnection;
class ServerActions;

// The icon in the system tray: its picture says all good / attention / error at a glance; its menu
// opens the window, repeats the status in words, offers a sign-in for each server that needs one,
// the enterprise sign-in, and quits.
class TrayIcon : public QObject
{
    Q_OBJECT

public:
    // actions: where the sign-ins go; without it the menu has no sign-in entries.
    explicit TrayIcon(DaemonConnection *connection, ServerActions *actions = nullptr, QObject *parent = nullptr);
    ~TrayIcon() override;

    void show();
    Health health() const { return m_health; }
    QString statusText() const;
    QMenu *menu() { return &m_menu; }
    QSystemTrayIcon *systemTrayIcon() { return &m_icon; }
    // Hidden until the import wizard connects it and shows it.
    QAction *importAction() const { return m_import; }
    // The "Sign in to NAME" entries, in menu order.
    QList<QAction *> signInActions() const { return m_signIns; }

Q_SIGNALS:
    void openRequested();
    void quitRequested();

private:
    void update();
    void updateSignIns();
    void onActivated(QSystemTrayIcon::ActivationReason reason);

    DaemonConnection *m_connection;
    ServerActions *m_actions;
    QMenu m_menu;
    QSystemTrayIcon m_icon;
    QAction *m_open = nullptr;
    QAction *m_status = nullptr;
    QAction *m_signInSeparator = nullptr;
    QAction *m_enterprise = nullptr;
    QAction *m_import = nullptr;
    QAction *m_quit = nullptr;
    QList<QAction *> m_signIns;
    Health m_health = Health::Unknown;
};

} // namespace latchkey::tray
