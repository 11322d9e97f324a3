// The visiting order of an inspector's targets (issue 5 navigation): exact on small
// cases against brute force over every permutation, never worse than nearest neighbour,
// and the degenerate cases 0/1/2 targets; geodesic distances against known values.
#include "geo/visit-order.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace route = twindraw::route;
using twindraw::coord::LonLat;

namespace {

double brute_force(const route::Matrix& m) {
    std::vector<std::size_t> p(m.size() - 1);
    std::iota(p.begin(), p.end(), 0);
    double best = route::path_length(m, p);
    while (std::next_permutation(p.begin(), p.end())) best = std::min(best, route::path_length(m, p));
    return best;
}

// Random targets within ~20 km of 解放碑 (the demo city's centre) and a random start.
std::vector<LonLat> random_points(std::mt19937& rng, std::size_t n) {
    std::uniform_real_distribution<double> lon(106.40, 106.75), lat(29.40, 29.70);
    std::vector<LonLat> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back({lon(rng), lat(rng)});
    return out;
}

void expect_permutation(const route::Order& o, std::size_t n) {
    std::vector<std::size_t> v = o.visit;
    std::sort(v.begin(), v.end());
    std::vector<std::size_t> want(n);
    std::iota(want.begin(), want.end(), 0);
    EXPECT_EQ(v, want);
}

}  // namespace

TEST(VisitOrder, GeodesicDistanceMatchesKnownValues) {
    // One degree of latitude at the equator on WGS84: 110,574.389 m; one degree of
    // longitude at the equator: 111,319.491 m (standard ellipsoid values).
    EXPECT_NEAR(route::geodesic_m({0, 0}, {0, 1}), 110574.389, 0.01);
    EXPECT_NEAR(route::geodesic_m({0, 0}, {1, 0}), 111319.491, 0.01);
    EXPECT_DOUBLE_EQ(route::geodesic_m({106.5, 29.5}, {106.5, 29.5}), 0.0);
    // Symmetric.
    EXPECT_NEAR(route::geodesic_m({106.5, 29.5}, {106.6, 29.6}), route::geodesic_m({106.6, 29.6}, {106.5, 29.5}), 1e-6);
}

TEST(VisitOrder, ZeroOneTwoTargets) {
    const LonLat start{106.577, 29.5573};
    auto none = route::best_order(route::geodesic_matrix(start, {}));
    EXPECT_TRUE(none.visit.empty());
    EXPECT_EQ(none.metres, 0.0);
    EXPECT_TRUE(route::nearest_neighbour(route::geodesic_matrix(start, {})).visit.empty());

    const LonLat a{106.60, 29.56};
    auto one = route::best_order(route::geodesic_matrix(start, {a}));
    ASSERT_EQ(one.visit, std::vector<std::size_t>({0}));
    EXPECT_NEAR(one.metres, route::geodesic_m(start, a), 1e-6);

    // Two targets: the near one first.
    const LonLat near{106.58, 29.56}, far{106.70, 29.60};
    auto two = route::best_order(route::geodesic_matrix(start, {far, near}));
    ASSERT_EQ(two.visit, std::vector<std::size_t>({1, 0}));
    EXPECT_NEAR(two.metres, route::geodesic_m(start, near) + route::geodesic_m(near, far), 1e-6);
}

TEST(VisitOrder, OptimalOnSmallCasesAgainstBruteForce) {
    std::mt19937 rng(20261201);
    for (std::size_t n = 1; n <= 8; ++n) {
        for (int rep = 0; rep < 12; ++rep) {
            auto pts = random_points(rng, n + 1);
            const LonLat start = pts.back();
            pts.pop_back();
            const auto m = route::geodesic_matrix(start, pts);
            const auto o = route::best_order(m);
            expect_permutation(o, n);
            EXPECT_TRUE(o.exact);
            EXPECT_NEAR(o.metres, route::path_length(m, o.visit), 1e-6);
            EXPECT_NEAR(o.metres, brute_force(m), 1e-6) << "n=" << n << " rep=" << rep;
        }
    }
}

TEST(VisitOrder, ExactHandlesAsymmetricMatrix) {
    // One-way streets: 0→1 cheap, 1→0 dear. Brute force agrees.
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> d(100, 5000);
    for (int rep = 0; rep < 20; ++rep) {
        route::Matrix m(7, std::vector<double>(7, 0));
        for (std::size_t i = 0; i < 7; ++i)
            for (std::size_t j = 0; j < 7; ++j)
                if (i != j) m[i][j] = d(rng);
        EXPECT_NEAR(route::exact_order(m).metres, brute_force(m), 1e-6);
        EXPECT_LE(route::improve(m, route::nearest_neighbour(m)).metres, route::nearest_neighbour(m).metres + 1e-9);
    }
}

TEST(VisitOrder, HeuristicNeverWorseThanNearestNeighbour) {
    std::mt19937 rng(42);
    for (std::size_t n : {3u, 9u, 13u, 20u, 40u, 80u}) {
        for (int rep = 0; rep < 5; ++rep) {
            auto pts = random_points(rng, n + 1);
            const LonLat start = pts.back();
            pts.pop_back();
            const auto m = route::geodesic_matrix(start, pts);
            const auto nn = route::nearest_neighbour(m);
            expect_permutation(nn, n);
            const auto better = route::improve(m, nn);
            expect_permutation(better, n);
            EXPECT_LE(better.metres, nn.metres + 1e-9) << "n=" << n;
            EXPECT_NEAR(better.metres, route::path_length(m, better.visit), 1e-6);
            const auto best = route::best_order(m);
            expect_permutation(best, n);
            EXPECT_LE(best.metres, nn.metres + 1e-9) << "n=" << n;
            EXPECT_EQ(best.exact, n <= route::kExactLimit);
        }
    }
}

TEST(VisitOrder, HeuristicCloseToOptimalOnSmallCases) {
    // 2-opt + Or-opt alone (what runs above kExactLimit) on cases brute force can check:
    // within 10 % of the optimum on every case, and optimal on most.
    std::mt19937 rng(99);
    int optimal = 0, cases = 0;
    for (std::size_t n = 4; n <= 8; ++n) {
        for (int rep = 0; rep < 20; ++rep, ++cases) {
            auto pts = random_points(rng, n + 1);
            const LonLat start = pts.back();
            pts.pop_back();
            const auto m = route::geodesic_matrix(start, pts);
            const double opt = brute_force(m);
            const double h = route::improve(m, route::nearest_neighbour(m)).metres;
            EXPECT_LE(h, opt * 1.10) << "n=" << n;
            if (h <= opt + 1e-6) ++optimal;
        }
    }
    EXPECT_GE(optimal, cases * 8 / 10);
}

TEST(VisitOrder, NearestNeighbourIsGreedy) {
    // On a line east of the start at 1, 3, 4 km (listed out of order) greedy visits 1, 3, 4.
    const LonLat start{106.5, 29.5};
    auto at = [&](double km) { return LonLat{106.5 + km / 96.8, 29.5}; };
    const auto m = route::geodesic_matrix(start, {at(4), at(1), at(3)});
    EXPECT_EQ(route::nearest_neighbour(m).visit, std::vector<std::size_t>({1, 2, 0}));
}

TEST(VisitOrder, RejectsBadMatrix) {
    EXPECT_THROW(route::best_order({}), std::invalid_argument);
    EXPECT_THROW(route::best_order({{0, 1}, {1}}), std::invalid_argument);
    EXPECT_THROW(route::best_order({{0, -1}, {1, 0}}), std::invalid_argument);
}
