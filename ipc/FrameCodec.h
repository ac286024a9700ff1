#pragma once

#include "Protocol.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <optional>

namespace latchkey::ipc {

// Length-prefixed framing: a 4-byte big-endian payload length, then the payload.
// The decoder buffers partial frames and refuses a length over the cap as soon as the
// four length bytes arrive, before it buffers or allocates anything for the payload.
class FrameCodec
{
public:
    explicit FrameCodec(std::uint32_t maxPayload = kMaxFrameSize);

    static QByteArray encode(QByteArrayView payload);

    // Adds received bytes. Ignored once the stream is in error: a bad frame ends the connection.
    void append(QByteArrayView data);
    // The next complete payload, if one is buffered.
    std::optional<QByteArray> next();

    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }
    qsizetype bufferedBytes() const { return m_buffer.size() - m_offset; }

private:
    void compact();

    std::uint32_t m_maxPayload;
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    QString m_error;
};

} // namespace latchkey::ipc
