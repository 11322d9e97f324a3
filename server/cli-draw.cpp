#include "server/cli-draw.hpp"

#include "geo/pg-context.hpp"
#include "geo/pg.hpp"
#include "workflows/draw-core.hpp"
#include "workflows/draw-log.hpp"
#include "workflows/draw-repo.hpp"

#include <fstream>
#include <iostream>

namespace twindraw::cli {

namespace {
CLI::App* draw_cmd = nullptr;
CLI::App* verify_cmd = nullptr;
CLI::App* run_cmd = nullptr;
CLI::App* export_cmd = nullptr;
CLI::App* witness_cmd = nullptr;
CLI::App* log_cmd = nullptr;
CLI::App* log_verify_cmd = nullptr;
std::string record_file;
std::string request_file;
std::string witness_value;
long long export_id = 0;
long long witness_id = 0;
long long as_user = 0;

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
    run_cmd->add_option("--user", as_user, "以该用户编号作为抽取人（记入记录与日志）");
    export_cmd = draw_cmd->add_subcommand("export", "输出一次抽取的公开记录（JSON）");
    export_cmd->add_option("id", export_id, "抽取编号")->required();
    witness_cmd = draw_cmd->add_subcommand(
        "witness", "以监督人员身份录入见证值并揭示结果（与 POST /api/draws/{id}/witness 相同；用于脚本与基准测试）");
    witness_cmd->add_option("id", witness_id, "抽取编号")->required();
    witness_cmd->add_option("value", witness_value, "见证值：16 至 64 位十六进制数字")->required();
    witness_cmd->add_option("--user", as_user, "监督人员的用户编号（不能是抽取人）")->required();
    log_cmd = draw_cmd->add_subcommand("log", "公开抽取日志");
    log_cmd->require_subcommand(1);
    log_verify_cmd =
        log_cmd->add_subcommand("verify", "重算公开抽取日志的哈希链：一致时退出码 0，发现改动或删除时退出码 1");
}

int run_draw_commands(const std::string& database) {
    if (!draw_cmd || !*draw_cmd) return -1;
    if (*log_verify_cmd) {
        pg::Pool pool(database, 1);
        const auto c = draw::drawlog::verify_chain(pool);
        if (c.ok) {
            std::cout << "公开抽取日志核验一致：共 " << c.rows << " 条，哈希链完整" << std::endl;
            return 0;
        }
        std::cout << "公开抽取日志核验不一致：" << std::endl;
        for (const auto& p : c.problems) std::cout << "  - " << p << std::endl;
        return 1;
    }
    if (*run_cmd || *export_cmd || *witness_cmd) {
        pg::Pool pool(database, 2);
        if (*export_cmd) {
            std::cout << draw::record(pool, export_id).dump() << std::endl;
            return 0;
        }
        pg::ActorScope scope(pg::Actor(as_user, 0, 0, "cli"));
        if (*witness_cmd) {
            auto d = draw::witness(pool, witness_id, witness_value);
            std::cout << "见证完成：编号 " << d["id"] << "，状态 " << d["status"].get<std::string>() << "，抽中 "
                      << d["drawn_total"] << " 个，随机种子 "
                      << (d["seed"].is_string() ? d["seed"].get<std::string>() : std::string("（待公开信标）"))
                      << std::endl;
            return 0;
        }
        auto req = draw::parse_request(nlohmann::json::parse(read_file(request_file)));
        auto d = draw::run(pool, req);
        std::cout << "承诺完成：编号 " << d["id"] << "，候选 " << d["population_total"] << " 个，应抽 "
                  << d["drawn_total"] << " 个，熵承诺 " << d["entropy_commitment"].get<std::string>()
                  << "，待监督人员见证" << std::endl;
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
        std::cout << "核验一致：按公布的候选名单、比例、熵"
                  << (record.value("format", "") == "twindraw-draw/2" ? "、熵承诺、见证值与公开信标" : "与种子")
                  << "重算，抽中对象、分组、组长与组员均与记录相同" << std::endl;
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
