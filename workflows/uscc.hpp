// The unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
// from "0123456789ABCDEFGHJKLMNPQRTUWXY"; the 18th is a check character over the
// first 17 with weights 3^i mod 31. Positions 9–17 are the organisation code of
// GB 11714, whose 9th character is its own check digit (weights 3 7 9 10 5 8 4 2, mod 11).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twindraw::uscc {

enum class Problem { None, Length, Character, CheckDigit };

/// Checks length, alphabet and the GB 32100 check character.
Problem check(std::string_view code);

inline bool valid(std::string_view code) { return check(code) == Problem::None; }

/// The GB 32100 check character for the first 17 characters, or nullopt when
/// they are not 17 characters of the alphabet.
std::optional<char> check_char(std::string_view first17);

/// The GB 11714 check character ('0'-'9' or 'X') for an 8-character organisation
/// code body, or nullopt for characters outside 0-9A-Z.
std::optional<char> org_check_char(std::string_view first8);

/// Builds a valid code: registration authority '9' (market supervision), type
/// ('1' enterprise, '2' individual business, '3' farmers' cooperative), the 6-digit
/// division code and an organisation code body from `serial` (deterministic).
std::string make(char type, std::string_view division6, std::uint64_t serial);

/// Upper-cases and strips spaces, the usual clean-up of pasted codes.
std::string normalise(std::string_view raw);

}  // namespace twindraw::uscc
