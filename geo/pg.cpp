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

// What a server error says beyond its SQLSTATE, read from libpq's verbose rendering
// (libpqxx 6 keeps only that text and the SQLSTATE, not the PGresult's fields). The
// server's parts are in its lc_messages language (Chinese on many servers in China);
// the field labels ("CONSTRAINT NAME:") are libpq's own, in the client's locale, which
// twindraw never changes from "C". Nothing here reads a server-written sentence.
struct Diagnostics {
    std::string primary;     // the first line, after "severity:  SQLSTATE: "
    std::string constraint;  // PG_DIAG_CONSTRAINT_NAME
    std::string function;    // PG_DIAG_SOURCE_FUNCTION: the server's C function that refused
};

Diagnostics diagnostics_of(const std::string& what, const std::string& state) {
    Diagnostics d;
    std::string first = what.substr(0, what.find('\n'));
    if (!state.empty()) {
        const auto at = first.find(state + ": ");
        if (at != std::string::npos) first = first.substr(at + state.size() + 2);
    }
    d.primary = first;
    static const std::regex constraint_re("\nCONSTRAINT NAME:  ([^\n]+)");
    static const std::regex location_re("\nLOCATION:  ([A-Za-z_0-9]+), [^\n]*");
    std::smatch m;
    if (std::regex_search(what, m, constraint_re)) d.constraint = m[1].str();
    if (std::regex_search(what, m, location_re)) d.function = m[1].str();
    return d;
}

// How many names a message quotes ("…" in English and Chinese, «…», „…“, “…”, 「…」
// elsewhere). PostgreSQL's translations keep every %s of a message (msgfmt checks
// them), so the count is the same in every language.
size_t quoted_names(const std::string& text) {
    static const std::regex quoted("\"[^\"]*\"|«.*?»|».*?«|„.*?“|“.*?”|「.*?」");
    return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), quoted),
                                             std::sregex_iterator()));
}

// Keeps the meaning of a refusal, never its SQL text. Decided by SQLSTATE (and the
// server's structured fields), never by the words of the message, which follow the
// server's lc_messages (tests/integration/test-sqlstate.cpp runs in zh_CN.UTF-8).
[[noreturn]] void rethrow_sql_error(const pqxx::sql_error& e) {
    // libpqxx 6 leaves sqlstate() empty on its insufficient_privilege class (42501 only).
    const std::string state = !e.sqlstate().empty() ? e.sqlstate()
                              : dynamic_cast<const pqxx::insufficient_privilege*>(&e) ? std::string("42501")
                                                                                       : std::string();
    const Diagnostics d = diagnostics_of(e.what(), state);
    // The violated constraint's name travels in the error's field; the repository,
    // which knows its table, turns it into the column at fault.
    if (state == "23505")
        throw conflict("duplicate", "记录已存在：唯一字段的值与已有记录重复", d.constraint);
    if (state == "23503") {
        // "update or delete on table A violates foreign key constraint C on table B"
        // (the row is still referenced) names three things; "insert or update on table B
        // violates foreign key constraint C" (the referenced row is missing) names two.
        if (quoted_names(d.primary) >= 3)
            throw conflict("in_use", "该记录仍被其他数据引用，不能删除或修改其编码");
        throw invalid("unknown_reference", "引用的记录不存在", d.constraint);
    }
    if (state == "23514" || state == "23502" || state == "22001" || state == "22P02" ||
        state == "22003" || state == "22007" || state == "22008" || state == "22021" || state == "22P05")
        throw invalid("invalid_value", "字段值不符合要求");
    // A row the actor's data scope does not cover (0006_data_scope.sql): a policy's WITH
    // CHECK refused it (42501 raised by the executor's ExecWithCheckOptions, not by a
    // missing GRANT, which stays a 500: our fault), or one of the project's guards that
    // go beyond policies raised TD403 (0041_sqlstate_codes.sql).
    if (state == "TD403" || (state == "42501" && d.function == "ExecWithCheckOptions"))
        throw forbidden("out_of_scope", "超出本人数据范围：不能写入管辖范围以外的数据");
    throw;
}

// The structured fields above come with the verbose rendering only; setting it is a
// client-side flag of the connection (no round trip).
void verbose_errors(pqxx::transaction_base& tx) {
    auto& conn = tx.conn();
    if (conn.get_verbosity() != pqxx::connection_base::verbose) conn.set_verbosity(pqxx::connection_base::verbose);
}

}  // namespace

namespace {

// exec_params with the text parameters of params, then extra (binary) ones; errors mapped.
template <class... Extra>
pqxx::result exec_mapped(pqxx::transaction_base& tx, const std::string& sql, const Params& params,
                         const Extra&... extra) {
    std::vector<const char*> raw;
    raw.reserve(params.size());
    for (const auto& v : params.values()) raw.push_back(v ? v->c_str() : nullptr);
    verbose_errors(tx);
    try {
        return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(raw), extra...);
    } catch (const pqxx::sql_error& e) {
        rethrow_sql_error(e);
    }
}

}  // namespace

pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
    return exec_mapped(tx, sql, params);
}

pqxx::result exec_binary_last(pqxx::transaction_base& tx, const std::string& sql, const Params& params,
                              const std::string& binary) {
    return exec_mapped(tx, sql, params, pqxx::binarystring(binary.data(), binary.size()));
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
