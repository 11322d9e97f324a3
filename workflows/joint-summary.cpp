#include "workflows/joint-summary.hpp"

#include "geo/error.hpp"
#include "workflows/file-store.hpp"
#include "workflows/job-states.hpp"
#include "workflows/notify.hpp"
#include "workflows/registry-repo.hpp"

#include <array>
#include <chrono>
#include <map>

namespace twindraw::joint_summary {

namespace {

using nlohmann::json;
using registry::FieldError;

const char* kXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::optional<std::string> opt_id(long long v) {
    return v ? std::optional<std::string>(std::to_string(v)) : std::nullopt;
}

// Well-formed UTF-8 (no overlong forms, no surrogates): text that PostgreSQL will take.
bool valid_utf8(const std::string& s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 9;
        if (n == 9 || (n == 1 && c < 0xC2) || (n > 0 && i + n >= s.size())) return false;
        unsigned cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k <= n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        if (cp == 0) return false;
        i += n + 1;
    }
    return true;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

size_t chars(const std::string& s) {
    return flow::utf8_length(s);
}

// A calendar date YYYY-MM-DD.
bool is_date(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    const std::chrono::year_month_day d{std::chrono::year(std::stoi(s.substr(0, 4))),
                                        std::chrono::month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
                                        std::chrono::day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))};
    return d.ok() && static_cast<int>(d.year()) >= 2000;
}

// The checked fields: 422 with one error per field.
Fields checked(const Fields& in) {
    Fields f{trimmed(in.filename), trimmed(in.summary_date), trimmed(in.conclusion), trimmed(in.summary)};
    std::vector<FieldError> errors;
    for (const auto& [name, value] : std::vector<std::pair<const char*, const std::string*>>{
             {"filename", &f.filename}, {"conclusion", &f.conclusion}, {"summary", &f.summary}})
        if (!valid_utf8(*value)) errors.push_back({name, "bad_text", "内容含有无效字符"});
    if (f.summary_date.empty())
        errors.push_back({"summary_date", "required", "请填写汇总日期"});
    else if (!is_date(f.summary_date))
        errors.push_back({"summary_date", "bad_date", "汇总日期格式应为 YYYY-MM-DD"});
    if (f.conclusion.empty())
        errors.push_back({"conclusion", "required", "请填写检查结论"});
    else if (chars(f.conclusion) > 200)
        errors.push_back({"conclusion", "too_long", "检查结论不能超过 200 字"});
    if (chars(f.summary) > 2000) errors.push_back({"summary", "too_long", "汇总情况不能超过 2000 字"});
    if (!errors.empty()) throw registry::ValidationError(std::move(errors));
    f.filename = files::clip_utf8(f.filename.empty() ? "联合检查汇总表" : f.filename, 200);
    return f;
}

json version_json(const pqxx::row& r) {
    json departments = json::parse(r[11].c_str());
    return {{"id", r[0].as<long long>()},
            {"job_id", r[1].as<long long>()},
            {"version_no", r[2].as<int>()},
            {"filename", r[3].as<std::string>()},
            {"content_type", r[4].as<std::string>()},
            {"size", r[5].as<long long>()},
            {"sha256", r[6].as<std::string>()},
            {"summary_date", r[7].as<std::string>()},
            {"conclusion", r[8].as<std::string>()},
            {"summary", r[9].as<std::string>()},
            {"job_state", r[10].as<std::string>()},
            {"departments", departments},
            {"uploaded_by_name", r[12].is_null() ? json(nullptr) : json(r[12].c_str())},
            {"uploaded_unit_name", r[13].is_null() ? json(nullptr) : json(r[13].c_str())},
            {"uploaded_at", r[14].as<std::string>()}};
}

const char* kVersionSelect =
    "SELECT s.id, s.job_id, s.version_no, s.filename, s.content_type, s.size, s.sha256,"
    " to_char(s.summary_date, 'YYYY-MM-DD'), s.conclusion, s.summary, s.job_state,"
    " (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name)"
    "   ORDER BY array_position(s.department_ids, a.id)), '[]')::text"
    "   FROM authority a WHERE a.id = ANY (s.department_ids)),"
    " un.name, ua.name, to_char(s.uploaded_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"
    " FROM joint_summary s LEFT JOIN app_user_name un ON un.id = s.uploaded_by"
    " LEFT JOIN authority ua ON ua.id = s.uploaded_unit";

bool ready(const std::string& state) {
    return state == "submitted" || state == "accepted";
}

}  // namespace

std::string sniff_type(const std::string& b) {
    if (std::string type = files::sniff(b); !type.empty()) return type;
    // An Office Open XML workbook: a ZIP whose entries (names stored uncompressed in the
    // local and central headers) include the workbook part and the content types.
    if (b.rfind(std::string("PK\x03\x04", 4), 0) == 0 && b.find("xl/workbook.xml") != std::string::npos &&
        b.find("[Content_Types].xml") != std::string::npos)
        return kXlsx;
    return "";
}

json for_task(pg::Pool& pool, const flow::FlowActor& actor, long long task_id) {
    return pg::with_read(pool, "joint-summary-list", [&](pqxx::read_transaction& tx) {
        if (!pg::exec(tx, "SELECT joint_summary_task_visible($1::bigint)", pg::Params().add(task_id))[0][0].as<bool>())
            throw not_found("抽查任务不存在");
        auto t =
            pg::exec(tx,
                     "SELECT t.name, t.task_type, t.initiating_authority_id, a.name,"
                     " joint_summary_is_lead(t.id),"
                     " (SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'role', 'cooperating')"
                     "   ORDER BY array_position(t.cooperating_authority_ids, c.id)), '[]')::text"
                     "   FROM authority c WHERE c.id = ANY (t.cooperating_authority_ids))"
                     " FROM inspection_task t JOIN authority a ON a.id = t.initiating_authority_id"
                     " WHERE t.id = $1::bigint",
                     pg::Params().add(task_id));
        if (t.empty()) throw not_found("抽查任务不存在");
        const bool joint = t[0][1].as<std::string>() == "joint";
        const bool lead = t[0][4].as<bool>();
        json departments = json::array();
        departments.push_back({{"id", t[0][2].as<long long>()}, {"name", t[0][3].c_str()}, {"role", "initiating"}});
        for (auto& d : json::parse(t[0][5].c_str())) departments.push_back(d);
        json out = {{"task_id", task_id},
                    {"task_name", t[0][0].c_str()},
                    {"joint", joint},
                    {"lead", {{"id", t[0][2].as<long long>()}, {"name", t[0][3].c_str()}}},
                    {"departments", departments},
                    {"is_lead", lead},
                    {"can_upload", joint && lead && actor.has("joint.summary.upload")},
                    {"jobs", json::array()}};
        long long n_ready = 0, n_with = 0;
        if (joint) {
            std::map<long long, json> versions;
            for (const auto& r : pg::exec(
                     tx,
                     std::string(kVersionSelect) + " WHERE s.task_id = $1::bigint ORDER BY s.job_id, s.version_no DESC",
                     pg::Params().add(task_id))) {
                auto& v = versions[r[1].as<long long>()];
                if (v.is_null()) v = json::array();
                v.push_back(version_json(r));
            }
            for (const auto& r :
                 pg::exec(tx,
                          "SELECT job_id, job_no, state, object_name, to_char(inspected_on, 'YYYY-MM-DD'),"
                          " result_category, (SELECT e.label FROM dict_entry e JOIN dict_category c ON c.id ="
                          " e.category_id WHERE c.code = 'check_result' AND e.code = result_category)"
                          " FROM joint_summary_jobs($1::bigint)",
                          pg::Params().add(task_id))) {
                const long long job = r[0].as<long long>();
                const std::string state = r[2].as<std::string>();
                json vs = versions.count(job) ? versions[job] : json::array();
                if (ready(state)) ++n_ready;
                if (!vs.empty()) ++n_with;
                out["jobs"].push_back({{"job_id", job},
                                       {"job_no", r[1].as<std::string>()},
                                       {"state", state},
                                       {"state_label", jobs::state_label(state)},
                                       {"object_name", r[3].is_null() ? json(nullptr) : json(r[3].c_str())},
                                       {"inspected_on", r[4].is_null() ? json(nullptr) : json(r[4].c_str())},
                                       {"result_category_label", r[6].is_null() ? json(nullptr) : json(r[6].c_str())},
                                       {"ready", ready(state)},
                                       {"current", vs.empty() ? json(nullptr) : vs[0]},
                                       {"versions", vs}});
            }
        }
        out["counts"] = {{"jobs", out["jobs"].size()}, {"ready", n_ready}, {"with_summary", n_with}};
        return out;
    });
}

json upload(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long job_id,
            const Fields& fields, const std::string& bytes, size_t max_bytes) {
    files::check_upload(bytes, max_bytes);
    const std::string type = sniff_type(bytes);
    if (type.empty())
        throw Error(Error::Kind::Unsupported, "unsupported_type", "联合检查汇总表只接受 PDF、JPEG、PNG 或 XLSX 文件");
    const Fields f = checked(fields);
    const std::string hex = files::sha256_hex(bytes);
    return pg::with_transaction(pool, "joint-summary-upload", [&](pqxx::work& tx) {
        if (pg::exec(tx, "SELECT $1::date > (now() AT TIME ZONE 'Asia/Shanghai')::date",
                     pg::Params().add(f.summary_date))[0][0]
                .as<bool>())
            throw registry::ValidationError({{"summary_date", "future", "汇总日期不能晚于今天"}});
        auto j =
            pg::exec(tx, "SELECT task_id, state, job_no, task_type, task_name FROM joint_summary_lock_job($1::bigint)",
                     pg::Params().add(job_id));
        if (j.empty()) throw not_found("检查作业不存在");
        const long long task_id = j[0][0].as<long long>();
        const std::string state = j[0][1].as<std::string>(), job_no = j[0][2].as<std::string>();
        const std::string task_name = j[0][4].as<std::string>();
        if (j[0][3].as<std::string>() != "joint")
            throw conflict("not_joint_task", "该作业不属于联合抽查任务，无需上传联合检查汇总表")
                .with("state", state)
                .with("task_type", j[0][3].as<std::string>());
        if (!pg::exec(tx, "SELECT joint_summary_is_lead($1::bigint)", pg::Params().add(task_id))[0][0].as<bool>())
            throw forbidden("not_lead_department", "只有联合抽查任务的牵头部门（发起部门）可以上传联合检查汇总表");
        if (!ready(state))
            throw conflict("job_not_ready",
                           "当前检查结果状态为“" + jobs::state_label(state) + "”，检查结果提交后才能上传联合检查汇总表")
                .with("state", state)
                .with("action", "joint_summary");
        files::put(data_dir, hex, bytes);  // before the row (file-store.hpp)
        auto r =
            pg::exec(tx,
                     "INSERT INTO joint_summary(task_id, job_id, version_no, filename, content_type, size, sha256,"
                     " summary_date, conclusion, summary, department_ids, job_state, uploaded_by, uploaded_unit)"
                     " SELECT $1::bigint, $2::bigint,"
                     "  (SELECT coalesce(max(version_no), 0) + 1 FROM joint_summary WHERE job_id = $2::bigint),"
                     "  $3, $4, $5::bigint, $6, $7::date, $8, $9,"
                     "  ARRAY[t.initiating_authority_id] || t.cooperating_authority_ids, $10, $11::bigint, $12::bigint"
                     " FROM inspection_task t WHERE t.id = $1::bigint RETURNING id, version_no",
                     pg::Params()
                         .add(task_id)
                         .add(job_id)
                         .add(f.filename)
                         .add(type)
                         .add(static_cast<long long>(bytes.size()))
                         .add(hex)
                         .add(f.summary_date)
                         .add(f.conclusion)
                         .add(f.summary)
                         .add(state)
                         .add(opt_id(actor.user_id))
                         .add(opt_id(actor.unit_id)));
        const long long id = r[0][0].as<long long>();
        const int version = r[0][1].as<int>();
        flow::record(tx, "job", job_id, "joint_summary", state, state,
                     "上传联合检查汇总表（第 " + std::to_string(version) + " 版）：" + f.conclusion, actor,
                     actor.unit_id);
        // The cooperating departments' staff who read the task page (TASK-2): message,
        // e-mail and SMS through the outbox.
        std::vector<long long> cooperating;
        for (const auto& c : pg::exec(tx, "SELECT unnest(cooperating_authority_ids) FROM inspection_task WHERE id = $1",
                                      pg::Params().add(task_id)))
            cooperating.push_back(c[0].as<long long>());
        const auto users = notify::recipients(tx, cooperating, "task.read");
        const size_t told =
            notify::users(tx, users, "task", "联合检查汇总表已上传：" + job_no,
                          "联合抽查任务“" + task_name + "”作业 " + job_no + " 的联合检查汇总表（第 " +
                              std::to_string(version) + " 版）已由牵头部门上传。检查结论：" + f.conclusion,
                          "/random/tasks/" + std::to_string(task_id));
        auto v = pg::exec(tx, std::string(kVersionSelect) + " WHERE s.id = $1::bigint", pg::Params().add(id));
        json out = version_json(v[0]);
        out["notified"] = told;
        return out;
    });
}

json for_job(pg::Pool& pool, long long job_id) {
    return pg::with_read(pool, "joint-summary-job", [&](pqxx::read_transaction& tx) {
        // The job under its own row-level security (its units, its group, 0013/0023):
        // whoever opens the job page; inspection_task's policy (0038) admits the task of a
        // job its inspectors work on.
        auto j = pg::exec(tx,
                          "SELECT j.task_id, j.state, t.task_type, t.initiating_authority_id, a.name"
                          " FROM inspection_job j LEFT JOIN inspection_task t ON t.id = j.task_id"
                          " LEFT JOIN authority a ON a.id = t.initiating_authority_id WHERE j.id = $1::bigint",
                          pg::Params().add(job_id));
        if (j.empty()) throw not_found("检查作业不存在");
        const std::string state = j[0][1].as<std::string>();
        const bool joint = !j[0][2].is_null() && j[0][2].as<std::string>() == "joint";
        json out = {{"job_id", job_id},
                    {"task_id", j[0][0].is_null() ? json(nullptr) : json(j[0][0].as<long long>())},
                    {"joint", joint},
                    {"state", state},
                    {"state_label", jobs::state_label(state)},
                    {"ready", joint && ready(state)},
                    {"current", nullptr},
                    {"versions", json::array()}};
        if (!joint) return out;
        out["lead"] = {{"id", j[0][3].as<long long>()}, {"name", j[0][4].c_str()}};
        // Versions under joint_summary's policies: the task's departments, and the job's
        // own group, whose members sign the summary (0029).
        for (const auto& r :
             pg::exec(tx, std::string(kVersionSelect) + " WHERE s.job_id = $1::bigint ORDER BY s.version_no DESC",
                      pg::Params().add(job_id)))
            out["versions"].push_back(version_json(r));
        if (!out["versions"].empty()) out["current"] = out["versions"][0];
        return out;
    });
}

File get_job_file(pg::Pool& pool, const std::string& data_dir, long long summary_id) {
    auto row = pg::with_read(pool, "joint-summary-job-file", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx,
                          "SELECT s.content_type, s.filename, s.sha256 FROM joint_summary s"
                          " JOIN inspection_job j ON j.id = s.job_id WHERE s.id = $1::bigint",
                          pg::Params().add(summary_id));
        if (r.empty()) throw not_found("联合检查汇总表不存在");
        return std::array<std::string, 3>{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    });
    return {row[0], row[1], files::get(data_dir, row[2])};
}

File get_file(pg::Pool& pool, const std::string& data_dir, const flow::FlowActor& actor, long long summary_id) {
    (void)actor;  // row-level security of joint_summary decides what the actor sees
    auto row = pg::with_read(pool, "joint-summary-file", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, "SELECT content_type, filename, sha256 FROM joint_summary WHERE id = $1::bigint",
                          pg::Params().add(summary_id));
        if (r.empty()) throw not_found("联合检查汇总表不存在");
        return std::array<std::string, 3>{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str()};
    });
    return {row[0], row[1], files::get(data_dir, row[2])};
}

}  // namespace twindraw::joint_summary
