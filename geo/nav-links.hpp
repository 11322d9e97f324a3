// "导航" links to the navigation apps inspectors use (issue 5): Amap (高德), Baidu (百度)
// and Tencent (腾讯) web URIs, documented by the vendors as
//   https://uri.amap.com/navigation?from=lon,lat,name&to=lon,lat,name&mode=car&coordinate=gaode&callnative=1&src=…
//   https://api.map.baidu.com/direction?origin=latlng:lat,lon|name:…&destination=latlng:lat,lon|name:…&mode=driving&coord_type=bd09ll&output=html&src=…
//   https://apis.map.qq.com/uri/v1/routeplan?type=drive&from=…&fromcoord=lat,lon&to=…&tocoord=lat,lon&referer=…
// On a phone with the app installed they open it in navigation (callnative / the apps'
// universal links); elsewhere the vendor's web page. TwinDraw stores WGS84; the datum
// is converted only here, at the edge: GCJ-02 for Amap and Tencent, BD-09 for Baidu.
#pragma once

#include "geo/coord-transform.hpp"

#include <string>

namespace twindraw::nav {

struct Place {
    coord::LonLat wgs84;
    std::string name;  // UTF-8, percent-encoded in the links
};

struct Links {
    std::string amap, baidu, tencent;
    coord::LonLat gcj02;  // the destination as sent to Amap and Tencent
    coord::LonLat bd09;   // the destination as sent to Baidu
};

/// Links from `from` (the phone's position) to `to`. Coordinates carry 6 decimals
/// (≈ 0.1 m), the precision the vendors accept.
Links links(const Place& from, const Place& to);

/// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(const std::string& s);

}  // namespace twindraw::nav
