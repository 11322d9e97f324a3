// Notifications of the task flow: who is told of which step, and the message.
#include "workflows/notify.hpp"

#include "workflows/working-days.hpp"

namespace twindraw::notify {

namespace {

std::string array_literal(const std::vector<long long>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
}

std::vector<long long> column(const pqxx::result& r) {
    std::vector<long long> out;
    for (const auto& row : r) out.push_back(row[0].as<long long>());
    return out;
}

}  // namespace

std::vector<long long> recipients(pqxx::transaction_base& tx, const std::vector<long long>& units,
                                  const std::string& permission) {
    if (units.empty()) return {};
    return column(pg::exec(tx, "SELECT notify_recipients($1::bigint[], $2)",
                           pg::Params().add(array_literal(units)).add(permission)));
}

size_t task_event(pqxx::transaction_base& tx, long long task_id, const std::string& event, const std::string& opinion,
                  long long unit) {
    auto t = pg::exec(
        tx, "SELECT name, initiating_authority_id, created_by, draw_id FROM inspection_task WHERE id = $1::bigint",
        pg::Params().add(task_id));
    if (t.empty()) return 0;
    const std::string name = t[0][0].c_str();
    const long long initiating = t[0][1].as<long long>();
    const auto executing = column(pg::exec(
        tx, "SELECT authority_id FROM task_unit WHERE task_id = $1::bigint ORDER BY 1", pg::Params().add(task_id)));
    const auto waiting = column(
        pg::exec(tx, "SELECT authority_id FROM task_unit WHERE task_id = $1::bigint AND state = 'waiting' ORDER BY 1",
                 pg::Params().add(task_id)));

    std::vector<long long> users;
    std::string category = "task", title, body;
    const std::string quoted = "“" + name + "”";
    if (event == "submit") {
        users = recipients(tx, {initiating}, "task.review");
        title = "抽查任务" + quoted + "待审核";
    } else if (event == "approve") {
        users = recipients(tx, executing, "work.receive");
        category = "work";
        title = "抽查任务" + quoted + "已审核通过，请接收";
    } else if (event == "return") {
        users = recipients(tx, {initiating}, "task.create");
        if (!t[0][2].is_null()) users.push_back(t[0][2].as<long long>());
        title = "抽查任务" + quoted + "已退回";
    } else if (event == "receive") {
        users = recipients(tx, {unit}, "job.submit");
        auto more = recipients(tx, {initiating}, "task.create");
        users.insert(users.end(), more.begin(), more.end());
        category = "work";
        title = "抽查任务" + quoted + "已接收";
    } else if (event == "urge") {
        users = recipients(tx, waiting.empty() ? executing : waiting, "work.receive");
        // TASK-7: and every inspector with unfinished jobs of the task.
        auto more = column(pg::exec(tx, "SELECT notify_job_inspectors($1::bigint, NULL)", pg::Params().add(task_id)));
        users.insert(users.end(), more.begin(), more.end());
        category = "work";
        title = "催办：抽查任务" + quoted;
    } else if (event == "draw") {
        if (!t[0][3].is_null())
            users = column(
                pg::exec(tx, "SELECT notify_draw_inspectors($1::bigint)", pg::Params().add(t[0][3].as<long long>())));
        auto more = recipients(tx, executing, "draw.run");
        users.insert(users.end(), more.begin(), more.end());
        category = "work";
        title = "抽查任务" + quoted + "已完成随机抽取";
        if (!t[0][3].is_null())
            body = "抽取记录 " + t[0][3].as<std::string>() + " 已确认，可在任务详情中查看与公开复核。";
    } else if (event == "deadline") {
        users = recipients(tx, executing, "work.receive");
        auto more = recipients(tx, executing, "job.submit");
        users.insert(users.end(), more.begin(), more.end());
        category = "work";
        auto end =
            pg::exec(tx, "SELECT end_date::text FROM inspection_task WHERE id = $1::bigint", pg::Params().add(task_id));
        title = "抽查任务" + quoted + "将于 " + std::string(end[0][0].c_str()) + " 到期";
    } else {
        return 0;
    }
    if (!opinion.empty()) body += (body.empty() ? "" : "\n") + std::string("意见：") + opinion;
    if (users.empty()) return 0;
    const std::string link = "/random/tasks/" + std::to_string(task_id);
    // messages::send's rows, through notify_message (0014): the actor's scope need not
    // cover the recipients.
    pg::exec(tx, "SELECT notify_message($1::bigint[], $2, $3, $4, $5)",
             pg::Params().add(array_literal(users)).add(category).add(title).add(body).add(link));
    // E-mail and SMS leave after commit from the outbox (notify-outbox.hpp).
    pg::exec(tx, "SELECT notify_enqueue($1::bigint[], $2, $3)",
             pg::Params()
                 .add(array_literal(users))
                 .add("【TwinDraw】" + title)
                 .add((body.empty() ? title : body) + "\n任务详情：" + link));
    return users.size();
}

size_t work_urged(pqxx::transaction_base& tx, long long task_id, long long unit_id, const std::string& opinion) {
    auto t = pg::exec(tx, "SELECT name FROM inspection_task WHERE id = $1::bigint", pg::Params().add(task_id));
    if (t.empty()) return 0;
    const auto users = column(pg::exec(tx, "SELECT notify_job_inspectors($1::bigint, $2::bigint)",
                                       pg::Params().add(task_id).add(unit_id)));
    if (users.empty()) return 0;
    const std::string title = "催办：抽查任务“" + std::string(t[0][0].c_str()) + "”的检查作业";
    const std::string body = opinion.empty() ? title : "意见：" + opinion;
    const std::string link = "/random/jobs";
    pg::exec(tx, "SELECT notify_message($1::bigint[], $2, $3, $4, $5)",
             pg::Params().add(array_literal(users)).add("work").add(title).add(body).add(link));
    pg::exec(tx, "SELECT notify_enqueue($1::bigint[], $2, $3)",
             pg::Params().add(array_literal(users)).add("【TwinDraw】" + title).add(body + "\n我的检查：" + link));
    return users.size();
}

int deadline_near(pg::Pool& pool, int working_days) {
    return pg::with_transaction(pool, "notify-deadline", [&](pqxx::work& tx) {
        const auto cal = calendar::load(tx);
        const auto today = calendar::today_in_china();
        const auto limit = cal.add_working_days(today, working_days).date;
        int n = 0;
        for (const auto& r :
             pg::exec(tx,
                      "SELECT id FROM inspection_task WHERE state = 'approved'"
                      " AND deadline_notified_at IS NULL AND end_date >= $1::date"
                      " AND end_date <= $2::date ORDER BY id FOR UPDATE SKIP LOCKED",
                      pg::Params().add(calendar::format_date(today)).add(calendar::format_date(limit)))) {
            const long long id = r[0].as<long long>();
            task_event(tx, id, "deadline");
            pg::exec(tx, "UPDATE inspection_task SET deadline_notified_at = now() WHERE id = $1::bigint",
                     pg::Params().add(id));
            ++n;
        }
        return n;
    });
}

}  // namespace twindraw::notify
