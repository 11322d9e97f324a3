// ZIP archives built with zlib for the tests: one deflated entry of `size` zero bytes
// under `name` (a compression bomb of about 1000:1), with consistent local and central
// headers, so that only its ratio or size gives it away.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

namespace twindraw::testing {

inline std::string zip_bomb(const std::string& name, size_t size) {
    const std::string raw(size, '\0');
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, raw.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    z.avail_in = static_cast<uInt>(raw.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uInt>(raw.size()));
    auto le = [](std::string& s, std::uint32_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    std::string zip;
    le(zip, 0x04034b50, 4); le(zip, 20, 2); le(zip, 0, 2); le(zip, 8, 2); le(zip, 0, 4);
    le(zip, static_cast<std::uint32_t>(crc), 4); le(zip, static_cast<std::uint32_t>(out.size()), 4);
    le(zip, static_cast<std::uint32_t>(raw.size()), 4); le(zip, static_cast<std::uint32_t>(name.size()), 2); le(zip, 0, 2);
    zip += name + out;
    const std::uint32_t cd = static_cast<std::uint32_t>(zip.size());
    le(zip, 0x02014b50, 4); le(zip, 20, 2); le(zip, 20, 2); le(zip, 0, 2); le(zip, 8, 2); le(zip, 0, 4);
    le(zip, static_cast<std::uint32_t>(crc), 4); le(zip, static_cast<std::uint32_t>(out.size()), 4);
    le(zip, static_cast<std::uint32_t>(raw.size()), 4); le(zip, static_cast<std::uint32_t>(name.size()), 2);
    le(zip, 0, 2); le(zip, 0, 2); le(zip, 0, 2); le(zip, 0, 2); le(zip, 0, 4); le(zip, 0, 4);
    zip += name;
    const std::uint32_t cd_size = static_cast<std::uint32_t>(zip.size()) - cd;
    le(zip, 0x06054b50, 4); le(zip, 0, 2); le(zip, 0, 2); le(zip, 1, 2); le(zip, 1, 2);
    le(zip, cd_size, 4); le(zip, cd, 4); le(zip, 0, 2);
    return zip;
}

}  // namespace twindraw::testing
