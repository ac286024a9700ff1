#include "SseParser.h"

namespace latchkey::bridge {

QList<SseParser::Event> SseParser::feed(QByteArrayView bytes)
{
    QList<Event> out;
    if (hasError()) {
        return out;
    }
    for (const char c : bytes) {
        if (m_skipLf) {
            m_skipLf = false;
            if (c == '\n') {
                continue;
            }
        }
        if (c == '\r' || c == '\n') {
            m_skipLf = c == '\r'; // CRLF is one line end
            line(m_buffer, &out);
            m_buffer.clear();
            if (hasError()) {
                return out;
            }
            continue;
        }
        m_buffer.append(c);
        if (m_buffer.size() > kMaxEvent) {
            m_error = QStringLiteral("the server sent an event-stream line over %1 bytes").arg(kMaxEvent);
            m_buffer.clear();
            return out;
        }
    }
    return out;
}

void SseParser::line(QByteArrayView text, QList<Event> *out)
{
    if (text.isEmpty()) { // dispatch
        if (m_hasData) {
            out->append(m_current);
        }
        m_current = Event{};
        m_hasData = false;
        return;
    }
    if (text.startsWith(':')) {
        return; // comment / keep-alive
    }
    const qsizetype colon = text.indexOf(':');
    const QByteArrayView field = colon < 0 ? text : text.first(colon);
    QByteArrayView value = colon < 0 ? QByteArrayView() : text.sliced(colon + 1);
    if (value.startsWith(' ')) {
        value = value.sliced(1);
    }
    if (field == "data") {
        if (m_hasData) {
            m_current.data.append('\n');
        }
        m_current.data.append(value);
        m_hasData = true;
        if (m_current.data.size() > kMaxEvent) {
            m_error = QStringLiteral("the server sent an event over %1 bytes").arg(kMaxEvent);
        }
    } else if (field == "event") {
        m_current.type = value.toByteArray();
    } else if (field == "id") {
        m_current.id = value.toByteArray();
    }
}

} // namespace latchkey::bridge
