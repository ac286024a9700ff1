#pragma once

#include <QString>

namespace latchkey::tray {

// "Start at login" on freedesktop desktops: an XDG autostart entry,
// $XDG_CONFIG_HOME/autostart/latchkey-tray.desktop, that runs the tray. Present = on.
class AutostartEntry
{
public:
    // The entry's path (XDG_CONFIG_HOME, else ~/.config).
    static QString path();
    static bool isEnabled();
    // Writes (atomically) or removes the entry; false with *error saying why.
    // program: what the entry runs, by default this executable.
    static bool setEnabled(bool enabled, QString *error, const QString &program = {});
    // The entry's text for a program (Exec quoted as the Desktop Entry spec asks).
    static QByteArray contents(const QString &program);
};

} // namespace latchkey::tray
