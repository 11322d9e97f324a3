#include "workflows/pdf-page.hpp"

#include "geo/error.hpp"

#include <cairo-pdf.h>
#include <qrencode.h>

#include <algorithm>
#include <memory>

namespace twindraw::pdf {

namespace {

constexpr const char* kFont = "Noto Sans CJK SC";

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

struct PngSource {
    const std::string* bytes;
    size_t at = 0;
};

cairo_status_t read_png(void* closure, unsigned char* data, unsigned int length) {
    auto* s = static_cast<PngSource*>(closure);
    if (s->at + length > s->bytes->size()) return CAIRO_STATUS_READ_ERROR;
    std::copy_n(s->bytes->data() + s->at, length, data);
    s->at += length;
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::vector<std::string> glyphs(const std::string& s) {
    std::vector<std::string> out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

Page::Page(std::string* out, const std::string& title) {
    surface_ = cairo_pdf_surface_create_for_stream(append, out, kWidth, kHeight);
    cr_ = cairo_create(surface_);
    cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_TITLE, title.c_str());
    font(10.5);
}

Page::~Page() {
    cairo_destroy(cr_);
    cairo_surface_finish(surface_);
    cairo_surface_destroy(surface_);
}

void Page::font(double size, bool bold) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    size_ = size;
}

void Page::need(double h) {
    if (y + h > kHeight - kMargin) {
        cairo_show_page(cr_);
        y = kMargin;
    }
}

double Page::width(const std::string& s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
}

void Page::text(const std::string& s, double x, double right) {
    std::string line;
    double w = 0;
    for (const auto& g : glyphs(s)) {
        if (g == "\n") {
            put(line, x);
            line.clear();
            w = 0;
            continue;
        }
        const double gw = width(g);
        if (w + gw > right - x && !line.empty()) {
            put(line, x);
            line.clear();
            w = 0;
        }
        line += g;
        w += gw;
    }
    put(line, x);
}

void Page::put(const std::string& line, double x) {
    need(size_ * 1.5);
    y += size_ * 1.5;
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, line.c_str());
}

void Page::rule() {
    need(8);
    y += 6;
    cairo_set_line_width(cr_, 0.5);
    cairo_move_to(cr_, kMargin, y);
    cairo_line_to(cr_, kWidth - kMargin, y);
    cairo_stroke(cr_);
}

bool Page::png(const std::string& bytes, double x, double w, double h) {
    if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return false;
    PngSource src{&bytes};
    cairo_surface_t* img = cairo_image_surface_create_from_png_stream(read_png, &src);
    const bool ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;
    if (ok) {
        const double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
        const double scale = std::min(w / std::max(iw, 1.0), h / std::max(ih, 1.0));
        need(ih * scale + 4);
        cairo_save(cr_);
        cairo_translate(cr_, x, y + 4);
        cairo_scale(cr_, scale, scale);
        cairo_set_source_surface(cr_, img, 0, 0);
        cairo_paint(cr_);
        cairo_restore(cr_);
        y += ih * scale + 4;
    }
    cairo_surface_destroy(img);
    return ok;
}

void qr(cairo_t* cr, const std::string& text, double x, double y, double size) {
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
                                                    QRcode_free);
    if (!code) throw Error(Error::Kind::Internal, "qrencode", "二维码生成失败");
    const int n = code->width;
    const double cell = size / (n + 8);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, size, size);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < n; ++c)
            if (code->data[r * n + c] & 1) cairo_rectangle(cr, x + (c + 4) * cell, y + (r + 4) * cell, cell, cell);
    cairo_fill(cr);
    cairo_restore(cr);
}

}  // namespace twindraw::pdf
