#pragma once

#include <QString>

namespace latchkey::import {

// Which values found in an MCP configuration are literal secrets to move into the keychain.
//
// The rule errs on the side of moving: every value is a secret unless it is obviously not one —
//   - empty;
//   - a reference the client resolves itself: anything containing "${" (VS Code's ${input:…},
//     ${env:…}, ${workspaceFolder}; Cursor's ${env:…});
//   - a path: starting with "/", "~", "./", "../", "\\", a drive letter ("C:\", "C:/") or "%NAME%";
//   - a plain URL (http, https, ws, wss, file) with no user info and no query;
//   - a number, or one of true/false/yes/no/on/off/null.
// Moving a value that was not secret costs nothing (the server still gets it); leaving a secret in
// the file is what import exists to stop.
class SecretRule
{
public:
    // True when `value` is to be moved into the keychain; otherwise *reason (if given) says why not.
    static bool isSecret(const QString &value, QString *reason = nullptr);
    // A keychain key for a variable or header name: letters, digits, '.', '_' and '-' kept, the rest '_'.
    static QString keyFor(const QString &name);
};

} // namespace latchkey::import
