// System messages to users and units (HOME-1, SYS-5). Other workflows notify through
// send() inside their own transaction, so a message exists exactly when the change it
// reports was committed. A message to a unit reaches everyone holding an identity in
// that unit; each person reads it for themselves. See docs/messages.md.
#pragma once

#include "geo/pg.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace twindraw::messages {

struct Recipients {
    std::vector<long long> user_ids;  // app_user ids
    std::vector<long long> unit_ids;  // authority ids
};

/// Categories a message may have, code → Chinese label: system 系统消息, plan 计划,
/// task 任务, work 部门工作, job 检查作业, result 检查结果, appeal 申诉, feedback 问题反馈,
/// publication 结果公示, alert 预警.
const std::vector<std::pair<std::string, std::string>>& categories();

/// Sends one message in the caller's transaction and returns its id. The sender is the
/// transaction's actor (twindraw.user_id), if any. Requires at least one recipient, a
/// known category, a title of 1–200 characters, a body of at most 5000 and a link of
/// at most 500 (a path inside the application such as "/random/tasks/42").
/// Throws registry::ValidationError (422) on bad input and Error(Invalid,
/// "unknown_recipient") when a user or unit does not exist. Duplicates are merged.
long long send(pqxx::transaction_base& tx, const Recipients& to, const std::string& category, const std::string& title,
               const std::string& body = "", const std::string& link = "");

struct Filter {
    bool unread_only = false;
    std::string category;   // empty: all
    long long unit_id = 0;  // > 0: only messages to this unit (one of the user's)
    long long page = 1;
    long long page_size = 20;
};

/// The messages user_id may see, newest first: {items:[{id, category, category_label,
/// title, body, link, created_at, sender_name, unit_id, unit_name, read}], total,
/// unread, page, page_size}.
nlohmann::json list_mine(pg::Pool& pool, long long user_id, const Filter& f);

/// {total, personal, units:[{unit_id, unit_name, unread}]}: unread messages of the user
/// in all, addressed to them personally, and per unit they hold an identity in.
nlohmann::json unread_counts(pg::Pool& pool, long long user_id);

/// Marks one message read for the user; Error(NotFound) when they cannot see it.
void mark_read(pg::Pool& pool, long long user_id, long long message_id);

/// Marks every visible message (of one unit when unit_id > 0) read; returns how many.
long long mark_all_read(pg::Pool& pool, long long user_id, long long unit_id);

/// POST /api/messages: an administrator's message. body: {user_ids?, unit_ids?,
/// category? ("system"), title, body?, link?} → {id}.
nlohmann::json send_from_request(pg::Pool& pool, const nlohmann::json& body);

}  // namespace twindraw::messages
