#include "tiles/heat-render.hpp"

#include "tiles/tile-grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace twindraw::tiles::heat {

int level_for_zoom(int z) {
    return std::clamp(z - 2, 0, kFinestLevel);
}

int cell_px(int z) {
    return 1 << (z - level_for_zoom(z) < 0 ? 0 : z - level_for_zoom(z));
}

double sigma_px(int z) {
    return std::max(10.0, 1.5 * cell_px(z));
}

int radius_cells(int z) {
    return int(std::ceil(3 * sigma_px(z) / cell_px(z)));
}

int margin_px(int z) {
    return (radius_cells(z) + 2) * cell_px(z);
}

double full_scale(int z) {
    return std::max(4.0, 200.0 * std::pow(4.0, 12 - z));
}

namespace {

long long floor_div(long long a, long long b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The cell coordinate (in cells, centres at integers) of a pixel centre.
double cell_coord(long long px, int c) {
    return (double(px) + 0.5) / c - 0.5;
}

}  // namespace

CellWindow cell_window(int z, long long px0, long long py0, int width, int height) {
    const int c = cell_px(z);
    const int r = radius_cells(z);
    CellWindow w;
    w.level = level_for_zoom(z);
    w.cx0 = (long long)std::floor(cell_coord(px0, c)) - r;
    w.cy0 = (long long)std::floor(cell_coord(py0, c)) - r;
    w.cx1 = (long long)std::floor(cell_coord(px0 + width - 1, c)) + 1 + r;
    w.cy1 = (long long)std::floor(cell_coord(py0 + height - 1, c)) + 1 + r;
    const long long n = (1LL << w.level) * kTileSize;  // cells across the world at this level
    w.cx0 = std::max(w.cx0, 0LL);
    w.cy0 = std::max(w.cy0, 0LL);
    w.cx1 = std::min(w.cx1, n - 1);
    w.cy1 = std::min(w.cy1, n - 1);
    return w;
}

std::vector<long long> blocks(const CellWindow& w) {
    std::vector<long long> out;
    for (long long bx = floor_div(w.cx0, 128); bx <= floor_div(w.cx1, 128); ++bx)
        for (long long by = floor_div(w.cy0, 128); by <= floor_div(w.cy1, 128); ++by) out.push_back((bx << 32) | by);
    return out;
}

const std::vector<Stop>& ramp() {
    static const std::vector<Stop> stops = {
        {0.00, 44, 123, 182, 0},    {0.04, 44, 123, 182, 90},  {0.30, 102, 194, 165, 150},
        {0.55, 254, 224, 139, 180}, {0.78, 244, 109, 67, 205}, {1.00, 190, 20, 38, 225},
    };
    return stops;
}

Rgba render(int z, long long px0, long long py0, int width, int height, const std::vector<Cell>& cells) {
    Rgba out{width, height, std::vector<std::uint8_t>(size_t(width) * height * 4, 0)};
    const CellWindow w = cell_window(z, px0, py0, width, height);
    if (w.cx1 < w.cx0 || w.cy1 < w.cy0) return out;
    const int c = cell_px(z);
    const int r = radius_cells(z);
    const long long gw = w.cx1 - w.cx0 + 1, gh = w.cy1 - w.cy0 + 1;
    std::vector<double> grid(size_t(gw * gh), 0.0);
    bool any = false;
    for (const auto& cell : cells) {
        if (cell.cx < w.cx0 || cell.cx > w.cx1 || cell.cy < w.cy0 || cell.cy > w.cy1) continue;
        grid[size_t((cell.cy - w.cy0) * gw + (cell.cx - w.cx0))] += cell.value;
        any = any || cell.value > 0;
    }
    if (!any) return out;

    // Separable Gaussian on the cells (peak weight 1: one point alone has density 1).
    const double s = sigma_px(z) / c;
    std::vector<double> kernel(size_t(2 * r + 1));
    for (int k = -r; k <= r; ++k) kernel[size_t(k + r)] = std::exp(-double(k) * k / (2 * s * s));
    std::vector<double> across(grid.size(), 0.0), smooth(grid.size(), 0.0);
    for (long long y = 0; y < gh; ++y)
        for (long long x = 0; x < gw; ++x) {
            const double v = grid[size_t(y * gw + x)];
            if (v == 0) continue;
            for (int k = -r; k <= r; ++k) {
                const long long xx = x + k;
                if (xx >= 0 && xx < gw) across[size_t(y * gw + xx)] += v * kernel[size_t(k + r)];
            }
        }
    for (long long y = 0; y < gh; ++y)
        for (long long x = 0; x < gw; ++x) {
            const double v = across[size_t(y * gw + x)];
            if (v == 0) continue;
            for (int k = -r; k <= r; ++k) {
                const long long yy = y + k;
                if (yy >= 0 && yy < gh) smooth[size_t(yy * gw + x)] += v * kernel[size_t(k + r)];
            }
        }

    // Per cell the position on the colour scale, t = log(1 + density) / log(1 + full
    // scale); pixels interpolate t bilinearly and take one of 255 colours (the palette
    // the PNGs are written with).
    const double scale = std::log1p(full_scale(z));
    std::vector<float> t(smooth.size());
    for (size_t k = 0; k < smooth.size(); ++k) t[k] = float(std::log1p(smooth[k]) / scale);
    const float t_min = float(std::log1p(0.05) / scale);
    const auto& colours = palette();
    // Column and row cells and fractions, clamped to the window (the world's edges).
    std::vector<long long> col_i(static_cast<size_t>(width) * 2);
    std::vector<float> col_f(static_cast<size_t>(width));
    for (int col = 0; col < width; ++col) {
        const double u = cell_coord(px0 + col, c);
        const long long i = (long long)std::floor(u);
        col_i[size_t(col) * 2] = std::clamp(i, w.cx0, w.cx1) - w.cx0;
        col_i[size_t(col) * 2 + 1] = std::clamp(i + 1, w.cx0, w.cx1) - w.cx0;
        col_f[size_t(col)] = float(u - double(i));
    }
    for (int row = 0; row < height; ++row) {
        const double v = cell_coord(py0 + row, c);
        const long long j = (long long)std::floor(v);
        const float fy = float(v - double(j));
        const float* r0 = &t[size_t((std::clamp(j, w.cy0, w.cy1) - w.cy0) * gw)];
        const float* r1 = &t[size_t((std::clamp(j + 1, w.cy0, w.cy1) - w.cy0) * gw)];
        std::uint8_t* out_row = &out.pixels[size_t(row) * width * 4];
        for (int col = 0; col < width; ++col) {
            const long long i0 = col_i[size_t(col) * 2], i1 = col_i[size_t(col) * 2 + 1];
            const float fx = col_f[size_t(col)];
            const float top = r0[i0] + (r0[i1] - r0[i0]) * fx;
            const float bottom = r1[i0] + (r1[i1] - r1[i0]) * fx;
            const float value = top + (bottom - top) * fy;
            if (value < t_min) continue;
            const int k = 1 + std::min(254, int(std::min(value, 1.0f) * 255.0f));
            std::memcpy(out_row + size_t(col) * 4, &colours[size_t(k) * 4], 4);
        }
    }
    return out;
}

const std::string& palette() {
    static const std::string bytes = [] {
        std::string p(4, '\0');  // 0: transparent
        const auto& stops = ramp();
        for (int k = 1; k <= 255; ++k) {
            const double t = (k - 0.5) / 255.0;
            size_t s = 1;
            while (s + 1 < stops.size() && stops[s].t < t) ++s;
            const Stop& a = stops[s - 1];
            const Stop& b = stops[s];
            const double f = std::clamp((t - a.t) / (b.t - a.t), 0.0, 1.0);
            p += char(std::lround(a.r + (b.r - a.r) * f));
            p += char(std::lround(a.g + (b.g - a.g) * f));
            p += char(std::lround(a.b + (b.b - a.b) * f));
            p += char(std::lround(a.a + (b.a - a.a) * f));
        }
        return p;
    }();
    return bytes;
}

long long pixel_x(double mx, int z) {
    const double res = 2 * kMercatorOrigin / (double(kTileSize) * double(1LL << z));
    return std::llround((mx + kMercatorOrigin) / res);
}

long long pixel_y(double my, int z) {
    const double res = 2 * kMercatorOrigin / (double(kTileSize) * double(1LL << z));
    return std::llround((kMercatorOrigin - my) / res);
}

}  // namespace twindraw::tiles::heat
