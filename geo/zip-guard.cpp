#include "geo/zip-guard.hpp"

#include "geo/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <vector>

namespace twindraw::zipguard {

namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;

std::uint32_t u16(std::string_view b, size_t at) {
    return static_cast<unsigned char>(b[at]) | static_cast<unsigned char>(b[at + 1]) << 8;
}
std::uint32_t u32(std::string_view b, size_t at) {
    return u16(b, at) | u16(b, at + 2) << 16;
}

Error corrupt(const std::string& why) { return invalid("zip_corrupt", "压缩文件已损坏或格式异常：" + why); }
Error unsupported(const std::string& why) { return invalid("zip_unsupported", "不支持的压缩文件：" + why); }

std::string shown(const std::string& name) {
    return "“" + (name.size() > 80 ? name.substr(0, 80) + "…" : name) + "”";
}

bool nested_name(std::string name) {
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* ext : {".zip", ".xlsx", ".xlsm", ".docx", ".jar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"}) {
        const size_t n = std::char_traits<char>::length(ext);
        if (name.size() >= n && name.compare(name.size() - n, n, ext) == 0) return true;
    }
    return false;
}

struct Entry {
    std::string name;
    std::uint32_t flags = 0, method = 0, csize = 0, usize = 0, local = 0;
};

// Inflates (or copies, for stored entries) data, counting the bytes produced and
// keeping the first four; stops as soon as more than `cap` bytes come out.
std::uint64_t inflated_size(std::string_view data, std::uint32_t method, std::uint64_t cap, std::string& magic) {
    magic.clear();
    if (method == 0) {
        magic = std::string(data.substr(0, 4));
        return data.size();
    }
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error(Error::Kind::Internal, "zlib", "zlib 初始化失败");
    std::vector<unsigned char> out(64 * 1024);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::uint64_t total = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        rc = inflate(&z, Z_NO_FLUSH);
        const size_t got = out.size() - z.avail_out;
        if (magic.size() < 4) magic.append(reinterpret_cast<const char*>(out.data()), std::min<size_t>(got, 4 - magic.size()));
        total += got;
        if (total > cap) break;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK || (got == 0 && z.avail_in == 0)) {
            inflateEnd(&z);
            throw corrupt("数据无法解压");
        }
    }
    inflateEnd(&z);
    return total;
}

}  // namespace

bool is_zip(std::string_view bytes) {
    return bytes.size() >= 4 && u32(bytes, 0) == kLocalSig;
}

void check(std::string_view b, const Limits& limits) {
    if (b.size() < 22) throw corrupt("文件过短");
    // The end-of-central-directory record: the last one within 64 KiB + 22 of the end.
    size_t end = std::string_view::npos;
    const size_t lowest = b.size() > 65557 ? b.size() - 65557 : 0;
    for (size_t i = b.size() - 22 + 1; i-- > lowest;)
        if (u32(b, i) == kEndSig) {
            end = i;
            break;
        }
    if (end == std::string_view::npos) throw corrupt("缺少中央目录");
    const std::uint32_t disk = u16(b, end + 4), cd_disk = u16(b, end + 6), on_disk = u16(b, end + 8),
                        count = u16(b, end + 10), cd_size = u32(b, end + 12), cd_offset = u32(b, end + 16);
    if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) throw unsupported("ZIP64 格式");
    if (disk != 0 || cd_disk != 0 || on_disk != count) throw unsupported("分卷压缩");
    if (count > limits.max_entries)
        throw Error(Error::Kind::TooLarge, "zip_too_many_entries",
                    "压缩文件中的文件过多（上限 " + std::to_string(limits.max_entries) + " 个）");
    if (std::uint64_t(cd_offset) + cd_size > end) throw corrupt("中央目录越界");

    std::vector<Entry> entries;
    entries.reserve(count);
    size_t at = cd_offset;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (at + 46 > end || u32(b, at) != kCentralSig) throw corrupt("中央目录记录错误");
        Entry e;
        e.flags = u16(b, at + 8);
        e.method = u16(b, at + 10);
        e.csize = u32(b, at + 20);
        e.usize = u32(b, at + 24);
        const std::uint32_t name_len = u16(b, at + 28), extra_len = u16(b, at + 30), comment_len = u16(b, at + 32);
        e.local = u32(b, at + 42);
        if (at + 46 + name_len > end) throw corrupt("中央目录越界");
        e.name = std::string(b.substr(at + 46, name_len));
        if (e.csize == 0xFFFFFFFF || e.usize == 0xFFFFFFFF || e.local == 0xFFFFFFFF) throw unsupported("ZIP64 格式");
        at += 46 + name_len + extra_len + comment_len;
        entries.push_back(std::move(e));
    }
    if (at != std::uint64_t(cd_offset) + cd_size) throw corrupt("中央目录长度不符");

    std::uint64_t total = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [local header, end of data)
    std::string magic;
    for (const auto& e : entries) {
        if (e.flags & 0x41) throw unsupported("加密的文件 " + shown(e.name));
        if (e.method != 0 && e.method != 8) throw unsupported("压缩方法 " + std::to_string(e.method));
        if (nested_name(e.name)) throw invalid("zip_nested", "压缩文件中不能再含压缩文件：" + shown(e.name));
        // The local header must name the same entry, the same way.
        const size_t lh = e.local;
        if (std::uint64_t(lh) + 30 > cd_offset || u32(b, lh) != kLocalSig) throw corrupt("本地文件头错误 " + shown(e.name));
        const std::uint32_t lflags = u16(b, lh + 6), lmethod = u16(b, lh + 8), lcsize = u32(b, lh + 18),
                            lusize = u32(b, lh + 22), lname = u16(b, lh + 26), lextra = u16(b, lh + 28);
        if (lmethod != e.method || (lflags & 0x41) != (e.flags & 0x41)) throw corrupt("本地文件头与目录不符 " + shown(e.name));
        if (std::uint64_t(lh) + 30 + lname > cd_offset || b.substr(lh + 30, lname) != e.name)
            throw corrupt("本地文件头与目录不符 " + shown(e.name));
        if (!(lflags & 0x08) && (lcsize != e.csize || lusize != e.usize))
            throw corrupt("本地文件头与目录的大小不符 " + shown(e.name));
        const std::uint64_t data = std::uint64_t(lh) + 30 + lname + lextra;
        if (data + e.csize > cd_offset) throw corrupt("数据越界 " + shown(e.name));
        spans.emplace_back(lh, data + e.csize);

        total += e.usize;
        if (total > limits.max_total)
            throw Error(Error::Kind::TooLarge, "zip_too_large",
                        "压缩文件解压后过大（上限 " + std::to_string(limits.max_total / 1024 / 1024) + " MB）");
        if (e.usize > limits.ratio_floor && e.usize > std::uint64_t(e.csize) * limits.max_ratio)
            throw Error(Error::Kind::TooLarge, "zip_ratio",
                        "压缩文件中的 " + shown(e.name) + " 压缩比异常（超过 " + std::to_string(limits.max_ratio) +
                            ":1），疑似压缩炸弹");
        // What it really inflates to must be what both headers declare.
        const std::uint64_t real = inflated_size(b.substr(data, e.csize), e.method, e.usize, magic);
        if (real != e.usize) throw corrupt("解压后的大小与声明不符 " + shown(e.name));
        if (magic.size() == 4 && u32(magic, 0) == kLocalSig)
            throw invalid("zip_nested", "压缩文件中不能再含压缩文件：" + shown(e.name));
    }
    // Entries sharing bytes (the overlapping-file bomb) are refused.
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i)
        if (spans[i].first < spans[i - 1].second) throw corrupt("文件数据相互重叠");
}

void check_file(const std::string& path, const Limits& limits) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(Error::Kind::Internal, "zip_read", "无法读取上传的文件");
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check(bytes, limits);
}

}  // namespace twindraw::zipguard
