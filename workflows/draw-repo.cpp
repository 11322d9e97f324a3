#include "workflows/draw-repo.hpp"
#include "workflows/task-draw.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"
#include "workflows/draw-settings.hpp"
#include "workflows/file-store.hpp"
#include "workflows/draw-log.hpp"
#include "workflows/jobs.hpp"
#include "workflows/notify.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

namespace twindraw::draw {

using nlohmann::json;

namespace {

const std::map<std::string, std::string> kKinds = {
    {"market_subject", "市场主体"}, {"venue", "场地场所"}, {"product", "产品"}};

std::vector<std::string> string_list(const json& body, const char* key, const std::regex& re, const std::string& what) {
    std::vector<std::string> out;
    if (!body.contains(key) || body[key].is_null()) return out;
    if (!body[key].is_array()) throw invalid("bad_" + std::string(key), what + "应为数组", key);
    for (const auto& v : body[key]) {
        if (!v.is_string() || !std::regex_match(v.get<std::string>(), re))
            throw invalid("bad_" + std::string(key), what + "格式不正确", key);
        out.push_back(v.get<std::string>());
    }
    return out;
}

std::vector<long long> id_list(const json& body, const char* key, const std::string& field) {
    std::vector<long long> out;
    if (!body.contains(key) || body[key].is_null()) return out;
    if (!body[key].is_array()) throw invalid("bad_ids", "应为编号数组", field);
    for (const auto& v : body[key]) {
        if (!v.is_number_integer() || v.get<long long>() <= 0) throw invalid("bad_ids", "编号应为正整数", field);
        out.push_back(v.get<long long>());
    }
    return out;
}

std::optional<long long> opt_id(const json& body, const char* key) {
    if (!body.contains(key) || body[key].is_null()) return std::nullopt;
    if (!body[key].is_number_integer() || body[key].get<long long>() <= 0)
        throw invalid("bad_" + std::string(key), "编号应为正整数", key);
    return body[key].get<long long>();
}

std::string text_array(const std::vector<std::string>& v) {
    return pg::array_literal(v);
}
std::string id_array(const std::vector<long long>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) s += ',';
        s += std::to_string(v[i]);
    }
    return s + "}";
}

std::vector<long long> parse_ids(std::string_view text) {
    std::vector<long long> out;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        while (p < end && (*p < '0' || *p > '9')) ++p;
        if (p >= end) break;
        long long v = 0;
        auto r = std::from_chars(p, end, v);
        out.push_back(v);
        p = r.ptr;
    }
    return out;
}

Digest bytes_digest(const pqxx::field& f) {
    return from_hex(f.as<std::string>(), "digest");
}

const pg::Actor& actor() {
    static const pg::Actor none;
    const auto* a = pg::current_actor();
    return a ? *a : none;
}

std::optional<std::string> actor_user() {
    return actor().user_id ? std::optional<std::string>(std::to_string(actor().user_id)) : std::nullopt;
}

struct Rules {
    bool in_open_draw = true, inspected_this_year = true, within_days = false;
    int days = 0;
    json snapshot = json::array();
};

Rules load_rules(pqxx::transaction_base& tx, const DrawRequest& req) {
    Rules r;
    for (const auto& row :
         pg::exec(tx, "SELECT code, name, enabled, days, locked FROM draw_filter_rule ORDER BY code")) {
        const auto code = row[0].as<std::string>();
        const bool on = rule_applies(req, code, row[2].as<bool>(), row[4].as<bool>());
        if (code == "in_open_draw") r.in_open_draw = on;
        if (code == "inspected_this_year") r.inspected_this_year = on;
        if (code == "drawn_within_days") {
            r.within_days = on;
            r.days = row[3].is_null() ? 0 : row[3].as<int>();
        }
        json e = {{"code", code}, {"name", row[1].as<std::string>()}, {"enabled", on},
                  {"source", rule_source(req, code, row[4].as<bool>())}};
        if (!row[3].is_null()) e["days"] = row[3].as<int>();
        r.snapshot.push_back(e);
    }
    return r;
}

// The WHERE clause of the population over alias o, and the scope in words.
std::string population_where(const DrawRequest& req, const Rules& rules, pg::Params& p, std::string& words) {
    std::string w = "TRUE";
    words = kKinds.at(req.object_kind);
    if (!req.division_codes.empty()) {
        std::vector<std::string> c6, c9;
        for (const auto& c : req.division_codes) (c.size() == 6 ? c6 : c9).push_back(c);
        w += " AND (left(o.division_code, 6) = ANY(" + p.next(text_array(c6)) +
             "::text[]) OR left(o.division_code, 9) = ANY(" + p.next(text_array(c9)) + "::text[]))";
        std::string list;
        for (const auto& c : req.division_codes) list += (list.empty() ? "" : "、") + c;
        words += "；行政区划 " + list;
    }
    if (!req.industry_codes.empty()) {
        const auto ph = p.next(text_array(req.industry_codes));
        w += " AND (o.industry_code = ANY(" + ph +
             "::text[]) OR o.industry_code IN (SELECT code FROM industry WHERE parent_code = ANY(" + ph + "::text[])))";
        std::string list;
        for (const auto& c : req.industry_codes) list += (list.empty() ? "" : "、") + c;
        words += "；行业 " + list;
    }
    if (!req.enterprise_type_codes.empty()) {
        w += " AND o.enterprise_type_code = ANY(" + p.next(text_array(req.enterprise_type_codes)) + "::text[])";
        std::string list;
        for (const auto& c : req.enterprise_type_codes) list += (list.empty() ? "" : "、") + c;
        words += "；企业类型 " + list;
    }
    const std::string kind = p.next(req.object_kind);
    if (rules.in_open_draw) {
        w += " AND NOT EXISTS (SELECT 1 FROM draw_object d WHERE d.object_kind = " + kind +
             " AND d.object_id = o.id AND d.open)";
        words += "；排除已在其他未结束抽取中的对象";
    }
    if (rules.inspected_this_year) {
        w += " AND NOT EXISTS (SELECT 1 FROM draw_object d JOIN draw x ON x.id = d.draw_id WHERE d.object_kind = " +
             kind +
             " AND d.object_id = o.id AND x.status = 'confirmed' AND x.confirmed_at >= date_trunc('year', now()))";
        words += "；排除当年已抽查的对象";
    }
    if (rules.within_days && rules.days > 0) {
        w += " AND NOT EXISTS (SELECT 1 FROM draw_object d JOIN draw x ON x.id = d.draw_id WHERE d.object_kind = " +
             kind +
             " AND d.object_id = o.id AND x.status = 'confirmed' AND x.confirmed_at >= now() - make_interval(days => " +
             p.next(std::to_string(rules.days)) + "::int))";
        words += "；排除最近 " + std::to_string(rules.days) + " 天内已抽查的对象";
    }
    return w;
}

struct ItemCap {
    std::string importance = "general";
    std::optional<long long> cap_bp;
    std::string item_name;
};

ItemCap item_cap(pqxx::transaction_base& tx, const DrawRequest& req) {
    ItemCap c;
    std::optional<long long> item_bp;
    if (req.item_id) {
        auto r = pg::exec(tx, "SELECT importance, (max_ratio * 100)::bigint, name FROM inspection_item WHERE id = $1",
                          pg::Params().add(*req.item_id));
        if (r.empty()) throw invalid("unknown_item", "抽查事项不存在", "item_id");
        c.importance = r[0][0].as<std::string>();
        if (!r[0][1].is_null()) item_bp = r[0][1].as<long long>();
        c.item_name = r[0][2].as<std::string>();
    }
    if (c.importance == "general") {
        if (item_bp) {
            c.cap_bp = item_bp;
        } else {
            auto r = pg::exec(tx, "SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'");
            c.cap_bp = r.empty() ? 500 : std::stoll(r[0][0].as<std::string>());
        }
    }
    return c;
}

// The inspector pools: leader and member, canonical.
std::vector<Stratum> inspector_pools(pqxx::transaction_base& tx, const DrawRequest& req,
                                     const std::vector<long long>& objects, std::string& words) {
    if (req.per_group == 0) return {};
    pg::Params p;
    const auto units = p.next(id_array(req.inspectors.unit_ids));
    const auto sub = p.next(req.inspectors.include_subunits ? std::string("true") : std::string("false"));
    const auto init = p.next(req.inspectors.initiating_unit_id
                                 ? std::optional<std::string>(std::to_string(*req.inspectors.initiating_unit_id))
                                 : std::nullopt);
    const auto quals = p.next(text_array(req.inspectors.qualifications));
    const auto specs = p.next(text_array(req.inspectors.specialties));
    const auto kind = p.next(req.object_kind);
    const auto objs = p.next(id_array(objects));
    const auto cats = p.next(text_array(req.inspectors.categories));
    const std::string sql =
        "WITH RECURSIVE scope AS ("
        "  SELECT id FROM authority WHERE id = ANY(" +
        units +
        "::bigint[])"
        "  UNION SELECT a.id FROM authority a JOIN scope s ON a.parent_id = s.id WHERE " +
        sub +
        "::boolean),"
        " initiating AS ("
        "  SELECT id FROM authority WHERE id = " +
        init +
        "::bigint"
        "  UNION SELECT a.id FROM authority a JOIN initiating s ON a.parent_id = s.id),"
        " eligible AS ("
        "  SELECT i.id, i.is_leader, i.authority_id FROM inspector i"
        "   WHERE i.active AND i.category <> 'expert' AND (cardinality(" +
        cats + "::text[]) = 0 OR i.category = ANY(" + cats + "::text[]))"
        "     AND (cardinality(" +
        quals + "::text[]) = 0 OR i.qualifications && " + quals +
        "::text[])"
        "     AND (cardinality(" +
        specs + "::text[]) = 0 OR i.specialties && " + specs +
        "::text[])"
        "     AND NOT EXISTS (SELECT 1 FROM inspector_recusal r WHERE r.inspector_id = i.id"
        "           AND current_date >= r.valid_from AND (r.valid_until IS NULL OR current_date <= r.valid_until)"
        "           AND (r.object_id IS NULL OR (r.object_kind = " +
        kind + " AND r.object_id = ANY(" + objs +
        "::bigint[])))))"
        " SELECT 'leader', id FROM eligible WHERE is_leader AND authority_id IN"
        "   (SELECT id FROM initiating UNION ALL SELECT id FROM scope WHERE " +
        init +
        "::bigint IS NULL)"
        " UNION ALL SELECT 'member', id FROM eligible WHERE authority_id IN (SELECT id FROM scope)";
    std::vector<Stratum> pools = {{"leader", {}}, {"member", {}}};
    for (const auto& row : pg::exec(tx, sql, p))
        pools[row[0].as<std::string>() == "leader" ? 0 : 1].ids.push_back(row[1].as<long long>());
    canonicalise(pools, false);
    words = "执法人员：" + std::to_string(req.inspectors.unit_ids.size()) + " 个单位" +
            (req.inspectors.include_subunits ? "及其下级" : "") + "的在岗人员（不含专家）";
    if (!req.inspectors.categories.empty()) words += "，人员类别为" + category_words(req);
    if (!req.inspectors.qualifications.empty()) words += "，执法资质含 " + text_array(req.inspectors.qualifications);
    if (!req.inspectors.specialties.empty()) words += "，业务专长含 " + text_array(req.inspectors.specialties);
    words += "，排除回避人员；组长取自组长库";
    if (req.inspectors.initiating_unit_id) words += "中发起部门的人员";
    return pools;
}

// The inspector pools frozen at the commitment (issue 12 §3): the pools of the request's
// definition (general recusals applied; the objects are not drawn yet), the object
// recusals of pool members that name a candidate of the frozen population, and the
// inspector digest over both, which the commit entry of the public log carries. The
// reveal draws from these (draw_inspectors leaves out a person recused from a selected
// object), so nobody can add or drop an inspector or a recusal between commit and reveal.
struct FrozenInspectors {
    std::vector<Stratum> pools;
    std::vector<Recusal> recusals;
    Digest digest{};
    // As stored on the draw row (columns inspector_pools and inspector_recusals).
    std::string pools_json() const {
        json out = json::array();
        for (const auto& s : pools) out.push_back({{"label", s.label}, {"ids", s.ids}});
        return out.dump();
    }
    std::string recusals_json() const {
        json out = json::array();
        for (const auto& x : recusals) out.push_back({x.inspector, x.object});
        return out.dump();
    }
};

FrozenInspectors freeze_inspectors(pqxx::transaction_base& tx, const DrawRequest& req,
                                   const std::vector<Stratum>& population, std::string& words) {
    FrozenInspectors f;
    f.pools = inspector_pools(tx, req, {}, words);
    std::vector<long long> people;
    for (const auto& s : f.pools) people.insert(people.end(), s.ids.begin(), s.ids.end());
    if (!people.empty()) {
        auto in_population = [&](long long object) {
            for (const auto& s : population)  // canonical: ids ascending in each stratum
                if (std::binary_search(s.ids.begin(), s.ids.end(), object)) return true;
            return false;
        };
        for (const auto& row : pg::exec(tx,
                                        "SELECT DISTINCT r.inspector_id, r.object_id FROM inspector_recusal r"
                                        " WHERE r.inspector_id = ANY($1::bigint[]) AND r.object_kind = $2"
                                        " AND r.object_id IS NOT NULL AND current_date >= r.valid_from"
                                        " AND (r.valid_until IS NULL OR current_date <= r.valid_until)",
                                        pg::Params().add(id_array(people)).add(req.object_kind)))
            if (in_population(row[1].as<long long>()))
                f.recusals.push_back({row[0].as<long long>(), row[1].as<long long>()});
        std::sort(f.recusals.begin(), f.recusals.end());
    }
    f.digest = inspector_digest(f.pools, f.recusals);
    return f;
}

// The recusals frozen with the pools into rec; false for an attempt committed before the
// pools were frozen (migration 0039) or of format 1, whose reveal reads the pools.
bool load_frozen_recusals(pqxx::transaction_base& tx, long long id, Record& rec) {
    auto r = pg::exec(tx, "SELECT inspector_recusals FROM draw WHERE id = $1", pg::Params().add(id));
    if (r.empty() || r[0][0].is_null()) return false;
    rec.recusals.clear();
    for (const auto& p : json::parse(r[0][0].as<std::string>()))
        rec.recusals.push_back({p[0].get<long long>(), p[1].get<long long>()});
    return true;
}

// One open stand-alone attempt per person (issue 12 §3): a draw without a task has no
// task holding it to one attempt at a time, so the drawer — and the co-drawer, who may
// confirm too — may each be party to at most one attempt without a task that is not
// confirmed or abandoned; else several could be committed at once and the preferred one
// kept. Without a signed-in user (the CLI without --user) the nameless drawer is one party.
void require_no_open_standalone(pqxx::transaction_base& tx, const DrawRequest& req) {
    if (req.task_id) return;
    std::vector<long long> people;
    if (actor().user_id) people.push_back(actor().user_id);
    if (req.co_drawer_id) people.push_back(*req.co_drawer_id);
    std::sort(people.begin(), people.end());
    people.erase(std::unique(people.begin(), people.end()), people.end());
    // Two commitments of the same person (of different object libraries) never interleave.
    for (long long p : people.empty() ? std::vector<long long>{0} : people)
        pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('twindraw.draw.standalone'), hashtext($1))",
                 pg::Params().add(std::to_string(p)));
    const std::string open = "task_id IS NULL AND status IN ('draft', 'committed', 'witnessed', 'revealed')";
    auto r = people.empty()
                 ? pg::exec(tx, "SELECT id FROM draw WHERE " + open + " AND drawn_by IS NULL ORDER BY id LIMIT 1")
                 : pg::exec(tx,
                            "SELECT id FROM draw WHERE " + open +
                                " AND (drawn_by = ANY($1::bigint[]) OR co_drawer_id = ANY($1::bigint[]))"
                                " ORDER BY id LIMIT 1",
                            pg::Params().add(id_array(people)));
    if (!r.empty())
        throw conflict("attempt_open", "抽取人或共同抽取人已有一次进行中的、不属于任务的抽取（抽取记录 " +
                                           r[0][0].as<std::string>() +
                                           "），须确认或经批准放弃后方可再次抽取")
            .with("draw_id", r[0][0].as<std::string>());
}

json group_json(const std::vector<Group>& groups) {
    json out = json::array();
    for (const auto& g : groups)
        out.push_back({{"no", g.no},
                       {"leader", g.leader ? json(g.leader) : json()},
                       {"members", g.members},
                       {"objects", g.objects}});
    return out;
}

// The stored record. Without candidates (the page, not the published record) the strata
// keep their ids empty and the populations are in meta["strata"]. Before the reveal the
// seed, pools and result are absent (zero digests, empty result); the entropy is read
// but is never shown before the reveal (callers check meta["status"]).
Record load_record(pqxx::transaction_base& tx, long long id, json* meta, bool with_candidates = true) {
    auto r = pg::exec(
        tx,
        std::string("SELECT object_kind, cap_bp, strata, ") + (with_candidates ? "candidate_ids::text" : "''") +
            ", encode(object_digest, 'hex'),"
            " inspector_pools, encode(inspector_digest, 'hex'), encode(entropy, 'hex'), encode(seed, 'hex'),"
            " groups, per_group, result, title, status, task_id, display_time(drawn_at), display_time(confirmed_at), params,"
            " population_query, rules, importance, offices, format, encode(entropy_commitment, 'hex'), witness,"
            " beacon, log_commit_seq FROM draw WHERE id = $1",
        pg::Params().add(id));
    if (r.empty()) throw not_found("抽取记录不存在");
    const auto& row = r[0];
    Record rec;
    rec.format = row[22].as<int>();
    rec.object_kind = row[0].as<std::string>();
    if (!row[1].is_null()) rec.cap_bp = row[1].as<long long>();
    const auto strata = json::parse(row[2].as<std::string>());
    const auto ids = parse_ids(row[3].as<std::string>());
    size_t at = 0;
    const auto result = row[11].is_null() ? json::object() : json::parse(row[11].as<std::string>());
    for (const auto& s : strata) {
        Stratum st{s["label"].get<std::string>(), {}};
        const size_t n = s["population"].get<size_t>();
        if (with_candidates) {
            if (at + n > ids.size()) throw Error(Error::Kind::Internal, "bad_stored_record", "抽取记录已损坏");
            st.ids.assign(ids.begin() + static_cast<long>(at), ids.begin() + static_cast<long>(at + n));
        }
        at += n;
        Quota q;
        if (s.contains("ratio_bp")) q.ratio_bp = s["ratio_bp"].get<long long>();
        if (s.contains("count")) q.count = s["count"].get<long long>();
        rec.quotas[st.label] = q;
        rec.object_strata.push_back(std::move(st));
    }
    rec.object_digest = bytes_digest(row[4]);
    if (!row[5].is_null())
        for (const auto& p : json::parse(row[5].as<std::string>()))
            rec.inspector_strata.push_back({p["label"].get<std::string>(), p["ids"].get<std::vector<long long>>()});
    if (!row[6].is_null()) rec.inspector_digest = bytes_digest(row[6]);
    rec.entropy = bytes_digest(row[7]);
    if (!row[8].is_null()) rec.seed = bytes_digest(row[8]);
    rec.groups = row[9].as<int>();
    rec.per_group = row[10].as<int>();
    if (result.contains("selected"))
        for (const auto& [label, sel] : result["selected"].items())
            rec.selected[label] = sel.get<std::vector<long long>>();
    for (const auto& g : result.value("groups", json::array())) {
        Group out;
        out.no = g["no"].get<int>();
        out.leader = g["leader"].is_null() ? 0 : g["leader"].get<long long>();
        out.members = g["members"].get<std::vector<long long>>();
        out.objects = g["objects"].get<std::vector<long long>>();
        rec.result_groups.push_back(std::move(out));
    }
    if (!row[21].is_null()) {
        const auto offices = json::parse(row[21].as<std::string>());
        rec.cross_district = true;
        for (const auto& p : offices["objects"]) rec.object_offices[p[0].get<long long>()] = p[1].get<long long>();
        for (const auto& p : offices["inspectors"])
            rec.inspector_offices[p[0].get<long long>()] = p[1].get<long long>();
    }
    if (rec.format == 2) {
        load_frozen_recusals(tx, id, rec);
        rec.entropy_commitment = bytes_digest(row[23]);
        if (!row[24].is_null()) rec.witness = row[24].as<std::string>();
        if (!row[25].is_null()) rec.beacon = row[25].as<std::string>();
        if (!row[26].is_null()) {
            rec.log = {{"commit_seq", row[26].as<long long>()}};
            for (const auto& l : pg::exec(tx,
                                          "SELECT kind, seq, encode(row_hash, 'hex') FROM draw_log WHERE draw_id = $1"
                                          " ORDER BY seq",
                                          pg::Params().add(id)))
                rec.log[l[0].as<std::string>() + "_seq"] = l[1].as<long long>();
        }
    }
    if (meta) {
        json populations = json::object();
        for (const auto& s : strata) populations[s["label"].get<std::string>()] = s["population"];
        *meta = {{"id", id},
                 {"populations", populations},
                 {"title", row[12].as<std::string>()},
                 {"status", row[13].as<std::string>()},
                 {"task_id", row[14].is_null() ? json() : json(row[14].as<long long>())},
                 {"drawn_at", row[15].as<std::string>()},
                 {"confirmed_at", row[16].is_null() ? json() : json(row[16].as<std::string>())},
                 {"params", json::parse(row[17].as<std::string>())},
                 {"population", row[18].as<std::string>()},
                 {"rules", json::parse(row[19].as<std::string>())},
                 {"importance", row[20].as<std::string>()},
                 {"format", rec.format}};
    }
    return rec;
}

}  // namespace

DrawRequest parse_request(const json& body) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    DrawRequest r;
    r.raw = body;
    r.title = body.value("title", "");
    if (r.title.empty() || r.title.size() > 600) throw invalid("bad_title", "请填写抽取名称（不超过 200 字）", "title");
    r.task_id = opt_id(body, "task_id");
    r.co_drawer_id = opt_id(body, "co_drawer_id");
    r.object_kind = body.value("object_kind", "market_subject");
    if (!kKinds.count(r.object_kind))
        throw invalid("bad_object_kind", "检查对象类型应为市场主体、场地场所或产品", "object_kind");
    const json scope = body.value("scope", json::object());
    if (!scope.is_object()) throw invalid("bad_scope", "抽取范围应为对象", "scope");
    r.division_codes = string_list(scope, "division_codes", std::regex("^[0-9]{6}$|^[0-9]{9}$"), "行政区划代码");
    r.industry_codes = string_list(scope, "industry_codes", std::regex("^[A-T]$|^[0-9]{2}$"), "行业代码");
    r.enterprise_type_codes = string_list(scope, "enterprise_type_codes", std::regex("^[0-9]{4}$"), "企业类型代码");
    if (!r.enterprise_type_codes.empty() && r.object_kind != "market_subject")
        throw invalid("bad_enterprise_type_codes", "只有市场主体可按企业类型筛选", "enterprise_type_codes");
    r.item_id = opt_id(body, "item_id");
    if (!body.contains("strata") || !body["strata"].is_array() || body["strata"].empty())
        throw invalid("bad_strata", "请至少设置一个层（风险等级 × 信用等级）的抽取比例或数量", "strata");
    std::set<std::string> seen;
    for (const auto& s : body["strata"]) {
        StratumRequest sr;
        if (!s.is_object() || !s.contains("risk") || !s["risk"].is_number_integer() || s["risk"].get<int>() < 1 ||
            s["risk"].get<int>() > 4)
            throw invalid("bad_strata", "风险等级应为 1 至 4", "strata");
        const std::string credit = s.value("credit", "");
        if (credit.size() != 1 || credit[0] < 'A' || credit[0] > 'D')
            throw invalid("bad_strata", "信用等级应为 A、B、C、D", "strata");
        sr.risk = s["risk"].get<int>();
        sr.credit = credit[0];
        if (s.contains("ratio") && !s["ratio"].is_null()) {
            if (!s["ratio"].is_number()) throw invalid("bad_quota", "抽取比例应为数字（百分比）", "strata");
            const double pct = s["ratio"].get<double>();
            const double bp = pct * 100.0;
            if (!(bp >= 1 && bp <= 10000) || std::fabs(bp - std::round(bp)) > 1e-6)
                throw invalid("bad_quota", "抽取比例应在 0.01% 至 100% 之间，最多两位小数", "strata");
            sr.quota.ratio_bp = std::llround(bp);
        }
        if (s.contains("count") && !s["count"].is_null()) {
            if (!s["count"].is_number_integer() || s["count"].get<long long>() < 0)
                throw invalid("bad_quota", "抽取数量应为非负整数", "strata");
            sr.quota.count = s["count"].get<long long>();
        }
        if (sr.quota.ratio_bp.has_value() == sr.quota.count.has_value())
            throw invalid("bad_quota", "每层应给出抽取比例或抽取数量之一", "strata");
        if (!seen.insert(sr.label()).second) throw invalid("bad_strata", "层重复：" + sr.label(), "strata");
        r.strata.push_back(sr);
    }
    if (!body.contains("groups") || !body["groups"].is_number_integer() || body["groups"].get<int>() < 1 ||
        body["groups"].get<int>() > 1000)
        throw invalid("bad_groups", "分组数量应为 1 至 1000", "groups");
    r.groups = body["groups"].get<int>();
    if (!body.contains("per_group") || !body["per_group"].is_number_integer() ||
        (body["per_group"].get<int>() != 0 && (body["per_group"].get<int>() < 2 || body["per_group"].get<int>() > 50)))
        throw invalid("bad_per_group", "每组执法人员应为 2 至 50 人（0 表示只抽取对象）", "per_group");
    r.per_group = body["per_group"].get<int>();
    const json insp = body.value("inspectors", json::object());
    if (!insp.is_object()) throw invalid("bad_inspectors", "执法人员范围应为对象", "inspectors");
    r.inspectors.unit_ids = id_list(insp, "unit_ids", "inspectors.unit_ids");
    if (r.per_group > 0 && r.inspectors.unit_ids.empty())
        throw invalid("bad_unit_ids", "请选择执法人员的抽取范围（全局、若干派出机构或单一派出机构）",
                      "inspectors.unit_ids");
    r.inspectors.include_subunits = insp.value("include_subunits", true);
    r.inspectors.qualifications = string_list(insp, "qualifications", std::regex("^.{1,50}$"), "执法资质");
    r.inspectors.specialties = string_list(insp, "specialties", std::regex("^.{1,50}$"), "业务专长");
    r.inspectors.initiating_unit_id = opt_id(insp, "initiating_unit_id");
    if (insp.contains("cross_district")) {
        if (!insp["cross_district"].is_boolean())
            throw invalid("bad_cross_district", "cross_district 应为 true 或 false", "inspectors.cross_district");
        r.inspectors.cross_district = insp["cross_district"].get<bool>();
    }
    parse_settings(body, r);
    return r;
}

json preview(pg::Pool& pool, const DrawRequest& req) {
    return pg::with_read(pool, "draw-preview", [&](pqxx::read_transaction& tx) {
        const auto rules = load_rules(tx, req);
        const auto cap = item_cap(tx, req);
        pg::Params p;
        std::string words;
        const auto where = population_where(req, rules, p, words);
        std::map<std::string, long long> counts;
        for (const auto& row : pg::exec(tx,
                                        "SELECT o.risk_level, o.credit_level, count(*) FROM " +
                                            pg::quote_ident(req.object_kind) + " o WHERE " + where + " GROUP BY 1, 2",
                                        p))
            counts["R" + row[0].as<std::string>() + "C" + row[1].as<std::string>()] = row[2].as<long long>();
        json strata = json::array();
        long long total = 0, drawn = 0;
        for (int risk = 1; risk <= 4; ++risk)
            for (char credit : std::string("ABCD")) {
                StratumRequest sr{risk, credit, {}};
                const auto label = sr.label();
                json e = {{"label", label},
                          {"risk", risk},
                          {"credit", std::string(1, credit)},
                          {"population", counts[label]}};
                total += counts[label];
                for (const auto& want : req.strata)
                    if (want.label() == label) {
                        if (want.quota.ratio_bp) e["ratio_bp"] = *want.quota.ratio_bp;
                        if (want.quota.count) e["count"] = *want.quota.count;
                        try {
                            const long long k = quota_k(counts[label], want.quota, cap.cap_bp);
                            e["k"] = k;
                            drawn += k;
                        } catch (const Error& err) {
                            e["error"] = {{"code", err.code()}, {"message", err.message()}};
                        }
                    }
                strata.push_back(e);
            }
        std::string iwords;
        const auto pools = inspector_pools(tx, req, {}, iwords);
        json insp = {{"leaders", pools.empty() ? 0 : pools[0].ids.size()},
                     {"members", pools.empty() ? 0 : pools[1].ids.size()},
                     {"needed", req.per_group ? req.groups * req.per_group : 0}};
        return json{{"object_kind", req.object_kind},
                    {"importance", cap.importance},
                    {"cap_bp", cap.cap_bp ? json(*cap.cap_bp) : json()},
                    {"population", words},
                    {"total", total},
                    {"to_draw", drawn},
                    {"strata", strata},
                    {"inspectors", insp},
                    {"rules", rules.snapshot}};
    });
}

namespace {

std::optional<std::string> opt_text(const std::optional<long long>& v) {
    return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

// One row of the attempt log inside tx (the action succeeded).
void attempt_ok(pqxx::transaction_base& tx, const std::string& action, long long draw_id,
                std::optional<long long> task_id, const std::string& message, const json& params = json()) {
    const auto& a = actor();
    pg::exec(tx,
             "INSERT INTO draw_attempt(user_id, unit_id, address, action, draw_id, task_id, outcome, message, params)"
             " VALUES ($1, $2, $3, $4, $5, $6, 'ok', $7, $8::jsonb)",
             pg::Params()
                 .add(actor_user())
                 .add(a.unit_id ? std::optional<std::string>(std::to_string(a.unit_id)) : std::nullopt)
                 .add(a.address)
                 .add(action)
                 .add(draw_id)
                 .add(opt_text(task_id))
                 .add(message)
                 .add(params.is_null() ? std::nullopt : std::optional<std::string>(params.dump())));
}

// The attempt as the flow needs it, locked.
struct AttemptRow {
    std::string status;
    std::optional<long long> task_id;
    long long drawn_by = 0, co_drawer = 0, requested_by = 0, drawn_unit = 0;
    int format = 1;
    bool require_beacon = false;
};

AttemptRow lock_attempt(pqxx::transaction_base& tx, long long id) {
    auto r = pg::exec(tx,
                      "SELECT status, task_id, drawn_by, co_drawer_id, abandon_requested_by, format, require_beacon,"
                      " drawn_unit_id FROM draw WHERE id = $1 FOR UPDATE",
                      pg::Params().add(id));
    if (r.empty()) throw not_found("抽取记录不存在");
    AttemptRow a;
    a.status = r[0][0].as<std::string>();
    if (!r[0][1].is_null()) a.task_id = r[0][1].as<long long>();
    a.drawn_by = r[0][2].is_null() ? 0 : r[0][2].as<long long>();
    a.co_drawer = r[0][3].is_null() ? 0 : r[0][3].as<long long>();
    a.requested_by = r[0][4].is_null() ? 0 : r[0][4].as<long long>();
    a.format = r[0][5].as<int>();
    a.require_beacon = r[0][6].as<bool>();
    a.drawn_unit = r[0][7].is_null() ? 0 : r[0][7].as<long long>();
    return a;
}

// The candidates in canonical order as a bigint[] in PostgreSQL's binary array format
// (array_recv): one dimension, no nulls, element type int8, then each id as a 4-byte length
// and an 8-byte big-endian value. Sending ten million ids this way spares building and
// parsing a 60 MB array literal.
std::string binary_id_array(const std::vector<Stratum>& strata, long long count) {
    std::string out;
    out.reserve(20 + 12 * static_cast<size_t>(count));
    auto put = [&out](unsigned long long v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    put(1, 4);   // dimensions
    put(0, 4);   // no nulls
    put(20, 4);  // int8
    put(static_cast<unsigned long long>(count), 4);
    put(1, 4);  // lower bound
    for (const auto& s : strata)
        for (long long id : s.ids) {
            put(8, 4);
            put(static_cast<unsigned long long>(id), 8);
        }
    return out;
}

// Where a draw's time goes, phase by phase, on stderr when TWINDRAW_DRAW_PHASES is set
// (tests/bench/draw-vs-random.sh sets it for the CLI; the server never does).
struct Phases {
    std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
    bool on = std::getenv("TWINDRAW_DRAW_PHASES") != nullptr;
    void mark(const char* what) {
        if (!on) return;
        auto n = std::chrono::steady_clock::now();
        std::fprintf(stderr, "phase %-24s %7.3f s\n", what, std::chrono::duration<double>(n - t).count());
        t = n;
    }
};

const std::map<std::string, std::string> kStatusNames = {
    {"committed", "已承诺（待见证）"}, {"witnessed", "已见证（待录入公开信标）"}, {"revealed", "已揭示（待确认）"},
    {"confirmed", "已确认"},         {"abandoned", "已放弃"},                   {"draft", "待确认（旧格式）"},
    {"discarded", "已作废"}};

// The seed, selection and groups of a witnessed attempt (format 2), in tx: the frozen
// population of the record, E, W and the beacon. Writes the result and the reveal entry.
void reveal_in(pqxx::work& tx, long long id) {
    Phases ph;
    auto r = pg::exec(tx, "SELECT params, witness, beacon FROM draw WHERE id = $1", pg::Params().add(id));
    const DrawRequest req = parse_request(json::parse(r[0][0].as<std::string>()));
    Record rec = load_record(tx, id, nullptr, true);
    ph.mark("load_record");
    draw_objects(rec, true);  // the digest was computed and committed with the population
    ph.mark("draw_objects");
    std::vector<long long> objects;
    for (const auto& [label, ids] : rec.selected) objects.insert(objects.end(), ids.begin(), ids.end());
    std::string iwords;
    // The pools and recusals frozen at the commitment (load_record); an attempt committed
    // before 0039 reads them now, as it did.
    if (!load_frozen_recusals(tx, id, rec)) rec.inspector_strata = inspector_pools(tx, req, objects, iwords);
    json offices;
    if (req.inspectors.cross_district) {
        // An object's district office: the sub-office whose division is the object's town
        // or county (the lowest id when several share it).
        rec.cross_district = true;
        for (const auto& row : pg::exec(tx,
                                        "SELECT o.id, (SELECT min(a.id) FROM authority a WHERE a.kind = 'sub_office'"
                                        " AND a.division_code = o.division_code) FROM " +
                                            pg::quote_ident(req.object_kind) + " o WHERE o.id = ANY($1::bigint[])",
                                        pg::Params().add(id_array(objects))))
            if (!row[1].is_null()) rec.object_offices[row[0].as<long long>()] = row[1].as<long long>();
        std::vector<long long> people;
        for (const auto& s : rec.inspector_strata) people.insert(people.end(), s.ids.begin(), s.ids.end());
        for (const auto& row : pg::exec(tx,
                                        "SELECT i.id, i.authority_id FROM inspector i JOIN authority a ON a.id ="
                                        " i.authority_id AND a.kind = 'sub_office' WHERE i.id = ANY($1::bigint[])",
                                        pg::Params().add(id_array(people))))
            rec.inspector_offices[row[0].as<long long>()] = row[1].as<long long>();
        json oo = json::array(), io = json::array();
        for (const auto& [o, office] : rec.object_offices) oo.push_back({o, office});
        for (const auto& [i, office] : rec.inspector_offices) io.push_back({i, office});
        offices = {{"objects", oo}, {"inspectors", io}};
    }
    draw_inspectors(rec);
    ph.mark("inspectors");
    json pools = json::array();
    for (const auto& s : rec.inspector_strata) pools.push_back({{"label", s.label}, {"ids", s.ids}});
    json selected = json::object();
    for (const auto& [label, ids] : rec.selected) selected[label] = ids;
    json result = {{"selected", selected}, {"groups", group_json(rec.result_groups)}};
    pg::exec(tx,
             "UPDATE draw SET status = 'revealed', revealed_at = now(), seed = decode($2, 'hex'), result = $3::jsonb,"
             " inspector_pools = $4::jsonb, inspector_digest = decode($5, 'hex'), offices = $6::jsonb WHERE id = $1",
             pg::Params()
                 .add(id)
                 .add(to_hex(rec.seed))
                 .add(result.dump())
                 .add(pools.dump())
                 .add(to_hex(rec.inspector_digest))
                 .add(offices.is_null() ? std::nullopt : std::optional<std::string>(offices.dump())));
    ph.mark("update");
    drawlog::append(tx, "reveal", id,
                    {{"draw_id", id},
                     {"entropy", to_hex(rec.entropy)},
                     {"witness", rec.witness},
                     {"beacon", rec.beacon ? json(*rec.beacon) : json()},
                     {"seed", to_hex(rec.seed)},
                     {"inspector_digest", to_hex(rec.inspector_digest)},
                     {"result_digest", files::sha256_hex(result.dump())}});
    attempt_ok(tx, "reveal", id, req.task_id,
               "揭示：抽取 " + std::to_string(objects.size()) + " 个对象、" + std::to_string(rec.groups) + " 个组");
}


}  // namespace

json run(pg::Pool& pool, const DrawRequest& req) {
    long long id = 0;
    try {
        id = pg::with_transaction(pool, "draw", [&](pqxx::work& tx) {
            Phases ph;
            // One commitment per object library at a time, so two freezes never interleave.
            pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('twindraw.draw'), hashtext($1))",
                     pg::Params().add(req.object_kind));
            // One attempt of a task at a time: a new one only after the last was confirmed
            // or its abandonment approved, so every re-roll is a public, approved step.
            if (req.task_id) {
                auto open = pg::exec(tx,
                                     "SELECT id FROM draw WHERE task_id = $1 AND status IN ('draft', 'committed',"
                                     " 'witnessed', 'revealed') ORDER BY id LIMIT 1",
                                     pg::Params().add(*req.task_id));
                if (!open.empty())
                    throw conflict("attempt_open", "该任务已有进行中的抽取（抽取记录 " + open[0][0].as<std::string>() +
                                                       "），须确认或经批准放弃后方可重新抽取")
                        .with("draw_id", open[0][0].as<std::string>());
            }
            require_no_open_standalone(tx, req);
            const auto rules = load_rules(tx, req);
            const auto cap = item_cap(tx, req);
            pg::Params p;
            std::string words;
            const auto where = population_where(req, rules, p, words);
            std::vector<std::string> risks, credits;
            for (const auto& s : req.strata) {
                risks.push_back(std::to_string(s.risk));
                credits.push_back(std::string(1, s.credit));
            }
            const auto rp = p.next(text_array(risks));
            const auto cp = p.next(text_array(credits));
            // The frozen population; canonicalise() below puts it in canonical order.
            // Grouped by the columns themselves: building the label 'R1CA' in SQL for every
            // row cost seconds at 10 M; it is built once per stratum below.
            const auto pop = pg::exec(tx,
                                      "SELECT o.risk_level, o.credit_level, string_agg(o.id::text, ',')"
                                      " FROM " +
                                          pg::quote_ident(req.object_kind) + " o WHERE " + where +
                                          " AND (o.risk_level, o.credit_level) IN (SELECT r::smallint, c FROM unnest(" +
                                          rp + "::text[], " + cp + "::text[]) AS t(r, c)) GROUP BY 1, 2",
                                      p);
            ph.mark("population query");
            Record rec;
            rec.format = 2;
            rec.object_kind = req.object_kind;
            rec.cap_bp = cap.cap_bp;
            for (const auto& row : pop)
                rec.object_strata.push_back(
                    {"R" + row[0].as<std::string>() + "C" + row[1].as<std::string>(), parse_ids(row[2].c_str())});
            ph.mark("parse");
            canonicalise(rec.object_strata);
            ph.mark("canonicalise");
            for (const auto& s : req.strata) rec.quotas[s.label()] = s.quota;
            rec.object_digest = digest(rec.object_strata);
            ph.mark("digest");
            // Refusals that do not depend on the randomness come now, before the commitment.
            long long to_draw = 0, population = 0;
            json strata = json::array();
            for (const auto& s : rec.object_strata) {
                json e = {{"label", s.label}, {"population", s.ids.size()}};
                const auto& q = rec.quotas.at(s.label);
                if (q.ratio_bp) e["ratio_bp"] = *q.ratio_bp;
                if (q.count) e["count"] = *q.count;
                const long long k = quota_k(static_cast<long long>(s.ids.size()), q, rec.cap_bp);
                e["k"] = k;
                to_draw += k;
                population += static_cast<long long>(s.ids.size());
                strata.push_back(e);
            }
            const std::string candidates = binary_id_array(rec.object_strata, population);
            ph.mark("candidates text");
            if (to_draw == 0) throw invalid("empty_draw", "按当前范围和比例抽不到任何对象", "strata");
            // objects_per_group may call for more groups than asked; fixed before any randomness.
            rec.groups = groups_for(rec, req);
            rec.per_group = req.per_group;
            std::string iwords;
            const auto frozen = freeze_inspectors(tx, req, rec.object_strata, iwords);
            const auto& pools = frozen.pools;
            if (req.per_group > 0) {
                if (pools[0].ids.size() < static_cast<size_t>(rec.groups))
                    throw invalid("too_few_leaders", "组长库人数不足：需要 " + std::to_string(rec.groups) + " 人，现有 " +
                                                         std::to_string(pools[0].ids.size()) + " 人",
                                  "groups");
                if (pools[1].ids.size() < static_cast<size_t>(rec.groups) * static_cast<size_t>(req.per_group))
                    throw invalid("too_few_inspectors",
                                  "执法人员不足：需要 " + std::to_string(rec.groups * req.per_group) + " 人，现有 " +
                                      std::to_string(pools[1].ids.size()) + " 人",
                                  "per_group");
            }
            if (req.inspectors.cross_district) iwords += "；所所交叉：执法人员不检查本所辖区的对象";
            if (!iwords.empty()) words += "。" + iwords;
            words += group_words(rec, req);
            auto beacon = pg::exec(tx, "SELECT value FROM draw_setting WHERE key = 'require_beacon'");
            const bool require_beacon = !beacon.empty() && beacon[0][0].as<std::string>() == "true";
            rec.entropy = random_entropy();  // after the freeze; published only at the reveal
            const Digest commitment = entropy_commitment(rec.entropy);
            const auto& a = actor();
            // The commitment goes into the public log first (its row refers to the draw
            // by a deferred key), so the draw row is written once, with its log position.
            const long long draw_id = pg::exec(tx, "SELECT nextval('draw_id_seq')")[0][0].as<long long>();
            json quota = json::object();
            for (const auto& s : req.strata) {
                json q = json::object();
                if (s.quota.ratio_bp) q["ratio_bp"] = *s.quota.ratio_bp;
                if (s.quota.count) q["count"] = *s.quota.count;
                quota[s.label()] = q;
            }
            json populations = json::object();
            for (const auto& s : rec.object_strata) populations[s.label] = s.ids.size();
            const auto entry = drawlog::append(tx, "commit", draw_id,
                                               {{"draw_id", draw_id},
                                                {"format", "twindraw-draw/2"},
                                                {"task_id", req.task_id ? json(*req.task_id) : json()},
                                                {"object_kind", req.object_kind},
                                                {"params_digest", files::sha256_hex(req.raw.dump())},
                                                {"quotas", quota},
                                                {"cap_bp", cap.cap_bp ? json(*cap.cap_bp) : json()},
                                                {"groups", rec.groups},
                                                {"per_group", req.per_group},
                                                {"populations", populations},
                                                {"object_digest", to_hex(rec.object_digest)},
                                                {"entropy_commitment", to_hex(commitment)},
                                                {"inspector_digest", to_hex(frozen.digest)},
                                                {"require_beacon", require_beacon}});
            pg::exec_binary_last(
                tx,
                "INSERT INTO draw(task_id, title, object_kind, item_id, importance, cap_bp, params, population_query,"
                " rules, strata, object_digest, entropy, entropy_commitment, groups, per_group,"
                " drawn_by, drawn_unit_id, status, format, co_drawer_id, require_beacon, id, log_commit_seq,"
                " inspector_pools, inspector_digest, inspector_recusals, candidate_ids)"
                " VALUES ($1, $2, $3, $4, $5,"
                " $6, $7::jsonb, $8, $9::jsonb, $10::jsonb, decode($11, 'hex'), decode($12, 'hex'),"
                " decode($13, 'hex'), $14, $15, $16, $17, 'committed', 2, $18, $19, $20, $21,"
                " $22::jsonb, decode($23, 'hex'), $24::jsonb, $25::bigint[])",
                pg::Params()
                    .add(opt_text(req.task_id))
                    .add(req.title)
                    .add(req.object_kind)
                    .add(opt_text(req.item_id))
                    .add(cap.importance)
                    .add(cap.cap_bp ? std::optional<std::string>(std::to_string(*cap.cap_bp)) : std::nullopt)
                    .add(req.raw.dump())
                    .add(words)
                    .add(rules.snapshot.dump())
                    .add(strata.dump())
                    .add(to_hex(rec.object_digest))
                    .add(to_hex(rec.entropy))
                    .add(to_hex(commitment))
                    .add(rec.groups)
                    .add(rec.per_group)
                    .add(actor_user())
                    .add(a.unit_id ? std::optional<std::string>(std::to_string(a.unit_id)) : std::nullopt)
                    .add(opt_text(req.co_drawer_id))
                    .add(require_beacon)
                    .add(draw_id)
                    .add(entry["seq"].get<long long>())
                    // The inspector pools and recusals, frozen (issue 12 §3).
                    .add(frozen.pools_json())
                    .add(to_hex(frozen.digest))
                    .add(frozen.recusals_json()),
                candidates);
            ph.mark("insert");
            attempt_ok(tx, "run", draw_id, req.task_id,
                       "承诺：冻结候选对象 " + std::to_string(population) + " 个，应抽 " + std::to_string(to_draw) +
                           " 个，待监督人员见证",
                       req.raw);
            return draw_id;
        });
    } catch (const Error& e) {
        log_attempt(pool, "run", std::nullopt, req.task_id, "refused", e.code(), e.message(), req.raw);
        throw;
    }
    return get(pool, id);
}

void log_attempt(pg::Pool& pool, const std::string& action, std::optional<long long> draw_id,
                 std::optional<long long> task_id, const std::string& outcome, const std::string& code,
                 const std::string& message, const json& params) {
    try {
        pg::with_transaction(pool, "draw-log", [&](pqxx::work& tx) {
            const auto& a = actor();
            pg::exec(
                tx,
                "INSERT INTO draw_attempt(user_id, unit_id, address, action, draw_id, task_id, outcome, code, message,"
                " params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)",
                pg::Params()
                    .add(actor_user())
                    .add(a.unit_id ? std::optional<std::string>(std::to_string(a.unit_id)) : std::nullopt)
                    .add(a.address)
                    .add(action)
                    .add(opt_text(draw_id))
                    .add(opt_text(task_id))
                    .add(outcome)
                    .add(code)
                    .add(message)
                    .add(params.is_null() ? std::nullopt : std::optional<std::string>(params.dump())));
        });
    } catch (const std::exception&) {
        // The log must never turn a refusal into a 500; the refusal itself still answers.
    }
}

json witness(pg::Pool& pool, long long id, const std::string& value) {
    try {
        const std::string w = canonical_witness(value);
        pg::with_transaction(pool, "draw-witness", [&](pqxx::work& tx) {
            Phases ph;
            const auto a = lock_attempt(tx, id);
            if (a.status != "committed")
                throw conflict("draw_not_committed", "只有已承诺、尚未见证的抽取可以录入见证值", "status")
                    .with("state", a.status);
            const long long me = actor().user_id;
            if (!me) throw Error(Error::Kind::Unauthorized, "unauthenticated", "请先登录");
            if (me == a.drawn_by || me == a.co_drawer)
                throw forbidden("witness_is_drawer", "监督人员不能是本次抽取的抽取人或共同抽取人");
            const Digest wh = witness_hash(w);
            pg::exec(tx,
                     "UPDATE draw SET status = 'witnessed', witness = $2, witness_hash = decode($3, 'hex'),"
                     " witnessed_by = $4, witnessed_at = now() WHERE id = $1",
                     pg::Params().add(id).add(w).add(to_hex(wh)).add(me));
            drawlog::append(tx, "witness", id,
                            {{"draw_id", id}, {"witness_hash", to_hex(wh)}, {"role", "witness"}});
            attempt_ok(tx, "witness", id, a.task_id, "监督人员录入见证值");
            ph.mark("witness update");
            if (!a.require_beacon) reveal_in(tx, id);
            ph.mark("reveal");
        });
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            log_attempt(pool, "witness", id, std::nullopt, "refused", e.code(), e.message(), json());
        throw;
    }
    return get(pool, id);
}

json reveal(pg::Pool& pool, long long id, const std::string& beacon) {
    try {
        pg::with_transaction(pool, "draw-reveal", [&](pqxx::work& tx) {
            const auto a = lock_attempt(tx, id);
            if (a.status != "witnessed")
                throw conflict("draw_not_witnessed", "只有已见证、待录入公开信标的抽取可以揭示", "status")
                    .with("state", a.status);
            const long long me = actor().user_id;
            if (me != a.drawn_by && me != a.co_drawer)
                throw forbidden("not_drawer", "只有本次抽取的抽取人或共同抽取人可以录入公开信标");
            const std::string b = canonical_beacon(beacon);
            pg::exec(tx, "UPDATE draw SET beacon = $2 WHERE id = $1", pg::Params().add(id).add(b));
            reveal_in(tx, id);
        });
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            log_attempt(pool, "reveal", id, std::nullopt, "refused", e.code(), e.message(), json());
        throw;
    }
    return get(pool, id);
}

json confirm(pg::Pool& pool, long long id, const std::string& password) {
    try {
        pg::with_transaction(pool, "draw-confirm", [&](pqxx::work& tx) {
            const auto a = lock_attempt(tx, id);
            if (a.status != "revealed")
                throw conflict("draw_not_revealed",
                               a.status == "confirmed"   ? "该抽取已确认，不能再次确认"
                               : a.status == "draft"     ? "旧格式的草稿未经监督人员见证，不能确认，请申请放弃"
                               : a.status == "committed" ? "该抽取尚未经监督人员见证，不能确认"
                               : a.status == "witnessed" ? "该抽取尚未录入公开信标，不能确认"
                                                         : "该抽取已放弃或作废，不能确认",
                               "status")
                    .with("state", a.status);
            if (a.requested_by)
                throw conflict("abandon_pending", "该抽取已申请放弃，待审批期间不能确认", "status")
                    .with("state", a.status);
            const long long me = actor().user_id;
            if (me != a.drawn_by && me != a.co_drawer)
                throw forbidden("not_drawer", "只有本次抽取的抽取人或共同抽取人可以确认抽取结果");
            auto pw = pg::exec(tx, "SELECT password_hash FROM draw_password WHERE user_id = $1", pg::Params().add(me));
            if (pw.empty()) throw conflict("no_draw_password", "请先设置双随机密码", "password");
            if (!accounts::verify_password(pw[0][0].as<std::string>(), password))
                throw forbidden("wrong_draw_password", "双随机密码不正确");
            pg::exec(tx, "UPDATE draw SET status = 'confirmed', confirmed_by = $2, confirmed_at = now() WHERE id = $1",
                     pg::Params().add(id).add(me));
            // Only now does the draw hold its objects and people (in_open_draw, DRAW-3).
            const Record rec = load_record(tx, id, nullptr, false);
            std::vector<long long> objects;
            std::vector<std::string> obj_strata, group_of;
            std::map<long long, int> gmap;
            for (const auto& g : rec.result_groups)
                for (long long oid : g.objects) gmap[oid] = g.no;
            for (const auto& [label, ids] : rec.selected)
                for (long long oid : ids) {
                    objects.push_back(oid);
                    obj_strata.push_back(label);
                    group_of.push_back(std::to_string(gmap[oid]));
                }
            try {
                pg::exec(tx,
                         "INSERT INTO draw_object(draw_id, object_kind, object_id, stratum, group_no)"
                         " SELECT $1, $2, o, s, g::int FROM unnest($3::bigint[], $4::text[], $5::text[]) AS t(o, s, g)",
                         pg::Params()
                             .add(id)
                             .add(rec.object_kind)
                             .add(id_array(objects))
                             .add(text_array(obj_strata))
                             .add(text_array(group_of)));
            } catch (const Error& e) {
                if (e.code() != "duplicate") throw;
                throw conflict("object_taken",
                               "本次抽中的对象中有对象已被另一次确认的抽取选中，本次抽取不能确认，请申请放弃并重新抽取",
                               "status")
                    .with("state", a.status);
            }
            std::vector<long long> people, group_nos;
            std::vector<std::string> roles;
            for (const auto& g : rec.result_groups) {
                if (!g.leader) continue;
                people.push_back(g.leader);
                group_nos.push_back(g.no);
                roles.push_back("leader");
                for (long long m : g.members) {
                    people.push_back(m);
                    group_nos.push_back(g.no);
                    roles.push_back("member");
                }
            }
            if (!people.empty())
                pg::exec(tx,
                         "INSERT INTO draw_inspector(draw_id, inspector_id, group_no, role)"
                         " SELECT $1, i, g, r FROM unnest($2::bigint[], $3::int[], $4::text[]) AS t(i, g, r)",
                         pg::Params().add(id).add(id_array(people)).add(id_array(group_nos)).add(text_array(roles)));
            jobs::create_for_draw(tx, id);        // each drawn object becomes a job of its group (JOB-1)
            taskdraw::on_draw_confirmed(tx, id);  // the task records its draw (DRAW-1, TASK-1)
            drawlog::append(tx, "confirm", id, {{"draw_id", id}, {"role", me == a.drawn_by ? "drawer" : "co_drawer"}});
            attempt_ok(tx, "confirm", id, a.task_id, "确认抽取结果");
        });
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            log_attempt(pool, "confirm", id, std::nullopt, "refused", e.code(), e.message(), json());
        throw;
    }
    return get(pool, id);
}

json abandon_request(pg::Pool& pool, long long id, const std::string& reason) {
    try {
        if (reason.empty() || reason.size() > 1500)
            throw invalid("bad_reason", "请填写放弃本次抽取的原因（不超过 500 字）", "reason");
        pg::with_transaction(pool, "draw-abandon", [&](pqxx::work& tx) {
            const auto a = lock_attempt(tx, id);
            if (a.status == "confirmed")
                throw conflict("draw_confirmed", "已确认的抽取不能放弃；名单变更须经负责人审批", "status")
                    .with("state", a.status);
            if (a.status == "abandoned" || a.status == "discarded")
                throw conflict("draw_abandoned", "该抽取已放弃或作废", "status").with("state", a.status);
            if (a.requested_by)
                throw conflict("abandon_pending", "该抽取已申请放弃，待审批", "status").with("state", a.status);
            pg::exec(tx,
                     "UPDATE draw SET abandon_reason = $2, abandon_requested_by = $3, abandon_requested_at = now()"
                     " WHERE id = $1",
                     pg::Params().add(id).add(reason).add(actor().user_id));
            drawlog::append(tx, "abandon_request", id,
                            {{"draw_id", id}, {"reason", reason}, {"status", a.status}, {"role", "requester"}});
            attempt_ok(tx, "abandon_request", id, a.task_id, "申请放弃：" + reason);
            if (a.drawn_unit)
                notify::users(tx, notify::recipients(tx, {a.drawn_unit}, "draw.change.approve"), "work",
                              "抽取放弃申请待审批：抽取记录 " + std::to_string(id), "原因：" + reason,
                              "/random/draws/" + std::to_string(id));
        });
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            log_attempt(pool, "abandon_request", id, std::nullopt, "refused", e.code(), e.message(), json());
        throw;
    }
    return get(pool, id);
}

json abandon_decide(pg::Pool& pool, long long id, bool approve, const std::string& opinion) {
    try {
        if (!approve && opinion.empty()) throw invalid("bad_opinion", "请填写不予批准的理由", "opinion");
        if (opinion.size() > 1500) throw invalid("bad_opinion", "审批意见不超过 500 字", "opinion");
        pg::with_transaction(pool, "draw-abandon-decide", [&](pqxx::work& tx) {
            const auto a = lock_attempt(tx, id);
            if (!a.requested_by || a.status == "abandoned" || a.status == "confirmed")
                throw conflict("no_abandon_request", "该抽取没有待审批的放弃申请", "status").with("state", a.status);
            const long long me = actor().user_id;
            if (me == a.requested_by || me == a.drawn_by || me == a.co_drawer)
                throw forbidden("self_approval", "不能审批本人申请或本人抽取的放弃申请，请由另一位部门负责人审批");
            if (approve)
                pg::exec(tx, "UPDATE draw SET status = 'abandoned', abandoned_at = now(), abandon_decided_by = $2"
                             " WHERE id = $1",
                         pg::Params().add(id).add(me));
            else
                pg::exec(tx,
                         "UPDATE draw SET abandon_reason = NULL, abandon_requested_by = NULL,"
                         " abandon_requested_at = NULL WHERE id = $1",
                         pg::Params().add(id));
            drawlog::append(tx, approve ? "abandon" : "abandon_refuse", id,
                            {{"draw_id", id}, {"opinion", opinion.empty() ? "同意" : opinion}, {"role", "approver"}});
            attempt_ok(tx, approve ? "abandon" : "abandon_refuse", id, a.task_id,
                       (approve ? "批准放弃：" : "不予批准放弃：") + (opinion.empty() ? std::string("同意") : opinion));
            notify::users(tx, {a.requested_by}, "work",
                          std::string(approve ? "放弃申请已批准" : "放弃申请未获批准") + "：抽取记录 " +
                              std::to_string(id),
                          "审批意见：" + (opinion.empty() ? std::string("同意") : opinion),
                          "/random/draws/" + std::to_string(id));
        });
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::NotFound)
            log_attempt(pool, approve ? "abandon" : "abandon_refuse", id, std::nullopt, "refused", e.code(),
                        e.message(), json());
        throw;
    }
    return get(pool, id);
}

json discard(pg::Pool& pool, long long id, const std::string& reason) {
    // No attempt is given up alone any more: discarding is a request for abandonment.
    return abandon_request(pool, id, reason);
}

json get(pg::Pool& pool, long long id) {
    return pg::with_read(pool, "draw-get", [&](pqxx::read_transaction& tx) {
        json meta;
        const Record rec = load_record(tx, id, &meta, false);
        const json populations = meta["populations"];
        meta.erase("populations");
        auto extra = pg::exec(
            tx,
            "SELECT d.drawn_by, u.name, d.confirmed_by, cu.name, d.discard_reason, d.item_id, ii.name,"
            " d.cap_bp, encode(d.object_digest,'hex'), encode(d.seed,'hex'), encode(d.entropy,'hex'),"
            " encode(d.inspector_digest,'hex'), d.groups, d.per_group, d.drawn_unit_id, au.name,"
            " (SELECT count(*) FROM draw_scan s WHERE s.draw_id = d.id),"
            " d.witnessed_by, wu.name, d.co_drawer_id, cdu.name, d.revealed_at IS NOT NULL, d.witness,"
            " encode(d.entropy_commitment, 'hex'), d.beacon, d.require_beacon,"
            " to_char(d.witnessed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
            " to_char(d.revealed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
            " d.abandon_reason, d.abandon_requested_by, aru.name,"
            " to_char(d.abandon_requested_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),"
            " d.abandon_decided_by, adu.name,"
            " to_char(d.abandoned_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), d.log_commit_seq,"
            " encode(d.witness_hash, 'hex')"
            " FROM draw d LEFT JOIN app_user_name u ON u.id = d.drawn_by LEFT JOIN app_user_name cu ON cu.id = d.confirmed_by"
            " LEFT JOIN app_user_name wu ON wu.id = d.witnessed_by LEFT JOIN app_user_name cdu ON cdu.id = d.co_drawer_id"
            " LEFT JOIN app_user_name aru ON aru.id = d.abandon_requested_by"
            " LEFT JOIN app_user_name adu ON adu.id = d.abandon_decided_by"
            " LEFT JOIN inspection_item ii ON ii.id = d.item_id LEFT JOIN authority au ON au.id = d.drawn_unit_id"
            " WHERE d.id = $1",
            pg::Params().add(id));
        const auto& x = extra[0];
        // An abandoned attempt shows nothing it selected (issue 12 §3).
        const bool hide_result = meta["status"] == "abandoned" || meta["status"] == "discarded";
        std::vector<Group> shown_groups = hide_result ? std::vector<Group>{} : rec.result_groups;
        std::vector<long long> objects, people;
        for (const auto& g : shown_groups) {
            objects.insert(objects.end(), g.objects.begin(), g.objects.end());
            if (g.leader) people.push_back(g.leader);
            people.insert(people.end(), g.members.begin(), g.members.end());
        }
        std::map<long long, json> obj_info, person_info;
        const std::string code_col = rec.object_kind == "market_subject" ? "o.uscc"
                                     : rec.object_kind == "product"      ? "o.licence_no"
                                                                         : "o.responsible_uscc";
        const std::string name_col = rec.object_kind == "product"
                                         ? "coalesce(o.product_name, '') || '（' || o.enterprise_name || '）'"
                                         : "o.name";
        for (const auto& row :
             pg::exec(tx,
                      "SELECT o.id, " + name_col + ", " + code_col +
                          ", o.address, o.division_code, dv.name,"
                          " o.risk_level, o.credit_level FROM " +
                          pg::quote_ident(rec.object_kind) +
                          " o LEFT JOIN division dv ON dv.code = o.division_code WHERE o.id = ANY($1::bigint[])",
                      pg::Params().add(id_array(objects))))
            obj_info[row[0].as<long long>()] = {{"id", row[0].as<long long>()},
                                                {"name", row[1].c_str()},
                                                {"code", row[2].is_null() ? "" : row[2].c_str()},
                                                {"address", row[3].is_null() ? "" : row[3].c_str()},
                                                {"division_code", row[4].c_str()},
                                                {"division_name", row[5].is_null() ? "" : row[5].c_str()},
                                                {"risk_level", row[6].as<int>()},
                                                {"credit_level", row[7].c_str()}};
        for (const auto& row :
             pg::exec(tx,
                      "SELECT i.id, i.name, a.name, i.certificate_no, i.phone FROM inspector i JOIN authority a"
                      " ON a.id = i.authority_id WHERE i.id = ANY($1::bigint[])",
                      pg::Params().add(id_array(people))))
            person_info[row[0].as<long long>()] = {{"id", row[0].as<long long>()},
                                                   {"name", row[1].c_str()},
                                                   {"unit", row[2].c_str()},
                                                   {"certificate_no", row[3].is_null() ? "" : row[3].c_str()}};
        auto obj = [&](long long oid) {
            return obj_info.count(oid) ? obj_info[oid] : json{{"id", oid}, {"name", "（已删除）"}};
        };
        auto person = [&](long long pid) {
            return person_info.count(pid) ? person_info[pid] : json{{"id", pid}, {"name", "（已删除）"}};
        };
        json groups = json::array();
        for (const auto& g : shown_groups) {
            json members = json::array(), objs = json::array();
            for (long long m : g.members) members.push_back(person(m));
            for (long long o : g.objects) objs.push_back(obj(o));
            groups.push_back({{"no", g.no},
                              {"leader", g.leader ? person(g.leader) : json()},
                              {"members", members},
                              {"objects", objs}});
        }
        json strata = json::array();
        long long total = 0, drawn = 0;
        for (const auto& s : rec.object_strata) {
            const long long population = populations.at(s.label).get<long long>();
            json e = {{"label", s.label}, {"population", population}};
            const auto& q = rec.quotas.at(s.label);
            if (q.ratio_bp) e["ratio_bp"] = *q.ratio_bp;
            if (q.count) e["count"] = *q.count;
            const size_t k = rec.selected.count(s.label) ? rec.selected.at(s.label).size() : 0;
            e["k"] = k;
            if (rec.format == 2 && rec.selected.empty()) {  // not revealed (or hidden): the quota's k
                const auto qk = quota_k(population, q, rec.cap_bp);
                e["k"] = qk;
                drawn += qk;
            }
            total += population;
            drawn += static_cast<long long>(k);
            strata.push_back(e);
        }
        meta["object_kind"] = rec.object_kind;
        meta["object_kind_name"] = kKinds.at(rec.object_kind);
        auto person_of = [](const pqxx::field& id, const pqxx::field& name) {
            return id.is_null() ? json() : json{{"id", id.as<long long>()}, {"name", name.is_null() ? "" : name.c_str()}};
        };
        const bool revealed = rec.format == 1 || x[21].as<bool>();
        meta["drawn_by"] = person_of(x[0], x[1]);
        meta["drawn_by_name"] = x[1].is_null() ? "" : x[1].c_str();
        meta["confirmed_by"] = person_of(x[2], x[3]);
        meta["confirmed_by_name"] = x[3].is_null() ? "" : x[3].c_str();
        meta["witnessed_by"] = person_of(x[17], x[18]);
        meta["witnessed_by_name"] = x[18].is_null() ? "" : x[18].c_str();
        meta["co_drawer"] = person_of(x[19], x[20]);
        meta["status_name"] = kStatusNames.count(meta["status"].get<std::string>())
                                  ? kStatusNames.at(meta["status"].get<std::string>())
                                  : meta["status"].get<std::string>();
        meta["entropy_commitment"] = x[23].is_null() ? json() : json(x[23].c_str());
        meta["witness"] = revealed && !x[22].is_null() ? json(x[22].c_str()) : json();
        meta["witness_hash"] = x[36].is_null() ? json() : json(x[36].c_str());
        meta["beacon"] = x[24].is_null() ? json() : json(x[24].c_str());
        meta["require_beacon"] = x[25].as<bool>();
        meta["witnessed_at"] = x[26].is_null() ? json() : json(x[26].c_str());
        meta["revealed_at"] = x[27].is_null() ? json() : json(x[27].c_str());
        meta["abandon"] =
            x[29].is_null() && x[32].is_null()
                ? json()
                : json{{"reason", x[28].is_null() ? json() : json(x[28].c_str())},
                       {"requested_by", person_of(x[29], x[30])},
                       {"requested_at", x[31].is_null() ? json() : json(x[31].c_str())},
                       {"decided_by", person_of(x[32], x[33])},
                       {"abandoned_at", x[34].is_null() ? json() : json(x[34].c_str())},
                       {"pending", !x[29].is_null() && meta["status"] != "abandoned"}};
        meta["log_commit_seq"] = x[35].is_null() ? json() : json(x[35].as<long long>());
        meta["log_head"] = drawlog::head(tx);
        // "Attempt n of m" among the attempts of the same task, and the siblings.
        json siblings = json::array();
        if (!meta["task_id"].is_null()) {
            for (const auto& row :
                 pg::exec(tx, "SELECT id, status FROM draw WHERE task_id = $1 ORDER BY id", pg::Params().add(meta["task_id"].get<long long>())))
                siblings.push_back({{"id", row[0].as<long long>()}, {"status", row[1].c_str()}});
        } else {
            siblings.push_back({{"id", id}, {"status", meta["status"]}});
        }
        meta["attempt_count"] = siblings.size();
        for (size_t i = 0; i < siblings.size(); ++i)
            if (siblings[i]["id"] == id) meta["attempt_no"] = i + 1;
        meta["siblings"] = siblings;
        meta["discard_reason"] = x[4].is_null() ? json() : json(x[4].c_str());
        meta["item_id"] = x[5].is_null() ? json() : json(x[5].as<long long>());
        meta["item_name"] = x[6].is_null() ? "" : x[6].c_str();
        meta["cap_bp"] = x[7].is_null() ? json() : json(x[7].as<long long>());
        meta["object_digest"] = x[8].c_str();
        meta["seed"] = x[9].is_null() || hide_result ? json() : json(x[9].c_str());
        meta["entropy"] = revealed ? json(x[10].c_str()) : json();  // secret until the reveal
        meta["inspector_digest"] = x[11].is_null() ? json() : json(x[11].c_str());
        meta["groups"] = x[12].as<int>();
        meta["per_group"] = x[13].as<int>();
        meta["drawn_unit_name"] = x[15].is_null() ? "" : x[15].c_str();
        meta["scan_count"] = x[16].as<long long>();
        meta["strata"] = strata;
        meta["population_total"] = total;
        meta["drawn_total"] = drawn;
        meta["result_groups"] = groups;
        meta["candidate_count"] = total;
        meta["leader_pool"] = rec.inspector_strata.empty() ? 0 : rec.inspector_strata[0].ids.size();
        meta["member_pool"] = rec.inspector_strata.size() < 2 ? 0 : rec.inspector_strata[1].ids.size();
        json scans = json::array();
        for (const auto& row :
             pg::exec(tx,
                      "SELECT id, filename, content_type, size, sha256, display_time(uploaded_at) FROM draw_scan WHERE draw_id = $1"
                      " ORDER BY id",
                      pg::Params().add(id)))
            scans.push_back({{"id", row[0].as<long long>()},
                             {"filename", row[1].c_str()},
                             {"content_type", row[2].c_str()},
                             {"size", row[3].as<long long>()},
                             {"sha256", row[4].c_str()},
                             {"uploaded_at", row[5].c_str()}});
        meta["scans"] = scans;
        return meta;
    });
}

json list(pg::Pool& pool, long long page, long long page_size, const std::string& status,
          std::optional<long long> task_id) {
    return pg::with_read(pool, "draw-list", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "TRUE";
        if (!status.empty()) where += " AND d.status = " + p.next(status);
        if (task_id) where += " AND d.task_id = " + p.next(std::to_string(*task_id)) + "::bigint";
        const auto total = pg::exec(tx, "SELECT count(*) FROM draw d WHERE " + where, p)[0][0].as<long long>();
        const auto lim = p.next(std::to_string(page_size));
        const auto off = p.next(std::to_string((page - 1) * page_size));
        json items = json::array();
        for (const auto& row :
             pg::exec(tx,
                      "SELECT d.id, d.title, d.status, d.task_id, d.object_kind, display_time(d.drawn_at), u.name, display_time(d.confirmed_at),"
                      " (SELECT coalesce(sum((s->>'population')::bigint), 0) FROM jsonb_array_elements(d.strata) s),"
                      " (SELECT coalesce(sum((s->>'k')::bigint), 0) FROM jsonb_array_elements(d.strata) s),"
                      " d.groups, encode(d.seed, 'hex'), wu.name FROM draw d LEFT JOIN app_user_name wu ON wu.id = d.witnessed_by"
                      "  LEFT JOIN app_user_name u ON u.id = d.drawn_by WHERE " +
                          where + " ORDER BY d.id DESC LIMIT " + lim + "::bigint OFFSET " + off + "::bigint",
                      p))
            items.push_back({{"id", row[0].as<long long>()},
                             {"title", row[1].c_str()},
                             {"status", row[2].c_str()},
                             {"task_id", row[3].is_null() ? json() : json(row[3].as<long long>())},
                             {"object_kind", row[4].c_str()},
                             {"drawn_at", row[5].c_str()},
                             {"drawn_by_name", row[6].is_null() ? "" : row[6].c_str()},
                             {"confirmed_at", row[7].is_null() ? json() : json(row[7].c_str())},
                             {"population", row[8].as<long long>()},
                             {"drawn", row[9].as<long long>()},
                             {"groups", row[10].as<int>()},
                             {"seed", row[11].is_null() || row[2].as<std::string>() == "abandoned" ? json() : json(row[11].c_str())},
                             {"status_name", kStatusNames.count(row[2].c_str()) ? kStatusNames.at(row[2].c_str()) : row[2].c_str()},
                             {"witnessed_by_name", row[12].is_null() ? "" : row[12].c_str()}});
        return json{{"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

json attempts(pg::Pool& pool, long long page, long long page_size, std::optional<long long> draw_id) {
    return pg::with_read(pool, "draw-attempts", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "TRUE";
        if (draw_id) where += " AND a.draw_id = " + p.next(std::to_string(*draw_id)) + "::bigint";
        const auto total = pg::exec(tx, "SELECT count(*) FROM draw_attempt a WHERE " + where, p)[0][0].as<long long>();
        const auto lim = p.next(std::to_string(page_size));
        const auto off = p.next(std::to_string((page - 1) * page_size));
        json items = json::array();
        for (const auto& row :
             pg::exec(tx,
                      "SELECT a.id, display_time(a.at), a.user_id, u.name, a.action, a.draw_id, a.task_id, a.outcome, a.code,"
                      " a.message, a.address FROM draw_attempt a LEFT JOIN app_user_name u ON u.id = a.user_id WHERE " +
                          where + " ORDER BY a.id DESC LIMIT " + lim + "::bigint OFFSET " + off + "::bigint",
                      p))
            items.push_back({{"id", row[0].as<long long>()},
                             {"at", row[1].c_str()},
                             {"user_id", row[2].is_null() ? json() : json(row[2].as<long long>())},
                             {"user_name", row[3].is_null() ? "" : row[3].c_str()},
                             {"action", row[4].c_str()},
                             {"draw_id", row[5].is_null() ? json() : json(row[5].as<long long>())},
                             {"task_id", row[6].is_null() ? json() : json(row[6].as<long long>())},
                             {"outcome", row[7].c_str()},
                             {"code", row[8].c_str()},
                             {"message", row[9].c_str()},
                             {"address", row[10].c_str()}});
        return json{{"items", items}, {"total", total}, {"page", page}, {"page_size", page_size}};
    });
}

json record(pg::Pool& pool, long long id, bool for_public) {
    return pg::with_read(pool, "draw-record", [&](pqxx::read_transaction& tx) {
        json meta;
        auto rec = load_record(tx, id, &meta);
        meta.erase("populations");
        const std::string status = meta["status"].get<std::string>();
        // The whole record (candidates, entropy, witness, result) once the draw is
        // confirmed; for its own staff also while it waits for confirmation. An attempt
        // that was never revealed, or was given up, shows only its commitment.
        const bool full = status == "confirmed" || (!for_public && (status == "revealed" || status == "draft"));
        json out;
        if (full) {
            out = to_json(rec);
        } else {
            json strata = json::array();
            for (const auto& s : rec.object_strata) {
                json e = {{"label", s.label}, {"population", s.ids.size()}};
                const auto& q = rec.quotas.at(s.label);
                if (q.ratio_bp) e["ratio_bp"] = *q.ratio_bp;
                if (q.count) e["count"] = *q.count;
                strata.push_back(e);
            }
            out = {{"format", rec.format == 2 ? "twindraw-draw/2" : "twindraw-draw/1"},
                   {"commitment_only", true},
                   {"object_kind", rec.object_kind},
                   {"cap_bp", rec.cap_bp ? json(*rec.cap_bp) : json()},
                   {"strata", strata},
                   {"object_digest", to_hex(rec.object_digest)},
                   {"groups", rec.groups},
                   {"per_group", rec.per_group}};
            if (rec.format == 2) out["entropy_commitment"] = to_hex(rec.entropy_commitment);
            if (rec.format == 2 && load_frozen_recusals(tx, id, rec))
                out["inspector_digest"] = to_hex(rec.inspector_digest);  // committed with the pools
            if (!rec.log.is_null()) out["log"] = rec.log;
        }
        out["meta"] = meta;
        return out;
    });
}

json public_verification(pg::Pool& pool, long long id) {
    auto rec = record(pool, id, true);
    const json meta = rec["meta"];  // a copy: rec loses "meta" below
    json out = {{"id", id},
                {"title", meta["title"]},
                {"status", meta["status"]},
                {"status_name", kStatusNames.count(meta["status"].get<std::string>())
                                    ? kStatusNames.at(meta["status"].get<std::string>())
                                    : meta["status"].get<std::string>()},
                {"format", meta["format"]},
                {"drawn_at", meta["drawn_at"]},
                {"confirmed_at", meta["confirmed_at"]},
                {"population", meta["population"]}};
    if (rec.value("commitment_only", false)) {
        out["matches"] = nullptr;
        out["message"] = meta["status"] == "abandoned" || meta["status"] == "discarded"
                             ? "该次抽取已放弃，只公布其承诺、时间、人员与原因，不公布抽取结果"
                             : "该次抽取尚未确认，只公布其承诺；确认后公布全部记录，可重算核验";
        out["differences"] = json::array();
    } else {
        auto v = verify(rec);
        json diffs = json::array();
        for (const auto& d : v.differences) diffs.push_back({{"field", d.field}, {"message", d.message}});
        out["matches"] = v.ok;
        out["message"] = v.ok ? "重算结果与公布的抽取结果一致" : "重算结果与公布的抽取结果不一致";
        out["differences"] = diffs;
    }
    rec.erase("meta");
    out["record"] = rec;
    // The attempt among its siblings, the people and the log (public by design).
    const auto att = public_attempts(pool, meta["task_id"].is_null() ? std::nullopt
                                                                      : std::optional<long long>(meta["task_id"].get<long long>()),
                                     std::nullopt, meta["task_id"].is_null() ? std::optional<long long>(id) : std::nullopt);
    for (const auto& a : att["items"])
        if (a["id"] == id) out["attempt"] = a;
    out["siblings"] = att["items"];
    out["log_head"] = att["log_head"];
    return out;
}

json public_attempts(pg::Pool& pool, std::optional<long long> task_id, std::optional<long long> plan_id,
                     std::optional<long long> draw_id) {
    return pg::with_read(pool, "draw-public-attempts", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where;
        json out = json::object();
        if (task_id) {
            auto t = pg::exec(tx, "SELECT name, plan_id FROM inspection_task WHERE id = $1", pg::Params().add(*task_id));
            if (t.empty()) throw not_found("抽查任务不存在");
            out["task"] = {{"id", *task_id}, {"name", t[0][0].c_str()}, {"plan_id", t[0][1].as<long long>()}};
            where = "d.task_id = " + p.next(std::to_string(*task_id)) + "::bigint";
        } else if (plan_id) {
            auto t = pg::exec(tx, "SELECT name FROM annual_plan WHERE id = $1", pg::Params().add(*plan_id));
            if (t.empty()) throw not_found("抽查计划不存在");
            out["plan"] = {{"id", *plan_id}, {"name", t[0][0].c_str()}};
            where = "t.plan_id = " + p.next(std::to_string(*plan_id)) + "::bigint";
        } else {
            where = "d.id = " + p.next(std::to_string(draw_id.value_or(0))) + "::bigint";
        }
        auto when = [](const char* col) {
            return std::string(" to_char(") + col + " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'),";
        };
        json items = json::array();
        std::map<long long, long long> per_task;
        const auto rows = pg::exec(
            tx,
            "SELECT d.id, d.title, d.task_id, t.name, d.status, d.format," + when("d.drawn_at") +
                when("d.witnessed_at") + when("d.revealed_at") + when("d.confirmed_at") +
                when("d.abandon_requested_at") + when("d.abandoned_at") +
                " coalesce(d.abandon_reason, d.discard_reason), u.name, wu.name, cu.name, aru.name, adu.name,"
                " encode(d.object_digest, 'hex'), encode(d.entropy_commitment, 'hex'), d.log_commit_seq,"
                " (SELECT coalesce(sum((s->>'population')::bigint), 0) FROM jsonb_array_elements(d.strata) s)"
                " FROM draw d LEFT JOIN inspection_task t ON t.id = d.task_id"
                " LEFT JOIN app_user_name u ON u.id = d.drawn_by LEFT JOIN app_user_name wu ON wu.id = d.witnessed_by"
                " LEFT JOIN app_user_name cu ON cu.id = d.confirmed_by"
                " LEFT JOIN app_user_name aru ON aru.id = coalesce(d.abandon_requested_by, d.discarded_by)"
                " LEFT JOIN app_user_name adu ON adu.id = d.abandon_decided_by WHERE " +
                where + " ORDER BY d.task_id NULLS LAST, d.id LIMIT 1000",
            p);
        for (const auto& r : rows) per_task[r[2].is_null() ? -r[0].as<long long>() : r[2].as<long long>()]++;
        std::map<long long, long long> seen;
        for (const auto& r : rows) {
            const long long key = r[2].is_null() ? -r[0].as<long long>() : r[2].as<long long>();
            auto t = [&](int i) { return r[i].is_null() ? json() : json(r[i].c_str()); };
            const std::string status = r[4].c_str();
            items.push_back(
                {{"id", r[0].as<long long>()},
                 {"title", r[1].c_str()},
                 {"task_id", r[2].is_null() ? json() : json(r[2].as<long long>())},
                 {"task_name", t(3)},
                 {"status", status},
                 {"status_name", kStatusNames.count(status) ? kStatusNames.at(status) : status},
                 {"format", r[5].as<int>()},
                 {"attempt_no", ++seen[key]},
                 {"attempt_count", per_task[key]},
                 {"committed_at", t(6)},
                 {"witnessed_at", t(7)},
                 {"revealed_at", t(8)},
                 {"confirmed_at", t(9)},
                 {"abandon_requested_at", t(10)},
                 {"abandoned_at", t(11)},
                 {"reason", t(12)},
                 {"people",
                  {{"drawer", t(13)}, {"witness", t(14)}, {"confirmer", t(15)}, {"abandon_requester", t(16)},
                   {"abandon_approver", t(17)}}},
                 {"object_digest", r[18].c_str()},
                 {"entropy_commitment", t(19)},
                 {"log_commit_seq", r[20].is_null() ? json() : json(r[20].as<long long>())},
                 {"population", r[21].as<long long>()}});
        }
        out["items"] = items;
        out["log_head"] = drawlog::head(tx);
        return out;
    });
}

// --- administration -----------------------------------------------------------------

json list_rules(pg::Pool& pool) {
    return pg::with_read(pool, "draw-rules", [&](pqxx::read_transaction& tx) {
        json items = json::array();
        for (const auto& row : pg::exec(tx,
                                        "SELECT code, name, description, enabled, locked, days, display_time(updated_at) FROM "
                                        "draw_filter_rule ORDER BY code"))
            items.push_back({{"code", row[0].c_str()},
                             {"name", row[1].c_str()},
                             {"description", row[2].c_str()},
                             {"enabled", row[3].as<bool>()},
                             {"locked", row[4].as<bool>()},
                             {"days", row[5].is_null() ? json() : json(row[5].as<int>())},
                             {"updated_at", row[6].c_str()}});
        auto s = pg::exec(tx, "SELECT value FROM draw_setting WHERE key = 'general_max_ratio_bp'");
        auto b = pg::exec(tx, "SELECT value FROM draw_setting WHERE key = 'require_beacon'");
        return json{{"items", items},
                    {"general_max_ratio_bp", s.empty() ? 500 : std::stoll(s[0][0].as<std::string>())},
                    {"require_beacon", !b.empty() && b[0][0].as<std::string>() == "true"}};
    });
}

json update_rule(pg::Pool& pool, const std::string& code, const json& body) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    pg::with_transaction(pool, "draw-rules", [&](pqxx::work& tx) {
        if (code == "require_beacon") {
            if (!body.contains("value") || !body["value"].is_boolean())
                throw invalid("bad_value", "是否要求公开信标应为 true 或 false", "value");
            pg::exec(tx, "UPDATE draw_setting SET value = $1 WHERE key = 'require_beacon'",
                     pg::Params().add(std::string(body["value"].get<bool>() ? "true" : "false")));
            return;
        }
        if (code == "general_max_ratio_bp") {
            if (!body.contains("value") || !body["value"].is_number_integer() || body["value"].get<long long>() < 1 ||
                body["value"].get<long long>() > 10000)
                throw invalid("bad_value", "最高抽取比例应为 1 至 10000（万分之一）", "value");
            pg::exec(tx, "UPDATE draw_setting SET value = $1 WHERE key = 'general_max_ratio_bp'",
                     pg::Params().add(std::to_string(body["value"].get<long long>())));
            return;
        }
        auto r = pg::exec(tx, "SELECT locked FROM draw_filter_rule WHERE code = $1 FOR UPDATE", pg::Params().add(code));
        if (r.empty()) throw not_found("过滤规则不存在");
        if (body.contains("enabled")) {
            if (!body["enabled"].is_boolean()) throw invalid("bad_enabled", "enabled 应为 true 或 false", "enabled");
            if (r[0][0].as<bool>() && !body["enabled"].get<bool>())
                throw conflict("rule_locked", "该规则保证同一对象不会同时处于两个未结束的抽取中，不能停用", "enabled");
            pg::exec(tx, "UPDATE draw_filter_rule SET enabled = $2 WHERE code = $1",
                     pg::Params().add(code).add(body["enabled"].get<bool>()));
        }
        if (body.contains("days")) {
            if (!body["days"].is_number_integer() || body["days"].get<int>() < 1 || body["days"].get<int>() > 3660)
                throw invalid("bad_days", "天数应为 1 至 3660", "days");
            if (code != "drawn_within_days") throw invalid("bad_days", "该规则没有天数参数", "days");
            pg::exec(tx, "UPDATE draw_filter_rule SET days = $2 WHERE code = $1",
                     pg::Params().add(code).add(body["days"].get<int>()));
        }
    });
    return list_rules(pool);
}

json list_recusals(pg::Pool& pool, std::optional<long long> inspector_id) {
    return pg::with_read(pool, "draw-recusals", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        std::string where = "TRUE";
        if (inspector_id) where += " AND r.inspector_id = " + p.next(std::to_string(*inspector_id)) + "::bigint";
        json items = json::array();
        for (const auto& row :
             pg::exec(tx,
                      "SELECT r.id, r.inspector_id, i.name, r.object_kind, r.object_id, r.reason, r.valid_from,"
                      " r.valid_until, display_time(r.created_at), CASE r.object_kind"
                      "  WHEN 'market_subject' THEN (SELECT o.name FROM market_subject o WHERE o.id = r.object_id)"
                      "  WHEN 'venue' THEN (SELECT o.name FROM venue o WHERE o.id = r.object_id)"
                      "  WHEN 'product' THEN (SELECT coalesce(o.product_name, '') || '（' || o.enterprise_name || '）'"
                      "   FROM product o WHERE o.id = r.object_id) END"
                      " FROM inspector_recusal r JOIN inspector i ON i.id = r.inspector_id"
                      " WHERE " +
                          where + " ORDER BY r.id DESC LIMIT 1000",
                      p))
            items.push_back({{"id", row[0].as<long long>()},
                             {"inspector_id", row[1].as<long long>()},
                             {"inspector_name", row[2].c_str()},
                             {"object_kind", row[3].is_null() ? json() : json(row[3].c_str())},
                             {"object_id", row[4].is_null() ? json() : json(row[4].as<long long>())},
                             {"reason", row[5].c_str()},
                             {"valid_from", row[6].c_str()},
                             {"valid_until", row[7].is_null() ? json() : json(row[7].c_str())},
                             {"created_at", row[8].c_str()},
                             {"object_name", row[9].is_null() ? json() : json(row[9].c_str())}});
        return json{{"items", items}};
    });
}

json add_recusal(pg::Pool& pool, const json& body) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    const auto inspector = opt_id(body, "inspector_id");
    if (!inspector) throw invalid("bad_inspector_id", "请选择执法人员", "inspector_id");
    if (body.contains("object_kind") && !body["object_kind"].is_null() && !body["object_kind"].is_string())
        throw invalid("bad_object_kind", "检查对象类型不正确", "object_kind");
    const std::string kind = body.contains("object_kind") && body["object_kind"].is_string() ? body["object_kind"].get<std::string>() : "";
    const auto object = opt_id(body, "object_id");
    if (!kind.empty() && !kKinds.count(kind)) throw invalid("bad_object_kind", "检查对象类型不正确", "object_kind");
    if (kind.empty() != !object)
        throw invalid("bad_object", "回避对象应同时给出类型与编号，或都不给（全部回避）", "object_id");
    const std::string reason = body.contains("reason") && body["reason"].is_string() ? body["reason"].get<std::string>() : "";
    if (reason.empty() || reason.size() > 1500)
        throw invalid("bad_reason", "请填写回避原因（不超过 500 字）", "reason");
    std::regex date_re("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
    auto date = [&](const char* key) -> std::optional<std::string> {
        if (!body.contains(key) || body[key].is_null() || body[key] == "") return std::nullopt;
        if (!body[key].is_string() || !std::regex_match(body[key].get<std::string>(), date_re))
            throw invalid("bad_date", "日期格式应为 YYYY-MM-DD", key);
        return body[key].get<std::string>();
    };
    const auto from = date("valid_from"), until = date("valid_until");
    return pg::with_transaction(pool, "draw-recusals", [&](pqxx::work& tx) {
        if (object) {
            auto r =
                pg::exec(tx, "SELECT 1 FROM " + pg::quote_ident(kind) + " WHERE id = $1", pg::Params().add(*object));
            if (r.empty()) throw invalid("unknown_object", "回避对象不存在", "object_id");
        }
        auto r = pg::exec(
            tx,
            "INSERT INTO inspector_recusal(inspector_id, object_kind, object_id, reason, valid_from, valid_until,"
            " created_by) VALUES ($1, $2, $3, $4, coalesce($5::date, current_date), $6::date, $7) RETURNING id",
            pg::Params()
                .add(*inspector)
                .add(kind.empty() ? std::nullopt : std::optional<std::string>(kind))
                .add(object ? std::optional<std::string>(std::to_string(*object)) : std::nullopt)
                .add(reason)
                .add(from)
                .add(until)
                .add(actor_user()));
        return json{{"id", r[0][0].as<long long>()}};
    });
}

void delete_recusal(pg::Pool& pool, long long id) {
    pg::with_transaction(pool, "draw-recusals", [&](pqxx::work& tx) {
        if (pg::exec(tx, "DELETE FROM inspector_recusal WHERE id = $1", pg::Params().add(id)).affected_rows() == 0)
            throw not_found("回避记录不存在");
    });
}

void set_draw_password(pg::Pool& pool, const std::string& login_password, const std::string& draw_password) {
    const auto& a = actor();
    if (!a.user_id) throw Error(Error::Kind::Unauthorized, "unauthenticated", "请先登录");
    if (draw_password.size() < 6 || draw_password.size() > 128)
        throw invalid("weak_draw_password", "双随机密码至少 6 位", "draw_password");
    pg::with_transaction(pool, "draw-password", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "SELECT password_hash FROM app_user WHERE id = $1", pg::Params().add(a.user_id));
        if (r.empty() || !accounts::verify_password(r[0][0].as<std::string>(), login_password))
            throw invalid("wrong_password", "登录密码不正确", "login_password");
        if (accounts::verify_password(r[0][0].as<std::string>(), draw_password))
            throw invalid("same_as_login", "双随机密码不能与登录密码相同", "draw_password");
        pg::exec(tx,
                 "INSERT INTO draw_password(user_id, password_hash) VALUES ($1, $2)"
                 " ON CONFLICT (user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash",
                 pg::Params().add(a.user_id).add(accounts::hash_password(draw_password)));
    });
}

bool has_draw_password(pg::Pool& pool) {
    const auto& a = actor();
    return pg::with_read(pool, "draw-password", [&](pqxx::read_transaction& tx) {
        return !pg::exec(tx, "SELECT 1 FROM draw_password WHERE user_id = $1", pg::Params().add(a.user_id)).empty();
    });
}

// --- scans ---------------------------------------------------------------------------

json add_scan(pg::Pool& pool, const std::string& data_dir, long long draw_id, const std::string& filename,
              const std::string& bytes, size_t max_bytes) {
    files::check_upload(bytes, max_bytes);
    const std::string type = files::sniff(bytes);
    if (type.empty())
        throw Error(Error::Kind::Unsupported, "unsupported_type", "只接受 PDF、JPEG 或 PNG 格式的签字扫描件或照片");
    std::string name = filename.empty() ? "签字记录" : filename;
    if (name.size() > 600) name = name.substr(0, 600);
    // The draw first (exists, visible to the caller, has a record to sign), so a refused
    // upload leaves no file behind (issue 12 §5).
    pg::with_read(pool, "draw-scan-check", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, "SELECT status FROM draw WHERE id = $1", pg::Params().add(draw_id));
        if (r.empty()) throw not_found("抽取记录不存在");
        const std::string status = r[0][0].as<std::string>();
        if (status != "confirmed" && status != "revealed" && status != "draft")
            throw conflict("draw_not_signable", "该抽取尚无可签字的抽取结果（未揭示或已放弃），不能上传签字记录", "status")
                .with("state", status);
    });
    const std::string hex = [&] {
        Digest d;
        const auto raw = accounts::sha256(bytes);
        std::copy(raw.begin(), raw.end(), d.begin());
        return to_hex(d);
    }();
    const auto dir = std::filesystem::path(data_dir) / "draw-scans";
    std::filesystem::create_directories(dir);
    const auto file = dir / hex;
    if (!std::filesystem::exists(file)) {
        const auto tmp = dir / (hex + ".part");
        {
            std::ofstream out(tmp, std::ios::binary);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            if (!out) throw Error(Error::Kind::Internal, "write_failed", "保存文件失败");
        }
        std::filesystem::rename(tmp, file);
    }
    return pg::with_transaction(pool, "draw-scan", [&](pqxx::work& tx) {
        if (pg::exec(tx, "SELECT 1 FROM draw WHERE id = $1", pg::Params().add(draw_id)).empty())
            throw not_found("抽取记录不存在");
        auto r = pg::exec(tx,
                          "INSERT INTO draw_scan(draw_id, filename, content_type, size, sha256, uploaded_by)"
                          " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                          pg::Params()
                              .add(draw_id)
                              .add(name)
                              .add(type)
                              .add(static_cast<long long>(bytes.size()))
                              .add(hex)
                              .add(actor_user()));
        const auto& a = actor();
        pg::exec(tx,
                 "INSERT INTO draw_attempt(user_id, unit_id, address, action, draw_id, outcome, message)"
                 " VALUES ($1, $2, $3, 'upload_scan', $4, 'ok', $5)",
                 pg::Params()
                     .add(actor_user())
                     .add(a.unit_id ? std::optional<std::string>(std::to_string(a.unit_id)) : std::nullopt)
                     .add(a.address)
                     .add(draw_id)
                     .add("上传签字记录：" + name));
        return json{{"id", r[0][0].as<long long>()}, {"content_type", type}, {"size", bytes.size()}, {"sha256", hex}};
    });
}

ScanFile get_scan(pg::Pool& pool, const std::string& data_dir, long long scan_id) {
    auto row = pg::with_read(pool, "draw-scan", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, "SELECT content_type, filename, sha256 FROM draw_scan WHERE id = $1",
                          pg::Params().add(scan_id));
        if (r.empty()) throw not_found("扫描件不存在");
        return std::array<std::string, 3>{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    });
    std::ifstream in(std::filesystem::path(data_dir) / "draw-scans" / row[2], std::ios::binary);
    if (!in) throw not_found("扫描件文件不存在");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return {row[0], row[1], bytes};
}

}  // namespace twindraw::draw
