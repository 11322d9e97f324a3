#include "workflows/announcements.hpp"

#include "geo/error.hpp"
#include "workflows/input-fields.hpp"

namespace twindraw::announcements {

namespace {

const char* kJson = R"(json_build_object('id', a.id, 'title', a.title, 'body', a.body, 'status', a.status,
    'pinned', a.pinned, 'excerpt', left(regexp_replace(a.body, '\s+', ' ', 'g'), 120),
    'created_at', to_char(a.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'updated_at', to_char(a.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'published_at', to_char(a.published_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
    'author_name', (SELECT name FROM app_user_name WHERE id = a.created_by),
    'publisher_name', (SELECT name FROM app_user_name WHERE id = a.published_by))::text)";

nlohmann::json one(pqxx::transaction_base& tx, long long id) {
    auto r =
        pg::exec(tx, std::string("SELECT ") + kJson + " FROM announcement a WHERE a.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("公告不存在");
    auto j = nlohmann::json::parse(r[0][0].as<std::string>());
    j["status_label"] = status_label(j["status"]);
    return j;
}

nlohmann::json list(pg::Pool& pool, const Query& q, bool published_only) {
    return pg::with_read(pool, "announcements", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (published_only)
            where += " AND a.status = 'published'";
        else if (!q.status.empty())
            where += " AND a.status = " + p.next(q.status);
        if (!q.keyword.empty()) {
            const std::string k = p.next("%" + pg::like_escape(q.keyword) + "%");
            where += " AND (a.title ILIKE " + k + " OR a.body ILIKE " + k + ")";
        }
        auto total = pg::exec(tx, "SELECT count(*) FROM announcement a" + where, p)[0][0].as<long long>();
        const std::string order = published_only ? " ORDER BY a.pinned DESC, a.published_at DESC, a.id DESC"
                                                 : " ORDER BY a.updated_at DESC, a.id DESC";
        const std::string limit = p.next(std::to_string(q.page_size));
        const std::string offset = p.next(std::to_string((q.page - 1) * q.page_size));
        auto rows = pg::exec(tx,
                             std::string("SELECT ") + kJson + " FROM announcement a" + where + order + " LIMIT " +
                                 limit + "::bigint OFFSET " + offset + "::bigint",
                             p);
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : rows) {
            auto j = nlohmann::json::parse(row[0].as<std::string>());
            j["status_label"] = status_label(j["status"]);
            if (published_only) j.erase("body");
            items.push_back(j);
        }
        return nlohmann::json{{"items", items}, {"total", total}, {"page", q.page}, {"page_size", q.page_size}};
    });
}

// The announcement's current status, locked for the change.
std::string lock(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, "SELECT status FROM announcement WHERE id = $1 FOR UPDATE", pg::Params().add(id));
    if (r.empty()) throw not_found("公告不存在");
    return r[0][0].as<std::string>();
}

}  // namespace

std::string status_label(const std::string& status) {
    if (status == "draft") return "草稿";
    if (status == "published") return "已发布";
    if (status == "withdrawn") return "已撤回";
    return status;
}

nlohmann::json list_published(pg::Pool& pool, const Query& q) {
    return list(pool, q, true);
}
nlohmann::json list_all(pg::Pool& pool, const Query& q) {
    return list(pool, q, false);
}

nlohmann::json get(pg::Pool& pool, long long id, bool manage) {
    return pg::with_read(pool, "announcements", [&](pqxx::read_transaction& tx) {
        auto j = one(tx, id);
        if (!manage && j["status"] != "published") throw not_found("公告不存在");
        return j;
    });
}

nlohmann::json create(pg::Pool& pool, const nlohmann::json& body) {
    input::Fields in(body);
    auto title = in.text("title", "公告标题", 200, true);
    auto text = in.text("body", "公告内容", 20000, true);
    auto pinned = in.boolean("pinned", "置顶");
    auto publish_now = in.boolean("publish", "立即发布");
    in.check();
    return pg::with_transaction(pool, "announcements", [&](pqxx::work& tx) {
        const bool pub = publish_now.value_or(false);
        auto r = pg::exec(
            tx,
            "INSERT INTO announcement(title, body, pinned, status, created_by, published_at, published_by)"
            " VALUES ($1, $2, $3, $4, nullif(current_setting('twindraw.user_id', true), '')::bigint,"
            "  CASE WHEN $4 = 'published' THEN now() END,"
            "  CASE WHEN $4 = 'published' THEN nullif(current_setting('twindraw.user_id', true), '')::bigint END)"
            " RETURNING id",
            pg::Params().add(*title).add(*text).add(pinned.value_or(false)).add(pub ? "published" : "draft"));
        return one(tx, r[0][0].as<long long>());
    });
}

nlohmann::json update(pg::Pool& pool, long long id, const nlohmann::json& body) {
    input::Fields in(body);
    auto title = in.has("title") ? in.text("title", "公告标题", 200, true) : std::nullopt;
    auto text = in.has("body") ? in.text("body", "公告内容", 20000, true) : std::nullopt;
    auto pinned = in.boolean("pinned", "置顶");
    in.check();
    return pg::with_transaction(pool, "announcements", [&](pqxx::work& tx) {
        lock(tx, id);
        pg::Params p;
        p.add(id).add(title).add(text);
        if (pinned)
            p.add(*pinned);
        else
            p.null();
        pg::exec(tx,
                 "UPDATE announcement SET title = coalesce($2, title), body = coalesce($3, body),"
                 " pinned = coalesce($4::boolean, pinned) WHERE id = $1",
                 p);
        return one(tx, id);
    });
}

nlohmann::json publish(pg::Pool& pool, long long id) {
    return pg::with_transaction(pool, "announcements", [&](pqxx::work& tx) {
        if (lock(tx, id) == "published") throw conflict("bad_state", "公告已发布");
        pg::exec(tx,
                 "UPDATE announcement SET status = 'published', published_at = now(),"
                 " published_by = nullif(current_setting('twindraw.user_id', true), '')::bigint WHERE id = $1",
                 pg::Params().add(id));
        return one(tx, id);
    });
}

nlohmann::json withdraw(pg::Pool& pool, long long id) {
    return pg::with_transaction(pool, "announcements", [&](pqxx::work& tx) {
        if (lock(tx, id) != "published") throw conflict("bad_state", "只有已发布的公告可以撤回");
        pg::exec(tx, "UPDATE announcement SET status = 'withdrawn' WHERE id = $1", pg::Params().add(id));
        return one(tx, id);
    });
}

void remove(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "announcements", [&](pqxx::work& tx) {
        lock(tx, id);
        pg::exec(tx, "DELETE FROM announcement WHERE id = $1", pg::Params().add(id));
    });
}

}  // namespace twindraw::announcements
