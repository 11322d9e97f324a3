#include "geo/point-sampler.hpp"

#include "geo/error.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace twindraw::sample {

namespace bg = boost::geometry;
using Point = bg::model::d2::point_xy<double>;
using Polygon = bg::model::polygon<Point>;
using MultiPolygon = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;

struct PolygonSampler::Impl {
    MultiPolygon geometry;
    Box box;
    double area = 0;
};

PolygonSampler::PolygonSampler(std::string_view wkt) : impl_(std::make_unique<Impl>()) {
    const std::string text(wkt);
    try {
        if (text.rfind("POLYGON", 0) == 0) {
            Polygon p;
            bg::read_wkt(text, p);
            impl_->geometry.push_back(std::move(p));
        } else {
            bg::read_wkt(text, impl_->geometry);
        }
    } catch (const std::exception& e) {
        throw invalid("geometry_invalid", std::string("无法读取多边形：") + e.what());
    }
    // PostGIS writes rings counter-/clockwise as it likes; Boost wants its own order.
    bg::correct(impl_->geometry);
    impl_->area = bg::area(impl_->geometry);
    if (!(impl_->area > 0)) throw invalid("geometry_invalid", "多边形面积为零");
    // The bounding box by hand: bg::envelope on a multi-polygon trips GCC 12's
    // -Wmaybe-uninitialized inside Boost 1.74, which -Werror turns into a build failure.
    double min_x = 1e300, min_y = 1e300, max_x = -1e300, max_y = -1e300;
    for (const auto& polygon : impl_->geometry) {
        for (const auto& p : polygon.outer()) {
            min_x = std::min(min_x, p.x());
            min_y = std::min(min_y, p.y());
            max_x = std::max(max_x, p.x());
            max_y = std::max(max_y, p.y());
        }
    }
    impl_->box = Box(Point(min_x, min_y), Point(max_x, max_y));
}

PolygonSampler::~PolygonSampler() = default;
PolygonSampler::PolygonSampler(PolygonSampler&&) noexcept = default;
PolygonSampler& PolygonSampler::operator=(PolygonSampler&&) noexcept = default;

std::optional<coord::LonLat> PolygonSampler::try_point(double u, double v, int decimals) const {
    const auto& lo = impl_->box.min_corner();
    const auto& hi = impl_->box.max_corner();
    const double scale = std::pow(10.0, decimals);
    const double x = std::round((lo.x() + u * (hi.x() - lo.x())) * scale) / scale;
    const double y = std::round((lo.y() + v * (hi.y() - lo.y())) * scale) / scale;
    if (!bg::within(Point(x, y), impl_->geometry)) return std::nullopt;
    return coord::LonLat{x, y};
}

double PolygonSampler::area() const { return impl_->area; }

double PolygonSampler::fill_ratio() const {
    const auto& lo = impl_->box.min_corner();
    const auto& hi = impl_->box.max_corner();
    return impl_->area / ((hi.x() - lo.x()) * (hi.y() - lo.y()));
}

}  // namespace twindraw::sample
