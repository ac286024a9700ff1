#include "ConfigRewriter.h"

#include <algorithm>
#include <vector>

namespace latchkey::import {

namespace {

constexpr int kContext = 3;
constexpr qsizetype kMaxDiffCells = 4'000'000; // LCS table cap; beyond it the changed middle is one hunk

// The indent unit of the file: the leading whitespace of its first indented line (default two spaces).
QByteArray indentUnit(const QByteArray &text)
{
    for (const QByteArray &line : text.split('\n')) {
        qsizetype n = 0;
        while (n < line.size() && (line.at(n) == ' ' || line.at(n) == '\t')) {
            ++n;
        }
        if (n > 0 && n < line.size() && line.at(n) != '\r') {
            return line.at(0) == '\t' ? QByteArray("\t") : QByteArray(n, ' ');
        }
    }
    return "  ";
}

QByteArray lineIndent(const QByteArray &text, qsizetype at)
{
    const qsizetype start = text.lastIndexOf('\n', at - 1) + 1;
    qsizetype n = start;
    while (n < at && (text.at(n) == ' ' || text.at(n) == '\t')) {
        ++n;
    }
    return text.mid(start, n - start);
}

QStringList splitLines(const QByteArray &text)
{
    QStringList lines = QString::fromUtf8(text).split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.back().isEmpty()) {
        lines.removeLast(); // the file's final newline ends the last line, it does not start another
    }
    for (QString &line : lines) {
        if (line.endsWith(QLatin1Char('\r'))) {
            line.chop(1);
        }
    }
    return lines;
}

// One line of the edit script: ' ' same, '-' only before, '+' only after.
struct Op
{
    char kind;
    qsizetype a; // index in before (for ' ' and '-')
    qsizetype b; // index in after (for ' ' and '+')
};

std::vector<Op> editScript(const QStringList &a, const QStringList &b)
{
    qsizetype prefix = 0;
    while (prefix < a.size() && prefix < b.size() && a.at(prefix) == b.at(prefix)) {
        ++prefix;
    }
    qsizetype suffix = 0;
    while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
           a.at(a.size() - 1 - suffix) == b.at(b.size() - 1 - suffix)) {
        ++suffix;
    }
    const qsizetype n = a.size() - prefix - suffix;
    const qsizetype m = b.size() - prefix - suffix;
    std::vector<Op> ops;
    for (qsizetype i = 0; i < prefix; ++i) {
        ops.push_back({' ', i, i});
    }
    if (n * m <= kMaxDiffCells) {
        // Longest common subsequence of the changed middle, read forwards.
        QList<int> lcs((n + 1) * (m + 1), 0);
        const auto at = [&lcs, m](qsizetype i, qsizetype j) -> int & { return lcs[i * (m + 1) + j]; };
        for (qsizetype i = n - 1; i >= 0; --i) {
            for (qsizetype j = m - 1; j >= 0; --j) {
                at(i, j) =
                    a.at(prefix + i) == b.at(prefix + j) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
            }
        }
        qsizetype i = 0;
        qsizetype j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.at(prefix + i) == b.at(prefix + j)) {
                ops.push_back({' ', prefix + i++, prefix + j++});
            } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
                ops.push_back({'-', prefix + i++, prefix + j}); // removals first, as diff -u shows them
            } else {
                ops.push_back({'+', prefix + i, prefix + j++});
            }
        }
    } else {
        for (qsizetype i = 0; i < n; ++i) {
            ops.push_back({'-', prefix + i, prefix});
        }
        for (qsizetype j = 0; j < m; ++j) {
            ops.push_back({'+', prefix + n, prefix + j});
        }
    }
    for (qsizetype i = 0; i < suffix; ++i) {
        ops.push_back({' ', a.size() - suffix + i, b.size() - suffix + i});
    }
    return ops;
}

QString mask(QString line, const QStringList &masked)
{
    for (const QString &secret : masked) {
        if (secret.isEmpty()) {
            continue;
        }
        const std::string escaped = nlohmann::json(secret.toStdString()).dump();
        const QString quoted = QString::fromStdString(escaped.substr(1, escaped.size() - 2));
        line.replace(secret, QStringLiteral("********"));
        line.replace(quoted, QStringLiteral("********"));
    }
    return line;
}

QString range(qsizetype start, qsizetype count)
{
    // Unified diff ranges are 1-based; an empty range names the line before it.
    return count == 1 ? QString::number(start + 1)
                      : QStringLiteral("%1,%2").arg(count == 0 ? start : start + 1).arg(count);
}

} // namespace

QByteArray ConfigRewriter::apply(const QByteArray &text, QList<Edit> edits)
{
    const QByteArray unit = indentUnit(text);
    const bool crlf = text.contains("\r\n");
    std::sort(edits.begin(), edits.end(), [](const Edit &x, const Edit &y) { return x.span.begin > y.span.begin; });
    QByteArray out = text;
    for (const Edit &edit : edits) {
        QByteArray value = QByteArray::fromStdString(edit.value.dump(unit == "\t" ? 1 : static_cast<int>(unit.size()),
                                                                     unit == "\t" ? '\t' : ' ', false,
                                                                     nlohmann::json::error_handler_t::replace));
        value.replace("\n", (crlf ? QByteArray("\r\n") : QByteArray("\n")) + lineIndent(text, edit.span.begin));
        out.replace(edit.span.begin, edit.span.end - edit.span.begin, value);
    }
    return out;
}

QString ConfigRewriter::unifiedDiff(const QByteArray &before, const QByteArray &after, const QString &path,
                                    const QStringList &masked)
{
    const QStringList a = splitLines(before);
    const QStringList b = splitLines(after);
    const std::vector<Op> ops = editScript(a, b);
    QString out = QStringLiteral("--- a/%1\n+++ b/%1\n").arg(path);
    const auto changed = [&](size_t k) { return ops[k].kind != ' '; };
    size_t k = 0;
    while (k < ops.size()) {
        while (k < ops.size() && !changed(k)) {
            ++k;
        }
        if (k == ops.size()) {
            break;
        }
        // A hunk: from kContext lines before the first change to kContext lines after the last change
        // that is within 2 * kContext of the next.
        size_t start = k >= static_cast<size_t>(kContext) ? k - kContext : 0;
        size_t end = k;
        size_t sameRun = 0;
        for (size_t j = k; j < ops.size(); ++j) {
            if (changed(j)) {
                end = j;
                sameRun = 0;
            } else if (++sameRun > static_cast<size_t>(2 * kContext)) {
                break;
            }
        }
        end = std::min(ops.size(), end + 1 + kContext);
        qsizetype aCount = 0;
        qsizetype bCount = 0;
        QString body;
        for (size_t j = start; j < end; ++j) {
            const Op &op = ops[j];
            const QString &line = op.kind == '+' ? b.at(op.b) : a.at(op.a);
            aCount += op.kind != '+';
            bCount += op.kind != '-';
            body += QLatin1Char(op.kind) + mask(line, masked) + QLatin1Char('\n');
        }
        out += QStringLiteral("@@ -%1 +%2 @@\n").arg(range(ops[start].a, aCount), range(ops[start].b, bCount)) + body;
        k = end;
    }
    return out;
}

} // namespace latchkey::import
