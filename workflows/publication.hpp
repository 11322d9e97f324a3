// Publication of accepted results (PUB-2, PUB-3; docs/publication.md): the department's
// list of results awaiting publication with each one's deadline (20 working days after
// its task's completion on the Chinese working-day calendar), days left and late flag;
// publishing one or many in one transaction (a frozen public snapshot, version 1 of the
// result, flow history "publication"); corrections requested by the publishing staff and
// approved or refused by the department head, every version kept. The public pages read
// the snapshot only (workflows/publication-public.hpp).
#pragma once

#include "geo/pg.hpp"
#include "workflows/flow-history.hpp"
#include "workflows/working-days.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace twindraw::publication {

/// PUB-2: results are published within this many working days after the task completes.
constexpr int kDeadlineWorkingDays = 20;

struct Deadline {
    calendar::Date deadline;
    bool provisional = false;  // a year on the way has no official schedule (counted Mon–Fri)
    int days_left = 0;         // working days from today to the deadline; negative when late
    bool late = false;         // today is after the deadline
};

/// The deadline of a result whose task completed on `completed`, seen on `today`.
/// Pure (no database): the calendar is passed in.
Deadline deadline_for(const calendar::Calendar& cal, const calendar::Date& completed, const calendar::Date& today);

struct Filter {
    std::string status = "awaiting";  // incomplete | awaiting | published | correcting | all
    std::optional<long long> task_id;
    std::string q;  // job number, enterprise name or USCC
    bool late_only = false;
    long long page = 1;
    long long page_size = 20;
};

/// 结果公示 (publish.manage): the accepted results of the actor's data scope with their
/// publication state, completion date, deadline (provisional flag), days left and late flag.
/// Awaiting results come nearest deadline first. {items, total, page, page_size, today}.
nlohmann::json list(pg::Pool& pool, const flow::FlowActor& actor, const Filter& f);

/// One result by its job id: the list fields plus result, versions, corrections and the
/// flow history (job and publication). 404 outside the actor's scope or not accepted.
nlohmann::json get(pg::Pool& pool, const flow::FlowActor& actor, long long job_id);

/// Publishes {job_ids:[…] (1–500), opinion?} in one transaction: every job must be an
/// accepted result of a completed task in the actor's scope, not yet published — else
/// nothing is published (409 invalid_transition with state and job_id; 404 unseen).
/// {published:[{job_id, publication_id, deadline, late}], count}.
nlohmann::json publish(pg::Pool& pool, const flow::FlowActor& actor, const nlohmann::json& body);

/// PUB-3: asks to correct a published result {reason, result_category, qualified?,
/// findings?}; the result becomes correcting until the head decides. Tells the unit.
nlohmann::json request_correction(pg::Pool& pool, const flow::FlowActor& actor, long long job_id,
                                  const nlohmann::json& body);

/// The correction requests of the actor's scope; state pending (default) | approved |
/// refused | all.
nlohmann::json list_corrections(pg::Pool& pool, const flow::FlowActor& actor, const std::string& state, long long page,
                                long long page_size);

/// The department head approves (a new version becomes current; the earlier one stays)
/// or refuses ({opinion} required) a pending correction. The requester may not decide
/// their own request (403 self_approval). Tells the requester.
nlohmann::json decide_correction(pg::Pool& pool, const flow::FlowActor& actor, long long correction_id, bool approve,
                                 const nlohmann::json& body);

}  // namespace twindraw::publication
