// The draw of an inspection task: draw_params → draw request, the checks before a draw,
// and the record on the task once the draw is confirmed (DRAW-1, TASK-1, WORK-3).
#include "workflows/task-draw.hpp"

#include "geo/error.hpp"
#include "workflows/draw-repo.hpp"
#include "workflows/flow-states.hpp"
#include "workflows/flow-tasks.hpp"
#include "workflows/notify.hpp"

#include <set>

namespace twindraw::taskdraw {

using nlohmann::json;

namespace {

std::vector<long long> ids(const json& v) {
    std::vector<long long> out;
    if (v.is_array())
        for (const auto& x : v)
            if (x.is_number_integer()) out.push_back(x.get<long long>());
    return out;
}

json strings(const json& v) {
    return v.is_array() ? v : json::array();
}

}  // namespace

json request_from_params(const json& task) {
    const json dp = task.value("draw_params", json::object());
    const json objects = dp.is_object() ? dp.value("objects", json::object()) : json::object();
    const json insp = dp.is_object() ? dp.value("inspectors", json::object()) : json::object();
    const json groups = dp.is_object() ? dp.value("groups", json()) : json();
    if (!objects.is_object() || !objects.contains("strata") || !objects["strata"].is_array() ||
        objects["strata"].empty() || !groups.is_object())
        throw invalid("draw_params_incomplete", "任务的抽取参数不完整（至少一个分层和分组方式）", "draw_params");

    const long long task_id = task.at("id").get<long long>();
    json body = {{"title", task.value("name", std::string("抽查任务")) + "（任务 " + std::to_string(task_id) + "）"},
                 {"task_id", task_id},
                 {"object_kind", objects.value("object_type", std::string("market_subject"))}};
    body["scope"] = {{"division_codes", strings(objects.value("division_codes", json::array()))},
                     {"industry_codes", strings(objects.value("industry_codes", json::array()))}};
    auto items = ids(objects.value("item_ids", json::array()));
    if (items.empty()) items = ids(task.value("item_ids", json::array()));
    if (!items.empty()) body["item_id"] = items.front();

    // First match wins: a stratum with an open level takes the cells no earlier one took.
    std::set<std::string> taken;
    json strata = json::array();
    for (const auto& s : objects["strata"]) {
        std::vector<std::pair<int, char>> cells;
        for (int risk = 1; risk <= 4; ++risk)
            for (char credit : std::string("ABCD")) {
                if (s.contains("risk_level") && s["risk_level"].is_number_integer() &&
                    s["risk_level"].get<int>() != risk)
                    continue;
                if (s.contains("credit_level") && s["credit_level"].is_string() &&
                    s["credit_level"].get<std::string>() != std::string(1, credit))
                    continue;
                const std::string label = std::to_string(risk) + credit;
                if (taken.insert(label).second) cells.emplace_back(risk, credit);
            }
        const bool by_count = s.contains("count") && s["count"].is_number_integer();
        if (by_count && cells.size() > 1)
            throw invalid("draw_params_not_drawable",
                          "按数量抽取的分层须指定风险等级和信用等级（一个层），否则数量无法在各层间确定",
                          "draw_params.objects.strata");
        for (auto [risk, credit] : cells) {
            json e = {{"risk", risk}, {"credit", std::string(1, credit)}};
            if (by_count)
                e["count"] = s["count"];
            else
                e["ratio"] = s.value("ratio", json());
            strata.push_back(e);
        }
    }
    if (strata.empty())
        throw invalid("draw_params_not_drawable", "任务的分层没有覆盖任何风险×信用组合", "draw_params.objects.strata");
    body["strata"] = strata;
    body["groups"] = groups.value("count", 1);
    body["per_group"] = groups.value("inspectors_per_group", 2);
    // The task's settings, each applied by the draw (draw-settings.hpp) and kept in its record.
    if (objects.contains("exclusions") && objects["exclusions"].is_array()) body["exclusions"] = objects["exclusions"];
    if (groups.contains("objects_per_group") && groups["objects_per_group"].is_number_integer())
        body["objects_per_group"] = groups["objects_per_group"];

    const long long initiating = task.at("initiating_authority_id").get<long long>();
    const bool joint = task.value("task_type", std::string()) == "joint";
    std::vector<long long> units;
    if (insp.value("scope", std::string("bureau")) == "bureau") {
        units.push_back(initiating);
        if (joint)
            for (long long c : ids(task.value("cooperating_authority_ids", json::array()))) units.push_back(c);
    } else {
        units = ids(insp.value("authority_ids", json::array()));
    }
    json ib = {{"unit_ids", units},
               {"include_subunits", true},
               {"qualifications", strings(insp.value("qualifications", json::array()))},
               {"specialties", strings(insp.value("specialties", json::array()))},
               {"cross_district", insp.value("cross_district", false)}};
    if (insp.contains("categories") && insp["categories"].is_array()) ib["categories"] = insp["categories"];
    if (joint) ib["initiating_unit_id"] = initiating;
    body["inspectors"] = ib;
    return body;
}

std::optional<Error> refusal(pqxx::transaction_base& tx, const flow::FlowActor& actor, const json& task) {
    const std::string state = task.value("state", std::string());
    if (state != "approved")
        return conflict("task_not_approved", "任务当前状态为“" + flow::state_label(flow::Machine::Task, state) +
                                                 "”，审核通过并接收后方可抽取")
            .with("state", state);
    auto r = pg::exec(tx, "SELECT draw_id FROM inspection_task WHERE id = $1::bigint",
                      pg::Params().add(task.at("id").get<long long>()));
    if (!r.empty() && !r[0][0].is_null())
        return conflict("task_already_drawn", "该任务已完成随机抽取（抽取记录 " + r[0][0].as<std::string>() + "）")
            .with("state", "drawn")
            .with("draw_id", r[0][0].as<std::string>());
    std::string unit_state = "waiting";
    for (const auto& u : task.value("units", json::array())) {
        if (!flow::in_scope(tx, actor, u.at("authority_id").get<long long>())) continue;
        if (u.value("state", std::string()) == "received") return std::nullopt;
    }
    return conflict("task_not_received", "本单位尚未接收该任务，接收后方可随机抽取").with("state", unit_state);
}

namespace {

json checked_request(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    const json task = flow::get_task(pool, actor, task_id);  // 404 when not visible
    pg::with_read(pool, "task-draw-check", [&](pqxx::read_transaction& tx) {
        if (auto e = refusal(tx, actor, task)) throw *e;
    });
    return request_from_params(task);
}

}  // namespace

json preview(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    const json body = checked_request(pool, actor, task_id);
    return json{{"request", body}, {"preview", draw::preview(pool, draw::parse_request(body))}};
}

json run(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    json body;
    try {
        body = checked_request(pool, actor, task_id);
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            draw::log_attempt(pool, "run", std::nullopt, task_id, "refused", e.code(), e.message(), json());
        throw;
    }
    return draw::run(pool, draw::parse_request(body));
}

json status(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    const json task = flow::get_task(pool, actor, task_id);
    return pg::with_read(pool, "task-draw-status", [&](pqxx::read_transaction& tx) {
        json out = {{"task_id", task_id}, {"task_state", task["state"]}};
        auto e = refusal(tx, actor, task);
        const bool may =
            std::find(actor.permissions.begin(), actor.permissions.end(), "draw.run") != actor.permissions.end();
        out["allowed"] = may && !e;
        out["refusal"] = e ? json{{"code", e->code()}, {"message", e->message()}} : json();
        if (e)
            for (const auto& [k, v] : e->details())
                if (k == "state") out["refusal"]["state"] = v;
        auto r = pg::exec(tx, "SELECT draw_id FROM inspection_task WHERE id = $1::bigint", pg::Params().add(task_id));
        out["draw_id"] = !r.empty() && !r[0][0].is_null() ? json(r[0][0].as<long long>()) : json();
        out["public_path"] = out["draw_id"].is_null() ? json() : json("/public/draws/" + r[0][0].as<std::string>());
        json draws = json::array();
        for (const auto& d : pg::exec(tx,
                                      "SELECT id, title, status,"
                                      " to_char(drawn_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
                                      " to_char(confirmed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
                                      " FROM draw WHERE task_id = $1::bigint ORDER BY id",
                                      pg::Params().add(task_id)))
            draws.push_back({{"id", d[0].as<long long>()},
                             {"title", d[1].c_str()},
                             {"status", d[2].c_str()},
                             {"created_at", d[3].c_str()},
                             {"confirmed_at", d[4].is_null() ? json() : json(d[4].c_str())}});
        out["draws"] = draws;
        return out;
    });
}

void on_draw_confirmed(pqxx::work& tx, long long draw_id) {
    auto d = pg::exec(tx, "SELECT task_id, title FROM draw WHERE id = $1::bigint", pg::Params().add(draw_id));
    if (d.empty() || d[0][0].is_null()) return;
    const long long task_id = d[0][0].as<long long>();
    auto t = pg::exec(tx, "SELECT state, draw_id, name FROM inspection_task WHERE id = $1::bigint FOR UPDATE",
                      pg::Params().add(task_id));
    if (t.empty()) return;
    if (!t[0][1].is_null())
        throw conflict("task_already_drawn", "该任务已有确认的抽取（抽取记录 " + t[0][1].as<std::string>() + "）")
            .with("state", "drawn");
    pg::exec(tx, "UPDATE inspection_task SET draw_id = $1::bigint, drawn_at = now() WHERE id = $2::bigint",
             pg::Params().add(draw_id).add(task_id));
    const auto* a = pg::current_actor();
    flow::FlowActor fa;
    if (a) {
        fa.user_id = a->user_id;
        fa.unit_id = a->unit_id;
    }
    const std::string state = t[0][0].as<std::string>();
    flow::record(tx, "task", task_id, "draw", state, state, "抽取记录 " + std::to_string(draw_id), fa, fa.unit_id);
    notify::task_event(tx, task_id, "draw");
}

}  // namespace twindraw::taskdraw
