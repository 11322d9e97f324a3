#include "workflows/draw-pdf.hpp"

#include "geo/error.hpp"
#include "workflows/pdf-page.hpp"

namespace twindraw::draw {

namespace {

using pdf::kMargin;
using pdf::kWidth;
using pdf::Page;
using pdf::qr;

std::string str(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return "";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// A person of the draw: {id, name} under `key` (record format 2), else the flat
// `<key>_name` of the draw page; "" when neither is there.
std::string person_name(const nlohmann::json& d, const std::string& key) {
    if (d.contains(key) && d[key].is_object()) return str(d[key], "name");
    return str(d, (key + "_name").c_str());
}

std::string or_dash(const std::string& s) {
    return s.empty() ? "—" : s;
}

std::string status_name(const std::string& s) {
    return s == "confirmed" ? "已确认" : s == "discarded" ? "已作废" : "待确认";
}

}  // namespace

std::string record_pdf(const nlohmann::json& d, const std::string& url) {
    std::string out;
    {
        Page p(&out, "抽取记录");
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
        // Times are Beijing time (display_time() in the draw queries): the signed record
        // carries the local date.
        p.text("抽取时间：" + str(d, "drawn_at") + "（北京时间）", kMargin, kWidth - kMargin - 110);
        p.text("抽取人：" + or_dash(person_name(d, "drawn_by")) + "　监督人：" + or_dash(person_name(d, "witnessed_by")) +
                   "　确认人：" + or_dash(person_name(d, "confirmed_by")),
               kMargin, kWidth - kMargin - 110);
        if (!str(d, "confirmed_at").empty())
            p.text("确认时间：" + str(d, "confirmed_at") + "（北京时间）", kMargin, kWidth - kMargin - 110);
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
        // The public draw log's head when the record was printed (issue 12 §3): whoever
        // holds the paper can check that the log shown on the portal extends it.
        if (d.contains("log_head") && d["log_head"].is_object())
            p.text("公开抽取日志链头：第 " + str(d["log_head"], "seq") + " 条　" + str(d["log_head"], "hash"));
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
        // Two per line: three did not fit the page width and wrapped mid-blank.
        p.text("抽取人签字：____________________　　监督人签字：____________________");
        p.y += 18;
        p.text("确认人签字：____________________　　组长签字：______________________");
        p.y += 18;
        p.text("日期：______年____月____日");
    }
    return out;
}

}  // namespace twindraw::draw
