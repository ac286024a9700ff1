#include "ScopeSet.h"

namespace latchkey::oauth {

bool ScopeSet::isScopeToken(QStringView scope)
{
    return !scope.isEmpty() && std::all_of(scope.cbegin(), scope.cend(), [](QChar c) {
        const char16_t u = c.unicode();
        return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
    });
}

ScopeSet ScopeSet::parse(QStringView text, QString *error)
{
    ScopeSet result;
    if (text.size() > MaxLength) {
        if (error) {
            *error = QStringLiteral("the scope string is longer than %1 characters").arg(MaxLength);
        }
        return result;
    }
    qsizetype skipped = 0;
    qsizetype pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && (text[pos] == u' ' || text[pos] == u'\t')) {
            ++pos;
        }
        const qsizetype start = pos;
        while (pos < text.size() && text[pos] != u' ' && text[pos] != u'\t') {
            ++pos;
        }
        if (pos > start) {
            const QStringView scope = text.sliced(start, pos - start);
            if (!isScopeToken(scope) || (!result.contains(scope.toString()) && !result.insert(scope.toString()))) {
                ++skipped;
            }
        }
    }
    if (error) {
        *error = skipped == 0 ? QString()
                              : QStringLiteral("%1 scope(s) skipped: invalid characters, or more than %2 scopes")
                                    .arg(skipped)
                                    .arg(MaxScopes);
    }
    return result;
}

ScopeSet ScopeSet::fromList(const QStringList &scopes, QString *error)
{
    ScopeSet result;
    qsizetype skipped = 0;
    for (const QString &scope : scopes) {
        if (!result.contains(scope) && !result.insert(scope)) {
            ++skipped;
        }
    }
    if (error) {
        *error = skipped == 0 ? QString()
                              : QStringLiteral("%1 scope(s) skipped: invalid characters, or more than %2 scopes")
                                    .arg(skipped)
                                    .arg(MaxScopes);
    }
    return result;
}

bool ScopeSet::insert(const QString &scope)
{
    if (m_scopes.size() >= MaxScopes || !isScopeToken(scope) || m_index.contains(scope)) {
        return false;
    }
    m_scopes.append(scope);
    m_index.insert(scope);
    return true;
}

ScopeSet ScopeSet::united(const ScopeSet &other) const
{
    ScopeSet result = *this;
    for (const QString &scope : other.m_scopes) {
        result.insert(scope);
    }
    return result;
}

bool ScopeSet::containsAll(const ScopeSet &other) const
{
    return std::all_of(other.m_scopes.cbegin(), other.m_scopes.cend(),
                       [this](const QString &scope) { return m_index.contains(scope); });
}

} // namespace latchkey::oauth
