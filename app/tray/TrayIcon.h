#pragma once

#include "Health.h"

#include <QMenu>
#include <QObject>
#include <QSystemTrayIcon>

class QAction;

namespace latchkey::tray {

class DaemonConnection;

// The icon in the system tray: its picture says all good / attention / error at a glance; its menu
// opens the window, repeats the status in words, and quits.
class TrayIcon : public QObject
{
    Q_OBJECT

public:
    explicit TrayIcon(DaemonConnection *connection, QObject *parent = nullptr);
    ~TrayIcon() override;

    void show();
    Health health() const { return m_health; }
    QString statusText() const;
    QMenu *menu() { return &m_menu; }
    QSystemTrayIcon *systemTrayIcon() { return &m_icon; }

Q_SIGNALS:
    void openRequested();
    void quitRequested();

private:
    void update();
    void onActivated(QSystemTrayIcon::ActivationReason reason);

    DaemonConnection *m_connection;
    QMenu m_menu;
    QSystemTrayIcon m_icon;
    QAction *m_open = nullptr;
    QAction *m_status = nullptr;
    QAction *m_quit = nullptr;
    Health m_health = Health::Unknown;
};

} // namespace latchkey::tray
