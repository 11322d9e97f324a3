#include "server/auth-gate.hpp"

#include "workflows/account-sessions.hpp"

namespace twindraw::server {

std::optional<Credential> request_credential(const Request& req) {
    if (auto auth = req.header("authorization")) {
        const std::string prefix = "Bearer ";
        if (auth->size() > prefix.size() && auth->compare(0, prefix.size(), prefix) == 0)
            return Credential{auth->substr(prefix.size()), false};
    }
    if (auto cookies = req.header("cookie")) {
        const std::string& c = *cookies;
        size_t pos = 0;
        while (pos < c.size()) {
            size_t end = c.find(';', pos);
            if (end == std::string::npos) end = c.size();
            std::string part = c.substr(pos, end - pos);
            size_t first = part.find_first_not_of(' ');
            if (first != std::string::npos) part.erase(0, first);
            const std::string name = std::string(kSessionCookie) + "=";
            if (part.compare(0, name.size(), name) == 0 && part.size() > name.size())
                return Credential{part.substr(name.size()), true};
            pos = end + 1;
        }
    }
    return std::nullopt;
}

std::optional<Principal> SessionAuthenticator::authenticate(const Request& req) const {
    auto cred = request_credential(req);
    if (!cred) return std::nullopt;
    auto who = resolve(cred->token);
    if (!who) return std::nullopt;
    Principal p = *who;
    p.via_cookie = cred->via_cookie;
    return p;
}

std::shared_ptr<const Principal> SessionAuthenticator::cached(const std::string& token) const {
    if (!signals_ || !signals_->listening()) return nullptr;
    const std::uint64_t epoch = signals_->auth_epoch();
    const auto now = std::chrono::steady_clock::now();
    std::shared_lock lock(mutex_);
    auto it = cache_.find(token);
    if (it != cache_.end() && it->second.epoch == epoch && now < it->second.until) return it->second.who;
    return nullptr;
}

std::shared_ptr<const Principal> SessionAuthenticator::resolve(const std::string& token) const {
    if (token.empty() || token.size() > 100) return nullptr;
    const bool caching = signals_ && signals_->listening();
    // The epoch is read before PostgreSQL is asked: an invalidation while the query
    // runs leaves the new entry with an old epoch, never used.
    const std::uint64_t epoch = caching ? signals_->auth_epoch() : 0;
    const auto now = std::chrono::steady_clock::now();
    if (caching) {
        std::shared_lock lock(mutex_);
        auto it = cache_.find(token);
        if (it != cache_.end() && it->second.epoch == epoch && now < it->second.until) return it->second.who;
    }
    auto s = accounts::resolve_session(pool_, token);
    if (!s) {
        if (caching) {
            std::unique_lock lock(mutex_);
            cache_.erase(token);
        }
        return nullptr;
    }
    auto p = std::make_shared<Principal>();
    p->session_id = s->session_id;
    p->user_id = s->user_id;
    p->identity_id = s->identity_id;
    p->unit_id = s->unit_id;
    p->stage = s->stage;
    p->csrf_token = s->csrf_token;
    p->data_scope = s->data_scope;
    p->permissions = std::move(s->permissions);
    std::shared_ptr<const Principal> who = std::move(p);
    const double valid = std::min<double>(s->valid_seconds, double(kSessionCacheTtl.count()));
    if (caching && valid > 0) {
        std::unique_lock lock(mutex_);
        if (cache_.size() >= kMaxEntries) cache_.clear();
        cache_[token] = Entry{who, epoch, now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                    std::chrono::duration<double>(valid))};
    }
    return who;
}

void SessionAuthenticator::record_refusal(const Request& req, const std::string& code, const std::string& message) const {
    if (!req.principal) return;
    const Principal& who = *req.principal;
    pg::ActorScope actor({who.user_id, who.identity_id, who.unit_id, req.peer, who.data_scope, true});
    pg::with_transaction(pool_, "refusal", [&](pqxx::work& tx) {
        pg::Params p;
        if (who.user_id > 0) p.add(who.user_id); else p.null();
        if (who.identity_id > 0) p.add(who.identity_id); else p.null();
        if (who.unit_id > 0) p.add(who.unit_id); else p.null();
        p.add(req.peer.substr(0, 100)).add(req.method.substr(0, 10)).add(req.path.substr(0, 500)).add(code).add(
            message.substr(0, 500));
        pg::exec(tx,
                 "INSERT INTO access_refusal(user_id, identity_id, unit_id, address, method, path, code, message)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                 p);
    });
}

std::string session_cookie(const std::string& token, bool secure) {
    return std::string(kSessionCookie) + "=" + token + "; HttpOnly; SameSite=Strict; Path=/" + (secure ? "; Secure" : "");
}

std::string cleared_session_cookie(bool secure) {
    return std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" + (secure ? "; Secure" : "");
}

}  // namespace twindraw::server
