#include "workflows/draw-changes.hpp"

#include "geo/error.hpp"
#include "workflows/notify.hpp"
#include "workflows/registry-repo.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace twindraw::drawchange {

namespace {

using nlohmann::json;
using registry::FieldError;

const std::vector<flow::Transition> kChange = {
    {"approve", "pending", "approved", "draw.change.approve"},
    {"refuse", "pending", "refused", "draw.change.approve"},
};
const std::map<std::string, std::string> kStates = {
    {"pending", "待审批"}, {"approved", "已批准"}, {"refused", "不予批准"}};
const std::map<std::string, std::string> kActions = {
    {"request", "申请变更"}, {"approve", "批准"}, {"refuse", "不予批准"}};
// Reasons by kind (seed 001 §4.3.2, 002: 岗位调整、工作冲突、健康状况、执法回避; 注销、吊销、迁出).
const std::map<std::string, std::string> kInspectorReasons = {{"post_change", "岗位变动"},
                                                              {"conflict", "利益冲突"},
                                                              {"health", "健康原因"},
                                                              {"recusal", "回避"},
                                                              {"other", "其他"}};
const std::map<std::string, std::string> kObjectReasons = {
    {"deregistered", "注销"}, {"revoked", "被吊销"}, {"moved_out", "迁出"}, {"other", "其他"}};

std::string label(const std::map<std::string, std::string>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? k : it->second;
}

std::string state_label(const std::string& s) {
    return label(kStates, s);
}

std::string id_array(const std::vector<long long>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
}

std::optional<std::string> opt_id(long long v) {
    return v ? std::optional<std::string>(std::to_string(v)) : std::nullopt;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// At most n characters of UTF-8 text (a history opinion holds 1000).
std::string clip(const std::string& s, size_t n) {
    size_t chars = 0, i = 0;
    for (; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == n) break;
    return s.substr(0, i);
}

json text_or_null(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.c_str());
}

// A confirmed draw as it stands now: the original result with the approved changes
// applied in order (draw_inspector and draw.result never change).
struct Current {
    long long id = 0, unit_id = 0;
    std::string status, object_kind, title;
    bool closed = false, cross_district = false;
    json params, result;
    std::map<long long, std::pair<int, std::string>> inspectors;  // id → (group, role)
    std::map<long long, int> objects;                             // id → group
    std::set<long long> ever;                                     // drawn or added at some time
    std::vector<int> groups;
};

Current load_current(pqxx::transaction_base& tx, long long draw_id, bool lock) {
    auto r = pg::exec(tx,
                      std::string("SELECT status, drawn_unit_id, object_kind, closed_at IS NOT NULL, params, result,"
                                  " title, offices IS NOT NULL FROM draw WHERE id = $1") +
                          (lock ? " FOR UPDATE" : ""),
                      pg::Params().add(draw_id));
    if (r.empty()) throw not_found("抽取记录不存在");
    Current c;
    c.id = draw_id;
    c.status = r[0][0].as<std::string>();
    c.unit_id = r[0][1].is_null() ? 0 : r[0][1].as<long long>();
    c.object_kind = r[0][2].as<std::string>();
    c.closed = r[0][3].as<bool>();
    c.params = json::parse(r[0][4].c_str());
    c.result = r[0][5].is_null() ? json::object() : json::parse(r[0][5].c_str());  // null before the reveal
    c.title = r[0][6].as<std::string>();
    c.cross_district = r[0][7].as<bool>();
    for (const auto& g : c.result.value("groups", json::array())) {
        c.groups.push_back(g["no"].get<int>());
        for (const auto& o : g["objects"]) {
            c.objects[o.get<long long>()] = g["no"].get<int>();
            c.ever.insert(o.get<long long>());
        }
    }
    for (const auto& row : pg::exec(tx, "SELECT inspector_id, group_no, role FROM draw_inspector WHERE draw_id = $1",
                                    pg::Params().add(draw_id)))
        c.inspectors[row[0].as<long long>()] = {row[1].as<int>(), row[2].as<std::string>()};
    for (const auto& row : pg::exec(tx,
                                    "SELECT kind, group_no, old_inspector_id, new_inspector_id, old_object_id,"
                                    " new_object_id FROM draw_change WHERE draw_id = $1 AND state = 'approved'"
                                    " ORDER BY id",
                                    pg::Params().add(draw_id))) {
        const int g = row[1].as<int>();
        if (row[0].as<std::string>() == "inspector") {
            const long long from = row[2].as<long long>(), to = row[3].as<long long>();
            auto it = c.inspectors.find(from);
            const std::string role = it == c.inspectors.end() ? "member" : it->second.second;
            if (it != c.inspectors.end()) c.inspectors.erase(it);
            c.inspectors[to] = {g, role};
        } else {
            c.objects.erase(row[4].as<long long>());
            if (!row[5].is_null()) {
                c.objects[row[5].as<long long>()] = g;
                c.ever.insert(row[5].as<long long>());
            }
        }
    }
    return c;
}

// The group's inspectors, leader first then by id (the order of a job's inspector_ids).
std::vector<long long> group_inspectors(const Current& c, int g) {
    std::vector<long long> leaders, members;
    for (const auto& [id, gr] : c.inspectors)
        if (gr.first == g) (gr.second == "leader" ? leaders : members).push_back(id);
    leaders.insert(leaders.end(), members.begin(), members.end());
    return leaders;
}

std::vector<long long> group_objects(const Current& c, int g) {
    std::vector<long long> out;
    for (const auto& [id, gr] : c.objects)
        if (gr == g) out.push_back(id);
    return out;
}

std::vector<std::string> strings(const json& v) {
    std::vector<std::string> out;
    if (v.is_array())
        for (const auto& s : v)
            if (s.is_string()) out.push_back(s.get<std::string>());
    return out;
}

struct Person {
    long long id = 0;
    std::string name, unit;
    bool active = false, not_expert = false, quals = false, specs = false, in_scope = false, recused = false,
         leader = false, in_initiating = false, category = false;
};

// The initiating department of a joint draw (0: none): its leader library leads the groups.
long long initiating_unit(const Current& c) {
    const json insp = c.params.value("inspectors", json::object());
    return insp.contains("initiating_unit_id") && insp["initiating_unit_id"].is_number_integer()
               ? insp["initiating_unit_id"].get<long long>()
               : 0;
}

// Every object the draw holds now (the original selection with the approved changes).
std::vector<long long> draw_objects_now(const Current& c) {
    std::vector<long long> out;
    for (const auto& [id, g] : c.objects) out.push_back(id);
    return out;
}

// Inspectors of the library with what eligibility needs: one (id) or every one in the
// draw's inspector scope (and, in a joint draw, the initiating department's leaders).
// The pool definition is the draw's own (draw-repo inspector_pools): active, not an
// expert, of the draw's personnel categories, qualifications and specialties, and not
// recused — generally or from an object the draw holds (the draw left out anyone
// recused from any of its objects, issue 12 §3).
std::vector<Person> people(pqxx::transaction_base& tx, const Current& c, std::optional<long long> one) {
    const json insp = c.params.value("inspectors", json::object());
    std::vector<long long> units;
    for (const auto& u : insp.value("unit_ids", json::array()))
        if (u.is_number_integer()) units.push_back(u.get<long long>());
    const bool sub = insp.value("include_subunits", true);
    pg::Params p;
    const auto pu = p.next(id_array(units));
    const auto ps = p.next(sub ? std::string("true") : std::string("false"));
    const auto pq = p.next(pg::array_literal(strings(insp.value("qualifications", json::array()))));
    const auto pp = p.next(pg::array_literal(strings(insp.value("specialties", json::array()))));
    const auto pk = p.next(c.object_kind);
    const auto po = p.next(id_array(draw_objects_now(c)));
    const auto pc = p.next(pg::array_literal(strings(insp.value("categories", json::array()))));
    const auto pone = p.next(one ? std::optional<std::string>(std::to_string(*one)) : std::nullopt);
    const auto pinit = p.next(std::to_string(initiating_unit(c)));
    const std::string sql =
        "WITH RECURSIVE scope AS (SELECT id FROM authority WHERE id = ANY(" + pu +
        "::bigint[]) UNION SELECT a.id FROM authority a JOIN scope s ON a.parent_id = s.id WHERE " + ps +
        "::boolean), initiating AS (SELECT id FROM authority WHERE id = " + pinit +
        "::bigint UNION SELECT a.id FROM authority a JOIN initiating s ON a.parent_id = s.id)"
        " SELECT i.id, i.name, au.name, i.active, i.category <> 'expert',"
        "  (cardinality(" +
        pq + "::text[]) = 0 OR i.qualifications && " + pq +
        "::text[]),"
        "  (cardinality(" +
        pp + "::text[]) = 0 OR i.specialties && " + pp +
        "::text[]),"
        "  i.authority_id IN (SELECT id FROM scope),"
        "  EXISTS (SELECT 1 FROM inspector_recusal r WHERE r.inspector_id = i.id AND current_date >= r.valid_from"
        "   AND (r.valid_until IS NULL OR current_date <= r.valid_until)"
        "   AND (r.object_id IS NULL OR (r.object_kind = " +
        pk + " AND r.object_id = ANY(" + po +
        "::bigint[])))),"
        "  i.is_leader, i.authority_id IN (SELECT id FROM initiating),"
        "  (cardinality(" + pc + "::text[]) = 0 OR i.category = ANY(" + pc + "::text[]))"
        " FROM inspector i LEFT JOIN authority au ON au.id = i.authority_id"
        " WHERE (" +
        pone +
        "::bigint IS NULL AND (i.authority_id IN (SELECT id FROM scope) OR (i.is_leader AND"
        " i.authority_id IN (SELECT id FROM initiating)))) OR i.id = " +
        pone + "::bigint ORDER BY i.id";
    std::vector<Person> out;
    for (const auto& r : pg::exec(tx, sql, p)) {
        Person x;
        x.id = r[0].as<long long>();
        x.name = r[1].c_str();
        x.unit = r[2].is_null() ? "" : r[2].c_str();
        x.active = r[3].as<bool>();
        x.not_expert = r[4].as<bool>();
        x.quals = r[5].as<bool>();
        x.specs = r[6].as<bool>();
        x.in_scope = r[7].as<bool>();
        x.recused = r[8].as<bool>();
        x.leader = r[9].as<bool>();
        x.in_initiating = r[10].as<bool>();
        x.category = r[11].as<bool>();
        out.push_back(x);
    }
    return out;
}

// Why a person cannot replace old in the draw ("" = eligible).
std::string ineligible(const Current& c, const Person& x, bool replacing_leader) {
    if (!x.active) return "该执法人员不在岗（已停用）";
    if (!x.not_expert) return "专家不能替换抽取的执法人员";
    // In a joint draw a leader comes from the initiating department's leader library (as
    // in the draw), members from the draw's scope.
    if (replacing_leader && initiating_unit(c)) {
        if (!x.leader || !x.in_initiating) return "联合抽查的组长须从发起部门的组长库中选派";
    } else if (!x.in_scope) {
        return "该执法人员不在本次抽取的执法人员范围内";
    }
    if (!x.category) return "该执法人员不属于本次抽取的人员类别";
    if (!x.quals) return "该执法人员不具备本次抽取要求的执法资质";
    if (!x.specs) return "该执法人员不具备本次抽取要求的业务专长";
    if (x.recused) return "该执法人员处于执法回避期";
    if (c.inspectors.count(x.id)) return "该执法人员已在本次抽取的检查组中";
    if (replacing_leader && !x.leader) return "组长须从组长库中选派";
    return "";
}

// The stratum of a candidate of the draw ("" = not a candidate).
std::string stratum_of(pqxx::transaction_base& tx, long long draw_id, long long object_id) {
    auto r = pg::exec(tx, "SELECT array_position(candidate_ids, $2::bigint), strata FROM draw WHERE id = $1",
                      pg::Params().add(draw_id).add(object_id));
    if (r.empty() || r[0][0].is_null()) return "";
    long long pos = r[0][0].as<long long>();  // 1-based
    for (const auto& s : json::parse(r[0][1].c_str())) {
        const long long n = s["population"].get<long long>();
        if (pos <= n) return s["label"].get<std::string>();
        pos -= n;
    }
    return "";
}

bool in_open_draw(pqxx::transaction_base& tx, const std::string& kind, long long object_id) {
    return !pg::exec(tx, "SELECT 1 FROM draw_object WHERE object_kind = $1 AND object_id = $2 AND open",
                     pg::Params().add(kind).add(object_id))
                .empty();
}

std::string name_sql(const std::string& kind) {
    return kind == "product" ? "coalesce(o.product_name, '') || '（' || o.enterprise_name || '）'" : "o.name";
}

std::map<long long, std::string> object_names(pqxx::transaction_base& tx, const std::string& kind,
                                              const std::vector<long long>& ids) {
    std::map<long long, std::string> out;
    if (ids.empty()) return out;
    for (const auto& r : pg::exec(
             tx,
             "SELECT o.id, " + name_sql(kind) + " FROM " + pg::quote_ident(kind) + " o WHERE o.id = ANY($1::bigint[])",
             pg::Params().add(id_array(ids))))
        out[r[0].as<long long>()] = r[1].c_str();
    return out;
}

std::map<long long, std::string> inspector_names(pqxx::transaction_base& tx, const std::vector<long long>& ids) {
    std::map<long long, std::string> out;
    if (ids.empty()) return out;
    for (const auto& r :
         pg::exec(tx, "SELECT id, name FROM inspector WHERE id = ANY($1::bigint[])", pg::Params().add(id_array(ids))))
        out[r[0].as<long long>()] = r[1].c_str();
    return out;
}

// The job of an object of the draw (0 when none), locked.
std::pair<long long, std::string> job_of_object(pqxx::transaction_base& tx, long long draw_id, const std::string& kind,
                                                long long object_id) {
    auto r = pg::exec(tx,
                      "SELECT id, state FROM inspection_job WHERE draw_id = $1 AND object_kind = $2 AND object_id = $3"
                      " FOR UPDATE",
                      pg::Params().add(draw_id).add(kind).add(object_id));
    if (r.empty()) return {0, ""};
    return {r[0][0].as<long long>(), r[0][1].as<std::string>()};
}

void require_job_not_started(const std::pair<long long, std::string>& job) {
    if (job.first && job.second != "pending" && job.second != "draft")
        throw conflict("job_started", "该对象的检查结果已提交或审核，不能从名单中移除")
            .with("state", job.second)
            .with("action", "remove_object");
}

// 所所交叉 (DRAW-4), when the draw asked for it: the sub-office of an inspector (0: none)
// and the district offices of objects (the rule of the draw: the lowest sub-office whose
// division is the object's).
long long office_of_inspector(pqxx::transaction_base& tx, long long inspector) {
    auto r = pg::exec(tx,
                      "SELECT a.id FROM inspector i JOIN authority a ON a.id = i.authority_id AND a.kind = 'sub_office'"
                      " WHERE i.id = $1",
                      pg::Params().add(inspector));
    return r.empty() ? 0 : r[0][0].as<long long>();
}

std::set<long long> offices_of_objects(pqxx::transaction_base& tx, const std::string& kind,
                                       const std::vector<long long>& objects) {
    std::set<long long> out;
    for (const auto& r : pg::exec(tx,
                                  "SELECT (SELECT min(a.id) FROM authority a WHERE a.kind = 'sub_office'"
                                  " AND a.division_code = o.division_code) FROM " +
                                      pg::quote_ident(kind) + " o WHERE o.id = ANY($1::bigint[])",
                                  pg::Params().add(id_array(objects))))
        if (!r[0].is_null()) out.insert(r[0].as<long long>());
    return out;
}

// Whether sending the inspector to group g would break the draw's 所所交叉 rule.
bool breaks_cross_district(pqxx::transaction_base& tx, const Current& c, int g, long long inspector) {
    if (!c.cross_district) return false;
    const long long office = office_of_inspector(tx, inspector);
    return office && offices_of_objects(tx, c.object_kind, group_objects(c, g)).count(office);
}

// Checks a requested change against the draw as it stands; returns the group and, for an
// added object, its stratum.
struct Checked {
    int group = 0;
    std::string stratum;
};

Checked check(pqxx::transaction_base& tx, const Current& c, const std::string& kind, long long old_id,
              long long new_id) {
    Checked out;
    if (kind == "inspector") {
        auto it = c.inspectors.find(old_id);
        if (it == c.inspectors.end())
            throw registry::ValidationError({{"old_inspector_id", "not_in_draw", "该执法人员不在本次抽取的检查组中"}});
        out.group = it->second.first;
        auto found = people(tx, c, new_id);
        if (found.empty())
            throw registry::ValidationError({{"new_inspector_id", "unknown_inspector", "执法人员不存在"}});
        const std::string why = ineligible(c, found[0], it->second.second == "leader");
        if (!why.empty()) throw registry::ValidationError({{"new_inspector_id", "ineligible_inspector", why}});
        if (breaks_cross_district(tx, c, out.group, new_id))
            throw registry::ValidationError(
                {{"new_inspector_id", "cross_district", "所所交叉：该执法人员所在监管所负责本组检查对象的辖区"}});
    } else {
        auto it = c.objects.find(old_id);
        if (it == c.objects.end())
            throw registry::ValidationError({{"old_object_id", "not_in_draw", "该对象不在本次抽取的名单中"}});
        out.group = it->second;
        require_job_not_started(job_of_object(tx, c.id, c.object_kind, old_id));
        if (new_id) {
            out.stratum = stratum_of(tx, c.id, new_id);
            if (out.stratum.empty())
                throw registry::ValidationError(
                    {{"new_object_id", "not_a_candidate", "替补对象须从本次抽取的候选名单中选择"}});
            if (c.ever.count(new_id))
                throw registry::ValidationError({{"new_object_id", "already_drawn", "该对象已在本次抽取的名单中"}});
            if (in_open_draw(tx, c.object_kind, new_id))
                throw registry::ValidationError(
                    {{"new_object_id", "object_in_open_draw", "该对象已在另一次未结束的抽取中"}});
            if (c.cross_district) {
                const auto office = offices_of_objects(tx, c.object_kind, {new_id});
                bool clash = false;
                for (long long i : group_inspectors(c, out.group))
                    clash = clash || (!office.empty() && office.count(office_of_inspector(tx, i)));
                if (clash)
                    throw registry::ValidationError(
                        {{"new_object_id", "cross_district", "所所交叉：该对象位于本组执法人员所在监管所的辖区"}});
            }
        }
    }
    return out;
}

void require_scope(pqxx::transaction_base& tx, const flow::FlowActor& actor, long long unit) {
    if (actor.scope != "all" && !(unit && flow::in_scope(tx, actor, unit)))
        throw forbidden("out_of_scope", "只能办理本单位（或下级单位）抽取记录的变更");
}

json history(pqxx::transaction_base& tx, long long id) {
    return flow::history_of(
        tx, {"draw_change"}, id,
        {[](const std::string&, const std::string& action) { return std::string(label(kActions, action)); },
         [](const std::string&, const std::string& state) { return json(state_label(state)); }});
}

const char* kColumns =
    "c.id, c.draw_id, c.kind, c.state, c.reason_code, c.reason, c.group_no, c.old_inspector_id, oi.name,"
    " c.new_inspector_id, ni.name, c.object_kind, c.old_object_id, c.new_object_id, c.new_stratum, c.jobs_changed,"
    " c.cancelled_job_id, c.created_job_id, ru.name,"
    " to_char(c.requested_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), du.name,"
    " to_char(c.decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), c.opinion, d.title, c.unit_id";
const char* kFrom =
    " FROM draw_change c JOIN draw d ON d.id = c.draw_id LEFT JOIN inspector oi ON oi.id = c.old_inspector_id"
    " LEFT JOIN inspector ni ON ni.id = c.new_inspector_id LEFT JOIN app_user_name ru ON ru.id = c.requested_by"
    " LEFT JOIN app_user_name du ON du.id = c.decided_by";

json row_json(pqxx::transaction_base& tx, const pqxx::row& r, const flow::FlowActor* actor, bool public_view) {
    const std::string kind = r[2].as<std::string>(), state = r[3].as<std::string>(), code = r[4].as<std::string>();
    json c = {{"id", r[0].as<long long>()},
              {"draw_id", r[1].as<long long>()},
              {"draw_title", r[23].c_str()},
              {"kind", kind},
              {"kind_label", kind == "inspector" ? "执法人员变更" : "检查对象名单变更"},
              {"state", state},
              {"state_label", state_label(state)},
              {"reason_code", code},
              {"reason_label", label(kind == "inspector" ? kInspectorReasons : kObjectReasons, code)},
              {"reason", r[5].c_str()},
              {"group_no", r[6].as<int>()},
              {"requested_at", r[19].c_str()},
              {"decided_at", text_or_null(r[21])},
              {"opinion", text_or_null(r[22])}};
    if (kind == "inspector") {
        c["old_inspector"] = {{"id", r[7].as<long long>()}, {"name", text_or_null(r[8])}};
        c["new_inspector"] = {{"id", r[9].as<long long>()}, {"name", text_or_null(r[10])}};
        c["jobs_changed"] = r[15].is_null() ? json(nullptr) : json(r[15].as<long long>());
    } else {
        const std::string okind = r[11].as<std::string>();
        std::vector<long long> ids = {r[12].as<long long>()};
        if (!r[13].is_null()) ids.push_back(r[13].as<long long>());
        auto names = object_names(tx, okind, ids);
        c["object_kind"] = okind;
        c["old_object"] = {{"id", ids[0]}, {"name", names.count(ids[0]) ? json(names[ids[0]]) : json(nullptr)}};
        c["new_object"] = ids.size() > 1 ? json{{"id", ids[1]},
                                                {"name", names.count(ids[1]) ? json(names[ids[1]]) : json(nullptr)},
                                                {"stratum", text_or_null(r[14])}}
                                         : json(nullptr);
        c["cancelled_job_id"] = r[16].is_null() ? json(nullptr) : json(r[16].as<long long>());
        c["created_job_id"] = r[17].is_null() ? json(nullptr) : json(r[17].as<long long>());
    }
    if (!public_view) {
        c["requested_by_name"] = text_or_null(r[18]);
        c["decided_by_name"] = text_or_null(r[20]);
        c["history"] = history(tx, r[0].as<long long>());
        json actions = json::array();
        if (actor)
            for (const auto& t : kChange)
                if (t.from == state && actor->has(t.permission)) actions.push_back(t.action);
        c["actions"] = actions;
    }
    return c;
}

json load(pqxx::transaction_base& tx, const flow::FlowActor* actor, long long id) {
    auto r = pg::exec(tx, std::string("SELECT ") + kColumns + kFrom + " WHERE c.id = $1", pg::Params().add(id));
    if (r.empty()) throw not_found("变更申请不存在");
    return row_json(tx, r[0], actor, false);
}

json reasons() {
    json ins = json::array(), obj = json::array();
    for (const char* k : {"post_change", "conflict", "health", "recusal", "other"})
        ins.push_back({{"code", k}, {"label", kInspectorReasons.at(k)}});
    for (const char* k : {"deregistered", "revoked", "moved_out", "other"})
        obj.push_back({{"code", k}, {"label", kObjectReasons.at(k)}});
    return {{"inspector", ins}, {"object", obj}};
}

long long positive_id(const json& body, const char* key, bool required, std::vector<FieldError>& e) {
    if (!body.contains(key) || body[key].is_null()) {
        if (required) e.push_back({key, "required", "请选择"});
        return 0;
    }
    if (!body[key].is_number_integer() || body[key].get<long long>() <= 0) {
        e.push_back({key, "bad_type", "编号应为正整数"});
        return 0;
    }
    return body[key].get<long long>();
}

}  // namespace

const std::vector<flow::Transition>& transitions() {
    return kChange;
}

const flow::Transition& require_transition(const std::string& action, const std::string& from) {
    for (const auto& t : kChange)
        if (t.action == action && t.from == from) return t;
    throw conflict("invalid_transition",
                   "变更申请当前状态为“" + state_label(from) + "”，不能" + label(kActions, action))
        .with("state", from)
        .with("action", action);
}

json for_draw(pg::Pool& pool, const flow::FlowActor* actor, long long draw_id, bool public_view) {
    return pg::with_read(pool, "draw-changes", [&](pqxx::read_transaction& tx) {
        const Current c = load_current(tx, draw_id, false);
        // The public sees the groups of a confirmed draw only: nothing selected by an
        // attempt that was not confirmed, or was given up (issue 12 §3).
        if (public_view && c.status != "confirmed") throw not_found("抽取记录不存在或尚未确认");
        json changes = json::array();
        for (const auto& r : pg::exec(tx,
                                      std::string("SELECT ") + kColumns + kFrom + " WHERE c.draw_id = $1" +
                                          (public_view ? " AND c.state = 'approved'" : "") + " ORDER BY c.id",
                                      pg::Params().add(draw_id)))
            changes.push_back(row_json(tx, r, actor, public_view));
        // The groups as they stand, with the names of people and objects.
        std::vector<long long> people_ids, object_ids;
        for (const auto& [id, g] : c.inspectors) people_ids.push_back(id);
        for (const auto& [id, g] : c.objects) object_ids.push_back(id);
        auto pn = inspector_names(tx, people_ids);
        auto on = object_names(tx, c.object_kind, object_ids);
        std::set<long long> original_people, original_objects;
        for (const auto& r :
             pg::exec(tx, "SELECT inspector_id FROM draw_inspector WHERE draw_id = $1", pg::Params().add(draw_id)))
            original_people.insert(r[0].as<long long>());
        for (const auto& g : c.result.value("groups", json::array()))
            for (const auto& o : g["objects"]) original_objects.insert(o.get<long long>());
        json groups = json::array();
        for (int g : c.groups) {
            json inspectors = json::array(), objects = json::array();
            for (long long i : group_inspectors(c, g))
                inspectors.push_back({{"id", i},
                                      {"name", pn.count(i) ? json(pn[i]) : json(nullptr)},
                                      {"role", c.inspectors.at(i).second},
                                      {"changed", !original_people.count(i)}});
            for (long long o : group_objects(c, g))
                objects.push_back({{"id", o},
                                   {"name", on.count(o) ? json(on[o]) : json(nullptr)},
                                   {"changed", !original_objects.count(o)}});
            groups.push_back({{"no", g}, {"inspectors", inspectors}, {"objects", objects}});
        }
        return json{
            {"draw_id", draw_id},
            {"status", c.status},
            {"changes", changes},
            {"current_groups", groups},
            {"reasons", reasons()},
            {"can_request", !public_view && actor && actor->has("draw.run") && c.status == "confirmed" && !c.closed}};
    });
}

json options(pg::Pool& pool, const flow::FlowActor& actor, long long draw_id, int group_no, const std::string& q,
             long long old_inspector) {
    (void)actor;
    if (flow::utf8_length(q) > 100) throw bad_request("bad_q", "关键字过长", "q");
    return pg::with_read(pool, "draw-change-options", [&](pqxx::read_transaction& tx) {
        const Current c = load_current(tx, draw_id, false);
        if (group_no && std::find(c.groups.begin(), c.groups.end(), group_no) == c.groups.end())
            throw bad_request("bad_group_no", "检查组不存在", "group_no");
        json inspectors = json::array();
        auto old = c.inspectors.find(old_inspector);
        const bool leader = old != c.inspectors.end() && old->second.second == "leader";
        if (old != c.inspectors.end()) group_no = old->second.first;
        for (const auto& x : people(tx, c, std::nullopt))
            if (ineligible(c, x, leader).empty() && !(group_no && breaks_cross_district(tx, c, group_no, x.id)))
                inspectors.push_back({{"id", x.id}, {"name", x.name}, {"unit", x.unit}, {"is_leader", x.leader}});
        // Candidates not drawn, in no open draw, in candidate order.
        std::vector<long long> ever(c.ever.begin(), c.ever.end());
        pg::Params p;
        const auto pd = p.next(std::to_string(draw_id));
        const auto pe = p.next(id_array(ever));
        const auto pk = p.next(c.object_kind);
        std::string where;
        if (!q.empty()) where = " AND " + name_sql(c.object_kind) + " ILIKE " + p.next("%" + pg::like_escape(q) + "%");
        json objects = json::array();
        for (const auto& r :
             pg::exec(tx,
                      "SELECT o.id, " + name_sql(c.object_kind) +
                          " FROM draw d CROSS JOIN LATERAL"
                          " unnest(d.candidate_ids) WITH ORDINALITY AS x(id, pos) JOIN " +
                          pg::quote_ident(c.object_kind) + " o ON o.id = x.id WHERE d.id = " + pd +
                          "::bigint AND NOT (x.id = ANY(" + pe +
                          "::bigint[])) AND NOT EXISTS (SELECT 1 FROM draw_object b WHERE"
                          " b.object_kind = " +
                          pk + " AND b.object_id = x.id AND b.open)" + where + " ORDER BY x.pos LIMIT 50",
                      p))
            objects.push_back({{"id", r[0].as<long long>()}, {"name", r[1].c_str()}});
        return json{{"inspectors", inspectors}, {"objects", objects}, {"reasons", reasons()}};
    });
}

json request(pg::Pool& pool, const flow::FlowActor& actor, long long draw_id, const json& body) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    std::vector<FieldError> e;
    static const std::set<std::string> known = {
        "kind", "reason_code", "reason", "old_inspector_id", "new_inspector_id", "old_object_id", "new_object_id"};
    for (const auto& [k, v] : body.items())
        if (!known.count(k)) e.push_back({k, "unknown_field", "未知字段：" + k});
    const std::string kind = body.value("kind", json("")).is_string() ? body.value("kind", "") : "";
    if (kind != "inspector" && kind != "object")
        e.push_back({"kind", "bad_choice", "变更类型应为 inspector（执法人员）或 object（检查对象）"});
    const std::string code =
        body.contains("reason_code") && body["reason_code"].is_string() ? body["reason_code"].get<std::string>() : "";
    if (kind == "inspector" && !kInspectorReasons.count(code))
        e.push_back({"reason_code", "bad_choice", "请选择更换原因：岗位变动、利益冲突、健康原因、回避或其他"});
    if (kind == "object" && !kObjectReasons.count(code))
        e.push_back({"reason_code", "bad_choice", "请选择移出原因：注销、被吊销、迁出或其他"});
    std::string reason =
        body.contains("reason") && body["reason"].is_string() ? trimmed(body["reason"].get<std::string>()) : "";
    if (reason.empty()) e.push_back({"reason", "required", "请填写变更说明"});
    if (flow::utf8_length(reason) > 1000) e.push_back({"reason", "too_long", "变更说明不能超过 1000 个字"});
    long long old_id = 0, new_id = 0;
    if (kind == "inspector") {
        old_id = positive_id(body, "old_inspector_id", true, e);
        new_id = positive_id(body, "new_inspector_id", true, e);
    } else if (kind == "object") {
        old_id = positive_id(body, "old_object_id", true, e);
        new_id = positive_id(body, "new_object_id", false, e);
    }
    if (!e.empty()) throw registry::ValidationError(e);
    return pg::with_transaction(pool, "draw-change-request", [&](pqxx::work& tx) {
        const Current c = load_current(tx, draw_id, true);
        require_scope(tx, actor, c.unit_id);
        if (c.status != "confirmed")
            throw conflict("draw_not_confirmed", "只有已确认的抽取需要经审批变更；未确认的抽取可以作废后重新抽取")
                .with("state", c.status)
                .with("action", "request");
        if (c.closed)
            throw conflict("draw_closed", "该抽取的任务已结束，不能再变更")
                .with("state", "closed")
                .with("action", "request");
        if (!pg::exec(tx,
                      std::string("SELECT 1 FROM draw_change WHERE draw_id = $1 AND state = 'pending' AND ") +
                          (kind == "inspector" ? "old_inspector_id" : "old_object_id") + " = $2",
                      pg::Params().add(draw_id).add(old_id))
                 .empty())
            throw conflict("change_pending", "已有同一人员或对象的变更申请待审批")
                .with("state", "pending")
                .with("action", "request");
        const Checked ck = check(tx, c, kind, old_id, new_id);
        const bool ins = kind == "inspector";
        auto r = pg::exec(
            tx,
            "INSERT INTO draw_change(draw_id, unit_id, kind, reason_code, reason, group_no, old_inspector_id,"
            " new_inspector_id, object_kind, old_object_id, new_object_id, new_stratum, requested_by)"
            " VALUES ($1, $2::bigint, $3, $4, $5, $6, $7::bigint, $8::bigint, $9, $10::bigint, $11::bigint, $12,"
            " $13::bigint) RETURNING id",
            pg::Params()
                .add(draw_id)
                .add(opt_id(c.unit_id))
                .add(kind)
                .add(code)
                .add(reason)
                .add(ck.group)
                .add(ins ? opt_id(old_id) : std::nullopt)
                .add(ins ? opt_id(new_id) : std::nullopt)
                .add(ins ? std::nullopt : std::optional<std::string>(c.object_kind))
                .add(ins ? std::nullopt : opt_id(old_id))
                .add(ins ? std::nullopt : opt_id(new_id))
                .add(ck.stratum.empty() ? std::nullopt : std::optional<std::string>(ck.stratum))
                .add(opt_id(actor.user_id)));
        const long long id = r[0][0].as<long long>();
        flow::record(tx, "draw_change", id, "request", "", "pending", clip(reason, 1000), actor, actor.unit_id);
        if (c.unit_id)
            notify::users(tx, notify::recipients(tx, {c.unit_id}, "draw.change.approve"), "work",
                          std::string(ins ? "执法人员变更" : "检查对象名单变更") + "待审批：" + c.title,
                          "变更说明：" + clip(reason, 200), "/random/draw-changes");
        return load(tx, &actor, id);
    });
}

json list(pg::Pool& pool, const flow::FlowActor& actor, const std::string& state, long long page, long long page_size) {
    static const std::set<std::string> states = {"", "pending", "approved", "refused"};
    if (!states.count(state)) throw bad_request("bad_state", "状态不正确", "state");
    return pg::with_read(pool, "draw-change-list", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = " WHERE true";
        if (actor.scope != "all")
            where += " AND c.unit_id = ANY(" + p.next(flow::scope_array(tx, actor)) + "::bigint[])";
        if (!state.empty()) where += " AND c.state = " + p.next(state);
        const long long total = pg::exec(tx, std::string("SELECT count(*)") + kFrom + where, p)[0][0].as<long long>();
        json items = json::array();
        for (const auto& r :
             pg::exec(tx,
                      std::string("SELECT ") + kColumns + kFrom + where + " ORDER BY c.id DESC LIMIT " +
                          std::to_string(page_size) + " OFFSET " + std::to_string((page - 1) * page_size),
                      p))
            items.push_back(row_json(tx, r, &actor, false));
        return json{{"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

json decide(pg::Pool& pool, const flow::FlowActor& actor, long long id, bool approve, const json& body) {
    std::string opinion;
    if (body.is_object() && body.contains("opinion") && !body["opinion"].is_null()) {
        if (!body["opinion"].is_string())
            throw registry::ValidationError({{"opinion", "bad_type", "审批意见应为文本"}});
        opinion = trimmed(body["opinion"].get<std::string>());
    }
    if (flow::utf8_length(opinion) > 1000)
        throw registry::ValidationError({{"opinion", "too_long", "审批意见不能超过 1000 个字"}});
    return pg::with_transaction(pool, approve ? "draw-change-approve" : "draw-change-refuse", [&](pqxx::work& tx) {
        auto r = pg::exec(tx,
                          "SELECT draw_id, unit_id, kind, state, group_no, old_inspector_id, new_inspector_id,"
                          " old_object_id, new_object_id, object_kind, new_stratum, reason_code, reason, requested_by"
                          " FROM draw_change WHERE id = $1 FOR UPDATE",
                          pg::Params().add(id));
        if (r.empty()) throw not_found("变更申请不存在");
        const auto& x = r[0];
        const long long draw_id = x[0].as<long long>();
        require_scope(tx, actor, x[1].is_null() ? 0 : x[1].as<long long>());
        const std::string kind = x[2].as<std::string>(), state = x[3].as<std::string>();
        const auto& t = require_transition(approve ? "approve" : "refuse", state);
        // Four eyes (issue 12 §3): whoever asked for a change does not decide it.
        if (!x[13].is_null() && x[13].as<long long>() == actor.user_id)
            throw forbidden("self_approval", "不能审批本人提出的变更申请，请由另一位部门负责人审批");
        if (!approve && opinion.empty())
            throw registry::ValidationError({{"opinion", "required", "请填写不予批准的理由"}});
        if (approve && opinion.empty()) opinion = "同意";
        const Current c = load_current(tx, draw_id, true);
        const long long old_id = kind == "inspector" ? x[5].as<long long>() : x[7].as<long long>();
        const long long new_id =
            kind == "inspector" ? x[6].as<long long>() : (x[8].is_null() ? 0 : x[8].as<long long>());
        const std::string why =
            label(kind == "inspector" ? kInspectorReasons : kObjectReasons, x[11].as<std::string>()) + "：" +
            clip(x[12].as<std::string>(), 800);
        std::vector<long long> tell, inspectors_told;  // the requester; the inspectors concerned
        if (!x[13].is_null()) tell.push_back(x[13].as<long long>());
        if (approve) {
            if (c.closed)
                throw conflict("draw_closed", "该抽取的任务已结束，不能再变更")
                    .with("state", "closed")
                    .with("action", "approve");
            const Checked ck = check(tx, c, kind, old_id, new_id);
            if (kind == "inspector") {
                auto names = inspector_names(tx, {old_id, new_id});
                const std::string note = "执法人员变更：" + names[old_id] + " → " + names[new_id] + "（" + why + "）";
                // The group's jobs not yet accepted get the new inspector (an accepted
                // result stays with those who inspected).
                auto upd = pg::exec(
                    tx,
                    "WITH u AS (UPDATE inspection_job SET inspector_ids = array_replace(inspector_ids, $2::bigint,"
                    " $3::bigint) WHERE draw_id = $1 AND group_no = $4 AND $2::bigint = ANY(inspector_ids)"
                    " AND state IN ('pending', 'draft', 'returned', 'submitted') RETURNING id, state),"
                    " h AS (INSERT INTO flow_history(entity, entity_id, action, from_state, to_state, opinion, user_id,"
                    " unit_id) SELECT 'job', u.id, 'replace_inspector', u.state, u.state, $5, $6::bigint, $7::bigint"
                    " FROM u RETURNING 1) SELECT count(*) FROM h",
                    pg::Params()
                        .add(draw_id)
                        .add(old_id)
                        .add(new_id)
                        .add(ck.group)
                        .add(note)
                        .add(opt_id(actor.user_id))
                        .add(opt_id(actor.unit_id)));
                const long long n = upd[0][0].as<long long>();
                pg::exec(tx, "UPDATE draw_change SET jobs_changed = $2 WHERE id = $1", pg::Params().add(id).add(n));
                for (const auto& u : pg::exec(tx, "SELECT inspector_accounts($1::bigint[])",
                                              pg::Params().add(id_array({old_id, new_id}))))
                    inspectors_told.push_back(u[0].as<long long>());
            } else {
                const std::string okind = c.object_kind;
                auto job = job_of_object(tx, draw_id, okind, old_id);
                if (job.first) {
                    pg::exec(tx, "UPDATE inspection_job SET state = 'cancelled' WHERE id = $1",
                             pg::Params().add(job.first));
                    flow::record(tx, "job", job.first, "cancel", job.second, "cancelled",
                                 "检查对象移出名单（" + why + "）", actor, actor.unit_id);
                    pg::exec(tx, "UPDATE draw_change SET cancelled_job_id = $2 WHERE id = $1",
                             pg::Params().add(id).add(job.first));
                }
                // The object is free again; the draw's own rows keep what was drawn.
                pg::exec(
                    tx,
                    "UPDATE draw_object SET open = false WHERE draw_id = $1 AND object_kind = $2 AND object_id = $3"
                    " AND open",
                    pg::Params().add(draw_id).add(okind).add(old_id));
                if (new_id) {
                    pg::exec(tx,
                             "INSERT INTO draw_object(draw_id, object_kind, object_id, stratum, group_no)"
                             " VALUES ($1, $2, $3, $4, $5)",
                             pg::Params().add(draw_id).add(okind).add(new_id).add(ck.stratum).add(ck.group));
                    auto j = pg::exec(tx, "SELECT job_create_for_change($1, $2, $3, $4, $5::bigint[], $6)",
                                      pg::Params()
                                          .add(draw_id)
                                          .add(okind)
                                          .add(new_id)
                                          .add(ck.group)
                                          .add(id_array(group_inspectors(c, ck.group)))
                                          .add("名单变更新增的检查对象（变更申请 " + std::to_string(id) + "）"));
                    pg::exec(tx, "UPDATE draw_change SET created_job_id = $2 WHERE id = $1",
                             pg::Params().add(id).add(j[0][0].as<long long>()));
                }
            }
        }
        pg::exec(tx,
                 "UPDATE draw_change SET state = $2, decided_by = $3::bigint, decided_at = now(), opinion = $4"
                 " WHERE id = $1",
                 pg::Params().add(id).add(t.to).add(opt_id(actor.user_id)).add(opinion));
        flow::record(tx, "draw_change", id, t.action, state, t.to, opinion, actor, actor.unit_id);
        const std::string title = std::string(kind == "inspector" ? "执法人员变更" : "检查对象名单变更") +
                                  (approve ? "已批准：" : "未获批准：") + c.title;
        notify::users(tx, tell, "work", title, "审批意见：" + opinion, "/random/draws/" + std::to_string(draw_id));
        // The old and the new inspector see the change in 我的检查 (they may not read draws).
        std::erase_if(inspectors_told,
                      [&](long long u) { return std::find(tell.begin(), tell.end(), u) != tell.end(); });
        notify::users(tx, inspectors_told, "job", title, why, "/random/jobs");
        return load(tx, &actor, id);
    });
}

json rows_where(pqxx::transaction_base& tx, const flow::FlowActor& actor, const std::string& where,
                const pg::Params& p) {
    json items = json::array();
    for (const auto& r :
         pg::exec(tx, std::string("SELECT ") + kColumns + kFrom + " WHERE " + where + " ORDER BY c.id", p))
        items.push_back(row_json(tx, r, &actor, false));
    return items;
}

}  // namespace twindraw::drawchange
