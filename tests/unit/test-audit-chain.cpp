// The audit chain's canonical content and hash, against a row written by PostgreSQL
// (data/migrations/0005_audit.sql; hash cross-checked with Python's hashlib), and the
// walker's verdicts on small hand-made chains.
#include "workflows/audit-verify.hpp"

#include <gtest/gtest.h>

using namespace twindraw::audit;

namespace {

// Row 1 of a fresh trail: 重庆市 inserted by user 7 from 127.0.0.1.
ChainRow first_row() {
    ChainRow r;
    r.id = 1;
    r.at_us = 1795457758LL * 1000000 + 479225;
    r.user_id = 7;
    r.address = "127.0.0.1";
    r.action = "insert";
    r.entity = "division";
    r.entity_id = "500000";
    r.after = R"({"code": "500000", "geom": null, "name": "重庆市", "level": 1, "parent_code": null})";
    r.prev_hash = std::string(32, '\0');
    return r;
}

// A valid chain of n rows.
std::vector<ChainRow> chain(int n) {
    std::vector<ChainRow> rows;
    std::string prev(32, '\0');
    for (int i = 1; i <= n; ++i) {
        ChainRow r = first_row();
        r.id = i;
        r.entity_id = std::to_string(500000 + i);
        r.prev_hash = prev;
        r.hash = row_hash(prev, canonical_content(r));
        prev = r.hash;
        rows.push_back(r);
    }
    return rows;
}

std::optional<Break> walk(const std::vector<ChainRow>& rows, long long head_id, const std::string& head_hash) {
    ChainWalker w;
    for (const auto& r : rows)
        if (auto b = w.next(r)) return b;
    return w.finish(head_id, head_hash);
}

}  // namespace

TEST(AuditChain, TimestampIsUtcWithSixFractionDigits) {
    EXPECT_EQ(format_utc_micros(1795457758LL * 1000000 + 479225), "2026-11-23T18:15:58.479225Z");
    EXPECT_EQ(format_utc_micros(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(format_utc_micros(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(AuditChain, CanonicalContentAndHashMatchPostgres) {
    ChainRow r = first_row();
    EXPECT_EQ(canonical_content(r),
              "1:127:2026-11-23T18:15:58.479225Z1:7~~9:127.0.0.16:insert8:division6:500000~"
              "86:{\"code\": \"500000\", \"geom\": null, \"name\": \"重庆市\", \"level\": 1, \"parent_code\": null}");
    EXPECT_EQ(to_hex(row_hash(r.prev_hash, canonical_content(r))),
              "8c8227cb0713c9660857dd0c5b0a848d7f553ebe5fd5e9ce3c4058319a0c7a22");
}

TEST(AuditChain, NullAndEmptyFieldsDiffer) {
    ChainRow a = first_row(), b = first_row();
    a.address = std::nullopt;
    b.address = std::string();
    EXPECT_NE(canonical_content(a), canonical_content(b));
    // Moving a character across a field boundary changes the content.
    ChainRow c = first_row(), d = first_row();
    c.entity = "division5";
    c.entity_id = "00000";
    d.entity = "division";
    d.entity_id = "500000";
    EXPECT_NE(canonical_content(c), canonical_content(d));
}

TEST(AuditChain, IntactChainPasses) {
    auto rows = chain(5);
    EXPECT_FALSE(walk(rows, 5, rows.back().hash));
    EXPECT_FALSE(walk({}, 0, std::string(32, '\0')));
}

TEST(AuditChain, EditedRowIsNamed) {
    auto rows = chain(5);
    rows[2].after = R"({"name": "改过"})";
    auto b = walk(rows, 5, rows.back().hash);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 3);
    EXPECT_EQ(b->kind, BreakKind::Edited);
}

TEST(AuditChain, DeletedRowIsNamed) {
    auto rows = chain(5);
    rows.erase(rows.begin() + 1);
    auto b = walk(rows, 5, rows.back().hash);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 2);
    EXPECT_EQ(b->kind, BreakKind::Deleted);
}

TEST(AuditChain, DeletedTailIsCaughtByTheHead) {
    auto rows = chain(5);
    std::string head = rows.back().hash;
    rows.pop_back();
    auto b = walk(rows, 5, head);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 5);
    EXPECT_EQ(b->kind, BreakKind::Deleted);
}

TEST(AuditChain, RenumberedAndRehashedRowIsAnInsertion) {
    // Row 3 replaced by a self-consistent forgery: its own hash is right, its link is not.
    auto rows = chain(5);
    rows[2].after = R"({"forged": true})";
    rows[2].prev_hash = std::string(32, 'x');
    rows[2].hash = row_hash(rows[2].prev_hash, canonical_content(rows[2]));
    auto b = walk(rows, 5, rows.back().hash);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 3);
    EXPECT_EQ(b->kind, BreakKind::Inserted);
}

TEST(AuditChain, RowAppendedBehindTheHeadIsAnInsertion) {
    auto rows = chain(6);
    auto b = walk(rows, 5, rows[4].hash);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->id, 6);
    EXPECT_EQ(b->kind, BreakKind::Inserted);
    EXPECT_STREQ(kind_name(b->kind), "inserted");
}
