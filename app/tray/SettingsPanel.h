#pragma once

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace latchkey::tray {

class DaemonConnection;

// Settings: start at login (an XDG autostart entry, the tray's own business) and the browser the
// daemon opens for sign-ins (the daemon's setting, since the daemon opens it: settings.get/set).
class SettingsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit SettingsPanel(DaemonConnection *connection, QWidget *parent = nullptr);

    // Reads the daemon's settings again (on connect, and when the tab is shown).
    void reload();
    void applyBrowser();
    // What became of the last Apply, shown under the field (the status bar's copy fades; a refusal
    // stays until the next Apply): empty before any.
    QString browserStatus() const;

Q_SIGNALS:
    // What happened, for the status bar.
    void message(const QString &text);

private:
    void setAutostart(bool enabled);
    void showBrowserStatus(const QString &text);

    DaemonConnection *m_connection;
    QCheckBox *m_autostart;
    QLineEdit *m_browser;
    QPushButton *m_applyBrowser;
    QLabel *m_browserNote;
    QLabel *m_browserStatus;
};

} // namespace latchkey::tray
