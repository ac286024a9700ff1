#include "SseParser.h"

#include <utility>

namespace latchkey::bridge {

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr qsizetype kBomSize = 3;

// The first CR or LF in [from, end), or end.
const char *lineEnd(const char *from, const char *end)
{
    for (const char *p = from; p < end; ++p) {
        if (*p == '\n' || *p == '\r') {
            return p;
        }
    }
    return end;
}

} // namespace

QList<SseParser::Event> SseParser::feed(QByteArrayView bytes)
{
    QList<Event> out;
    if (hasError()) {
        return out;
    }
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    // A BOM at the very start of the stream is not part of the first line (it may arrive split).
    while (m_bomChecked < kBomSize && p < end) {
        if (*p != kBom[m_bomChecked]) {
            // Not a BOM after all: what matched so far is ordinary text.
            m_buffer.append(kBom, m_bomChecked);
            m_bomChecked = kBomSize;
            break;
        }
        ++p;
        ++m_bomChecked;
    }
    while (p < end) {
        if (m_skipLf) {
            m_skipLf = false;
            if (*p == '\n') { // the LF of a CRLF split between two reads
                ++p;
                continue;
            }
        }
        const char *const stop = lineEnd(p, end);
        const qsizetype length = stop - p;
        if (m_buffer.size() + length > kMaxEvent) {
            m_error = QStringLiteral("the server sent an event-stream line over %1 bytes").arg(kMaxEvent);
            m_buffer = QByteArray();
            return out;
        }
        if (stop == end) { // no line end yet: keep the piece
            m_buffer.append(p, length);
            break;
        }
        if (m_buffer.isEmpty()) {
            line(QByteArrayView(p, length), &out);
        } else {
            m_buffer.append(p, length);
            line(m_buffer, &out);
            m_buffer.clear();
        }
        if (hasError()) {
            return out;
        }
        p = stop + 1;
        if (*stop == '\r') { // CRLF is one line end
            if (p < end) {
                if (*p == '\n') {
                    ++p;
                }
            } else {
                m_skipLf = true;
            }
        }
    }
    return out;
}

void SseParser::line(QByteArrayView text, QList<Event> *out)
{
    if (text.isEmpty()) { // dispatch
        if (m_hasData) {
            out->append(Event{std::exchange(m_type, {}), std::exchange(m_data, {}), m_lastEventId});
        }
        m_type.clear();
        m_data.clear();
        m_hasData = false;
        return;
    }
    if (text.front() == ':') {
        return; // comment / keep-alive
    }
    const qsizetype colon = text.indexOf(':');
    const QByteArrayView field = colon < 0 ? text : text.first(colon);
    QByteArrayView value = colon < 0 ? QByteArrayView() : text.sliced(colon + 1);
    if (value.startsWith(' ')) {
        value = value.sliced(1);
    }
    if (field == "data") {
        if (m_data.size() + value.size() + 1 > kMaxEvent) {
            m_error = QStringLiteral("the server sent an event over %1 bytes").arg(kMaxEvent);
            m_data = QByteArray();
            return;
        }
        if (m_hasData) {
            m_data.append('\n');
        }
        m_data.append(value);
        m_hasData = true;
    } else if (field == "event") {
        m_type = value.toByteArray();
    } else if (field == "id") {
        if (!value.contains('\0')) {
            m_lastEventId = value.toByteArray();
        }
    }
    // "retry" and unknown fields: nothing to do here (the bridge does not reconnect on its own).
}

} // namespace latchkey::bridge
