#pragma once

#include <QWidget>

class QFormLayout;
class QLabel;

namespace latchkey::tray {

class DaemonConnection;

// The top of the main window: the health icon, one headline, the servers summary, and the daemon,
// keychain and configuration lines. Follows the connection by itself.
class StatusHeader : public QWidget
{
    Q_OBJECT

public:
    explicit StatusHeader(DaemonConnection *connection, QWidget *parent = nullptr);

    void refresh();

private:
    DaemonConnection *m_connection;
    QLabel *m_icon;
    QLabel *m_headline;
    QLabel *m_daemon;
    QLabel *m_keychain;
    QLabel *m_config;
    QLabel *m_enterprise;
    QFormLayout *m_form;
    QLabel *m_serversSummary;
};

} // namespace latchkey::tray
