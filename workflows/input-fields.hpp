// Reading the fields of a JSON request body with every problem collected, so that one
// 422 answer names each bad field in Chinese (registry::ValidationError carries them).
#pragma once

#include "workflows/registry-repo.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace twindraw::input {

/// Counts UTF-8 code points (a Chinese character is one).
inline size_t chars(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

class Fields {
public:
    explicit Fields(const nlohmann::json& body) : body_(body) {}

    bool has(const char* name) const { return body_.contains(name) && !body_[name].is_null(); }

    /// A text field of at most max characters, trimmed of nothing; required means
    /// present and not empty. Returns nullopt when absent (or on error).
    std::optional<std::string> text(const char* name, const std::string& label, size_t max, bool required) {
        if (!has(name)) {
            if (required) fail(name, "required", label + "不能为空");
            return std::nullopt;
        }
        const auto& v = body_[name];
        if (!v.is_string()) {
            fail(name, "bad_type", label + "应为文本");
            return std::nullopt;
        }
        std::string s = v.get<std::string>();
        if (required && s.find_first_not_of(" \t\r\n") == std::string::npos) {
            fail(name, "required", label + "不能为空");
            return std::nullopt;
        }
        if (chars(s) > max) {
            fail(name, "too_long", label + "不能超过 " + std::to_string(max) + " 个字");
            return std::nullopt;
        }
        return s;
    }

    /// One of the given values.
    std::optional<std::string> choice(const char* name, const std::string& label,
                                      const std::vector<std::string>& values, bool required) {
        auto v = text(name, label, 40, required);
        if (!v) return v;
        for (const auto& c : values)
            if (c == *v) return v;
        fail(name, "bad_choice", label + "的取值不正确");
        return std::nullopt;
    }

    std::optional<bool> boolean(const char* name, const std::string& label) {
        if (!has(name)) return std::nullopt;
        if (!body_[name].is_boolean()) {
            fail(name, "bad_type", label + "应为是或否");
            return std::nullopt;
        }
        return body_[name].get<bool>();
    }

    std::optional<long long> integer(const char* name, const std::string& label, long long lo, long long hi,
                                     bool required) {
        if (!has(name)) {
            if (required) fail(name, "required", label + "不能为空");
            return std::nullopt;
        }
        const auto& v = body_[name];
        if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi) {
            fail(name, "bad_type", label + "应为 " + std::to_string(lo) + " 到 " + std::to_string(hi) + " 之间的整数");
            return std::nullopt;
        }
        return v.get<long long>();
    }

    /// A list of positive ids (at most max).
    std::vector<long long> ids(const char* name, const std::string& label, size_t max) {
        std::vector<long long> out;
        if (!has(name)) return out;
        const auto& v = body_[name];
        if (!v.is_array() || v.size() > max) {
            fail(name, "bad_type", label + "应为不超过 " + std::to_string(max) + " 个编号的列表");
            return out;
        }
        for (const auto& x : v) {
            if (!x.is_number_integer() || x.get<long long>() <= 0) {
                fail(name, "bad_type", label + "中有不正确的编号");
                return {};
            }
            out.push_back(x.get<long long>());
        }
        return out;
    }

    void fail(const std::string& field, const std::string& code, const std::string& message) {
        errors_.push_back({field, code, message});
    }
    bool ok() const { return errors_.empty(); }
    /// Throws registry::ValidationError (422) when any field failed.
    void check() {
        if (!errors_.empty()) throw registry::ValidationError(errors_);
    }

private:
    const nlohmann::json& body_;
    std::vector<registry::FieldError> errors_;
};

}  // namespace twindraw::input
