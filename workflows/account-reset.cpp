#include "workflows/account-reset.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sms.hpp"

namespace twindraw::accounts {

namespace {

constexpr int kAddressLimit = 10;  // reset requests and attempts per address in 15 minutes

void log_reset(pqxx::transaction_base& tx, const std::string& account, long long user_id, const ClientInfo& c,
               bool success, const std::string& reason) {
    pg::Params p;
    p.add(account.substr(0, 100));
    if (user_id > 0)
        p.add(user_id);
    else
        p.null();
    p.add(c.address.substr(0, 100)).add(c.user_agent.substr(0, 300)).add(success).add(reason);
    pg::exec(tx,
             "INSERT INTO login_log(account, user_id, address, user_agent, success, reason) VALUES ($1,$2,$3,$4,$5,$6)",
             p);
}

void check_address(pqxx::transaction_base& tx, const ClientInfo& c) {
    auto r = pg::exec(tx,
                      "SELECT count(*) FROM login_log WHERE address = $1 AND reason LIKE 'reset\\_%'"
                      " AND at > now() - interval '15 minutes'",
                      pg::Params().add(c.address.substr(0, 100)));
    if (r[0][0].as<long long>() >= kAddressLimit)
        throw Error(Error::Kind::TooMany, "reset_too_many", "找回密码的请求过于频繁，请 15 分钟后再试");
}

struct Account {
    long long id = 0;
    std::string account, phone, hash;
};

std::optional<Account> find(pqxx::transaction_base& tx, const std::string& account) {
    auto r = pg::exec(tx,
                      "SELECT id, account, coalesce(phone, ''), password_hash FROM app_user"
                      " WHERE lower(account) = lower($1) AND active",
                      pg::Params().add(account));
    if (r.empty()) return std::nullopt;
    return Account{r[0][0].as<long long>(), r[0][1].as<std::string>(), r[0][2].as<std::string>(),
                   r[0][3].as<std::string>()};
}

}  // namespace

void request_password_reset(pg::Pool& pool, const std::string& gateway_url, const std::string& account,
                            const ClientInfo& client) {
    auto who = pg::with_transaction(pool, "reset", [&](pqxx::work& tx) {
        check_address(tx, client);
        auto a = find(tx, account);
        if (!a || a->phone.empty()) {
            log_reset(tx, account, a ? a->id : 0, client, false, a ? "reset_no_phone" : "reset_unknown_account");
            return std::optional<Account>();
        }
        log_reset(tx, account, a->id, client, true, "reset_code_requested");
        return a;
    });
    if (!who) return;
    send_sms_code(pool, gateway_url, who->id, who->phone, "reset");
}

void reset_password_with_sms(pg::Pool& pool, const std::string& account, const std::string& code,
                             const std::string& new_password, const ClientInfo& client) {
    // The transaction commits a wrong attempt (it costs the code one of its tries) and
    // the log row; the error is thrown after.
    enum class Outcome { Ok, BadCode };
    auto outcome = pg::with_transaction(pool, "reset", [&](pqxx::work& tx) {
        check_address(tx, client);
        auto a = find(tx, account);
        if (!a) {
            log_reset(tx, account, 0, client, false, "reset_unknown_account");
            return Outcome::BadCode;
        }
        check_password_policy(a->account, new_password);
        if (verify_password(a->hash, new_password))
            throw invalid("same_password", "新密码不能与原密码相同", "new_password");
        if (!consume_sms_code(tx, a->id, "reset", code)) {
            log_reset(tx, account, a->id, client, false, "reset_bad_code");
            return Outcome::BadCode;
        }
        pg::exec(tx, "UPDATE app_user SET password_hash = $2, must_change_password = false WHERE id = $1",
                 pg::Params().add(a->id).add(hash_password(new_password)));
        pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
                 pg::Params().add(a->id));
        log_reset(tx, account, a->id, client, true, "reset_password_sms");
        return Outcome::Ok;
    });
    if (outcome == Outcome::BadCode) throw invalid("bad_code", "验证码错误或已过期，请重新获取", "code");
}

}  // namespace twindraw::accounts
