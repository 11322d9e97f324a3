// The state machines of appeals and draw changes (JOB-5, WORK-9, DRAW-6, DRAW-9): every
// transition in their tables, and every other (action, state) pair refused as a 409
// naming the current state.
#include "geo/error.hpp"
#include "workflows/appeals.hpp"
#include "workflows/draw-changes.hpp"

#include <gtest/gtest.h>

using namespace twindraw;

namespace {
template <typename F>
void expect_conflict(F f, const std::string& state) {
    try {
        f();
        FAIL() << "no exception for state " << state;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Conflict);
        EXPECT_EQ(e.code(), "invalid_transition");
        ASSERT_FALSE(e.details().empty());
        EXPECT_EQ(e.details()[0], (std::pair<std::string, std::string>{"state", state}));
    }
}
}  // namespace

TEST(AppealStates, OnlyAPendingAppealIsDecidedOrWithdrawn) {
    for (const char* action : {"accept", "reject", "withdraw"}) {
        const auto& t = appeals::require_transition(action, "pending");
        EXPECT_EQ(t.from, "pending");
        EXPECT_EQ(t.permission, std::string(action) == "withdraw" ? "job.submit" : "result.review");
        for (const char* state : {"accepted", "rejected", "withdrawn"})
            expect_conflict([&] { appeals::require_transition(action, state); }, state);
    }
    EXPECT_EQ(appeals::require_transition("accept", "pending").to, "accepted");
    EXPECT_EQ(appeals::require_transition("reject", "pending").to, "rejected");
    EXPECT_EQ(appeals::state_label("pending"), "待复核");
    expect_conflict([] { appeals::require_transition("file", "pending"); }, "pending");
}

TEST(DrawChangeStates, OnlyAPendingChangeIsApprovedOrRefusedByTheApprover) {
    for (const char* action : {"approve", "refuse"}) {
        const auto& t = drawchange::require_transition(action, "pending");
        EXPECT_EQ(t.permission, "draw.change.approve");
        for (const char* state : {"approved", "refused"})
            expect_conflict([&] { drawchange::require_transition(action, state); }, state);
    }
    EXPECT_EQ(drawchange::require_transition("approve", "pending").to, "approved");
    EXPECT_EQ(drawchange::transitions().size(), 2u);
}
