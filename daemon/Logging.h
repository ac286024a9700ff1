#pragma once

#include <QLoggingCategory>

// One category per area; enable with QT_LOGGING_RULES="latchkey.*.debug=true". No secret is ever logged.
Q_DECLARE_LOGGING_CATEGORY(lcDaemon)
Q_DECLARE_LOGGING_CATEGORY(lcIpc)
Q_DECLARE_LOGGING_CATEGORY(lcVault)
Q_DECLARE_LOGGING_CATEGORY(lcRegistry)
Q_DECLARE_LOGGING_CATEGORY(lcAudit)
