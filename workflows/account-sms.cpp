#include "workflows/account-sms.hpp"

#include "geo/error.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <memory>

namespace twindraw::accounts {

namespace {
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

void send_sms(const std::string& gateway_url, const std::string& phone, const std::string& text) {
    const std::string body = nlohmann::json({{"phone", phone}, {"text", text}}).dump();
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) throw Error(Error::Kind::Unavailable, "sms_failed", "短信发送失败");
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
    curl_easy_setopt(c.get(), CURLOPT_URL, gateway_url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    long status = 0;
    CURLcode rc = curl_easy_perform(c.get());
    if (rc == CURLE_OK) curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || status < 200 || status > 299)
        throw Error(Error::Kind::Unavailable, "sms_failed", "短信发送失败，请稍后重试");
}

void send_sms_code(pg::Pool& pool, const std::string& gateway_url, long long user_id, const std::string& phone,
                   const std::string& purpose) {
    if (sodium_init() < 0) throw Error(Error::Kind::Internal, "sodium_init", "libsodium 初始化失败");
    std::string code = std::to_string(randombytes_uniform(1000000));
    code = std::string(6 - code.size(), '0') + code;
    // The row is committed only after the gateway accepted the message.
    pg::with_transaction(pool, "sms", [&](pqxx::work& tx) {
        pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('sms:' || $1))", pg::Params().add(std::to_string(user_id)));
        auto recent = pg::exec(tx,
                               "SELECT 1 FROM sms_code WHERE user_id = $1 AND purpose = $2"
                               " AND created_at > now() - interval '60 seconds'",
                               pg::Params().add(user_id).add(purpose));
        if (!recent.empty()) throw Error(Error::Kind::TooMany, "sms_too_soon", "验证码发送过于频繁，请一分钟后再试");
        // An older unused code stops working once a new one is sent.
        pg::exec(tx, "UPDATE sms_code SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
                 pg::Params().add(user_id).add(purpose));
        pg::exec(tx,
                 "INSERT INTO sms_code(user_id, purpose, code_hash, expires_at)"
                 " VALUES ($1, $2, sha256(convert_to($4 || ':' || $3, 'UTF8')), now() + interval '5 minutes')",
                 pg::Params().add(user_id).add(purpose).add(code).add(std::to_string(user_id)));
        const std::string what = purpose == "reset" ? "重置密码" : "登录";
        send_sms(gateway_url, phone, "【TwinDraw】您的" + what + "验证码为 " + code + "，5 分钟内有效。如非本人操作请忽略。");
    });
}

bool consume_sms_code(pqxx::transaction_base& tx, long long user_id, const std::string& purpose, const std::string& code) {
    if (code.size() != 6) return false;
    auto used = pg::exec(tx,
                         "UPDATE sms_code SET used_at = now() WHERE id = ("
                         " SELECT id FROM sms_code WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL"
                         "   AND expires_at > now() AND attempts < 5"
                         "   AND code_hash = sha256(convert_to($4 || ':' || $3, 'UTF8'))"
                         " ORDER BY id DESC LIMIT 1) RETURNING id",
                         pg::Params().add(user_id).add(purpose).add(code).add(std::to_string(user_id)));
    if (!used.empty()) return true;
    pg::exec(tx,
             "UPDATE sms_code SET attempts = attempts + 1 WHERE user_id = $1 AND purpose = $2"
             " AND used_at IS NULL AND expires_at > now()",
             pg::Params().add(user_id).add(purpose));
    return false;
}

}  // namespace twindraw::accounts
