#include "server/http-types.hpp"

#include "geo/error.hpp"
#include "workflows/registry-repo.hpp"

#include <pqxx/except>

#include <arpa/inet.h>

#include <algorithm>

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

int json_depth(std::string_view text, int limit) {
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest && (deepest = depth) > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

nlohmann::json parse_json_object(std::string_view text, const std::string& field) {
    // Counted before parsing: nlohmann's parser itself is iterative, but the value it
    // would build is not safe to destroy, copy or print at any depth.
    if (json_depth(text) > kJsonMaxDepth)
        throw bad_request("json_too_deep", "JSON 嵌套层数过多（上限 " + std::to_string(kJsonMaxDepth) + " 层）", field);
    auto v = nlohmann::json::parse(text, nullptr, false);
    if (v.is_discarded() || !v.is_object())
        throw bad_request("bad_json", field.empty() ? "请求体不是有效的 JSON 对象" : "参数 " + field + " 不是有效的 JSON 对象",
                          field);
    return v;
}

std::string json_error_field(const char* what) {
    std::string_view w(what);
    size_t open = w.find("] (/");
    if (open == std::string_view::npos) return {};
    size_t close = w.find(") ", open);
    if (close == std::string_view::npos) return {};
    std::string field(w.substr(open + 4, close - open - 4));
    for (auto& c : field)
        if (c == '/') c = '.';
    // JSON pointer escapes: ~1 is '/', ~0 is '~'.
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '~' && i + 1 < field.size() && (field[i + 1] == '0' || field[i + 1] == '1')) {
            out += field[i + 1] == '0' ? '~' : '/';
            ++i;
        } else {
            out += field[i];
        }
    }
    if (out.size() > 100) out.resize(100);  // the client's own text echoed back: bounded
    return out;
}

nlohmann::json Request::json_body() const {
    // Only application/json: a page of another site can post text/plain (or a blob
    // without a type) cross-origin without a preflight, never application/json — the
    // login CSRF rule, and the same for every route that reads a JSON body.
    if (body.empty()) throw bad_request("bad_json", "请求体不是有效的 JSON 对象");
    std::string type = header("content-type").value_or("");
    type = type.substr(0, type.find(';'));
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
    if (type != "application/json")
        throw Error(Error::Kind::Unsupported, "unsupported_media_type", "请求体须为 JSON（Content-Type: application/json）",
                    "Content-Type");
    if (body.size() > kJsonBodyLimit) throw Error(Error::Kind::TooLarge, "body_too_large", "请求体过大（上限 1 MB）");
    return parse_json_object(body);
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
    // What PostgreSQL refused because of a value the client sent (a date that does not
    // exist, a number out of range, a duplicate, a missing reference) is the client's
    // fault: decided by SQLSTATE, never by the message; the message itself is not shown.
    if (auto* q = dynamic_cast<const pqxx::sql_error*>(&e)) {
        const std::string& st = q->sqlstate();
        if (st.rfind("22", 0) == 0) return error_response(400, "bad_value", "输入的值格式不正确或超出范围");
        if (st == "23505") return error_response(409, "duplicate", "与已有记录重复");
        if (st == "23503") return error_response(409, "reference", "引用的记录不存在，或记录仍被引用");
        if (st == "23502" || st == "23514") return error_response(422, "invalid_value", "输入的值不符合要求");
        if (st == "42501") return error_response(403, "out_of_scope", "超出本人数据范围");
        if (st == "55P03") return error_response(409, "busy", "数据正被他人修改，请稍后重试");
    }
    if (dynamic_cast<const pqxx::transaction_rollback*>(&e))  // serialization failure, deadlock
        return error_response(409, "busy", "数据正被他人修改，请稍后重试");
    return error_response(500, "internal", "服务器内部错误，请稍后重试");
}

std::string client_address(const std::string& peer, const std::optional<std::string>& forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
    auto trusted = [&](const std::string& a) {
        return std::find(trusted_proxies.begin(), trusted_proxies.end(), a) != trusted_proxies.end();
    };
    if (!forwarded_for || !trusted(peer)) return peer;
    const std::string& x = *forwarded_for;
    size_t end = x.size();
    while (true) {
        size_t comma = end == 0 ? std::string::npos : x.rfind(',', end - 1);
        size_t start = comma == std::string::npos ? 0 : comma + 1;
        std::string hop = x.substr(start, end - start);
        size_t a = hop.find_first_not_of(" \t"), b = hop.find_last_not_of(" \t");
        hop = a == std::string::npos ? std::string() : hop.substr(a, b - a + 1);
        unsigned char buf[16];
        const bool ip = hop.size() <= 45 && (inet_pton(AF_INET, hop.c_str(), buf) == 1 || inet_pton(AF_INET6, hop.c_str(), buf) == 1);
        if (!ip) return peer;  // a hop we cannot read: the last one we can vouch for is the proxy
        if (!trusted(hop)) return hop;
        if (comma == std::string::npos) return hop;
        end = comma;
    }
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
