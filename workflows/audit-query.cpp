#include "workflows/audit-query.hpp"

#include "geo/error.hpp"
#include "workflows/registry-schema.hpp"
#include "workflows/xlsx-writer.hpp"

#include <chrono>
#include <map>
#include <regex>

namespace twindraw::audit {

namespace {

const std::map<std::string, std::string>& extra_labels() {
    static const std::map<std::string, std::string> labels = {
        {"app_user", "用户"}, {"role", "角色"}, {"user_identity", "用户身份"},
        {"announcement", "系统公告"}, {"dict_category", "数据字典分类"}, {"dict_entry", "数据字典条目"},
        {"feedback", "问题反馈"}, {"work_calendar", "工作日历"}, {"work_calendar_year", "工作日历年度安排"},
        {"annual_plan", "年度计划"}, {"inspection_task", "抽查任务"}, {"task_unit", "任务执行单位"},
        {"flow_history", "流转记录"},
        {"patrol_point", "巡查点"}, {"patrol_route", "巡查路线"}, {"patrol_area", "巡查片区"},
        {"patrol_assignment", "巡查分派"}, {"patrol_checkin", "巡查打卡"}, {"patrol_setting", "巡查设置"}};
    return labels;
}

const char* action_label(const std::string& action) {
    if (action == "insert") return "新增";
    if (action == "update") return "修改";
    if (action == "delete") return "删除";
    return "";
}

bool valid_date(const std::string& s) {
    static const std::regex re("^([0-9]{4})-([0-9]{2})-([0-9]{2})$");
    std::smatch m;
    if (!std::regex_match(s, m, re)) return false;
    std::chrono::year_month_day d{std::chrono::year(std::stoi(m[1])), std::chrono::month(std::stoul(m[2])),
                                  std::chrono::day(std::stoul(m[3]))};
    return d.ok();
}

// " WHERE ..." for q, adding its values to p.
std::string where_clause(const Query& q, pg::Params& p) {
    std::string w;
    auto add = [&](const std::string& cond) { w += (w.empty() ? " WHERE " : " AND ") + cond; };
    if (q.user_id) add("a.user_id = " + p.next(std::to_string(*q.user_id)) + "::bigint");
    if (!q.entity.empty()) add("a.entity = " + p.next(q.entity));
    if (!q.entity_id.empty()) add("a.entity_id = " + p.next(q.entity_id));
    if (!q.action.empty()) add("a.action = " + p.next(q.action));
    if (!q.from.empty()) add("a.at >= (" + p.next(q.from) + "::date::timestamp AT TIME ZONE 'Asia/Shanghai')");
    if (!q.to.empty()) add("a.at < ((" + p.next(q.to) + "::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')");
    return w;
}

// The user's name comes from the accounts tables when they exist.
std::string user_name_join(pqxx::transaction_base& tx) {
    bool has = tx.exec1(
                     "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                     " AND table_name = 'app_user' AND column_name = 'name')")[0]
                   .as<bool>();
    return has ? " LEFT JOIN app_user_name u ON u.id = a.user_id" : "";
}

std::string select_list(const std::string& user_join) {
    return "SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), a.user_id, " +
           std::string(user_join.empty() ? "NULL::text" : "u.name::text") +
           ", a.identity_id, a.unit_id, un.name, a.address, a.action, a.entity, a.entity_id,"
           " to_char(a.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
           " FROM audit_log a LEFT JOIN authority un ON un.id = a.unit_id" +
           user_join;
}

nlohmann::json nullable_id(const pqxx::field& f) {
    return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<long long>());
}

nlohmann::json nullable_text(const pqxx::field& f) {
    return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<std::string>());
}

nlohmann::json item(const pqxx::row& r) {
    std::string entity = r[9].as<std::string>();
    return {{"id", r[0].as<long long>()},     {"at", r[1].as<std::string>()},  {"user_id", nullable_id(r[2])},
            {"user_name", nullable_text(r[3])}, {"identity_id", nullable_id(r[4])}, {"unit_id", nullable_id(r[5])},
            {"unit_name", nullable_text(r[6])}, {"address", nullable_text(r[7])}, {"action", r[8].as<std::string>()},
            {"entity", entity},                 {"entity_label", entity_label(entity)},
            {"entity_id", r[10].as<std::string>()}};
}

// Top-level keys whose values differ between before and after.
std::vector<std::string> changed_fields(const nlohmann::json& before, const nlohmann::json& after) {
    std::vector<std::string> out;
    if (!before.is_object() || !after.is_object()) return out;
    for (const auto& [k, v] : after.items())
        if (!before.contains(k) || before[k] != v) out.push_back(k);
    for (const auto& [k, v] : before.items())
        if (!after.contains(k)) out.push_back(k);
    return out;
}

}  // namespace

void validate(const Query& q) {
    if (q.page < 1) throw bad_request("bad_page", "页码应为正整数", "page");
    if (q.page_size < 1 || q.page_size > 100) throw bad_request("bad_page_size", "每页条数应在 1–100 之间", "page_size");
    if (!q.action.empty() && q.action != "insert" && q.action != "update" && q.action != "delete")
        throw bad_request("bad_action", "操作应为 insert、update 或 delete", "action");
    if (!q.from.empty() && !valid_date(q.from)) throw bad_request("bad_from", "起始日期应为 YYYY-MM-DD", "from");
    if (!q.to.empty() && !valid_date(q.to)) throw bad_request("bad_to", "截止日期应为 YYYY-MM-DD", "to");
    if (!q.from.empty() && !q.to.empty() && q.from > q.to)
        throw bad_request("bad_range", "起始日期晚于截止日期", "from");
    if (q.entity.size() > 63) throw bad_request("bad_entity", "对象类型过长", "entity");
    if (q.entity_id.size() > 200) throw bad_request("bad_entity_id", "对象编号过长", "entity_id");
}

std::string entity_label(const std::string& entity) {
    for (const auto& e : registry::entities())
        if (e.table == entity) return e.label;
    auto it = extra_labels().find(entity);
    return it == extra_labels().end() ? entity : it->second;
}

nlohmann::json entity_labels() {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : registry::entities()) out.push_back({{"entity", e.table}, {"label", e.label}});
    for (const auto& [table, label] : extra_labels()) out.push_back({{"entity", table}, {"label", label}});
    return out;
}

Page list(pg::Pool& pool, const Query& q) {
    validate(q);
    return pg::with_read(pool, "audit-list", [&](pqxx::read_transaction& tx) {
        Page page;
        pg::Params cp;
        std::string where = where_clause(q, cp);
        page.total = pg::exec(tx, "SELECT count(*) FROM audit_log a" + where, cp)[0][0].as<long long>();
        pg::Params p;
        std::string sql = select_list(user_name_join(tx)) + where_clause(q, p) + " ORDER BY a.id DESC LIMIT " +
                          p.next(std::to_string(q.page_size)) + "::bigint OFFSET " +
                          p.next(std::to_string((q.page - 1) * q.page_size)) + "::bigint";
        for (const auto& r : pg::exec(tx, sql, p)) page.items.push_back(item(r));
        return page;
    });
}

nlohmann::json get(pg::Pool& pool, long long id) {
    return pg::with_read(pool, "audit-get", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string sql = select_list(user_name_join(tx));
        sql.replace(sql.find(" FROM audit_log"), 0,
                    ", a.before::text, a.after::text, encode(a.prev_hash, 'hex'), encode(a.hash, 'hex')");
        auto rows = pg::exec(tx, sql + " WHERE a.id = " + p.next(std::to_string(id)) + "::bigint", p);
        if (rows.empty()) throw not_found("审计记录不存在");
        const auto& r = rows[0];
        nlohmann::json out = item(r);
        nlohmann::json before = r[12].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(r[12].c_str());
        nlohmann::json after = r[13].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(r[13].c_str());
        out["before"] = before;
        out["after"] = after;
        out["changed"] = changed_fields(before, after);
        out["prev_hash"] = r[14].as<std::string>();
        out["hash"] = r[15].as<std::string>();
        return out;
    });
}

std::string export_xlsx(pg::Pool& pool, const Query& q, long long limit) {
    validate(q);
    std::vector<std::vector<std::string>> rows;
    pg::with_read(pool, "audit-export", [&](pqxx::read_transaction& tx) {
        pg::Params cp;
        long long n = pg::exec(tx, "SELECT count(*) FROM audit_log a" + where_clause(q, cp), cp)[0][0].as<long long>();
        if (n > limit)
            throw Error(Error::Kind::TooLarge, "export_too_large",
                        "符合条件的审计记录有 " + std::to_string(n) + " 条，超过导出上限 " + std::to_string(limit) +
                            " 条，请缩小范围");
        pg::Params p;
        std::string sql = select_list(user_name_join(tx));
        sql.replace(sql.find(" FROM audit_log"), 0, ", a.before::text, a.after::text");
        for (const auto& r : pg::exec(tx, sql + where_clause(q, p) + " ORDER BY a.id", p)) {
            auto text = [&](int i) { return r[i].is_null() ? std::string() : r[i].as<std::string>(); };
            std::string changed;
            if (!r[12].is_null() && !r[13].is_null())
                for (const auto& k : changed_fields(nlohmann::json::parse(r[12].c_str()),
                                                    nlohmann::json::parse(r[13].c_str())))
                    changed += (changed.empty() ? "" : "、") + k;
            std::string entity = text(9);
            rows.push_back({text(0), text(11), text(3), text(2), text(4), text(6), text(7), action_label(text(8)),
                            entity_label(entity), text(10), changed});
        }
    });
    return xlsx::export_rows_xlsx({"编号", "时间（北京时间）", "操作人", "用户编号", "身份编号", "单位", "地址",
                                   "操作", "对象类型", "对象编号", "变更字段"},
                                  rows, "审计日志");
}

}  // namespace twindraw::audit
