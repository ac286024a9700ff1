#pragma once

#include "Protocol.h"

#include <QByteArray>
#include <QByteArrayView>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace latchkey::ipc {

using Json = nlohmann::json;

// {"v":1,"id":7,"method":"token.get","params":{...}}
struct Request
{
    std::int64_t id = 0;
    std::string method;
    Json params = Json::object();

    QByteArray serialize() const;
};

// {"id":7,"result":{...}} or {"id":7,"error":{"code":"...","message":"..."}}; id is null when the
// request was too broken to carry one.
struct Response
{
    std::optional<std::int64_t> id;
    Json result;
    std::string errorCode; // empty on success
    std::string errorMessage;

    bool ok() const { return errorCode.empty(); }
    static Response success(std::optional<std::int64_t> id, Json result);
    static Response failure(std::optional<std::int64_t> id, std::string code, std::string message);
    QByteArray serialize() const;
};

// {"event":"server.changed","data":{...}}, pushed after events.subscribe.
struct Event
{
    std::string name;
    Json data = Json::object();

    QByteArray serialize() const;
};

// Parses a JSON document with a depth limit; nullopt on any syntax error, invalid UTF-8 or
// nesting beyond kMaxJsonDepth.
std::optional<Json> parseJson(QByteArrayView payload, std::string *error = nullptr);

// What the daemon makes of one frame: a request, or the error to answer with. When
// `fatal` is set the stream cannot be trusted any more and the connection is closed after replying.
struct ParsedRequest
{
    std::optional<Request> request;
    Response error;
    bool fatal = false;
};
ParsedRequest parseRequest(QByteArrayView payload);

// What a client makes of one frame from the daemon.
struct ParsedMessage
{
    std::optional<Response> response;
    std::optional<Event> event;
    std::string error; // set when the frame is neither
};
ParsedMessage parseDaemonMessage(QByteArrayView payload);

} // namespace latchkey::ipc
