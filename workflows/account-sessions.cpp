#include "workflows/account-sessions.hpp"

#include "geo/error.hpp"
#include "geo/pg-context.hpp"
#include "workflows/account-password.hpp"
#include "workflows/account-sms.hpp"
#include "workflows/account-totp.hpp"

#include <ctime>

namespace twindraw::accounts {

namespace {

// Failures that count towards a lockout (refusals while locked, "locked", do not).
const char* kFailureReasons = "('bad_password','unknown_account','bad_code','bad_old_password')";

std::string seconds_interval(std::chrono::seconds s) {
    return std::to_string(s.count()) + " seconds";
}

void log_attempt(pqxx::transaction_base& tx, const std::string& account, long long user_id, const ClientInfo& c,
                 bool success, const std::string& reason) {
    pg::Params p;
    p.add(account.substr(0, 100));
    if (user_id > 0) p.add(user_id); else p.null();
    p.add(c.address.substr(0, 100)).add(c.user_agent.substr(0, 300)).add(success).add(reason);
    pg::exec(tx, "INSERT INTO login_log(account, user_id, address, user_agent, success, reason) VALUES ($1,$2,$3,$4,$5,$6)", p);
}

// Seconds until the attempt may be retried, or 0 when not locked.
long long locked_for(pqxx::transaction_base& tx, const std::string& account, const ClientInfo& c,
                     const LockoutPolicy& lockout) {
    pg::Params p;
    p.add(account).add(c.address).add(seconds_interval(lockout.window)).add(lockout.account_failures);
    p.add(lockout.address_failures).add(static_cast<double>(lockout.backoff.count()));
    p.add(static_cast<double>(lockout.backoff_max.count()));
    // From the n-th failure on, the wait after the latest failure doubles with each
    // further one (exponent capped so that 2^k stays a finite float8).
    auto r = pg::exec(tx, std::string(R"(
      WITH acc AS (
        SELECT count(*) AS n, max(at) AS last FROM login_log
         WHERE lower(account) = lower($1) AND NOT success AND reason IN )") + kFailureReasons + R"(
           AND at > now() - $3::interval
           AND at > coalesce((SELECT max(at) FROM login_log WHERE lower(account) = lower($1) AND success), '-infinity')),
      addr AS (
        SELECT count(*) AS n, max(at) AS last FROM login_log
         WHERE address = $2 AND $2 <> '' AND NOT success AND reason IN )" + kFailureReasons + R"(
           AND at > now() - $3::interval)
      SELECT ceil(extract(epoch FROM greatest(
               CASE WHEN acc.n >= $4::int THEN acc.last + make_interval(secs =>
                 least($6::float8 * power(2, least(acc.n - $4::int, 40)), $7::float8)) - now() END,
               CASE WHEN addr.n >= $5::int THEN addr.last + make_interval(secs =>
                 least($6::float8 * power(2, least(addr.n - $5::int, 40)), $7::float8)) - now() END)))::bigint
        FROM acc, addr)", p);
    // greatest() skips nulls: null means neither limit is reached.
    if (r[0][0].is_null()) return 0;
    return std::max(0LL, r[0][0].as<long long>());
}

// The user's default identity (or the first), for a new session.
std::optional<long long> default_identity(pqxx::transaction_base& tx, long long user_id) {
    auto r = pg::exec(tx, "SELECT id FROM user_identity WHERE user_id = $1 ORDER BY is_default DESC, id LIMIT 1",
                      pg::Params().add(user_id));
    if (r.empty()) return std::nullopt;
    return r[0][0].as<long long>();
}

std::string create_session(pqxx::transaction_base& tx, long long user_id, const std::string& kind,
                           const std::string& stage, const ClientInfo& c, std::chrono::seconds absolute,
                           std::chrono::seconds idle) {
    std::string token = random_token();
    pg::Params p;
    p.add(token).add(user_id);
    if (auto id = default_identity(tx, user_id)) p.add(*id); else p.null();
    p.add(kind).add(random_token()).add(seconds_interval(absolute)).add(seconds_interval(idle));
    p.add(c.address.substr(0, 100)).add(c.user_agent.substr(0, 300)).add(stage);
    pg::exec(tx,
             "INSERT INTO session(token_hash, user_id, identity_id, kind, csrf_token, expires_at, idle_timeout,"
             " address, user_agent, stage)"
             " VALUES (sha256(convert_to($1, 'UTF8')), $2, $3, $4, $5, now() + $6::interval, $7::interval, $8, $9, $10)",
             p);
    return token;
}

const char* kSessionSelect = R"(
  SELECT s.id, s.user_id, coalesce(s.identity_id, 0), coalesce(i.authority_id, 0), s.kind, s.stage, s.csrf_token,
         coalesce(r.code, ''), coalesce(r.data_scope, ''), coalesce(array_to_string(r.permissions, ','), ''),
         s.last_seen_at < now() - interval '60 seconds',
         extract(epoch FROM least(s.expires_at, s.last_seen_at + s.idle_timeout) - now())::float8
    FROM session s
    JOIN app_user u ON u.id = s.user_id AND u.active
    LEFT JOIN user_identity i ON i.id = s.identity_id AND i.user_id = s.user_id
    LEFT JOIN role r ON r.id = i.role_id
   WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.revoked_at IS NULL
     AND s.expires_at > now() AND s.last_seen_at + s.idle_timeout > now()
     AND s.stage IN ('ok', 'password_change'))";

SessionInfo session_from_row(const pqxx::row& row) {
    SessionInfo s;
    s.session_id = row[0].as<long long>();
    s.user_id = row[1].as<long long>();
    s.identity_id = row[2].as<long long>();
    s.unit_id = row[3].as<long long>();
    s.kind = row[4].as<std::string>();
    s.stage = row[5].as<std::string>();
    s.csrf_token = row[6].as<std::string>();
    s.role_code = row[7].as<std::string>();
    s.data_scope = row[8].as<std::string>();
    s.valid_seconds = row[11].as<double>();
    std::string perms = row[9].as<std::string>();
    size_t start = 0;
    while (start < perms.size()) {
        size_t comma = perms.find(',', start);
        if (comma == std::string::npos) comma = perms.size();
        if (comma > start) s.permissions.push_back(perms.substr(start, comma - start));
        start = comma + 1;
    }
    return s;
}

SessionInfo load_session(pqxx::transaction_base& tx, const std::string& token) {
    auto r = pg::exec(tx, kSessionSelect, pg::Params().add(token));
    if (r.empty()) throw Error(Error::Kind::Internal, "session_vanished", "会话创建失败");
    return session_from_row(r[0]);
}

LoginResult start_session(pqxx::transaction_base& tx, long long user_id, bool must_change, const std::string& kind,
                          const ClientInfo& c, const SessionPolicy& policy) {
    LoginResult out;
    out.status = LoginResult::Status::Ok;
    out.token = create_session(tx, user_id, kind, must_change ? "password_change" : "ok", c, policy.absolute, policy.idle);
    out.session = load_session(tx, out.token);
    return out;
}

}  // namespace

LoginResult login(pg::Pool& pool, const std::string& account, const std::string& password, const std::string& kind,
                  const ClientInfo& client, const SessionPolicy& policy, const LockoutPolicy& lockout,
                  bool sms_available) {
    return pg::with_transaction(pool, "login", [&](pqxx::work& tx) {
        // One attempt per account at a time, so parallel guesses cannot overrun the count.
        pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('login:' || lower($1)))", pg::Params().add(account));
        LoginResult out;
        if (long long wait = locked_for(tx, account, client, lockout); wait > 0) {
            log_attempt(tx, account, 0, client, false, "locked");
            out.status = LoginResult::Status::Locked;
            out.retry_after_seconds = wait;
            return out;
        }
        auto r = pg::exec(tx,
                          "SELECT id, password_hash, active, must_change_password, totp_enabled, phone IS NOT NULL"
                          " FROM app_user WHERE lower(account) = lower($1)",
                          pg::Params().add(account));
        if (r.empty()) {
            burn_verification_time(password);
            log_attempt(tx, account, 0, client, false, "unknown_account");
            out.status = LoginResult::Status::BadCredentials;
            return out;
        }
        const long long user_id = r[0][0].as<long long>();
        if (!verify_password(r[0][1].as<std::string>(), password)) {
            log_attempt(tx, account, user_id, client, false, "bad_password");
            out.status = LoginResult::Status::BadCredentials;
            return out;
        }
        if (!r[0][2].as<bool>()) {
            log_attempt(tx, account, user_id, client, false, "disabled");
            out.status = LoginResult::Status::Disabled;
            return out;
        }
        const bool must_change = r[0][3].as<bool>();
        if (r[0][4].as<bool>()) {
            // The challenge row remembers which kind of session to open afterwards.
            out.status = LoginResult::Status::SecondFactor;
            out.token = create_session(tx, user_id, kind, "totp", client, policy.challenge, policy.challenge);
            out.methods = {"totp"};
            if (sms_available && r[0][5].as<bool>()) out.methods.push_back("sms");
            log_attempt(tx, account, user_id, client, true, "password_ok_second_factor");
            return out;
        }
        out = start_session(tx, user_id, must_change, kind, client, policy);
        log_attempt(tx, account, user_id, client, true, must_change ? "ok_password_change" : "ok");
        return out;
    });
}

std::optional<ChallengeOwner> challenge_owner(pg::Pool& pool, const std::string& challenge) {
    return pg::with_read(pool, "login", [&](pqxx::read_transaction& tx) -> std::optional<ChallengeOwner> {
        auto r = pg::exec(tx,
                          "SELECT u.id, coalesce(u.phone, '') FROM session s JOIN app_user u ON u.id = s.user_id"
                          " WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.stage IN ('totp', 'sms')"
                          "   AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active",
                          pg::Params().add(challenge));
        if (r.empty()) return std::nullopt;
        return ChallengeOwner{r[0][0].as<long long>(), r[0][1].as<std::string>()};
    });
}

LoginResult complete_second_factor(pg::Pool& pool, const std::string& challenge, const std::string& code,
                                   const ClientInfo& client, const SessionPolicy& policy) {
    return pg::with_transaction(pool, "login", [&](pqxx::work& tx) {
        LoginResult out;
        auto r = pg::exec(tx,
                          "SELECT s.id, s.user_id, s.kind, u.account, coalesce(u.totp_secret, ''), u.totp_enabled,"
                          "       u.must_change_password, coalesce(u.totp_last_step, -1)"
                          "  FROM session s JOIN app_user u ON u.id = s.user_id"
                          " WHERE s.token_hash = sha256(convert_to($1, 'UTF8')) AND s.stage IN ('totp', 'sms')"
                          "   AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active"
                          " FOR UPDATE OF s",
                          pg::Params().add(challenge));
        if (r.empty()) {
            out.status = LoginResult::Status::Expired;
            return out;
        }
        const long long challenge_id = r[0][0].as<long long>(), user_id = r[0][1].as<long long>();
        const std::string kind = r[0][2].as<std::string>(), account = r[0][3].as<std::string>();
        bool ok = false;
        std::string method = "totp";
        if (r[0][5].as<bool>() && !r[0][4].as<std::string>().empty()) {
            auto step = totp_match(base32_decode(r[0][4].as<std::string>()), code, std::time(nullptr));
            // A code is good once: a step at or before the last one used is a replay.
            if (step && *step > r[0][7].as<long long>()) {
                ok = true;
                pg::exec(tx, "UPDATE app_user SET totp_last_step = $2 WHERE id = $1", pg::Params().add(user_id).add(static_cast<long long>(*step)));
            }
        }
        if (!ok && consume_sms_code(tx, user_id, "login", code)) {
            ok = true;
            method = "sms";
        }
        if (!ok) {
            pg::exec(tx,
                     "UPDATE session SET attempts = attempts + 1,"
                     " revoked_at = CASE WHEN attempts + 1 >= 5 THEN now() END WHERE id = $1",
                     pg::Params().add(challenge_id));
            log_attempt(tx, account, user_id, client, false, "bad_code");
            out.status = LoginResult::Status::BadCode;
            return out;
        }
        pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE id = $1", pg::Params().add(challenge_id));
        out = start_session(tx, user_id, r[0][6].as<bool>(), kind, client, policy);
        log_attempt(tx, account, user_id, client, true, "ok_" + method);
        return out;
    });
}

std::optional<SessionInfo> resolve_session(pg::Pool& pool, const std::string& token) {
    if (token.empty() || token.size() > 100) return std::nullopt;
    // One statement on every request: run it alone (autocommit), without the round trips
    // of BEGIN, the actor's settings and COMMIT. It runs before any actor is set.
    auto found = [&]() -> std::optional<std::pair<SessionInfo, bool>> {
        auto lease = pool.acquire("auth");
        // Prepared once per connection (libpqxx accepts the same definition again), so
        // the four-table join is not planned anew on every request.
        lease->prepare("twindraw_resolve_session", kSessionSelect);
        pqxx::nontransaction tx(*lease);
        auto r = tx.exec_prepared("twindraw_resolve_session", token);
        if (r.empty()) return std::nullopt;
        return std::make_pair(session_from_row(r[0]), r[0][10].as<bool>());
    }();
    if (!found) return std::nullopt;
    if (found->second)
        pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
            pg::exec(tx, "UPDATE session SET last_seen_at = now() WHERE id = $1", pg::Params().add(found->first.session_id));
        });
    return found->first;
}

void logout(pg::Pool& pool, long long session_id) {
    pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                 pg::Params().add(session_id));
    });
}

long long logout_all(pg::Pool& pool, long long user_id) {
    return pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
                          pg::Params().add(user_id));
        return static_cast<long long>(r.affected_rows());
    });
}

void switch_identity(pg::Pool& pool, long long session_id, long long user_id, long long identity_id) {
    pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        auto r = pg::exec(tx,
                          "UPDATE session SET identity_id = $3 WHERE id = $1"
                          " AND EXISTS (SELECT 1 FROM user_identity WHERE id = $3 AND user_id = $2) RETURNING id",
                          pg::Params().add(session_id).add(user_id).add(identity_id));
        if (r.empty()) throw not_found("该身份不存在或不属于当前用户");
    });
}

nlohmann::json describe_session(pg::Pool& pool, const SessionInfo& s) {
    return pg::with_read(pool, "auth", [&](pqxx::read_transaction& tx) {
        auto u = pg::exec(tx,
                          "SELECT id, account, name, coalesce(phone, ''), coalesce(email, ''), must_change_password,"
                          " totp_enabled, inspector_id, coalesce(certificate_no, '') FROM app_user WHERE id = $1",
                          pg::Params().add(s.user_id));
        if (u.empty()) throw not_found("用户不存在");
        nlohmann::json user = {{"id", u[0][0].as<long long>()},   {"account", u[0][1].as<std::string>()},
                               {"name", u[0][2].as<std::string>()}, {"phone", u[0][3].as<std::string>()},
                               {"email", u[0][4].as<std::string>()}, {"must_change_password", u[0][5].as<bool>()},
                               {"totp_enabled", u[0][6].as<bool>()},
                               {"inspector_id", u[0][7].is_null() ? nlohmann::json() : nlohmann::json(u[0][7].as<long long>())},
                               {"certificate_no", u[0][8].as<std::string>()}};
        nlohmann::json identities = nlohmann::json::array();
        nlohmann::json current;
        auto ids = pg::exec(tx,
                            "SELECT i.id, i.authority_id, a.name, a.division_code, i.section_id, sec.name, r.code, r.name,"
                            "       r.data_scope, i.is_default"
                            "  FROM user_identity i JOIN authority a ON a.id = i.authority_id JOIN role r ON r.id = i.role_id"
                            "  LEFT JOIN section sec ON sec.id = i.section_id"
                            " WHERE i.user_id = $1 ORDER BY i.is_default DESC, i.id",
                            pg::Params().add(s.user_id));
        for (const auto& row : ids) {
            nlohmann::json item = {{"id", row[0].as<long long>()},
                                   {"unit_id", row[1].as<long long>()},
                                   {"unit_name", row[2].as<std::string>()},
                                   {"division_code", row[3].as<std::string>()},
                                   {"section_id", row[4].is_null() ? nlohmann::json() : nlohmann::json(row[4].as<long long>())},
                                   {"section_name", row[5].is_null() ? nlohmann::json() : nlohmann::json(row[5].as<std::string>())},
                                   {"role", {{"code", row[6].as<std::string>()}, {"name", row[7].as<std::string>()}}},
                                   {"data_scope", row[8].as<std::string>()},
                                   {"is_default", row[9].as<bool>()}};
            if (item["id"] == s.identity_id) current = item;
            identities.push_back(item);
        }
        return nlohmann::json{{"user", user},
                              {"identity", current},
                              {"identities", identities},
                              {"permissions", s.permissions},
                              {"stage", s.stage},
                              {"session_kind", s.kind},
                              {"csrf_token", s.csrf_token}};
    });
}

void change_password(pg::Pool& pool, const SessionInfo& s, const std::string& old_password,
                     const std::string& new_password, const ClientInfo& client, const LockoutPolicy& lockout) {
    auto [account, hash] = pg::with_read(pool, "auth", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, "SELECT account, password_hash FROM app_user WHERE id = $1", pg::Params().add(s.user_id));
        if (r.empty()) throw not_found("用户不存在");
        return std::make_pair(r[0][0].as<std::string>(), r[0][1].as<std::string>());
    });
    // Checked and counted like a login: guessing through this route is guessing too.
    // The failure is committed before the refusal is thrown. Like a login, the count
    // reads every attempt of the account and the address, beyond the caller's own rows.
    bool ok = false;
    {
    pg::ActorScope as_login(pg::Actor(s.user_id, s.identity_id, s.unit_id, client.address));
    ok = pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('login:' || lower($1)))", pg::Params().add(account));
        if (long long wait = locked_for(tx, account, client, lockout); wait > 0) {
            log_attempt(tx, account, s.user_id, client, false, "locked");
            tx.commit();
            throw Error(Error::Kind::TooMany, "locked",
                        "原密码错误次数过多，请 " + std::to_string((wait + 59) / 60) + " 分钟后再试", "old_password")
                .with("retry_after_seconds", std::to_string(wait));
        }
        if (verify_password(hash, old_password)) return true;
        log_attempt(tx, account, s.user_id, client, false, "bad_old_password");
        return false;
    });
    }
    if (!ok) throw invalid("bad_old_password", "原密码不正确", "old_password");
    check_password_policy(account, new_password, old_password);
    const std::string new_hash = hash_password(new_password);
    pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        pg::exec(tx, "UPDATE app_user SET password_hash = $2, must_change_password = false WHERE id = $1",
                 pg::Params().add(s.user_id).add(new_hash));
        pg::exec(tx, "UPDATE session SET stage = 'ok' WHERE id = $1", pg::Params().add(s.session_id));
        pg::exec(tx, "UPDATE session SET revoked_at = now() WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL",
                 pg::Params().add(s.user_id).add(s.session_id));
    });
}

TotpEnrollment totp_enroll(pg::Pool& pool, long long user_id) {
    TotpEnrollment e;
    e.secret = new_totp_secret();
    std::string account = pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        auto r = pg::exec(tx,
                          "UPDATE app_user SET totp_secret = $2, totp_enabled = false, totp_last_step = NULL"
                          " WHERE id = $1 RETURNING account",
                          pg::Params().add(user_id).add(e.secret));
        if (r.empty()) throw not_found("用户不存在");
        return r[0][0].as<std::string>();
    });
    e.otpauth_url = otpauth_url(account, e.secret);
    e.qr_svg = qr_svg(e.otpauth_url);
    return e;
}

void totp_confirm(pg::Pool& pool, long long user_id, const std::string& code) {
    pg::with_transaction(pool, "auth", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, "SELECT coalesce(totp_secret, '') FROM app_user WHERE id = $1 FOR UPDATE",
                          pg::Params().add(user_id));
        if (r.empty()) throw not_found("用户不存在");
        const std::string secret = r[0][0].as<std::string>();
        if (secret.empty()) throw conflict("no_enrollment", "请先获取动态口令密钥");
        auto step = totp_match(base32_decode(secret), code, std::time(nullptr));
        if (!step) throw invalid("bad_code", "动态口令不正确", "code");
        pg::exec(tx, "UPDATE app_user SET totp_enabled = true, totp_last_step = $2 WHERE id = $1",
                 pg::Params().add(user_id).add(static_cast<long long>(*step)));
    });
}

}  // namespace twindraw::accounts
