#pragma once

#include <QSet>
#include <QString>
#include <QStringList>

namespace latchkey::oauth {

// An OAuth scope set (RFC 6749 §3.3): space-delimited, case-sensitive scope-tokens, kept in the order
// they were first seen so that the same inputs always give the same `scope` string.
//
//   scope       = scope-token *( SP scope-token )
//   scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// Parsing is forgiving about separators (runs of spaces or tabs, leading and trailing ones) and folds
// duplicates silently. It skips what it cannot use, tokens with other characters and anything past
// MaxScopes, and then says so through `error`. Input longer than MaxLength gives an empty set and an
// error.
class ScopeSet
{
public:
    static constexpr qsizetype MaxLength = 16 * 1024;
    static constexpr qsizetype MaxScopes = 256;

    ScopeSet() = default;

    static ScopeSet parse(QStringView text, QString *error = nullptr);
    static ScopeSet fromList(const QStringList &scopes, QString *error = nullptr);
    static bool isScopeToken(QStringView scope);

    // Appends a scope unless it is invalid, already there, or the set is full; says whether it did.
    bool insert(const QString &scope);

    // Step-up (MCP "Step-Up Authorization Flow"): this set's scopes in order, then the other set's
    // new ones in theirs. Capped at MaxScopes.
    ScopeSet united(const ScopeSet &other) const;

    bool contains(const QString &scope) const { return m_index.contains(scope); }
    bool containsAll(const ScopeSet &other) const;
    bool isEmpty() const { return m_scopes.isEmpty(); }
    qsizetype size() const { return m_scopes.size(); }
    QStringList toList() const { return m_scopes; }
    // The `scope` parameter value: scopes joined by single spaces; empty for an empty set.
    QString toString() const { return m_scopes.join(u' '); }

    // Equal as sets: order does not matter.
    friend bool operator==(const ScopeSet &a, const ScopeSet &b) { return a.m_index == b.m_index; }

private:
    QStringList m_scopes;
    QSet<QString> m_index;
};

} // namespace latchkey::oauth
