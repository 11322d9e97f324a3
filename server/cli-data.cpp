#include "server/cli.hpp"

#include "geo/error.hpp"
#include "geo/pg.hpp"
#include "workflows/demo-city.hpp"
#include "workflows/export-objects.hpp"
#include "workflows/import-objects.hpp"
#include "workflows/reference-data.hpp"
#include "workflows/registry-export.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace twindraw::cli {

namespace fs = std::filesystem;

namespace {

struct Options {
    CLI::App* import_cmd = nullptr;
    CLI::App* import_objects = nullptr;
    CLI::App* import_reference = nullptr;
    CLI::App* export_cmd = nullptr;
    CLI::App* export_objects = nullptr;
    CLI::App* export_list = nullptr;
    CLI::App* demo = nullptr;

    std::string file;
    import::ImportOptions import_options;
    std::string reference_dir;
    std::string refdata_dir;
    std::string export_kind = "subjects";
    std::string export_format = "geojson";
    std::string export_division;
    std::string export_entity;
    std::string out;
    demo::Options demo_options;
};

Options& opts() {
    static Options o;
    return o;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

fs::path repo_root() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path().parent_path();
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw Error(Error::Kind::Invalid, "cannot_write", "无法写入文件：" + path);
}

// Loads divisions, boundaries, industries and holidays when Chongqing's counties have
// no boundary yet (a fresh database), so that `demo` works on its own.
void ensure_reference(pg::Pool& pool, bool force) {
    auto lease = pool.acquire("reference");
    if (!force) {
        pqxx::read_transaction tx(*lease);
        if (tx.exec1("SELECT count(*) FROM division WHERE parent_code = '500000' AND geom IS NOT NULL")[0].as<int>() > 0)
            return;
    }
    auto s = reference::load(*lease, opts().refdata_dir, opts().reference_dir);
    std::cout << "已载入参考数据：行政区划 " << s.divisions << " 条，区县边界 " << s.county_geometries
              << " 个，行业分类 " << s.industries << " 条，工作日历 " << s.calendar_days << " 天" << std::endl;
}

}  // namespace

std::string default_reference_dir() { return env_or("TWINDRAW_REFERENCE_DIR", (repo_root() / "data").string()); }

std::string default_refdata_dir() {
    return env_or("TWINDRAW_REFDATA_DIR", (repo_root() / "data" / "refdata" / "node_modules").string());
}

void register_data_commands(CLI::App& app) {
    auto& o = opts();
    o.reference_dir = default_reference_dir();
    o.refdata_dir = default_refdata_dir();

    o.import_cmd = app.add_subcommand("import", "导入数据");
    o.import_cmd->require_subcommand(1);
    o.import_objects = o.import_cmd->add_subcommand("objects", "批量导入检查对象（CSV、XLSX、GeoJSON、zip 格式 Shapefile、GPKG）");
    o.import_objects->add_option("FILE", o.file, "文件路径")->required()->check(CLI::ExistingFile);
    o.import_objects->add_option("--kind", o.import_options.kind, "对象类别：subjects（市场主体）或 products（产品）")
        ->capture_default_str();
    o.import_objects->add_option("--crs", o.import_options.crs, "坐标系：wgs84 或 gcj02")->capture_default_str();
    o.import_objects->add_option("--format", o.import_options.format, "文件格式（默认按扩展名判断）");
    o.import_reference = o.import_cmd->add_subcommand("reference", "载入参考数据：行政区划、区县边界、行业分类、节假日");
    for (auto* cmd : {o.import_reference}) {
        cmd->add_option("--reference-dir", o.reference_dir, "仓库 data/ 目录")->capture_default_str();
        cmd->add_option("--refdata-dir", o.refdata_dir, "npm 参考数据包目录")->capture_default_str();
    }

    o.export_cmd = app.add_subcommand("export", "导出数据");
    o.export_cmd->require_subcommand(1);
    o.export_objects = o.export_cmd->add_subcommand("objects", "导出检查对象为 GeoJSON、GPKG 或 KML");
    o.export_objects->add_option("--kind", o.export_kind, "subjects、venues 或 products")->capture_default_str();
    o.export_objects->add_option("--format", o.export_format, "geojson、gpkg 或 kml")->capture_default_str();
    o.export_objects->add_option("--division", o.export_division, "只导出该行政区划（含下级）");
    o.export_objects->add_option("--out", o.out, "输出文件")->required();
    o.export_list = o.export_cmd->add_subcommand("list", "把一类基础信息导出为 Excel");
    o.export_list->add_option("ENTITY", o.export_entity, "subjects、inspectors、items、divisions …")->required();
    o.export_list->add_option("--out", o.out, "输出文件（.xlsx）")->required();

    o.demo = app.add_subcommand("demo", "生成演示城市（重庆市）：机关、人员、事项清单和市场主体");
    o.demo->add_option("--enterprises", o.demo_options.enterprises, "市场主体数量")->capture_default_str();
    o.demo->add_option("--seed", o.demo_options.seed, "随机种子：相同种子生成相同城市")->capture_default_str();
    o.demo->add_flag("--replace", o.demo_options.replace, "先清空已有的演示数据");
    o.demo->add_option("--reference-dir", o.reference_dir, "仓库 data/ 目录")->capture_default_str();
    o.demo->add_option("--refdata-dir", o.refdata_dir, "npm 参考数据包目录")->capture_default_str();
}

int run_data_commands(const std::string& database) {
    auto& o = opts();
    pg::Pool pool(database, 2);
    if (*o.import_objects) {
        o.import_options.filename = fs::path(o.file).filename().string();
        auto s = import::import_file(pool, o.file, o.import_options);
        std::cout << s.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
        for (const auto& e : import::list_errors(pool, s.id, 20))
            std::cout << "第 " << e.row_no << " 行 " << e.field << "：" << e.message << "（" << e.code << "）" << std::endl;
        return 0;
    }
    if (*o.import_reference) {
        ensure_reference(pool, true);
        return 0;
    }
    if (*o.export_objects) {
        std::optional<std::string> division;
        if (!o.export_division.empty()) division = o.export_division;
        write_file(o.out, exporting::export_objects(pool, o.export_kind, o.export_format, division));
        std::cout << "已导出到 " << o.out << std::endl;
        return 0;
    }
    if (*o.export_list) {
        const auto* e = registry::find_entity(o.export_entity);
        if (!e) throw not_found("没有这类数据：" + o.export_entity);
        write_file(o.out, registry::export_xlsx(pool, *e, {}, 1048575));
        std::cout << "已导出到 " << o.out << std::endl;
        return 0;
    }
    if (*o.demo) {
        ensure_reference(pool, false);
        long long last_pct = -1;
        auto s = demo::generate(pool, o.demo_options, [&](long long done, long long total) {
            long long pct = total ? done * 100 / total : 100;
            if (pct / 10 != last_pct / 10) std::cout << "生成市场主体 " << done << "/" << total << std::endl;
            last_pct = pct;
        });
        std::cout << "演示城市已生成：机关部门 " << s.authorities << "，科室 " << s.sections << "，执法人员 " << s.inspectors
                  << "，抽查事项 " << s.items << "，市场主体 " << s.enterprises << std::endl;
        return 0;
    }
    return -1;
}

}  // namespace twindraw::cli
