#include "Logging.h"

Q_LOGGING_CATEGORY(lcDaemon, "latchkey.daemon", QtInfoMsg)
Q_LOGGING_CATEGORY(lcIpc, "latchkey.ipc", QtInfoMsg)
Q_LOGGING_CATEGORY(lcVault, "latchkey.vault", QtInfoMsg)
Q_LOGGING_CATEGORY(lcRegistry, "latchkey.registry", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAudit, "latchkey.audit", QtInfoMsg)
