// Password reset through an SMS code (AUTH-3): public routes, rate limited per account
// and per address (workflows/account-reset.hpp).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "workflows/account-reset.hpp"

namespace twindraw::server {

namespace {

std::string text_field(const nlohmann::json& body, const char* name, const char* label, size_t max_bytes) {
    auto it = body.find(name);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
        throw invalid("required", std::string(label) + "不能为空", name);
    std::string v = it->get<std::string>();
    if (v.size() > max_bytes) throw invalid("too_long", std::string(label) + "过长", name);
    return v;
}

void require_gateway(const App& app) {
    if (app.auth.sms_gateway_url.empty())
        throw Error(Error::Kind::Unavailable, "sms_unavailable", "未配置短信网关，请联系管理员重置密码");
}

}  // namespace

void register_password_reset_routes(Router& router, App& app) {
    router.add({"POST", "/api/auth/reset/send", "public", "找回密码：向账号登记的手机发送验证码", "登录",
                [&app](const Request& req) {
                    require_gateway(app);
                    auto body = req.json_body();
                    std::string account = text_field(body, "account", "账号", 100);
                    accounts::request_password_reset(app.pool, app.auth.sms_gateway_url, account,
                                                     {req.peer, req.header("user-agent").value_or("")});
                    return Response::json(200, {{"status", "sent"},
                                                {"message", "如账号存在且登记了手机号，验证码已发送，5 分钟内有效"}});
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/reset", "public", "找回密码：以短信验证码设置新密码（并退出该账号的所有会话）", "登录",
                [&app](const Request& req) {
                    require_gateway(app);
                    auto body = req.json_body();
                    std::string account = text_field(body, "account", "账号", 100);
                    std::string code = text_field(body, "code", "验证码", 20);
                    std::string password = text_field(body, "new_password", "新密码", 256);
                    accounts::reset_password_with_sms(app.pool, account, code, password,
                                                      {req.peer, req.header("user-agent").value_or("")});
                    return Response::json(200, {{"status", "ok"}});
                },
                {}, "application/json"});
}

}  // namespace twindraw::server
