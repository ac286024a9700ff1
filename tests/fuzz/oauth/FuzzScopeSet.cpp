// libFuzzer target: ScopeSet on arbitrary text, split at the first newline into two scope strings.
// Checks: parsed sets hold only valid, distinct scope-tokens within the caps; serialization round
// trips; union keeps order, contains both sides (up to the cap) and is idempotent.
#include "ScopeSet.h"

#include <cstdint>
#include <cstdlib>

using latchkey::oauth::ScopeSet;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void checkSet(const ScopeSet &set)
{
    require(set.size() <= ScopeSet::MaxScopes);
    const QStringList list = set.toList();
    require(list.size() == set.size());
    require(QSet<QString>(list.cbegin(), list.cend()).size() == list.size());
    for (const QString &scope : list) {
        require(ScopeSet::isScopeToken(scope));
        require(set.contains(scope));
    }
    const QString text = set.toString();
    require(!text.startsWith(u' ') && !text.endsWith(u' ') && !text.contains(QStringLiteral("  ")));
    if (text.size() <= ScopeSet::MaxLength) {
        QString error;
        require(ScopeSet::parse(text, &error).toList() == list);
        require(error.isEmpty());
    }
    require(ScopeSet::fromList(list).toList() == list);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const qsizetype newline = text.indexOf(u'\n');
    QString error;
    const ScopeSet a = ScopeSet::parse(newline < 0 ? QStringView(text) : QStringView(text).first(newline), &error);
    const ScopeSet b = ScopeSet::parse(newline < 0 ? QStringView() : QStringView(text).sliced(newline + 1));
    checkSet(a);
    checkSet(b);

    const ScopeSet both = a.united(b);
    checkSet(both);
    require(both.toList().mid(0, a.size()) == a.toList());
    require(both.containsAll(a));
    if (a.size() + b.size() <= ScopeSet::MaxScopes) {
        require(both.containsAll(b));
    }
    require(both.united(b).toList() == both.toList());
    require(both.united(a).toList() == both.toList());
    require(a.united(a).toList() == a.toList());
    require(a.containsAll(b) == (a.united(b).size() == a.size()) || a.size() == ScopeSet::MaxScopes);
    return 0;
}
