#include "TrayLogging.h"

namespace latchkey::tray {

Q_LOGGING_CATEGORY(lcTray, "latchkey.tray", QtInfoMsg)

} // namespace latchkey::tray
