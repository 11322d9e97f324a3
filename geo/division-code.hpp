// GB/T 2260 administrative division codes: six digits pp cc dd (province, prefecture,
// county) and the NBS nine-digit town codes (county + three digits). Short forms (2 or
// 4 digits, as registries ship them) are padded with zeros.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace twindraw::division {

struct Code {
    std::string code;  // 6 or 9 digits
    int level = 0;     // 1 province, 2 prefecture, 3 county, 4 town
    std::string province;   // pp0000
    std::string prefecture; // ppcc00, "" for a province
};

/// Parses "50", "5001", "500103", "500103001" (also with surrounding spaces).
/// Returns nullopt for anything else: other lengths, non-digits, a zero province,
/// a county part without its prefecture part ("500003").
std::optional<Code> parse(std::string_view text);

/// The code one level up as the code itself says (a county's prefecture, a town's
/// county), or "" for a province. Municipalities' counties (prefecture 01/02, as
/// 500103) name a pseudo-prefecture that is_pseudo_prefecture() recognises.
std::string parent(const Code& c);

/// Whether a four-digit prefecture part is one of the placeholders GB/T 2260 uses
/// under municipalities and for province-administered counties (ppc01 市辖区,
/// pp02 县, pp90 省直辖县级行政区划) for the provinces that use them.
bool is_pseudo_prefecture(std::string_view prefecture4);

}  // namespace twindraw::division
