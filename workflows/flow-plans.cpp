#include "workflows/flow-plans.hpp"

#include "geo/error.hpp"
#include "workflows/flow-form.hpp"
#include "workflows/flow-states.hpp"

namespace twindraw::flow {

namespace {

const char* kPlanJson =
    "SELECT jsonb_build_object("
    " 'id', p.id, 'year', p.year, 'name', p.name, 'plan_type', p.plan_type,"
    " 'initiating_authority_id', p.initiating_authority_id, 'initiating_name', ia.name,"
    " 'cooperating_authority_ids', to_jsonb(p.cooperating_authority_ids),"
    " 'cooperating_names', (SELECT coalesce(jsonb_agg(a.name ORDER BY array_position(p.cooperating_authority_ids, "
    "a.id)),"
    "   '[]') FROM authority a WHERE a.id = ANY(p.cooperating_authority_ids)),"
    " 'item_ids', to_jsonb(p.item_ids),"
    " 'item_names', (SELECT coalesce(jsonb_agg(i.name ORDER BY array_position(p.item_ids, i.id)), '[]')"
    "   FROM inspection_item i WHERE i.id = ANY(p.item_ids)),"
    " 'object_scope', p.object_scope, 'start_date', p.start_date, 'end_date', p.end_date,"
    " 'ratio', p.ratio, 'object_count', p.object_count, 'remark', p.remark, 'state', p.state,"
    " 'target_unit_ids', to_jsonb(p.target_unit_ids),"
    " 'target_names', (SELECT coalesce(jsonb_agg(a.name ORDER BY array_position(p.target_unit_ids, a.id)), '[]')"
    "   FROM authority a WHERE a.id = ANY(p.target_unit_ids)),"
    " 'published_at', to_char(p.published_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'publish_version', p.publish_version,"
    " 'late_publication', p.published_at IS NOT NULL"
    "   AND (p.published_at AT TIME ZONE 'Asia/Shanghai')::date > make_date(p.year, 3, 31),"
    " 'created_by', p.created_by, 'created_by_name', cu.name,"
    " 'created_at', to_char(p.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'updated_at', to_char(p.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'task_count', (SELECT count(*) FROM inspection_task t WHERE t.plan_id = p.id)"
    ")::text FROM annual_plan p JOIN authority ia ON ia.id = p.initiating_authority_id"
    " LEFT JOIN app_user_name cu ON cu.id = p.created_by";

// The plans the scope sees: its own (any state), and distributed/recalled ones that
// name one of its units as cooperating department or distribution target.
std::string visible(const std::string& scope, pg::Params& p) {
    if (scope.empty()) return "true";
    std::string s = p.next(scope) + "::bigint[]";
    return "(p.initiating_authority_id = ANY(" + s + ") OR (p.state <> 'draft' AND (p.cooperating_authority_ids && " +
           s + " OR p.target_unit_ids && " + s + ")))";
}

nlohmann::json decorate(nlohmann::json plan, const FlowActor& actor, bool own) {
    const std::string state = plan["state"];
    plan["state_label"] = state_label(Machine::Plan, state);
    plan["plan_type_label"] = plan["plan_type"] == "joint" ? "联合抽查" : "单部门抽查";
    plan["actions"] = own ? allowed_actions(Machine::Plan, state, actor.permissions) : std::vector<std::string>{};
    return plan;
}

struct Locked {
    std::string state;
    long long initiating = 0;
};

// Locks plan id for a change by the actor: 404 when the actor's scope does not see it,
// 403 when it sees it but its units did not initiate it.
Locked lock_own(pqxx::transaction_base& tx, const FlowActor& actor, long long id) {
    pg::Params p;
    p.add(id);
    auto r = pg::exec(tx, "SELECT state, initiating_authority_id FROM annual_plan WHERE id = $1::bigint FOR UPDATE", p);
    if (r.empty()) throw not_found("年度计划不存在");
    Locked l{r[0][0].as<std::string>(), r[0][1].as<long long>()};
    if (!in_scope(tx, actor, l.initiating)) {
        pg::Params v;
        std::string cond = visible(scope_array(tx, actor), v);
        v.add(id);
        bool seen = pg::exec(tx,
                             "SELECT EXISTS (SELECT 1 FROM annual_plan p WHERE " + cond + " AND p.id = $" +
                                 std::to_string(v.size()) + "::bigint)",
                             v)[0][0]
                        .as<bool>();
        if (!seen) throw not_found("年度计划不存在");
        throw forbidden("not_initiator", "只有计划的发起部门可以执行此操作");
    }
    return l;
}

nlohmann::json load(pqxx::transaction_base& tx, long long id) {
    pg::Params p;
    p.add(id);
    auto r = pg::exec(tx, std::string(kPlanJson) + " WHERE p.id = $1::bigint", p);
    if (r.empty()) throw not_found("年度计划不存在");
    return nlohmann::json::parse(r[0][0].c_str());
}

struct PlanInput {
    long long year = 0;
    std::string name, plan_type;
    long long initiating = 0;
    std::vector<long long> cooperating, items;
    std::string object_scope, start, end, remark;
    std::optional<std::string> ratio;
    std::optional<long long> count;
};

// Reads and checks a whole plan form (body already merged with the stored plan on edit).
PlanInput read_plan(pqxx::transaction_base& tx, const FlowActor& actor, const nlohmann::json& body) {
    Form f(body);
    f.only({"year", "name", "plan_type", "initiating_authority_id", "cooperating_authority_ids", "item_ids",
            "object_scope", "start_date", "end_date", "ratio", "object_count", "remark"});
    PlanInput in;
    in.year = f.integer("year", "计划年度", 2000, 2100, true).value_or(0);
    in.name = f.text("name", "计划名称", 200, true);
    in.plan_type = f.choice("plan_type", "计划类型", {"single", "joint"});
    in.initiating = f.id("initiating_authority_id", "发起部门", false);
    if (!in.initiating) in.initiating = actor.unit_id;
    in.cooperating = f.ids("cooperating_authority_ids", "配合部门");
    in.items = f.ids("item_ids", "抽查事项");
    in.object_scope = f.text("object_scope", "抽查对象", 500, true);
    in.start = f.date("start_date", "开始日期");
    in.end = f.date("end_date", "结束日期");
    in.ratio = f.number("ratio", "抽查比例（%）", 0, 100);
    in.count = f.integer("object_count", "抽取对象数量", 0, 100000000, false);
    in.remark = f.text("remark", "备注", 2000, false);
    if (!in.start.empty() && !in.end.empty() && in.end < in.start)
        f.add("end_date", "bad_range", "结束日期不能早于开始日期");
    if (in.year && !in.start.empty() && in.start.substr(0, 4) != std::to_string(in.year))
        f.add("start_date", "outside_year", "开始日期应在计划年度内");
    if (in.plan_type == "joint" && in.cooperating.empty())
        f.add("cooperating_authority_ids", "required", "联合抽查计划至少要有一个配合部门");
    if (in.plan_type == "single" && !in.cooperating.empty())
        f.add("cooperating_authority_ids", "not_joint", "单部门抽查计划没有配合部门");
    if (!in.initiating) {
        f.add("initiating_authority_id", "required", "发起部门必须选择");
    } else if (!missing_ids(tx, "authority", {in.initiating}).empty()) {
        f.add("initiating_authority_id", "unknown_reference", "发起部门不存在");
    } else if (!in_scope(tx, actor, in.initiating)) {
        f.add("initiating_authority_id", "out_of_scope", "只能以本部门（或下级单位）作为发起部门");
    }
    for (long long c : in.cooperating)
        if (c == in.initiating) f.add("cooperating_authority_ids", "is_initiating", "配合部门不能与发起部门相同");
    if (!missing_ids(tx, "authority", in.cooperating).empty())
        f.add("cooperating_authority_ids", "unknown_reference", "配合部门不存在");
    if (!missing_ids(tx, "inspection_item", in.items).empty()) f.add("item_ids", "unknown_reference", "抽查事项不存在");
    f.throw_if_errors();
    return in;
}

pg::Params plan_params(const PlanInput& in) {
    pg::Params p;
    p.add(in.year)
        .add(in.name)
        .add(in.plan_type)
        .add(in.initiating)
        .add(id_array(in.cooperating))
        .add(id_array(in.items))
        .add(in.object_scope)
        .add(in.start)
        .add(in.end)
        .add(in.ratio)
        .add(in.count ? std::optional<std::string>(std::to_string(*in.count)) : std::nullopt)
        .add(in.remark.empty() ? std::nullopt : std::optional<std::string>(in.remark));
    return p;
}

std::string opinion_of(const nlohmann::json& body, bool required, const char* what) {
    Form f(body);
    std::string o = f.text("opinion", what, 1000, required);
    f.throw_if_errors();
    return o;
}

}  // namespace

void validate(const PlanFilter& f) {
    if (!f.state.empty() && f.state != "draft" && f.state != "distributed" && f.state != "recalled")
        throw bad_request("bad_state", "状态应为 draft、distributed 或 recalled", "state");
    if (!f.plan_type.empty() && f.plan_type != "single" && f.plan_type != "joint")
        throw bad_request("bad_plan_type", "计划类型应为 single 或 joint", "plan_type");
    if (f.year && (*f.year < 2000 || *f.year > 2100)) throw bad_request("bad_year", "年度应在 2000–2100 之间", "year");
    if (f.page < 1) throw bad_request("bad_page", "页码应为正整数", "page");
    if (f.page_size < 1 || f.page_size > 100)
        throw bad_request("bad_page_size", "每页条数应在 1–100 之间", "page_size");
    if (f.q.size() > 200) throw bad_request("bad_q", "关键字过长", "q");
}

nlohmann::json list_plans(pg::Pool& pool, const FlowActor& actor, const PlanFilter& f) {
    validate(f);
    return pg::with_read(pool, "plan-list", [&](pqxx::read_transaction& tx) {
        const std::string scope = scope_array(tx, actor);
        pg::Params p;
        std::string where = " WHERE " + visible(scope, p);
        if (f.year) where += " AND p.year = " + p.next(std::to_string(*f.year)) + "::int";
        if (!f.state.empty()) where += " AND p.state = " + p.next(f.state);
        if (!f.plan_type.empty()) where += " AND p.plan_type = " + p.next(f.plan_type);
        if (!f.q.empty()) where += " AND p.name ILIKE '%' || " + p.next(pg::like_escape(f.q)) + " || '%'";
        if (f.selectable) {
            where += " AND p.state = 'distributed'";
            if (!scope.empty()) {
                std::string s = p.next(scope) + "::bigint[]";
                where += " AND (p.initiating_authority_id = ANY(" + s + ") OR p.target_unit_ids && " + s + ")";
            }
        }
        const long long total = pg::exec(tx, "SELECT count(*) FROM annual_plan p" + where, p)[0][0].as<long long>();
        std::string own_cond =
            scope.empty() ? "true" : "p.initiating_authority_id = ANY(" + p.next(scope) + "::bigint[])";
        std::string sql = std::string(kPlanJson);
        sql.replace(sql.find(")::text FROM"), 0, ", 'own', " + own_cond);
        sql += where + " ORDER BY p.year DESC, p.id DESC LIMIT " + p.next(std::to_string(f.page_size)) +
               "::bigint OFFSET " + p.next(std::to_string((f.page - 1) * f.page_size)) + "::bigint";
        nlohmann::json items = nlohmann::json::array();
        for (const auto& r : pg::exec(tx, sql, p)) {
            auto j = nlohmann::json::parse(r[0].c_str());
            bool own = j["own"].get<bool>();
            j.erase("own");
            items.push_back(decorate(std::move(j), actor, own));
        }
        return nlohmann::json{{"items", items}, {"total", total}, {"page", f.page}, {"page_size", f.page_size}};
    });
}

nlohmann::json get_plan(pg::Pool& pool, const FlowActor& actor, long long id) {
    return pg::with_read(pool, "plan-get", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string cond = visible(scope_array(tx, actor), p);
        p.add(id);
        auto r = pg::exec(
            tx, std::string(kPlanJson) + " WHERE " + cond + " AND p.id = $" + std::to_string(p.size()) + "::bigint", p);
        if (r.empty()) throw not_found("年度计划不存在");
        auto plan = nlohmann::json::parse(r[0][0].c_str());
        const bool own = in_scope(tx, actor, plan["initiating_authority_id"].get<long long>());
        plan = decorate(std::move(plan), actor, own);
        pg::Params tp;
        tp.add(id);
        nlohmann::json tasks = nlohmann::json::array();
        for (const auto& t : pg::exec(tx,
                                      "SELECT t.id, t.name, t.task_type, t.state, a.name FROM inspection_task t"
                                      " JOIN authority a ON a.id = t.initiating_authority_id"
                                      " WHERE t.plan_id = $1::bigint ORDER BY t.id",
                                      tp))
            tasks.push_back({{"id", t[0].as<long long>()},
                             {"name", t[1].as<std::string>()},
                             {"task_type", t[2].as<std::string>()},
                             {"state", t[3].as<std::string>()},
                             {"state_label", state_label(Machine::Task, t[3].as<std::string>())},
                             {"initiating_name", t[4].as<std::string>()}});
        plan["tasks"] = tasks;
        plan["history"] = history(tx, {"plan"}, id);
        return plan;
    });
}

nlohmann::json create_plan(pg::Pool& pool, const FlowActor& actor, const nlohmann::json& body) {
    return pg::with_transaction(pool, "plan-create", [&](pqxx::work& tx) {
        PlanInput in = read_plan(tx, actor, body);
        pg::Params p = plan_params(in);
        p.add(actor.user_id ? std::optional<std::string>(std::to_string(actor.user_id)) : std::nullopt);
        long long id = pg::exec(tx,
                                "INSERT INTO annual_plan(year, name, plan_type, initiating_authority_id,"
                                " cooperating_authority_ids, item_ids, object_scope, start_date, end_date, ratio,"
                                " object_count, remark, created_by)"
                                " VALUES ($1::int, $2, $3, $4::bigint, $5::bigint[], $6::bigint[], $7, $8::date,"
                                " $9::date, $10::numeric, $11::int, $12, $13::bigint) RETURNING id",
                                p)[0][0]
                           .as<long long>();
        record(tx, "plan", id, "create", "", "draft", "", actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json update_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "plan-update", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        require_transition(Machine::Plan, "edit", l.state);
        // The stored plan, overlaid with the given fields, is checked as a whole.
        auto cur = load(tx, id);
        nlohmann::json merged;
        for (const char* k : {"year", "name", "plan_type", "initiating_authority_id", "cooperating_authority_ids",
                              "item_ids", "object_scope", "start_date", "end_date", "ratio", "object_count", "remark"})
            merged[k] = cur[k];
        if (merged["ratio"].is_number()) merged["ratio"] = merged["ratio"].get<double>();
        for (const auto& [k, v] : body.items()) merged[k] = v;
        PlanInput in = read_plan(tx, actor, merged);
        pg::Params p = plan_params(in);
        p.add(id);
        pg::exec(
            tx,
            "UPDATE annual_plan SET year = $1::int, name = $2, plan_type = $3, initiating_authority_id = $4::bigint,"
            " cooperating_authority_ids = $5::bigint[], item_ids = $6::bigint[], object_scope = $7,"
            " start_date = $8::date, end_date = $9::date, ratio = $10::numeric, object_count = $11::int,"
            " remark = $12 WHERE id = $13::bigint",
            p);
        record(tx, "plan", id, "edit", l.state, l.state, "", actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

void delete_plan(pg::Pool& pool, const FlowActor& actor, long long id) {
    pg::with_transaction(pool, "plan-delete", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        require_transition(Machine::Plan, "delete", l.state);
        pg::Params p;
        p.add(id);
        if (pg::exec(tx, "SELECT EXISTS (SELECT 1 FROM inspection_task WHERE plan_id = $1::bigint)", p)[0][0]
                .as<bool>())
            throw conflict("plan_has_tasks", "该计划已制定抽查任务，不能删除").with("state", l.state);
        record(tx, "plan", id, "delete", l.state, "", "", actor, actor.unit_id);
        pg::exec(tx, "DELETE FROM annual_plan WHERE id = $1::bigint", p);
    });
}

nlohmann::json distribute_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "plan-distribute", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        const auto& t = require_transition(Machine::Plan, "distribute", l.state);
        Form f(body);
        f.only({"unit_ids", "opinion"});
        std::vector<long long> units = f.ids("unit_ids", "分发单位");
        std::string opinion = f.text("opinion", "说明", 1000, false);
        if (!missing_ids(tx, "authority", units).empty()) f.add("unit_ids", "unknown_reference", "分发单位不存在");
        f.throw_if_errors();
        pg::Params p;
        p.add(id).add(id_array(units));
        // Default targets: the initiating and the cooperating departments.
        pg::exec(tx,
                 "UPDATE annual_plan SET state = 'distributed',"
                 " target_unit_ids = CASE WHEN cardinality($2::bigint[]) > 0 THEN $2::bigint[]"
                 "   ELSE initiating_authority_id || cooperating_authority_ids END,"
                 " published_at = CASE WHEN plan_type = 'joint' THEN now() ELSE published_at END,"
                 " publish_version = publish_version + CASE WHEN plan_type = 'joint' THEN 1 ELSE 0 END"
                 " WHERE id = $1::bigint",
                 p);
        record(tx, "plan", id, "distribute", l.state, t.to, opinion, actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json recall_plan(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "plan-recall", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        const auto& t = require_transition(Machine::Plan, "recall", l.state);
        std::string opinion = opinion_of(body, false, "回收原因");
        pg::Params p;
        p.add(id);
        pg::exec(tx, "UPDATE annual_plan SET state = 'recalled' WHERE id = $1::bigint", p);
        record(tx, "plan", id, "recall", l.state, t.to, opinion, actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json public_plans(pg::Pool& pool, std::optional<long long> year) {
    if (year && (*year < 2000 || *year > 2100)) throw bad_request("bad_year", "年度应在 2000–2100 之间", "year");
    return pg::with_read(pool, "plan-public", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE p.plan_type = 'joint' AND p.state = 'distributed'";
        if (year) where += " AND p.year = " + p.next(std::to_string(*year)) + "::int";
        nlohmann::json items = nlohmann::json::array();
        for (const auto& r :
             pg::exec(tx, std::string(kPlanJson) + where + " ORDER BY p.year DESC, p.published_at DESC", p)) {
            auto j = nlohmann::json::parse(r[0].c_str());
            nlohmann::json pub;
            for (const char* k : {"id", "year", "name", "initiating_name", "cooperating_names", "item_names",
                                  "object_scope", "start_date", "end_date", "ratio", "object_count", "published_at",
                                  "publish_version", "late_publication"})
                pub[k] = j[k];
            items.push_back(pub);
        }
        return nlohmann::json{{"items", items}, {"total", items.size()}};
    });
}

}  // namespace twindraw::flow
