// The printable record form F.1 of seed 002 (JOB-6): 部门联合“双随机、一公开”抽查情况记录表
// of one job — the
// inspected party (name, USCC, district, licence number, legal representative,
// address, phone), the task, inspectors, date and place, advance notice, the record per
// inspection item, the result category and findings, the party's signature (the PNG
// drawn in) or the recorded refusal, and lines for the inspectors' signatures.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::jobs {

/// job: what jobs::get() returns; signature_png: the signature image when it is a PNG
/// (empty otherwise). Returns the PDF bytes.
std::string form_pdf(const nlohmann::json& job, const std::string& signature_png);

}  // namespace twindraw::jobs
