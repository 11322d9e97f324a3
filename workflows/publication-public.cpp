#include "workflows/publication-public.hpp"

#include "geo/error.hpp"
#include "workflows/flow-history.hpp"
#include "workflows/working-days.hpp"

#include <regex>

namespace twindraw::publication {

namespace {

using nlohmann::json;

// The published results with their current version: the only rows the public sees.
const char* kBase =
    " FROM result_publication p"
    " JOIN result_version v ON v.publication_id = p.id AND v.version = p.version";

// The WHERE clause of a query (parameters in p); `name_field` is what q searches.
std::string where_of(Dataset d, const PublicQuery& q, pg::Params& p) {
    std::string w = " WHERE true";
    if (!q.q.empty()) {
        const std::string like = p.next("%" + pg::like_escape(q.q) + "%");
        switch (d) {
            case Dataset::Results:
            case Dataset::Enterprises:
                w += " AND (p.enterprise_name ILIKE " + like + " OR p.uscc ILIKE " + like + ")";
                break;
            case Dataset::Inspectors:
                w += " AND x.name ILIKE " + like;
                break;
            case Dataset::Tasks:
                w += " AND p.task_name ILIKE " + like;
                break;
        }
    }
    if (!q.uscc.empty()) w += " AND p.uscc = " + p.next(q.uscc);
    if (!q.district.empty()) w += " AND p.division_code = " + p.next(q.district);
    if (!q.task.empty()) w += " AND p.task_name ILIKE " + p.next("%" + pg::like_escape(q.task) + "%");
    if (!q.category.empty()) w += " AND v.result_category = " + p.next(q.category);
    if (!q.from.empty()) w += " AND p.published_on >= " + p.next(q.from) + "::date";
    if (!q.to.empty()) w += " AND p.published_on <= " + p.next(q.to) + "::date";
    return w;
}

struct Shape {
    std::string select;  // columns
    std::string from;    // after kBase
    std::string group;   // GROUP BY …, or ""
    std::string order;
    std::vector<std::string> keys;     // JSON names of the columns
    std::vector<std::string> headers;  // Chinese export headers, same order
    std::string title;
};

const Shape& shape(Dataset d) {
    static const Shape results = {
        "p.id, p.enterprise_name, p.uscc, p.district_name, p.task_name, p.unit_name,"
        " to_char(p.inspected_on, 'YYYY-MM-DD'), v.result_category, v.result_category_label,"
        " CASE v.qualified WHEN true THEN '合格' WHEN false THEN '不合格' END, v.findings,"
        " to_char(p.published_on, 'YYYY-MM-DD'), p.version::text, p.draw_id::text",
        "",
        "",
        " ORDER BY p.published_on DESC, p.id DESC",
        {"id", "enterprise_name", "uscc", "district", "task_name", "unit_name", "inspected_on", "result_category",
         "result_category_label", "qualified", "findings", "published_on", "version", "draw_id"},
        {"公示编号", "企业名称", "统一社会信用代码", "所在区县", "抽查任务", "实施部门", "检查日期", "检查结果代码",
         "检查结果", "是否合格", "检查情况", "公示日期", "版本", "抽取记录编号"},
        "抽查结果公示"};
    static const Shape enterprises = {
        "p.enterprise_name, p.uscc, min(p.district_name), string_agg(DISTINCT p.task_name, '；'),"
        " count(*)::text, to_char(max(p.published_on), 'YYYY-MM-DD')",
        "",
        " GROUP BY p.enterprise_name, p.uscc",
        " ORDER BY max(p.published_on) DESC, p.enterprise_name, p.uscc",
        {"enterprise_name", "uscc", "district", "tasks", "results", "last_published_on"},
        {"企业名称", "统一社会信用代码", "所在区县", "抽查任务", "公示结果数", "最近公示日期"},
        "被抽查企业"};
    static const Shape inspectors = {
        "x.name, x.certificate_no, string_agg(DISTINCT p.task_name, '；'), count(*)::text",
        " CROSS JOIN LATERAL jsonb_to_recordset(p.inspectors) AS x(name text, certificate_no text)",
        " GROUP BY x.name, x.certificate_no",
        " ORDER BY x.name, x.certificate_no",
        {"name", "certificate_no", "tasks", "results"},
        {"姓名", "执法证号", "参与的抽查任务", "检查结果数"},
        "执法检查人员"};
    static const Shape tasks = {
        "min(p.task_name), min(p.unit_name), to_char(max(p.completed_on), 'YYYY-MM-DD'), count(*)::text,"
        " to_char(min(p.published_on), 'YYYY-MM-DD'), to_char(max(p.published_on), 'YYYY-MM-DD'),"
        " count(*) FILTER (WHERE p.version > 1)::text, min(p.draw_id)::text",
        "",
        " GROUP BY p.task_id, CASE WHEN p.task_id IS NULL THEN p.draw_id END",
        " ORDER BY max(p.published_on) DESC, min(p.task_name)",
        {"task_name", "unit_name", "completed_on", "results", "first_published_on", "last_published_on", "corrected",
         "draw_id"},
        {"抽查任务", "实施部门", "任务完成日期", "公示结果数", "首次公示日期", "最近公示日期", "更正结果数",
         "抽取记录编号"},
        "抽查任务"};
    switch (d) {
        case Dataset::Results:
            return results;
        case Dataset::Enterprises:
            return enterprises;
        case Dataset::Inspectors:
            return inspectors;
        case Dataset::Tasks:
            break;
    }
    return tasks;
}

json cell(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.c_str());
}

}  // namespace

void check(const PublicQuery& q) {
    if (flow::utf8_length(q.q) > 100) throw bad_request("bad_q", "关键字过长", "q");
    if (flow::utf8_length(q.task) > 100) throw bad_request("bad_task", "任务名称关键字过长", "task");
    if (!q.uscc.empty() && !std::regex_match(q.uscc, std::regex("^[0-9A-Z]{18}$")))
        throw bad_request("bad_uscc", "统一社会信用代码应为 18 位数字或大写字母", "uscc");
    if (!q.district.empty() && !std::regex_match(q.district, std::regex("^[0-9]{6}$")))
        throw bad_request("bad_district", "区县代码应为 6 位数字", "district");
    if (!q.category.empty() && !std::regex_match(q.category, std::regex("^[A-Za-z0-9_.-]{1,40}$")))
        throw bad_request("bad_category", "检查结果类别代码不正确", "category");
    for (const auto& [value, name] : {std::pair{&q.from, "from"}, std::pair{&q.to, "to"}})
        if (!value->empty() && !calendar::parse_date(*value))
            throw bad_request(std::string("bad_") + name, "日期格式应为 YYYY-MM-DD", name);
    if (!q.from.empty() && !q.to.empty() && q.from > q.to)
        throw bad_request("bad_range", "开始日期不能晚于结束日期", "from");
    if (q.page < 1 || q.page > 100000) throw bad_request("bad_page", "页码不正确", "page");
    if (q.page_size < 1 || q.page_size > 100) throw bad_request("bad_page_size", "每页条数应为 1 至 100", "page_size");
}

json public_query(pg::Pool& pool, Dataset d, const PublicQuery& q) {
    check(q);
    const Shape& s = shape(d);
    return pg::with_read(pool, "public-publication", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        const std::string body = kBase + s.from + where_of(d, q, p) + s.group;
        const long long total = pg::exec(tx, "SELECT count(*) FROM (SELECT 1" + body + ") n", p)[0][0].as<long long>();
        json items = json::array();
        for (const auto& r : pg::exec(tx,
                                      "SELECT " + s.select + body + s.order + " LIMIT " + std::to_string(q.page_size) +
                                          " OFFSET " + std::to_string((q.page - 1) * q.page_size),
                                      p)) {
            json item = json::object();
            for (size_t i = 0; i < s.keys.size(); ++i) item[s.keys[i]] = cell(r[static_cast<int>(i)]);
            // The draw that chose the result: the public re-check page /public/draws/{id}.
            if (item.contains("draw_id") && item["draw_id"].is_string())
                item["draw_id"] = std::stoll(item["draw_id"].get<std::string>());
            if (d == Dataset::Results) {
                item["id"] = r[0].as<long long>();
                item["version"] = r[12].as<int>();
                item["corrected"] = r[12].as<int>() > 1;
            }
            items.push_back(item);
        }
        return json{{"items", items}, {"total", total}, {"page", q.page}, {"page_size", q.page_size}};
    });
}

json public_result(pg::Pool& pool, long long publication_id) {
    return pg::with_read(pool, "public-result", [&](pqxx::read_transaction& tx) {
        const Shape& s = shape(Dataset::Results);
        auto r = pg::exec(tx, "SELECT " + s.select + ", p.inspectors::text" + kBase + " WHERE p.id = $1",
                          pg::Params().add(publication_id));
        if (r.empty()) throw not_found("公示结果不存在");
        json out = json::object();
        for (size_t i = 0; i < s.keys.size(); ++i) out[s.keys[i]] = cell(r[0][static_cast<int>(i)]);
        out["id"] = publication_id;
        out["version"] = r[0][12].as<int>();
        out["corrected"] = r[0][12].as<int>() > 1;
        out["inspectors"] = json::parse(r[0][static_cast<int>(s.keys.size())].c_str());
        if (out["draw_id"].is_string()) out["draw_id"] = std::stoll(out["draw_id"].get<std::string>());
        // 更正记录: every earlier version, with the reason and date of the correction
        // that replaced it.
        json history = json::array();
        for (const auto& v : pg::exec(tx,
                                      "SELECT v.version, v.result_category_label,"
                                      " CASE v.qualified WHEN true THEN '合格' WHEN false THEN '不合格' END,"
                                      " v.findings, c.reason, to_char(n.created_at AT TIME ZONE 'Asia/Shanghai',"
                                      " 'YYYY-MM-DD')"
                                      " FROM result_version v"
                                      " JOIN result_version n ON n.publication_id = v.publication_id"
                                      "  AND n.version = v.version + 1"
                                      " LEFT JOIN result_correction c ON c.id = n.correction_id"
                                      " WHERE v.publication_id = $1 ORDER BY v.version DESC",
                                      pg::Params().add(publication_id)))
            history.push_back({{"version", v[0].as<int>()},
                               {"result_category_label", v[1].c_str()},
                               {"qualified", cell(v[2])},
                               {"findings", cell(v[3])},
                               {"reason", cell(v[4])},
                               {"corrected_on", v[5].c_str()}});
        out["corrections"] = history;
        return out;
    });
}

json public_filters(pg::Pool& pool) {
    return pg::with_read(pool, "public-filters", [&](pqxx::read_transaction& tx) {
        json districts = json::array(), categories = json::array(), tasks = json::array();
        for (const auto& r : pg::exec(tx,
                                      "SELECT division_code, min(district_name) FROM result_publication"
                                      " WHERE division_code IS NOT NULL GROUP BY division_code ORDER BY division_code"))
            districts.push_back({{"code", r[0].c_str()}, {"name", cell(r[1])}});
        for (const auto& r : pg::exec(tx,
                                      "SELECT v.result_category, min(v.result_category_label) FROM result_publication p"
                                      " JOIN result_version v ON v.publication_id = p.id AND v.version = p.version"
                                      " GROUP BY v.result_category ORDER BY v.result_category"))
            categories.push_back({{"code", r[0].c_str()}, {"label", r[1].c_str()}});
        for (const auto& r :
             pg::exec(tx, "SELECT DISTINCT task_name FROM result_publication ORDER BY task_name LIMIT 500"))
            tasks.push_back(r[0].c_str());
        return json{{"districts", districts}, {"categories", categories}, {"tasks", tasks}};
    });
}

Table public_table(pg::Pool& pool, Dataset d, const PublicQuery& q, long long max_rows) {
    check(q);
    const Shape& s = shape(d);
    return pg::with_read(pool, "public-export", [&](pqxx::read_transaction& tx) {
        pg::Params p;
        Table t{s.title, s.headers, {}};
        for (const auto& r : pg::exec(tx,
                                      "SELECT " + s.select + kBase + s.from + where_of(d, q, p) + s.group + s.order +
                                          " LIMIT " + std::to_string(max_rows),
                                      p)) {
            std::vector<std::string> row;
            for (size_t i = 0; i < s.keys.size(); ++i) {
                const auto& f = r[static_cast<int>(i)];
                row.push_back(f.is_null() ? "" : f.c_str());
            }
            t.rows.push_back(std::move(row));
        }
        return t;
    });
}

std::string to_csv(const Table& t) {
    auto field = [](std::string v) {
        if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
        if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
        std::string out = "\"";
        for (char c : v) {
            if (c == '"') out += '"';
            out += c;
        }
        return out + "\"";
    };
    std::string out = "\xEF\xBB\xBF";
    auto line = [&](const std::vector<std::string>& cells) {
        for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + field(cells[i]);
        out += "\r\n";
    };
    line(t.headers);
    for (const auto& r : t.rows) line(r);
    return out;
}

}  // namespace twindraw::publication
