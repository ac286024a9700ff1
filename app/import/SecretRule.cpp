#include "SecretRule.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <QUrl>
#include <functional>

namespace latchkey::import {

namespace {

const QString kMask = QStringLiteral("********");

// "X-API-Key" → x, api, key; "apiKey" → api, key; "GITHUB_TOKEN" → github, token.
QStringList nameWords(const QString &name)
{
    QStringList words;
    QString word;
    const auto flush = [&] {
        if (!word.isEmpty()) {
            words << word;
            word.clear();
        }
    };
    bool afterLower = false;
    for (const QChar c : name) {
        if (!c.isLetterOrNumber()) {
            flush();
            afterLower = false;
            continue;
        }
        if (c.isUpper() && afterLower) {
            flush();
        }
        afterLower = c.isLower();
        word += c.toLower();
    }
    flush();
    return words;
}

// 16+ characters of a token alphabet, with letters and digits both: what a generated key looks like.
bool looksLikeToken(const QString &value)
{
    static const QRegularExpression token(QStringLiteral(R"(^[A-Za-z0-9._~+/=-]{16,}$)"));
    static const QRegularExpression letter(QStringLiteral("[A-Za-z]"));
    static const QRegularExpression digit(QStringLiteral("[0-9]"));
    return token.match(value).hasMatch() && letter.match(value).hasMatch() && digit.match(value).hasMatch();
}

// A credential recognisable by its shape alone.
bool hasCredentialShape(const QString &value)
{
    static const QRegularExpression scheme(QStringLiteral(R"(^(Bearer|Basic|Token)\s+\S{8,}$)"),
                                           QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression prefix(
        QStringLiteral(R"(^(sk-|sk_live_|sk_test_|rk_live_|rk_test_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|)"
                       R"(xox[abposr]-|xapp-|AKIA|ASIA|AIza|npm_|hf_|ntn_|lin_api_|shpat_|shpss_|pplx-|gsk_|)"
                       R"(dop_v1_|SG\.)([A-Za-z0-9._-]{12,})$)"));
    static const QRegularExpression jwt(QStringLiteral(R"(^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.)"));
    static const QRegularExpression digit(QStringLiteral("[0-9]"));
    const auto match = prefix.match(value);
    return scheme.match(value).hasMatch() || jwt.match(value).hasMatch() ||
           (match.hasMatch() && digit.match(match.captured(2)).hasMatch());
}

// Whether `value`, given as the value of an option or variable called `name`, is a secret.
bool isNamedSecret(const QString &name, const QString &value)
{
    bool strong = false;
    if (!SecretRule::isCredentialName(name, &strong)) {
        return false;
    }
    return strong ? SecretRule::isSecret(value) : looksLikeToken(value.trimmed());
}

// The secrets inside a URL argument: its user info, and query values named like credentials.
QStringList urlSecrets(const QString &arg)
{
    static const QRegularExpression url(QStringLiteral(R"(^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)([^?#]*)(\?[^#]*)?)"));
    const auto match = url.match(arg);
    if (!match.hasMatch()) {
        return {};
    }
    QStringList secrets;
    const QString authority = match.captured(1);
    const qsizetype at = authority.lastIndexOf(QLatin1Char('@'));
    if (at > 0 && authority.left(at).contains(QLatin1Char(':'))) {
        secrets << authority.left(at).section(QLatin1Char(':'), 1);
    }
    for (const QString &pair : match.captured(3).mid(1).split(QLatin1Char('&'), Qt::SkipEmptyParts)) {
        const QString name = pair.section(QLatin1Char('='), 0, 0);
        const QString value = pair.section(QLatin1Char('='), 1);
        if (!value.isEmpty() && (isNamedSecret(name, value) || hasCredentialShape(value))) {
            secrets << value;
        }
    }
    return secrets;
}

// The secrets in a JSON object argument (`--config '{"apiKey": "…"}'`): string members named like credentials.
QStringList jsonSecrets(const QString &arg)
{
    if (!arg.startsWith(QLatin1Char('{'))) {
        return {};
    }
    QStringList secrets;
    const std::function<void(const QJsonObject &)> visit = [&](const QJsonObject &object) {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (it->isObject()) {
                visit(it->toObject());
            } else if (it->isString() &&
                       (isNamedSecret(it.key(), it->toString()) || hasCredentialShape(it->toString()))) {
                secrets << it->toString();
            }
        }
    };
    visit(QJsonDocument::fromJson(arg.toUtf8()).object());
    return secrets;
}

} // namespace

bool SecretRule::isSecret(const QString &value, QString *reason)
{
    const auto notSecret = [reason](const char *why) {
        if (reason) {
            *reason = QString::fromLatin1(why);
        }
        return false;
    };
    const QString text = value.trimmed();
    if (text.isEmpty()) {
        return notSecret("empty");
    }
    if (text.contains(QStringLiteral("${"))) {
        return notSecret("a reference the client resolves");
    }
    static const QRegularExpression path(
        QStringLiteral(R"(^(/|~|\./|\.\./|\\|[A-Za-z]:[\\/]|%[A-Za-z_][A-Za-z0-9_]*%))"));
    if (path.match(text).hasMatch()) {
        return notSecret("a path");
    }
    static const QRegularExpression number(QStringLiteral(R"(^[-+]?[0-9]+(\.[0-9]+)?$)"));
    static const QRegularExpression flag(QStringLiteral("^(true|false|yes|no|on|off|null)$"),
                                         QRegularExpression::CaseInsensitiveOption);
    if (number.match(text).hasMatch() || flag.match(text).hasMatch()) {
        return notSecret("a number or a flag");
    }
    static const QRegularExpression urlScheme(QStringLiteral("^(https?|wss?|file)://"),
                                              QRegularExpression::CaseInsensitiveOption);
    if (urlScheme.match(text).hasMatch()) {
        const QUrl url(text, QUrl::StrictMode);
        if (url.isValid() && url.userInfo().isEmpty() && !url.hasQuery() && !url.hasFragment()) {
            return notSecret("a URL without credentials");
        }
    }
    return true;
}

QString SecretRule::keyFor(const QString &name)
{
    QString key;
    for (const QChar c : name.left(128)) {
        const bool keep = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
                          c == u'.' || c == u'_' || c == u'-';
        key += keep ? c : QLatin1Char('_');
    }
    return key;
}

bool SecretRule::isCredentialName(const QString &name, bool *strong)
{
    static const QStringList otherThings{
        QStringLiteral("file"),   QStringLiteral("files"),    QStringLiteral("path"),     QStringLiteral("dir"),
        QStringLiteral("env"),    QStringLiteral("var"),      QStringLiteral("name"),     QStringLiteral("id"),
        QStringLiteral("type"),   QStringLiteral("mode"),     QStringLiteral("url"),      QStringLiteral("uri"),
        QStringLiteral("header"), QStringLiteral("endpoint"), QStringLiteral("length"),   QStringLiteral("ttl"),
        QStringLiteral("expiry"), QStringLiteral("timeout"),  QStringLiteral("size"),     QStringLiteral("limit"),
        QStringLiteral("max"),    QStringLiteral("min"),      QStringLiteral("format"),   QStringLiteral("host"),
        QStringLiteral("port"),   QStringLiteral("server"),   QStringLiteral("provider"), QStringLiteral("method"),
        QStringLiteral("stdin"),  QStringLiteral("command"),  QStringLiteral("helper"),   QStringLiteral("store")};
    static const QStringList strongWords{
        QStringLiteral("token"),       QStringLiteral("secret"), QStringLiteral("password"),
        QStringLiteral("passwd"),      QStringLiteral("pwd"),    QStringLiteral("passphrase"),
        QStringLiteral("apikey"),      QStringLiteral("bearer"), QStringLiteral("credential"),
        QStringLiteral("credentials"), QStringLiteral("pat"),    QStringLiteral("authorization")};
    static const QStringList strongPairs{QStringLiteral("apikey"), QStringLiteral("accesskey"),
                                         QStringLiteral("secretkey"), QStringLiteral("privatekey")};
    static const QStringList weakWords{QStringLiteral("key"),      QStringLiteral("auth"), QStringLiteral("session"),
                                       QStringLiteral("cookie"),   QStringLiteral("pass"), QStringLiteral("sig"),
                                       QStringLiteral("signature")};
    const QStringList words = nameWords(name);
    const auto any = [&words](const QStringList &set) {
        return std::any_of(words.cbegin(), words.cend(), [&set](const QString &w) { return set.contains(w); });
    };
    const QString joined = words.join(QString());
    const bool isStrong =
        !any(otherThings) &&
        (any(strongWords) || std::any_of(strongPairs.cbegin(), strongPairs.cend(),
                                         [&joined](const QString &pair) { return joined.contains(pair); }));
    if (strong) {
        *strong = isStrong;
    }
    return isStrong || (!any(otherThings) && any(weakWords));
}

QList<SecretRule::ArgumentSecret> SecretRule::inArguments(const QStringList &args)
{
    static const QRegularExpression header(QStringLiteral(R"(^([A-Za-z0-9_-]+):\s*(.+)$)"));
    QList<ArgumentSecret> found;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        // `--name VALUE`: the option is judged by its name, the value by the rule.
        if (arg.startsWith(QLatin1Char('-')) && !arg.contains(QLatin1Char('=')) && i + 1 < args.size() &&
            !args.at(i + 1).startsWith(QLatin1Char('-')) && isNamedSecret(arg, args.at(i + 1))) {
            found.append({i + 1, {args.at(i + 1)}, arg + QLatin1Char(' ') + kMask});
            ++i;
            continue;
        }
        // A URL, on its own or as `--name=URL`: its password and credential-named query values.
        const qsizetype scheme = arg.indexOf(QStringLiteral("://"));
        if (scheme > 0) {
            const qsizetype equals = arg.left(scheme).indexOf(QLatin1Char('='));
            const QStringList secrets = urlSecrets(arg.mid(equals + 1));
            if (!secrets.isEmpty()) {
                QString shown = arg;
                for (const QString &secret : secrets) {
                    shown.replace(secret, kMask);
                }
                found.append({i, secrets, shown});
            }
            continue;
        }
        if (const QStringList secrets = jsonSecrets(arg); !secrets.isEmpty()) {
            found.append({i, secrets, QStringLiteral("{…, ********}")});
            continue;
        }
        // `--name=VALUE`, `NAME=VALUE`, `Name: VALUE`, or a credential by its shape alone.
        const qsizetype equals = arg.indexOf(QLatin1Char('='));
        const auto headerMatch = header.match(arg);
        QString name;
        QString value;
        QString separator;
        if (equals > 0) {
            name = arg.left(equals);
            value = arg.mid(equals + 1);
            separator = QStringLiteral("=");
        } else if (headerMatch.hasMatch()) {
            name = headerMatch.captured(1);
            value = headerMatch.captured(2);
            separator = QStringLiteral(": ");
        }
        if (!value.isEmpty() && (isNamedSecret(name, value) || hasCredentialShape(value))) {
            found.append({i, {value}, name + separator + kMask});
        } else if (hasCredentialShape(arg)) {
            found.append({i, {arg}, kMask});
        }
    }
    return found;
}

} // namespace latchkey::import
