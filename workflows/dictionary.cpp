#include "workflows/dictionary.hpp"

#include "geo/error.hpp"
#include "workflows/input-fields.hpp"

#include <regex>

namespace twindraw::dictionary {

namespace {

const char* kCategoryJson = R"(json_build_object('id', c.id, 'code', c.code, 'name', c.name, 'remark', c.remark,
    'sort_order', c.sort_order,
    'entries', (SELECT count(*) FROM dict_entry e WHERE e.category_id = c.id),
    'enabled_entries', (SELECT count(*) FROM dict_entry e WHERE e.category_id = c.id AND e.enabled))::text)";

const char* kEntryJson = R"(json_build_object('id', e.id, 'category_id', e.category_id, 'category_code', c.code,
    'category_name', c.name, 'code', e.code, 'label', e.label, 'sort_order', e.sort_order, 'enabled', e.enabled,
    'remark', e.remark)::text)";

nlohmann::json category(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx, std::string("SELECT ") + kCategoryJson + " FROM dict_category c WHERE c.id = $1",
                      pg::Params().add(id));
    if (r.empty()) throw not_found("字典分类不存在");
    return nlohmann::json::parse(r[0][0].as<std::string>());
}

nlohmann::json entry(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx,
                      std::string("SELECT ") + kEntryJson +
                          " FROM dict_entry e JOIN dict_category c ON c.id = e.category_id WHERE e.id = $1",
                      pg::Params().add(id));
    if (r.empty()) throw not_found("字典条目不存在");
    return nlohmann::json::parse(r[0][0].as<std::string>());
}

}  // namespace

nlohmann::json list_categories(pg::Pool& pool, const std::string& keyword) {
    return pg::with_read(pool, "dictionary", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where;
        if (!keyword.empty()) {
            const std::string k = p.next("%" + pg::like_escape(keyword) + "%");
            where = " WHERE c.code ILIKE " + k + " OR c.name ILIKE " + k + " OR c.remark ILIKE " + k;
        }
        auto rows = pg::exec(
            tx,
            std::string("SELECT ") + kCategoryJson + " FROM dict_category c" + where + " ORDER BY c.sort_order, c.id",
            p);
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : rows) items.push_back(nlohmann::json::parse(row[0].as<std::string>()));
        return nlohmann::json{{"items", items}};
    });
}

nlohmann::json save_category(pg::Pool& pool, long long id, const nlohmann::json& body) {
    input::Fields in(body);
    const bool create = id == 0;
    auto code = create || in.has("code") ? in.text("code", "分类编码", 40, true) : std::nullopt;
    if (code && !std::regex_match(*code, std::regex("^[a-z][a-z0-9_]{1,39}$")))
        in.fail("code", "bad_format", "分类编码应以小写字母开头，由小写字母、数字和下划线组成（2–40 位）");
    auto name = create || in.has("name") ? in.text("name", "分类名称", 50, true) : std::nullopt;
    auto remark = in.text("remark", "备注", 500, false);
    auto order = in.integer("sort_order", "排序号", -100000, 100000, false);
    in.check();
    try {
        return pg::with_transaction(pool, "dictionary", [&](pqxx::work& tx) {
            pg::Params p;
            p.add(code).add(name).add(remark);
            if (order)
                p.add(*order);
            else
                p.null();
            if (create) {
                auto r = pg::exec(tx,
                                  "INSERT INTO dict_category(code, name, remark, sort_order)"
                                  " VALUES ($1, $2, coalesce($3, ''), coalesce($4::int, 0)) RETURNING id",
                                  p);
                return category(tx, r[0][0].as<long long>());
            }
            p.add(id);
            auto r = pg::exec(tx,
                              "UPDATE dict_category SET code = coalesce($1, code), name = coalesce($2, name),"
                              " remark = coalesce($3, remark), sort_order = coalesce($4::int, sort_order)"
                              " WHERE id = $5 RETURNING id",
                              p);
            if (r.empty()) throw not_found("字典分类不存在");
            return category(tx, id);
        });
    } catch (const Error& e) {
        if (e.kind() == Error::Kind::Conflict && e.field().find("code") != std::string::npos)
            throw conflict("duplicate", "分类编码已存在", "code");
        if (e.kind() == Error::Kind::Conflict && e.field().find("name") != std::string::npos)
            throw conflict("duplicate", "分类名称已存在", "name");
        throw;
    }
}

void delete_category(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "dictionary", [&](pqxx::work& tx) {
        // Entries first, so each deletion is its own row in the trail.
        pg::exec(tx, "DELETE FROM dict_entry WHERE category_id = $1", pg::Params().add(id));
        auto r = pg::exec(tx, "DELETE FROM dict_category WHERE id = $1", pg::Params().add(id));
        if (r.affected_rows() == 0) throw not_found("字典分类不存在");
    });
}

nlohmann::json list_entries(pg::Pool& pool, const EntryQuery& q) {
    return pg::with_read(pool, "dictionary", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (q.category_id > 0) where += " AND e.category_id = " + p.next(std::to_string(q.category_id)) + "::bigint";
        if (!q.category_code.empty()) where += " AND c.code = " + p.next(q.category_code);
        if (q.enabled) where += " AND e.enabled = " + p.next(*q.enabled ? "true" : "false") + "::boolean";
        if (!q.keyword.empty()) {
            const std::string k = p.next("%" + pg::like_escape(q.keyword) + "%");
            where += " AND (e.code ILIKE " + k + " OR e.label ILIKE " + k + " OR e.remark ILIKE " + k + ")";
        }
        const std::string from = " FROM dict_entry e JOIN dict_category c ON c.id = e.category_id";
        auto total = pg::exec(tx, "SELECT count(*)" + from + where, p)[0][0].as<long long>();
        const std::string limit = p.next(std::to_string(q.page_size));
        const std::string offset = p.next(std::to_string((q.page - 1) * q.page_size));
        auto rows = pg::exec(tx,
                             std::string("SELECT ") + kEntryJson + from + where +
                                 " ORDER BY c.sort_order, c.id, e.sort_order, e.code LIMIT " + limit +
                                 "::bigint OFFSET " + offset + "::bigint",
                             p);
        nlohmann::json items = nlohmann::json::array();
        for (const auto& row : rows) items.push_back(nlohmann::json::parse(row[0].as<std::string>()));
        return nlohmann::json{{"items", items}, {"total", total}, {"page", q.page}, {"page_size", q.page_size}};
    });
}

nlohmann::json save_entry(pg::Pool& pool, long long id, const nlohmann::json& body) {
    input::Fields in(body);
    const bool create = id == 0;
    auto category_id = create ? in.integer("category_id", "字典分类", 1, 1LL << 62, true) : std::nullopt;
    auto code = create || in.has("code") ? in.text("code", "字典编码", 40, true) : std::nullopt;
    if (code && !std::regex_match(*code, std::regex("^[A-Za-z0-9_.-]{1,40}$")))
        in.fail("code", "bad_format", "字典编码只能由字母、数字和 _ . - 组成（最多 40 位）");
    auto label = create || in.has("label") ? in.text("label", "字典名称", 100, true) : std::nullopt;
    auto order = in.integer("sort_order", "排序号", -100000, 100000, false);
    auto enabled = in.boolean("enabled", "启用");
    auto remark = in.text("remark", "备注", 500, false);
    in.check();
    try {
        return pg::with_transaction(pool, "dictionary", [&](pqxx::work& tx) {
            pg::Params p;
            p.add(code).add(label);
            if (order)
                p.add(*order);
            else
                p.null();
            if (enabled)
                p.add(*enabled);
            else
                p.null();
            p.add(remark);
            if (create) {
                auto c = pg::exec(tx, "SELECT 1 FROM dict_category WHERE id = $1", pg::Params().add(*category_id));
                if (c.empty()) throw invalid("unknown_reference", "字典分类不存在", "category_id");
                p.add(*category_id);
                auto r =
                    pg::exec(tx,
                             "INSERT INTO dict_entry(code, label, sort_order, enabled, remark, category_id)"
                             " VALUES ($1, $2, coalesce($3::int, 0), coalesce($4::boolean, true), coalesce($5, ''), $6)"
                             " RETURNING id",
                             p);
                return entry(tx, r[0][0].as<long long>());
            }
            p.add(id);
            auto r = pg::exec(tx,
                              "UPDATE dict_entry SET code = coalesce($1, code), label = coalesce($2, label),"
                              " sort_order = coalesce($3::int, sort_order), enabled = coalesce($4::boolean, enabled),"
                              " remark = coalesce($5, remark) WHERE id = $6 RETURNING id",
                              p);
            if (r.empty()) throw not_found("字典条目不存在");
            return entry(tx, id);
        });
    } catch (const Error& e) {
        if (e.kind() == Error::Kind::Conflict && e.field().find("code") != std::string::npos)
            throw conflict("duplicate", "该分类下已有相同编码的字典条目", "code");
        throw;
    }
}

void delete_entry(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "dictionary", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "DELETE FROM dict_entry WHERE id = $1", pg::Params().add(id));
        if (r.affected_rows() == 0) throw not_found("字典条目不存在");
    });
}

}  // namespace twindraw::dictionary
