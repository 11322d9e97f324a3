// Publication over HTTP (PUB-1..3, docs/publication.md). The department's routes
// (结果公示) need publish.manage; deciding a correction needs result.correct.approve (the
// department head); the public routes under /api/public/ need no login and read the
// published snapshot only.
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/publication-public.hpp"
#include "workflows/publication.hpp"
#include "workflows/xlsx-writer.hpp"

#include <map>
#include <regex>
#include <utility>
#include <vector>

namespace twindraw::server {

namespace {

// An export holds at most this many rows (the page says so when it is cut).
constexpr long long kExportLimit = 10000;

publication::PublicQuery public_query_of(const Request& req) {
    publication::PublicQuery q;
    q.q = req.query_value("q").value_or("");
    q.uscc = req.query_value("uscc").value_or("");
    q.district = req.query_value("district").value_or("");
    q.task = req.query_value("task").value_or("");
    q.category = req.query_value("category").value_or("");
    q.from = req.query_value("from").value_or("");
    q.to = req.query_value("to").value_or("");
    q.page = params::query_positive(req, "page").value_or(1);
    q.page_size = params::query_positive(req, "page_size").value_or(20);
    return q;
}

}  // namespace

void register_publication_routes(Router& router, App& app) {
    const std::string staff = "结果公示", open = "信息公开", json = "application/json";

    // --- the department: 结果公示 (PUB-2, PUB-3) ---
    router.add({"GET",
                "/api/publication/results",
                "publish.manage",
                "待公示、已公示的检查结果（公示期限、剩余工作日、逾期标记），限本人数据范围",
                staff,
                [&app](const Request& req) {
                    publication::Filter f;
                    f.status = req.query_value("status").value_or("awaiting");
                    f.task_id = params::query_positive(req, "task_id");
                    f.q = req.query_value("q").value_or("");
                    const auto late = req.query_value("late").value_or("");
                    if (!late.empty() && late != "0" && late != "1")
                        throw bad_request("bad_late", "参数 late 应为 0 或 1", "late");
                    f.late_only = late == "1";
                    f.page = params::query_positive(req, "page").value_or(1);
                    f.page_size = params::query_positive(req, "page_size").value_or(20);
                    return Response::json(200, publication::list(app.pool, params::flow_actor(req), f));
                },
                {"status", "task_id", "q", "late", "page", "page_size"}});
    router.add({"GET", "/api/publication/results/{id}", "publish.manage",
                "检查结果的公示详情（公示版本、更正申请、流转记录）", staff, [&app](const Request& req) {
                    return Response::json(200,
                                          publication::get(app.pool, params::flow_actor(req), params::path_id(req)));
                }});
    router.add({"POST",
                "/api/publication/publish",
                "publish.manage",
                "公示检查结果 {job_ids:[…], opinion?}（一次一条或多条，全部成功或全部不公示）",
                staff,
                [&app](const Request& req) {
                    return Response::json(200,
                                          publication::publish(app.pool, params::flow_actor(req), req.json_body()));
                },
                {},
                json});
    router.add({"POST",
                "/api/publication/results/{id}/corrections",
                "publish.manage",
                "申请更正已公示的检查结果 {reason, result_category, qualified?, findings?}",
                staff,
                [&app](const Request& req) {
                    return Response::json(201, publication::request_correction(app.pool, params::flow_actor(req),
                                                                               params::path_id(req), req.json_body()));
                },
                {},
                json});
    router.add({"GET",
                "/api/publication/corrections",
                "result.correct.approve",
                "公示结果更正申请（state=pending|approved|refused|all）",
                staff,
                [&app](const Request& req) {
                    return Response::json(
                        200, publication::list_corrections(app.pool, params::flow_actor(req),
                                                           req.query_value("state").value_or("pending"),
                                                           params::query_positive(req, "page").value_or(1),
                                                           params::query_positive(req, "page_size").value_or(20)));
                },
                {"state", "page", "page_size"}});
    router.add({"POST",
                "/api/publication/corrections/{id}/approve",
                "result.correct.approve",
                "部门负责人批准更正 {opinion?}：生成新版本，原版本保留",
                staff,
                [&app](const Request& req) {
                    return Response::json(
                        200, publication::decide_correction(app.pool, params::flow_actor(req), params::path_id(req),
                                                            true, params::body_object(req)));
                },
                {},
                json});
    router.add({"POST",
                "/api/publication/corrections/{id}/refuse",
                "result.correct.approve",
                "部门负责人不予更正 {opinion}（理由必填）",
                staff,
                [&app](const Request& req) {
                    return Response::json(
                        200, publication::decide_correction(app.pool, params::flow_actor(req), params::path_id(req),
                                                            false, params::body_object(req)));
                },
                {},
                json});

    // --- the public: 信息公开 (PUB-1), no login, published data only ---
    const std::vector<std::string> public_q = {"q",    "uscc", "district", "task",     "category",
                                               "from", "to",   "page",     "page_size"};
    const std::vector<std::pair<std::string, publication::Dataset>> sets = {
        {"results", publication::Dataset::Results},
        {"enterprises", publication::Dataset::Enterprises},
        {"inspectors", publication::Dataset::Inspectors},
        {"tasks", publication::Dataset::Tasks}};
    const std::map<std::string, std::string> labels = {{"results", "已公示的抽查结果"},
                                                       {"enterprises", "被抽查企业（有已公示结果的）"},
                                                       {"inspectors", "执法检查人员（姓名、执法证号）"},
                                                       {"tasks", "已公示结果的抽查任务"}};
    for (const auto& [name, set] : sets) {
        const auto d = set;
        const std::string label = labels.at(name);
        router.add({"GET", "/api/public/" + name + "/export.xlsx", "public", "导出" + label + "（Excel，无需登录）",
                    open,
                    [&app, d](const Request& req) {
                        auto t = publication::public_table(app.pool, d, public_query_of(req), kExportLimit);
                        return Response::download(xlsx::export_rows_xlsx(t.headers, t.rows, t.title),
                                                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                                  t.title + ".xlsx");
                    },
                    public_q});
        router.add({"GET", "/api/public/" + name + "/export.csv", "public", "导出" + label + "（CSV，无需登录）", open,
                    [&app, d](const Request& req) {
                        auto t = publication::public_table(app.pool, d, public_query_of(req), kExportLimit);
                        return Response::download(publication::to_csv(t), "text/csv; charset=utf-8", t.title + ".csv");
                    },
                    public_q});
        router.add({"GET", "/api/public/" + name, "public", "查询" + label + "（分页，每页至多 100 条，无需登录）",
                    open,
                    [&app, d](const Request& req) {
                        return Response::json(200, publication::public_query(app.pool, d, public_query_of(req)));
                    },
                    public_q});
    }
    router.add({"GET", "/api/public/results/{id}", "public", "一条已公示的抽查结果及其更正记录（无需登录）", open,
                [&app](const Request& req) {
                    return Response::json(200, publication::public_result(app.pool, params::path_id(req)));
                }});
    router.add({"GET", "/api/public/result-filters", "public", "公示查询条件的选项：区县、检查结果类别、抽查任务", open,
                [&app](const Request&) { return Response::json(200, publication::public_filters(app.pool)); }});
}

}  // namespace twindraw::server
