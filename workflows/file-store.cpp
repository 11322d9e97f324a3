#include "workflows/file-store.hpp"

#include "geo/error.hpp"
#include "workflows/account-password.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace twindraw::files {

namespace {

std::filesystem::path dir_of(const std::string& data_dir) {
    return std::filesystem::path(data_dir) / "job-files";
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : accounts::sha256(bytes)) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

void check_upload(const std::string& bytes, size_t max_bytes, const std::string& what) {
    if (bytes.empty()) throw bad_request("empty_body", "上传内容为空");
    if (bytes.size() > max_bytes)
        throw Error(Error::Kind::TooLarge, "too_large",
                    what + "过大（上限 " + std::to_string(max_bytes / 1024 / 1024) + " MB）");
}

namespace {
// Markup a browser would render or run if it ever took the file for HTML (an old
// browser sniffing, a download opened from disk): refused in any upload, whatever the
// magic bytes before it.
bool looks_like_markup(const std::string& bytes) {
    std::string head = bytes.substr(0, 1024);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* tag : {"<html", "<script", "<!doctype", "<body", "<head", "<iframe", "<svg", "<img", "<meta",
                            "<object", "<embed", "<a href", "javascript:"})
        if (head.find(tag) != std::string::npos) return true;
    return false;
}
}  // namespace

std::string sniff(const std::string& bytes) {
    if (looks_like_markup(bytes)) return "";
    if (bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
        static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF)
        return "image/jpeg";
    if (bytes.rfind("\x89PNG\r\n\x1a\n", 0) == 0) return "image/png";
    if (bytes.rfind("%PDF-", 0) == 0) return "application/pdf";
    return "";
}

void put(const std::string& data_dir, const std::string& hex, const std::string& bytes) {
    const auto dir = dir_of(data_dir);
    std::filesystem::create_directories(dir);
    const auto file = dir / hex;
    if (std::filesystem::exists(file)) return;
    const auto tmp = dir / (hex + ".part");
    {
        std::ofstream out(tmp, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) throw Error(Error::Kind::Internal, "write_failed", "保存文件失败");
    }
    std::filesystem::rename(tmp, file);
}

std::string get(const std::string& data_dir, const std::string& hex) {
    std::ifstream in(dir_of(data_dir) / hex, std::ios::binary);
    if (!in) throw not_found("附件文件不存在");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string clip_utf8(const std::string& s, size_t n) {
    size_t chars = 0, i = 0;
    for (; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == n) break;
    return s.substr(0, i);
}

}  // namespace twindraw::files
