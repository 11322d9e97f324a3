// Route table: method + pattern ("/api/{entity}/{id}") + the permission it needs +
// a summary for the OpenAPI document. Matching prefers literal segments over
// parameters, so "/api/imports/{id}" wins over "/api/{entity}/{id}".
#pragma once

#include "server/http-types.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace twindraw::server {

using Handler = std::function<Response(const Request&)>;

struct Route {
    std::string method;
    std::string pattern;
    std::string permission;  // e.g. "registry.read"; "public" for open routes
    std::string summary;     // Chinese, for the OpenAPI document
    std::string tag;
    Handler handler;
    // Query parameters and request body are described for OpenAPI.
    std::vector<std::string> query_params = {};
    std::string request_body = {};  // media type, or empty
    /// The largest body a signed-in caller may send (0: kJsonBodyLimit, or the server's
    /// upload limit for an "application/octet-stream" body); see body_limit().
    size_t max_body = 0;
};

/// The smallest limit: what any caller without a valid session may send to any route
/// (login, password reset and the other public routes need a few hundred bytes).
inline constexpr size_t kAnonymousBodyLimit = 64 * 1024;

/// The body limit of a request to route (null: no route matched) for a caller with or
/// without a valid session; upload_limit is the server's limit for upload routes.
size_t body_limit(const Route* route, bool signed_in, size_t upload_limit);

class Router {
public:
    void add(Route route);
    const std::vector<Route>& routes() const { return routes_; }

    struct Match {
        const Route* route = nullptr;
        std::map<std::string, std::string> params;
        bool path_known = false;  // some route has this path but another method (405)
    };
    Match match(const std::string& method, const std::string& path) const;

private:
    struct Segment {
        enum Kind { Literal, Param, ParamWithSuffix } kind = Literal;
        std::string name;  // parameter name
        std::string text;  // the literal, or the suffix after the parameter
    };
    using Compiled = std::vector<Segment>;
    static Compiled compile(const std::string& pattern);

    std::vector<Route> routes_;
    std::vector<Compiled> compiled_;  // routes_[i]'s pattern, split once
};

std::vector<std::string> split_path(const std::string& path);

}  // namespace twindraw::server
