#include "server/http-router.hpp"

namespace twindraw::server {

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

void Router::add(Route route) { routes_.push_back(std::move(route)); }

Router::Match Router::match(const std::string& method, const std::string& path) const {
    const auto segs = split_path(path);
    Match best;
    std::vector<bool> best_literals;
    for (const auto& r : routes_) {
        const auto pat = split_path(r.pattern);
        if (pat.size() != segs.size()) continue;
        std::map<std::string, std::string> params;
        std::vector<bool> literals;
        bool ok = true;
        for (size_t i = 0; i < pat.size() && ok; ++i) {
            const auto& p = pat[i];
            if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
                params[p.substr(1, p.size() - 2)] = segs[i];
                literals.push_back(false);
            } else if (size_t close = p.find('}'); p.front() == '{' && close != std::string::npos) {
                // A parameter with a literal suffix, e.g. "{y}.png".
                const std::string suffix = p.substr(close + 1);
                const auto& s = segs[i];
                ok = s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
                if (ok) params[p.substr(1, close - 1)] = s.substr(0, s.size() - suffix.size());
                literals.push_back(false);
            } else {
                ok = p == segs[i];
                literals.push_back(true);
            }
        }
        if (!ok) continue;
        if (r.method != method) {
            best.path_known = true;
            continue;
        }
        // Lexicographic preference for literal segments from the left.
        if (!best.route || literals > best_literals) {
            best.route = &r;
            best.params = std::move(params);
            best_literals = literals;
        }
    }
    return best;
}

}  // namespace twindraw::server
