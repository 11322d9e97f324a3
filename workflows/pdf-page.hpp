// A4 pages drawn with cairo in Noto Sans CJK for the printable records (DRAW-8 draw
// record, JOB-6 form F.1): wrapped Chinese text, rules, page breaks, QR codes, images.
// The PDF bytes accumulate in the string given to the page.
#pragma once

#include <cairo.h>

#include <string>
#include <vector>

namespace twindraw::pdf {

inline constexpr double kWidth = 595.0, kHeight = 842.0, kMargin = 50.0;

/// UTF-8 code points of s, each as its own string.
std::vector<std::string> glyphs(const std::string& s);

class Page {
public:
    Page(std::string* out, const std::string& title);
    ~Page();
    Page(const Page&) = delete;
    Page& operator=(const Page&) = delete;

    cairo_t* cr() { return cr_; }
    double y = kMargin;

    void font(double size, bool bold = false);
    /// Starts a new page when h points do not fit.
    void need(double h);
    double width(const std::string& s);
    /// Wrapped text from x to the right margin (or to right when given).
    void text(const std::string& s, double x = kMargin, double right = kWidth - kMargin);
    void put(const std::string& line, double x);
    /// A horizontal line across the text width.
    void rule();
    /// A PNG image scaled to fit w × h at (x, y of the page); false when png is not a PNG.
    bool png(const std::string& png, double x, double w, double h);

private:
    cairo_surface_t* surface_;
    cairo_t* cr_;
    double size_ = 10.5;
};

/// A QR code of text, size × size points at (x, y), with its quiet zone.
void qr(cairo_t* cr, const std::string& text, double x, double y, double size);

}  // namespace twindraw::pdf
