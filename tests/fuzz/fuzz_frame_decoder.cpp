// libFuzzer target: arbitrary bytes, cut into chunks of fuzzer-chosen sizes, through FrameCodec, and
// parseRequest on every payload that comes out. Checked against a plain reference decoder of the same
// stream, plus the invariants the daemon relies on (never more buffered than one capped frame, sticky
// errors, every error reply serialisable and readable by a client).
#include "FrameCodec.h"
#include "Message.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace latchkey::ipc;

namespace {

void check(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

struct Reference
{
    std::vector<QByteArray> frames;
    bool error = false;
};

// Frames of a whole stream, decoded in one go: the codec must agree whatever the chunking.
Reference decodeWhole(const QByteArray &stream, std::uint32_t cap)
{
    Reference out;
    qsizetype pos = 0;
    while (stream.size() - pos >= 4) {
        const auto *p = reinterpret_cast<const unsigned char *>(stream.constData() + pos);
        const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                     (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
        if (length == 0 || length > cap) {
            out.error = true;
            break;
        }
        if (stream.size() - pos - 4 < static_cast<qsizetype>(length)) {
            break;
        }
        out.frames.push_back(stream.mid(pos + 4, static_cast<qsizetype>(length)));
        pos += 4 + static_cast<qsizetype>(length);
    }
    return out;
}

void checkRequest(const QByteArray &payload)
{
    const ParsedRequest parsed = parseRequest(payload);
    if (parsed.request) {
        check(!parsed.fatal);
        check(!parsed.request->method.empty() && parsed.request->method.size() <= 64);
        check(parsed.request->params.is_object());
        // What the daemon accepted, re-encoded, reads back the same.
        const ParsedRequest again = parseRequest(parsed.request->serialize());
        check(again.request.has_value());
        check(again.request->id == parsed.request->id);
        check(again.request->method == parsed.request->method);
        check(again.request->params == parsed.request->params);
        return;
    }
    check(!parsed.error.errorCode.empty());
    check(!parsed.fatal || !parsed.error.id.has_value());
    // The error reply is a valid frame a client can read, with the same id and code.
    const QByteArray reply = parsed.error.serialize();
    check(reply.size() > 0 && static_cast<std::uint64_t>(reply.size()) <= kMaxFrameSize);
    const ParsedMessage back = parseDaemonMessage(reply);
    check(back.response.has_value());
    check(back.response->id == parsed.error.id);
    check(back.response->errorCode == parsed.error.errorCode);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    FuzzedDataProvider provider(data, size);
    // Mostly the real cap; sometimes a small one so that payloads at and over the cap are reachable.
    const std::uint32_t cap =
        provider.ConsumeBool() ? kMaxFrameSize : provider.ConsumeIntegralInRange<std::uint32_t>(1, 256);
    FrameCodec codec(cap);
    QByteArray stream;
    std::vector<QByteArray> frames;
    while (provider.remaining_bytes() > 0) {
        const auto chunkSize = provider.ConsumeIntegralInRange<std::size_t>(0, 512);
        const std::string chunk = provider.ConsumeBytesAsString(chunkSize);
        const bool wasError = codec.hasError();
        const QString errorBefore = codec.errorString();
        codec.append(QByteArrayView(chunk.data(), static_cast<qsizetype>(chunk.size())));
        if (wasError) {
            // Sticky: nothing more is taken in and the reason stays the same.
            check(codec.hasError());
            check(codec.errorString() == errorBefore);
            check(codec.bufferedBytes() == 0);
            check(!codec.next().has_value());
            continue;
        }
        stream.append(chunk.data(), static_cast<qsizetype>(chunk.size()));
        while (auto payload = codec.next()) {
            check(!payload->isEmpty());
            check(static_cast<std::uint64_t>(payload->size()) <= cap);
            check(!codec.hasError());
            frames.push_back(*payload);
            checkRequest(*payload);
        }
        if (codec.hasError()) {
            check(!codec.errorString().isEmpty());
            check(codec.bufferedBytes() == 0);
        } else {
            // Drained: at most one header and an incomplete capped payload remain.
            check(codec.bufferedBytes() < static_cast<qsizetype>(cap) + 4);
        }
    }

    const Reference reference = decodeWhole(stream, cap);
    check(reference.error == codec.hasError());
    check(reference.frames == frames);
    // And the codec round-trips what it decoded.
    QByteArray reencoded;
    for (const QByteArray &frame : frames) {
        reencoded += FrameCodec::encode(frame);
    }
    check(stream.startsWith(reencoded));
    return 0;
}
