#pragma once

#include <QByteArray>
#include <QList>

#include <optional>
#include <string>

namespace latchkey::import {

// Where things are in a JSON (or JSON with comments) text, so that an edit can replace one value and
// leave every other byte of the file — comments, formatting, key order — as the person wrote it.
// Only for text that nlohmann already parsed: it locates, it does not validate.
class JsonSpans
{
public:
    struct Span
    {
        qsizetype begin = 0;
        qsizetype end = 0; // one past the last byte
    };
    struct Member
    {
        std::string name; // decoded
        Span value;
    };

    // The members of the object whose '{' is the first significant byte at or after `at`; nullopt
    // when there is no object there.
    static std::optional<QList<Member>> members(const QByteArray &text, qsizetype at = 0);
    // The first byte at or after `at` that is neither whitespace nor inside a comment.
    static qsizetype skipSpace(const QByteArray &text, qsizetype at);
    // One past the end of the value starting at `at`; -1 when the text ends first.
    static qsizetype valueEnd(const QByteArray &text, qsizetype at);
};

} // namespace latchkey::import
