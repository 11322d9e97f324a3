#include "geo/echarts-geo.hpp"

#include "geo/error.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace twindraw::echarts {

namespace {

Error bad_map(const std::string& what) {
    return invalid("echarts_map_invalid", "地图数据格式错误：" + what);
}

std::int64_t zigzag(std::int64_t v) { return (v >> 1) ^ (-(v & 1)); }

Ring ring_from_json(const nlohmann::json& coords) {
    Ring ring;
    for (const auto& p : coords) {
        if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number())
            throw bad_map("坐标点应为 [经度, 纬度]");
        ring.push_back({p[0].get<double>(), p[1].get<double>()});
    }
    return ring;
}

std::pair<std::int64_t, std::int64_t> offset_pair(const nlohmann::json& o) {
    if (!o.is_array() || o.size() < 2 || !o[0].is_number() || !o[1].is_number())
        throw bad_map("encodeOffsets 应为整数对");
    return {o[0].get<std::int64_t>(), o[1].get<std::int64_t>()};
}

// One polygon: an array of rings, each a string (compressed) or an array of points.
Polygon polygon_from(const nlohmann::json& rings, const nlohmann::json* offsets, double scale) {
    if (!rings.is_array()) throw bad_map("多边形应为环的数组");
    Polygon polygon;
    for (size_t i = 0; i < rings.size(); ++i) {
        Ring ring;
        if (rings[i].is_string()) {
            if (!offsets || !offsets->is_array() || i >= offsets->size())
                throw bad_map("缺少 encodeOffsets");
            auto [ox, oy] = offset_pair((*offsets)[i]);
            ring = decode_ring(rings[i].get_ref<const std::string&>(), ox, oy, scale);
        } else {
            ring = ring_from_json(rings[i]);
        }
        if (!ring.empty() && (ring.front().lon != ring.back().lon || ring.front().lat != ring.back().lat))
            ring.push_back(ring.front());
        if (ring.size() < 4) {
            if (i == 0) return {};  // no outer ring: the polygon is degenerate
            continue;
        }
        polygon.push_back(std::move(ring));
    }
    return polygon;
}

}  // namespace

std::vector<std::uint16_t> utf16_units(std::string_view s) {
    std::vector<std::uint16_t> out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::uint32_t cp = 0;
        size_t len = 0;
        if (b0 < 0x80) {
            cp = b0;
            len = 1;
        } else if ((b0 & 0xE0) == 0xC0) {
            cp = b0 & 0x1F;
            len = 2;
        } else if ((b0 & 0xF0) == 0xE0) {
            cp = b0 & 0x0F;
            len = 3;
        } else if ((b0 & 0xF8) == 0xF0) {
            cp = b0 & 0x07;
            len = 4;
        } else {
            throw bad_map("UTF-8 编码无效");
        }
        if (i + len > s.size()) throw bad_map("UTF-8 编码被截断");
        for (size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) throw bad_map("UTF-8 编码无效");
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
            out.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
        } else {
            out.push_back(static_cast<std::uint16_t>(cp));
        }
        i += len;
    }
    return out;
}

Ring decode_ring(std::string_view encoded, std::int64_t offset_x, std::int64_t offset_y, double scale) {
    const auto units = utf16_units(encoded);
    if (units.size() % 2 != 0) throw bad_map("坐标串长度应为偶数");
    Ring ring;
    ring.reserve(units.size() / 2);
    std::int64_t x = offset_x;
    std::int64_t y = offset_y;
    for (size_t i = 0; i < units.size(); i += 2) {
        x += zigzag(static_cast<std::int64_t>(units[i]) - 64);
        y += zigzag(static_cast<std::int64_t>(units[i + 1]) - 64);
        ring.push_back({static_cast<double>(x) / scale, static_cast<double>(y) / scale});
    }
    return ring;
}

std::vector<Feature> decode(const nlohmann::json& doc) {
    if (!doc.is_object() || !doc.contains("features") || !doc["features"].is_array())
        throw bad_map("缺少 features 数组");
    const bool compressed = doc.value("UTF8Encoding", false);
    double scale = 1024.0;
    if (doc.contains("UTF8Scale") && doc["UTF8Scale"].is_number()) scale = doc["UTF8Scale"].get<double>();
    if (!(scale > 0)) throw bad_map("UTF8Scale 应为正数");

    std::vector<Feature> out;
    for (const auto& f : doc["features"]) {
        if (!f.is_object() || !f.contains("geometry") || !f["geometry"].is_object())
            throw bad_map("要素缺少 geometry");
        Feature feature;
        if (f.contains("id")) {
            const auto& id = f["id"];
            feature.id = id.is_string() ? id.get<std::string>() : id.dump();
        }
        if (f.contains("properties") && f["properties"].is_object())
            feature.name = f["properties"].value("name", std::string());
        const auto& g = f["geometry"];
        const std::string type = g.value("type", std::string());
        if (!g.contains("coordinates")) throw bad_map("要素缺少 coordinates");
        const auto& coords = g["coordinates"];
        const nlohmann::json* offsets = compressed && g.contains("encodeOffsets") ? &g["encodeOffsets"] : nullptr;
        const double s = compressed ? scale : 1.0;
        if (type == "Polygon") {
            auto p = polygon_from(coords, offsets, s);
            if (!p.empty()) feature.geometry.push_back(std::move(p));
        } else if (type == "MultiPolygon") {
            if (!coords.is_array()) throw bad_map("MultiPolygon 应为数组");
            for (size_t i = 0; i < coords.size(); ++i) {
                const nlohmann::json* o = nullptr;
                if (offsets) {
                    if (!offsets->is_array() || i >= offsets->size()) throw bad_map("缺少 encodeOffsets");
                    o = &(*offsets)[i];
                }
                auto p = polygon_from(coords[i], o, s);
                if (!p.empty()) feature.geometry.push_back(std::move(p));
            }
        } else {
            throw bad_map("不支持的几何类型 " + type);
        }
        out.push_back(std::move(feature));
    }
    return out;
}

std::vector<Feature> decode_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw not_found("找不到地图文件：" + path);
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw bad_map(std::string("JSON 解析失败（") + e.what() + "）");
    }
    return decode(doc);
}

std::string to_wkt(const MultiPolygon& geometry) {
    if (geometry.empty()) return "MULTIPOLYGON EMPTY";
    std::string out = "MULTIPOLYGON(";
    char buf[64];
    for (size_t p = 0; p < geometry.size(); ++p) {
        out += p ? ",(" : "(";
        for (size_t r = 0; r < geometry[p].size(); ++r) {
            out += r ? ",(" : "(";
            const auto& ring = geometry[p][r];
            for (size_t i = 0; i < ring.size(); ++i) {
                std::snprintf(buf, sizeof buf, "%s%.9f %.9f", i ? "," : "", ring[i].lon, ring[i].lat);
                out += buf;
            }
            out += ")";
        }
        out += ")";
    }
    out += ")";
    return out;
}

}  // namespace twindraw::echarts
