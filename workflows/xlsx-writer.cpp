#include "workflows/xlsx-writer.hpp"

#include "geo/error.hpp"

#include <xlsxwriter.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace twindraw::xlsx {

namespace {

Error failure(const std::string& what) {
    return {Error::Kind::Internal, "xlsx_failed", "生成 Excel 文件失败（" + what + "）"};
}

// Cuts s to at most n UTF-8 characters.
std::string utf8_prefix(const std::string& s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (chars == n) return s.substr(0, i);
            ++chars;
        }
    }
    return s;
}

std::string clean_sheet_name(const std::string& name, size_t index) {
    std::string out;
    for (char c : name)
        if (std::string("[]:*?/\\").find(c) == std::string::npos) out += c;
    while (!out.empty() && out.front() == '\'') out.erase(out.begin());
    while (!out.empty() && out.back() == '\'') out.pop_back();
    out = utf8_prefix(out, 31);
    if (out.empty()) out = "Sheet" + std::to_string(index);
    return out;
}

}  // namespace

struct Workbook::Impl {
    std::string path;
    lxw_workbook* wb = nullptr;
    lxw_format* header = nullptr;
    lxw_format* text = nullptr;
    std::vector<std::unique_ptr<Sheet>> sheets;

    ~Impl() {
        if (wb) workbook_close(wb);
        if (!path.empty()) std::remove(path.c_str());
    }
};

Workbook::Workbook() : impl_(std::make_unique<Impl>()) {
    char tmpl[] = "/tmp/twindraw-xlsx-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) throw failure("无法创建临时文件");
    ::close(fd);
    impl_->path = tmpl;
    lxw_workbook_options opts{};
    opts.constant_memory = LXW_TRUE;
    opts.tmpdir = const_cast<char*>("/tmp");
    impl_->wb = workbook_new_opt(impl_->path.c_str(), &opts);
    if (!impl_->wb) throw failure("workbook_new");
    impl_->header = workbook_add_format(impl_->wb);
    format_set_bold(impl_->header);
    format_set_bg_color(impl_->header, 0xDDEBF7);
    format_set_border(impl_->header, LXW_BORDER_THIN);
    impl_->text = workbook_add_format(impl_->wb);
    format_set_num_format(impl_->text, "@");
}

Workbook::~Workbook() = default;

Sheet& Workbook::add_sheet(const std::string& name, const std::vector<std::string>& headers,
                           const std::vector<double>& widths) {
    if (!impl_->wb) throw failure("工作簿已关闭");
    std::string n = clean_sheet_name(name, impl_->sheets.size() + 1);
    lxw_worksheet* ws = workbook_add_worksheet(impl_->wb, n.c_str());
    if (!ws) throw failure("工作表名称重复或无效");
    for (size_t i = 0; i < headers.size(); ++i) {
        double w = i < widths.size() ? widths[i] : std::max<double>(10, std::min<double>(40, headers[i].size() * 1.2 + 4));
        worksheet_set_column(ws, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), w, nullptr);
        worksheet_write_string(ws, 0, static_cast<lxw_col_t>(i), headers[i].c_str(), impl_->header);
    }
    worksheet_freeze_panes(ws, 1, 0);
    impl_->sheets.push_back(std::unique_ptr<Sheet>(new Sheet(this, ws)));
    return *impl_->sheets.back();
}

void Sheet::add_row(const std::vector<Cell>& cells) {
    if (!wb_->impl_->wb) throw failure("工作簿已关闭");
    auto* ws = static_cast<lxw_worksheet*>(ws_);
    auto row = static_cast<lxw_row_t>(next_row_);
    if (next_row_ >= LXW_ROW_MAX) throw failure("超过 Excel 的最大行数");
    for (size_t i = 0; i < cells.size(); ++i) {
        auto col = static_cast<lxw_col_t>(i);
        const auto& v = cells[i].value();
        if (const auto* s = std::get_if<std::string>(&v)) {
            if (s->empty()) continue;
            // Excel holds at most 32,767 characters in a cell.
            std::string t = utf8_prefix(*s, 32767);
            worksheet_write_string(ws, row, col, t.c_str(), wb_->impl_->text);
        } else if (const auto* d = std::get_if<double>(&v)) {
            worksheet_write_number(ws, row, col, *d, nullptr);
        } else if (const auto* n = std::get_if<long long>(&v)) {
            worksheet_write_number(ws, row, col, static_cast<double>(*n), nullptr);
        } else if (const auto* b = std::get_if<bool>(&v)) {
            worksheet_write_boolean(ws, row, col, *b ? 1 : 0, nullptr);
        }
    }
    ++next_row_;
}

std::string Workbook::bytes() {
    if (!impl_->wb) throw failure("工作簿已关闭");
    lxw_error err = workbook_close(impl_->wb);
    impl_->wb = nullptr;
    if (err != LXW_NO_ERROR) throw failure(lxw_strerror(err));
    std::ifstream in(impl_->path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    std::remove(impl_->path.c_str());
    impl_->path.clear();
    return out.str();
}

std::string export_rows_xlsx(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                             const std::string& sheet_name) {
    Workbook wb;
    Sheet& sheet = wb.add_sheet(sheet_name, headers);
    std::vector<Cell> cells;
    for (const auto& r : rows) {
        cells.assign(r.begin(), r.end());
        sheet.add_row(cells);
    }
    return wb.bytes();
}

}  // namespace twindraw::xlsx
