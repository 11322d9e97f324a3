#include "tiles/wmts.hpp"

#include "tiles/tile-service.hpp"

#include <cstdio>

namespace twindraw::tiles {

namespace {

constexpr int kWmtsMaxZoom = 18;

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    return out;
}

}  // namespace

std::string wmts_capabilities(const std::string& base_url) {
    const std::string base = xml_escape(base_url);
    std::string x =
        R"(<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
  xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd"
  version="1.0.0">
<ows:ServiceIdentification>
  <ows:Title>TwinDraw 双随机一公开监管地图</ows:Title>
  <ows:ServiceType>OGC WMTS</ows:ServiceType>
  <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
</ows:ServiceIdentification>
<Contents>
)";
    for (const auto& l : layers()) {
        x += "<Layer>\n  <ows:Title>" + xml_escape(l.title) + "</ows:Title>\n  <ows:Abstract>" +
             xml_escape(l.abstract) + "</ows:Abstract>\n";
        x += "  <ows:WGS84BoundingBox><ows:LowerCorner>-180 -85.0511287798</ows:LowerCorner>"
             "<ows:UpperCorner>180 85.0511287798</ows:UpperCorner></ows:WGS84BoundingBox>\n";
        x += "  <ows:Identifier>" + xml_escape(l.name) + "</ows:Identifier>\n";
        x += "  <Style isDefault=\"true\"><ows:Identifier>default</ows:Identifier></Style>\n";
        x += "  <Format>image/png</Format>\n";
        x += "  <TileMatrixSetLink><TileMatrixSet>GoogleMapsCompatible</TileMatrixSet></TileMatrixSetLink>\n";
        x += "  <ResourceURL format=\"image/png\" resourceType=\"tile\" template=\"" + base + "/tiles/" +
             xml_escape(l.name) + "/{TileMatrix}/{TileCol}/{TileRow}.png\"/>\n</Layer>\n";
    }
    x += "<TileMatrixSet>\n  <ows:Identifier>GoogleMapsCompatible</ows:Identifier>\n"
         "  <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>\n"
         "  <WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>\n";
    // 0.28 mm pixels: the scale denominator of zoom 0 is 559082264.0287178.
    for (int z = 0; z <= kWmtsMaxZoom; ++z) {
        char buf[512];
        const long long n = 1LL << z;
        std::snprintf(buf, sizeof buf,
                      "  <TileMatrix><ows:Identifier>%d</ows:Identifier><ScaleDenominator>%.10f</ScaleDenominator>"
                      "<TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner><TileWidth>256</TileWidth>"
                      "<TileHeight>256</TileHeight><MatrixWidth>%lld</MatrixWidth><MatrixHeight>%lld</MatrixHeight>"
                      "</TileMatrix>\n",
                      z, 559082264.0287178 / double(n), n, n);
        x += buf;
    }
    x += "</TileMatrixSet>\n</Contents>\n</Capabilities>\n";
    return x;
}

}  // namespace twindraw::tiles
