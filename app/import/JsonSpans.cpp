#include "JsonSpans.h"

#include <nlohmann/json.hpp>

namespace latchkey::import {

namespace {

// One past the closing quote of the string starting at `at` (a '"'); -1 if unterminated.
qsizetype stringEnd(const QByteArray &text, qsizetype at)
{
    for (qsizetype i = at + 1; i < text.size(); ++i) {
        if (text.at(i) == '\\') {
            ++i;
        } else if (text.at(i) == '"') {
            return i + 1;
        }
    }
    return -1;
}

} // namespace

qsizetype JsonSpans::skipSpace(const QByteArray &text, qsizetype at)
{
    while (at < text.size()) {
        const char c = text.at(at);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++at;
        } else if (c == '/' && at + 1 < text.size() && text.at(at + 1) == '/') {
            const qsizetype newline = text.indexOf('\n', at);
            at = newline < 0 ? text.size() : newline + 1;
        } else if (c == '/' && at + 1 < text.size() && text.at(at + 1) == '*') {
            const qsizetype close = text.indexOf("*/", at + 2);
            at = close < 0 ? text.size() : close + 2;
        } else {
            break;
        }
    }
    return at;
}

qsizetype JsonSpans::valueEnd(const QByteArray &text, qsizetype at)
{
    if (at >= text.size()) {
        return -1;
    }
    const char first = text.at(at);
    if (first == '"') {
        return stringEnd(text, at);
    }
    if (first != '{' && first != '[') {
        // A number or a literal: up to the next delimiter.
        qsizetype i = at;
        while (i < text.size() && !QByteArrayView(",}] \t\r\n/").contains(text.at(i))) {
            ++i;
        }
        return i;
    }
    int depth = 0;
    for (qsizetype i = at; i < text.size();) {
        i = skipSpace(text, i);
        if (i >= text.size()) {
            break;
        }
        const char c = text.at(i);
        if (c == '"') {
            i = stringEnd(text, i);
            if (i < 0) {
                return -1;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
        ++i;
    }
    return -1;
}

std::optional<QList<JsonSpans::Member>> JsonSpans::members(const QByteArray &text, qsizetype at)
{
    qsizetype i = skipSpace(text, at);
    if (i >= text.size() || text.at(i) != '{') {
        return std::nullopt;
    }
    QList<Member> out;
    i = skipSpace(text, i + 1);
    while (i < text.size() && text.at(i) != '}') {
        if (text.at(i) != '"') {
            return std::nullopt;
        }
        const qsizetype keyEnd = stringEnd(text, i);
        if (keyEnd < 0) {
            return std::nullopt;
        }
        Member member;
        try {
            member.name = nlohmann::json::parse(text.begin() + i, text.begin() + keyEnd).get<std::string>();
        } catch (const nlohmann::json::exception &) {
            return std::nullopt;
        }
        i = skipSpace(text, keyEnd);
        if (i >= text.size() || text.at(i) != ':') {
            return std::nullopt;
        }
        member.value.begin = skipSpace(text, i + 1);
        member.value.end = valueEnd(text, member.value.begin);
        if (member.value.end < 0) {
            return std::nullopt;
        }
        out.append(member);
        i = skipSpace(text, member.value.end);
        if (i < text.size() && text.at(i) == ',') {
            i = skipSpace(text, i + 1);
        }
    }
    if (i >= text.size()) {
        return std::nullopt;
    }
    return out;
}

} // namespace latchkey::import
