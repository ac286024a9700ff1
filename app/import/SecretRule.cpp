#include "SecretRule.h"

#include <QRegularExpression>
#include <QUrl>

namespace latchkey::import {

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

} // namespace latchkey::import
