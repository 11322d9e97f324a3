#include "server/http-router.hpp"

#include <algorithm>

namespace twindraw::server {

size_t body_limit(const Route* route, bool signed_in, size_t upload_limit) {
    if (!route || !signed_in) return kAnonymousBodyLimit;
    if (route->max_body) return std::min(route->max_body, upload_limit);
    return route->request_body == "application/octet-stream" ? upload_limit : kJsonBodyLimit;
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

// Each pattern is split once, when the route is added: matching a request then splits
// only the request's path (profiling showed splitting every pattern on every request
// as the largest user-space cost of a request).
Router::Compiled Router::compile(const std::string& pattern) {
    Compiled c;
    for (auto& p : split_path(pattern)) {
        Segment s;
        if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
            s.kind = Segment::Param;
            s.name = p.substr(1, p.size() - 2);
        } else if (size_t close = p.find('}'); p.front() == '{' && close != std::string::npos) {
            s.kind = Segment::ParamWithSuffix;  // e.g. "{y}.png"
            s.name = p.substr(1, close - 1);
            s.text = p.substr(close + 1);
        } else {
            s.kind = Segment::Literal;
            s.text = p;
        }
        c.push_back(std::move(s));
    }
    return c;
}

void Router::add(Route route) {
    compiled_.push_back(compile(route.pattern));
    routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
    const auto segs = split_path(path);
    Match best;
    const Compiled* best_pattern = nullptr;
    std::vector<bool> best_literals, literals;
    for (size_t k = 0; k < routes_.size(); ++k) {
        const Compiled& pat = compiled_[k];
        if (pat.size() != segs.size()) continue;
        bool ok = true;
        literals.clear();
        for (size_t i = 0; i < pat.size() && ok; ++i) {
            const Segment& p = pat[i];
            const std::string& s = segs[i];
            switch (p.kind) {
                case Segment::Param:
                    literals.push_back(false);
                    break;
                case Segment::ParamWithSuffix:
                    ok = s.size() > p.text.size() && s.compare(s.size() - p.text.size(), p.text.size(), p.text) == 0;
                    literals.push_back(false);
                    break;
                case Segment::Literal:
                    ok = p.text == s;
                    literals.push_back(true);
                    break;
            }
        }
        if (!ok) continue;
        const Route& r = routes_[k];
        if (r.method != method) {
            best.path_known = true;
            continue;
        }
        // Lexicographic preference for literal segments from the left.
        if (!best.route || literals > best_literals) {
            best.route = &r;
            best_pattern = &pat;
            best_literals = literals;
        }
    }
    if (best_pattern)
        for (size_t i = 0; i < best_pattern->size(); ++i) {
            const Segment& p = (*best_pattern)[i];
            if (p.kind == Segment::Param) best.params[p.name] = segs[i];
            if (p.kind == Segment::ParamWithSuffix)
                best.params[p.name] = segs[i].substr(0, segs[i].size() - p.text.size());
        }
    return best;
}

}  // namespace twindraw::server
