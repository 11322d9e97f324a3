// Uploaded files stored by content (JOB-3, JOB-5, JOB-7): the bytes live under
// data_dir/job-files/<sha-256 hex>, written before the row that names them (a crash leaves
// at most an unreferenced file, never a row without its content), shared by the files of
// jobs and of appeals.
#pragma once

#include <cstddef>
#include <string>

namespace twindraw::files {

/// Lower-case hex SHA-256 of bytes: the file's name in the store.
std::string sha256_hex(const std::string& bytes);

/// Writes bytes as data_dir/job-files/<hex> unless it is there already (through a
/// temporary file and a rename). Error(Internal) when it cannot.
void put(const std::string& data_dir, const std::string& hex, const std::string& bytes);

/// The stored bytes; Error(NotFound) when the file is missing.
std::string get(const std::string& data_dir, const std::string& hex);

/// Refuses an upload that is empty (Error BadRequest "empty_body") or larger than
/// max_bytes (Error TooLarge "too_large", "<what>过大（上限 N MB）").
void check_upload(const std::string& bytes, size_t max_bytes, const std::string& what = "文件");

/// The type of uploaded bytes from their first bytes: "image/jpeg", "image/png" or
/// "application/pdf"; empty for anything else, and for bytes whose first KB holds HTML
/// or script markup after the magic (a PNG signature followed by <html> is no PNG).
/// Callers store this type, never the one the client claimed.
std::string sniff(const std::string& bytes);

/// At most n characters of UTF-8 text, cut on a character boundary.
std::string clip_utf8(const std::string& s, size_t n);

}  // namespace twindraw::files
