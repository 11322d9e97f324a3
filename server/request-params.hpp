// Path and query parameters checked before use (Pistache would answer a bare 500 on a
// bad lexical cast): a bad value is 400 naming the parameter.
#pragma once

#include "geo/error.hpp"
#include "server/http-types.hpp"
#include "workflows/flow-history.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::server::params {

inline long long path_id(const Request& req, const std::string& name = "id") {
    const std::string& v = req.params.at(name);
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
        throw bad_request("bad_" + name, "编号格式不正确", name);
    return std::stoll(v);
}

inline long long query_int(const Request& req, const char* name, long long fallback, long long lo, long long hi) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return fallback;
    if (v->size() > 12 || v->find_first_not_of("0123456789") != std::string::npos)
        throw bad_request("bad_query", std::string("参数格式不正确：") + name, name);
    long long n = std::stoll(*v);
    if (n < lo || n > hi) throw bad_request("bad_query", std::string("参数超出范围：") + name, name);
    return n;
}

inline std::optional<bool> query_bool(const Request& req, const char* name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (*v != "true" && *v != "false")
        throw bad_request("bad_query", std::string(name) + " 只能是 true 或 false", name);
    return *v == "true";
}

/// A free-text filter of at most 100 characters (longer is 400, never a slow scan).
inline std::string query_text(const Request& req, const char* name) {
    auto v = req.query_value(name).value_or("");
    if (v.size() > 300) throw bad_request("bad_query", std::string("查询条件过长：") + name, name);
    return v;
}

/// One of the given values, or empty.
inline std::string query_choice(const Request& req, const char* name, std::initializer_list<const char*> values) {
    auto v = req.query_value(name).value_or("");
    if (v.empty()) return v;
    for (const char* c : values)
        if (v == c) return v;
    throw bad_request("bad_query", std::string("参数取值不正确：") + name, name);
}

/// A positive integer query parameter, or nullopt when absent; otherwise 400 bad_<name>.
inline std::optional<long long> query_positive(const Request& req, const char* name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (v->size() > 12 || (*v)[0] == '0' || v->find_first_not_of("0123456789") != std::string::npos)
        throw bad_request(std::string("bad_") + name, std::string("参数 ") + name + " 应为正整数", name);
    return std::stoll(*v);
}

/// The JSON object body; an empty body counts as {}.
inline nlohmann::json body_object(const Request& req) {
    return req.body.empty() ? nlohmann::json::object() : req.json_body();
}

/// The signed-in actor as the workflows take it (routes that need a session only).
inline flow::FlowActor flow_actor(const Request& req) {
    const Principal& p = *req.principal;
    return {p.user_id, p.unit_id, p.data_scope, p.permissions};
}

}  // namespace twindraw::server::params
