#include "workflows/stats.hpp"

#include "geo/error.hpp"
#include "workflows/registry-repo.hpp"

namespace twindraw::stats {

namespace {

// One statement, so every number comes from the same snapshot. Parameters: $1 year,
// $2 department (NULL: all), $3 district (NULL: all), $4 whole city (the public portal,
// run without an actor; signed-in requests pass false and get their scope).
//
// sc     the scope: whether it spans every unit, its units, its division-code areas
// dep    the chosen department and its sub-units
// dist   the districts (counties) of the scope: counties where a department sits
// task   approved tasks of plans of the year, with an executing unit in the scope (and
//        in the department)
// job    jobs (row-level security of inspection_job) with their object's county (row-
//        level security of the object tables), of those tasks or inspected in the year
// done   inspections done in the year: results submitted or accepted, by inspection date
// task_county  a task is carried out in the counties of its executing units and of the
//        objects of its jobs
const char* kOverviewSql = R"SQL(
WITH sc AS MATERIALIZED (
  SELECT ($4::boolean OR twindraw_scope_all()) AS all_units,
         twindraw_scope_units() AS units,
         CASE WHEN $4::boolean THEN ARRAY['']::text[] ELSE twindraw_scope_areas() END AS areas),
dep AS MATERIALIZED (
  SELECT s.id FROM scope_units($2::bigint, 'unit_tree') s WHERE $2::bigint IS NOT NULL),
dist AS MATERIALIZED (
  SELECT d.code, d.name FROM division d, sc
   WHERE d.level = 3
     AND EXISTS (SELECT 1 FROM authority a WHERE left(a.division_code, 6) = d.code)
     AND EXISTS (SELECT 1 FROM unnest(sc.areas) ar WHERE d.code LIKE ar || '%' OR ar LIKE d.code || '%')),
task AS MATERIALIZED (
  SELECT t.id, t.plan_id FROM inspection_task t JOIN annual_plan p ON p.id = t.plan_id, sc
   WHERE p.year = $1::int AND t.state = 'approved'
     AND (sc.all_units OR EXISTS (SELECT 1 FROM task_unit tu WHERE tu.task_id = t.id AND tu.authority_id = ANY (sc.units)))
     AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM task_unit tu JOIN dep ON dep.id = tu.authority_id
                                          WHERE tu.task_id = t.id))),
job AS MATERIALIZED (
  SELECT j.id, j.task_id, j.unit_id, j.object_kind, j.object_id, j.inspector_ids, j.item_ids, j.state,
         j.inspected_on, c.county,
         (j.qualified IS FALSE OR coalesce(j.result_category, '01') NOT IN ('01', '02')) AS problem
    FROM inspection_job j
    LEFT JOIN market_subject ms ON j.object_kind = 'market_subject' AND ms.id = j.object_id
    LEFT JOIN venue v ON j.object_kind = 'venue' AND v.id = j.object_id
    LEFT JOIN product pr ON j.object_kind = 'product' AND pr.id = j.object_id
    CROSS JOIN LATERAL (SELECT left(coalesce(ms.division_code, v.division_code, pr.division_code), 6) AS county) c
   WHERE c.county IN (SELECT code FROM dist)
     AND (j.task_id IN (SELECT id FROM task)
          OR (j.inspected_on >= make_date($1::int, 1, 1) AND j.inspected_on < make_date($1::int + 1, 1, 1)))
     AND ($2::bigint IS NULL OR j.unit_id IN (SELECT id FROM dep)
          OR EXISTS (SELECT 1 FROM task_unit tu JOIN dep ON dep.id = tu.authority_id WHERE tu.task_id = j.task_id))),
done AS MATERIALIZED (
  SELECT * FROM job
   WHERE state IN ('submitted', 'accepted')
     AND inspected_on >= make_date($1::int, 1, 1) AND inspected_on < make_date($1::int + 1, 1, 1)),
task_county AS MATERIALIZED (
  SELECT tu.task_id, left(a.division_code, 6) AS county
    FROM task_unit tu JOIN authority a ON a.id = tu.authority_id, sc
   WHERE tu.task_id IN (SELECT id FROM task)
     AND (sc.all_units OR tu.authority_id = ANY (sc.units))
     AND ($2::bigint IS NULL OR tu.authority_id IN (SELECT id FROM dep))
     AND left(a.division_code, 6) IN (SELECT code FROM dist)
  UNION
  SELECT task_id, county FROM job WHERE task_id IN (SELECT id FROM task)),
f_task AS MATERIALIZED (
  SELECT id, plan_id FROM task
   WHERE $3::text IS NULL OR id IN (SELECT task_id FROM task_county WHERE county = $3::text)),
f_done AS MATERIALIZED (
  SELECT * FROM done WHERE $3::text IS NULL OR county = $3::text),
f_unit AS MATERIALIZED (
  SELECT DISTINCT tu.task_id, tu.authority_id
    FROM task_unit tu JOIN authority a ON a.id = tu.authority_id, sc
   WHERE tu.task_id IN (SELECT id FROM f_task)
     AND (sc.all_units OR tu.authority_id = ANY (sc.units))
     AND ($2::bigint IS NULL OR tu.authority_id IN (SELECT id FROM dep))
     AND ($3::text IS NULL OR left(a.division_code, 6) = $3::text)),
plan AS MATERIALIZED (
  SELECT p.id FROM annual_plan p, sc
   WHERE p.year = $1::int AND p.state = 'distributed'
     AND (sc.all_units OR p.initiating_authority_id = ANY (sc.units)
          OR p.cooperating_authority_ids && sc.units OR p.target_unit_ids && sc.units)
     AND ($2::bigint IS NULL OR p.initiating_authority_id IN (SELECT id FROM dep)
          OR p.cooperating_authority_ids && ARRAY(SELECT id FROM dep))
     AND ($3::text IS NULL OR p.id IN (SELECT plan_id FROM f_task)))
SELECT
  (SELECT json_build_object(
     'departments_active', (SELECT count(DISTINCT authority_id) FROM f_unit),
     'plans', (SELECT count(*) FROM plan),
     'tasks', (SELECT count(*) FROM f_task),
     'inspections', (SELECT count(*) FROM f_done),
     'enterprises_inspected', (SELECT count(DISTINCT (object_kind, object_id)) FROM f_done),
     'problem_enterprises', (SELECT count(DISTINCT (object_kind, object_id)) FROM f_done WHERE problem),
     'items', (SELECT count(DISTINCT i) FROM f_done, unnest(item_ids) i),
     'inspectors', (SELECT count(DISTINCT i) FROM f_done, unnest(inspector_ids) i),
     'inspector_times', (SELECT coalesce(sum(cardinality(inspector_ids)), 0) FROM f_done))),
  (SELECT coalesce(json_agg(json_build_object(
            'code', d.code, 'name', d.name, 'tasks', coalesce(t.n, 0), 'inspections', coalesce(j.n, 0),
            'enterprises_inspected', coalesce(j.e, 0), 'problem_enterprises', coalesce(j.p, 0))
          ORDER BY d.code), '[]')
     FROM dist d
     LEFT JOIN (SELECT county, count(DISTINCT task_id) AS n FROM task_county GROUP BY county) t ON t.county = d.code
     LEFT JOIN (SELECT county, count(*) AS n, count(DISTINCT (object_kind, object_id)) AS e,
                       count(DISTINCT (object_kind, object_id)) FILTER (WHERE problem) AS p
                  FROM done GROUP BY county) j ON j.county = d.code),
  (SELECT coalesce(json_agg(json_build_object('id', x.id, 'name', x.name, 'tasks', x.tasks,
                                              'inspections', x.inspections) ORDER BY x.rk), '[]')
     FROM (SELECT a.id, a.name, u.tasks, coalesce(j.n, 0) AS inspections,
                  row_number() OVER (ORDER BY u.tasks DESC, coalesce(j.n, 0) DESC, a.id) AS rk
             FROM (SELECT authority_id, count(DISTINCT task_id) AS tasks FROM f_unit GROUP BY authority_id) u
             JOIN authority a ON a.id = u.authority_id
             LEFT JOIN (SELECT unit_id, count(*) AS n FROM f_done GROUP BY unit_id) j ON j.unit_id = a.id) x
    WHERE x.rk <= 10),
  (SELECT coalesce(json_agg(json_build_object('id', x.id, 'name', x.name, 'inspections', x.n,
                                              'enterprises', x.e) ORDER BY x.rk), '[]')
     FROM (SELECT it.id, it.name, g.n, g.e, row_number() OVER (ORDER BY g.n DESC, g.e DESC, it.id) AS rk
             FROM (SELECT i, count(*) AS n, count(DISTINCT (object_kind, object_id)) AS e
                     FROM f_done, unnest(item_ids) i GROUP BY i) g
             JOIN inspection_item it ON it.id = g.i) x
    WHERE x.rk <= 10),
  (SELECT coalesce(json_agg(json_build_object('date', to_char(day, 'YYYY-MM-DD'), 'inspections', n) ORDER BY day), '[]')
     FROM (SELECT inspected_on AS day, count(*) AS n FROM f_done GROUP BY inspected_on) g)
)SQL";

// The departments a selector offers: every unit of the scope, bureaus first.
const char* kDepartmentsSql = R"SQL(
SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name, 'kind', a.kind)
                ORDER BY CASE a.kind WHEN 'market_bureau' THEN 0 WHEN 'sub_office' THEN 1 ELSE 2 END, a.division_code, a.id), '[]')
  FROM authority a
 WHERE (SELECT twindraw_scope_all()) OR a.id = ANY ((SELECT twindraw_scope_units())::bigint[])
)SQL";

// Whether the department exists and lies in the scope; whether the district is one of
// the scope (the same rule as dist above).
const char* kCheckSql = R"SQL(
SELECT
  $1::bigint IS NULL OR EXISTS (SELECT 1 FROM authority a WHERE a.id = $1::bigint
                                  AND ($3::boolean OR twindraw_scope_all() OR a.id = ANY (twindraw_scope_units()))),
  $2::text IS NULL OR EXISTS (
    SELECT 1 FROM division d
     WHERE d.code = $2::text AND d.level = 3
       AND EXISTS (SELECT 1 FROM authority a WHERE left(a.division_code, 6) = d.code)
       AND EXISTS (SELECT 1 FROM unnest(CASE WHEN $3::boolean THEN ARRAY['']::text[] ELSE twindraw_scope_areas() END) ar
                    WHERE d.code LIKE ar || '%' OR ar LIKE d.code || '%'))
)SQL";

void check_year(long long year) {
    if (year < 2000 || year > 2100)
        throw registry::ValidationError({{"year", "out_of_range", "年度应在 2000–2100 之间"}});
}

nlohmann::json run(pqxx::transaction_base& tx, const Query& q, bool whole_city) {
    pg::Params p;
    p.add(std::to_string(q.year));
    if (q.department_id)
        p.add(std::to_string(*q.department_id));
    else
        p.null();
    if (q.district.empty())
        p.null();
    else
        p.add(q.district);
    p.add(whole_city);

    pg::Params check;
    check.add(q.department_id ? std::optional<std::string>(std::to_string(*q.department_id)) : std::nullopt);
    check.add(q.district.empty() ? std::optional<std::string>() : std::optional<std::string>(q.district));
    check.add(whole_city);
    auto c = pg::exec(tx, kCheckSql, check);
    std::vector<registry::FieldError> errors;
    if (!c[0][0].as<bool>())
        errors.push_back({"department_id", "unknown_department", "部门不存在或不在您的数据范围内"});
    if (!c[0][1].as<bool>()) errors.push_back({"district", "unknown_district", "区县不存在或不在您的数据范围内"});
    if (!errors.empty()) throw registry::ValidationError(std::move(errors));

    auto r = pg::exec(tx, kOverviewSql, p);
    const auto& row = r[0];
    nlohmann::json out = {{"year", q.year},
                          {"department_id", q.department_id ? nlohmann::json(*q.department_id) : nlohmann::json()},
                          {"district", q.district.empty() ? nlohmann::json() : nlohmann::json(q.district)},
                          {"summary", nlohmann::json::parse(row[0].c_str())},
                          {"districts", nlohmann::json::parse(row[1].c_str())},
                          {"top_departments", nlohmann::json::parse(row[2].c_str())},
                          {"top_items", nlohmann::json::parse(row[3].c_str())},
                          {"per_day", nlohmann::json::parse(row[4].c_str())}};
    return out;
}

}  // namespace

nlohmann::json overview(pg::Pool& pool, const Query& q) {
    check_year(q.year);
    return pg::with_read(pool, "stats-overview", [&](pqxx::read_transaction& tx) {
        auto out = run(tx, q, false);
        out["departments"] = nlohmann::json::parse(pg::exec(tx, kDepartmentsSql)[0][0].c_str());
        return out;
    });
}

nlohmann::json public_overview(pg::Pool& pool, long long year) {
    check_year(year);
    // Without an actor: the owner reads the whole city, whoever is signed in.
    pg::ActorScope none{pg::Actor{}};
    return pg::with_read(pool, "stats-public", [&](pqxx::read_transaction& tx) {
        Query q;
        q.year = year;
        auto out = run(tx, q, true);
        out.erase("department_id");
        out.erase("district");
        return out;
    });
}

nlohmann::json district_map(pg::Pool& pool) {
    static const char* sql = R"SQL(
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', d.code,
         'properties', json_build_object('code', d.code, 'name', d.name),
         'geometry', ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(d.geom, 0.001)), 5)::json) ORDER BY d.code), '[]'))
  FROM division d
 WHERE d.level = 3 AND d.geom IS NOT NULL
   AND EXISTS (SELECT 1 FROM authority a WHERE left(a.division_code, 6) = d.code)
   AND EXISTS (SELECT 1 FROM unnest(twindraw_scope_areas()) ar WHERE d.code LIKE ar || '%' OR ar LIKE d.code || '%')
)SQL";
    return pg::with_read(pool, "stats-map", [&](pqxx::read_transaction& tx) {
        return nlohmann::json::parse(pg::exec(tx, sql)[0][0].c_str());
    });
}

}  // namespace twindraw::stats
