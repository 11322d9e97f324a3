#include "workflows/job-pdf.hpp"

#include "workflows/pdf-page.hpp"

namespace twindraw::jobs {

namespace {

std::string str(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return "";
    return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string or_dash(const std::string& s) {
    return s.empty() ? "—" : s;
}

std::string verdict(const nlohmann::json& v) {
    return v.is_boolean() ? (v.get<bool>() ? "合格" : "不合格") : "—";
}

}  // namespace

std::string form_pdf(const nlohmann::json& job, const std::string& signature_png) {
    using pdf::kMargin;
    using pdf::kWidth;
    std::string out;
    {
        pdf::Page p(&out, "抽查情况记录表");
        cairo_set_source_rgb(p.cr(), 0, 0, 0);
        p.font(17, true);
        const std::string title = "部门联合“双随机、一公开”抽查情况记录表";
        p.y += 4;
        p.put(title, (kWidth - p.width(title)) / 2);
        p.font(10.5);
        p.y += 6;
        p.text("作业编号：" + str(job, "job_no") + "　　抽查任务：" + or_dash(str(job, "task_name")));
        p.rule();
        p.font(12, true);
        p.text("一、被检查对象");
        p.font(10.5);
        p.text("名称：" + or_dash(str(job, "object_name")));
        p.text("统一社会信用代码：" + or_dash(str(job, "uscc")) + "　　所在区县：" + or_dash(str(job, "district")));
        p.text("许可证编号：" + or_dash(str(job, "licence_no")) + "　　法定代表人（负责人）：" +
               or_dash(str(job, "legal_representative")));
        p.text("地址：" + or_dash(str(job, "address")));
        p.text("联系电话：" + or_dash(str(job, "phone")));
        p.rule();
        p.font(12, true);
        p.text("二、检查情况");
        p.font(10.5);
        p.text("执法检查人员：" + or_dash(str(job, "inspector_names")) + "（第 " + str(job, "group_no") + " 组）");
        p.text("检查日期：" + or_dash(str(job, "inspected_on")) + "　　检查地点：" + or_dash(str(job, "place")));
        p.text("提前告知：" + str(job, "advance_notice_label") + "（" + str(job, "notice_reason") + "）" +
               (str(job, "notice_given").empty() ? "" : "；告知情况：" + str(job, "notice_given")));
        int n = 0;
        for (const auto& item : job.value("items", nlohmann::json::array())) {
            p.need(50);
            p.font(10.5, true);
            p.text(std::to_string(++n) + ". " + str(item, "domain") + " · " + str(item, "name"));
            p.font(10.5);
            p.text("检查内容：" + or_dash(str(item, "content")), kMargin + 14);
            p.text("检查情况：" + or_dash(str(item, "finding")) + "　　结论：" + verdict(item.value("qualified", nlohmann::json())),
                   kMargin + 14);
        }
        if (n == 0) p.text("（本作业未列检查事项）");
        p.rule();
        p.font(12, true);
        p.text("三、检查结果");
        p.font(10.5);
        p.text("结果类别：" + or_dash(str(job, "result_category_label")) + "　　是否合格：" +
               verdict(job.value("qualified", nlohmann::json())));
        p.text("主要问题：" + or_dash(str(job, "findings")));
        if (!str(job, "remarks").empty()) p.text("备注：" + str(job, "remarks"));
        p.text("状态：" + str(job, "state_label") +
               (str(job, "submitted_at").empty() ? "" : "　　提交时间：" + str(job, "submitted_at")));
        p.rule();
        p.need(140);
        p.font(10.5);
        p.y += 8;
        if (job.value("signature_refused", false)) {
            p.text("被检查对象签字：拒绝签字。执法人员记录：" + or_dash(str(job, "refusal_note")));
        } else {
            p.text("被检查对象签字：");
            if (signature_png.empty() || !p.png(signature_png, kMargin + 100, 180, 70))
                p.text("________________", kMargin + 100);
        }
        p.y += 18;
        p.text("执法检查人员签字：________________　________________　　日期：______年____月____日");
    }
    return out;
}

}  // namespace twindraw::jobs
