// Excel output (BASE-1..3 exports, import error reports): a small RAII wrapper over
// libxlsxwriter that produces the .xlsx bytes. Each sheet starts with a bold, frozen
// header row; cells are typed (text stays text, so codes keep leading zeros). Rows
// are written in constant-memory mode, so a large export does not hold the sheet.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace twindraw::xlsx {

/// One cell: empty, text, a number, an integer or a boolean.
class Cell {
public:
    using Value = std::variant<std::monostate, std::string, double, long long, bool>;
    Cell() = default;
    Cell(std::string s) : v_(std::move(s)) {}
    Cell(const char* s) : v_(std::string(s)) {}
    Cell(double d) : v_(d) {}
    Cell(long long n) : v_(n) {}
    Cell(int n) : v_(static_cast<long long>(n)) {}
    Cell(bool b) : v_(b) {}
    const Value& value() const { return v_; }

private:
    Value v_;
};

class Workbook;

class Sheet {
public:
    /// Appends a row below the previous one (more cells than headers are written too).
    void add_row(const std::vector<Cell>& cells);
    /// Number of data rows written so far.
    long long rows() const { return next_row_ - 1; }

private:
    friend class Workbook;
    Sheet(Workbook* wb, void* ws) : wb_(wb), ws_(ws) {}
    Workbook* wb_;
    void* ws_;  // lxw_worksheet*
    long long next_row_ = 1;
};

class Workbook {
public:
    /// Creates the workbook in a temporary file. Throws Error(Internal) when it cannot.
    Workbook();
    ~Workbook();
    Workbook(const Workbook&) = delete;
    Workbook& operator=(const Workbook&) = delete;

    /// Adds a sheet (name cleaned of []:*?/\ and cut to 31 characters; "" → "Sheet<n>")
    /// whose first row holds headers in bold, frozen. widths: column widths in
    /// characters, optional. The reference stays valid until bytes().
    Sheet& add_sheet(const std::string& name, const std::vector<std::string>& headers,
                     const std::vector<double>& widths = {});

    /// Closes the workbook and returns the file's bytes; the workbook is finished
    /// afterwards (a second call throws Error(Internal)).
    std::string bytes();

private:
    friend class Sheet;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A one-sheet workbook of text cells under a header row, as bytes. Cells are written
/// as text (codes and numbers alike) so nothing is reinterpreted by Excel.
std::string export_rows_xlsx(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                             const std::string& sheet_name);

}  // namespace twindraw::xlsx
