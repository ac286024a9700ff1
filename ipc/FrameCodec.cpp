#include "FrameCodec.h"

#include <QtEndian>

namespace latchkey::ipc {

namespace {
constexpr qsizetype kHeaderSize = 4;
}

FrameCodec::FrameCodec(std::uint32_t maxPayload) : m_maxPayload(maxPayload) {}

QByteArray FrameCodec::encode(QByteArrayView payload)
{
    QByteArray frame(kHeaderSize + payload.size(), Qt::Uninitialized);
    qToBigEndian(static_cast<quint32>(payload.size()), frame.data());
    std::copy(payload.begin(), payload.end(), frame.begin() + kHeaderSize);
    return frame;
}

void FrameCodec::append(QByteArrayView data)
{
    if (hasError() || data.isEmpty()) {
        return;
    }
    // Only ever hold one header plus at most one capped payload beyond what next() has consumed,
    // so a peer cannot make us buffer more than the cap allows.
    m_buffer.append(data);
    const qsizetype pending = m_buffer.size() - m_offset;
    if (pending >= kHeaderSize) {
        const auto length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
        if (length > m_maxPayload) {
            m_error = QStringLiteral("frame length %1 exceeds the limit of %2 bytes").arg(length).arg(m_maxPayload);
        } else if (length == 0) {
            m_error = QStringLiteral("empty frame");
        }
        if (hasError()) {
            m_buffer.clear();
            m_offset = 0;
        }
    }
}

std::optional<QByteArray> FrameCodec::next()
{
    if (hasError()) {
        return std::nullopt;
    }
    const qsizetype pending = m_buffer.size() - m_offset;
    if (pending < kHeaderSize) {
        compact();
        return std::nullopt;
    }
    const auto length = qFromBigEndian<quint32>(m_buffer.constData() + m_offset);
    if (length > m_maxPayload || length == 0) {
        // append() validates each header it sees; later headers surface here.
        m_error = length == 0
                      ? QStringLiteral("empty frame")
                      : QStringLiteral("frame length %1 exceeds the limit of %2 bytes").arg(length).arg(m_maxPayload);
        m_buffer.clear();
        m_offset = 0;
        return std::nullopt;
    }
    if (pending - kHeaderSize < static_cast<qsizetype>(length)) {
        compact();
        return std::nullopt;
    }
    QByteArray payload(m_buffer.constData() + m_offset + kHeaderSize, static_cast<qsizetype>(length));
    m_offset += kHeaderSize + static_cast<qsizetype>(length);
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    return payload;
}

void FrameCodec::compact()
{
    if (m_offset > 0) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
}

} // namespace latchkey::ipc
