#pragma once

#include "Message.h"

#include <QStringList>

#include <functional>
#include <optional>
#include <string>

namespace latchkey::cli {

// `latchkey apps`: the per-app consent decisions. Lists them, revokes them, and grants one from a terminal
// (`apps allow`; the daemon refuses it from anyone but a person at a terminal).
class AppsCommand
{
public:
    // The CLI's call: the result, or nullopt with *exitCode set after printing the daemon's error.
    using Call = std::function<std::optional<ipc::Json>(const std::string &method, ipc::Json params, int *exitCode)>;

    explicit AppsCommand(Call call);
    int run(QStringList args);

    static const char *usageText();
    // An app as the daemon names it: the canonical path of its executable (a bare name is looked up on PATH).
    static QString resolveApp(const QString &app);

private:
    int list(bool json);
    int allow(const QStringList &args);
    int revoke(const QStringList &args);
    static int usage(const QString &message);

    Call m_call;
};

} // namespace latchkey::cli
