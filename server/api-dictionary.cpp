// The data dictionary and the working-day calendar (SYS-4; the calendar behind every
// deadline in working days).
#include "server/app.hpp"
#include "server/request-params.hpp"
#include "workflows/dictionary.hpp"
#include "workflows/working-days.hpp"

namespace twindraw::server {

namespace {

int year_param(const Request& req) {
    const std::string& v = req.params.at("year");
    if (v.size() != 4 || v.find_first_not_of("0123456789") != std::string::npos)
        throw bad_request("bad_year", "年份格式不正确（应为四位数字）", "year");
    int y = std::stoi(v);
    if (y < 1900 || y > 2200) throw bad_request("bad_year", "年份超出范围", "year");
    return y;
}

}  // namespace

void register_dictionary_routes(Router& router, App& app) {
    router.add({"GET", "/api/dict/categories", "authenticated", "数据字典分类（关键字）", "数据字典",
                [&app](const Request& req) {
                    return Response::json(200, dictionary::list_categories(app.pool, params::query_text(req, "q")));
                },
                {"q"}});

    router.add({"POST", "/api/dict/categories", "system.dict", "新增数据字典分类", "数据字典",
                [&app](const Request& req) {
                    return Response::json(201, dictionary::save_category(app.pool, 0, req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/dict/categories/{id}", "system.dict", "修改数据字典分类", "数据字典",
                [&app](const Request& req) {
                    return Response::json(200, dictionary::save_category(app.pool, params::path_id(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"DELETE", "/api/dict/categories/{id}", "system.dict", "删除数据字典分类及其条目", "数据字典",
                [&app](const Request& req) {
                    dictionary::delete_category(app.pool, params::path_id(req));
                    return Response::no_content();
                }});

    router.add({"GET", "/api/dict/entries", "authenticated", "数据字典条目（分类、关键字、启用状态筛选）", "数据字典",
                [&app](const Request& req) {
                    dictionary::EntryQuery q;
                    q.category_id = params::query_int(req, "category_id", 0, 0, 1LL << 62);
                    q.category_code = params::query_text(req, "category");
                    q.keyword = params::query_text(req, "q");
                    q.enabled = params::query_bool(req, "enabled");
                    q.page = params::query_int(req, "page", 1, 1, 1000000);
                    q.page_size = params::query_int(req, "page_size", 50, 1, 500);
                    return Response::json(200, dictionary::list_entries(app.pool, q));
                },
                {"category_id", "category", "q", "enabled", "page", "page_size"}});

    router.add({"POST", "/api/dict/entries", "system.dict", "新增数据字典条目", "数据字典",
                [&app](const Request& req) {
                    return Response::json(201, dictionary::save_entry(app.pool, 0, req.json_body()));
                },
                {}, "application/json"});

    router.add({"PUT", "/api/dict/entries/{id}", "system.dict", "修改数据字典条目（名称、编码、排序、启用、备注）", "数据字典",
                [&app](const Request& req) {
                    return Response::json(200, dictionary::save_entry(app.pool, params::path_id(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"DELETE", "/api/dict/entries/{id}", "system.dict", "删除数据字典条目", "数据字典",
                [&app](const Request& req) {
                    dictionary::delete_entry(app.pool, params::path_id(req));
                    return Response::no_content();
                }});

    router.add({"GET", "/api/calendar/years", "authenticated", "工作日历：各年份的节假日、调休天数与来源", "工作日历",
                [&app](const Request&) { return Response::json(200, calendar::list_years(app.pool)); }});

    router.add({"GET", "/api/calendar/add", "authenticated", "计算某日之后第 N 个工作日（年份未公布安排时标记为暂定）",
                "工作日历",
                [&app](const Request& req) {
                    auto from = calendar::parse_date(req.query_value("from").value_or(""));
                    if (!from) throw bad_request("bad_query", "起始日期格式不正确（应为 YYYY-MM-DD）", "from");
                    int n = static_cast<int>(params::query_int(req, "days", 0, 0, 3650));
                    auto out = pg::with_read(app.pool, "calendar", [&](pqxx::read_transaction& tx) {
                        return calendar::load(tx).add_working_days(*from, n);
                    });
                    return Response::json(200, {{"from", calendar::format_date(*from)},
                                                {"days", n},
                                                {"date", calendar::format_date(out.date)},
                                                {"provisional", out.provisional}});
                },
                {"from", "days"}});

    router.add({"GET", "/api/calendar/{year}", "authenticated", "某年的节假日与调休上班日", "工作日历",
                [&app](const Request& req) { return Response::json(200, calendar::get_year(app.pool, year_param(req))); }});

    router.add({"PUT", "/api/calendar/{year}", "system.dict", "设置某年的节假日与调休上班日（整年替换）", "工作日历",
                [&app](const Request& req) {
                    return Response::json(200, calendar::put_year(app.pool, year_param(req), req.json_body()));
                },
                {}, "application/json"});

    router.add({"DELETE", "/api/calendar/{year}", "system.dict", "删除某年的安排（该年按周一至周五暂定计算）", "工作日历",
                [&app](const Request& req) {
                    calendar::delete_year(app.pool, year_param(req));
                    return Response::no_content();
                }});
}

}  // namespace twindraw::server
