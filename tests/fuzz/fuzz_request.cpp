// libFuzzer target: one frame payload through parseRequest, then the parsed params (and the "server"
// member, as server.add reads it) through ServerRecord::fromJson. A record that is accepted must obey
// every naming rule and survive toJson/fromJson unchanged; a refusal must say why.
#include "Message.h"
#include "Names.h"
#include "ServerRecord.h"

#include <cstdint>
#include <cstdlib>

using namespace latchkey;

namespace {

void check(bool condition)
{
    if (!condition) {
        std::abort();
    }
}

void checkRecord(const nlohmann::json &json)
{
    QString error;
    const auto record = ServerRecord::fromJson(json, &error);
    if (!record) {
        check(!error.isEmpty());
        return;
    }
    check(Names::checkServerName(record->name).isEmpty());
    if (record->kind == ServerRecord::Kind::Stdio) {
        check(!record->command.isEmpty() && record->command.size() <= 256);
        check(!record->command.front().isEmpty());
    }
    for (const QString &arg : record->command) {
        check(!arg.contains(QChar(u'\0')));
    }
    check(record->env.size() <= 64);
    for (qsizetype i = 0; i < record->env.size(); ++i) {
        const EnvBinding &binding = record->env.at(i);
        check(Names::checkEnvName(binding.variable).isEmpty());
        check(Names::checkSecretKey(binding.reference).isEmpty());
        for (qsizetype j = 0; j < i; ++j) {
            check(record->env.at(j).variable != binding.variable);
        }
    }
    // What was accepted is written back and read again unchanged (as servers.json does).
    const nlohmann::json written = record->toJson();
    QString againError;
    const auto again = ServerRecord::fromJson(written, &againError);
    check(again.has_value());
    check(again->name == record->name);
    check(again->command == record->command);
    check(again->env == record->env);
    check(again->toJson() == written);
    // And it serialises without throwing (strings came from valid UTF-8).
    (void)written.dump();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView payload(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const ipc::ParsedRequest parsed = ipc::parseRequest(payload);
    if (!parsed.request) {
        check(!parsed.error.errorCode.empty());
        return 0;
    }
    const nlohmann::json &params = parsed.request->params;
    check(params.is_object());
    checkRecord(params);
    if (const auto server = params.find("server"); server != params.end()) {
        checkRecord(*server);
    }
    // secret.set's value check must never throw or accept a NUL / newline.
    if (const auto value = params.find("value"); value != params.end() && value->is_string()) {
        const auto &text = value->get_ref<const std::string &>();
        const QByteArray bytes(text.data(), static_cast<qsizetype>(text.size()));
        if (Names::checkSecretValue(bytes).isEmpty()) {
            check(!bytes.isEmpty() && bytes.size() <= 65536);
            check(!bytes.contains('\0') && !bytes.contains('\n') && !bytes.contains('\r'));
        }
    }
    return 0;
}
