// Seeds the code tables from the pinned reference datasets (BASE-4, GIS-1, PUB-2):
//   division          ← china-division 2.7.0 (GB/T 2260 codes to county, NBS town codes)
//   division.geom     ← echarts 4.9.0 map JSON for 重庆市's 38 counties (GCJ-02 → WGS84)
//   industry          ← data/industries-gbt4754-2017.csv (GB/T 4754-2017 门类 and 大类)
//   work_calendar(_year) ← chinese-days 1.5.7 (holidays and make-up workdays 2004–2026)
// See docs/data-sources.md for provenance and each transformation.
#pragma once

#include <pqxx/pqxx>

#include <string>

namespace twindraw::reference {

struct Summary {
    int divisions = 0;          // division rows in the source (all of China, to town level)
    int county_geometries = 0;  // 重庆市 counties that have a non-empty geometry afterwards
    int industries = 0;         // industry rows in the CSV (20 sections + 97 divisions)
    int calendar_days = 0;      // work_calendar rows in the source (holidays + workdays)
};

/// Loads everything in one transaction on conn, upserting: rows already equal are left
/// untouched (updated_at keeps its value), so a second run changes nothing and returns
/// the same Summary. Divisions and industries are never deleted (other rows refer to
/// them); calendar days of the years the source covers are replaced by the source.
///
/// refdata_dir: the npm node_modules directory (data/refdata/node_modules).
/// data_dir:    the repository's data/ directory (holds the industry CSV).
///
/// Throws twindraw::Error (NotFound, "refdata_missing") when a dataset file is absent
/// (install them with scripts/deps), Error (Invalid, "refdata_invalid") when a file does
/// not have the expected shape, and database errors as pg::exec maps them. Nothing is
/// written when it throws.
Summary load(pqxx::connection& conn, const std::string& refdata_dir, const std::string& data_dir);

}  // namespace twindraw::reference
