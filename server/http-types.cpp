#include "server/http-types.hpp"

#include "geo/error.hpp"
#include "workflows/registry-repo.hpp"

#include <pqxx/except>

namespace twindraw::server {

bool Principal::has(const std::string& permission) const {
    for (const auto& p : permissions)
        if (p == permission) return true;
    return false;
}

std::optional<std::string> Request::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::query_value(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

nlohmann::json Request::json_body() const {
    if (body.size() > 1024 * 1024) throw Error(Error::Kind::TooLarge, "body_too_large", "请求体过大（上限 1 MB）");
    auto v = nlohmann::json::parse(body, nullptr, false);
    if (v.is_discarded() || !v.is_object()) throw bad_request("bad_json", "请求体不是有效的 JSON 对象");
    return v;
}

Response Response::json(int status, const nlohmann::json& value) {
    Response r;
    r.status = status;
    r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response Response::no_content() {
    Response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

Response Response::download(std::string bytes, std::string content_type, const std::string& filename) {
    Response r;
    r.body = std::move(bytes);
    r.content_type = std::move(content_type);
    std::string encoded;
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : filename) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 15];
        }
    }
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"export\"; filename*=UTF-8''" + encoded);
    return r;
}

Response error_response(int status, const std::string& code, const std::string& message, const std::string& field) {
    nlohmann::json err = {{"code", code}, {"message", message}};
    if (!field.empty()) err["field"] = field;
    return Response::json(status, {{"error", err}});
}

namespace {
int status_of(Error::Kind k) {
    switch (k) {
    case Error::Kind::BadRequest: return 400;
    case Error::Kind::NotFound: return 404;
    case Error::Kind::Conflict: return 409;
    case Error::Kind::TooLarge: return 413;
    case Error::Kind::Unsupported: return 415;
    case Error::Kind::Invalid: return 422;
    case Error::Kind::Unauthorized: return 401;
    case Error::Kind::Forbidden: return 403;
    case Error::Kind::TooMany: return 429;
    case Error::Kind::Unavailable: return 503;
    case Error::Kind::Internal: return 500;
    }
    return 500;
}
}  // namespace

Response error_response(const std::exception& e) {
    if (auto* v = dynamic_cast<const registry::ValidationError*>(&e)) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& fe : v->errors()) {
            nlohmann::json item = {{"field", fe.field}, {"code", fe.code}, {"message", fe.message}};
            list.push_back(item);
        }
        nlohmann::json err = {{"code", v->code()}, {"message", v->message()}, {"errors", list}};
        if (!v->field().empty()) err["field"] = v->field();
        return Response::json(422, {{"error", err}});
    }
    if (auto* t = dynamic_cast<const Error*>(&e)) {
        if (t->kind() == Error::Kind::Internal) return error_response(500, "internal", "服务器内部错误，请稍后重试");
        auto r = error_response(status_of(t->kind()), t->code(), t->message(), t->field());
        if (!t->details().empty()) {
            auto body = nlohmann::json::parse(r.body);
            for (const auto& [k, v] : t->details())
                if (!body["error"].contains(k)) body["error"][k] = v;
            r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        return r;
    }
    if (dynamic_cast<const pqxx::broken_connection*>(&e))
        return error_response(503, "db_unavailable", "数据库暂时无法连接，请稍后重试");
    return error_response(500, "internal", "服务器内部错误，请稍后重试");
}

std::string url_decode(const std::string& s, bool form) {
    std::string out;
    out.reserve(s.size());
    auto hexval = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += (form && c == '+') ? ' ' : c;
    }
    return out;
}

std::map<std::string, std::string> parse_query(const std::string& raw) {
    std::map<std::string, std::string> out;
    size_t start = 0;
    while (start <= raw.size()) {
        size_t amp = raw.find('&', start);
        std::string part = raw.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        if (!part.empty()) {
            size_t eq = part.find('=');
            std::string k = url_decode(part.substr(0, eq), true);
            std::string v = eq == std::string::npos ? "" : url_decode(part.substr(eq + 1), true);
            out[k] = v;
        }
        if (amp == std::string::npos) break;
        start = amp + 1;
    }
    return out;
}

}  // namespace twindraw::server
