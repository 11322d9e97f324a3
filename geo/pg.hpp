// The one wrapper around libpqxx 6.4: a connection pool whose leases name their
// purpose in application_name, parameter lists built at run time (values only ever
// travel as $n parameters), identifier quoting, and the mapping of database errors
// (unique, foreign key, check violations) to twindraw::Error.
#pragma once

#include "geo/pg-context.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twindraw::pg {

/// Parameters for one statement, added in $1, $2, ... order. Null is std::nullopt.
class Params {
public:
    Params& add(std::optional<std::string> v) {
        values_.push_back(std::move(v));
        return *this;
    }
    Params& add(const char* v) { return add(std::optional<std::string>(v)); }
    Params& add(long long v) { return add(std::to_string(v)); }
    Params& add(int v) { return add(std::to_string(v)); }
    Params& add(double v);
    Params& add(bool v) { return add(std::string(v ? "true" : "false")); }
    Params& null() { return add(std::optional<std::string>()); }
    /// Adds a value and returns its placeholder, e.g. "$3".
    std::string next(std::optional<std::string> v) {
        add(std::move(v));
        return "$" + std::to_string(values_.size());
    }
    size_t size() const { return values_.size(); }
    const std::vector<std::optional<std::string>>& values() const { return values_; }

private:
    std::vector<std::optional<std::string>> values_;
};

/// Runs sql with params; database errors become twindraw::Error where they mean
/// something to a user (unique/foreign-key/check violations, a row outside the data
/// scope), else pqxx's own. Decided by SQLSTATE and the server's structured fields
/// (the connection is switched to verbose errors for them), never by the message's
/// words, which follow the server's lc_messages. The project's triggers signal a 403
/// with SQLSTATE TD403 (0041_sqlstate_codes.sql).
/// For unique and foreign-key violations the Error's field holds the constraint name.
pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params = {});

/// As exec(), with one more parameter after params, sent in binary format (PostgreSQL's
/// binary input of the type its placeholder is cast to: raw bytes for bytea, array_recv's
/// layout for an array). For large values whose text form costs more to build and parse.
pqxx::result exec_binary_last(pqxx::transaction_base& tx, const std::string& sql, const Params& params,
                              const std::string& binary);

/// "name" with embedded quotes doubled. Identifiers in this code base come from
/// static descriptors, never from requests; this is the single quoting helper.
std::string quote_ident(std::string_view name);

/// A PostgreSQL array literal ({"a","b"}) of text values, for a $n::text[] parameter
/// (also castable to bigint[] when the values are integers).
std::string array_literal(const std::vector<std::string>& values);

/// Escapes % _ and \ for use inside a LIKE pattern parameter.
std::string like_escape(std::string_view text);

/// Hides the password of a libpq URL or keyword string, for logs.
std::string redact_url(std::string_view url);

class Pool;

/// A connection borrowed from the pool; returned when destroyed. A connection that
/// broke while leased is dropped instead of returned.
class Lease {
public:
    Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

private:
    Pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
};

class Pool {
public:
    /// url: a libpq connection string or URL. size: most connections open at once.
    Pool(std::string url, size_t size);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    /// Borrows a connection and sets application_name to "twindraw:<purpose>".
    /// Throws Error(Unavailable) when none frees up within the timeout or the
    /// database cannot be reached.
    Lease acquire(std::string_view purpose, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    const std::string& url() const { return url_; }

private:
    friend class Lease;
    void give_back(std::unique_ptr<pqxx::connection> conn);

    std::string url_;
    size_t size_;
    size_t open_ = 0;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
    std::mutex mutex_;
    std::condition_variable freed_;
};

/// Runs fn in one read-write transaction on a leased connection and commits it.
/// The thread's actor (pg-context.hpp) is set in the transaction first.
template <typename Fn>
auto with_transaction(Pool& pool, std::string_view purpose, Fn&& fn) {
    auto lease = pool.acquire(purpose);
    pqxx::work tx(*lease);
    apply_actor(tx);
    if constexpr (std::is_void_v<decltype(fn(tx))>) {
        fn(tx);
        tx.commit();
    } else {
        auto result = fn(tx);
        tx.commit();
        return result;
    }
}

/// Runs fn in one read-only transaction, with the thread's actor set.
template <typename Fn>
auto with_read(Pool& pool, std::string_view purpose, Fn&& fn) {
    auto lease = pool.acquire(purpose);
    pqxx::read_transaction tx(*lease);
    apply_actor(tx);
    return fn(tx);
}

}  // namespace twindraw::pg
