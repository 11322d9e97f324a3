// The outbox worker's delivery: SMTP through libcurl, SMS through the gateway.
#include "workflows/notify-outbox.hpp"

#include "geo/error.hpp"
#include "workflows/account-sms.hpp"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <memory>

namespace twindraw::notify {

namespace {

std::string base64(const std::string& s) {
    std::string out(sodium_base64_encoded_len(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.find('\0'));
    return out;
}

// Header values are ASCII only: "=?UTF-8?B?...?=" (RFC 2047) for the subject; an
// address with CR, LF or angle brackets is refused.
bool clean_address(const std::string& a) {
    return !a.empty() && a.size() <= 200 && a.find_first_of("\r\n<>, ") == std::string::npos &&
           a.find('@') != std::string::npos;
}

std::string wrap76(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); i += 76) out += s.substr(i, 76) + "\r\n";
    return out;
}

struct Upload {
    std::string data;
    size_t pos = 0;
};

size_t read_cb(char* buf, size_t size, size_t n, void* user) {
    auto* u = static_cast<Upload*>(user);
    const size_t len = std::min(size * n, u->data.size() - u->pos);
    std::copy_n(u->data.data() + u->pos, len, buf);
    u->pos += len;
    return len;
}

size_t discard(char*, size_t size, size_t n, void*) {
    return size * n;
}

}  // namespace

void send_mail(const OutboxSettings& s, const std::string& to, const std::string& subject, const std::string& body) {
    if (s.smtp_url.empty()) throw Error(Error::Kind::Unavailable, "smtp_not_configured", "未配置邮件服务器");
    if (!clean_address(to) || !clean_address(s.smtp_from))
        throw Error(Error::Kind::Invalid, "bad_email_address", "邮件地址格式不正确");
    if (sodium_init() < 0) throw Error(Error::Kind::Internal, "sodium_init", "libsodium 初始化失败");
    char date[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    unsigned char rnd[12];
    randombytes_buf(rnd, sizeof rnd);
    std::string id;
    for (unsigned char c : rnd) id += "0123456789abcdef"[c >> 4], id += "0123456789abcdef"[c & 15];
    const std::string domain = s.smtp_from.substr(s.smtp_from.find('@') + 1);
    Upload up;
    up.data = "Date: " + std::string(date) + "\r\nFrom: <" + s.smtp_from + ">\r\nTo: <" + to + ">\r\nMessage-ID: <" +
              id + "@" + domain + ">\r\nSubject: =?UTF-8?B?" + base64(subject) +
              "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n" +
              wrap76(base64(body));

    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    if (!c) throw Error(Error::Kind::Unavailable, "smtp_failed", "邮件发送失败");
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + to + ">").c_str());
    const std::string from = "<" + s.smtp_from + ">";
    curl_easy_setopt(c.get(), CURLOPT_URL, s.smtp_url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt);
    if (!s.smtp_user.empty()) {
        curl_easy_setopt(c.get(), CURLOPT_USERNAME, s.smtp_user.c_str());
        curl_easy_setopt(c.get(), CURLOPT_PASSWORD, s.smtp_password.c_str());
        curl_easy_setopt(c.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    }
    curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c.get(), CURLOPT_READDATA, &up);
    curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(c.get());
    curl_slist_free_all(rcpt);
    if (rc != CURLE_OK)
        throw Error(Error::Kind::Unavailable, "smtp_failed", std::string("邮件发送失败：") + curl_easy_strerror(rc));
}

DeliveryCount deliver_due(pg::Pool& pool, const OutboxSettings& s, int limit) {
    DeliveryCount n;
    for (int i = 0; i < limit; ++i) {
        bool any = false;
        pg::with_transaction(pool, "notify-outbox", [&](pqxx::work& tx) {
            auto r = pg::exec(tx,
                              "SELECT id, channel, address, subject, body, attempts FROM notify_outbox"
                              " WHERE status = 'pending' AND next_attempt_at <= now()"
                              " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");
            if (r.empty()) return;
            any = true;
            const long long id = r[0][0].as<long long>();
            const std::string channel = r[0][1].c_str(), address = r[0][2].c_str();
            const int attempts = r[0][5].as<int>() + 1;
            const bool configured = channel == "email" ? !s.smtp_url.empty() : !s.sms_gateway_url.empty();
            if (!configured) {
                pg::exec(tx, "UPDATE notify_outbox SET status = 'skipped', last_error = $2 WHERE id = $1",
                         pg::Params().add(id).add(channel == "email" ? "未配置邮件服务器" : "未配置短信网关"));
                ++n.skipped;
                return;
            }
            try {
                if (channel == "email")
                    send_mail(s, address, r[0][3].c_str(), r[0][4].c_str());
                else
                    accounts::send_sms(s.sms_gateway_url, address,
                                       std::string(r[0][3].c_str()) + "：" + r[0][4].c_str());
                pg::exec(tx,
                         "UPDATE notify_outbox SET status = 'sent', attempts = $2, sent_at = now(), last_error = NULL"
                         " WHERE id = $1",
                         pg::Params().add(id).add(attempts));
                ++n.sent;
            } catch (const Error& e) {
                const bool last = attempts >= s.max_attempts;
                const long long wait = std::min<long long>(3600, s.first_retry.count() << std::min(attempts - 1, 12));
                pg::exec(
                    tx,
                    "UPDATE notify_outbox SET attempts = $2, last_error = $3, status = $4,"
                    " next_attempt_at = now() + make_interval(secs => $5::bigint) WHERE id = $1",
                    pg::Params().add(id).add(attempts).add(e.message()).add(last ? "failed" : "pending").add(wait));
                ++(last ? n.failed : n.retried);
            }
        });
        if (!any) break;
    }
    return n;
}

}  // namespace twindraw::notify
