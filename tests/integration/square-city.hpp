// The small city of the map API tests (patrol, unlicensed, navigation, OGC features):
// 渝中区 500103 and 渝北区 500112 as squares of 0.1° side under 重庆市, 渝中 west of
// 106.6°E, with their market bureaus 900 and 901; and requests as dispatch() gets them
// from a principal, without a login.
#pragma once

#include "server/app.hpp"
#include "server/http-server.hpp"

#include <string>
#include <utility>
#include <vector>

namespace twindraw::testing {

inline constexpr const char* kSquareDistricts =
    "INSERT INTO division(code, name, level, parent_code, geom) VALUES"
    " ('500000', '重庆市', 1, NULL, NULL),"
    " ('500103', '渝中区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.5, 29.5, 106.6, 29.6, 4326))),"
    " ('500112', '渝北区', 3, '500000', ST_Multi(ST_MakeEnvelope(106.6, 29.5, 106.7, 29.6, 4326)));";

inline constexpr const char* kSquareBureaus =
    "INSERT INTO authority(id, name, kind, division_code) VALUES"
    " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103'),"
    " (901, '重庆市渝北区市场监督管理局', 'market_bureau', '500112');";

/// A request for target (path?query) from 192.0.2.9, without body, headers or principal.
inline server::Request square_request(const std::string& method, const std::string& target) {
    server::Request req;
    req.method = method;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = server::parse_query(target.substr(q + 1));
    req.peer = "192.0.2.9";
    return req;
}

/// A signed-in principal (stage ok) of user at unit.
inline server::Principal square_principal(long long user, long long unit, const std::string& data_scope,
                                          std::vector<std::string> permissions) {
    server::Principal p;
    p.user_id = user;
    p.unit_id = unit;
    p.stage = "ok";
    p.data_scope = data_scope;
    p.permissions = std::move(permissions);
    return p;
}

}  // namespace twindraw::testing
