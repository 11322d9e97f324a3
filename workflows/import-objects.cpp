#include "workflows/import-objects.hpp"

#include "geo/coord-transform.hpp"
#include "geo/error.hpp"
#include "geo/ogr-reader.hpp"
#include "workflows/column-mapping.hpp"
#include "workflows/registry-schema.hpp"
#include "workflows/registry-validate.hpp"
#include "workflows/xlsx-writer.hpp"

#include <algorithm>
#include <charconv>

#include <pqxx/tablewriter>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

namespace twindraw::import {

namespace {

using registry::Entity;
using registry::Field;
using registry::FieldType;

// The natural key each importable entity is upserted by.
const std::map<std::string, std::string>& upsert_keys() {
    static const std::map<std::string, std::string> keys = {{"subjects", "uscc"}, {"products", "licence_no"}};
    return keys;
}

const Entity& importable_entity(const std::string& kind) {
    if (kind == "venues" || kind == "inspectors")
        throw Error(Error::Kind::Unsupported, "kind_not_supported",
                    "暂不支持批量导入该类数据（没有可用于去重的唯一编码）", "kind");
    const Entity* e = registry::find_entity(kind);
    if (!e || !upsert_keys().count(kind)) throw bad_request("bad_kind", "未知的导入类型：" + kind, "kind");
    return *e;
}

const Field* point_field(const Entity& e) {
    for (const auto& f : e.fields)
        if (f.type == FieldType::Point) return &f;
    return nullptr;
}

std::string shortest(double v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::optional<double> parse_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (*b == '+') ++b;
    auto r = std::from_chars(b, e, v);
    if (r.ec != std::errc() || r.ptr != e || !std::isfinite(v)) return std::nullopt;
    return v;
}

// COPY text format escaping.
void append_copy_value(std::string& line, const std::optional<std::string>& v) {
    if (!v) {
        line += "\\N";
        return;
    }
    for (char c : *v) {
        switch (c) {
        case '\\': line += "\\\\"; break;
        case '\t': line += "\\t"; break;
        case '\n': line += "\\n"; break;
        case '\r': line += "\\r"; break;
        default: line += c;
        }
    }
}

std::string array_literal(const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::vector<std::string> split_tags(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        size_t b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
        if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
        cur.clear();
    };
    for (size_t i = 0; i < s.size();) {
        bool sep = false;
        for (const char* d : {"，", "、", "；"})
            if (s.compare(i, 3, d) == 0) {
                sep = true;
                i += 3;
                break;
            }
        if (!sep && (s[i] == ',' || s[i] == ';')) {
            sep = true;
            ++i;
        }
        if (sep) {
            flush();
        } else {
            cur += s[i++];
        }
    }
    flush();
    return out;
}

ImportSummary summary_from(const pqxx::row& r) {
    ImportSummary s;
    s.id = r["id"].as<long long>();
    s.kind = r["kind"].c_str();
    s.filename = r["filename"].c_str();
    s.format = r["format"].c_str();
    s.crs = r["crs"].c_str();
    s.status = r["status"].c_str();
    s.total = r["total"].as<long long>();
    s.done = r["done"].as<long long>();
    s.inserted = r["inserted"].as<long long>();
    s.updated = r["updated"].as<long long>();
    s.unchanged = r["unchanged"].as<long long>();
    s.rejected = r["rejected"].as<long long>();
    s.message = r["message"].is_null() ? "" : r["message"].c_str();
    s.error_code = r["error_code"].is_null() ? "" : r["error_code"].c_str();
    s.created_at = r["created"].c_str();
    s.finished_at = r["finished"].is_null() ? "" : r["finished"].c_str();
    // ignored_columns arrives as a JSON array (see kJobColumns).
    for (const auto& v : nlohmann::json::parse(r["ignored"].c_str())) s.ignored_columns.push_back(v.get<std::string>());
    return s;
}

const char* kJobColumns =
    "id, kind, filename, format, crs, status, total, done, inserted, updated, unchanged, rejected, message, "
    "error_code, to_json(ignored_columns)::text AS ignored, "
    "to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"') AS created, "
    "to_char(finished_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"') AS finished";

// Codes of the tables a field refers to, loaded once per run.
struct Lookups {
    std::unordered_map<std::string, std::unordered_set<std::string>> keys_by_ref;  // ref entity → keys
    std::unordered_map<std::string, std::string> division_by_name;                 // name → code ("" = ambiguous)
};

Lookups load_lookups(pqxx::transaction_base& tx, const Entity& e, const ColumnMapping& m) {
    Lookups l;
    for (const auto& target : m.field_of_column) {
        if (!target) continue;
        const Field* f = e.field(*target);
        if (!f || f->ref.empty() || l.keys_by_ref.count(f->ref)) continue;
        const Entity* re = registry::find_entity(f->ref);
        if (!re) continue;
        auto& set = l.keys_by_ref[f->ref];
        for (const auto& row : pg::exec(tx, "SELECT " + pg::quote_ident(re->key) + "::text FROM " + pg::quote_ident(re->table)))
            set.insert(row[0].c_str());
        if (f->check == "division") {
            // County names: 县级 names first; a name used by two divisions is ambiguous.
            for (const auto& row : pg::exec(tx, "SELECT name, code FROM division WHERE level >= 3 ORDER BY code")) {
                auto [it, fresh] = l.division_by_name.emplace(row[0].c_str(), row[1].c_str());
                if (!fresh) it->second.clear();
            }
        }
    }
    return l;
}

// Everything decided about one run before the rows are read.
struct Plan {
    const Entity* entity = nullptr;
    std::string key;                   // upsert key column
    std::vector<const Field*> columns; // mapped, writable, non-point fields, in column order of the temp table
    std::vector<int> column_index;     // their header index
    const Field* point = nullptr;      // the Point field, written to geom
    int lon_col = -1, lat_col = -1;
    bool gcj02 = false;
};

class Progress {
public:
    Progress(pg::Pool& pool, long long job) : lease_(pool.acquire("import-progress")), job_(job) {}

    void set(const std::string& sql, const pg::Params& p) {
        pqxx::nontransaction tx(*lease_);
        pg::exec(tx, sql, p);
    }
    void total(long long total) {
        total_ = total;
        step_ = total > 0 ? std::max(1LL, total / 50) : 1000;
        set("UPDATE import_job SET total = $2 WHERE id = $1", pg::Params().add(job_).add(total));
    }
    void row(long long done) {
        if (done - last_ < step_) return;
        last_ = done;
        set("UPDATE import_job SET done = $2 WHERE id = $1", pg::Params().add(job_).add(std::min(done, total_ > 0 ? total_ : done)));
    }

private:
    pg::Lease lease_;
    long long job_;
    long long total_ = 0, step_ = 1000, last_ = 0;
};

struct Counts {
    long long good = 0, rejected = 0, inserted = 0, updated = 0, unchanged = 0, rows = 0;
};

class Run {
public:
    Run(pqxx::work& tx, long long job, const Plan& plan, const Lookups& lookups)
        : tx_(tx), job_(job), plan_(plan), lookups_(lookups) {}

    void create_temp_table() {
        std::string cols;
        for (const Field* f : plan_.columns) cols += ", " + pg::quote_ident(f->name);
        if (plan_.point) cols += ", geom";
        pg::exec(tx_, "CREATE TEMP TABLE import_rows ON COMMIT DROP AS SELECT NULL::integer AS row_no" + cols + " FROM " +
                          pg::quote_ident(plan_.entity->table) + " WITH NO DATA");
        copy_columns_.push_back("row_no");
        for (const Field* f : plan_.columns) copy_columns_.push_back(f->name);
        if (plan_.point) copy_columns_.push_back("geom");
    }

    void row(const ogr::Feature& feat, Counts& c) {
        ++c.rows;
        std::vector<RowError> errs;
        nlohmann::json obj = nlohmann::json::object();
        std::vector<std::optional<std::string>> values;
        values.reserve(plan_.columns.size() + 1);

        for (size_t i = 0; i < plan_.columns.size(); ++i) {
            const Field& f = *plan_.columns[i];
            std::string v = normalise_value(f, feat.values[static_cast<size_t>(plan_.column_index[i])]);
            if (v.empty()) {
                values.emplace_back();
                continue;
            }
            if (f.check == "division" && !lookups_.keys_by_ref.at(f.ref).count(v)) {
                auto it = lookups_.division_by_name.find(v);
                if (it != lookups_.division_by_name.end() && !it->second.empty()) {
                    v = it->second;
                } else if (it != lookups_.division_by_name.end()) {
                    errs.push_back({feat.row_no, f.name, "ambiguous_division",
                                    f.label + "“" + v + "”对应多个行政区划，请填写6位行政区划代码"});
                } else {
                    errs.push_back({feat.row_no, f.name, "unknown_division", f.label + "“" + v + "”不存在"});
                }
            } else if (!f.ref.empty() && lookups_.keys_by_ref.count(f.ref) && !lookups_.keys_by_ref.at(f.ref).count(v)) {
                errs.push_back({feat.row_no, f.name, "unknown_code", f.label + "“" + v + "”不存在"});
            }
            switch (f.type) {
            case FieldType::Int: {
                long long n = 0;
                auto r = std::from_chars(v.data(), v.data() + v.size(), n);
                if (r.ec == std::errc() && r.ptr == v.data() + v.size())
                    obj[f.name] = n;
                else
                    obj[f.name] = v;
                values.emplace_back(v);
                break;
            }
            case FieldType::Decimal: {
                auto d = parse_number(v);
                if (d)
                    obj[f.name] = *d;
                else
                    obj[f.name] = v;
                values.emplace_back(v);
                break;
            }
            case FieldType::Bool:
                if (v == "true" || v == "false")
                    obj[f.name] = v == "true";
                else
                    obj[f.name] = v;
                values.emplace_back(v);
                break;
            case FieldType::TextArray: {
                auto tags = split_tags(v);
                obj[f.name] = tags;
                values.emplace_back(array_literal(tags));
                break;
            }
            default:
                obj[f.name] = v;
                values.emplace_back(v);
            }
        }

        std::optional<std::string> geom;
        if (plan_.point) {
            std::optional<ogr::Point> p;
            std::string lon_s = plan_.lon_col >= 0 ? feat.values[static_cast<size_t>(plan_.lon_col)] : "";
            std::string lat_s = plan_.lat_col >= 0 ? feat.values[static_cast<size_t>(plan_.lat_col)] : "";
            if (!lon_s.empty() || !lat_s.empty()) {
                auto lon = parse_number(lon_s), lat = parse_number(lat_s);
                if (!lon) errs.push_back({feat.row_no, kLon, "bad_number", "经度应为数字：" + lon_s.substr(0, 40)});
                if (!lat) errs.push_back({feat.row_no, kLat, "bad_number", "纬度应为数字：" + lat_s.substr(0, 40)});
                if (lon && lat) p = ogr::Point{*lon, *lat};
            } else if (feat.point) {
                p = feat.point;
            } else {
                errs.push_back({feat.row_no, plan_.point->name, "required", "缺少经纬度"});
            }
            if (p) {
                coord::LonLat w{p->lon, p->lat};
                if (plan_.gcj02) w = coord::gcj02_to_wgs84(w);
                obj[plan_.point->name] = {{"lon", w.lon}, {"lat", w.lat}};
                geom = "SRID=4326;POINT(" + shortest(w.lon) + " " + shortest(w.lat) + ")";
            }
        }

        for (auto& fe : registry::validate(*plan_.entity, obj, false)) {
            bool dup = false;  // one message per field is enough
            for (const auto& have : errs) dup = dup || have.field == fe.field;
            if (!dup) errs.push_back({feat.row_no, fe.field, fe.code, fe.message});
        }

        if (!errs.empty()) {
            ++c.rejected;
            for (auto& e : errs) errors_.push_back(std::move(e));
        } else {
            ++c.good;
            std::string line = std::to_string(feat.row_no);
            for (const auto& v : values) {
                line += '\t';
                append_copy_value(line, v);
            }
            if (plan_.point) {
                line += '\t';
                append_copy_value(line, geom);
            }
            lines_.push_back(std::move(line));
        }
        if (lines_.size() >= 10000 || errors_.size() >= 10000) flush();
    }

    void flush() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        // libpqxx 6.4's stream_to only writes tuples of a fixed arity; tablewriter is
        // its raw-line COPY interface.
        if (!lines_.empty()) {
            pqxx::tablewriter w(tx_, "import_rows", copy_columns_.begin(), copy_columns_.end());
            for (const auto& l : lines_) w.write_raw_line(l);
            w.complete();
            lines_.clear();
        }
        if (!errors_.empty()) {
            // PostgreSQL refuses COPY into import_error, which has row-level security
            // (0042): the errors are copied into a temporary table and moved by INSERT,
            // which the policy checks (the job must be the importer's).
            if (!error_stage_) {
                pg::exec(tx_,
                         "CREATE TEMP TABLE import_error_rows ON COMMIT DROP AS"
                         " SELECT import_id, row_no, field, code, message FROM import_error WITH NO DATA");
                error_stage_ = true;
            }
            std::vector<std::string> cols = {"import_id", "row_no", "field", "code", "message"};
            pqxx::tablewriter w(tx_, "import_error_rows", cols.begin(), cols.end());
            for (const auto& e : errors_) {
                std::string line = std::to_string(job_) + "\t" + std::to_string(e.row_no) + "\t";
                append_copy_value(line, e.field);
                line += '\t';
                append_copy_value(line, e.code);
                line += '\t';
                append_copy_value(line, e.message);
                w.write_raw_line(line);
            }
            w.complete();
            pg::exec(tx_,
                     "WITH moved AS (DELETE FROM import_error_rows RETURNING *) INSERT INTO import_error(import_id,"
                     " row_no, field, code, message) SELECT import_id, row_no, field, code, message FROM moved");
            errors_.clear();
        }
#pragma GCC diagnostic pop
    }

    // Rejects rows repeating an earlier row's key; returns how many.
    long long reject_duplicates() {
        const Field* kf = plan_.entity->field(plan_.key);
        std::string k = pg::quote_ident(plan_.key);
        auto r = pg::exec(tx_,
                          "WITH ranked AS (SELECT row_no, min(row_no) OVER (PARTITION BY " + k +
                              ") AS first FROM import_rows), "
                              "gone AS (DELETE FROM import_rows t USING ranked r WHERE t.row_no = r.row_no AND "
                              "r.row_no > r.first RETURNING t.row_no, r.first) "
                              "INSERT INTO import_error(import_id, row_no, field, code, message) "
                              "SELECT $1, row_no, $2, 'duplicate_in_file', $3 || first || '行重复' FROM gone",
                          pg::Params().add(job_).add(plan_.key).add(kf->label + "在文件中与第"));
        return static_cast<long long>(r.affected_rows());
    }

    // Rows outside the importing user's data scope (0006_data_scope.sql) become row
    // errors instead of failing the whole import on the row-level security check.
    // Only for a restricted actor (an import queued by a request); the CLI imports as
    // the owner.
    long long reject_out_of_scope() {
        const pg::Actor* actor = pg::current_actor();
        if (!actor || !actor->restricted) return 0;
        const bool by_unit = plan_.entity->table == "inspector";
        const char* column = by_unit ? "authority_id" : "division_code";
        bool present = false;
        for (const Field* f : plan_.columns) present = present || f->name == column;
        if (!present) return 0;
        const std::string cond = by_unit ? "t.authority_id <> ALL (twindraw_scope_units())"
                                         : "NOT (twindraw_scope_all() OR t.division_code ^@ ANY (twindraw_scope_areas()))";
        auto r = pg::exec(tx_,
                          "WITH gone AS (DELETE FROM import_rows t WHERE " + cond +
                              " RETURNING t.row_no) "
                              "INSERT INTO import_error(import_id, row_no, field, code, message) "
                              "SELECT $1, row_no, $2, 'out_of_scope', $3 FROM gone",
                          pg::Params().add(job_).add(column).add(
                              by_unit ? "所属单位不在本人数据范围内" : "行政区划不在本人数据范围内"));
        return static_cast<long long>(r.affected_rows());
    }

    void upsert(Counts& c) {
        const std::string& table = plan_.entity->table;
        // NOT NULL columns with a default get it for an empty cell.
        std::unordered_map<std::string, std::string> defaults;
        for (const auto& row : pg::exec(tx_,
                                        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                                        "JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                                        "WHERE a.attrelid = $1::regclass AND a.attnotnull",
                                        pg::Params().add(pg::quote_ident(table))))
            defaults[row[0].c_str()] = row[1].c_str();

        std::vector<std::string> cols;
        for (const Field* f : plan_.columns) cols.push_back(f->name);
        if (plan_.point) cols.push_back("geom");
        std::string insert_cols, select_cols, set, target_tuple, excluded_tuple;
        for (size_t i = 0; i < cols.size(); ++i) {
            std::string q = pg::quote_ident(cols[i]);
            std::string sep = i ? ", " : "";
            insert_cols += sep + q;
            auto d = defaults.find(cols[i]);
            select_cols += sep + (d != defaults.end() ? "COALESCE(t." + q + ", " + d->second + ")" : "t." + q);
            if (cols[i] == plan_.key) continue;
            std::string s2 = set.empty() ? "" : ", ";
            set += s2 + q + " = EXCLUDED." + q;
            target_tuple += s2 + pg::quote_ident(table) + "." + q;
            excluded_tuple += s2 + "EXCLUDED." + q;
        }
        std::string sql = "WITH up AS (INSERT INTO " + pg::quote_ident(table) + " (" + insert_cols + ") SELECT " +
                          select_cols + " FROM import_rows t ORDER BY t.row_no ON CONFLICT (" +
                          pg::quote_ident(plan_.key) + ") ";
        if (set.empty()) {
            sql += "DO NOTHING";
        } else {
            sql += "DO UPDATE SET " + set + " WHERE ROW(" + target_tuple + ") IS DISTINCT FROM ROW(" + excluded_tuple + ")";
        }
        sql += " RETURNING (xmax = 0) AS fresh) "
               "SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM up";
        auto r = pg::exec(tx_, sql);
        c.inserted = r[0][0].as<long long>();
        c.updated = r[0][1].as<long long>();
        c.unchanged = c.good - c.inserted - c.updated;
    }

private:
    pqxx::work& tx_;
    long long job_;
    const Plan& plan_;
    const Lookups& lookups_;
    std::vector<std::string> copy_columns_;
    bool error_stage_ = false;  // the temporary table of row errors exists
    std::vector<std::string> lines_;
    std::vector<RowError> errors_;
};

void mark_failed(pg::Pool& pool, long long job, const std::string& code, const std::string& message) {
    try {
        auto lease = pool.acquire("import-progress");
        pqxx::nontransaction tx(*lease);
        pg::exec(tx,
                 "UPDATE import_job SET status = 'failed', error_code = $2, message = $3, finished_at = now(), "
                 "inserted = 0, updated = 0, unchanged = 0, rejected = 0 WHERE id = $1",
                 pg::Params().add(job).add(code).add(message));
    } catch (...) {
        // The original error is more useful to the caller than this one.
    }
}

std::string mb(std::uintmax_t bytes) {
    auto m = static_cast<double>(bytes) / (1024.0 * 1024.0);
    char buf[32];
    std::snprintf(buf, sizeof buf, m >= 10 || m == std::floor(m) ? "%.0f" : "%.1f", m);
    return buf;
}

// Runs the import; the caller reads the summary afterwards, once the connections of
// the run are back in the pool.
void run(pg::Pool& pool, long long job_id, const std::string& path, const ImportOptions& options,
         const ImportSummary& job) {
    const Entity& entity = importable_entity(job.kind);

    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec) throw Error(Error::Kind::Unsupported, "not_a_table", "文件无法读取");
    if (size > options.max_bytes)
        throw Error(Error::Kind::TooLarge, "file_too_large",
                    "文件大小 " + mb(size) + " MB，超过上限 " + mb(options.max_bytes) + " MB");
    if (size == 0) throw invalid("empty_file", "文件中没有数据行");

    std::string format = job.format == "auto" ? std::string() : job.format;
    if (format.empty()) format = ogr::format_from_extension(job.filename);
    ogr::Reader reader(path, format);

    Progress progress(pool, job_id);
    progress.set("UPDATE import_job SET format = $2 WHERE id = $1", pg::Params().add(job_id).add(reader.format()));
    progress.total(reader.feature_count());

    ColumnMapping mapping = map_columns(entity, reader.headers(), options.mapping, reader.has_geometry());

    Plan plan;
    plan.entity = &entity;
    plan.key = upsert_keys().at(job.kind);
    plan.point = point_field(entity);
    plan.gcj02 = job.crs == "gcj02";
    plan.lon_col = mapping.column_of(kLon);
    plan.lat_col = mapping.column_of(kLat);
    for (size_t i = 0; i < mapping.field_of_column.size(); ++i) {
        const auto& target = mapping.field_of_column[i];
        if (!target || *target == kLon || *target == kLat) continue;
        plan.columns.push_back(entity.field(*target));
        plan.column_index.push_back(static_cast<int>(i));
    }

    auto lease = pool.acquire("import");
    pqxx::work tx(*lease);
    pg::apply_actor(tx);  // as the importing user: its data scope applies (0006)
    Lookups lookups = load_lookups(tx, entity, mapping);
    Run run(tx, job_id, plan, lookups);
    run.create_temp_table();

    Counts c;
    ogr::Feature feat;
    while (reader.next(feat)) {
        run.row(feat, c);
        progress.row(feat.row_no - 1);
    }
    run.flush();
    if (c.rows == 0) throw invalid("empty_file", "文件中没有数据行");
    long long dups = run.reject_duplicates() + run.reject_out_of_scope();
    c.good -= dups;
    c.rejected += dups;
    run.upsert(c);

    std::string message = "导入完成：共 " + std::to_string(c.rows) + " 行，新增 " + std::to_string(c.inserted) + "，更新 " +
                          std::to_string(c.updated) + "，未变 " + std::to_string(c.unchanged) + "，拒绝 " +
                          std::to_string(c.rejected);
    if (!mapping.unknown_headers.empty()) {
        message += "；忽略的列：";
        for (size_t i = 0; i < mapping.unknown_headers.size(); ++i)
            message += (i ? "、" : "") + mapping.unknown_headers[i];
    }
    pg::exec(tx,
             "UPDATE import_job SET status = 'done', total = $2, done = $2, inserted = $3, updated = $4, "
             "unchanged = $5, rejected = $6, message = $7, ignored_columns = $8::text[], finished_at = now() "
             "WHERE id = $1",
             pg::Params()
                 .add(job_id)
                 .add(c.rows)
                 .add(c.inserted)
                 .add(c.updated)
                 .add(c.unchanged)
                 .add(c.rejected)
                 .add(message)
                 .add(array_literal(mapping.unknown_headers)));
    tx.commit();
}

}  // namespace

nlohmann::json ImportSummary::to_json() const {
    return {{"id", id},
            {"kind", kind},
            {"filename", filename},
            {"format", format},
            {"crs", crs},
            {"status", status},
            {"total", total},
            {"done", done},
            {"inserted", inserted},
            {"updated", updated},
            {"unchanged", unchanged},
            {"rejected", rejected},
            {"message", message},
            {"error_code", error_code.empty() ? nlohmann::json() : nlohmann::json(error_code)},
            {"ignored_columns", ignored_columns},
            {"created_at", created_at},
            {"finished_at", finished_at.empty() ? nlohmann::json() : nlohmann::json(finished_at)}};
}

long long create_job(pg::Pool& pool, const ImportOptions& options) {
    importable_entity(options.kind);
    static const std::vector<std::string> formats = {"", "csv", "xlsx", "geojson", "shpzip", "gpkg"};
    if (std::find(formats.begin(), formats.end(), options.format) == formats.end())
        throw bad_request("bad_format", "不支持的文件格式：" + options.format.substr(0, 20), "format");
    if (options.crs != "wgs84" && options.crs != "gcj02")
        throw bad_request("bad_crs", "坐标系应为 wgs84 或 gcj02", "crs");
    std::string format = options.format;
    if (format.empty()) format = ogr::format_from_extension(options.filename);
    if (format.empty()) format = "auto";
    return pg::with_transaction(pool, "import", [&](pqxx::work& tx) {
        return pg::exec(tx,
                        "INSERT INTO import_job(kind, filename, format, crs) VALUES ($1, $2, $3, $4) RETURNING id",
                        pg::Params()
                            .add(options.kind)
                            .add(options.filename.empty() ? std::string("(未命名)") : options.filename.substr(0, 255))
                            .add(format)
                            .add(options.crs))[0][0]
            .as<long long>();
    });
}

ImportSummary run_job(pg::Pool& pool, long long job_id, const std::string& path, const ImportOptions& options) {
    ImportSummary job = pg::with_transaction(pool, "import", [&](pqxx::work& tx) {
        auto r = pg::exec(tx, std::string("SELECT ") + kJobColumns + " FROM import_job WHERE id = $1 FOR UPDATE",
                          pg::Params().add(job_id));
        if (r.empty()) throw not_found("导入任务不存在");
        ImportSummary s = summary_from(r[0]);
        if (s.status != "queued") throw conflict("job_not_queued", "该导入任务已经执行过");
        pg::exec(tx, "UPDATE import_job SET status = 'running' WHERE id = $1", pg::Params().add(job_id));
        return s;
    });
    try {
        run(pool, job_id, path, options, job);
    } catch (const Error& e) {
        mark_failed(pool, job_id, e.code(),
                    e.kind() == Error::Kind::Internal ? "导入失败，文件中的数据均未写入" : e.message());
        throw;
    } catch (const std::exception& e) {
        mark_failed(pool, job_id, "import_failed", "导入失败，文件中的数据均未写入，请检查文件后重试");
        throw Error(Error::Kind::Internal, "import_failed", std::string("导入失败：") + e.what());
    }
    return get_job(pool, job_id);
}

ImportSummary import_file(pg::Pool& pool, const std::string& path, ImportOptions options) {
    if (options.filename.empty()) options.filename = std::filesystem::path(path).filename().string();
    long long id = create_job(pool, options);
    return run_job(pool, id, path, options);
}

// Jobs are read as the actor: import_job's row-level security (0034) shows a job to its
// uploader and the scope of its unit only (issue 12). The row errors and the report are
// read after get_job admitted the job.
ImportSummary get_job(pg::Pool& pool, long long job_id) {
    return pg::with_read(pool, "import", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, std::string("SELECT ") + kJobColumns + " FROM import_job WHERE id = $1",
                          pg::Params().add(job_id));
        if (r.empty()) throw not_found("导入任务不存在");
        return summary_from(r[0]);
    });
}

std::vector<ImportSummary> list_jobs(pg::Pool& pool, int limit, int offset) {
    return pg::with_read(pool, "import", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx, std::string("SELECT ") + kJobColumns + " FROM import_job ORDER BY id DESC LIMIT $1 OFFSET $2",
                          pg::Params().add(std::clamp(limit, 1, 500)).add(std::max(offset, 0)));
        std::vector<ImportSummary> out;
        for (const auto& row : r) out.push_back(summary_from(row));
        return out;
    });
}

std::vector<RowError> list_errors(pg::Pool& pool, long long job_id, int limit, int offset) {
    // import_error follows its job's policy (0042); the job is named here as well.
    return pg::with_read(pool, "import", [&](pqxx::read_transaction& tx) {
        auto r = pg::exec(tx,
                          "SELECT row_no, field, code, message FROM import_error WHERE import_id = $1"
                          " AND EXISTS (SELECT 1 FROM import_job j WHERE j.id = $1)"
                          " ORDER BY row_no, field LIMIT $2 OFFSET $3",
                          pg::Params().add(job_id).add(std::clamp(limit, 1, 100000)).add(std::max(offset, 0)));
        std::vector<RowError> out;
        for (const auto& row : r)
            out.push_back({row[0].as<long long>(), row[1].c_str(), row[2].c_str(), row[3].c_str()});
        return out;
    });
}

std::string report_xlsx(pg::Pool& pool, long long job_id) {
    ImportSummary job = get_job(pool, job_id);
    const Entity* e = registry::find_entity(job.kind);
    xlsx::Workbook wb;
    auto& sheet = wb.add_sheet("错误报告", {"行号", "字段", "错误代码", "错误说明"}, {8, 24, 20, 60});
    auto r = pg::with_read(pool, "import-report", [&](pqxx::read_transaction& tx) {
        return pg::exec(tx,
                        "SELECT row_no, field, code, message FROM import_error WHERE import_id = $1"
                        " AND EXISTS (SELECT 1 FROM import_job j WHERE j.id = $1) ORDER BY row_no, field",
                        pg::Params().add(job_id));
    });
    for (const auto& row : r) {
        std::string field = row[1].c_str();
        std::string label = field;
        if (field == kLon) {
            label = "经度";
        } else if (field == kLat) {
            label = "纬度";
        } else if (const Field* f = e ? e->field(field) : nullptr) {
            label = f->label;
        }
        sheet.add_row({xlsx::Cell(row[0].as<long long>()), xlsx::Cell(label), xlsx::Cell(std::string(row[2].c_str())),
                       xlsx::Cell(std::string(row[3].c_str()))});
    }
    return wb.bytes();
}

}  // namespace twindraw::import
