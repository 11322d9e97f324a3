// Kernel density for the `heat` layer (STAT-3, GIS-2), computed from the binned grid
// heat_cell (data/migrations/0019_heat.sql) rather than from the points. Pure functions:
// no database, no Mapnik.
//
// Seamless by construction: a zoom z reads the grid level z-2 (cells of 4 px, capped at
// level 14), so cells are aligned with the global pixel grid; the Gaussian kernel is
// applied on the cells of a window that reaches `kernel radius` cells beyond the pixels
// drawn, and pixels interpolate the smoothed cell values bilinearly from their global
// position. Any two renders that cover a pixel compute it from the same cells with the
// same weights, whatever tile, metatile or image they belong to. Normalisation is a
// fixed function of the zoom (not of a tile's contents), on a log scale.
#pragma once

#include "tiles/tile-render.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace twindraw::tiles::heat {

constexpr int kFinestLevel = 14;
/// The finest level of the per-category grid heat_category_cell (migration 0032,
/// heat_category_max_level() there): category-filtered tiles of zoom <= this + 2 read it.
constexpr int kCategoryGridMaxLevel = 12;

/// The grid level read at zoom z: clamp(z - 2, 0, 14).
int level_for_zoom(int z);
/// The width of one cell of that level in pixels of zoom z (a power of two).
int cell_px(int z);
/// The kernel's standard deviation in pixels of zoom z (10 px; at least 1.5 cells).
double sigma_px(int z);
/// The kernel radius in cells (3 sigma, rounded up).
int radius_cells(int z);
/// How far (pixels) a point's change shows: the kernel radius plus the interpolation
/// and in-cell offset, for tile expiry.
int margin_px(int z);
/// The density shown at full colour at zoom z: 200 at z12, ×4 per level out, ÷4 per
/// level in, at least 4 (a fixed density per area, whatever the tile holds; calibrated
/// on a year of inspections in a city, denser data saturates to red).
double full_scale(int z);

/// The cells (inclusive ranges at `level`) a render of the pixel window
/// [px0, px0 + width) × [py0, py0 + height) at zoom z reads.
struct CellWindow {
    int level = 0;
    long long cx0 = 0, cy0 = 0, cx1 = -1, cy1 = -1;
};
CellWindow cell_window(int z, long long px0, long long py0, int width, int height);
/// The heat_cell blocks (128×128 cells, heat_block() in SQL) that cover the window.
std::vector<long long> blocks(const CellWindow& w);

struct Cell {
    long long cx = 0, cy = 0;
    double value = 0;  // count of inspections (or problems) in the cell
};

/// Colour stops of the ramp: t in 0..1 (log density / log full scale) to RGBA.
struct Stop {
    double t;
    std::uint8_t r, g, b, a;
};
const std::vector<Stop>& ramp();
/// The 256 RGBA colours (1024 bytes) heat pixels take: 0 transparent, then the ramp in
/// 255 steps. Heat PNGs are written with this fixed palette (no quantisation pass).
const std::string& palette();

/// Renders the pixel window at zoom z from the cells of cell_window(z, ...) (cells
/// outside it are ignored). Transparent where there is no density.
Rgba render(int z, long long px0, long long py0, int width, int height, const std::vector<Cell>& cells);

/// The global pixel of an EPSG:3857 coordinate at zoom z (x right, y down), rounded.
long long pixel_x(double mx, int z);
long long pixel_y(double my, int z);

}  // namespace twindraw::tiles::heat
