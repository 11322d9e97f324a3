#include "workflows/flow-tasks.hpp"

#include "workflows/notify.hpp"

#include "geo/error.hpp"
#include "workflows/flow-form.hpp"
#include "workflows/flow-states.hpp"
#include "workflows/task-draw-params.hpp"
#include "workflows/xlsx-writer.hpp"

#include <algorithm>

namespace twindraw::flow {

namespace {

const char* kTaskJson =
    "SELECT jsonb_build_object("
    " 'id', t.id, 'plan_id', t.plan_id, 'plan_name', p.name, 'plan_year', p.year, 'plan_state', p.state,"
    " 'name', t.name, 'task_type', t.task_type,"
    " 'initiating_authority_id', t.initiating_authority_id, 'initiating_name', ia.name,"
    " 'cooperating_authority_ids', to_jsonb(t.cooperating_authority_ids),"
    " 'cooperating_names', (SELECT coalesce(jsonb_agg(a.name ORDER BY array_position(t.cooperating_authority_ids, "
    "a.id)),"
    "   '[]') FROM authority a WHERE a.id = ANY(t.cooperating_authority_ids)),"
    " 'executing_unit_ids', (SELECT coalesce(jsonb_agg(u.authority_id ORDER BY u.authority_id), '[]')"
    "   FROM task_unit u WHERE u.task_id = t.id AND u.unit_role = 'executing'),"
    " 'item_ids', to_jsonb(t.item_ids),"
    " 'item_names', (SELECT coalesce(jsonb_agg(i.name ORDER BY array_position(t.item_ids, i.id)), '[]')"
    "   FROM inspection_item i WHERE i.id = ANY(t.item_ids)),"
    " 'start_date', t.start_date, 'end_date', t.end_date, 'description', t.description,"
    " 'draw_params', t.draw_params, 'state', t.state,"
    " 'submitted_at', to_char(t.submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'reviewed_by', t.reviewed_by, 'reviewed_by_name', ru.name,"
    " 'reviewed_at', to_char(t.reviewed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'review_opinion', t.review_opinion, 'urge_count', t.urge_count,"
    " 'last_urged_at', to_char(t.last_urged_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'created_by', t.created_by, 'created_by_name', cu.name,"
    " 'created_at', to_char(t.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'updated_at', to_char(t.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
    " 'days_left', t.end_date - (now() AT TIME ZONE 'Asia/Shanghai')::date,"
    " 'unit_count', (SELECT count(*) FROM task_unit u WHERE u.task_id = t.id),"
    " 'received_count', (SELECT count(*) FROM task_unit u WHERE u.task_id = t.id AND u.state = 'received')"
    ")::text FROM inspection_task t JOIN annual_plan p ON p.id = t.plan_id"
    " JOIN authority ia ON ia.id = t.initiating_authority_id"
    " LEFT JOIN app_user_name cu ON cu.id = t.created_by LEFT JOIN app_user_name ru ON ru.id = t.reviewed_by";

// Tasks the scope sees: initiated by its units, or approved and executed by them.
std::string visible(const std::string& scope, pg::Params& p) {
    if (scope.empty()) return "true";
    std::string s = p.next(scope) + "::bigint[]";
    return "(t.initiating_authority_id = ANY(" + s +
           ") OR (t.state = 'approved' AND EXISTS (SELECT 1 FROM task_unit u WHERE u.task_id = t.id"
           " AND u.authority_id = ANY(" +
           s + "))))";
}

std::string filter_where(const TaskFilter& f, const std::string& scope, pg::Params& p) {
    std::string where = " WHERE " + visible(scope, p);
    if (f.plan_id) where += " AND t.plan_id = " + p.next(std::to_string(*f.plan_id)) + "::bigint";
    if (f.year) where += " AND p.year = " + p.next(std::to_string(*f.year)) + "::int";
    if (!f.state.empty()) where += " AND t.state = " + p.next(f.state);
    if (!f.task_type.empty()) where += " AND t.task_type = " + p.next(f.task_type);
    if (!f.q.empty()) where += " AND t.name ILIKE '%' || " + p.next(pg::like_escape(f.q)) + " || '%'";
    return where;
}

nlohmann::json decorate(nlohmann::json task, const FlowActor& actor, bool own) {
    const std::string state = task["state"];
    task["state_label"] = state_label(Machine::Task, state);
    task["task_type_label"] = task["task_type"] == "joint" ? "联合抽查" : "单部门抽查";
    task["actions"] = own ? allowed_actions(Machine::Task, state, actor.permissions) : std::vector<std::string>{};
    return task;
}

nlohmann::json load(pqxx::transaction_base& tx, long long id) {
    pg::Params p;
    p.add(id);
    auto r = pg::exec(tx, std::string(kTaskJson) + " WHERE t.id = $1::bigint", p);
    if (r.empty()) throw not_found("抽查任务不存在");
    return nlohmann::json::parse(r[0][0].c_str());
}

bool visible_to(pqxx::transaction_base& tx, const FlowActor& actor, long long id) {
    pg::Params v;
    std::string cond = visible(scope_array(tx, actor), v);
    v.add(id);
    return pg::exec(tx,
                    "SELECT EXISTS (SELECT 1 FROM inspection_task t WHERE " + cond + " AND t.id = $" +
                        std::to_string(v.size()) + "::bigint)",
                    v)[0][0]
        .as<bool>();
}

struct Locked {
    std::string state;
    long long initiating = 0;
    long long plan_id = 0;
};

Locked lock_task(pqxx::transaction_base& tx, long long id) {
    pg::Params p;
    p.add(id);
    auto r = pg::exec(tx,
                      "SELECT state, initiating_authority_id, plan_id FROM inspection_task WHERE id = $1::bigint"
                      " FOR UPDATE",
                      p);
    if (r.empty()) throw not_found("抽查任务不存在");
    return {r[0][0].as<std::string>(), r[0][1].as<long long>(), r[0][2].as<long long>()};
}

// Locks task id for a change by its initiating department: 404 when the actor's scope
// does not see it, 403 when it sees it (as an executing unit) but did not initiate it.
Locked lock_own(pqxx::transaction_base& tx, const FlowActor& actor, long long id) {
    Locked l = lock_task(tx, id);
    if (!in_scope(tx, actor, l.initiating)) {
        if (!visible_to(tx, actor, id)) throw not_found("抽查任务不存在");
        throw forbidden("not_initiator", "只有任务的发起部门可以执行此操作");
    }
    return l;
}

struct PlanRow {
    std::string state;
    long long initiating = 0;
    std::vector<long long> targets, items;
    std::string start, end;
};

std::vector<long long> parse_ids(const std::string& arr) {  // "{1,2}"
    std::vector<long long> out;
    std::string cur;
    for (char c : arr) {
        if (c >= '0' && c <= '9') {
            cur += c;
        } else if (!cur.empty()) {
            out.push_back(std::stoll(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(std::stoll(cur));
    return out;
}

std::optional<PlanRow> plan_row(pqxx::transaction_base& tx, long long plan_id, bool lock) {
    pg::Params p;
    p.add(plan_id);
    auto r = pg::exec(tx,
                      "SELECT state, initiating_authority_id, target_unit_ids::text, item_ids::text, start_date::text,"
                      " end_date::text FROM annual_plan WHERE id = $1::bigint" +
                          std::string(lock ? " FOR SHARE" : ""),
                      p);
    if (r.empty()) return std::nullopt;
    return PlanRow{r[0][0].as<std::string>(),
                   r[0][1].as<long long>(),
                   parse_ids(r[0][2].as<std::string>()),
                   parse_ids(r[0][3].as<std::string>()),
                   r[0][4].as<std::string>(),
                   r[0][5].as<std::string>()};
}

void require_distributed(const PlanRow& plan) {
    if (plan.state != "distributed")
        throw conflict(
            "plan_not_distributed",
            "所选年度计划当前为“" + state_label(Machine::Plan, plan.state) + "”，只有已分发的计划可以制定抽查任务",
            "plan_id")
            .with("state", plan.state);
}

struct TaskInput {
    long long plan_id = 0;
    std::string name, task_type;
    long long initiating = 0;
    std::vector<long long> cooperating, executing, items;
    std::string start, end, description;
    nlohmann::json draw_params = nlohmann::json::object();
};

const std::vector<std::string> kTaskFields = {"plan_id",
                                              "name",
                                              "task_type",
                                              "initiating_authority_id",
                                              "cooperating_authority_ids",
                                              "executing_unit_ids",
                                              "item_ids",
                                              "start_date",
                                              "end_date",
                                              "description",
                                              "draw_params"};

TaskInput read_task(pqxx::transaction_base& tx, const FlowActor& actor, const nlohmann::json& body) {
    Form f(body);
    f.only(kTaskFields);
    TaskInput in;
    in.plan_id = f.id("plan_id", "年度计划", true);
    in.name = f.text("name", "任务名称", 200, true);
    in.task_type = f.choice("task_type", "任务类型", {"single", "joint"});
    in.initiating = f.id("initiating_authority_id", "发起部门", false);
    if (!in.initiating) in.initiating = actor.unit_id;
    in.cooperating = f.ids("cooperating_authority_ids", "配合部门");
    in.executing = f.ids("executing_unit_ids", "执行单位");
    in.items = f.ids("item_ids", "抽查事项");
    in.start = f.date("start_date", "开始日期");
    in.end = f.date("end_date", "结束日期");
    in.description = f.text("description", "任务说明", 2000, false);
    in.draw_params =
        normalize_draw_params(body.contains("draw_params") ? body["draw_params"] : nlohmann::json(), f.errors());
    if (!in.start.empty() && !in.end.empty() && in.end < in.start)
        f.add("end_date", "bad_range", "结束日期不能早于开始日期");
    if (in.task_type == "joint" && in.cooperating.empty())
        f.add("cooperating_authority_ids", "required", "联合抽查任务至少要有一个配合部门");
    if (in.task_type == "single" && !in.cooperating.empty())
        f.add("cooperating_authority_ids", "not_joint", "单部门抽查任务没有配合部门");

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
    for (long long e : in.executing) {
        if (e == in.initiating || std::find(in.cooperating.begin(), in.cooperating.end(), e) != in.cooperating.end()) {
            f.add("executing_unit_ids", "duplicate_unit", "执行单位不能与发起部门或配合部门重复");
            break;
        }
    }
    if (!missing_ids(tx, "authority", in.executing).empty()) {
        f.add("executing_unit_ids", "unknown_reference", "执行单位不存在");
    } else {
        for (long long e : in.executing)
            if (!in_scope(tx, actor, e)) {
                f.add("executing_unit_ids", "out_of_scope", "执行单位应为本部门或其下级单位");
                break;
            }
    }
    if (!missing_ids(tx, "inspection_item", in.items).empty()) f.add("item_ids", "unknown_reference", "抽查事项不存在");

    // Whatever the draw parameters name must exist.
    if (!missing_ids(tx, "inspection_item", draw_param_item_ids(in.draw_params)).empty())
        f.add("draw_params.objects.item_ids", "unknown_reference", "抽取范围中的抽查事项不存在");
    if (!missing_ids(tx, "authority", draw_param_authority_ids(in.draw_params)).empty())
        f.add("draw_params.inspectors.authority_ids", "unknown_reference", "抽取范围中的派出机构不存在");
    auto missing_codes = [&](const char* table, const std::vector<std::string>& codes) {
        if (codes.empty()) return false;
        pg::Params p;
        p.add(pg::array_literal(codes));
        return pg::exec(tx,
                        "SELECT EXISTS (SELECT 1 FROM unnest($1::text[]) c WHERE NOT EXISTS (SELECT 1 FROM " +
                            pg::quote_ident(table) + " x WHERE x.code = c))",
                        p)[0][0]
            .as<bool>();
    };
    if (missing_codes("division", draw_param_division_codes(in.draw_params)))
        f.add("draw_params.objects.division_codes", "unknown_reference", "抽取范围中的行政区划不存在");
    if (missing_codes("industry", draw_param_industry_codes(in.draw_params)))
        f.add("draw_params.objects.industry_codes", "unknown_reference", "抽取范围中的行业不存在");

    if (in.plan_id) {
        auto plan = plan_row(tx, in.plan_id, true);
        if (!plan) {
            f.add("plan_id", "unknown_reference", "年度计划不存在");
        } else if (plan->state != "distributed") {
            f.throw_if_errors();  // form errors first, then the plan's state (409)
            require_distributed(*plan);
        } else {
            if (in.initiating && in.initiating != plan->initiating &&
                std::find(plan->targets.begin(), plan->targets.end(), in.initiating) == plan->targets.end())
                f.add("plan_id", "plan_not_for_unit", "该年度计划未分发给发起部门");
            if (!in.start.empty() && !in.end.empty() && (in.start < plan->start || in.end > plan->end))
                f.add("end_date", "outside_plan_window",
                      "任务时间应在计划的抽查时间（" + plan->start + " 至 " + plan->end + "）之内");
            if (!plan->items.empty())
                for (long long i : in.items)
                    if (std::find(plan->items.begin(), plan->items.end(), i) == plan->items.end()) {
                        f.add("item_ids", "item_not_in_plan", "抽查事项应在年度计划的抽查事项之内");
                        break;
                    }
        }
    }
    f.throw_if_errors();
    return in;
}

pg::Params task_params(const TaskInput& in) {
    pg::Params p;
    p.add(in.plan_id)
        .add(in.name)
        .add(in.task_type)
        .add(in.initiating)
        .add(id_array(in.cooperating))
        .add(id_array(in.items))
        .add(in.start)
        .add(in.end)
        .add(in.description.empty() ? std::nullopt : std::optional<std::string>(in.description))
        .add(in.draw_params.dump());
    return p;
}

// The executing units: initiating, cooperating, further executing units (all waiting).
void write_units(pqxx::transaction_base& tx, long long task_id, const TaskInput& in) {
    pg::Params p;
    p.add(task_id).add(in.initiating).add(id_array(in.cooperating)).add(id_array(in.executing));
    pg::exec(tx, "DELETE FROM task_unit WHERE task_id = $1::bigint", pg::Params().add(task_id));
    pg::exec(tx,
             "INSERT INTO task_unit(task_id, authority_id, unit_role)"
             " SELECT $1::bigint, $2::bigint, 'initiating'"
             " UNION ALL SELECT $1::bigint, c, 'cooperating' FROM unnest($3::bigint[]) c"
             " UNION ALL SELECT $1::bigint, e, 'executing' FROM unnest($4::bigint[]) e",
             p);
}

nlohmann::json units_of(pqxx::transaction_base& tx, const FlowActor& actor, long long task_id,
                        const std::string& task_state) {
    pg::Params p;
    p.add(task_id);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r :
         pg::exec(tx,
                  "SELECT u.authority_id, a.name, u.unit_role, u.state, u.received_by, ru.name,"
                  " to_char(u.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                  " FROM task_unit u JOIN authority a ON a.id = u.authority_id"
                  " LEFT JOIN app_user_name ru ON ru.id = u.received_by WHERE u.task_id = $1::bigint"
                  " ORDER BY CASE u.unit_role WHEN 'initiating' THEN 0 WHEN 'cooperating' THEN 1 ELSE 2 END,"
                  " u.authority_id",
                  p)) {
        const std::string state = r[3].as<std::string>();
        const std::string role = r[2].as<std::string>();
        std::vector<std::string> actions;
        if (task_state == "approved" && in_scope(tx, actor, r[0].as<long long>()))
            actions = allowed_actions(Machine::TaskUnit, state, actor.permissions);
        out.push_back({{"authority_id", r[0].as<long long>()},
                       {"name", r[1].as<std::string>()},
                       {"unit_role", role},
                       {"unit_role_label", role == "initiating"    ? "发起部门"
                                           : role == "cooperating" ? "配合部门"
                                                                   : "执行单位"},
                       {"state", state},
                       {"state_label", state_label(Machine::TaskUnit, state)},
                       {"received_by", r[4].is_null() ? nlohmann::json(nullptr) : nlohmann::json(r[4].as<long long>())},
                       {"received_by_name", r[5].is_null() ? nlohmann::json(nullptr) : nlohmann::json(r[5].c_str())},
                       {"received_at", r[6].is_null() ? nlohmann::json(nullptr) : nlohmann::json(r[6].c_str())},
                       {"actions", actions}});
    }
    return out;
}

std::string opinion_of(const nlohmann::json& body, const char* key, bool required, const char* what,
                       std::vector<std::string> allowed) {
    Form f(body);
    f.only(allowed);
    std::string o = f.text(key, what, 1000, required);
    f.throw_if_errors();
    return o;
}

}  // namespace

void validate(const TaskFilter& f) {
    static const std::vector<std::string> states = {"created", "submitted", "returned", "approved"};
    if (!f.state.empty() && std::find(states.begin(), states.end(), f.state) == states.end())
        throw bad_request("bad_state", "状态应为 created、submitted、returned 或 approved", "state");
    if (!f.task_type.empty() && f.task_type != "single" && f.task_type != "joint")
        throw bad_request("bad_task_type", "任务类型应为 single 或 joint", "task_type");
    if (f.year && (*f.year < 2000 || *f.year > 2100)) throw bad_request("bad_year", "年度应在 2000–2100 之间", "year");
    if (f.page < 1) throw bad_request("bad_page", "页码应为正整数", "page");
    if (f.page_size < 1 || f.page_size > 100)
        throw bad_request("bad_page_size", "每页条数应在 1–100 之间", "page_size");
    if (f.q.size() > 200) throw bad_request("bad_q", "关键字过长", "q");
}

nlohmann::json list_tasks(pg::Pool& pool, const FlowActor& actor, const TaskFilter& f) {
    validate(f);
    return pg::with_read(pool, "task-list", [&](pqxx::read_transaction& tx) {
        const std::string scope = scope_array(tx, actor);
        pg::Params p;
        std::string where = filter_where(f, scope, p);
        const long long total =
            pg::exec(tx, "SELECT count(*) FROM inspection_task t JOIN annual_plan p ON p.id = t.plan_id" + where,
                     p)[0][0]
                .as<long long>();
        std::string own = scope.empty() ? "true" : "t.initiating_authority_id = ANY(" + p.next(scope) + "::bigint[])";
        std::string sql = kTaskJson;
        sql.replace(sql.find(")::text FROM"), 0, ", 'own', " + own);
        sql += where + " ORDER BY t.id DESC LIMIT " + p.next(std::to_string(f.page_size)) + "::bigint OFFSET " +
               p.next(std::to_string((f.page - 1) * f.page_size)) + "::bigint";
        nlohmann::json items = nlohmann::json::array();
        for (const auto& r : pg::exec(tx, sql, p)) {
            auto j = nlohmann::json::parse(r[0].c_str());
            bool is_own = j["own"].get<bool>();
            j.erase("own");
            j.erase("draw_params");
            items.push_back(decorate(std::move(j), actor, is_own));
        }
        return nlohmann::json{{"items", items}, {"total", total}, {"page", f.page}, {"page_size", f.page_size}};
    });
}

std::string export_tasks_xlsx(pg::Pool& pool, const FlowActor& actor, const TaskFilter& f, long long limit) {
    validate(f);
    xlsx::Workbook wb;
    auto& sheet = wb.add_sheet(
        "抽查任务",
        {"任务编号", "任务名称", "任务类型", "年度计划", "发起部门", "配合部门", "抽查事项", "开始日期", "结束日期",
         "剩余天数", "状态", "执行单位数", "已接收单位数", "审核意见", "催办次数", "创建人", "创建时间"},
        {10, 36, 12, 30, 30, 30, 40, 12, 12, 10, 10, 10, 12, 30, 10, 14, 20});
    pg::with_read(pool, "task-export", [&](pqxx::read_transaction& tx) {
        const std::string scope = scope_array(tx, actor);
        pg::Params p;
        std::string where = filter_where(f, scope, p);
        const long long n =
            pg::exec(tx, "SELECT count(*) FROM inspection_task t JOIN annual_plan p ON p.id = t.plan_id" + where,
                     p)[0][0]
                .as<long long>();
        if (n > limit)
            throw Error(Error::Kind::TooLarge, "export_too_large",
                        "符合条件的任务有 " + std::to_string(n) + " 个，超过导出上限 " + std::to_string(limit) +
                            " 个，请缩小范围");
        auto join = [](const nlohmann::json& arr) {
            std::string s;
            for (const auto& v : arr) s += (s.empty() ? "" : "、") + v.get<std::string>();
            return s;
        };
        auto text = [](const nlohmann::json& v) { return v.is_null() ? std::string() : v.get<std::string>(); };
        for (const auto& r : pg::exec(tx, std::string(kTaskJson) + where + " ORDER BY t.id", p)) {
            auto j = nlohmann::json::parse(r[0].c_str());
            sheet.add_row({j["id"].get<long long>(), j["name"].get<std::string>(),
                           j["task_type"] == "joint" ? "联合抽查" : "单部门抽查", j["plan_name"].get<std::string>(),
                           j["initiating_name"].get<std::string>(), join(j["cooperating_names"]), join(j["item_names"]),
                           j["start_date"].get<std::string>(), j["end_date"].get<std::string>(),
                           j["days_left"].get<long long>(), state_label(Machine::Task, j["state"]),
                           j["unit_count"].get<long long>(), j["received_count"].get<long long>(),
                           text(j["review_opinion"]), j["urge_count"].get<long long>(), text(j["created_by_name"]),
                           j["created_at"].get<std::string>()});
        }
    });
    return wb.bytes();
}

nlohmann::json get_task(pg::Pool& pool, const FlowActor& actor, long long id) {
    return pg::with_read(pool, "task-get", [&](pqxx::read_transaction& tx) {
        if (!visible_to(tx, actor, id)) throw not_found("抽查任务不存在");
        auto task = load(tx, id);
        const bool own = in_scope(tx, actor, task["initiating_authority_id"].get<long long>());
        task = decorate(std::move(task), actor, own);
        task["units"] = units_of(tx, actor, id, task["state"]);
        task["history"] = history(tx, {"task", "task_unit"}, id);
        return task;
    });
}

nlohmann::json create_task(pg::Pool& pool, const FlowActor& actor, const nlohmann::json& body) {
    return pg::with_transaction(pool, "task-create", [&](pqxx::work& tx) {
        TaskInput in = read_task(tx, actor, body);
        pg::Params p = task_params(in);
        p.add(actor.user_id ? std::optional<std::string>(std::to_string(actor.user_id)) : std::nullopt);
        long long id = pg::exec(tx,
                                "INSERT INTO inspection_task(plan_id, name, task_type, initiating_authority_id,"
                                " cooperating_authority_ids, item_ids, start_date, end_date, description, draw_params,"
                                " created_by) VALUES ($1::bigint, $2, $3, $4::bigint, $5::bigint[], $6::bigint[],"
                                " $7::date, $8::date, $9, $10::jsonb, $11::bigint) RETURNING id",
                                p)[0][0]
                           .as<long long>();
        write_units(tx, id, in);
        record(tx, "task", id, "create", "", "created", "", actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json update_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "task-update", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        require_transition(Machine::Task, "edit", l.state);
        auto cur = load(tx, id);
        nlohmann::json merged;
        for (const auto& k : kTaskFields) merged[k] = cur[k];
        for (const auto& [k, v] : body.items()) merged[k] = v;
        TaskInput in = read_task(tx, actor, merged);
        pg::Params p = task_params(in);
        p.add(id);
        pg::exec(tx,
                 "UPDATE inspection_task SET plan_id = $1::bigint, name = $2, task_type = $3,"
                 " initiating_authority_id = $4::bigint, cooperating_authority_ids = $5::bigint[],"
                 " item_ids = $6::bigint[], start_date = $7::date, end_date = $8::date, description = $9,"
                 " draw_params = $10::jsonb WHERE id = $11::bigint",
                 p);
        write_units(tx, id, in);
        record(tx, "task", id, "edit", l.state, l.state, "", actor, actor.unit_id);
        return decorate(load(tx, id), actor, true);
    });
}

void delete_task(pg::Pool& pool, const FlowActor& actor, long long id) {
    pg::with_transaction(pool, "task-delete", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        require_transition(Machine::Task, "delete", l.state);
        record(tx, "task", id, "delete", l.state, "", "", actor, actor.unit_id);
        pg::exec(tx, "DELETE FROM inspection_task WHERE id = $1::bigint", pg::Params().add(id));
    });
}

nlohmann::json submit_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "task-submit", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        const auto& t = require_transition(Machine::Task, "submit", l.state);
        std::string opinion = opinion_of(body, "opinion", false, "说明", {"opinion"});
        auto plan = plan_row(tx, l.plan_id, true);
        if (plan) require_distributed(*plan);
        auto cur = load(tx, id);
        if (!draw_params_complete(cur["draw_params"]))
            throw invalid("draw_params_incomplete", "请先设置抽取参数（至少一个分层和分组方式）再提交审核",
                          "draw_params");
        pg::exec(tx,
                 "UPDATE inspection_task SET state = 'submitted', submitted_at = now(), reviewed_by = NULL,"
                 " reviewed_at = NULL, review_opinion = NULL WHERE id = $1::bigint",
                 pg::Params().add(id));
        record(tx, "task", id, "submit", l.state, t.to, opinion, actor, actor.unit_id);
        notify::task_event(tx, id, "submit", opinion);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json review_task(pg::Pool& pool, const FlowActor& actor, long long id, bool approve,
                           const nlohmann::json& body) {
    return pg::with_transaction(pool, approve ? "task-approve" : "task-return", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        const auto& t = require_transition(Machine::Task, approve ? "approve" : "return", l.state);
        std::string opinion = opinion_of(body, "opinion", !approve, approve ? "审核意见" : "退回原因", {"opinion"});
        if (approve && opinion.empty()) opinion = "同意";
        pg::Params p;
        p.add(id)
            .add(t.to)
            .add(actor.user_id ? std::optional<std::string>(std::to_string(actor.user_id)) : std::nullopt)
            .add(opinion);
        pg::exec(tx,
                 "UPDATE inspection_task SET state = $2, reviewed_by = $3::bigint, reviewed_at = now(),"
                 " review_opinion = $4 WHERE id = $1::bigint",
                 p);
        record(tx, "task", id, t.action, l.state, t.to, opinion, actor, actor.unit_id);
        notify::task_event(tx, id, t.action, opinion);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json urge_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "task-urge", [&](pqxx::work& tx) {
        Locked l = lock_own(tx, actor, id);
        const auto& t = require_transition(Machine::Task, "urge", l.state);
        std::string message = opinion_of(body, "opinion", false, "催办说明", {"opinion"});
        if (message.empty()) message = "请尽快接收并完成抽查任务";
        pg::exec(tx,
                 "UPDATE inspection_task SET urge_count = urge_count + 1, last_urged_at = now() WHERE id = $1::bigint",
                 pg::Params().add(id));
        record(tx, "task", id, "urge", l.state, t.to, message, actor, actor.unit_id);
        notify::task_event(tx, id, "urge", message);
        return decorate(load(tx, id), actor, true);
    });
}

nlohmann::json receive_task(pg::Pool& pool, const FlowActor& actor, long long id, const nlohmann::json& body) {
    return pg::with_transaction(pool, "task-receive", [&](pqxx::work& tx) {
        Form f(body);
        f.only({"unit_id", "opinion"});
        long long unit = f.id("unit_id", "接收单位", false);
        std::string opinion = f.text("opinion", "说明", 1000, false);
        f.throw_if_errors();
        if (!unit) unit = actor.unit_id;
        Locked l = lock_task(tx, id);
        if (!visible_to(tx, actor, id)) throw not_found("抽查任务不存在");
        if (l.state != "approved")
            throw conflict("task_not_approved",
                           "任务当前为“" + state_label(Machine::Task, l.state) + "”，审核通过后才能接收")
                .with("state", l.state)
                .with("action", "receive");
        if (!in_scope(tx, actor, unit)) throw forbidden("out_of_scope", "只能为本部门（或下级单位）接收任务");
        pg::Params p;
        p.add(id).add(unit);
        auto r = pg::exec(
            tx, "SELECT state FROM task_unit WHERE task_id = $1::bigint AND authority_id = $2::bigint FOR UPDATE", p);
        if (r.empty()) throw invalid("not_executing_unit", "该单位不是此任务的执行单位", "unit_id");
        const std::string from = r[0][0].as<std::string>();
        const auto& t = require_transition(Machine::TaskUnit, "receive", from);
        pg::Params u;
        u.add(id).add(unit).add(actor.user_id ? std::optional<std::string>(std::to_string(actor.user_id))
                                              : std::nullopt);
        pg::exec(tx,
                 "UPDATE task_unit SET state = 'received', received_by = $3::bigint, received_at = now()"
                 " WHERE task_id = $1::bigint AND authority_id = $2::bigint",
                 u);
        record(tx, "task_unit", id, "receive", from, t.to, opinion, actor, unit);
        notify::task_event(tx, id, "receive", opinion, unit);
        auto task = decorate(load(tx, id), actor, in_scope(tx, actor, l.initiating));
        task["units"] = units_of(tx, actor, id, l.state);
        return task;
    });
}

nlohmann::json list_works(pg::Pool& pool, const FlowActor& actor, const std::string& state, long long page,
                          long long page_size, const std::string& q) {
    if (!state.empty() && state != "waiting" && state != "received")
        throw bad_request("bad_state", "状态应为 waiting 或 received", "state");
    if (page < 1) throw bad_request("bad_page", "页码应为正整数", "page");
    if (page_size < 1 || page_size > 100) throw bad_request("bad_page_size", "每页条数应在 1–100 之间", "page_size");
    return pg::with_read(pool, "work-list", [&](pqxx::read_transaction& tx) {
        const std::string scope = scope_array(tx, actor);
        pg::Params p;
        std::string where = " WHERE t.state = 'approved'";
        if (!scope.empty()) where += " AND u.authority_id = ANY(" + p.next(scope) + "::bigint[])";
        if (!state.empty()) where += " AND u.state = " + p.next(state);
        if (utf8_length(q) > 100) throw bad_request("bad_q", "搜索关键字不超过 100 个字", "q");
        if (!q.empty())
            where += " AND (strpos(t.name, " + p.next(q) + ") > 0 OR strpos(p.name, " + p.next(q) + ") > 0)";
        const std::string from =
            " FROM task_unit u JOIN inspection_task t ON t.id = u.task_id JOIN annual_plan p ON p.id = t.plan_id"
            " JOIN authority a ON a.id = u.authority_id JOIN authority ia ON ia.id = t.initiating_authority_id"
            " LEFT JOIN app_user_name ru ON ru.id = u.received_by";
        const long long total = pg::exec(tx, "SELECT count(*)" + from + where, p)[0][0].as<long long>();
        std::string sql =
            "SELECT t.id, t.name, t.task_type, p.name, ia.name, u.authority_id, a.name, u.unit_role, u.state,"
            " t.start_date::text, t.end_date::text, t.end_date - (now() AT TIME ZONE 'Asia/Shanghai')::date,"
            " ru.name, to_char(u.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), t.urge_count,"
            " jp.total, jp.done, u.urge_count" + from +
            // WORK-1: the work's jobs (work_job_ids, 0023), read once: total and submitted or accepted.
            // A job cancelled by an approved list change (DRAW-6) is no longer part of the work.
            " CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE j.state <> 'cancelled') AS total,"
            "  count(*) FILTER (WHERE j.state IN ('submitted', 'accepted')) AS done FROM inspection_job j"
            "  WHERE j.id IN (SELECT work_job_ids(t.id, u.authority_id))) jp" +
            where + " ORDER BY (u.state = 'waiting') DESC, t.id DESC, u.authority_id LIMIT " +
            p.next(std::to_string(page_size)) + "::bigint OFFSET " + p.next(std::to_string((page - 1) * page_size)) +
            "::bigint";
        nlohmann::json items = nlohmann::json::array();
        auto text = [](const pqxx::field& fl) {
            return fl.is_null() ? nlohmann::json(nullptr) : nlohmann::json(fl.c_str());
        };
        for (const auto& r : pg::exec(tx, sql, p)) {
            const std::string st = r[8].as<std::string>();
            items.push_back({{"task_id", r[0].as<long long>()},
                             {"task_name", r[1].as<std::string>()},
                             {"task_type", r[2].as<std::string>()},
                             {"task_type_label", r[2].as<std::string>() == "joint" ? "联合抽查" : "单部门抽查"},
                             {"plan_name", r[3].as<std::string>()},
                             {"initiating_name", r[4].as<std::string>()},
                             {"unit_id", r[5].as<long long>()},
                             {"unit_name", r[6].as<std::string>()},
                             {"unit_role", r[7].as<std::string>()},
                             {"state", st},
                             {"state_label", state_label(Machine::TaskUnit, st)},
                             {"start_date", r[9].as<std::string>()},
                             {"end_date", r[10].as<std::string>()},
                             {"days_left", r[11].as<long long>()},
                             {"received_by_name", text(r[12])},
                             {"received_at", text(r[13])},
                             {"urge_count", r[14].as<long long>()},
                             {"jobs_total", r[15].as<long long>()},
                             {"jobs_done", r[16].as<long long>()},
                             {"not_inspected", r[15].as<long long>() - r[16].as<long long>()},
                             {"percent", r[15].as<long long>() == 0 ? 0 : r[16].as<long long>() * 100 / r[15].as<long long>()},
                             {"work_urge_count", r[17].as<long long>()},
                             {"actions", allowed_actions(Machine::TaskUnit, st, actor.permissions)}});
        }
        return nlohmann::json{{"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

bool task_visible(pqxx::transaction_base& tx, const FlowActor& actor, long long id) {
    return visible_to(tx, actor, id);
}

}  // namespace twindraw::flow
