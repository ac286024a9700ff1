#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace latchkey::bridge {

// Server-Sent Events (HTML Living Standard, "event stream interpretation"), as MCP Streamable HTTP uses
// them: each event's data lines joined with '\n'; lines end with CRLF, LF or CR; a UTF-8 BOM at the
// start is skipped; comments and unknown fields are ignored; an event is dispatched only at the blank
// line that ends it. The last event ID persists from event to event, as the standard says. Bounded:
// a line or an event's data over the cap is an error, and the parser then accepts no more input.
class SseParser
{
public:
    struct Event
    {
        QByteArray type; // empty means "message"
        QByteArray data;
        QByteArray id; // the last event ID when the event was dispatched
    };
    static constexpr qsizetype kMaxEvent = 4 * 1024 * 1024;

    // Feeds bytes; returns the events completed by them.
    QList<Event> feed(QByteArrayView bytes);
    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    // The last event ID seen (the value for a Last-Event-ID header).
    QByteArray lastEventId() const { return m_lastEventId; }

private:
    void line(QByteArrayView text, QList<Event> *out);

    QByteArray m_buffer; // the unfinished line
    QByteArray m_type;
    QByteArray m_data;
    QByteArray m_lastEventId;
    bool m_hasData = false;
    bool m_skipLf = false;
    qsizetype m_bomChecked = 0; // bytes of the stream's start compared with the BOM so far
    QString m_error;
};

} // namespace latchkey::bridge
