// The printable draw record (DRAW-8): a PDF drawn with cairo in Noto Sans CJK — groups,
// leaders, members, objects, the candidate digest and seed, a QR code (libqrencode) to
// the public verification page, and lines for the signatures of the drawer, the
// supervisor and the leader.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace twindraw::draw {

/// draw: what draw::get() returns; url: the public verification page for the QR code.
/// Returns the PDF bytes.
std::string record_pdf(const nlohmann::json& draw, const std::string& url);

}  // namespace twindraw::draw
