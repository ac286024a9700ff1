#pragma once

#include <QString>

namespace latchkey::tray {

// "Start at login" on freedesktop desktops: an XDG autostart entry,
// $XDG_CONFIG_HOME/autostart/latchkey-tray.desktop, that runs the tray. The packages install a system-wide
// entry of the same name ($XDG_CONFIG_DIRS/autostart, i.e. /etc/xdg/autostart), which a user entry
// overrides (XDG Autostart spec): so "off" with a system entry is a user entry with Hidden=true.
class AutostartEntry
{
public:
    // The entry's path (XDG_CONFIG_HOME, else ~/.config).
    static QString path();
    static bool isEnabled();
    // The system-wide entry, or empty when there is none.
    static QString systemPath();
    // Writes (atomically) or removes the entry; false with *error saying why.
    // program: what the entry runs, by default this executable.
    static bool setEnabled(bool enabled, QString *error, const QString &program = {});
    // The entry's text for a program (Exec quoted as the Desktop Entry spec asks).
    static QByteArray contents(const QString &program, bool hidden = false);
};

} // namespace latchkey::tray
