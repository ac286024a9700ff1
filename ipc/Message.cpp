#include "Message.h"

namespace latchkey::ipc {

namespace {

constexpr std::size_t kMaxMethodLength = 64;

QByteArray dump(const Json &value)
{
    // replace: a stray invalid UTF-8 byte must never turn a reply into an exception.
    const std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

Json idJson(const std::optional<std::int64_t> &id)
{
    return id ? Json(*id) : Json(nullptr);
}

std::optional<std::int64_t> readId(const Json &doc)
{
    const auto it = doc.find("id");
    if (it == doc.end() || !it->is_number_integer()) {
        return std::nullopt;
    }
    // Non-negative integers parse as unsigned; one above INT64_MAX would wrap into another id.
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        return std::nullopt;
    }
    return it->get<std::int64_t>();
}

} // namespace

QByteArray Request::serialize() const
{
    return dump(Json{{"v", kProtocolVersion}, {"id", id}, {"method", method}, {"params", params}});
}

Response Response::success(std::optional<std::int64_t> id, Json result)
{
    Response r;
    r.id = id;
    r.result = result.is_null() ? Json::object() : std::move(result);
    return r;
}

Response Response::failure(std::optional<std::int64_t> id, std::string code, std::string message)
{
    Response r;
    r.id = id;
    r.errorCode = std::move(code);
    r.errorMessage = std::move(message);
    return r;
}

QByteArray Response::serialize() const
{
    if (ok()) {
        return dump(Json{{"id", idJson(id)}, {"result", result}});
    }
    return dump(Json{{"id", idJson(id)}, {"error", {{"code", errorCode}, {"message", errorMessage}}}});
}

QByteArray Event::serialize() const
{
    return dump(Json{{"event", name}, {"data", data}});
}

std::optional<Json> parseJson(QByteArrayView payload, std::string *error)
{
    // depth counts the containers already open around the event, so the container that would be
    // nested kMaxJsonDepth + 1 deep starts at depth kMaxJsonDepth.
    const auto depthGuard = [](int depth, Json::parse_event_t event, Json &) {
        const bool opens = event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
        if (opens && depth >= kMaxJsonDepth) {
            throw std::length_error("nesting too deep");
        }
        return true;
    };
    try {
        return Json::parse(payload.begin(), payload.end(), depthGuard);
    } catch (const std::exception &e) {
        if (error) {
            *error = e.what();
        }
        return std::nullopt;
    }
}

ParsedRequest parseRequest(QByteArrayView payload)
{
    ParsedRequest out;
    std::string why;
    const auto doc = parseJson(payload, &why);
    if (!doc) {
        out.error = Response::failure(std::nullopt, error::BadRequest, "request is not valid JSON");
        out.fatal = true;
        return out;
    }
    if (!doc->is_object()) {
        out.error = Response::failure(std::nullopt, error::BadRequest, "request must be a JSON object");
        out.fatal = true;
        return out;
    }
    const auto id = readId(*doc);
    if (!id) {
        out.error = Response::failure(std::nullopt, error::BadRequest, "request needs an integer \"id\"");
        out.fatal = true;
        return out;
    }
    const auto v = doc->find("v");
    if (v == doc->end() || !v->is_number_integer()) {
        out.error = Response::failure(id, error::BadRequest, "request needs an integer \"v\"");
        return out;
    }
    if (v->get<std::int64_t>() != kProtocolVersion) {
        out.error =
            Response::failure(id, error::UnsupportedVersion,
                              "protocol version " + std::to_string(v->get<std::int64_t>()) +
                                  " is not supported; this daemon speaks version " + std::to_string(kProtocolVersion));
        return out;
    }
    const auto method = doc->find("method");
    if (method == doc->end() || !method->is_string() || method->get_ref<const std::string &>().empty() ||
        method->get_ref<const std::string &>().size() > kMaxMethodLength) {
        out.error = Response::failure(id, error::BadRequest, "request needs a \"method\" string of 1 to 64 bytes");
        return out;
    }
    Request request;
    request.id = *id;
    request.method = method->get<std::string>();
    if (const auto params = doc->find("params"); params != doc->end() && !params->is_null()) {
        if (!params->is_object()) {
            out.error = Response::failure(id, error::InvalidParams, "\"params\" must be an object");
            return out;
        }
        request.params = *params;
    }
    out.request = std::move(request);
    return out;
}

ParsedMessage parseDaemonMessage(QByteArrayView payload)
{
    ParsedMessage out;
    const auto doc = parseJson(payload, &out.error);
    if (!doc || !doc->is_object()) {
        out.error = "daemon sent a message that is not a JSON object";
        return out;
    }
    if (const auto name = doc->find("event"); name != doc->end() && name->is_string()) {
        Event event;
        event.name = name->get<std::string>();
        if (const auto data = doc->find("data"); data != doc->end()) {
            event.data = *data;
        }
        out.event = std::move(event);
        return out;
    }
    Response response;
    response.id = readId(*doc);
    if (const auto err = doc->find("error"); err != doc->end() && err->is_object()) {
        const auto field = [&](const char *key) {
            const auto it = err->find(key);
            return it != err->end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        response.errorCode = field("code");
        response.errorMessage = field("message");
        if (response.errorCode.empty()) {
            response.errorCode = error::Internal;
        }
    } else if (const auto result = doc->find("result"); result != doc->end()) {
        response.result = *result;
    } else {
        out.error = "daemon message has neither result, error nor event";
        return out;
    }
    out.response = std::move(response);
    return out;
}

} // namespace latchkey::ipc
