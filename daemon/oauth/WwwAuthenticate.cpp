#include "WwwAuthenticate.h"

namespace latchkey::oauth {

namespace {

bool isAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// tchar (RFC 9110 §5.6.2)
bool isTchar(char c)
{
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return isAlnum(c);
    }
}

// The characters of token68 before its trailing '='s (RFC 9110 §11.2)
bool isToken68Char(char c)
{
    return isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// OWS / BWS (RFC 9110 §5.6.3)
bool isWhitespace(char c)
{
    return c == ' ' || c == '\t';
}

// qdtext (RFC 9110 §5.6.4): HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
bool isQdtext(unsigned char c)
{
    return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

// What may follow a backslash in a quoted-pair: HTAB / SP / VCHAR / obs-text
bool isQuotedPairChar(unsigned char c)
{
    return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || c >= 0x80;
}

// A read position over the field value. Every loop advances it, so parsing is linear.
class Cursor
{
public:
    explicit Cursor(QByteArrayView input) : m_input(input) {}

    bool atEnd() const { return m_pos >= m_input.size(); }
    char peek() const { return m_input[m_pos]; }
    qsizetype pos() const { return m_pos; }
    void setPos(qsizetype pos) { m_pos = pos; }
    void advance() { ++m_pos; }
    QByteArrayView since(qsizetype start) const { return m_input.sliced(start, m_pos - start); }

    void skipWhitespace()
    {
        while (!atEnd() && isWhitespace(peek())) {
            ++m_pos;
        }
    }

    // Skips OWS and commas: the separators and empty elements of a #list.
    void skipListSeparators()
    {
        while (!atEnd() && (isWhitespace(peek()) || peek() == ',')) {
            ++m_pos;
        }
    }

    QByteArrayView token()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && isTchar(peek())) {
            ++m_pos;
        }
        return since(start);
    }

    // After OWS: the end of the input or a ',' (the end of a list element)?
    bool atElementEnd() const
    {
        qsizetype p = m_pos;
        while (p < m_input.size() && isWhitespace(m_input[p])) {
            ++p;
        }
        return p >= m_input.size() || m_input[p] == ',';
    }

    // Does an auth-param (token BWS "=") start here, rather than the next challenge?
    bool atAuthParam() const
    {
        qsizetype p = m_pos;
        while (p < m_input.size() && isTchar(m_input[p])) {
            ++p;
        }
        if (p == m_pos) {
            return false;
        }
        while (p < m_input.size() && isWhitespace(m_input[p])) {
            ++p;
        }
        return p < m_input.size() && m_input[p] == '=';
    }

private:
    QByteArrayView m_input;
    qsizetype m_pos = 0;
};

// quoted-string, the cursor on its opening DQUOTE. Appends the unescaped content to out.
bool parseQuotedString(Cursor &cursor, QByteArray &out)
{
    cursor.advance();
    while (!cursor.atEnd()) {
        const auto c = static_cast<unsigned char>(cursor.peek());
        if (c == '"') {
            cursor.advance();
            return true;
        }
        if (c == '\\') {
            cursor.advance();
            if (cursor.atEnd() || !isQuotedPairChar(static_cast<unsigned char>(cursor.peek()))) {
                return false;
            }
            out.append(cursor.peek());
            cursor.advance();
            continue;
        }
        if (!isQdtext(c)) {
            return false;
        }
        out.append(static_cast<char>(c));
        cursor.advance();
    }
    return false; // unterminated
}

// auth-param, followed by the end of its list element. On failure the cursor does not move.
bool parseAuthParam(Cursor &cursor, QList<WwwAuthenticate::Param> &params)
{
    const qsizetype start = cursor.pos();
    const QByteArrayView name = cursor.token();
    bool ok = !name.isEmpty();
    if (ok) {
        cursor.skipWhitespace();
        ok = !cursor.atEnd() && cursor.peek() == '=';
    }
    QByteArray value("");
    if (ok) {
        cursor.advance();
        cursor.skipWhitespace();
        if (!cursor.atEnd() && cursor.peek() == '"') {
            ok = parseQuotedString(cursor, value);
        } else {
            const QByteArrayView token = cursor.token();
            ok = !token.isEmpty();
            value = token.toByteArray();
        }
    }
    if (ok && cursor.atElementEnd()) {
        params.append({name.toByteArray().toLower(), value});
        return true;
    }
    cursor.setPos(start);
    return false;
}

// token68, followed by the end of its list element. On failure the cursor does not move.
bool parseToken68(Cursor &cursor, QByteArray &out)
{
    const qsizetype start = cursor.pos();
    while (!cursor.atEnd() && isToken68Char(cursor.peek())) {
        cursor.advance();
    }
    if (cursor.pos() > start) {
        while (!cursor.atEnd() && cursor.peek() == '=') {
            cursor.advance();
        }
        if (cursor.atElementEnd()) {
            out = cursor.since(start).toByteArray();
            return true;
        }
    }
    cursor.setPos(start);
    return false;
}

bool repeatsAName(const QList<WwwAuthenticate::Param> &params)
{
    // At most MaxParamsPerChallenge entries: the quadratic scan is bounded.
    for (qsizetype i = 0; i < params.size(); ++i) {
        for (qsizetype j = i + 1; j < params.size(); ++j) {
            if (params[i].name == params[j].name) {
                return true;
            }
        }
    }
    return false;
}

QByteArray quoted(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size() + 2);
    out.append('"');
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            out.append('\\');
        }
        out.append(c);
    }
    out.append('"');
    return out;
}

} // namespace

QByteArray WwwAuthenticate::Challenge::param(QByteArrayView name) const
{
    for (const Param &p : params) {
        if (p.name.compare(name, Qt::CaseInsensitive) == 0) {
            return p.value;
        }
    }
    return {};
}

bool WwwAuthenticate::Challenge::hasParam(QByteArrayView name) const
{
    return std::any_of(params.cbegin(), params.cend(),
                       [name](const Param &p) { return p.name.compare(name, Qt::CaseInsensitive) == 0; });
}

WwwAuthenticate WwwAuthenticate::parse(const QList<QByteArray> &fieldValues)
{
    qsizetype total = 0;
    for (const QByteArray &value : fieldValues) {
        total += value.size() + 2;
        if (total > MaxFieldLength + 2) {
            WwwAuthenticate result;
            result.m_error = QStringLiteral("the WWW-Authenticate fields are longer than %1 bytes").arg(MaxFieldLength);
            return result;
        }
    }
    return parse(fieldValues.join(", "));
}

WwwAuthenticate WwwAuthenticate::parse(QByteArrayView fieldValue)
{
    WwwAuthenticate result;
    if (fieldValue.size() > MaxFieldLength) {
        result.m_error = QStringLiteral("the WWW-Authenticate field is longer than %1 bytes").arg(MaxFieldLength);
        return result;
    }
    const auto fail = [&result](const QString &message) {
        if (result.m_error.isEmpty()) {
            result.m_error = message;
        }
    };

    Cursor cursor(fieldValue);
    while (true) {
        cursor.skipListSeparators();
        if (cursor.atEnd()) {
            break;
        }
        if (result.m_challenges.size() >= MaxChallenges) {
            fail(QStringLiteral("more than %1 challenges").arg(MaxChallenges));
            break;
        }
        const qsizetype challengeStart = cursor.pos();
        Challenge challenge;
        challenge.scheme = cursor.token().toByteArray().toLower();
        if (challenge.scheme.isEmpty()) {
            fail(QStringLiteral("expected an auth-scheme at offset %1").arg(cursor.pos()));
            break;
        }
        const qsizetype afterScheme = cursor.pos();
        cursor.skipWhitespace();
        bool ok = true;
        bool hasParams = false;
        if (cursor.atEnd()) {
            // A scheme without parameters.
        } else if (cursor.peek() == ',') {
            // No parameters, or a parameter list that starts with empty elements ("Bearer ,, a=b").
            hasParams = true;
        } else if (cursor.pos() == afterScheme) {
            fail(QStringLiteral("expected a space after the auth-scheme at offset %1").arg(cursor.pos()));
            ok = false;
        } else if (parseAuthParam(cursor, challenge.params)) {
            hasParams = true;
        } else if (!parseToken68(cursor, challenge.token68)) {
            fail(QStringLiteral("expected an auth-param or token68 at offset %1").arg(cursor.pos()));
            ok = false;
        }
        while (ok && hasParams) {
            cursor.skipListSeparators();
            if (cursor.atEnd() || !cursor.atAuthParam()) {
                break; // the end, or the next challenge's scheme
            }
            if (challenge.params.size() >= MaxParamsPerChallenge) {
                fail(QStringLiteral("more than %1 parameters in one challenge").arg(MaxParamsPerChallenge));
                ok = false;
            } else if (!parseAuthParam(cursor, challenge.params)) {
                fail(QStringLiteral("malformed auth-param at offset %1").arg(cursor.pos()));
                ok = false;
            }
        }
        if (!ok) {
            break;
        }
        if (repeatsAName(challenge.params)) {
            fail(QStringLiteral("the challenge at offset %1 repeats a parameter").arg(challengeStart));
            continue;
        }
        result.m_challenges.append(std::move(challenge));
    }
    return result;
}

const WwwAuthenticate::Challenge *WwwAuthenticate::find(QByteArrayView scheme) const
{
    for (const Challenge &challenge : m_challenges) {
        if (challenge.scheme.compare(scheme, Qt::CaseInsensitive) == 0) {
            return &challenge;
        }
    }
    return nullptr;
}

QString WwwAuthenticate::bearerParam(QByteArrayView name) const
{
    const Challenge *bearer = find("bearer");
    return bearer ? QString::fromUtf8(bearer->param(name)) : QString();
}

QByteArray WwwAuthenticate::toByteArray() const
{
    QByteArray out;
    for (const Challenge &challenge : m_challenges) {
        if (!out.isEmpty()) {
            out.append(", ");
        }
        out.append(challenge.scheme);
        if (!challenge.token68.isEmpty()) {
            out.append(' ').append(challenge.token68);
            continue;
        }
        for (qsizetype i = 0; i < challenge.params.size(); ++i) {
            out.append(i == 0 ? " " : ", ");
            out.append(challenge.params[i].name).append('=').append(quoted(challenge.params[i].value));
        }
    }
    return out;
}

} // namespace latchkey::oauth
