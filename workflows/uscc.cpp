#include "workflows/uscc.hpp"

#include <cctype>

namespace twindraw::uscc {

namespace {
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int value_of(char c) {
    auto pos = kAlphabet.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}
}  // namespace

std::optional<char> check_char(std::string_view first17) {
    if (first17.size() != 17) return std::nullopt;
    int sum = 0;
    for (size_t i = 0; i < 17; ++i) {
        int v = value_of(first17[i]);
        if (v < 0) return std::nullopt;
        sum += v * kWeights[i];
    }
    int c = 31 - sum % 31;
    return kAlphabet[c == 31 ? 0 : c];
}

Problem check(std::string_view code) {
    if (code.size() != 18) return Problem::Length;
    for (char c : code)
        if (value_of(c) < 0) return Problem::Character;
    return check_char(code.substr(0, 17)) == code[17] ? Problem::None : Problem::CheckDigit;
}

std::optional<char> org_check_char(std::string_view first8) {
    static constexpr int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    if (first8.size() != 8) return std::nullopt;
    int sum = 0;
    for (size_t i = 0; i < 8; ++i) {
        char c = first8[i];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = c - 'A' + 10;
        else
            return std::nullopt;
        sum += v * w[i];
    }
    int r = 11 - sum % 11;
    if (r == 10) return 'X';
    if (r == 11) return '0';
    return static_cast<char>('0' + r);
}

std::string make(char type, std::string_view division6, std::uint64_t serial) {
    // An organisation-code body of 8 decimal digits taken from serial: distinct for
    // 10^8 serials per (type, division), which is plenty for a generated city.
    std::string body(8, '0');
    std::uint64_t s = serial;
    for (int i = 7; i >= 0; --i) {
        body[static_cast<size_t>(i)] = static_cast<char>('0' + s % 10);
        s /= 10;
    }
    std::optional<char> org = org_check_char(body);
    std::string code;
    code.reserve(18);
    code += '9';
    code += type;
    code += division6;
    code += body;
    code += *org;
    code += *check_char(code);
    return code;
}

std::string normalise(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (unsigned char c : raw) {
        if (std::isspace(c)) continue;
        out += static_cast<char>(std::toupper(c));
    }
    return out;
}

}  // namespace twindraw::uscc
