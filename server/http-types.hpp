// Our own request/response types, so handlers and routing are tested without
// Pistache or a socket, and the error model is applied in one place.
#pragma once

#include <nlohmann/json.hpp>

#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace twindraw::server {

/// The signed-in caller of a request, filled by dispatch() from the session cookie
/// or bearer token before the handler runs (never from anything the client sends
/// directly).
struct Principal {
    long long session_id = 0;
    long long user_id = 0;
    long long identity_id = 0;
    long long unit_id = 0;
    std::string stage;        // "ok" | "password_change"
    std::string csrf_token;
    std::string data_scope;   // "all" | "district" | "unit_tree" | "unit" | "self" | ""
    std::vector<std::string> permissions;
    bool via_cookie = false;  // cookie credentials need the CSRF header on changes

    bool has(const std::string& permission) const;
};

struct Request {
    std::string method;  // "GET", ...
    std::string path;    // decoded, without the query
    std::map<std::string, std::string> query;   // decoded
    std::map<std::string, std::string> params;  // path parameters, filled by the router
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    std::string peer;
    std::optional<Principal> principal;

    std::optional<std::string> header(const std::string& lower_name) const;
    std::optional<std::string> query_value(const std::string& name) const;
    /// The body parsed as a JSON object (see parse_json_object); Error(Unsupported,
    /// "unsupported_media_type") unless Content-Type is application/json (CSRF: no
    /// cross-site form or no-cors fetch can send that), Error(TooLarge, "body_too_large")
    /// over kJsonBodyLimit.
    nlohmann::json json_body() const;
};

/// Bounds every request body read as JSON: a body over kJsonBodyLimit is 413, a
/// nesting deeper than kJsonMaxDepth is 400 before anything walks it (a 100,000-deep
/// body would otherwise overflow the stack of whatever recurses over it: dump(),
/// copies, our handlers).
inline constexpr size_t kJsonBodyLimit = 1024 * 1024;
inline constexpr int kJsonMaxDepth = 64;

/// The deepest nesting of arrays and objects in text (strings skipped), counting
/// no further than limit + 1; text need not be valid JSON.
int json_depth(std::string_view text, int limit = kJsonMaxDepth);

/// text parsed as a JSON object. Throws Error(BadRequest) "json_too_deep" (deeper than
/// kJsonMaxDepth) or "bad_json" (not JSON, or not an object), naming field if given.
nlohmann::json parse_json_object(std::string_view text, const std::string& field = {});

/// The field a nlohmann exception blames, from the JSON pointer that JSON_DIAGNOSTICS
/// puts into its message ("(/items/0/name) type must be …" → "items.0.name"); empty
/// when the message names none.
std::string json_error_field(const char* what);

struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(int status, const nlohmann::json& value);
    static Response no_content();
    /// A file download with a UTF-8 file name (RFC 6266/5987).
    static Response download(std::string bytes, std::string content_type, const std::string& filename);
};

/// The JSON error model: {"error":{"code","message","field"[,"errors"]}} with the
/// HTTP status for the exception's kind. Unknown exceptions become a generic 500
/// whose message says nothing about internals; the caller logs the detail.
Response error_response(const std::exception& e);
Response error_response(int status, const std::string& code, const std::string& message,
                        const std::string& field = {});

/// The client of a request that reached us from peer: peer itself, unless peer is one
/// of trusted_proxies, then the right-most X-Forwarded-For entry that is not a trusted
/// proxy (the left-most ones are whatever the client wrote). Entries that are not IP
/// addresses are ignored.
std::string client_address(const std::string& peer, const std::optional<std::string>& forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

/// Percent-decoding of URL components ('+' as space when form is true).
std::string url_decode(const std::string& s, bool form);

/// Parses "a=1&b=%E4%B8%AD" into a map (later duplicates win).
std::map<std::string, std::string> parse_query(const std::string& raw);

}  // namespace twindraw::server
