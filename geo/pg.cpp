#include "geo/pg.hpp"

#include "geo/error.hpp"

#include <cstdio>
#include <map>
#include <mutex>
#include <regex>

namespace twindraw::pg {

Params& Params::add(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return add(std::string(buf));
}

namespace {

// Keeps the meaning of a constraint violation, never its SQL text.
[[noreturn]] void rethrow_sql_error(const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    const std::string what = e.what();
    // The violated constraint's name travels in the error's field; the repository,
    // which knows its table, turns it into the column at fault.
    static const std::regex constraint_re("constraint \"([^\"]+)\"");
    auto constraint = [&]() -> std::string {
        std::smatch m;
        return std::regex_search(what, m, constraint_re) ? m[1].str() : std::string();
    };
    if (state == "23505")
        throw conflict("duplicate", "记录已存在：唯一字段的值与已有记录重复", constraint());
    if (state == "23503") {
        if (what.find("still referenced") != std::string::npos)
            throw conflict("in_use", "该记录仍被其他数据引用，不能删除或修改其编码");
        throw invalid("unknown_reference", "引用的记录不存在", constraint());
    }
    if (state == "23514" || state == "23502" || state == "22001" || state == "22P02" ||
        state == "22003" || state == "22007" || state == "22008" || state == "22021" || state == "22P05")
        throw invalid("invalid_value", "字段值不符合要求");
    // A row the actor's data scope does not cover (0006_data_scope.sql).
    // (libpqxx 6 leaves sqlstate() empty on its insufficient_privilege class.)
    if ((state == "42501" || dynamic_cast<const pqxx::insufficient_privilege*>(&e)) &&
        what.find("row-level security") != std::string::npos)
        throw forbidden("out_of_scope", "超出本人数据范围：不能写入管辖范围以外的数据");
    throw;
}

}  // namespace

pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
    std::vector<const char*> raw;
    raw.reserve(params.size());
    for (const auto& v : params.values()) raw.push_back(v ? v->c_str() : nullptr);
    try {
        return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(raw));
    } catch (const pqxx::sql_error& e) {
        rethrow_sql_error(e);
    }
}

pqxx::result exec_binary_last(pqxx::transaction_base& tx, const std::string& sql, const Params& params,
                              const std::string& binary) {
    std::vector<const char*> raw;
    raw.reserve(params.size());
    for (const auto& v : params.values()) raw.push_back(v ? v->c_str() : nullptr);
    try {
        return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(raw),
                              pqxx::binarystring(binary.data(), binary.size()));
    } catch (const pqxx::sql_error& e) {
        rethrow_sql_error(e);
    }
}

std::string quote_ident(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string array_literal(const std::vector<std::string>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string like_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string redact_url(std::string_view url) {
    static const std::regex in_url(R"(://([^:/@]*):[^@]*@)");
    static const std::regex in_keywords(R"(password\s*=\s*('[^']*'|\S+))");
    std::string s = std::regex_replace(std::string(url), in_url, "://$1:***@");
    return std::regex_replace(s, in_keywords, "password=***");
}

namespace {
// The application_name last set on each open connection (of any pool), so acquire()
// sets it only when the purpose changes.
std::mutex purpose_mutex;
std::map<const pqxx::connection*, std::string> purpose_of;
}  // namespace

Lease::~Lease() {
    if (conn_ && pool_) pool_->give_back(std::move(conn_));
}

Pool::Pool(std::string url, size_t size) : url_(std::move(url)), size_(size ? size : 1) {}

Pool::~Pool() {
    std::lock_guard lock(purpose_mutex);
    for (const auto& c : idle_) purpose_of.erase(c.get());
}

Lease Pool::acquire(std::string_view purpose, std::chrono::milliseconds timeout) {
    std::unique_ptr<pqxx::connection> conn;
    {
        std::unique_lock lock(mutex_);
        if (!freed_.wait_for(lock, timeout, [&] { return !idle_.empty() || open_ < size_; }))
            throw Error(Error::Kind::Unavailable, "db_busy", "数据库繁忙，请稍后重试");
        if (!idle_.empty()) {
            // Prefer an idle connection already named for this purpose (no round trip
            // to rename it), the most recently returned one otherwise.
            size_t pick = idle_.size() - 1;
            {
                const std::string name = "twindraw:" + std::string(purpose);
                std::lock_guard names(purpose_mutex);
                for (size_t i = idle_.size(); i-- > 0;) {
                    auto it = purpose_of.find(idle_[i].get());
                    if (it != purpose_of.end() && it->second == name) {
                        pick = i;
                        break;
                    }
                }
            }
            conn = std::move(idle_[pick]);
            idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(pick));
        } else {
            ++open_;
        }
    }
    try {
        if (!conn) {
            conn = std::make_unique<pqxx::connection>(url_);
            // Every time a person reads is Beijing time (DESIGN "Time"): a timestamptz
            // rendered as text on a pooled connection carries the Asia/Shanghai date even
            // where a query forgets display_time() (0037_display_time.sql).
            pqxx::nontransaction tz(*conn);
            tz.exec("SELECT set_config('TimeZone', 'Asia/Shanghai', false)");
        }
        // Only when it changes: a round trip saved on most requests.
        const std::string name = "twindraw:" + std::string(purpose);
        std::string last;
        {
            std::lock_guard lock(purpose_mutex);
            auto it = purpose_of.find(conn.get());
            if (it != purpose_of.end()) last = it->second;
        }
        if (last != name) {
            pqxx::nontransaction tx(*conn);
            tx.exec_params("SELECT set_config('application_name', $1, false)", name);
            std::lock_guard lock(purpose_mutex);
            purpose_of[conn.get()] = name;
        }
    } catch (const std::exception&) {
        if (conn) {
            std::lock_guard lock(purpose_mutex);
            purpose_of.erase(conn.get());
        }
        std::lock_guard lock(mutex_);
        --open_;
        freed_.notify_one();
        throw Error(Error::Kind::Unavailable, "db_unavailable", "数据库暂时无法连接");
    }
    return Lease(this, std::move(conn));
}

void Pool::give_back(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard lock(mutex_);
    if (conn->is_open()) {
        idle_.push_back(std::move(conn));
    } else {
        {
            std::lock_guard lock(purpose_mutex);
            purpose_of.erase(conn.get());
        }
        --open_;
    }
    freed_.notify_one();
}

}  // namespace twindraw::pg
