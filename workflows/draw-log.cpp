#include "workflows/draw-log.hpp"

#include "workflows/account-password.hpp"
#include "workflows/draw-core.hpp"

#include <cstring>

namespace twindraw::draw::drawlog {

using nlohmann::json;

json append(pqxx::transaction_base& tx, const std::string& kind, long long draw_id, const json& body) {
    auto r = pg::exec(tx,
                      "INSERT INTO draw_log(kind, draw_id, body, at_utc, prev_hash, row_hash)"
                      " VALUES ($1, $2, $3, '', '\\x00'::bytea, '\\x00'::bytea) RETURNING seq, encode(row_hash, 'hex')",
                      pg::Params().add(kind).add(draw_id).add(body.dump()));
    return json{{"seq", r[0][0].as<long long>()}, {"hash", r[0][1].as<std::string>()}};
}

json head(pqxx::transaction_base& tx) {
    auto r = pg::exec(tx, "SELECT seq, encode(row_hash, 'hex') FROM draw_log ORDER BY seq DESC LIMIT 1");
    if (r.empty()) return json{{"seq", 0}, {"hash", std::string(64, '0')}};
    return json{{"seq", r[0][0].as<long long>()}, {"hash", r[0][1].as<std::string>()}};
}

json entries(pg::Pool& pool, long long page, long long page_size, std::optional<long long> draw_id) {
    return pg::with_read(pool, "draw-log", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "TRUE";
        if (draw_id) where += " AND draw_id = " + p.next(std::to_string(*draw_id)) + "::bigint";
        const auto total = pg::exec(tx, "SELECT count(*) FROM draw_log WHERE " + where, p)[0][0].as<long long>();
        const auto lim = p.next(std::to_string(page_size));
        const auto off = p.next(std::to_string((page - 1) * page_size));
        json items = json::array();
        for (const auto& row :
             pg::exec(tx,
                      "SELECT seq, to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), at_utc, kind,"
                      " draw_id, body, encode(prev_hash, 'hex'), encode(row_hash, 'hex') FROM draw_log WHERE " +
                          where + " ORDER BY seq LIMIT " + lim + "::bigint OFFSET " + off + "::bigint",
                      p))
            items.push_back({{"seq", row[0].as<long long>()},
                             {"at", row[1].c_str()},
                             {"at_utc", row[2].c_str()},
                             {"kind", row[3].c_str()},
                             {"draw_id", row[4].as<long long>()},
                             {"body", row[5].c_str()},
                             {"prev_hash", row[6].c_str()},
                             {"row_hash", row[7].c_str()}});
        return json{{"head", head(tx)}, {"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

ChainCheck verify_chain(pg::Pool& pool) {
    return pg::with_read(pool, "draw-log-verify", [&](pqxx::read_transaction& tx) {
        ChainCheck c;
        Digest prev{};
        long long expect = 1;
        for (const auto& row : pg::exec(tx,
                                        "SELECT seq, at_utc, kind, draw_id, body, encode(prev_hash, 'hex'),"
                                        " encode(row_hash, 'hex') FROM draw_log ORDER BY seq")) {
            ++c.rows;
            const long long seq = row[0].as<long long>();
            const std::string at = "第 " + std::to_string(seq) + " 条";
            if (seq != expect) c.problems.push_back(at + "：序号不连续（应为 " + std::to_string(expect) + "）");
            expect = seq + 1;
            if (row[5].as<std::string>() != to_hex(prev)) c.problems.push_back(at + "：prev_hash 与上一条的 row_hash 不符");
            const std::string text = std::to_string(seq) + "\n" + row[1].as<std::string>() + "\n" +
                                     row[2].as<std::string>() + "\n" + row[3].as<std::string>() + "\n" +
                                     row[4].as<std::string>();
            std::string bytes(reinterpret_cast<const char*>(prev.data()), prev.size());
            bytes += text;
            const auto h = accounts::sha256(bytes);
            Digest d;
            std::copy(h.begin(), h.end(), d.begin());
            if (to_hex(d) != row[6].as<std::string>()) c.problems.push_back(at + "：row_hash 与内容重算不符");
            prev = from_hex(row[6].as<std::string>(), "row_hash");
            if (c.problems.size() > 20) break;
        }
        c.ok = c.problems.empty();
        return c;
    });
}

}  // namespace twindraw::draw::drawlog
