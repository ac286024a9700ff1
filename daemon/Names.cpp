#include "Names.h"

#include <QStringDecoder>

namespace latchkey {

namespace {

bool isAsciiAlnum(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9');
}

bool allOf(const QString &text, bool (*allowed)(QChar))
{
    return std::all_of(text.cbegin(), text.cend(), allowed);
}

} // namespace

QString Names::checkServerName(const QString &name)
{
    const bool ok = !name.isEmpty() && name.size() <= 64 && isAsciiAlnum(name.front()) &&
                    allOf(name, [](QChar c) { return isAsciiAlnum(c) || c == u'.' || c == u'_' || c == u'-'; });
    return ok ? QString()
              : QStringLiteral(
                    "a server name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

QString Names::checkEnvName(const QString &name)
{
    const bool ok = !name.isEmpty() && name.size() <= 128 && !(name.front() >= u'0' && name.front() <= u'9') &&
                    allOf(name, [](QChar c) { return isAsciiAlnum(c) || c == u'_'; });
    return ok ? QString()
              : QStringLiteral(
                    "an environment variable name is 1 to 128 letters, digits or '_', not starting with a digit");
}

QString Names::checkSecretKey(const QString &key)
{
    const bool ok = !key.isEmpty() && key.size() <= 128 &&
                    allOf(key, [](QChar c) { return isAsciiAlnum(c) || c == u'.' || c == u'_' || c == u'-'; });
    return ok ? QString() : QStringLiteral("a secret key is 1 to 128 letters, digits, '.', '_' or '-'");
}

QString Names::checkSecretValue(const QByteArray &value)
{
    if (value.isEmpty()) {
        return QStringLiteral("the secret is empty");
    }
    if (value.size() > 65536) {
        return QStringLiteral("the secret is longer than 65536 bytes");
    }
    if (value.contains('\0') || value.contains('\n') || value.contains('\r')) {
        return QStringLiteral("the secret contains a NUL, carriage return or newline character");
    }
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    // decode() is lazy: only converting its result to a QString runs the decoder and sets hasError().
    const QString decoded = decoder.decode(value);
    if (decoder.hasError()) {
        return QStringLiteral("the secret is not valid UTF-8");
    }
    return {};
}

} // namespace latchkey
