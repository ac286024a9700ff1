#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace latchkey::bridge {

// Server-Sent Events (HTML Living Standard, "event stream interpretation"), as MCP Streamable HTTP uses
// them: each event's data lines joined with '\n'. Bounded: an event or line over the cap is an error,
// and the parser stops accepting input.
class SseParser
{
public:
    struct Event
    {
        QByteArray type; // empty means "message"
        QByteArray data;
        QByteArray id;
    };
    static constexpr qsizetype kMaxEvent = 4 * 1024 * 1024;

    // Feeds bytes; returns the events completed by them.
    QList<Event> feed(QByteArrayView bytes);
    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }

private:
    void line(QByteArrayView text, QList<Event> *out);

    QByteArray m_buffer;
    Event m_current;
    bool m_hasData = false;
    bool m_skipLf = false;
    QString m_error;
};

} // namespace latchkey::bridge
