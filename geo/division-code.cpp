#include "geo/division-code.hpp"

#include <algorithm>
#include <cctype>

namespace twindraw::division {

namespace {
bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}
const std::string_view kMunicipalities[] = {"11", "12", "31", "50"};
}  // namespace

std::optional<Code> parse(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (!all_digits(text)) return std::nullopt;
    std::string s(text);
    if (s.size() == 2 || s.size() == 4) s.append(6 - s.size(), '0');
    if (s.size() != 6 && s.size() != 9) return std::nullopt;
    if (s.compare(0, 2, "00") == 0) return std::nullopt;
    const bool pref_zero = s.compare(2, 2, "00") == 0;
    const bool county_zero = s.compare(4, 2, "00") == 0;
    if (pref_zero && !county_zero) return std::nullopt;
    Code c;
    c.code = s;
    c.province = s.substr(0, 2) + "0000";
    if (s.size() == 9) {
        if (county_zero || s.compare(6, 3, "000") == 0) return std::nullopt;
        c.level = 4;
    } else if (pref_zero) {
        c.level = 1;
    } else if (county_zero) {
        c.level = 2;
    } else {
        c.level = 3;
    }
    if (c.level > 1) c.prefecture = s.substr(0, 4) + "00";
    return c;
}

std::string parent(const Code& c) {
    switch (c.level) {
    case 4: return c.code.substr(0, 6);
    case 3: return c.prefecture;
    case 2: return c.province;
    default: return "";
    }
}

bool is_pseudo_prefecture(std::string_view p) {
    if (p.size() != 4 || !all_digits(p)) return false;
    const auto province = p.substr(0, 2);
    const auto part = p.substr(2, 2);
    if (std::find(std::begin(kMunicipalities), std::end(kMunicipalities), province) != std::end(kMunicipalities))
        return part == "01" || part == "02";
    return part == "90";
}

}  // namespace twindraw::division
