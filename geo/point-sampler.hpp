// Uniform random points inside a (multi)polygon by rejection sampling in its bounding
// box, with Boost.Geometry's point-in-polygon. The caller supplies the uniform numbers,
// so the sampler holds no random state and a seeded caller stays deterministic.
#pragma once

#include "geo/coord-transform.hpp"

#include <memory>
#include <optional>
#include <string_view>

namespace twindraw::sample {

class PolygonSampler {
public:
    /// wkt: a POLYGON or MULTIPOLYGON in lon/lat. Throws twindraw::Error (invalid,
    /// "geometry_invalid") when it cannot be read or has no area.
    explicit PolygonSampler(std::string_view wkt);
    ~PolygonSampler();
    PolygonSampler(PolygonSampler&&) noexcept;
    PolygonSampler& operator=(PolygonSampler&&) noexcept;

    /// Maps two uniforms in [0,1) to the bounding box, rounds to `decimals` places, and
    /// returns the point when it lies strictly inside the geometry (not on its
    /// boundary), else nullopt. Rounding happens before the test, so the returned
    /// coordinates are exactly the ones that were tested.
    std::optional<coord::LonLat> try_point(double u, double v, int decimals = 7) const;

    /// Area in square degrees (planar), and the share of the bounding box it fills.
    double area() const;
    double fill_ratio() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace twindraw::sample
