// The draw algorithm (DRAW-1, DRAW-2, DRAW-5, VERIFY-1) against the worked example of
// docs/draw-algorithm.md §8, and its statistical and structural properties.
#include "geo/error.hpp"
#include "workflows/draw-core.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <set>

using namespace twindraw;
using namespace twindraw::draw;

namespace {

// Exactly the inputs of docs/draw-algorithm.md §8.
Record worked_example() {
    Record r;
    r.object_kind = "market_subject";
    r.object_strata = {{"R3CB", {14, 5, 9}}, {"R1CA", {20, 3, 12, 7}}};  // deliberately unordered
    canonicalise(r.object_strata);
    r.quotas["R1CA"] = Quota{5000, std::nullopt};
    r.quotas["R3CB"] = Quota{std::nullopt, 1};
    for (int i = 0; i < 32; ++i) r.entropy[static_cast<size_t>(i)] = static_cast<unsigned char>(i + 1);
    r.groups = 2;
    r.per_group = 2;
    r.inspector_strata = {{"member", {106, 105, 104, 103, 102, 101}}, {"leader", {103, 101, 102}}};
    canonicalise(r.inspector_strata, false);
    return r;
}

}  // namespace

TEST(DrawCore, WorkedExampleOfTheDocs) {
    auto r = worked_example();
    EXPECT_EQ(canonical_text(r.object_strata), "R1CA:3\nR1CA:7\nR1CA:12\nR1CA:20\nR3CB:5\nR3CB:9\nR3CB:14\n");
    draw_objects(r);
    EXPECT_EQ(to_hex(r.object_digest), "7651c1ac8ae369bbeb4060c2558ffa4b658491feb88da483abb9e82dfb8872d6");
    EXPECT_EQ(to_hex(r.seed), "f379fd4a94076a8dbf192d8c06f67c5af7836807980730b2e251a8a12d1e5994");
    EXPECT_EQ(to_hex(draw_key(r.seed, "R1CA", 20)).substr(0, 16), "2917981c13a35cfa");
    EXPECT_EQ(to_hex(draw_key(r.seed, "R3CB", 14)).substr(0, 16), "b5c4393174118f6c");
    EXPECT_EQ(r.selected["R1CA"], (std::vector<long long>{20, 7}));
    EXPECT_EQ(r.selected["R3CB"], (std::vector<long long>{9}));

    draw_inspectors(r);
    EXPECT_EQ(to_hex(r.inspector_digest), "a6ff77f0862af6cd225fce0f5cb79c5c0c82f9e86a5e6430a3becdebaf6824a2");
    EXPECT_EQ(to_hex(inspector_seed(r.seed, r.inspector_digest)),
              "1311b195cdc84f2044866ab58dce953c7f645957b5a8fa5da12cb32dff7a8289");
    ASSERT_EQ(r.result_groups.size(), 2u);
    EXPECT_EQ(r.result_groups[0].leader, 103);
    EXPECT_EQ(r.result_groups[0].members, (std::vector<long long>{106}));
    EXPECT_EQ(r.result_groups[0].objects, (std::vector<long long>{9, 20}));
    EXPECT_EQ(r.result_groups[1].leader, 101);
    EXPECT_EQ(r.result_groups[1].members, (std::vector<long long>{102}));
    EXPECT_EQ(r.result_groups[1].objects, (std::vector<long long>{7}));
}

TEST(DrawCore, TheDocsExampleRecordVerifiesAndOneChangedByteFails) {
    std::ifstream in(std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-example.json");
    ASSERT_TRUE(in) << "docs/draw-example.json missing";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto v = verify(nlohmann::json::parse(text));
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].message);

    // The record our code writes is the one in the docs.
    auto r = worked_example();
    draw_objects(r);
    draw_inspectors(r);
    auto mine = to_json(r);
    auto docs = nlohmann::json::parse(text);
    EXPECT_EQ(mine, docs);

    // Every single-digit change of the seed, a candidate or a result is caught.
    auto tampered = [&](std::string from, std::string to) {
        auto pos = text.find(from);
        EXPECT_NE(pos, std::string::npos) << from;
        std::string t = text;
        t.replace(pos, from.size(), to);
        return verify(nlohmann::json::parse(t));
    };
    auto t1 = tampered("\"seed\":\"f379", "\"seed\":\"f378");
    EXPECT_FALSE(t1.ok);
    ASSERT_FALSE(t1.differences.empty());
    EXPECT_EQ(t1.differences[0].field, "seed");
    auto t2 = tampered("\"candidates\":[3,", "\"candidates\":[4,");
    EXPECT_FALSE(t2.ok);
    EXPECT_EQ(t2.differences[0].field, "object_digest");
    auto t3 = tampered("\"leader\":103", "\"leader\":102");
    EXPECT_FALSE(t3.ok);
    EXPECT_EQ(t3.differences[0].field, "result_groups[0].leader");
    auto t4 = tampered("\"selected\":[20,7]", "\"selected\":[7,20]");
    EXPECT_FALSE(t4.ok);
    EXPECT_EQ(t4.differences[0].field, "selected.R1CA");
    auto t5 = tampered("\"format\"", "\"formax\"");
    EXPECT_FALSE(t5.ok);
    EXPECT_EQ(t5.differences[0].field, "format");
}

TEST(DrawCore, SelectionIsUniformChiSquare) {
    // 10,000 draws of 10 from 100, each with fresh entropy: every id is expected
    // 1,000 times. χ² with 99 degrees of freedom; P(χ² > 148.23) = 0.001.
    std::vector<long long> ids(100);
    std::iota(ids.begin(), ids.end(), 1);
    std::vector<int> hits(101, 0);
    for (int t = 0; t < 10000; ++t) {
        auto seed = object_seed(Digest{}, random_entropy());
        auto pick = smallest_k(seed, "R1CA", ids, 10);
        ASSERT_EQ(pick.size(), 10u);
        ASSERT_EQ(std::set<long long>(pick.begin(), pick.end()).size(), 10u);  // without replacement
        for (long long id : pick) ++hits[static_cast<size_t>(id)];
    }
    double chi2 = 0;
    for (int i = 1; i <= 100; ++i)
        chi2 += (hits[static_cast<size_t>(i)] - 1000.0) * (hits[static_cast<size_t>(i)] - 1000.0) / 1000.0;
    EXPECT_LT(chi2, 148.23) << "p < 0.001";
    // A biased rule (first ten ids always) would be caught by the same statistic.
    double biased = 0;
    for (int i = 1; i <= 100; ++i) {
        const double o = i <= 10 ? 10000.0 : 0.0;
        biased += (o - 1000.0) * (o - 1000.0) / 1000.0;
    }
    EXPECT_GT(biased, 148.23);
}

TEST(DrawCore, DeterministicAndIndependentOfRowOrder) {
    std::vector<long long> ids(500);
    std::iota(ids.begin(), ids.end(), 1000);
    auto reversed = ids;
    std::reverse(reversed.begin(), reversed.end());
    const auto seed = object_seed(Digest{}, random_entropy());
    EXPECT_EQ(smallest_k(seed, "R2CB", ids, 37), smallest_k(seed, "R2CB", reversed, 37));
    // The k smallest are a prefix of the k+1 smallest.
    auto a = smallest_k(seed, "R2CB", ids, 37), b = smallest_k(seed, "R2CB", ids, 38);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
    // Another seed or stratum label gives another selection.
    EXPECT_NE(a, smallest_k(object_seed(Digest{}, random_entropy()), "R2CB", ids, 37));
    EXPECT_NE(a, smallest_k(seed, "R2CC", ids, 37));
    EXPECT_EQ(smallest_k(seed, "R2CB", ids, 9999).size(), 500u);
}

TEST(DrawCore, QuotasRoundUpAndCapsRefuse) {
    EXPECT_EQ(quota_k(0, {500, std::nullopt}, std::nullopt), 0);
    EXPECT_EQ(quota_k(1, {1, std::nullopt}, std::nullopt), 1);       // ceil keeps coverage
    EXPECT_EQ(quota_k(200, {500, std::nullopt}, std::nullopt), 10);  // exact
    EXPECT_EQ(quota_k(201, {500, std::nullopt}, std::nullopt), 11);  // 10.05 → 11
    EXPECT_EQ(quota_k(7, {std::nullopt, 3}, std::nullopt), 3);
    EXPECT_EQ(quota_k(2, {std::nullopt, 3}, std::nullopt), 2);
    EXPECT_EQ(quota_k(1000, {std::nullopt, 50}, 500), 50);                // count within the cap
    EXPECT_EQ(quota_k(1000, {10000, std::nullopt}, std::nullopt), 1000);  // key items: no cap
    auto code = [](auto f) {
        try {
            f();
        } catch (const Error& e) {
            return e.code();
        }
        return std::string("none");
    };
    EXPECT_EQ(code([] { quota_k(1000, {600, std::nullopt}, 500); }), "above_cap");
    EXPECT_EQ(code([] { quota_k(1000, {std::nullopt, 51}, 500); }), "above_cap");
    EXPECT_EQ(code([] { quota_k(10, {0, std::nullopt}, std::nullopt); }), "bad_quota");
    EXPECT_EQ(code([] { quota_k(10, {10001, std::nullopt}, std::nullopt); }), "bad_quota");
    EXPECT_EQ(code([] { quota_k(10, {500, 3}, std::nullopt); }), "bad_quota");
    EXPECT_EQ(code([] { quota_k(10, {}, std::nullopt); }), "bad_quota");

    // Strata counts end to end: 16 strata, each its own k.
    Record r;
    long long next = 1;
    for (int risk = 1; risk <= 4; ++risk)
        for (char credit : std::string("ABCD")) {
            Stratum s{"R" + std::to_string(risk) + "C" + credit, {}};
            for (int i = 0; i < 40 * risk; ++i) s.ids.push_back(next++);
            r.quotas[s.label] = Quota{risk * 250LL, std::nullopt};  // 2.5 %, 5 %, 7.5 %, 10 %
            r.object_strata.push_back(std::move(s));
        }
    canonicalise(r.object_strata);
    r.entropy = random_entropy();
    draw_objects(r);
    for (const auto& s : r.object_strata) {
        const int risk = s.label[1] - '0';
        const long long want = (40LL * risk * risk * 250 + 9999) / 10000;
        EXPECT_EQ(static_cast<long long>(r.selected[s.label].size()), want) << s.label;
        for (long long id : r.selected[s.label])
            EXPECT_TRUE(std::binary_search(s.ids.begin(), s.ids.end(), id)) << s.label;
    }
}

TEST(DrawCore, CanonicalListRefusesDuplicatesAndBadLabels) {
    std::vector<Stratum> dup = {{"R1CA", {1, 2}}, {"R2CA", {2}}};
    EXPECT_THROW(canonicalise(dup), Error);
    std::vector<Stratum> bad = {{"R1 CA", {1}}};
    EXPECT_THROW(canonicalise(bad), Error);
    std::vector<Stratum> neg = {{"R1CA", {0}}};
    EXPECT_THROW(canonicalise(neg), Error);
}

TEST(DrawCore, GroupsAreBalancedAndDisjoint) {
    Record r;
    Stratum s{"R2CB", {}};
    for (long long i = 1; i <= 23; ++i) s.ids.push_back(i);
    r.object_strata = {s};
    r.quotas["R2CB"] = Quota{std::nullopt, 23};
    r.entropy = random_entropy();
    r.groups = 4;
    r.per_group = 3;
    Stratum leaders{"leader", {}}, members{"member", {}};
    for (long long i = 100; i < 130; ++i) {
        members.ids.push_back(i);
        if (i % 5 == 0) leaders.ids.push_back(i);
    }
    r.inspector_strata = {leaders, members};
    canonicalise(r.inspector_strata, false);
    draw_objects(r);
    draw_inspectors(r);
    ASSERT_EQ(r.result_groups.size(), 4u);
    std::set<long long> objects, people;
    for (const auto& g : r.result_groups) {
        EXPECT_TRUE(g.objects.size() == 5 || g.objects.size() == 6);
        EXPECT_EQ(g.leader % 5, 0) << "leader from the leader library";
        EXPECT_EQ(g.members.size(), 2u);
        objects.insert(g.objects.begin(), g.objects.end());
        people.insert(g.leader);
        people.insert(g.members.begin(), g.members.end());
    }
    EXPECT_EQ(objects.size(), 23u);
    EXPECT_EQ(people.size(), 12u);  // nobody twice

    // Too few leaders or members: refused with a named reason.
    Record few = r;
    few.groups = 7;
    try {
        draw_inspectors(few);
        ADD_FAILURE() << "7 groups with 6 leaders";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "too_few_leaders");
    }
    few.groups = 6;
    few.per_group = 6;
    try {
        draw_inspectors(few);
        ADD_FAILURE() << "30 people for 36 places";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "too_few_inspectors");
    }
}

TEST(DrawCore, CrossDistrictKeepsPeopleFromTheirOwnOfficesObjects) {
    // 所所交叉: person 1 belongs to office 7 and every object lies in office 7, so the
    // group of person 1 gets no object, whatever the seed; the record verifies.
    for (int t = 0; t < 20; ++t) {
        Record r;
        r.object_kind = "market_subject";
        r.object_strata = {{"R1CA", {11, 12, 13, 14, 15}}};
        r.quotas["R1CA"] = Quota{std::nullopt, 5};
        r.entropy = random_entropy();
        r.groups = 2;
        r.per_group = 2;
        r.inspector_strata = {{"leader", {1, 2}}, {"member", {1, 2, 3, 4}}};
        r.cross_district = true;
        for (long long o = 11; o <= 15; ++o) r.object_offices[o] = 7;
        r.inspector_offices[1] = 7;
        draw_objects(r);
        draw_inspectors(r);
        for (const auto& g : r.result_groups) {
            const bool has_one = g.leader == 1 || std::count(g.members.begin(), g.members.end(), 1) > 0;
            EXPECT_EQ(g.objects.size(), has_one ? 0u : 5u);
        }
        EXPECT_TRUE(verify(to_json(r)).ok);
        // Both groups holding a person of office 7: refused.
        r.inspector_offices[2] = 7;
        r.inspector_offices[3] = 7;
        r.inspector_offices[4] = 7;
        try {
            draw_inspectors(r);
            ADD_FAILURE() << "no group may take the objects";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), "cross_district_impossible");
        }
    }
}

// Format 2 (issue 12 §3): commit, witness, reveal. The worked example of
// docs/draw-algorithm.md §8a: the inputs of §8 with W = 0123456789abcdef, no beacon.
// The expected values were computed with sha256sum/xxd and docs/draw-verify.py.
TEST(DrawCore, Format2WorkedExampleOfTheDocs) {
    auto r = worked_example();
    r.format = 2;
    r.witness = canonical_witness("  0123456789ABCDEF ");
    EXPECT_EQ(r.witness, "0123456789abcdef");
    r.entropy_commitment = entropy_commitment(r.entropy);
    EXPECT_EQ(to_hex(r.entropy_commitment), "ae216c2ef5247a3782c135efa279a3e4cdc61094270f5d2be58c6204b7a612c9");
    EXPECT_EQ(to_hex(witness_hash(r.witness)), "55c53f5d490297900cefa825d0c8e8e9532ee8a118abe7d8570762cd38be9818");
    draw_objects(r);
    EXPECT_EQ(to_hex(r.seed), "a669953f0bcec65bac9a8caf02a2da818034f752a945e3eaf39910a750e72dba");
    EXPECT_EQ(to_hex(draw_key(r.seed, "R1CA", 12)).substr(0, 16), "485a71c7ab427cd0");
    EXPECT_EQ(r.selected["R1CA"], (std::vector<long long>{12, 7}));
    EXPECT_EQ(r.selected["R3CB"], (std::vector<long long>{5}));
    draw_inspectors(r);
    ASSERT_EQ(r.result_groups.size(), 2u);
    EXPECT_EQ(r.result_groups[0].leader, 103);
    EXPECT_EQ(r.result_groups[0].members, (std::vector<long long>{104}));
    EXPECT_EQ(r.result_groups[0].objects, (std::vector<long long>{7, 12}));
    EXPECT_EQ(r.result_groups[1].leader, 102);
    EXPECT_EQ(r.result_groups[1].objects, (std::vector<long long>{5}));

    // With a beacon the seed is another one (H(beacon) appended).
    auto b = worked_example();
    b.format = 2;
    b.witness = r.witness;
    b.beacon = canonical_beacon("2026120 福彩3D 507");
    draw_objects(b);
    EXPECT_EQ(to_hex(b.seed), "cc41f2a578ed78fe647df647d00cac2b2f39de5a44b3c47bda4f0c79fbc918eb");

    // The record our code writes is docs/draw-example-2.json, and it verifies.
    std::ifstream in(std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-example-2.json");
    ASSERT_TRUE(in) << "docs/draw-example-2.json missing";
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(to_json(r), nlohmann::json::parse(text));
    auto v = verify(nlohmann::json::parse(text));
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].message);
}

TEST(DrawCore, Format2NamesTheWitnessCommitmentAndSeed) {
    std::ifstream in(std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-example-2.json");
    ASSERT_TRUE(in);
    const auto good = nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    auto first_field = [](const nlohmann::json& j) {
        auto v = verify(j);
        return v.ok || v.differences.empty() ? std::string() : v.differences[0].field;
    };
    // Another witness value: the recorded seed no longer follows.
    auto w = good;
    w["witness"] = "0123456789abcdee";
    EXPECT_EQ(first_field(w), "seed");
    // Another entropy than the one committed to before the draw.
    auto e = good;
    e["entropy"] = std::string(64, '1');
    auto ve = verify(e);
    ASSERT_FALSE(ve.ok);
    EXPECT_EQ(ve.differences[0].field, "entropy_commitment");
    // A beacon added afterwards.
    auto b = good;
    b["beacon"] = "123";
    EXPECT_EQ(first_field(b), "seed");
    // A witness below 64 bits is malformed.
    auto s = good;
    s["witness"] = "0123456789abcd";
    EXPECT_EQ(first_field(s), "witness");
    EXPECT_THROW(canonical_witness("0123456789abcdeg"), Error);
    EXPECT_THROW(canonical_beacon(""), Error);
    // Format 1 records keep their own seed rule.
    auto one = good;
    one["format"] = "twindraw-draw/1";
    EXPECT_EQ(first_field(one), "seed");
}

// Recusals frozen with the pools (issue 12 §3, migration 0039): the worked example §8b of
// docs/draw-algorithm.md — §8a with 102 recused from the selected object 5 and 104 from
// object 20 (not selected). The digest covers the recusal lines; 102 is left out, 104 not.
// The expected values were computed with Python's hashlib (docs/draw-verify.py).
TEST(DrawCore, RecusalsFrozenWithThePoolsWorkedExample) {
    auto r = worked_example();
    r.format = 2;
    r.witness = "0123456789abcdef";
    r.entropy_commitment = entropy_commitment(r.entropy);
    r.recusals = {{102, 5}, {104, 20}};
    draw_objects(r);
    draw_inspectors(r);
    EXPECT_EQ(to_hex(r.inspector_digest), "1683f85820a9c036d1378d290e43240d696fe78d3d55bc0455c01d9021f25553");
    EXPECT_EQ(to_hex(inspector_seed(r.seed, r.inspector_digest)),
              "6af6aee1d4c3d92aff2abab23245a2f24d9619ff4f44b68c9a567b6f4852ae90");
    ASSERT_EQ(r.result_groups.size(), 2u);
    EXPECT_EQ(r.result_groups[0].leader, 103);
    EXPECT_EQ(r.result_groups[0].members, (std::vector<long long>{105}));
    EXPECT_EQ(r.result_groups[1].leader, 101);
    EXPECT_EQ(r.result_groups[1].members, (std::vector<long long>{106}));
    // Without recusals the digest is the pools' own (records before 0039 unchanged).
    EXPECT_EQ(inspector_digest(r.inspector_strata, {}), digest(r.inspector_strata));

    std::ifstream in(std::string(TWINDRAW_SOURCE_DIR) + "/docs/draw-example-3.json");
    ASSERT_TRUE(in) << "docs/draw-example-3.json missing";
    const auto file = nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    EXPECT_EQ(to_json(r), file);
    auto v = verify(file);
    EXPECT_TRUE(v.ok) << (v.differences.empty() ? "" : v.differences[0].message);
    // A recusal dropped from the record, or listed out of order, is named.
    auto dropped = file;
    dropped["recusals"] = nlohmann::json::array({{104, 20}});
    v = verify(dropped);
    ASSERT_FALSE(v.ok);
    EXPECT_EQ(v.differences[0].field, "inspector_digest");
    auto order = file;
    order["recusals"] = nlohmann::json::array({{104, 20}, {102, 5}});
    v = verify(order);
    ASSERT_FALSE(v.ok);
    EXPECT_EQ(v.differences[0].field, "recusals");
}
