// The error type every layer throws. Each carries a stable English code for programs,
// a Chinese message for users and, where one input field is to blame, that field.
// Only server/ maps a Kind to an HTTP status; nothing else knows about HTTP.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace twindraw {

class Error : public std::runtime_error {
public:
    enum class Kind {
        BadRequest,     // malformed input (400)
        NotFound,       // no such thing (404)
        Conflict,       // state or uniqueness conflict (409)
        TooLarge,       // body or file over its limit (413)
        Unsupported,    // wrong media type (415)
        Invalid,        // well-formed but fails validation (422)
        Unauthorized,   // no valid session or bad credentials (401)
        Forbidden,      // signed in but not allowed (403)
        TooMany,        // too many attempts, locked for a while (429)
        Unavailable,    // a dependency (the database) is not reachable (503)
        Internal        // our own fault (500); the message shown is generic
    };

    Error(Kind kind, std::string code, std::string message, std::string field = {})
        : std::runtime_error(code + ": " + message), kind_(kind), code_(std::move(code)),
          message_(std::move(message)), field_(std::move(field)) {}

    Kind kind() const noexcept { return kind_; }
    const std::string& code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    const std::string& field() const noexcept { return field_; }

    /// Extra string members of the error body, e.g. {"state", "distributed"} on a
    /// forbidden state transition (409), so a client can show what the state is now.
    Error& with(std::string key, std::string value) {
        details_.emplace_back(std::move(key), std::move(value));
        return *this;
    }
    const std::vector<std::pair<std::string, std::string>>& details() const noexcept { return details_; }

private:
    Kind kind_;
    std::string code_;
    std::string message_;
    std::string field_;
    std::vector<std::pair<std::string, std::string>> details_;
};

inline Error bad_request(std::string code, std::string message, std::string field = {}) {
    return {Error::Kind::BadRequest, std::move(code), std::move(message), std::move(field)};
}
inline Error invalid(std::string code, std::string message, std::string field = {}) {
    return {Error::Kind::Invalid, std::move(code), std::move(message), std::move(field)};
}
inline Error not_found(std::string message = "记录不存在") {
    return {Error::Kind::NotFound, "not_found", std::move(message)};
}
inline Error forbidden(std::string code, std::string message) {
    return {Error::Kind::Forbidden, std::move(code), std::move(message)};
}
inline Error conflict(std::string code, std::string message, std::string field = {}) {
    return {Error::Kind::Conflict, std::move(code), std::move(message), std::move(field)};
}

}  // namespace twindraw
