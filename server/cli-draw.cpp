#include "server/cli-draw.hpp"

#include "geo/pg.hpp"
#include "workflows/draw-core.hpp"
#include "workflows/draw-repo.hpp"

#include <fstream>
#include <iostream>

namespace twindraw::cli {

namespace {
CLI::App* draw_cmd = nullptr;
CLI::App* verify_cmd = nullptr;
CLI::App* run_cmd = nullptr;
CLI::App* export_cmd = nullptr;
std::string record_file;
std::string request_file;
long long export_id = 0;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("无法读取文件 " + path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

void register_draw_commands(CLI::App& app) {
    draw_cmd = app.add_subcommand("draw", "随机抽取");
    draw_cmd->require_subcommand(1);
    verify_cmd = draw_cmd->add_subcommand(
        "verify", "按 docs/draw-algorithm.md 离线重算抽取记录：一致时退出码 0，不一致时退出码 1 并指出哪里不同");
    verify_cmd->add_option("record", record_file, "抽取记录 JSON 文件（/api/draws/{id}/record.json 或公开复核页下载）")
        ->required();
    run_cmd =
        draw_cmd->add_subcommand("run", "按请求文件（与 POST /api/draws 的请求体相同）执行一次抽取，输出抽取编号");
    run_cmd->add_option("request", request_file, "抽取请求 JSON 文件")->required();
    export_cmd = draw_cmd->add_subcommand("export", "输出一次抽取的公开记录（JSON）");
    export_cmd->add_option("id", export_id, "抽取编号")->required();
}

int run_draw_commands(const std::string& database) {
    if (!draw_cmd || !*draw_cmd) return -1;
    if (*run_cmd || *export_cmd) {
        pg::Pool pool(database, 2);
        if (*export_cmd) {
            std::cout << draw::record(pool, export_id).dump() << std::endl;
            return 0;
        }
        auto req = draw::parse_request(nlohmann::json::parse(read_file(request_file)));
        auto d = draw::run(pool, req);
        std::cout << "抽取完成：编号 " << d["id"] << "，候选 " << d["population_total"] << " 个，抽中 "
                  << d["drawn_total"] << " 个，随机种子 " << d["seed"].get<std::string>() << std::endl;
        return 0;
    }
    std::ifstream in(record_file, std::ios::binary);
    if (!in) {
        std::cerr << "错误：无法读取文件 " << record_file << std::endl;
        return 2;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nlohmann::json record;
    try {
        record = nlohmann::json::parse(text);
    } catch (const std::exception&) {
        std::cout << "核验失败：文件不是有效的 JSON" << std::endl;
        return 1;
    }
    // A record exported with its "meta" block or the public page's answer (under "record").
    if (record.is_object() && record.contains("record") && record["record"].is_object()) record = record["record"];
    auto v = draw::verify(record);
    if (v.ok) {
        std::cout << "核验一致：按公布的候选名单、比例、熵与种子重算，抽中对象、分组、组长与组员均与记录相同"
                  << std::endl;
        std::cout << "候选名单摘要 " << record.value("object_digest", "") << "，随机种子 " << record.value("seed", "")
                  << std::endl;
        return 0;
    }
    std::cout << "核验不一致：发现 " << v.differences.size() << " 处不同" << std::endl;
    for (const auto& d : v.differences)
        std::cout << "  - " << (d.field.empty() ? "" : "[" + d.field + "] ") << d.message << std::endl;
    return 1;
}

}  // namespace twindraw::cli
