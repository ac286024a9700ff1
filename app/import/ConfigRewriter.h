#pragma once

#include "JsonSpans.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

namespace latchkey::import {

// Rewrites entries of a configuration file in place and shows the change as a unified diff. Only the
// replaced values change: comments, key order, formatting and every other byte stay as they were.
class ConfigRewriter
{
public:
    struct Edit
    {
        JsonSpans::Span span;         // the value to replace
        nlohmann::ordered_json value; // what goes there
    };

    // The text with each edit applied; the new values are indented like the file (its indent unit and
    // the column of the value's line) and use its line endings.
    static QByteArray apply(const QByteArray &text, QList<Edit> edits);
    // `diff -u`-style, 3 lines of context, labels "a/PATH" and "b/PATH". Every occurrence of a string in
    // `masked` (as written or JSON-escaped) is shown as ******** so the diff is safe to print.
    static QString unifiedDiff(const QByteArray &before, const QByteArray &after, const QString &path,
                               const QStringList &masked = {});
};

} // namespace latchkey::import
