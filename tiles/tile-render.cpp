#include "tiles/tile-render.hpp"

#include "geo/error.hpp"

#include <mapnik/agg_renderer.hpp>
#include <mapnik/feature_factory.hpp>
#include <mapnik/hextree.hpp>
#include <mapnik/font_engine_freetype.hpp>
#include <mapnik/image.hpp>
#include <mapnik/image_reader.hpp>
#include <mapnik/image_util.hpp>
#include <mapnik/image_view_any.hpp>
#include <mapnik/layer.hpp>
#include <mapnik/load_map.hpp>
#include <mapnik/map.hpp>
#include <mapnik/memory_datasource.hpp>
#include <mapnik/palette.hpp>
#include <mapnik/png_io.hpp>
#include <mapnik/unicode.hpp>
#include <mapnik/wkb.hpp>

#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace twindraw::tiles {

namespace {

// Scale denominators of the standard 256 px Web Mercator levels: z8 ≈ 2.18M,
// z10 ≈ 546k, z11 ≈ 273k, z12 ≈ 136k, z14 ≈ 34k, z15 ≈ 17k. Drawing order: division
// fills, water (kind 2 areas, kind 1 lines), roads (from z11), division lines, then
// the labels of water, roads and divisions.
const char* kBaseStyle = R"(<Map srs="epsg:3857" background-color="#f4f1ea">
<Style name="division-fill">
  <Rule><Filter>[kind] = 3</Filter><PolygonSymbolizer fill="#e9e4d4"/></Rule>
  <Rule><Filter>[kind] = 2 or [kind] = 1</Filter><PolygonSymbolizer fill="#efebe0"/></Rule>
</Style>
<Style name="division-line">
  <Rule><Filter>[kind] = 4</Filter><MaxScaleDenominator>1100000</MaxScaleDenominator>
    <LineSymbolizer stroke="#b3a99a" stroke-width="0.8" stroke-dasharray="4,3"/></Rule>
  <Rule><Filter>[kind] = 3</Filter>
    <LineSymbolizer stroke="#ffffff" stroke-width="4" stroke-opacity="0.8"/>
    <LineSymbolizer stroke="#8c6f94" stroke-width="1.6"/></Rule>
  <Rule><Filter>[kind] &lt;= 2</Filter><LineSymbolizer stroke="#6d4c7d" stroke-width="2.2"/></Rule>
</Style>
<Style name="division-label">
  <Rule><Filter>[kind] = 3</Filter><MaxScaleDenominator>4500000</MaxScaleDenominator>
    <TextSymbolizer face-name="Noto Sans CJK SC Bold" size="15" fill="#4a3558" halo-fill="#ffffff"
      halo-radius="2" placement="point" allow-overlap="false">[name]</TextSymbolizer></Rule>
  <Rule><Filter>[kind] = 4</Filter><MaxScaleDenominator>280000</MaxScaleDenominator>
    <TextSymbolizer face-name="Noto Sans CJK SC Regular" size="12" fill="#5f5a52" halo-fill="#ffffff"
      halo-radius="1.5" placement="point" allow-overlap="false">[name]</TextSymbolizer></Rule>
</Style>
<Style name="water">
  <Rule><Filter>[kind] = 2</Filter><PolygonSymbolizer fill="#a9cce3"/></Rule>
  <Rule><Filter>[kind] = 1</Filter><MinScaleDenominator>50000</MinScaleDenominator>
    <LineSymbolizer stroke="#a9cce3" stroke-width="1.5"/></Rule>
  <Rule><Filter>[kind] = 1</Filter><MaxScaleDenominator>50000</MaxScaleDenominator>
    <LineSymbolizer stroke="#a9cce3" stroke-width="3"/></Rule>
</Style>
<Style name="water-label">
  <Rule><Filter>[kind] = 2</Filter><MaxScaleDenominator>400000</MaxScaleDenominator>
    <TextSymbolizer face-name="Noto Sans CJK SC Regular" size="13" fill="#3d6f9e" halo-fill="#ffffff"
      halo-radius="1.5" placement="interior" allow-overlap="false">[name]</TextSymbolizer></Rule>
  <Rule><Filter>[kind] = 1</Filter><MaxScaleDenominator>100000</MaxScaleDenominator>
    <TextSymbolizer face-name="Noto Sans CJK SC Regular" size="12" fill="#3d6f9e" halo-fill="#ffffff"
      halo-radius="1.5" placement="line" spacing="400" allow-overlap="false">[name]</TextSymbolizer></Rule>
</Style>
<Style name="road">
  <Rule><MinScaleDenominator>50000</MinScaleDenominator>
    <LineSymbolizer stroke="#d2c9b6" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>
    <LineSymbolizer stroke="#ffffff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></Rule>
  <Rule><MaxScaleDenominator>50000</MaxScaleDenominator>
    <LineSymbolizer stroke="#d2c9b6" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>
    <LineSymbolizer stroke="#ffffff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/></Rule>
</Style>
<Style name="road-label">
  <Rule><MaxScaleDenominator>25000</MaxScaleDenominator>
    <TextSymbolizer face-name="Noto Sans CJK SC Regular" size="11" fill="#5f5a52" halo-fill="#ffffff"
      halo-radius="1.5" placement="line" spacing="300" allow-overlap="false">[name]</TextSymbolizer></Rule>
</Style>
<Layer name="divisions" srs="epsg:3857"><StyleName>division-fill</StyleName></Layer>
<Layer name="water" srs="epsg:3857"><StyleName>water</StyleName></Layer>
<Layer name="roads" srs="epsg:3857"><StyleName>road</StyleName></Layer>
<Layer name="divisions@lines" srs="epsg:3857"><StyleName>division-line</StyleName></Layer>
<Layer name="water@labels" srs="epsg:3857"><StyleName>water-label</StyleName></Layer>
<Layer name="roads@labels" srs="epsg:3857"><StyleName>road-label</StyleName></Layer>
<Layer name="labels" srs="epsg:3857"><StyleName>division-label</StyleName></Layer>
</Map>)";

// Risk levels 1 低, 2 一般, 3 较高, 4 高: green, blue, orange, red; bigger at higher zooms.
// Inspection status (by=status): kinds 10..13 of status_palette().
std::string objects_style() {
    std::vector<std::pair<int, std::string>> colours;
    for (const auto& c : risk_palette()) colours.emplace_back(c.kind, c.colour);
    for (const auto& c : status_palette()) colours.emplace_back(c.kind, c.colour);
    struct Band { const char* min; const char* max; int size; };
    const Band bands[] = {{"", "150000", 9}, {"150000", "600000", 6}, {"600000", "", 4}};
    std::string s = R"(<Map srs="epsg:3857"><Style name="subjects">)";
    for (const auto& b : bands)
        for (const auto& [kind, colour] : colours) {
            s += "<Rule><Filter>[kind] = " + std::to_string(kind) + "</Filter>";
            if (*b.min) s += std::string("<MinScaleDenominator>") + b.min + "</MinScaleDenominator>";
            if (*b.max) s += std::string("<MaxScaleDenominator>") + b.max + "</MaxScaleDenominator>";
            s += "<MarkersSymbolizer marker-type=\"ellipse\" fill=\"" + colour +
                 "\" width=\"" + std::to_string(b.size) + "\" height=\"" + std::to_string(b.size) +
                 "\" stroke=\"#ffffff\" stroke-width=\"" + (b.size > 5 ? "1.2" : "0.6") +
                 "\" allow-overlap=\"true\" ignore-placement=\"true\"/></Rule>";
        }
    s += R"(</Style><Layer name="subjects" srs="epsg:3857"><StyleName>subjects</StyleName></Layer></Map>)";
    return s;
}

// Result categories: one colour each, problems drawn on top (the query orders them).
std::string results_style() {
    struct Band { const char* min; const char* max; int size; };
    const Band bands[] = {{"", "150000", 10}, {"150000", "600000", 7}, {"600000", "", 5}};
    std::string s = R"(<Map srs="epsg:3857"><Style name="results">)";
    const auto& palette = result_palette();
    for (const auto& b : bands)
        for (int kind = 0; kind <= int(palette.size()); ++kind) {
            s += "<Rule><Filter>[kind] = " + std::to_string(kind) + "</Filter>";
            if (*b.min) s += std::string("<MinScaleDenominator>") + b.min + "</MinScaleDenominator>";
            if (*b.max) s += std::string("<MaxScaleDenominator>") + b.max + "</MaxScaleDenominator>";
            s += "<MarkersSymbolizer marker-type=\"ellipse\" fill=\"" +
                 std::string(kind ? palette[size_t(kind - 1)].colour : kOtherCategoryColour) + "\" width=\"" +
                 std::to_string(b.size) + "\" height=\"" + std::to_string(b.size) +
                 "\" stroke=\"#ffffff\" stroke-width=\"" + (b.size > 5 ? "1.4" : "0.8") +
                 "\" allow-overlap=\"true\" ignore-placement=\"true\"/></Rule>";
        }
    s += R"(</Style><Layer name="results" srs="epsg:3857"><StyleName>results</StyleName></Layer></Map>)";
    return s;
}

// Patrol (seed 000 §5.6c): completed routes and checked-in points red, unfinished ones
// green; area outlines dashed grey-blue underneath.
std::string patrol_style() {
    return R"(<Map srs="epsg:3857">
<Style name="patrol-areas"><Rule>
  <LineSymbolizer stroke="#546e7a" stroke-width="1.5" stroke-dasharray="6,4" stroke-opacity="0.9"/></Rule>
</Style>
<Style name="patrol-routes">
  <Rule><Filter>[kind] = 1</Filter>
    <LineSymbolizer stroke="#ffffff" stroke-width="6" stroke-opacity="0.8" stroke-linejoin="round" stroke-linecap="round"/>
    <LineSymbolizer stroke="#c62828" stroke-width="4" stroke-linejoin="round" stroke-linecap="round"/></Rule>
  <Rule><Filter>[kind] != 1</Filter>
    <LineSymbolizer stroke="#ffffff" stroke-width="6" stroke-opacity="0.8" stroke-linejoin="round" stroke-linecap="round"/>
    <LineSymbolizer stroke="#2e7d32" stroke-width="4" stroke-linejoin="round" stroke-linecap="round"/></Rule>
</Style>
<Style name="patrol-points">
  <Rule><Filter>[kind] = 1</Filter>
    <MarkersSymbolizer marker-type="ellipse" fill="#c62828" width="10" height="10" stroke="#ffffff" stroke-width="1.5"
      allow-overlap="true" ignore-placement="true"/></Rule>
  <Rule><Filter>[kind] != 1</Filter>
    <MarkersSymbolizer marker-type="ellipse" fill="#2e7d32" width="10" height="10" stroke="#ffffff" stroke-width="1.5"
      allow-overlap="true" ignore-placement="true"/></Rule>
</Style>
<Layer name="areas" srs="epsg:3857"><StyleName>patrol-areas</StyleName></Layer>
<Layer name="routes" srs="epsg:3857"><StyleName>patrol-routes</StyleName></Layer>
<Layer name="points" srs="epsg:3857"><StyleName>patrol-points</StyleName></Layer>
</Map>)";
}

void init_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (const char* dir : {"/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"})
            mapnik::freetype_engine::register_fonts(dir, true);
    });
}

// The per-thread pool of maps, one per style.
mapnik::Map& map_for(const std::string& style) {
    thread_local std::map<std::string, std::unique_ptr<mapnik::Map>> maps;
    auto it = maps.find(style);
    if (it != maps.end()) return *it->second;
    init_once();
    std::string xml;
    if (style == "base")
        xml = kBaseStyle;
    else if (style == "objects")
        xml = objects_style();
    else if (style == "results")
        xml = results_style();
    else if (style == "patrol")
        xml = patrol_style();
    else
        throw not_found("图层不存在");
    auto m = std::make_unique<mapnik::Map>(kTileSize, kTileSize, "epsg:3857");
    mapnik::load_map_string(*m, xml, true);
    return *maps.emplace(style, std::move(m)).first->second;
}

std::shared_ptr<mapnik::memory_datasource> datasource(const std::vector<Feature>& features) {
    mapnik::parameters p;
    p["type"] = "memory";
    auto ds = std::make_shared<mapnik::memory_datasource>(p);
    auto ctx = std::make_shared<mapnik::context_type>();
    ctx->push("name");
    ctx->push("kind");
    mapnik::value_integer id = 0;
    for (const auto& f : features) {
        mapnik::feature_ptr feature(mapnik::feature_factory::create(ctx, ++id));
        if (f.wkb.empty())
            feature->set_geometry(mapnik::geometry::point<double>(f.x, f.y));
        else
            feature->set_geometry(mapnik::geometry_utils::from_wkb(f.wkb.data(), f.wkb.size(), mapnik::wkbGeneric));
        feature->put("kind", mapnik::value_integer(f.kind));
        if (!f.name.empty()) feature->put("name", mapnik::value_unicode_string(icu::UnicodeString::fromUTF8(f.name)));
        ds->push(feature);
    }
    return ds;
}

mapnik::image_rgba8 render(const std::string& style, const Box& area, int width, int height, int buffer,
                           const std::vector<LayerFeatures>& data) {
    mapnik::Map& m = map_for(style);
    static const std::vector<Feature> kNone;
    for (auto& layer : m.layers()) {
        const std::vector<Feature>* features = &kNone;
        // A Mapnik layer "name@part" draws the features of "name" again (e.g. lines or
        // labels above other layers).
        const std::string& name = layer.name();
        const std::string source = name.substr(0, name.find('@'));
        for (const auto& d : data)
            if (d.layer == source) features = &d.features;
        layer.set_datasource(datasource(*features));
    }
    m.resize(unsigned(width), unsigned(height));
    m.set_buffer_size(buffer);
    m.zoom_to_box(mapnik::box2d<double>(area.minx, area.miny, area.maxx, area.maxy));
    mapnik::image_rgba8 image(width, height);
    mapnik::agg_renderer<mapnik::image_rgba8> renderer(m, image);
    renderer.apply();
    for (auto& layer : m.layers()) layer.set_datasource(nullptr);  // drop the features now
    return image;
}

const char* kFormat = "png8:m=h:z=1";

// Fully transparent tiles (most of an overlay at high zoom) share one encoded PNG.
bool is_empty(const mapnik::image_view_rgba8& view) {
    for (unsigned y = 0; y < view.height(); ++y) {
        const auto* row = view.get_row(y);
        for (unsigned x = 0; x < view.width(); ++x)
            if (row[x] >> 24) return false;  // alpha byte of the RGBA pixel
    }
    return true;
}

const std::string& empty_png() {
    static const std::string png = [] {
        mapnik::image_rgba8 blank(kTileSize, kTileSize);
        blank.set(0);
        return mapnik::save_to_string(blank, kFormat);
    }();
    return png;
}

mapnik::image_rgba8 to_image(const Rgba& in) {
    mapnik::image_rgba8 image(in.width, in.height);
    std::memcpy(image.bytes(), in.pixels.data(), std::min(in.pixels.size(), image.size()));
    return image;
}

}  // namespace

const std::vector<SubjectColour>& risk_palette() {
    static const std::vector<SubjectColour> palette = {
        {1, "1", "低风险", "#2e7d32"}, {2, "2", "一般风险", "#1565c0"},
        {3, "3", "较高风险", "#ef6c00"}, {4, "4", "高风险", "#c62828"},
    };
    return palette;
}

const std::vector<SubjectColour>& status_palette() {
    static const std::vector<SubjectColour> palette = {
        {10, "none", "未列入抽查", "#9e9e9e"},
        {12, "open", "已抽中待检查", "#1565c0"},
        {11, "clean", "已检查未发现问题", "#2e7d32"},
        {13, "problem", "已检查发现问题", "#c62828"},
    };
    return palette;
}

const std::vector<CategoryColour>& result_palette() {
    static const std::vector<CategoryColour> palette = {
        {"01", "#2e7d32"}, {"02", "#78909c"}, {"03", "#f9a825"}, {"04", "#6a1b9a"}, {"05", "#795548"},
        {"06", "#0288d1"}, {"07", "#ef6c00"}, {"08", "#c62828"}, {"09", "#ad1457"}, {"10", "#283593"},
    };
    return palette;
}

int result_kind(const std::string& code) {
    const auto& palette = result_palette();
    for (size_t i = 0; i < palette.size(); ++i)
        if (code == palette[i].code) return int(i + 1);
    return 0;
}

namespace {

std::string encode(const mapnik::image_view_rgba8& view, const std::unique_ptr<mapnik::rgba_palette>& palette) {
    return palette ? mapnik::save_to_string(view, "png8:z=1", *palette) : mapnik::save_to_string(view, kFormat);
}

std::unique_ptr<mapnik::rgba_palette> make_palette(const std::string& bytes) {
    if (bytes.empty()) return nullptr;
    return std::make_unique<mapnik::rgba_palette>(bytes, mapnik::rgba_palette::PALETTE_RGBA);
}

}  // namespace

std::vector<std::vector<std::string>> cut_metatile(const Rgba& in, int size, const std::string& palette_bytes) {
    mapnik::image_rgba8 image = to_image(in);
    const auto palette = make_palette(palette_bytes);
    std::vector<std::vector<std::string>> out(static_cast<size_t>(size), std::vector<std::string>(static_cast<size_t>(size)));
    for (int row = 0; row < size; ++row)
        for (int col = 0; col < size; ++col) {
            mapnik::image_view_rgba8 view(col * kTileSize, row * kTileSize, kTileSize, kTileSize, image);
            out[size_t(row)][size_t(col)] = is_empty(view) ? empty_png() : encode(view, palette);
        }
    return out;
}

std::string encode_tile_png(const Rgba& in, const std::string& palette_bytes) {
    mapnik::image_rgba8 image = to_image(in);
    return encode(mapnik::image_view_rgba8(0, 0, image.width(), image.height(), image), make_palette(palette_bytes));
}

long long thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

std::vector<std::vector<std::string>> render_metatile(const std::string& style, const Metatile& m,
                                                      const std::vector<LayerFeatures>& data, RenderTimes* times) {
    const long long t0 = times ? thread_cpu_ns() : 0;
    const Box first = tile_bounds(m.z, m.x0, m.y0);
    const Box last = tile_bounds(m.z, m.x0 + m.size - 1, m.y0 + m.size - 1);
    const Box area{first.minx, last.miny, last.maxx, first.maxy};
    const int px = m.size * kTileSize;
    mapnik::image_rgba8 image = render(style, area, px, px, kBufferPx, data);
    const long long t1 = times ? thread_cpu_ns() : 0;
    // One colour quantisation for the whole metatile (what "png8:m=h" does per image:
    // Mapnik's hextree over every pixel, then each tile's pixels mapped through it), so
    // the palette is computed once instead of 64 times and the colour lookups cached
    // for one tile serve the next. A single tile (size 1) is quantised exactly as
    // save_to_string(…, "png8:m=h:z=1") would.
    mapnik::hextree<mapnik::rgba> tree(256);
    bool holes = false;  // a fully transparent pixel only marks the tree as having holes: once is enough
    for (unsigned y = 0; y < image.height(); ++y) {
        const auto* row = image.get_row(y);
        for (unsigned x = 0; x < image.width(); ++x)
            if (row[x] >> 24)
                tree.insert(mapnik::rgba(U2RED(row[x]), U2GREEN(row[x]), U2BLUE(row[x]), U2ALPHA(row[x])));
            else
                holes = true;
    }
    if (holes) tree.insert(mapnik::rgba(0, 0, 0, 0));
    std::vector<mapnik::rgba> colours;
    tree.create_palette(colours);
    std::vector<mapnik::rgb> palette;
    std::vector<unsigned> alpha;
    for (const auto& c : colours) {
        palette.emplace_back(c.r, c.g, c.b);
        alpha.push_back(c.a);
    }
    mapnik::png_options opts;
    opts.compression = 1;
    std::vector<std::vector<std::string>> out(m.size, std::vector<std::string>(m.size));
    for (int row = 0; row < m.size; ++row)
        for (int col = 0; col < m.size; ++col) {
            mapnik::image_view_rgba8 view(col * kTileSize, row * kTileSize, kTileSize, kTileSize, image);
            if (is_empty(view)) {
                out[row][col] = empty_png();
                continue;
            }
            std::ostringstream png(std::ios::out | std::ios::binary);
            mapnik::save_as_png8(png, view, tree, palette, alpha, opts);
            out[row][col] = std::move(png).str();
        }
    if (times) {
        times->render_ns += t1 - t0;
        times->encode_ns += thread_cpu_ns() - t1;
    }
    return out;
}

std::string render_png(const std::string& style, const Box& area, int width, int height,
                       const std::vector<LayerFeatures>& data) {
    return mapnik::save_to_string(render(style, area, width, height, kBufferPx, data), kFormat);
}

Rgba decode_png(const std::string& bytes) {
    std::unique_ptr<mapnik::image_reader> reader(mapnik::get_image_reader(bytes.data(), bytes.size()));
    if (!reader) throw bad_request("bad_image", "无法识别的图片");
    Rgba out;
    out.width = int(reader->width());
    out.height = int(reader->height());
    mapnik::image_rgba8 image(out.width, out.height);
    reader->read(0, 0, image);
    out.pixels.assign(image.bytes(), image.bytes() + image.size());
    return out;
}

std::string encode_png(const Rgba& in) { return mapnik::save_to_string(to_image(in), "png32"); }

}  // namespace twindraw::tiles
