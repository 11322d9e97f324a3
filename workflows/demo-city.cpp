#include "workflows/demo-city.hpp"

#include "workflows/account-password.hpp"

#include "geo/error.hpp"
#include "geo/point-sampler.hpp"
#include "workflows/uscc.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace twindraw::demo {

namespace {

// ---------------------------------------------------------------------------------
// Deterministic randomness: xoshiro256** seeded through splitmix64, and our own
// mapping to doubles and ranges, so the city depends on nothing but the seed.
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& v : s_) v = splitmix(seed);
    }
    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-high; bias < n / 2^64).
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
    long long between(long long lo, long long hi) {  // inclusive
        return lo + static_cast<long long>(below(static_cast<std::uint64_t>(hi - lo + 1)));
    }
    bool chance(double p) { return uniform() < p; }
    template <typename T>
    const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
    template <typename T, size_t N>
    const T& pick(const std::array<T, N>& v) { return v[below(N)]; }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t s_[4];
};

/// Picks index i with probability weight[i] / sum.
class Weighted {
public:
    explicit Weighted(const std::vector<double>& weights) {
        double sum = 0;
        for (double w : weights) cum_.push_back(sum += w);
    }
    size_t pick(Rng& rng) const {
        const double x = rng.uniform() * cum_.back();
        const auto it = std::upper_bound(cum_.begin(), cum_.end(), x);
        return std::min(static_cast<size_t>(it - cum_.begin()), cum_.size() - 1);
    }

private:
    std::vector<double> cum_;
};

template <typename T>
struct Choice {
    T value;
    double weight;
};

template <typename T>
class WeightedList {
public:
    WeightedList(std::initializer_list<Choice<T>> items) : items_(items), w_(weights(items_)) {}
    const T& pick(Rng& rng) const { return items_[w_.pick(rng)].value; }

private:
    static std::vector<double> weights(const std::vector<Choice<T>>& items) {
        std::vector<double> w;
        for (const auto& c : items) w.push_back(c.weight);
        return w;
    }
    std::vector<Choice<T>> items_;
    Weighted w_;
};

// ---------------------------------------------------------------------------------
// Word lists.

const std::array<const char*, 100> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
    "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白",
    "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺",
    "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "冉"};
// The most common surnames are far more frequent; the first 20 get most of the weight.
double surname_weight(size_t i) { return i < 10 ? 6.0 : i < 20 ? 3.0 : i < 50 ? 1.5 : 0.8; }

const std::array<const char*, 80> kGivenChars = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "红", "鹏", "飞",
    "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "婷", "雪", "琳", "晨", "欣",
    "怡", "佳", "嘉", "慧", "雯", "倩", "颖", "露", "瑶", "梅", "莉", "兰", "春", "海", "林", "峰",
    "鑫", "亮", "成", "志", "永", "德", "庆", "川", "渝", "江", "蓉", "琴", "燕", "晓", "子", "思"};

const std::array<const char*, 60> kTradeChars = {
    "鑫", "源", "华", "泰", "宏", "盛", "恒", "达", "祥", "瑞", "丰", "德", "信", "隆", "荣",
    "昌", "嘉", "兴", "福", "安", "金", "川", "渝", "巴", "锦", "佳", "优", "美", "博", "创",
    "汇", "通", "诚", "和", "康", "润", "顺", "聚", "益", "远", "峰", "悦", "雅", "新", "宇",
    "凯", "弘", "旭", "腾", "卓", "尚", "品", "联", "众", "禾", "乐", "永", "正", "志", "合"};

const std::array<const char*, 24> kRoadWords = {
    "人民", "解放", "建设", "中山", "民主", "新华", "和平", "胜利", "长江", "嘉陵", "滨江", "龙湖",
    "金开", "星光", "兴盛", "文化", "工业园", "商贸", "桂花", "黄桷", "学府", "迎宾", "环城", "朝阳"};
const std::array<const char*, 5> kRoadKinds = {"路", "大道", "街", "支路", "巷"};

// Market subjects by GB/T 4754-2017 division, with the words that make their names.
struct Trade {
    const char* industry;    // 大类 code
    double weight;           // share among all subjects
    const char* company;     // word in a company name: 重庆XX{company}有限公司
    const char* shop;        // word in an individual business name: 渝中区XX{shop}
    int risk_bias;           // added to the base risk level (food, special equipment …)
    bool food_licence;       // holds a 食品经营许可证 (JY) or 食品生产许可证 (SC)
};

const std::vector<Trade> kTrades = {
    {"52", 24.0, "商贸", "便利店", 0, true},     {"52", 6.0, "百货", "百货店", 0, false},
    {"51", 9.0, "贸易", "批发部", 0, false},      {"62", 10.0, "餐饮管理", "火锅店", 1, true},
    {"62", 4.0, "餐饮", "小面馆", 1, true},       {"61", 2.5, "酒店管理", "宾馆", 0, false},
    {"80", 5.0, "家政服务", "美发店", 0, false},  {"81", 2.5, "汽车维修", "汽修店", 1, false},
    {"82", 1.5, "摄影服务", "照相馆", 0, false},  {"72", 6.0, "企业管理咨询", "商务服务部", 0, false},
    {"71", 1.5, "设备租赁", "租赁部", 0, false},  {"70", 2.5, "物业管理", "房屋中介", 0, false},
    {"65", 3.0, "信息技术", "电脑服务部", 0, false}, {"64", 1.0, "网络科技", "网店", 0, false},
    {"47", 1.5, "建筑工程", "建材经营部", 0, false}, {"50", 2.5, "装饰工程", "装饰部", 0, false},
    {"54", 2.0, "物流", "货运部", 1, false},      {"59", 0.8, "仓储服务", "仓储部", 1, false},
    {"13", 1.2, "食品", "粮油加工坊", 2, true},   {"14", 1.2, "食品", "糕点坊", 2, true},
    {"15", 0.8, "酒业", "酒坊", 2, true},         {"36", 0.8, "汽车零部件", "机加工厂", 1, false},
    {"39", 0.8, "电子科技", "电子厂", 0, false},  {"33", 0.8, "金属制品", "五金加工厂", 1, false},
    {"29", 0.6, "塑料制品", "塑料加工厂", 1, false}, {"18", 0.6, "服饰", "制衣厂", 0, false},
    {"21", 0.5, "家具", "家具厂", 0, false},      {"26", 0.4, "化工", "化工经营部", 2, false},
    {"30", 0.5, "建材", "预制件厂", 1, false},    {"01", 2.0, "农业开发", "种植场", 0, false},
    {"03", 1.2, "生态养殖", "养殖场", 1, false},  {"05", 0.5, "农业科技", "农机服务部", 0, false},
    {"74", 1.0, "工程技术", "测绘服务部", 0, false}, {"73", 0.3, "科技研发", "研究所", 0, false},
    {"83", 0.6, "教育咨询", "培训部", 0, false},  {"84", 0.5, "医疗管理", "诊所", 1, false},
    {"86", 0.3, "文化传播", "书店", 0, false},    {"88", 0.5, "文化艺术", "工作室", 0, false},
    {"89", 0.4, "体育文化", "健身馆", 0, false},  {"90", 0.6, "娱乐", "茶馆", 0, false},
    {"44", 0.2, "新能源", "电力服务部", 1, false}, {"45", 0.2, "燃气", "燃气经营部", 2, false},
    {"77", 0.3, "环保科技", "环保服务部", 0, false}, {"60", 0.3, "快递服务", "快递点", 0, false},
    {"67", 0.2, "投资管理", "咨询部", 0, false},  {"10", 0.2, "矿业", "砂石厂", 2, false},
};

// Resident population (万人, 2020 census, rounded) by county name stem: subjects are
// spread in proportion, with the nine central districts weighted up for their denser
// commerce. Unknown names (a newer division list) fall back to 50.
const std::map<std::string, double> kPopulation = {
    {"万州", 156}, {"涪陵", 112}, {"渝中", 59}, {"大渡口", 42}, {"江北", 93}, {"沙坪坝", 148},
    {"九龙坡", 153}, {"南岸", 120}, {"北碚", 83}, {"綦江", 101}, {"大足", 83}, {"渝北", 219},
    {"巴南", 118}, {"黔江", 49}, {"长寿", 69}, {"江津", 136}, {"合川", 124}, {"永川", 115},
    {"南川", 57}, {"璧山", 76}, {"铜梁", 69}, {"潼南", 69}, {"荣昌", 67}, {"开州", 120},
    {"梁平", 65}, {"武隆", 36}, {"城口", 20}, {"丰都", 56}, {"垫江", 65}, {"忠", 72},
    {"云阳", 93}, {"奉节", 74}, {"巫山", 46}, {"巫溪", 39}, {"石柱", 39}, {"秀山", 48},
    {"酉阳", 56}, {"彭水", 50}};
const std::set<std::string> kCentral = {"渝中", "大渡口", "江北", "沙坪坝", "九龙坡", "南岸", "北碚", "渝北", "巴南"};

std::string strip_suffix(const std::string& name, std::initializer_list<const char*> suffixes) {
    for (const char* suffix : suffixes) {
        const std::string s = suffix;
        if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
            return name.substr(0, name.size() - s.size());
    }
    return name;
}

std::string county_stem(const std::string& name) {
    return strip_suffix(name, {"土家族苗族自治县", "苗族土家族自治县", "土家族自治县", "区", "县"});
}

std::string town_stem(const std::string& name) { return strip_suffix(name, {"街道", "镇", "乡"}); }

std::string person_name(Rng& rng) {
    static const Weighted surnames = [] {
        std::vector<double> w;
        for (size_t i = 0; i < kSurnames.size(); ++i) w.push_back(surname_weight(i));
        return Weighted(w);
    }();
    std::string name = kSurnames[surnames.pick(rng)];
    name += rng.pick(kGivenChars);
    if (rng.chance(0.7)) name += rng.pick(kGivenChars);
    return name;
}

std::string mobile(Rng& rng) {
    static const std::array<const char*, 12> prefixes = {"133", "135", "136", "138", "139", "150",
                                                         "151", "152", "158", "177", "180", "189"};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%08llu", rng.pick(prefixes), static_cast<unsigned long long>(rng.below(100000000)));
    return buf;
}

std::string landline(Rng& rng) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "023-6%07llu", static_cast<unsigned long long>(rng.below(10000000)));
    return buf;
}

std::string trade_name(Rng& rng) {
    std::string a = rng.pick(kTradeChars);
    std::string b = rng.pick(kTradeChars);
    while (b == a) b = rng.pick(kTradeChars);
    return a + b;
}

std::string road_address(Rng& rng) {
    return std::string(rng.pick(kRoadWords)) + rng.pick(kRoadKinds) + std::to_string(rng.between(1, 399)) + "号";
}


// ---------------------------------------------------------------------------------
// The city's structure.

struct Town {
    std::string code, name;
};

struct County {
    std::string code, name, stem;
    std::vector<Town> towns;
    sample::PolygonSampler sampler;
};

struct Authority {
    long long id;
    std::string name, division_code;
};

// Inspector qualification domains, each with the specialties that go with it.
struct Domain {
    const char* qualification;
    std::vector<const char*> specialties;
};
const std::vector<Domain> kDomains = {
    {"食品安全", {"食品生产", "餐饮服务", "食品销售", "保健食品", "食品抽检", "农村集体聚餐"}},
    {"特种设备", {"电梯", "锅炉", "压力容器", "压力管道", "起重机械", "场（厂）内专用机动车辆", "气瓶充装"}},
    {"计量", {"加油机检定", "电子计价秤", "定量包装商品", "眼镜制配", "医用计量器具"}},
    {"产品质量", {"工业产品生产许可", "强制性产品认证", "儿童用品", "电线电缆", "建材产品", "化肥农资"}},
    {"广告监管", {"互联网广告", "医疗广告", "药品医疗器械广告", "户外广告"}},
    {"价格监督", {"明码标价", "涉企收费", "医疗收费", "教育收费", "停车收费"}},
    {"登记注册", {"企业年报", "个体工商户", "农民专业合作社", "住所核查"}},
    {"网络交易", {"网络直播营销", "平台经营者", "网络餐饮服务"}},
    {"知识产权", {"商标", "专利", "地理标志"}},
    {"反不正当竞争", {"商业贿赂", "虚假宣传", "直销与传销"}},
};

struct SectionSpec {
    const char* name;
    int domain;  // index into kDomains, or -1 for a general office
};
const std::vector<SectionSpec> kCitySections = {
    {"办公室", -1},           {"登记注册处", 6},         {"信用监督管理处", 6},
    {"食品生产安全监督管理处", 0}, {"食品经营安全监督管理处", 0}, {"特种设备安全监察处", 1},
    {"产品质量安全监督管理处", 3}, {"计量处", 2},           {"广告监督管理处", 4},
    {"价格监督检查和反不正当竞争处", 5}, {"网络交易监督管理处", 7}, {"知识产权保护处", 8},
    {"执法稽查局", 9}};
const std::vector<SectionSpec> kCountySections = {
    {"办公室", -1},           {"登记注册科", 6},         {"信用监督管理科", 6},
    {"食品生产安全监督管理科", 0}, {"食品经营安全监督管理科", 0}, {"特种设备安全监察科", 1},
    {"产品质量安全监督管理科", 3}, {"计量科", 2},           {"广告监督管理科", 4},
    {"价格监督检查科", 5},     {"综合行政执法支队", 9}};

struct Cooperating {
    const char* name;
    const char* short_name;
    std::vector<const char*> sections;
    const char* qualification;
    std::vector<const char*> specialties;
};
const std::vector<Cooperating> kCooperating = {
    {"重庆市生态环境局", "市生态环境局", {"生态环境执法总队", "大气环境处"}, "生态环境", {"机动车排放检验", "危险废物", "工业污染源"}},
    {"重庆市应急管理局", "市应急局", {"危险化学品安全监督管理处", "工贸安全监督管理处"}, "安全生产", {"危险化学品", "烟花爆竹", "工贸企业"}},
    {"重庆市卫生健康委员会", "市卫生健康委", {"综合监督处", "食品安全标准与监测评估处"}, "卫生监督", {"食品安全标准", "医疗机构", "公共场所卫生"}},
    {"重庆市交通局", "市交通局", {"道路运输管理处"}, "交通运输", {"道路运输", "机动车维修", "驾驶员培训"}},
    {"重庆市农业农村委员会", "市农业农村委", {"农产品质量安全监管处", "种植业与农药管理处"}, "农业执法", {"农药", "化肥", "种子", "农产品质量"}},
    {"重庆市商务委员会", "市商务委", {"市场秩序处"}, "商务执法", {"单用途预付卡", "成品油流通", "二手车流通"}},
    {"重庆市文化和旅游发展委员会", "市文化旅游委", {"市场管理处"}, "文化市场", {"旅行社", "娱乐场所", "网吧"}},
    {"重庆市药品监督管理局", "市药监局", {"药品流通监管处", "医疗器械监管处"}, "药品医疗器械", {"药品经营", "医疗器械经营", "化妆品"}},
};

struct ItemSpec {
    const char* domain;
    const char* name;
    const char* object_type;
    std::vector<const char*> cooperating;  // cooperating department names
    const char* basis;
    const char* method;
    const char* importance;
    const char* max_ratio;
};
const std::vector<ItemSpec> kItems = {
    {"食品安全", "食品生产者生产活动的检查", "食品生产企业", {"重庆市卫生健康委员会"},
     "《中华人民共和国食品安全法》；《食品生产经营监督检查管理办法》", "现场检查", "key", "10"},
    {"食品安全", "食品销售者经营活动的检查", "食品销售经营者", {},
     "《中华人民共和国食品安全法》；《食品经营许可和备案管理办法》", "现场检查", "key", "5"},
    {"食品安全", "餐饮服务提供者经营活动的检查", "餐饮服务提供者", {"重庆市卫生健康委员会"},
     "《中华人民共和国食品安全法》；《中华人民共和国食品安全法实施条例》", "现场检查", "key", "5"},
    {"食品安全", "食品及食用农产品监督抽检", "食品生产经营者", {"重庆市农业农村委员会"},
     "《中华人民共和国食品安全法》；《食品安全抽样检验管理办法》", "抽样检验", "key", "5"},
    {"特种设备安全", "特种设备生产单位的检查", "特种设备生产单位", {"重庆市应急管理局"},
     "《中华人民共和国特种设备安全法》；《特种设备安全监察条例》", "现场检查", "key", "10"},
    {"特种设备安全", "特种设备使用单位的检查", "特种设备使用单位", {"重庆市应急管理局"},
     "《中华人民共和国特种设备安全法》；《特种设备安全监察条例》", "现场检查", "key", "5"},
    {"产品质量", "生产领域产品质量监督抽查", "产品生产企业", {},
     "《中华人民共和国产品质量法》；《产品质量监督抽查管理暂行办法》", "抽样检验", "general", "5"},
    {"产品质量", "工业产品生产许可证获证企业的检查", "获证生产企业", {},
     "《中华人民共和国工业产品生产许可证管理条例》", "现场检查", "key", "10"},
    {"产品质量", "强制性产品认证的检查", "认证产品生产者、销售者", {},
     "《中华人民共和国认证认可条例》；《强制性产品认证管理规定》", "现场检查", "general", "5"},
    {"产品质量", "危险化学品生产企业产品质量的检查", "危险化学品生产企业", {"重庆市应急管理局", "重庆市生态环境局"},
     "《中华人民共和国产品质量法》；《危险化学品安全管理条例》", "现场检查", "key", "10"},
    {"产品质量", "农资商品质量的检查", "农资经营者", {"重庆市农业农村委员会"},
     "《中华人民共和国产品质量法》；《农药管理条例》", "抽样检验", "general", "5"},
    {"广告", "广告发布活动的检查", "广告发布者", {},
     "《中华人民共和国广告法》；《互联网广告管理办法》", "网络监测", "general", "3"},
    {"广告", "医疗、药品、医疗器械、保健食品广告的检查", "广告主、广告经营者、广告发布者",
     {"重庆市卫生健康委员会", "重庆市药品监督管理局"},
     "《中华人民共和国广告法》；《药品、医疗器械、保健食品、特殊医学用途配方食品广告审查管理暂行办法》", "网络监测", "key",
     "5"},
    {"价格", "明码标价和价格行为的检查", "经营者", {},
     "《中华人民共和国价格法》；《明码标价和禁止价格欺诈规定》", "现场检查", "general", "3"},
    {"价格", "涉企收费的检查", "收费单位", {},
     "《中华人民共和国价格法》；《价格违法行为行政处罚规定》", "书面检查", "general", "3"},
    {"计量", "计量器具使用单位的检查", "计量器具使用单位", {},
     "《中华人民共和国计量法》；《中华人民共和国计量法实施细则》", "现场检查", "general", "5"},
    {"计量", "定量包装商品净含量的检查", "定量包装商品生产者", {},
     "《中华人民共和国计量法》；《定量包装商品计量监督管理办法》", "抽样检验", "general", "5"},
    {"检验检测", "检验检测机构的检查", "检验检测机构", {"重庆市生态环境局", "重庆市交通局"},
     "《检验检测机构资质认定管理办法》；《检验检测机构监督管理办法》", "现场检查", "key", "10"},
    {"登记事项", "企业公示信息的检查", "企业", {},
     "《企业信息公示暂行条例》；《中华人民共和国市场主体登记管理条例》", "书面检查", "general", "3"},
    {"登记事项", "个体工商户登记事项的检查", "个体工商户", {},
     "《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》", "现场检查", "general", "3"},
    {"登记事项", "农民专业合作社登记及年报信息的检查", "农民专业合作社", {"重庆市农业农村委员会"},
     "《中华人民共和国农民专业合作社法》；《中华人民共和国市场主体登记管理条例》", "书面检查", "general", "3"},
    {"网络交易", "网络交易经营者的检查", "网络交易经营者", {"重庆市商务委员会"},
     "《中华人民共和国电子商务法》；《网络交易监督管理办法》", "网络监测", "general", "3"},
    {"知识产权", "商标使用行为的检查", "商标使用人", {},
     "《中华人民共和国商标法》；《中华人民共和国商标法实施条例》", "现场检查", "general", "3"},
};

long long insert_id(pqxx::work& tx, const std::string& sql, const pg::Params& p) {
    return pg::exec(tx, sql + " RETURNING id", p)[0][0].as<long long>();
}

std::vector<County> load_counties(pqxx::work& tx) {
    std::vector<County> counties;
    const auto rows = pg::exec(tx,
                               "SELECT code, name, ST_AsText(geom, 15) FROM division "
                               "WHERE parent_code = '500000' AND level = 3 ORDER BY code");
    for (const auto& r : rows) {
        if (r[2].is_null())
            throw conflict("reference_missing", "重庆市区县边界缺失（" + std::string(r[1].c_str()) +
                                                    "），请先导入参考数据（twindraw reference）");
        counties.push_back({r[0].c_str(), r[1].c_str(), county_stem(r[1].c_str()), {}, sample::PolygonSampler(r[2].c_str())});
    }
    if (counties.empty())
        throw conflict("reference_missing", "重庆市区县边界缺失，请先导入参考数据（行政区划与区县边界）");
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < counties.size(); ++i) index[counties[i].code] = i;
    for (const auto& r : pg::exec(tx,
                                  "SELECT code, name, parent_code FROM division WHERE level = 4 "
                                  "AND left(code, 2) = '50' ORDER BY code")) {
        auto it = index.find(r[2].c_str());
        if (it != index.end()) counties[it->second].towns.push_back({r[0].c_str(), r[1].c_str()});
    }
    for (const auto& c : counties)
        if (c.towns.empty())
            throw conflict("reference_missing", c.name + "没有乡镇街道数据，请先导入参考数据");
    const auto industries = pg::exec(tx, "SELECT count(*) FROM industry WHERE level = 2")[0][0].as<long long>();
    if (industries < 97) throw conflict("reference_missing", "国民经济行业分类数据缺失，请先导入参考数据");
    return counties;
}

std::vector<std::string> pick_distinct(Rng& rng, const std::vector<const char*>& from, size_t n) {
    std::vector<std::string> out;
    n = std::min(n, from.size());
    while (out.size() < n) {
        std::string s = rng.pick(from);
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
}

// ---------------------------------------------------------------------------------

struct Builder {
    pqxx::work& tx;
    Rng& rng;
    Summary summary;
    long long certificate_serial = 0;

    Authority add_authority(const std::string& name, const std::string& short_name, const char* kind,
                            const std::string& division, std::optional<long long> parent, const std::string& address) {
        pg::Params p;
        p.add(name).add(short_name).add(kind).add(division);
        if (parent)
            p.add(*parent);
        else
            p.null();
        p.add(landline(rng)).add(address);
        const long long id = insert_id(
            tx,
            "INSERT INTO authority(name, short_name, kind, division_code, parent_id, phone, address) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            p);
        ++summary.authorities;
        return {id, name, division};
    }

    long long add_section(long long authority_id, const std::string& name) {
        ++summary.sections;
        return insert_id(tx, "INSERT INTO section(authority_id, name, phone) VALUES ($1, $2, $3)",
                         pg::Params().add(authority_id).add(name).add(landline(rng)));
    }

    void add_inspector(const Authority& a, std::optional<long long> section, bool leader,
                       const char* category, const std::vector<std::string>& quals,
                       const std::vector<std::string>& specs) {
        pg::Params p;
        p.add(person_name(rng)).add(mobile(rng)).add(a.division_code).add(a.id);
        if (section)
            p.add(*section);
        else
            p.null();
        p.add(category).add(pg::array_literal(quals)).add(pg::array_literal(specs));
        if (std::string(category) == "expert") {
            p.null();
        } else {
            char buf[32];
            std::snprintf(buf, sizeof buf, "渝%s%05lld", a.division_code.substr(0, 6).c_str(), ++certificate_serial);
            p.add(std::string(buf));
        }
        p.add(leader);
        pg::exec(tx,
                 "INSERT INTO inspector(name, phone, division_code, authority_id, section_id, category, "
                 "qualifications, specialties, certificate_no, is_leader) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8::text[], $9, $10)",
                 p);
        ++summary.inspectors;
    }

    // An inspector of the market-supervision system: a main domain (its section's, or
    // a random one), sometimes a second, and two or three specialties.
    void add_market_inspector(const Authority& a, std::optional<long long> section, int domain, bool leader) {
        if (domain < 0) domain = static_cast<int>(rng.below(kDomains.size()));
        std::vector<std::string> quals = {kDomains[static_cast<size_t>(domain)].qualification};
        if (rng.chance(0.4)) {
            const auto& other = kDomains[rng.below(kDomains.size())];
            if (quals[0] != other.qualification) quals.push_back(other.qualification);
        }
        const auto specs = pick_distinct(rng, kDomains[static_cast<size_t>(domain)].specialties, 2 + rng.below(2));
        const double r = rng.uniform();
        const char* category = r < 0.62 ? "law_enforcement" : r < 0.93 ? "daily_supervision" : "expert";
        add_inspector(a, section, leader, category, quals, specs);
    }
};

}  // namespace

// Demo accounts (AUTH-1, SYS-8), all with the initial password kDemoPassword that must
// be changed at first login: one per built-in role, the inspectors linked to
// inspector rows of 渝中区. One hash serves them all: the password is public anyway.
constexpr const char* kDemoPassword = "Twindraw@2026";

static void add_demo_accounts(pqxx::work& tx, long long city_id) {
    const std::string hash = accounts::hash_password(kDemoPassword);
    const std::string yuzhong = "(SELECT id FROM authority WHERE division_code = '500103' AND kind = 'market_bureau' ORDER BY id LIMIT 1)";
    const std::string office = "(SELECT id FROM authority WHERE left(division_code, 6) = '500103' AND kind = 'sub_office' ORDER BY id LIMIT 1)";
    struct Account {
        const char* account;
        const char* name;
        const char* role;
        std::string unit;
    } accounts_list[] = {
        {"admin", "系统管理员", "system_admin", std::to_string(city_id)},
        {"yz_admin", "渝中区管理员", "district_admin", yuzhong},
        {"yz_office_admin", "解放碑所管理员", "unit_admin", office},
        {"yz_assigner", "渝中区任务分配员", "task_assigner", yuzhong},
        {"yz_reviewer", "渝中区任务审核员", "task_reviewer", yuzhong},
        {"yz_head", "渝中区部门负责人", "department_head", yuzhong},
        {"leader", "市局领导", "leader", std::to_string(city_id)},
    };
    for (const auto& a : accounts_list) {
        pg::exec(tx,
                 "WITH u AS (INSERT INTO app_user(account, name, password_hash, must_change_password)"
                 " VALUES ($1, $2, $3, true) RETURNING id)"
                 " INSERT INTO user_identity(user_id, authority_id, role_id, is_default)"
                 " SELECT u.id, " + a.unit + ", r.id, true FROM u, role r WHERE r.code = $4",
                 pg::Params().add(a.account).add(a.name).add(hash).add(a.role));
    }
    // Three inspectors of 渝中区 with accounts inspector1..3, linked to their rows.
    pg::exec(tx,
             "WITH i AS (SELECT id, name, phone, certificate_no, authority_id, section_id,"
             "                  row_number() OVER (ORDER BY id) AS n"
             "             FROM inspector WHERE authority_id = " + yuzhong + " AND category = 'law_enforcement'"
             "            ORDER BY id LIMIT 3),"
             " u AS (INSERT INTO app_user(account, name, phone, password_hash, must_change_password, inspector_id, certificate_no)"
             "       SELECT 'inspector' || n, name, phone, $1, true, id, certificate_no FROM i RETURNING id, inspector_id)"
             " INSERT INTO user_identity(user_id, authority_id, section_id, role_id, is_default)"
             " SELECT u.id, i.authority_id, i.section_id, r.id, true FROM u JOIN i ON i.id = u.inspector_id, role r"
             " WHERE r.code = 'inspector'",
             pg::Params().add(hash));
}

// The base layer's water for the demo, only where no water has been loaded: 长江 and
// 嘉陵江 where they form the border between two districts of the main urban area (渝中区
// lies between them), as bands of about their width along those borders — so the rivers
// follow the loaded boundaries; approximate, not surveyed; none outside those borders.
static void add_demo_water(pqxx::work& tx) {
    if (pg::exec(tx, "SELECT EXISTS (SELECT 1 FROM water_feature)")[0][0].as<bool>()) return;
    pg::exec(tx,
             "INSERT INTO water_feature(name, kind, geom)"
             " SELECT r.name, 'river', ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ST_Intersection("
             "   ST_Buffer(a.geom::geography, r.half_width)::geometry, ST_Buffer(b.geom::geography, r.half_width)::geometry))), 3))"
             " FROM (VALUES ('长江', 250, '500103', '500108'), ('长江', 250, '500105', '500108'),"
             "   ('长江', 250, '500107', '500108'), ('长江', 250, '500107', '500113'), ('长江', 250, '500104', '500113'),"
             "   ('长江', 250, '500105', '500113'), ('长江', 250, '500112', '500113'),"
             "   ('嘉陵江', 150, '500103', '500105'), ('嘉陵江', 150, '500105', '500106'), ('嘉陵江', 150, '500106', '500112'))"
             "   r(name, half_width, code_a, code_b)"
             " JOIN division a ON a.code = r.code_a AND a.geom IS NOT NULL"
             " JOIN division b ON b.code = r.code_b AND b.geom IS NOT NULL"
             " GROUP BY r.name HAVING NOT ST_IsEmpty(ST_Union(ST_Intersection("
             "   ST_Buffer(a.geom::geography, r.half_width)::geometry, ST_Buffer(b.geom::geography, r.half_width)::geometry)))");
}

Summary generate(pg::Pool& pool, const Options& opt,
                 const std::function<void(long long done, long long total)>& progress) {
    if (opt.enterprises < 0 || opt.enterprises > 99'999'999)
        throw invalid("enterprises_out_of_range", "企业数量应在 0 到 99,999,999 之间", "enterprises");

    auto lease = pool.acquire("demo");
    pqxx::work tx(*lease, "demo-city");
    // Two concurrent demo runs would otherwise both see an empty database.
    pg::exec(tx, "SELECT pg_advisory_xact_lock(hashtext('twindraw:demo-city'))");

    const bool exists = pg::exec(tx, "SELECT EXISTS (SELECT 1 FROM authority)")[0][0].as<bool>();
    if (exists && !opt.replace)
        throw conflict("demo_exists", "已有执法机关数据，演示城市已经生成过；如需重新生成请选择替换");
    if (opt.replace) {
        try {
            pqxx::subtransaction sub(tx, "demo-truncate");
            // Accounts hang on units and inspectors, so they go too (the demo ones are
            // created again below); so does the work built on them (plans, tasks, ...).
            sub.exec("TRUNCATE market_subject, inspector, section, inspection_item, authority,"
                     " app_user, user_identity, session, sms_code, login_log RESTART IDENTITY CASCADE");
            sub.commit();
        } catch (const pqxx::sql_error&) {
            throw conflict("demo_in_use", "演示数据已被其他业务数据引用，不能替换");
        }
    }

    std::vector<County> counties = load_counties(tx);
    Rng rng(opt.seed);
    Builder b{tx, rng, {}};

    // --- authorities and sections ---------------------------------------------------
    const Authority city = b.add_authority("重庆市市场监督管理局", "重庆市市场监管局", "market_bureau", "500000",
                                           std::nullopt, "重庆市渝北区青枫北路" + std::to_string(rng.between(1, 99)) + "号");
    std::vector<std::pair<long long, int>> city_sections;
    for (const auto& s : kCitySections) city_sections.push_back({b.add_section(city.id, s.name), s.domain});

    std::map<std::string, long long> cooperating_ids;
    std::vector<std::pair<Authority, const Cooperating*>> cooperating;
    for (const auto& c : kCooperating) {
        const Authority a = b.add_authority(c.name, c.short_name, "cooperating", "500000", std::nullopt,
                                            "重庆市渝北区" + road_address(rng));
        cooperating_ids[c.name] = a.id;
        cooperating.push_back({a, &c});
    }

    struct Bureau {
        Authority bureau;
        std::vector<std::pair<long long, int>> sections;
        std::vector<Authority> offices;
    };
    std::vector<Bureau> bureaus;
    for (const auto& county : counties) {
        Bureau br{b.add_authority("重庆市" + county.name + "市场监督管理局", county.name + "市场监管局", "market_bureau",
                                  county.code, city.id, "重庆市" + county.name + road_address(rng)),
                  {},
                  {}};
        for (const auto& s : kCountySections) br.sections.push_back({b.add_section(br.bureau.id, s.name), s.domain});
        // 2–4 offices named after the county's towns, 街道 (urban) first.
        std::vector<const Town*> towns;
        for (const auto& t : county.towns)
            if (t.name.find("街道") != std::string::npos) towns.push_back(&t);
        for (const auto& t : county.towns)
            if (t.name.find("街道") == std::string::npos) towns.push_back(&t);
        const size_t n = std::min<size_t>(towns.size(), 2 + rng.below(3));
        std::set<std::string> used;
        for (size_t i = 0; i < towns.size() && br.offices.size() < n; ++i) {
            // Spread over the list rather than always the first towns.
            const Town& t = *towns[(i * 7 + rng.below(3)) % towns.size()];
            const std::string stem = town_stem(t.name);
            if (!used.insert(stem).second) continue;
            br.offices.push_back(b.add_authority(br.bureau.name + stem + "市场监管所", stem + "市场监管所",
                                                 "sub_office", t.code, br.bureau.id,
                                                 "重庆市" + county.name + t.name + road_address(rng)));
        }
        bureaus.push_back(std::move(br));
    }

    // --- inspectors ----------------------------------------------------------------
    for (const auto& [section, domain] : city_sections)
        for (int i = 0, n = static_cast<int>(rng.between(1, 3)); i < n; ++i)
            b.add_market_inspector(city, section, domain, i == 0 && domain >= 0);
    for (const auto& br : bureaus) {
        const long long n = rng.between(4, 7);
        for (long long i = 0; i < n; ++i) {
            const auto& [section, domain] = br.sections[1 + rng.below(br.sections.size() - 1)];
            b.add_market_inspector(br.bureau, section, domain, i == 0);
        }
        for (const auto& office : br.offices) {
            const long long m = rng.between(2, 4);
            for (long long i = 0; i < m; ++i) b.add_market_inspector(office, std::nullopt, -1, i == 0);
        }
    }
    for (const auto& [a, spec] : cooperating) {
        std::vector<long long> section_ids;
        for (const char* s : spec->sections) section_ids.push_back(b.add_section(a.id, s));
        const long long n = rng.between(2, 4);
        for (long long i = 0; i < n; ++i) {
            const auto specs = pick_distinct(rng, spec->specialties, 1 + rng.below(2));
            b.add_inspector(a, section_ids[rng.below(section_ids.size())], i == 0,
                            rng.chance(0.3) ? "expert" : "law_enforcement", {spec->qualification}, specs);
        }
    }

    // --- the item list -------------------------------------------------------------
    for (const auto& item : kItems) {
        std::vector<std::string> ids;
        for (const char* name : item.cooperating) ids.push_back(std::to_string(cooperating_ids.at(name)));
        std::string arr = "{";
        for (size_t i = 0; i < ids.size(); ++i) arr += (i ? "," : "") + ids[i];
        arr += "}";
        pg::exec(tx,
                 "INSERT INTO inspection_item(domain, name, object_type, initiating_authority_id, "
                 "cooperating_authority_ids, basis, method, importance, max_ratio, guide) "
                 "VALUES ($1, $2, $3, $4, $5::bigint[], $6, $7, $8, $9::numeric, $10)",
                 pg::Params()
                     .add(item.domain)
                     .add(item.name)
                     .add(item.object_type)
                     .add(city.id)
                     .add(arr)
                     .add(item.basis)
                     .add(item.method)
                     .add(item.importance)
                     .add(item.max_ratio)
                     .add(std::string("按照“双随机、一公开”要求，依据") + item.basis + "对" + item.object_type +
                          "开展" + item.method + "，检查结果于检查结束后20个工作日内公示。"));
        ++b.summary.items;
    }

    // --- market subjects -------------------------------------------------------------
    std::vector<double> county_weights;
    for (const auto& c : counties) {
        auto it = kPopulation.find(c.stem);
        double w = it == kPopulation.end() ? 50.0 : it->second;
        if (kCentral.count(c.stem)) w *= 1.4;
        county_weights.push_back(w);
    }
    const Weighted county_pick(county_weights);
    std::vector<double> trade_weights;
    for (const auto& t : kTrades) trade_weights.push_back(t.weight);
    const Weighted trade_pick(trade_weights);
    const WeightedList<const char*> enterprise_types = {
        {"1100", 72}, {"1200", 3}, {"4100", 12}, {"4200", 4}, {"2100", 1}, {"3100", 2}, {"5100", 3}, {"6100", 3}};
    const WeightedList<const char*> credit = {{"A", 58}, {"B", 32}, {"C", 8}, {"D", 2}};
    const WeightedList<int> base_risk = {{1, 45}, {2, 35}, {3, 15}, {4, 5}};

    const long long total = opt.enterprises;
    if (progress) progress(0, total);
    const std::vector<std::string> columns = {"uscc", "name", "address", "phone", "division_code", "nature",
                                              "enterprise_type_code", "industry_code", "risk_level",
                                              "credit_level", "legal_representative", "licence_no", "geom"};
    constexpr long long kChunk = 50'000;
    // The organisation-code body of the USCC: i ↦ (i·48271 + offset) mod 10^8 is a
    // bijection (48271 is coprime with 10^8), so codes are distinct and look scattered.
    const std::uint64_t offset = rng.below(100'000'000);
    for (long long start = 0; start < total; start += kChunk) {
        const long long end = std::min(total, start + kChunk);
        pqxx::stream_to copy(tx, "market_subject", columns);
        for (long long i = start; i < end; ++i) {
            const County& county = counties[county_pick.pick(rng)];
            std::optional<coord::LonLat> pt;
            while (!pt) pt = county.sampler.try_point(rng.uniform(), rng.uniform());
            const Town& town = rng.pick(county.towns);
            const Trade& trade = kTrades[trade_pick.pick(rng)];
            const bool farm = trade.industry[0] == '0' && trade.industry[1] <= '5';

            std::string nature, type_code, name;
            char uscc_type;
            const double r = rng.uniform();
            if (farm && r < 0.35) {
                nature = "农民专业合作社";
                type_code = "9200";
                uscc_type = '3';
                static const std::array<const char*, 8> produce = {"柑橘", "蔬菜", "茶叶", "生猪", "花椒", "中药材", "蜂蜜", "榨菜"};
                name = "重庆市" + county.name + town_stem(town.name) + rng.pick(produce) +
                       (trade.industry == std::string("03") ? "养殖" : "种植") + "专业合作社";
            } else if (r < (farm ? 0.55 : 0.45)) {
                nature = "个体工商户";
                type_code = "9100";
                uscc_type = '2';
                name = county.name + (rng.chance(0.5) ? std::string(kSurnames[rng.below(20)]) + "记" : trade_name(rng)) +
                       trade.shop;
            } else {
                nature = "企业";
                type_code = enterprise_types.pick(rng);
                uscc_type = '1';
                const std::string kind = type_code == "1200" ? "股份有限公司"
                                         : type_code == "4100" ? "（个人独资）"
                                         : type_code == "4200" ? "（有限合伙）"
                                         : type_code == "2100" || type_code == "3100" ? "厂"
                                         : "有限公司";
                const std::string words = trade_name(rng) + trade.company;
                if (type_code == "4100" || type_code == "4200")
                    name = "重庆" + words + "中心" + kind;
                else if (rng.chance(0.5))
                    name = "重庆" + words + kind;
                else
                    name = "重庆市" + county.name + words + kind;
            }
            const std::uint64_t serial = (static_cast<std::uint64_t>(i) * 48271u + offset) % 100'000'000u;
            const std::string code = uscc::make(uscc_type, county.code, serial);
            const std::string address = "重庆市" + county.name + town.name + road_address(rng);
            const std::string phone = rng.chance(0.6) ? mobile(rng) : landline(rng);
            const std::string risk = std::to_string(std::min(4, base_risk.pick(rng) + (rng.chance(0.5) ? trade.risk_bias : 0)));
            const std::string credit_level = credit.pick(rng);
            const std::string legal = person_name(rng);
            std::string licence;
            if (trade.food_licence) {
                char buf[32];
                const bool producer = trade.industry[0] == '1';
                // 食品生产许可证 SC + 14 digits (3 category, 6 division, 4 serial, 1 check);
                // 食品经营许可证 JY + 14 digits (1 kind, 6 division, 6 serial, 1 check).
                if (producer)
                    std::snprintf(buf, sizeof buf, "SC1%s%s%05llu", trade.industry, county.code.c_str(),
                                  static_cast<unsigned long long>(rng.below(100'000)));
                else
                    std::snprintf(buf, sizeof buf, "JY2%s%07llu", county.code.c_str(),
                                  static_cast<unsigned long long>(rng.below(10'000'000)));
                licence = buf;
            }
            char geom[80];
            std::snprintf(geom, sizeof geom, "SRID=4326;POINT(%.7f %.7f)", pt->lon, pt->lat);
            copy << std::make_tuple(code.c_str(), name.c_str(), address.c_str(), phone.c_str(), county.code.c_str(),
                                    nature.c_str(), type_code.c_str(), trade.industry, risk.c_str(),
                                    credit_level.c_str(), legal.c_str(), licence.empty() ? nullptr : licence.c_str(),
                                    static_cast<const char*>(geom));
        }
        copy.complete();
        b.summary.enterprises = end;
        if (progress) progress(end, total);
    }
    add_demo_accounts(tx, city.id);
    add_demo_water(tx);
    tx.commit();
    return b.summary;
}

}  // namespace twindraw::demo
