#pragma once

#include "Message.h"

#include <QString>

#include <functional>

namespace latchkey {

// The daemon's own preferences, set from the tray (settings.get / settings.set), kept non-secret in
// $XDG_CONFIG_HOME/latchkey/settings.json (mode 0600, written atomically). One so far: the browser the
// daemon opens for sign-ins, a program run with the URL as its only argument, never through a shell.
class DaemonSettings
{
public:
    explicit DaemonSettings(QString path);

    static QString defaultPath();
    QString path() const { return m_path; }

    // Reads the file; a missing file is the defaults, an unreadable one is ignored (and said in *error).
    void load(QString *error = nullptr);
    // Empty: the desktop's default.
    QString browser() const { return m_browser; }
    // Empty resets to the default; otherwise an absolute path to an executable file or a program on PATH.
    // Nothing changes on failure.
    bool setBrowser(const QString &browser, QString *error);

    // settings.get → {browser}; settings.set {browser} → {browser}.
    void handle(const ipc::Request &request, const std::function<void(ipc::Response)> &reply);

private:
    QString m_path;
    QString m_browser;
};

} // namespace latchkey
