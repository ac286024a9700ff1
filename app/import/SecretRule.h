#pragma once

#include <QList>
#include <QString>
#include <QStringList>

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
//
// Command-line arguments are judged the other way round, since most of them are not secrets: an argument holds
// a secret when it is
//   - the value of an option named like a credential (`--api-key VALUE`, `--token=VALUE`, `-e API_KEY=VALUE`,
//     `Authorization: VALUE`) and the value is a secret by the rule above; names with "file", "path", "env",
//     "id", "url"… in them (`--token-file`, `--key-id`) name something else. Weaker names ("key", "auth",
//     "session", "cookie", "pass") count only when the value looks like a token (16+ characters of letters
//     and digits, no spaces);
//   - a credential by its shape wherever it appears: well-known token prefixes (`sk-`, `ghp_`,
//     `github_pat_`, `glpat-`, `xoxb-`, `AKIA`, `AIza`, `hf_`, `npm_`…), a JWT, `Bearer …`/`Basic …`;
//   - a URL with a password in it or a query parameter named like a credential (`?api_key=…`);
//   - a JSON object with such a member (`{"client_secret": "…"}`).
class SecretRule
{
public:
    struct ArgumentSecret
    {
        qsizetype index;     // in the argument list
        QStringList secrets; // the secret parts of the argument, for masking
        QString shown;       // the argument (and the option before it) with the secret masked, safe to print
    };

    // True when `value` is to be moved into the keychain; otherwise *reason (if given) says why not.
    static bool isSecret(const QString &value, QString *reason = nullptr);
    // A keychain key for a variable or header name: letters, digits, '.', '_' and '-' kept, the rest '_'.
    static QString keyFor(const QString &name);
    // The arguments that hold likely secrets, in order.
    static QList<ArgumentSecret> inArguments(const QStringList &args);
    // Whether a name (of an option, variable, header or query parameter) names a credential.
    static bool isCredentialName(const QString &name, bool *strong = nullptr);
};

} // namespace latchkey::import
