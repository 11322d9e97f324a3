#include "geo/visit-order.hpp"

#include <geodesic.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace twindraw::route {

namespace {

const geod_geodesic& wgs84() {
    static const geod_geodesic g = [] {
        geod_geodesic x;
        geod_init(&x, 6378137.0, 1 / 298.257223563);
        return x;
    }();
    return g;
}

// A move must shorten the path by more than this to count (guards against cycling on
// rounding noise).
constexpr double kGain = 1e-7;

void check(const Matrix& m) {
    if (m.empty()) throw std::invalid_argument("visit order: the matrix needs the start node");
    for (const auto& row : m) {
        if (row.size() != m.size()) throw std::invalid_argument("visit order: the matrix is not square");
        for (double v : row)
            if (!std::isfinite(v) || v < 0) throw std::invalid_argument("visit order: bad distance");
    }
}

}  // namespace

double geodesic_m(coord::LonLat a, coord::LonLat b) {
    double s12 = 0;
    geod_inverse(&wgs84(), a.lat, a.lon, b.lat, b.lon, &s12, nullptr, nullptr);
    return s12;
}

Matrix geodesic_matrix(coord::LonLat start, const std::vector<coord::LonLat>& targets) {
    std::vector<coord::LonLat> nodes{start};
    nodes.insert(nodes.end(), targets.begin(), targets.end());
    Matrix m(nodes.size(), std::vector<double>(nodes.size(), 0.0));
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (std::size_t j = i + 1; j < nodes.size(); ++j) m[i][j] = m[j][i] = geodesic_m(nodes[i], nodes[j]);
    return m;
}

double path_length(const Matrix& m, const std::vector<std::size_t>& visit) {
    double total = 0;
    std::size_t at = 0;
    for (std::size_t t : visit) {
        total += m[at][t + 1];
        at = t + 1;
    }
    return total;
}

Order nearest_neighbour(const Matrix& m) {
    check(m);
    const std::size_t n = m.size() - 1;
    std::vector<bool> seen(n, false);
    Order o;
    std::size_t at = 0;
    for (std::size_t step = 0; step < n; ++step) {
        std::size_t best = n;
        for (std::size_t t = 0; t < n; ++t)
            if (!seen[t] && (best == n || m[at][t + 1] < m[at][best + 1])) best = t;
        seen[best] = true;
        o.visit.push_back(best);
        at = best + 1;
    }
    o.metres = path_length(m, o.visit);
    return o;
}

Order improve(const Matrix& m, Order order) {
    check(m);
    auto& v = order.visit;
    const std::size_t n = v.size();
    double best = path_length(m, v);
    bool changed = true;
    while (changed) {
        changed = false;
        // 2-opt: reverse v[i..k]. The whole path is re-measured so that an asymmetric
        // (one-way road) matrix is handled correctly.
        for (std::size_t i = 0; i + 1 < n; ++i) {
            for (std::size_t k = i + 1; k < n; ++k) {
                std::reverse(v.begin() + static_cast<long>(i), v.begin() + static_cast<long>(k) + 1);
                const double len = path_length(m, v);
                if (len < best - kGain) {
                    best = len;
                    changed = true;
                } else {
                    std::reverse(v.begin() + static_cast<long>(i), v.begin() + static_cast<long>(k) + 1);
                }
            }
        }
        // Or-opt: move a run of 1..3 targets elsewhere, keeping its direction.
        for (std::size_t len = 1; len <= 3 && len < n; ++len) {
            for (std::size_t i = 0; i + len <= n; ++i) {
                for (std::size_t j = 0; j + len <= n; ++j) {
                    if (j == i) continue;
                    std::vector<std::size_t> w(v.begin(), v.end());
                    std::vector<std::size_t> run(w.begin() + static_cast<long>(i),
                                                 w.begin() + static_cast<long>(i + len));
                    w.erase(w.begin() + static_cast<long>(i), w.begin() + static_cast<long>(i + len));
                    w.insert(w.begin() + static_cast<long>(j), run.begin(), run.end());
                    const double l = path_length(m, w);
                    if (l < best - kGain) {
                        best = l;
                        v = std::move(w);
                        changed = true;
                    }
                }
            }
        }
    }
    order.metres = best;
    return order;
}

Order exact_order(const Matrix& m) {
    check(m);
    const std::size_t n = m.size() - 1;
    if (n > kExactLimit) throw std::invalid_argument("visit order: too many targets for the exact order");
    Order o;
    o.exact = true;
    if (n == 0) return o;
    const std::size_t full = (std::size_t{1} << n) - 1;
    const double inf = std::numeric_limits<double>::infinity();
    // dp[mask][j]: shortest path from the start through exactly the targets of mask, ending at j.
    std::vector<std::vector<double>> dp(full + 1, std::vector<double>(n, inf));
    std::vector<std::vector<std::size_t>> from(full + 1, std::vector<std::size_t>(n, n));
    for (std::size_t j = 0; j < n; ++j) dp[std::size_t{1} << j][j] = m[0][j + 1];
    for (std::size_t mask = 1; mask <= full; ++mask) {
        for (std::size_t j = 0; j < n; ++j) {
            if (!(mask & (std::size_t{1} << j)) || dp[mask][j] == inf) continue;
            for (std::size_t k = 0; k < n; ++k) {
                if (mask & (std::size_t{1} << k)) continue;
                const std::size_t next = mask | (std::size_t{1} << k);
                const double c = dp[mask][j] + m[j + 1][k + 1];
                if (c < dp[next][k]) {
                    dp[next][k] = c;
                    from[next][k] = j;
                }
            }
        }
    }
    std::size_t end = 0;
    for (std::size_t j = 1; j < n; ++j)
        if (dp[full][j] < dp[full][end]) end = j;
    std::size_t mask = full, at = end;
    while (at != n) {
        o.visit.push_back(at);
        const std::size_t prev = from[mask][at];
        mask &= ~(std::size_t{1} << at);
        at = prev;
    }
    std::reverse(o.visit.begin(), o.visit.end());
    o.metres = path_length(m, o.visit);
    return o;
}

Order best_order(const Matrix& m) {
    check(m);
    if (m.size() - 1 <= kExactLimit) return exact_order(m);
    return improve(m, nearest_neighbour(m));
}

}  // namespace twindraw::route
