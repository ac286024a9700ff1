// libFuzzer target: WwwAuthenticate::parse on arbitrary bytes. Beyond "no crash, no sanitizer report",
// it checks what the parser promises: caps hold, names are lowercase tokens, no challenge repeats a
// parameter, and the canonical serialization parses back to the same challenges.
#include "WwwAuthenticate.h"

#include <cstdint>
#include <cstdlib>

using latchkey::oauth::WwwAuthenticate;

namespace {

void require(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

bool isLowerToken(const QByteArray &name)
{
    if (name.isEmpty()) {
        return false;
    }
    for (const char c : name) {
        if ((c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F ||
            c == '"' || c == ',' || c == '=' || c == '\\') {
            return false;
        }
    }
    return true;
}

void checkInvariants(const WwwAuthenticate &parsed)
{
    require(parsed.isValid() == parsed.errorString().isEmpty());
    require(parsed.challenges().size() <= WwwAuthenticate::MaxChallenges);
    for (const auto &challenge : parsed.challenges()) {
        require(isLowerToken(challenge.scheme));
        require(challenge.params.size() <= WwwAuthenticate::MaxParamsPerChallenge);
        require(challenge.token68.isEmpty() || challenge.params.isEmpty());
        for (qsizetype i = 0; i < challenge.params.size(); ++i) {
            require(isLowerToken(challenge.params[i].name));
            require(challenge.param(challenge.params[i].name) == challenge.params[i].value);
            for (qsizetype j = i + 1; j < challenge.params.size(); ++j) {
                require(challenge.params[i].name != challenge.params[j].name);
            }
        }
    }
    // The Bearer accessors agree with the challenge list.
    const auto *bearer = parsed.find("bearer");
    require(parsed.hasBearer() == (bearer != nullptr));
    require(parsed.scope() == (bearer ? QString::fromUtf8(bearer->param("scope")) : QString()));
    (void)parsed.resourceMetadata();
    (void)parsed.error();
    (void)parsed.errorDescription();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const WwwAuthenticate parsed = WwwAuthenticate::parse(input);
    checkInvariants(parsed);

    const QByteArray serialized = parsed.toByteArray();
    if (serialized.size() <= WwwAuthenticate::MaxFieldLength) {
        const WwwAuthenticate again = WwwAuthenticate::parse(serialized);
        require(again.isValid());
        require(again.challenges() == parsed.challenges());
        require(again.toByteArray() == serialized);
    }

    // The same bytes as several field lines, split at newlines.
    const WwwAuthenticate lines = WwwAuthenticate::parse(input.toByteArray().split('\n'));
    checkInvariants(lines);
    return 0;
}
