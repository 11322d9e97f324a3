// The order in which an inspector visits today's targets (issue 5, "Navigation for
// inspectors"): an open path from a start position through every target once, minimising
// the total of a distance matrix (geodesic metres on WGS84, or road metres from pgRouting).
// Exact (Held-Karp dynamic programming) up to kExactLimit targets, nearest neighbour then
// 2-opt and Or-opt improvement above it. No I/O: the caller supplies the matrix.
#pragma once

#include "geo/coord-transform.hpp"

#include <cstddef>
#include <vector>

namespace twindraw::route {

/// Geodesic distance in metres on the WGS84 ellipsoid (Karney's algorithm through PROJ's
/// geodesic.h, the same as PostGIS ST_Distance on geography). Requires valid lon/lat.
double geodesic_m(coord::LonLat a, coord::LonLat b);

/// Square matrix m[i][j]: metres from node i to node j. Node 0 is the start.
using Matrix = std::vector<std::vector<double>>;

/// Geodesic matrix of start followed by the targets.
Matrix geodesic_matrix(coord::LonLat start, const std::vector<coord::LonLat>& targets);

struct Order {
    std::vector<std::size_t> visit;  // target indices (0-based, not counting the start) in visiting order
    double metres = 0;               // start → first → … → last, no return
    bool exact = false;              // true when proven optimal (Held-Karp)
};

/// Up to this many targets the order is exact.
constexpr std::size_t kExactLimit = 12;

/// Length of the open path start → visit[0] → … → visit[n-1] under m.
double path_length(const Matrix& m, const std::vector<std::size_t>& visit);

/// Nearest neighbour from the start (ties: the lower index).
Order nearest_neighbour(const Matrix& m);

/// Improves an order by 2-opt (segment reversal) and Or-opt (moving runs of 1–3 targets)
/// until no move shortens it; never longer than the input.
Order improve(const Matrix& m, Order order);

/// The order to use: Held-Karp when targets ≤ kExactLimit, else improve(nearest_neighbour).
/// Requires m square, (targets + 1) × (targets + 1), finite and non-negative; 0 targets →
/// empty order of 0 m.
Order best_order(const Matrix& m);

/// Held-Karp exact open path (exponential: for targets ≤ kExactLimit only).
Order exact_order(const Matrix& m);

}  // namespace twindraw::route
