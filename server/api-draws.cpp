// The draws over HTTP (DRAW-1..11, VERIFY-1): preview, run, confirm with the draw
// password, discard, get, the draw log and attempts, the record export (JSON, PDF),
// scans of the signed record, filter rules, recusals, the draw password, and the public
// verification GET /api/public/draws/{id} (no login).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/draw-pdf.hpp"
#include "workflows/draw-log.hpp"
#include "workflows/draw-public.hpp"
#include "workflows/draw-repo.hpp"

#include <regex>
#include <set>

namespace twindraw::server {

namespace {

long long path_id(const Request& req, const std::string& name = "id") {
    const auto& v = req.params.at(name);
    if (!std::regex_match(v, std::regex("^[1-9][0-9]{0,17}$"))) throw bad_request("bad_id", "编号格式不正确", name);
    return std::stoll(v);
}

long long query_number(const Request& req, const std::string& name, long long fallback, long long max) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return fallback;
    if (!std::regex_match(*v, std::regex("^[1-9][0-9]{0,8}$")) || std::stoll(*v) > max)
        throw bad_request("bad_" + name, "参数 " + name + " 应为 1 至 " + std::to_string(max) + " 的整数", name);
    return std::stoll(*v);
}

std::optional<long long> query_id(const Request& req, const std::string& name) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return std::nullopt;
    if (!std::regex_match(*v, std::regex("^[1-9][0-9]{0,17}$")))
        throw bad_request("bad_" + name, "参数 " + name + " 应为正整数", name);
    return std::stoll(*v);
}

// A text field of a JSON body: absent or null is "", another type is a 400 naming it.
std::string text_field(const nlohmann::json& body, const std::string& key) {
    if (!body.is_object()) throw bad_request("bad_json", "请求体应为 JSON 对象");
    if (!body.contains(key) || body[key].is_null()) return "";
    if (!body[key].is_string()) throw invalid("bad_" + key, "字段 " + key + " 应为文本", key);
    return body[key].get<std::string>();
}

std::string public_url(const Request& req, long long id) {
    // The page address printed as a QR code: the host the client used.
    std::string host = req.header("host").value_or("127.0.0.1:8080");
    if (!std::regex_match(host, std::regex("^[A-Za-z0-9.\\-:\\[\\]]{1,100}$"))) host = "127.0.0.1:8080";
    const std::string scheme = req.header("x-forwarded-proto").value_or("http") == "https" ? "https" : "http";
    return scheme + "://" + host + "/public/draws/" + std::to_string(id);
}

}  // namespace

void register_draw_routes(Router& router, App& app) {
    const std::string tag = "随机抽取";
    router.add({"POST",
                "/api/draws/preview",
                "draw.run",
                "预览候选总体：各层（风险×信用）人数、应抽数量与执法人员库人数",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, draw::preview(app.pool, draw::parse_request(req.json_body())));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws",
                "draw.run",
                "执行一次抽取（检查对象与执法人员，一个事务），结果为待确认",
                tag,
                [&app](const Request& req) {
                    draw::DrawRequest parsed;
                    try {
                        parsed = draw::parse_request(req.json_body());
                    } catch (const Error& e) {
                        draw::log_attempt(app.pool, "run", std::nullopt, std::nullopt, "refused", e.code(), e.message(),
                                          nlohmann::json());
                        throw;
                    }
                    return Response::json(201, draw::run(app.pool, parsed));
                },
                {},
                "application/json"});

    router.add({"GET",
                "/api/draws",
                "draw.read",
                "抽取记录（抽取日志），按状态、任务筛选",
                tag,
                [&app](const Request& req) {
                    const std::string status = req.query_value("status").value_or("");
                    static const std::set<std::string> known = {"draft",     "confirmed", "discarded", "committed",
                                                                "witnessed", "revealed",  "abandoned"};
                    if (!status.empty() && !known.count(status))
                        throw bad_request("bad_status",
                                          "状态应为 committed、witnessed、revealed、confirmed、abandoned、draft 或 discarded",
                                          "status");
                    return Response::json(
                        200, draw::list(app.pool, query_number(req, "page", 1, 1000000),
                                        query_number(req, "page_size", 20, 200), status, query_id(req, "task_id")));
                },
                {"page", "page_size", "status", "task_id"}});

    router.add({"GET",
                "/api/draws/attempts",
                "draw.read",
                "抽取操作日志：每一次操作，包括被拒绝的",
                tag,
                [&app](const Request& req) {
                    return Response::json(
                        200, draw::attempts(app.pool, query_number(req, "page", 1, 1000000),
                                            query_number(req, "page_size", 20, 200), query_id(req, "draw_id")));
                },
                {"page", "page_size", "draw_id"}});

    router.add({"GET", "/api/draws/{id}", "draw.read", "抽取详情：分组、组长、组员、检查对象、摘要与种子", tag,
                [&app](const Request& req) { return Response::json(200, draw::get(app.pool, path_id(req))); }});

    router.add({"POST",
                "/api/draws/{id}/confirm",
                "draw.run",
                "以双随机密码确认抽取结果（确认后不可更改）",
                tag,
                [&app](const Request& req) {
                    const auto pw = text_field(req.json_body(), "password");
                    if (pw.empty()) throw invalid("missing_password", "请输入双随机密码", "password");
                    return Response::json(200, draw::confirm(app.pool, path_id(req), pw));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/discard",
                "draw.run",
                "申请放弃未确认的抽取（同 /abandon：须填写原因，经另一位负责人批准后生效）",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, draw::discard(app.pool, path_id(req), text_field(req.json_body(), "reason")));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/witness",
                "draw.witness",
                "监督人员录入见证值 {witness}（16 至 64 位十六进制；须有监督人员权限 draw.witness，且不是抽取人）",
                tag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          draw::witness(app.pool, path_id(req), text_field(req.json_body(), "witness")));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/reveal",
                "draw.run",
                "抽取人录入公开信标值 {beacon} 并揭示结果（本局要求公开信标时）",
                tag,
                [&app](const Request& req) {
                    return Response::json(200,
                                          draw::reveal(app.pool, path_id(req), text_field(req.json_body(), "beacon")));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/abandon",
                "draw.run",
                "申请放弃未确认的抽取 {reason}（经另一位部门负责人批准后生效，公开记录）",
                tag,
                [&app](const Request& req) {
                    return Response::json(
                        200, draw::abandon_request(app.pool, path_id(req), text_field(req.json_body(), "reason")));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/abandon/approve",
                "draw.change.approve",
                "批准放弃抽取 {opinion?}（申请人、抽取人本人不能审批）",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, draw::abandon_decide(app.pool, path_id(req), true,
                                                                    text_field(req.json_body(), "opinion")));
                },
                {},
                "application/json"});

    router.add({"POST",
                "/api/draws/{id}/abandon/refuse",
                "draw.change.approve",
                "不予批准放弃抽取 {opinion}（须填写理由）",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, draw::abandon_decide(app.pool, path_id(req), false,
                                                                    text_field(req.json_body(), "opinion")));
                },
                {},
                "application/json"});

    router.add({"GET", "/api/draws/{id}/record.json", "draw.read", "导出抽取记录（可用 twindraw draw verify 离线复核）",
                tag, [&app](const Request& req) {
                    const long long id = path_id(req);
                    return Response::download(draw::record(app.pool, id).dump(1), "application/json",
                                              "draw-" + std::to_string(id) + ".json");
                }});

    router.add({"GET", "/api/draws/{id}/record.pdf", "draw.read", "打印抽取记录（PDF，含签字栏与复核二维码）", tag,
                [&app](const Request& req) {
                    const long long id = path_id(req);
                    const auto d = draw::get(app.pool, id);
                    // Only a result can be printed and signed: not a bare commitment, not
                    // an abandoned attempt.
                    if (d["result_groups"].empty())
                        throw conflict("draw_not_revealed", "该抽取尚未揭示结果或已放弃，没有可打印签字的抽取记录",
                                       "status")
                            .with("state", d["status"].get<std::string>());
                    return Response::download(draw::record_pdf(d, public_url(req, id)),
                                              "application/pdf", "抽取记录-" + std::to_string(id) + ".pdf");
                }});

    router.add({"POST",
                "/api/draws/{id}/scans",
                "draw.run",
                "上传签字后的抽取记录扫描件或照片（请求体为文件原始内容）",
                tag,
                [&app](const Request& req) {
                    std::string name = req.query_value("filename").value_or("");
                    return Response::json(201,
                                          draw::add_scan(app.pool, app.data_dir, path_id(req), name, req.body,
                                                         std::min<size_t>(app.max_upload_bytes, 20u * 1024u * 1024u)));
                },
                {"filename"},
                "application/octet-stream"});

    router.add({"GET", "/api/draw-scans/{id}", "draw.read", "下载签字记录扫描件", tag, [&app](const Request& req) {
                    auto f = draw::get_scan(app.pool, app.data_dir, path_id(req));
                    return Response::download(std::move(f.bytes), f.content_type, f.filename);
                }});

    router.add({"GET", "/api/draw-rules", "draw.read", "抽取过滤规则与一般事项最高抽取比例", tag,
                [&app](const Request&) { return Response::json(200, draw::list_rules(app.pool)); }});

    router.add({"PUT",
                "/api/draw-rules",
                "draw.manage",
                "修改过滤规则 {code, enabled, days} 或最高抽取比例 {code: general_max_ratio_bp, value}",
                tag,
                [&app](const Request& req) {
                    // The rules and the ratio cap apply to every draw of the city: only
                    // a city-level administrator (scope all) changes them (issue 12, SYS-8;
                    // row-level security of 0034 says the same).
                    if (req.principal->data_scope != "all")
                        throw forbidden("city_admin_only", "抽取规则适用于全市，只有市级管理员可以修改");
                    const auto body = req.json_body();
                    const std::string code = body.value("code", "");
                    if (!std::regex_match(code, std::regex("^[a-z_]{1,60}$")))
                        throw invalid("bad_code", "规则代码格式不正确", "code");
                    return Response::json(200, draw::update_rule(app.pool, code, body));
                },
                {},
                "application/json"});

    router.add({"GET",
                "/api/draw-recusals",
                "draw.read",
                "执法回避记录",
                tag,
                [&app](const Request& req) {
                    return Response::json(200, draw::list_recusals(app.pool, query_id(req, "inspector_id")));
                },
                {"inspector_id"}});

    router.add(
        {"POST",
         "/api/draw-recusals",
         "draw.manage",
         "登记执法回避（对某一对象或一段时间内全部回避）",
         tag,
         [&app](const Request& req) { return Response::json(201, draw::add_recusal(app.pool, req.json_body())); },
         {},
         "application/json"});

    router.add({"DELETE", "/api/draw-recusals/{id}", "draw.manage", "删除回避记录", tag, [&app](const Request& req) {
                    draw::delete_recusal(app.pool, path_id(req));
                    return Response::no_content();
                }});

    router.add({"GET", "/api/draws-password", "draw.run", "当前用户是否已设置双随机密码", tag, [&app](const Request&) {
                    return Response::json(200, {{"set", draw::has_draw_password(app.pool)}});
                }});

    router.add({"PUT",
                "/api/draws-password",
                "draw.run",
                "设置或修改双随机密码（须验证登录密码）",
                tag,
                [&app](const Request& req) {
                    const auto body = req.json_body();
                    draw::set_draw_password(app.pool, text_field(body, "login_password"),
                                            text_field(body, "draw_password"));
                    return Response::json(200, {{"set", true}});
                },
                {},
                "application/json"});

    router.add({"GET",
                "/api/public/draw-log",
                "public",
                "公开抽取日志：每一次承诺、见证、揭示、确认与放弃，哈希链接，附链头（无需登录）",
                "公开",
                [&app](const Request& req) {
                    return Response::json(200, draw::drawlog::entries(app.pool, query_number(req, "page", 1, 1000000),
                                                                      query_number(req, "page_size", 50, 500),
                                                                      query_id(req, "draw_id")));
                },
                {"page", "page_size", "draw_id"}});

    router.add({"GET", "/api/public/tasks/{id}/draws", "public",
                "公开：一个抽查任务的每一次抽取（含已放弃的），时间、人员与原因（无需登录）", "公开",
                [&app](const Request& req) {
                    return Response::json(200, draw::public_attempts(app.pool, path_id(req), std::nullopt));
                }});

    router.add({"GET", "/api/public/plans/{id}/draws", "public",
                "公开：一个抽查计划各任务的每一次抽取（含已放弃的）（无需登录）", "公开", [&app](const Request& req) {
                    return Response::json(200, draw::public_attempts(app.pool, std::nullopt, path_id(req)));
                }});

    router.add({"GET", "/api/public/draws/{id}", "public", "公开复核：按公布的记录重算抽取并说明是否一致（无需登录）",
                "公开", [&app](const Request& req) {
                    auto v = draw::public_verification(app.pool, path_id(req));
                    v["names"] = draw::public_names(app.pool, v);
                    return Response::json(200, v);
                }});
}

}  // namespace twindraw::server
