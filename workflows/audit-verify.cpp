#include "workflows/audit-verify.hpp"

#include "geo/error.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <ctime>

namespace twindraw::audit {

namespace {

void field(std::string& out, const std::optional<std::string>& v) {
    if (!v) {
        out += '~';
        return;
    }
    out += std::to_string(v->size());
    out += ':';
    out += *v;
}

std::optional<std::string> id_text(const std::optional<long long>& v) {
    return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

template <typename T>
std::optional<T> opt(const pqxx::field& f) {
    return f.is_null() ? std::nullopt : std::optional<T>(f.as<T>());
}

}  // namespace

std::string format_utc_micros(long long at_us) {
    long long secs = at_us / 1000000;
    long long micros = at_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        secs -= 1;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    return buf;
}

std::string canonical_content(const ChainRow& r) {
    std::string out;
    field(out, std::to_string(r.id));
    field(out, format_utc_micros(r.at_us));
    field(out, id_text(r.user_id));
    field(out, id_text(r.identity_id));
    field(out, id_text(r.unit_id));
    field(out, r.address);
    field(out, r.action);
    field(out, r.entity);
    field(out, r.entity_id);
    field(out, r.before);
    field(out, r.after);
    return out;
}

std::string row_hash(const std::string& prev_hash, const std::string& canonical) {
    std::string input = prev_hash + canonical;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr) != 1)
        throw Error(Error::Kind::Internal, "sha256_failed", "无法计算 SHA-256");
    return std::string(reinterpret_cast<const char*>(md), len);
}

std::string to_hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

const char* kind_name(BreakKind kind) {
    switch (kind) {
        case BreakKind::Edited: return "edited";
        case BreakKind::Deleted: return "deleted";
        case BreakKind::Inserted: return "inserted";
        case BreakKind::Head: return "head";
    }
    return "unknown";
}

std::optional<Break> ChainWalker::next(const ChainRow& row) {
    const std::string id = std::to_string(row.id);
    if (row.id != expected_id_) {
        // Ids are handed out gaplessly under the chain lock, so a jump means deletion.
        if (row.id > expected_id_)
            return Break{expected_id_, BreakKind::Deleted,
                         "第 " + std::to_string(expected_id_) + "–" + std::to_string(row.id - 1) +
                             " 条审计记录缺失（被删除）"};
        return Break{row.id, BreakKind::Inserted, "第 " + id + " 条审计记录编号顺序错乱"};
    }
    if (row_hash(row.prev_hash, canonical_content(row)) != row.hash)
        return Break{row.id, BreakKind::Edited, "第 " + id + " 条审计记录的内容与其哈希不符（被改动）"};
    if (row.prev_hash != prev_hash_)
        return Break{row.id, BreakKind::Inserted,
                     "第 " + id + " 条审计记录与前一条不衔接（被插入，或前一条被改动后重算了哈希）"};
    prev_hash_ = row.hash;
    ++expected_id_;
    ++rows_;
    return std::nullopt;
}

std::optional<Break> ChainWalker::finish(long long head_id, const std::string& head_hash) const {
    long long last = expected_id_ - 1;
    if (last < head_id)
        return Break{last + 1, BreakKind::Deleted,
                     "链尾第 " + std::to_string(last + 1) + "–" + std::to_string(head_id) + " 条审计记录缺失（被删除）"};
    if (last > head_id)
        return Break{head_id + 1, BreakKind::Inserted,
                     "第 " + std::to_string(head_id + 1) + " 条审计记录在链头之后（被插入）"};
    if (prev_hash_ != head_hash)
        return Break{last, BreakKind::Head, "最后一条审计记录（第 " + std::to_string(last) + " 条）与链头记录不符"};
    return std::nullopt;
}

VerifyResult verify(pqxx::connection& conn, const std::function<void(long long)>& progress) {
    constexpr long long kBatch = 5000;
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only> tx(conn, "audit-verify");
    auto head = tx.exec1("SELECT last_id, last_hash FROM audit_chain WHERE singleton");
    const long long head_id = head[0].as<long long>();
    const std::string head_hash = pqxx::binarystring(head[1]).str();

    ChainWalker walker;
    VerifyResult result;
    long long after = 0;
    for (;;) {
        auto rows = tx.exec_params(
            "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, user_id, identity_id, unit_id, address, action,"
            " entity, entity_id, before::text, after::text, prev_hash, hash"
            " FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
            after, kBatch);
        for (const auto& f : rows) {
            ChainRow r;
            r.id = f[0].as<long long>();
            r.at_us = f[1].as<long long>();
            r.user_id = opt<long long>(f[2]);
            r.identity_id = opt<long long>(f[3]);
            r.unit_id = opt<long long>(f[4]);
            r.address = opt<std::string>(f[5]);
            r.action = f[6].as<std::string>();
            r.entity = f[7].as<std::string>();
            r.entity_id = f[8].as<std::string>();
            r.before = opt<std::string>(f[9]);
            r.after = opt<std::string>(f[10]);
            r.prev_hash = pqxx::binarystring(f[11]).str();
            r.hash = pqxx::binarystring(f[12]).str();
            after = r.id;
            if (auto b = walker.next(r)) {
                result.rows = walker.rows();
                result.broken = std::move(b);
                return result;
            }
        }
        if (progress) progress(walker.rows());
        if (static_cast<long long>(rows.size()) < kBatch) break;
    }
    result.rows = walker.rows();
    result.broken = walker.finish(head_id, head_hash);
    return result;
}

}  // namespace twindraw::audit
