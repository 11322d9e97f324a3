// /api/auth/*: login, second factor, logout (here or everywhere), the current user,
// identity switching, password change and TOTP enrolment (AUTH-1, AUTH-2, AUTH-4..7).
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/auth-gate.hpp"
#include "workflows/account-sessions.hpp"
#include "workflows/account-sms.hpp"

namespace twindraw::server {

namespace {

std::string string_field(const nlohmann::json& body, const char* name, size_t max_bytes = 200) {
    auto it = body.find(name);
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
        throw bad_request("missing_field", std::string("缺少字段 ") + name, name);
    std::string v = it->get<std::string>();
    if (v.size() > max_bytes) throw bad_request("too_long", std::string("字段过长：") + name, name);
    return v;
}

accounts::ClientInfo client_of(const Request& req) {
    return {req.peer, req.header("user-agent").value_or("")};
}

accounts::SessionInfo session_of(const Request& req) {
    const Principal& p = *req.principal;
    accounts::SessionInfo s;
    s.session_id = p.session_id;
    s.user_id = p.user_id;
    s.identity_id = p.identity_id;
    s.unit_id = p.unit_id;
    s.stage = p.stage;
    s.csrf_token = p.csrf_token;
    s.data_scope = p.data_scope;
    s.permissions = p.permissions;
    return s;
}

// The answer to a finished login: the session described, the cookie or the token.
Response login_response(App& app, const accounts::LoginResult& r, bool mobile) {
    using S = accounts::LoginResult::Status;
    switch (r.status) {
    case S::Ok: {
        nlohmann::json body = accounts::describe_session(app.pool, r.session);
        body["status"] = "ok";
        Response res;
        if (mobile) {
            body["token"] = r.token;
            res = Response::json(200, body);
        } else {
            res = Response::json(200, body);
            res.headers.emplace_back("Set-Cookie", session_cookie(r.token, app.auth.cookie_secure));
        }
        res.headers.emplace_back("Cache-Control", "no-store");
        return res;
    }
    case S::SecondFactor:
        return Response::json(200, {{"status", "second_factor"}, {"methods", r.methods}, {"challenge", r.token}});
    case S::BadCredentials:
        return error_response(401, "bad_credentials", "账号或密码错误");
    case S::BadCode:
        return error_response(401, "bad_code", "验证码错误");
    case S::Expired:
        return error_response(401, "challenge_expired", "验证已过期，请重新登录");
    case S::Disabled:
        return error_response(403, "account_disabled", "账号已停用，请联系管理员");
    case S::Locked: {
        long long minutes = (r.retry_after_seconds + 59) / 60;
        Response res = error_response(429, "locked", "登录失败次数过多，账号已暂时锁定，请 " + std::to_string(minutes) + " 分钟后再试");
        res.headers.emplace_back("Retry-After", std::to_string(r.retry_after_seconds));
        return res;
    }
    }
    return error_response(500, "internal", "服务器内部错误，请稍后重试");
}

}  // namespace

void register_auth_routes(Router& router, App& app) {
    router.add({"POST", "/api/auth/login", "public", "账号密码登录（client=mobile 时返回 bearer 令牌）", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    std::string account = string_field(body, "account", 100);
                    std::string password = string_field(body, "password", 256);
                    std::string client = body.value("client", std::string("web"));
                    if (client != "web" && client != "mobile")
                        throw bad_request("bad_client", "client 只能是 web 或 mobile", "client");
                    auto r = accounts::login(app.pool, account, password, client == "mobile" ? "bearer" : "cookie",
                                             client_of(req), app.auth.sessions, app.auth.lockout,
                                             !app.auth.sms_gateway_url.empty());
                    return login_response(app, r, client == "mobile");
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/second-factor", "public", "提交第二因素验证码（动态口令或短信）", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    std::string challenge = string_field(body, "challenge", 100);
                    std::string code = string_field(body, "code", 20);
                    auto r = accounts::complete_second_factor(app.pool, challenge, code, client_of(req), app.auth.sessions);
                    // The challenge row remembers the kind; a bearer session answers with its token.
                    bool mobile = r.status == accounts::LoginResult::Status::Ok && r.session.kind == "bearer";
                    return login_response(app, r, mobile);
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/sms/send", "public", "向登录挑战对应用户的手机发送短信验证码", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    std::string challenge = string_field(body, "challenge", 100);
                    if (app.auth.sms_gateway_url.empty())
                        throw Error(Error::Kind::Unavailable, "sms_unavailable", "未配置短信网关");
                    auto owner = accounts::challenge_owner(app.pool, challenge);
                    if (!owner) return error_response(401, "challenge_expired", "验证已过期，请重新登录");
                    if (owner->phone.empty()) throw conflict("no_phone", "该账号未登记手机号");
                    accounts::send_sms_code(app.pool, app.auth.sms_gateway_url, owner->user_id, owner->phone, "login");
                    return Response::json(200, {{"status", "sent"}});
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/logout", "session", "退出当前会话", "登录", [&app](const Request& req) {
                    accounts::logout(app.pool, req.principal->session_id);
                    Response res = Response::no_content();
                    res.headers.emplace_back("Set-Cookie", cleared_session_cookie(app.auth.cookie_secure));
                    return res;
                }});

    router.add({"POST", "/api/auth/logout-all", "authenticated", "退出本人所有会话（电脑与手机）", "登录",
                [&app](const Request& req) {
                    long long n = accounts::logout_all(app.pool, req.principal->user_id);
                    Response res = Response::json(200, {{"revoked", n}});
                    res.headers.emplace_back("Set-Cookie", cleared_session_cookie(app.auth.cookie_secure));
                    return res;
                }});

    router.add({"GET", "/api/auth/me", "session", "当前用户、身份、可切换身份与权限", "登录", [&app](const Request& req) {
                    Response res = Response::json(200, accounts::describe_session(app.pool, session_of(req)));
                    res.headers.emplace_back("Cache-Control", "no-store");
                    return res;
                }});

    router.add({"POST", "/api/auth/switch", "authenticated", "切换单位/身份", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    auto it = body.find("identity_id");
                    if (it == body.end() || !it->is_number_integer())
                        throw bad_request("missing_field", "缺少字段 identity_id", "identity_id");
                    accounts::switch_identity(app.pool, req.principal->session_id, req.principal->user_id,
                                              it->get<long long>());
                    // Describe the session as it now is (permissions of the new identity).
                    auto cred = request_credential(req);
                    auto s = cred ? accounts::resolve_session(app.pool, cred->token) : std::nullopt;
                    accounts::SessionInfo info = s ? *s : session_of(req);
                    info.identity_id = it->get<long long>();
                    return Response::json(200, accounts::describe_session(app.pool, info));
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/password", "session", "修改本人密码（首次登录必须修改）", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    std::string old_password = string_field(body, "old_password", 256);
                    std::string new_password = string_field(body, "new_password", 256);
                    auto s = session_of(req);
                    try {
                        accounts::change_password(app.pool, s, old_password, new_password, client_of(req),
                                                  app.auth.lockout);
                    } catch (const Error& e) {
                        if (e.kind() != Error::Kind::TooMany) throw;
                        Response res = error_response(e);
                        for (const auto& [k, v] : e.details())
                            if (k == "retry_after_seconds") res.headers.emplace_back("Retry-After", v);
                        return res;
                    }
                    s.stage = "ok";
                    nlohmann::json out = accounts::describe_session(app.pool, s);
                    out["status"] = "ok";
                    return Response::json(200, out);
                },
                {}, "application/json"});

    router.add({"POST", "/api/auth/totp/enroll", "authenticated", "生成动态口令密钥与二维码", "登录",
                [&app](const Request& req) {
                    auto e = accounts::totp_enroll(app.pool, req.principal->user_id);
                    Response res = Response::json(200, {{"secret", e.secret}, {"otpauth_url", e.otpauth_url}, {"qr_svg", e.qr_svg}});
                    res.headers.emplace_back("Cache-Control", "no-store");
                    return res;
                }});

    router.add({"POST", "/api/auth/totp/confirm", "authenticated", "以一次动态口令确认并启用第二因素", "登录",
                [&app](const Request& req) {
                    auto body = req.json_body();
                    accounts::totp_confirm(app.pool, req.principal->user_id, string_field(body, "code", 20));
                    return Response::json(200, {{"totp_enabled", true}});
                },
                {}, "application/json"});
}

}  // namespace twindraw::server
