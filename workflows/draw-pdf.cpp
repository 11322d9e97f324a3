#include "workflows/draw-pdf.hpp"

#include "geo/error.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <qrencode.h>

#include <memory>
#include <vector>

namespace twindraw::draw {

namespace {

constexpr double kWidth = 595.0, kHeight = 842.0, kMargin = 50.0;
constexpr const char* kFont = "Noto Sans CJK SC";

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

// UTF-8 code points of s, each as its own string.
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

class Page {
public:
    explicit Page(std::string* out) {
        surface_ = cairo_pdf_surface_create_for_stream(append, out, kWidth, kHeight);
        cr_ = cairo_create(surface_);
        cairo_pdf_surface_set_metadata(surface_, CAIRO_PDF_METADATA_TITLE, "抽取记录");
        font(10.5);
    }
    ~Page() {
        cairo_destroy(cr_);
        cairo_surface_finish(surface_);
        cairo_surface_destroy(surface_);
    }
    cairo_t* cr() { return cr_; }
    double y = kMargin;

    void font(double size, bool bold = false) {
        cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr_, size);
        size_ = size;
    }
    void need(double h) {
        if (y + h > kHeight - kMargin) {
            cairo_show_page(cr_);
            y = kMargin;
        }
    }
    double width(const std::string& s) {
        cairo_text_extents_t e;
        cairo_text_extents(cr_, s.c_str(), &e);
        return e.x_advance;
    }
    // Wrapped text from x to the right margin (or to right when given).
    void text(const std::string& s, double x = kMargin, double right = kWidth - kMargin) {
        std::string line;
        double w = 0;
        for (const auto& g : glyphs(s)) {
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
    void put(const std::string& line, double x) {
        need(size_ * 1.5);
        y += size_ * 1.5;
        cairo_move_to(cr_, x, y);
        cairo_show_text(cr_, line.c_str());
    }
    void rule() {
        need(8);
        y += 6;
        cairo_set_line_width(cr_, 0.5);
        cairo_move_to(cr_, kMargin, y);
        cairo_line_to(cr_, kWidth - kMargin, y);
        cairo_stroke(cr_);
    }

private:
    cairo_surface_t* surface_;
    cairo_t* cr_;
    double size_ = 10.5;
};

void qr(cairo_t* cr, const std::string& url, double x, double y, double size) {
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(QRcode_encodeString(url.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1),
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

std::string str(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return "";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string status_name(const std::string& s) {
    return s == "confirmed" ? "已确认" : s == "discarded" ? "已作废" : "待确认";
}

}  // namespace

std::string record_pdf(const nlohmann::json& d, const std::string& url) {
    std::string out;
    {
        Page p(&out);
        cairo_set_source_rgb(p.cr(), 0, 0, 0);
        qr(p.cr(), url, kWidth - kMargin - 96, kMargin - 10, 96);
        p.font(17, true);
        p.text("“双随机、一公开”抽取记录", kMargin, kWidth - kMargin - 110);
        p.font(10.5);
        p.y += 6;
        p.text("记录编号：" + str(d, "id") + "　状态：" + status_name(str(d, "status")), kMargin,
               kWidth - kMargin - 110);
        p.text("名称：" + str(d, "title"), kMargin, kWidth - kMargin - 110);
        p.text("对象类型：" + str(d, "object_kind_name") + "　抽查事项：" +
                   (str(d, "item_name").empty() ? "（未指定）" : str(d, "item_name")),
               kMargin, kWidth - kMargin - 110);
        p.text("抽取时间：" + str(d, "drawn_at") + "　抽取人：" + str(d, "drawn_by_name"), kMargin,
               kWidth - kMargin - 110);
        if (p.y < kMargin + 100) p.y = kMargin + 100;
        p.font(8.5);
        p.text("扫描二维码或访问 " + url + " 可公开复核本次抽取");
        p.font(10.5);
        p.text("抽取范围：" + str(d, "population"));
        p.text("候选总数：" + str(d, "population_total") + "　抽中：" + str(d, "drawn_total") + "　分组：" +
               str(d, "groups") + " 组，每组 " + str(d, "per_group") + " 人");
        std::string strata;
        for (const auto& s : d.value("strata", nlohmann::json::array())) {
            strata +=
                (strata.empty() ? "" : "；") + str(s, "label") + " 共 " + str(s, "population") + " 抽 " + str(s, "k");
            if (s.contains("ratio_bp"))
                strata += "（" + std::to_string(s["ratio_bp"].get<long long>() / 100.0).substr(0, 5) + "%）";
        }
        p.text("分层（R 风险等级 C 信用等级）：" + strata);
        p.font(9);
        p.text("候选名单摘要 SHA-256：" + str(d, "object_digest"));
        p.text("熵（操作系统随机数）：" + str(d, "entropy"));
        p.text("随机种子：" + str(d, "seed"));
        p.text("执法人员名单摘要：" + str(d, "inspector_digest"));
        p.rule();
        for (const auto& g : d.value("result_groups", nlohmann::json::array())) {
            p.font(12, true);
            p.need(60);
            p.y += 4;
            std::string head = "第 " + str(g, "no") + " 组";
            if (!g["leader"].is_null())
                head += "　组长：" + str(g["leader"], "name") + "（" + str(g["leader"], "unit") + "）";
            p.text(head);
            p.font(10.5);
            std::string members;
            for (const auto& m : g["members"])
                members += (members.empty() ? "" : "、") + str(m, "name") + "（" + str(m, "unit") + "）";
            if (!members.empty()) p.text("组员：" + members);
            int i = 0;
            for (const auto& o : g["objects"])
                p.text(std::to_string(++i) + ". " + str(o, "name") + "　" + str(o, "code") + "　" +
                           str(o, "division_name") + " " + str(o, "address"),
                       kMargin + 12);
        }
        p.rule();
        p.font(11);
        p.need(120);
        p.y += 24;
        p.text("抽取人签字：________________　　监督人签字：________________　　组长签字：________________");
        p.y += 18;
        p.text("日期：______年____月____日");
    }
    return out;
}

}  // namespace twindraw::draw
