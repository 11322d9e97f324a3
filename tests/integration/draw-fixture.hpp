// A small city for the draw tests: 渝中区 with a bureau and two sub-offices, inspectors
// (some in the leader library), a general and a key inspection item, and `subjects`
// market subjects spread over the 16 strata (risk 1..4 × credit A..D) by id.
#pragma once

#include "common-pg.hpp"

#include "workflows/account-password.hpp"

#include <string>

namespace twindraw::testing {

inline void load_draw_city(const std::string& url, long long subjects) {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO division(code, name, level, parent_code) VALUES"
        " ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000'), ('500104', '大渡口区', 3, '500000');"
        "INSERT INTO authority(id, name, kind, division_code, parent_id) VALUES"
        " (900, '重庆市渝中区市场监督管理局', 'market_bureau', '500103', NULL),"
        " (901, '渝中区解放碑市场监管所', 'sub_office', '500103', 900),"
        " (902, '渝中区朝天门市场监管所', 'sub_office', '500103', 900),"
        " (910, '重庆市大渡口区市场监督管理局', 'market_bureau', '500104', NULL);"
        "INSERT INTO inspection_item(id, domain, name, object_type, initiating_authority_id, importance, max_ratio) "
        "VALUES"
        " (1, '产品质量', '生产领域产品质量监督抽查', '产品生产企业', 900, 'general', 5),"
        " (2, '食品安全', '食品生产者生产活动的检查', '食品生产企业', 900, 'key', 10);");
    // 15 inspectors: 900 has 5 (2 leaders), 901 and 902 have 4 each (1 leader), 910 two.
    tx.exec(
        "INSERT INTO inspector(id, name, division_code, authority_id, category, qualifications, specialties, is_leader)"
        " SELECT 100 + g, '执法人员' || g, CASE WHEN g > 13 THEN '500104' ELSE '500103' END,"
        "  CASE WHEN g <= 5 THEN 900 WHEN g <= 9 THEN 901 WHEN g <= 13 THEN 902 ELSE 910 END,"
        "  'law_enforcement', ARRAY[CASE WHEN g % 3 = 0 THEN '特种设备' ELSE '食品安全' END], ARRAY['餐饮服务'],"
        "  g IN (1, 2, 6, 10, 14)"
        " FROM generate_series(1, 15) g");
    // Loaded without the audit trigger: it is the fixture, not a change under test.
    tx.exec("ALTER TABLE market_subject DISABLE TRIGGER audit_capture_insert");
    tx.exec_params(
        "INSERT INTO market_subject(id, uscc, name, division_code, industry_code, risk_level, credit_level, address)"
        " SELECT i, lpad(i::text, 18, '0'), '测试企业' || i, CASE WHEN i % 5 = 0 THEN '500104' ELSE '500103' END, NULL,"
        "  1 + (i % 4), substr('ABCD', (1 + (i / 4) % 4)::int, 1), '重庆市测试路' || i || '号'"
        " FROM generate_series(1, $1::bigint) i",
        subjects);
    tx.exec("ALTER TABLE market_subject ENABLE TRIGGER audit_capture_insert");
    tx.exec("SELECT setval('market_subject_id_seq', (SELECT max(id) FROM market_subject))");
    tx.exec_params(
        "INSERT INTO app_user(id, account, name, password_hash, must_change_password) VALUES"
        " (77, 'drawer', '抽取员张三', $1, false), (7801, 'witness', '监督员李四', $1, false),"
        " (7802, 'head', '负责人王五', $1, false)",
        accounts::hash_password("Login@2026pw"));
    // The drawer works at city scope ('all'): these tests are about the draw, over
    // populations and inspector pools that span districts (row-level data scope has its
    // own tests in test-data-scope.cpp).
    tx.exec(
        "INSERT INTO role(code, name, description, permissions, data_scope, builtin)"
        " SELECT 'city_assigner', '市级任务分配员', '测试用：全市范围抽取', permissions, 'all', false"
        " FROM role WHERE code = 'task_assigner'");
    tx.exec(
        "INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
        " SELECT 77, 900, id, true FROM role WHERE code = 'city_assigner'");
    tx.commit();
}

// The request body of a typical draw over 渝中区: every stratum at 5 % (4 groups of 2).
inline std::string draw_body(const std::string& title = "2026年渝中区产品质量抽查", const std::string& extra = "") {
    std::string strata;
    for (int r = 1; r <= 4; ++r)
        for (char c : std::string("ABCD"))
            strata += std::string(strata.empty() ? "" : ",") + "{\"risk\":" + std::to_string(r) + ",\"credit\":\"" + c +
                      "\",\"ratio\":5}";
    return "{\"title\":\"" + title + "\",\"object_kind\":\"market_subject\",\"item_id\":1," +
           "\"scope\":{\"division_codes\":[\"500103\"]},\"strata\":[" + strata + "],\"groups\":3,\"per_group\":2," +
           "\"inspectors\":{\"unit_ids\":[900],\"include_subunits\":true}" + extra + "}";
}

}  // namespace twindraw::testing
