#pragma once

#include <QLoggingCategory>

namespace latchkey::tray {

Q_DECLARE_LOGGING_CATEGORY(lcTray)

} // namespace latchkey::tray
