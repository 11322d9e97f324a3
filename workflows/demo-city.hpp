// The demo city (issue "Foundation", BASE-1..4, GIS-1): a realistic 重庆市 built on the
// loaded reference data — the municipal bureau, one bureau per county, 2–4 market
// supervision offices per county named after its real towns, cooperating departments,
// sections, a few hundred inspectors, the inspection item list and N market subjects
// placed inside their county's polygon. Deterministic: the same seed gives the same
// city (own PRNG, no std:: distributions). Streams the subjects through COPY in chunks,
// all in one transaction, so 10,000,000 subjects need no more memory than 20,000 and a
// failure leaves nothing behind.
#pragma once

#include "geo/pg.hpp"

#include <functional>

namespace twindraw::demo {

struct Options {
    long long enterprises = 20000;  // market subjects to generate (0 … 99,999,999)
    unsigned long long seed = 1;
    bool replace = false;  // empty the demo tables first instead of refusing
};

struct Summary {
    long long authorities = 0;
    long long sections = 0;
    long long inspectors = 0;
    long long items = 0;
    long long enterprises = 0;
};

/// Builds the demo city in one transaction and reports progress(done, total) after
/// each chunk of market subjects (and once with done = 0 before the first).
///
/// Requires the reference data (reference::load): throws twindraw::Error (Conflict,
/// "reference_missing") when 重庆市's county geometries or the industry table are
/// absent. Throws Error (Conflict, "demo_exists") when authorities already exist and
/// opt.replace is false; with replace the tables authority, section, inspector,
/// inspection_item and market_subject are emptied first, which fails with Error
/// (Conflict, "demo_in_use") when other tables still refer to them. Throws Error
/// (Invalid, "enterprises_out_of_range") for a count outside 0 … 99,999,999.
Summary generate(pg::Pool& pool, const Options& opt,
                 const std::function<void(long long done, long long total)>& progress = {});

}  // namespace twindraw::demo
