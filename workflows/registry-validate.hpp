// Checks of a registry record that need no database: types, lengths, patterns,
// choices, the USCC check digit and coordinates inside China. Shared by the API and
// the batch import so a row and a form are judged alike.
#pragma once

#include "workflows/registry-schema.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace twindraw::registry {

struct FieldError {
    std::string field;
    std::string code;     // stable: required, too_long, bad_type, bad_format, bad_choice,
                          // uscc_length, uscc_character, uscc_check_digit, out_of_china
    std::string message;  // Chinese
};

/// Validates obj against e. With partial, absent fields are not required (updates).
/// Unknown keys and read-only fields are reported as errors ("unknown_field",
/// "readonly"). Returns every problem found, empty when obj is acceptable.
std::vector<FieldError> validate(const Entity& e, const nlohmann::json& obj, bool partial);

/// Whether (lon, lat) lies in China's bounding box (73.5–135.1 E, 3.8–53.6 N).
bool inside_china(double lon, double lat);

}  // namespace twindraw::registry
