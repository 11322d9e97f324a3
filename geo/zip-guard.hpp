// Bounds on ZIP-based uploads (XLSX, zipped Shapefile) before GDAL opens them: a
// 200 KB workbook whose shared strings inflate to hundreds of MB would otherwise be
// expanded by OGR's XLSX driver in memory. The archive is walked here by its central
// directory AND its local headers (GDAL's /vsizip/ reads the one, a streaming reader the
// other: both must agree), and every entry is actually inflated (with zlib, counting,
// nothing kept) so that declared sizes cannot lie.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace twindraw::zipguard {

struct Limits {
    std::uint64_t max_total = 200ull * 1024 * 1024;  // all entries inflated together
    std::uint64_t max_entries = 10000;
    std::uint64_t ratio_floor = 1024 * 1024;  // the ratio applies to entries larger than this
    std::uint64_t max_ratio = 100;            // inflated : compressed
};

/// Whether bytes begin like a ZIP archive (a local file header).
bool is_zip(std::string_view bytes);

/// Checks a whole archive in memory. Throws Error(TooLarge) "zip_too_large" (total
/// inflated size over max_total), "zip_too_many_entries", "zip_ratio" (an entry over
/// ratio_floor inflating more than max_ratio times); Error(Invalid) "zip_nested" (an
/// archive inside), "zip_corrupt" (headers that disagree, overlap, lie about sizes or do
/// not inflate), "zip_unsupported" (ZIP64, encryption, a method other than stored or
/// deflate). Messages are Chinese and name the entry where one is to blame.
void check(std::string_view bytes, const Limits& limits = {});

/// check() over the file at path (read whole; uploads are bounded before they get here).
void check_file(const std::string& path, const Limits& limits = {});

}  // namespace twindraw::zipguard
