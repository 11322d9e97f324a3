#include "workflows/registry-schema.hpp"

namespace twindraw::registry {

namespace {

using FT = FieldType;

Field text(std::string name, std::string label, size_t max_len, bool required = false) {
    Field f;
    f.name = std::move(name);
    f.label = std::move(label);
    f.max_len = max_len;
    f.required = required;
    return f;
}

Field with(Field f, FT type) {
    f.type = type;
    return f;
}

Field id_field() {
    Field f = with(text("id", "编号", 0), FT::Int);
    f.readonly = true;
    f.sortable = true;
    return f;
}

Field updated_at() {
    Field f = text("updated_at", "更新时间", 0);
    f.readonly = true;
    f.sortable = true;
    f.in_list = false;
    return f;
}

Field searchable(Field f) {
    f.searchable = true;
    f.sortable = true;
    return f;
}

Field filterable(Field f) {
    f.filterable = true;
    return f;
}

Field ref(Field f, std::string entity) {
    f.ref = std::move(entity);
    f.filterable = true;
    return f;
}

Field division_ref(bool required = true) {
    Field f = ref(text("division_code", "所属区县（行政区划代码）", 9, required), "divisions");
    f.type = FT::Code;
    f.pattern = "^[0-9]{6}([0-9]{3})?$";
    f.check = "division";
    f.sortable = true;
    return f;
}

Field industry_ref() {
    Field f = ref(text("industry_code", "行业", 2), "industries");
    f.type = FT::Code;
    f.pattern = "^([A-T]|[0-9]{2})$";
    return f;
}

Field uscc_field(std::string name, std::string label, bool required) {
    Field f = text(std::move(name), std::move(label), 18, required);
    f.type = FT::Code;
    f.pattern = "^[0-9A-Z]{18}$";
    f.check = "uscc";
    f.searchable = true;
    return f;
}

Field nature(std::string def_first) {
    Field f = filterable(text("nature", "行政相对人性质", 20));
    f.choices = {{"企业", "企业"}, {"个体工商户", "个体工商户"}, {"农民专业合作社", "农民专业合作社"},
                 {"其他组织", "其他组织"}};
    (void)def_first;
    return f;
}

Field risk() {
    Field f = filterable(with(text("risk_level", "风险等级", 0), FT::Int));
    f.sortable = true;
    f.choices = {{"1", "低风险"}, {"2", "一般风险"}, {"3", "较高风险"}, {"4", "高风险"}};
    return f;
}

Field credit() {
    Field f = filterable(text("credit_level", "信用等级", 1));
    f.sortable = true;
    f.choices = {{"A", "A类（信用风险低）"}, {"B", "B类（信用风险一般）"}, {"C", "C类（信用风险较高）"},
                 {"D", "D类（信用风险高）"}};
    return f;
}

Field location() {
    Field f = with(text("location", "位置（经纬度）", 0), FT::Point);
    f.check = "lonlat_china";
    f.in_list = false;
    return f;
}

Field phone(bool in_list = true) {
    Field f = text("phone", "联系电话", 40);
    f.in_list = in_list;
    return f;
}

Field authority_ref(std::string name, std::string label, bool required) {
    return ref(with(text(std::move(name), std::move(label), 0, required), FT::Int), "authorities");
}

std::vector<Entity> build() {
    std::vector<Entity> all;

    {
        Entity e{"divisions", "division", "行政区划", "code", false, "name", "code", {}};
        Field code = searchable(text("code", "区划代码", 9, true));
        code.type = FT::Code;
        code.pattern = "^[0-9]{6}([0-9]{3})?$";
        Field level = filterable(with(text("level", "级别", 0, true), FT::Int));
        level.choices = {{"1", "省级"}, {"2", "地级"}, {"3", "县级"}, {"4", "乡级"}};
        level.sortable = true;
        Field parent = ref(text("parent_code", "上级区划", 9), "divisions");
        parent.type = FT::Code;
        parent.pattern = "^[0-9]{6}$";
        e.fields = {code, searchable(text("name", "名称", 100, true)), level, parent, updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"authorities", "authority", "执法机关与部门", "id", true, "name", "id", {}};
        Field kind = filterable(text("kind", "类型", 20, true));
        kind.choices = {{"market_bureau", "市场监管局"}, {"sub_office", "市场监管分局/所"},
                        {"cooperating", "协同部门"}};
        e.fields = {id_field(),
                    searchable(text("name", "名称", 100, true)),
                    searchable(text("short_name", "简称", 50)),
                    kind,
                    division_ref(),
                    authority_ref("parent_id", "上级机关", false),
                    phone(),
                    text("address", "地址", 200),
                    updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"sections", "section", "科室", "id", true, "name", "id", {}};
        e.fields = {id_field(), authority_ref("authority_id", "所属机关", true),
                    searchable(text("name", "科室名称", 100, true)), phone(), updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"enterprise-types", "enterprise_type", "企业类型", "code", false, "name", "code", {}};
        Field code = searchable(text("code", "类型代码", 4, true));
        code.type = FT::Code;
        code.pattern = "^[0-9]{4}$";
        e.fields = {code, searchable(text("name", "类型名称", 100, true)), updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"industries", "industry", "行业分类（GB/T 4754-2017）", "code", false, "name", "code", {}};
        Field code = searchable(text("code", "行业代码", 2, true));
        code.type = FT::Code;
        code.pattern = "^([A-T]|[0-9]{2})$";
        Field level = filterable(with(text("level", "层级", 0, true), FT::Int));
        level.choices = {{"1", "门类"}, {"2", "大类"}};
        Field parent = ref(text("parent_code", "所属门类", 1), "industries");
        parent.type = FT::Code;
        parent.pattern = "^[A-T]$";
        e.fields = {code, searchable(text("name", "行业名称", 100, true)), level, parent, updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"items", "inspection_item", "抽查事项清单", "id", true, "name", "id", {}};
        Field importance = filterable(text("importance", "事项类别", 10, true));
        importance.choices = {{"key", "重点检查事项"}, {"general", "一般检查事项"}};
        Field coop = ref(with(text("cooperating_authority_ids", "配合部门", 0), FT::IdArray), "authorities");
        coop.filterable = false;
        Field ratio = with(text("max_ratio", "抽查比例上限（%）", 0), FT::Decimal);
        Field basis = text("basis", "检查依据", 2000);
        basis.in_list = false;
        Field guide = text("guide", "工作指引", 10000);
        guide.in_list = false;
        Field remark = text("remark", "备注", 1000);
        remark.in_list = false;
        e.fields = {id_field(),
                    searchable(filterable(text("domain", "抽查领域", 100, true))),
                    searchable(text("name", "抽查事项", 200, true)),
                    searchable(text("object_type", "检查对象", 100, true)),
                    authority_ref("initiating_authority_id", "发起部门", true),
                    coop,
                    basis,
                    text("method", "检查方式", 200),
                    importance,
                    ratio,
                    guide,
                    remark,
                    updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"subjects", "market_subject", "市场主体", "id", true, "name", "id", {}};
        Field etype = ref(text("enterprise_type_code", "企业类型", 4), "enterprise-types");
        etype.type = FT::Code;
        etype.pattern = "^[0-9]{4}$";
        Field legal = text("legal_representative", "法定代表人", 50);
        Field licence = text("licence_no", "许可证编号", 60);
        licence.in_list = false;
        Field address = searchable(text("address", "检查地址", 300));
        e.fields = {id_field(),
                    uscc_field("uscc", "统一社会信用代码", true),
                    searchable(text("name", "行政相对人名称", 200, true)),
                    address,
                    phone(),
                    division_ref(),
                    nature("企业"),
                    etype,
                    industry_ref(),
                    risk(),
                    credit(),
                    legal,
                    licence,
                    location(),
                    updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"venues", "venue", "场地场所", "id", true, "name", "id", {}};
        Field since = with(text("in_use_since", "投入使用开始时间", 0), FT::Date);
        since.in_list = false;
        Field life = with(text("service_life_years", "使用寿命（年）", 0), FT::Int);
        life.in_list = false;
        auto hidden = [](Field f) {
            f.in_list = false;
            return f;
        };
        e.fields = {id_field(),
                    searchable(text("name", "场地场所", 200, true)),
                    text("region", "所在地区", 100),
                    division_ref(),
                    searchable(text("responsible_unit", "责任单位", 200)),
                    uscc_field("responsible_uscc", "责任单位统一社会信用代码", false),
                    text("responsible_person", "责任人", 50),
                    hidden(text("id_type", "责任人证件类型", 30)),
                    hidden(text("id_number", "责任人证件编码", 40)),
                    text("usage", "场所用途", 100),
                    hidden(text("scale", "场所规模", 100)),
                    since,
                    life,
                    searchable(text("address", "检查地址", 300)),
                    phone(false),
                    nature("其他组织"),
                    industry_ref(),
                    risk(),
                    credit(),
                    location(),
                    updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"products", "product", "产品", "id", true, "product_name", "id", {}};
        Field issued = with(text("issued_on", "发证日期", 0), FT::Date);
        Field valid = with(text("valid_until", "有效期至", 0), FT::Date);
        e.fields = {id_field(),
                    searchable(text("licence_no", "生产许可证编号", 60, true)),
                    searchable(text("product_name", "产品名称", 200)),
                    searchable(text("enterprise_name", "企业名称", 200, true)),
                    uscc_field("uscc", "统一社会信用代码", true),
                    issued,
                    valid,
                    searchable(text("address", "检查地址", 300)),
                    phone(false),
                    division_ref(),
                    nature("企业"),
                    industry_ref(),
                    risk(),
                    credit(),
                    location(),
                    updated_at()};
        all.push_back(e);
    }
    {
        Entity e{"inspectors", "inspector", "执法检查人员", "id", true, "name", "id", {}};
        Field category = filterable(text("category", "人员类别", 30, true));
        category.choices = {{"law_enforcement", "行政执法人员"}, {"daily_supervision", "日常监管人员"},
                            {"expert", "辅助检查人员（专家）"}};
        Field ph = text("phone", "电话", 20);
        ph.type = FT::Code;
        ph.pattern = "^[0-9+\\- ]{5,20}$";
        Field section = ref(with(text("section_id", "科室", 0), FT::Int), "sections");
        section.in_list = false;
        Field quals = filterable(with(text("qualifications", "执法资质", 0), FT::TextArray));
        Field specs = filterable(with(text("specialties", "业务专长", 0), FT::TextArray));
        Field cert = text("certificate_no", "执法证号", 40);
        cert.in_list = false;
        Field leader = filterable(with(text("is_leader", "组长库", 0), FT::Bool));
        Field active = filterable(with(text("active", "在岗", 0), FT::Bool));
        e.fields = {id_field(),  searchable(text("name", "姓名", 50, true)),
                    ph,          division_ref(),
                    authority_ref("authority_id", "所属部门", true),
                    section,     category,
                    quals,       specs,
                    cert,        leader,
                    active,      updated_at()};
        all.push_back(e);
    }
    return all;
}

}  // namespace

const std::vector<Entity>& entities() {
    static const std::vector<Entity> all = build();
    return all;
}

const Entity* find_entity(const std::string& n) {
    for (const auto& e : entities())
        if (e.name == n) return &e;
    return nullptr;
}

std::string choice_label(const Field& f, const std::string& value) {
    for (const auto& c : f.choices)
        if (c.value == value) return c.label;
    return value;
}

}  // namespace twindraw::registry
