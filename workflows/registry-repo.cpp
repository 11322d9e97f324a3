#include "workflows/registry-repo.hpp"

#include "workflows/uscc.hpp"

#include <regex>

namespace twindraw::registry {

namespace {

using pg::quote_ident;

std::string col(const std::string& name) {
    return "t." + quote_ident(name);
}

// SQL cast for a parameter bound to a field of this type.
std::string placeholder_cast(const Field& f) {
    switch (f.type) {
        case FieldType::Int:
            return "::bigint";
        case FieldType::Decimal:
            return "::numeric";
        case FieldType::Bool:
            return "::boolean";
        case FieldType::Date:
            return "::date";
        default:
            return "";
    }
}

// Reference target: (table, key column, label column) of a referenced entity.
struct RefTarget {
    std::string table, key, label;
};

RefTarget ref_target(const std::string& entity) {
    const Entity* r = find_entity(entity);
    if (!r) throw Error(Error::Kind::Internal, "schema", "descriptor refers to an unknown entity");
    return {r->table, r->key, r->display};
}

// The JSON object expression for one row of e aliased "t".
std::string row_json(const Entity& e) {
    std::string pairs;
    auto add = [&](const std::string& key, const std::string& expr) {
        if (!pairs.empty()) pairs += ", ";
        pairs += "'" + key + "', " + expr;
    };
    for (const auto& f : e.fields) {
        if (f.type == FieldType::Point) {
            add(f.name,
                "CASE WHEN t.geom IS NULL THEN NULL ELSE json_build_object('lon', ST_X(t.geom), 'lat', ST_Y(t.geom)) "
                "END");
            continue;
        }
        add(f.name, col(f.name));
        if (!f.ref.empty()) {
            RefTarget r = ref_target(f.ref);
            if (f.type == FieldType::IdArray)
                add(f.name + "_label", "(SELECT coalesce(json_agg(r." + quote_ident(r.label) + " ORDER BY r." +
                                           quote_ident(r.key) + "), '[]') FROM " + quote_ident(r.table) +
                                           " r WHERE r." + quote_ident(r.key) + " = ANY(" + col(f.name) + "))");
            else
                add(f.name + "_label", "(SELECT r." + quote_ident(r.label) + " FROM " + quote_ident(r.table) +
                                           " r WHERE r." + quote_ident(r.key) + " = " + col(f.name) + ")");
        }
    }
    return "json_build_object(" + pairs + ")";
}

bool valid_key(const Entity& e, const std::string& key) {
    if (e.key_generated) return std::regex_match(key, std::regex("^[1-9][0-9]{0,17}$"));
    return !key.empty() && key.size() <= 20 && std::regex_match(key, std::regex("^[0-9A-Za-z]+$"));
}

std::string key_param(const Entity& e, pg::Params& p, const std::string& key) {
    if (!valid_key(e, key)) throw bad_request("bad_id", "编号格式不正确");
    return p.next(key) + (e.key_generated ? "::bigint" : "");
}

// WHERE clause of a list query.
std::string where_clause(const Entity& e, const ListQuery& q, pg::Params& p) {
    std::vector<std::string> conds;
    if (!q.q.empty()) {
        if (q.q.size() > 200) throw bad_request("bad_query", "搜索关键字过长（最多200个字符）", "q");
        std::string pattern = p.next("%" + pg::like_escape(q.q) + "%");
        std::string any;
        for (const auto& f : e.fields) {
            if (!f.searchable) continue;
            if (!any.empty()) any += " OR ";
            any += col(f.name) + "::text ILIKE " + pattern;
        }
        if (!any.empty()) conds.push_back("(" + any + ")");
    }
    for (const auto& [name, value] : q.filters) {
        const Field* f = e.field(name);
        if (!f || !f->filterable) throw bad_request("bad_filter", "不支持按该字段筛选：" + name.substr(0, 60), name);
        if (value.size() > 200) throw bad_request("bad_filter", "筛选值过长", name);
        if (f->type == FieldType::Int && !std::regex_match(value, std::regex("^-?[0-9]{1,18}$")))
            throw bad_request("bad_filter", f->label + "应为整数", name);
        if (f->type == FieldType::Bool && value != "true" && value != "false")
            throw bad_request("bad_filter", f->label + "应为 true 或 false", name);
        if (f->type == FieldType::TextArray)
            conds.push_back(p.next(value) + " = ANY(" + col(name) + ")");
        else
            conds.push_back(col(name) + " = " + p.next(value) + placeholder_cast(*f));
    }
    if (conds.empty()) return "";
    std::string w = " WHERE ";
    for (size_t i = 0; i < conds.size(); ++i) w += (i ? " AND " : "") + conds[i];
    return w;
}

std::string order_clause(const Entity& e, const ListQuery& q) {
    std::string sort = q.sort.empty() ? e.default_sort : q.sort;
    const Field* f = e.field(sort);
    if (!f || !(f->sortable || sort == e.key))
        throw bad_request("bad_sort", "不支持按该字段排序：" + sort.substr(0, 60), "sort");
    std::string dir = q.desc ? " DESC" : " ASC";
    std::string order = " ORDER BY " + col(sort) + dir + " NULLS LAST";
    if (sort != e.key) order += ", " + col(e.key) + dir;
    return order;
}

// Turns a constraint name reported by pg::exec into the entity's column.
[[noreturn]] void rethrow_with_field(const Entity& e, const Error& err) {
    std::string field;
    const std::string& c = err.field();
    for (const auto& f : e.fields) {
        for (const char* suffix : {"_key", "_fkey"})
            if (c == e.table + "_" + f.name + suffix) field = f.name;
    }
    if (err.code() == "duplicate" && !field.empty()) {
        const Field* f = e.field(field);
        throw conflict("duplicate", f->label + "已存在，与已有记录重复", field);
    }
    throw Error(err.kind(), err.code(), err.message(), field);
}

std::string to_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
}

// Checks that referenced rows exist, so that the error names its field.
void check_references(pqxx::work& tx, const Entity& e, const nlohmann::json& body) {
    std::vector<FieldError> errors;
    for (const auto& f : e.fields) {
        if (f.ref.empty() || f.readonly) continue;
        auto it = body.find(f.name);
        if (it == body.end() || it->is_null()) continue;
        RefTarget r = ref_target(f.ref);
        pg::Params p;
        if (f.type == FieldType::IdArray) {
            std::string sql = "SELECT count(DISTINCT r." + quote_ident(r.key) + ") = json_array_length(" +
                              p.next(it->dump()) + "::json) FROM " + quote_ident(r.table) + " r WHERE r." +
                              quote_ident(r.key) + " IN (SELECT json_array_elements_text($1::json)::bigint)";
            if (!pg::exec(tx, sql, p)[0][0].as<bool>())
                errors.push_back({f.name, "unknown_reference", f.label + "中有不存在的记录"});
            continue;
        }
        std::string sql = "SELECT 1 FROM " + quote_ident(r.table) + " r WHERE r." + quote_ident(r.key) +
                          "::text = " + p.next(to_text(*it));
        if (pg::exec(tx, sql, p).empty())
            errors.push_back({f.name, "unknown_reference", f.label + "不存在，请重新选择"});
    }
    if (!errors.empty()) throw ValidationError(std::move(errors));
}

// Normalises what users paste (USCC in lower case or with spaces) before checks.
nlohmann::json normalised(const Entity& e, nlohmann::json body) {
    if (!body.is_object()) return body;
    for (const auto& f : e.fields)
        if (f.check == "uscc" && body.contains(f.name) && body[f.name].is_string())
            body[f.name] = uscc::normalise(body[f.name].get<std::string>());
    return body;
}

// column = value expression for one writable field present in body.
std::pair<std::string, std::string> assignment(const Field& f, const nlohmann::json& v, pg::Params& p) {
    if (f.type == FieldType::Point) {
        if (v.is_null()) return {"geom", "NULL"};
        return {"geom", "ST_SetSRID(ST_MakePoint(" + p.next(to_text(v["lon"])) + "::float8, " +
                            p.next(to_text(v["lat"])) + "::float8), 4326)"};
    }
    if (v.is_null()) return {f.name, "NULL"};
    if (f.type == FieldType::TextArray)
        return {f.name, "ARRAY(SELECT json_array_elements_text(" + p.next(v.dump()) + "::json))"};
    if (f.type == FieldType::IdArray)
        return {f.name, "ARRAY(SELECT json_array_elements_text(" + p.next(v.dump()) + "::json)::bigint)"};
    std::string text = to_text(v);
    if (f.type == FieldType::Text && text.empty() && !f.required) return {f.name, "NULL"};
    return {f.name, p.next(text) + placeholder_cast(f)};
}

void throw_if_invalid(const Entity& e, const nlohmann::json& body, bool partial) {
    auto errors = validate(e, body, partial);
    if (!errors.empty()) throw ValidationError(std::move(errors));
}

nlohmann::json fetch(pqxx::transaction_base& tx, const Entity& e, const std::string& key) {
    pg::Params p;
    std::string sql = "SELECT " + row_json(e) + "::text FROM " + quote_ident(e.table) + " t WHERE " + col(e.key) +
                      " = " + key_param(e, p, key);
    auto r = pg::exec(tx, sql, p);
    if (r.empty()) throw not_found(e.label + "不存在");
    return nlohmann::json::parse(r[0][0].c_str());
}

}  // namespace

ListResult list(pg::Pool& pool, const Entity& e, const ListQuery& q) {
    if (q.page < 1 || q.page > 1000000) throw bad_request("bad_page", "页码不正确", "page");
    if (q.page_size < 1 || q.page_size > 100) throw bad_request("bad_page_size", "每页条数应在1到100之间", "page_size");
    pg::Params p;
    std::string where = where_clause(e, q, p);
    std::string order = order_clause(e, q);
    return pg::with_read(pool, "registry-list", [&](pqxx::read_transaction& tx) {
        ListResult out;
        out.total =
            pg::exec(tx, "SELECT count(*) FROM " + quote_ident(e.table) + " t" + where, p)[0][0].as<long long>();
        pg::Params pp = p;
        std::string sql = "SELECT " + row_json(e) + "::text FROM " + quote_ident(e.table) + " t" + where + order +
                          " LIMIT " + pp.next(std::to_string(q.page_size)) + "::bigint OFFSET " +
                          pp.next(std::to_string((q.page - 1) * q.page_size)) + "::bigint";
        for (const auto& row : pg::exec(tx, sql, pp)) out.items.push_back(nlohmann::json::parse(row[0].c_str()));
        return out;
    });
}

void for_each(pg::Pool& pool, const Entity& e, const ListQuery& q, long long limit,
              const std::function<void(const nlohmann::json&)>& fn) {
    pg::Params p;
    std::string where = where_clause(e, q, p);
    std::string order = order_clause(e, q);
    pg::with_read(pool, "registry-export", [&](pqxx::read_transaction& tx) {
        long long total =
            pg::exec(tx, "SELECT count(*) FROM " + quote_ident(e.table) + " t" + where, p)[0][0].as<long long>();
        if (total > limit)
            throw Error(Error::Kind::TooLarge, "export_too_large",
                        "导出行数（" + std::to_string(total) + "）超过上限 " + std::to_string(limit) + "，请先筛选");
        std::string sql = "SELECT " + row_json(e) + "::text FROM " + quote_ident(e.table) + " t" + where + order;
        for (const auto& row : pg::exec(tx, sql, p)) fn(nlohmann::json::parse(row[0].c_str()));
    });
}

nlohmann::json get(pg::Pool& pool, const Entity& e, const std::string& key) {
    return pg::with_read(pool, "registry-get", [&](pqxx::read_transaction& tx) { return fetch(tx, e, key); });
}

nlohmann::json create(pg::Pool& pool, const Entity& e, const nlohmann::json& raw) {
    nlohmann::json body = normalised(e, raw);
    throw_if_invalid(e, body, false);
    try {
        return pg::with_transaction(pool, "registry-create", [&](pqxx::work& tx) {
            check_references(tx, e, body);
            pg::Params p;
            std::string cols, vals;
            for (const auto& f : e.fields) {
                if (f.readonly || !body.contains(f.name)) continue;
                auto [c, v] = assignment(f, body[f.name], p);
                cols += (cols.empty() ? "" : ", ") + quote_ident(c);
                vals += (vals.empty() ? "" : ", ") + v;
            }
            std::string sql = "INSERT INTO " + quote_ident(e.table) + " (" + cols + ") VALUES (" + vals +
                              ") RETURNING " + quote_ident(e.key) + "::text";
            std::string key = pg::exec(tx, sql, p)[0][0].c_str();
            return fetch(tx, e, key);
        });
    } catch (const ValidationError&) {
        throw;
    } catch (const Error& err) {
        rethrow_with_field(e, err);
    }
}

nlohmann::json update(pg::Pool& pool, const Entity& e, const std::string& key, const nlohmann::json& raw) {
    if (!valid_key(e, key)) throw bad_request("bad_id", "编号格式不正确");
    nlohmann::json body = normalised(e, raw);
    throw_if_invalid(e, body, true);
    try {
        return pg::with_transaction(pool, "registry-update", [&](pqxx::work& tx) {
            check_references(tx, e, body);
            pg::Params p;
            std::string sets;
            for (const auto& f : e.fields) {
                if (f.readonly || !body.contains(f.name)) continue;
                auto [c, v] = assignment(f, body[f.name], p);
                sets += (sets.empty() ? "" : ", ") + quote_ident(c) + " = " + v;
            }
            if (!sets.empty()) {
                std::string sql = "UPDATE " + quote_ident(e.table) + " t SET " + sets + " WHERE " + col(e.key) + " = " +
                                  key_param(e, p, key) + " RETURNING " + col(e.key) + "::text";
                auto r = pg::exec(tx, sql, p);
                if (r.empty()) throw not_found(e.label + "不存在");
                return fetch(tx, e, r[0][0].c_str());
            }
            return fetch(tx, e, key);
        });
    } catch (const ValidationError&) {
        throw;
    } catch (const Error& err) {
        rethrow_with_field(e, err);
    }
}

void remove(pg::Pool& pool, const Entity& e, const std::string& key) {
    pg::with_transaction(pool, "registry-delete", [&](pqxx::work& tx) {
        pg::Params p;
        std::string sql =
            "DELETE FROM " + quote_ident(e.table) + " t WHERE " + col(e.key) + " = " + key_param(e, p, key);
        if (pg::exec(tx, sql, p).affected_rows() == 0) throw not_found(e.label + "不存在");
    });
}

nlohmann::json counts(pg::Pool& pool) {
    return pg::with_read(pool, "registry-counts", [&](pqxx::read_transaction& tx) -> nlohmann::json {
        auto r = tx.exec1(
            "SELECT (SELECT count(*) FROM market_subject), (SELECT count(*) FROM venue),"
            " (SELECT count(*) FROM product), (SELECT count(*) FROM inspector),"
            " (SELECT count(*) FROM inspection_item), (SELECT count(*) FROM authority)");
        return {{"subjects", r[0].as<long long>()}, {"venues", r[1].as<long long>()},
                {"products", r[2].as<long long>()}, {"inspectors", r[3].as<long long>()},
                {"items", r[4].as<long long>()},    {"authorities", r[5].as<long long>()}};
    });
}

}  // namespace twindraw::registry
