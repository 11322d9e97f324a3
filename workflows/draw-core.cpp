#include "workflows/draw-core.hpp"

#include "geo/error.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <queue>
#include <set>
#include <thread>

namespace twindraw::draw {

namespace {

constexpr const char* kFormat = "twindraw-draw/1";
constexpr const char* kFormat2 = "twindraw-draw/2";

// SHA-256 with the digest fetched once and a context reused per thread: OpenSSL 3's
// one-shot SHA256() looks the algorithm up on every call, which made a key cost about
// 490 ns instead of about 130 ns (7.35 M keys per draw at 10 M subjects).
class Sha256 {
public:
    Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
        if (!md_ || !ctx_) throw Error(Error::Kind::Internal, "sha256", "SHA-256 不可用");
    }
    ~Sha256() {
        EVP_MD_CTX_free(ctx_);
        EVP_MD_free(md_);
    }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void hash(const void* data, size_t n, unsigned char* out) {
        init();
        update(data, n);
        final(out);
    }
    void init() {
        if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1) fail();
    }
    void update(const void* data, size_t n) {
        if (EVP_DigestUpdate(ctx_, data, n) != 1) fail();
    }
    void final(unsigned char* out) {
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_, out, &len) != 1 || len != 32) fail();
    }

private:
    [[noreturn]] static void fail() { throw Error(Error::Kind::Internal, "sha256", "SHA-256 计算失败"); }
    EVP_MD* md_;
    EVP_MD_CTX* ctx_;
};

Sha256& thread_sha() {
    thread_local Sha256 sha;
    return sha;
}

Digest sha256_of(const void* data, size_t n) {
    Digest d;
    thread_sha().hash(data, n, d.data());
    return d;
}

Digest sha256_pair(const Digest& a, const Digest& b) {
    unsigned char buf[64];
    std::memcpy(buf, a.data(), 32);
    std::memcpy(buf + 32, b.data(), 32);
    return sha256_of(buf, sizeof buf);
}

// Keys are compared as big-endian numbers; equal keys (never seen in practice) by id.
struct Keyed {
    Digest key;
    long long id;
    bool operator<(const Keyed& o) const {
        int c = std::memcmp(key.data(), o.key.data(), 32);
        return c != 0 ? c < 0 : id < o.id;
    }
};

Error bad_record(const std::string& field, const std::string& what) {
    return invalid("bad_record", "抽取记录格式错误：" + what, field);
}

}  // namespace

std::string to_hex(const Digest& d) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (unsigned char c : d) {
        s.push_back(digits[c >> 4]);
        s.push_back(digits[c & 15]);
    }
    return s;
}

Digest from_hex(std::string_view hex, const std::string& field) {
    if (hex.size() != 64) throw invalid("bad_hex", "应为 64 位十六进制数字", field);
    Digest d;
    for (size_t i = 0; i < 32; ++i) {
        int v = 0;
        for (int h = 0; h < 2; ++h) {
            char c = hex[2 * i + static_cast<size_t>(h)];
            int n = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (n < 0) throw invalid("bad_hex", "应为 64 位十六进制数字", field);
            v = v * 16 + n;
        }
        d[i] = static_cast<unsigned char>(v);
    }
    return d;
}

bool valid_label(std::string_view label) {
    if (label.empty() || label.size() > 32) return false;
    return std::all_of(label.begin(), label.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

void canonicalise(std::vector<Stratum>& strata, bool disjoint) {
    std::sort(strata.begin(), strata.end(), [](const Stratum& a, const Stratum& b) { return a.label < b.label; });
    size_t total = 0;
    for (size_t i = 0; i < strata.size(); ++i) {
        if (!valid_label(strata[i].label))
            throw invalid("bad_stratum", "层标签只能由字母、数字、_ 和 - 组成（1 至 32 个字符）", "strata");
        if (i > 0 && strata[i].label == strata[i - 1].label)
            throw invalid("bad_stratum", "层标签重复：" + strata[i].label, "strata");
        auto& ids = strata[i].ids;
        std::sort(ids.begin(), ids.end());
        if (!ids.empty() && ids.front() <= 0) throw invalid("bad_candidate", "候选编号应为正整数", "candidates");
        if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
            throw invalid("duplicate_candidate", "候选名单中有重复编号", "candidates");
        total += ids.size();
    }
    if (disjoint && strata.size() > 1) {
        std::vector<long long> all;
        all.reserve(total);
        for (const auto& s : strata) all.insert(all.end(), s.ids.begin(), s.ids.end());
        std::sort(all.begin(), all.end());
        if (std::adjacent_find(all.begin(), all.end()) != all.end())
            throw invalid("duplicate_candidate", "同一候选出现在两个层中", "candidates");
    }
}

std::string canonical_text(const std::vector<Stratum>& strata) {
    std::string out;
    for (const auto& s : strata)
        for (long long id : s.ids) out += s.label + ":" + std::to_string(id) + "\n";
    return out;
}

Digest digest(const std::vector<Stratum>& strata) {
    auto& sha = thread_sha();
    sha.init();
    std::string buf;
    buf.reserve(1 << 16);
    char num[24];
    for (const auto& s : strata)
        for (long long id : s.ids) {
            buf += s.label;
            buf += ':';
            buf.append(num, static_cast<size_t>(std::to_chars(num, num + sizeof num, id).ptr - num));
            buf += '\n';
            if (buf.size() > 60000) {
                sha.update(buf.data(), buf.size());
                buf.clear();
            }
        }
    sha.update(buf.data(), buf.size());
    Digest d;
    sha.final(d.data());
    return d;
}

Digest inspector_digest(const std::vector<Stratum>& pools, const std::vector<Recusal>& recusals) {
    if (recusals.empty()) return digest(pools);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    const std::string text = canonical_text(pools);
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    for (const auto& x : recusals) {
        const std::string line = "recusal:" + std::to_string(x.inspector) + ":" + std::to_string(x.object) + "\n";
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(line.data()), line.size());
    }
    Digest d;
    crypto_hash_sha256_final(&st, d.data());
    return d;
}

Digest random_entropy() {
    if (sodium_init() < 0) throw Error(Error::Kind::Internal, "sodium_init", "随机数发生器初始化失败");
    Digest d;
    randombytes_buf(d.data(), d.size());
    return d;
}

Digest object_seed(const Digest& object_digest, const Digest& entropy) {
    return sha256_pair(object_digest, entropy);
}

Digest entropy_commitment(const Digest& entropy) {
    return sha256_of(entropy.data(), entropy.size());
}

std::string canonical_witness(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.size() < 16 || text.size() > 64 || text.size() % 2 != 0)
        throw invalid("bad_witness", "见证值应为 16 至 64 位（偶数位）十六进制数字，即至少 64 位二进制", "witness");
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c >= '0' && c <= '9')
            out.push_back(c);
        else if (c >= 'a' && c <= 'f')
            out.push_back(c);
        else if (c >= 'A' && c <= 'F')
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        else
            throw invalid("bad_witness", "见证值只能包含十六进制数字 0-9、a-f", "witness");
    }
    return out;
}

Digest witness_hash(const std::string& witness) {
    const std::string w = canonical_witness(witness);
    std::vector<unsigned char> bytes(w.size() / 2);
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<unsigned char>(nib(w[2 * i]) * 16 + nib(w[2 * i + 1]));
    return sha256_of(bytes.data(), bytes.size());
}

std::string canonical_beacon(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty() || text.size() > 200)
        throw invalid("bad_beacon", "公开信标值应为 1 至 200 个字节的文字", "beacon");
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) throw invalid("bad_beacon", "公开信标值不能包含控制字符", "beacon");
    return std::string(text);
}

Digest object_seed_v2(const Digest& object_digest, const Digest& entropy, const std::string& witness,
                      const std::optional<std::string>& beacon) {
    unsigned char buf[128];
    std::memcpy(buf, object_digest.data(), 32);
    std::memcpy(buf + 32, entropy.data(), 32);
    const Digest w = witness_hash(witness);
    std::memcpy(buf + 64, w.data(), 32);
    size_t n = 96;
    if (beacon) {
        const Digest b = sha256_of(beacon->data(), beacon->size());
        std::memcpy(buf + 96, b.data(), 32);
        n = 128;
    }
    return sha256_of(buf, n);
}

Digest inspector_seed(const Digest& seed, const Digest& inspector_digest) {
    return sha256_pair(seed, inspector_digest);
}

Digest draw_key(const Digest& seed, std::string_view label, long long id) {
    unsigned char buf[32 + 64];
    std::memcpy(buf, seed.data(), 32);
    size_t n = 32;
    const size_t take = std::min<size_t>(label.size(), 32);
    std::memcpy(buf + n, label.data(), take);
    n += take;
    buf[n++] = ':';
    n = static_cast<size_t>(std::to_chars(reinterpret_cast<char*>(buf + n), reinterpret_cast<char*>(buf + sizeof buf), id).ptr -
                            reinterpret_cast<char*>(buf));
    return sha256_of(buf, n);
}

std::vector<long long> smallest_k(const Digest& seed, std::string_view label, const std::vector<long long>& ids,
                                  size_t k) {
    k = std::min(k, ids.size());
    std::vector<long long> out;
    if (k == 0) return out;
    // A max-heap of the k smallest seen so far.
    std::priority_queue<Keyed> heap;
    for (long long id : ids) {
        Keyed e{draw_key(seed, label, id), id};
        if (heap.size() < k) {
            heap.push(e);
        } else if (e < heap.top()) {
            heap.pop();
            heap.push(e);
        }
    }
    out.resize(k);
    for (size_t i = k; i-- > 0;) {
        out[i] = heap.top().id;
        heap.pop();
    }
    return out;
}

long long quota_k(long long population, const Quota& quota, std::optional<long long> cap_bp) {
    if (quota.ratio_bp.has_value() == quota.count.has_value())
        throw invalid("bad_quota", "每层应给出抽取比例或抽取数量之一", "strata");
    long long k = 0;
    if (quota.ratio_bp) {
        if (*quota.ratio_bp < 1 || *quota.ratio_bp > 10000)
            throw invalid("bad_quota", "抽取比例应在 0.01% 至 100% 之间", "strata");
        k = (population * *quota.ratio_bp + 9999) / 10000;
    } else {
        if (*quota.count < 0) throw invalid("bad_quota", "抽取数量不能为负数", "strata");
        k = std::min(*quota.count, population);
    }
    if (cap_bp) {
        const long long cap = (population * *cap_bp + 9999) / 10000;
        if (k > cap)
            throw invalid("above_cap",
                          "一般检查事项的抽取比例不得超过上限 " + std::to_string(*cap_bp / 100) + "." +
                              (*cap_bp % 100 < 10 ? "0" : "") + std::to_string(*cap_bp % 100) + "%",
                          "strata");
    }
    return k;
}

std::vector<std::vector<long long>> assign_objects(const Digest& seed, const std::vector<long long>& objects, int n) {
    if (n < 1) throw invalid("bad_groups", "分组数量至少为 1", "groups");
    auto order = smallest_k(seed, "group", objects, objects.size());
    std::vector<std::vector<long long>> groups(static_cast<size_t>(n));
    for (size_t j = 0; j < order.size(); ++j) groups[j % static_cast<size_t>(n)].push_back(order[j]);
    return groups;
}

void draw_objects(Record& r, bool digest_known) {
    if (!digest_known) r.object_digest = digest(r.object_strata);
    r.seed = r.format == 2 ? object_seed_v2(r.object_digest, r.entropy, r.witness, r.beacon)
                           : object_seed(r.object_digest, r.entropy);
    r.selected.clear();
    // A quota of a stratum without candidates draws nothing. The strata are independent:
    // their keys are computed on two threads (the result does not depend on it).
    std::vector<std::pair<const Stratum*, size_t>> work;
    for (const auto& s : r.object_strata) {
        auto it = r.quotas.find(s.label);
        if (it == r.quotas.end()) continue;
        const long long k = quota_k(static_cast<long long>(s.ids.size()), it->second, r.cap_bp);
        work.emplace_back(&s, static_cast<size_t>(k));
    }
    std::vector<std::vector<long long>> picked(work.size());
    auto run = [&](size_t from, size_t step) {
        for (size_t i = from; i < work.size(); i += step)
            picked[i] = smallest_k(r.seed, work[i].first->label, work[i].first->ids, work[i].second);
    };
    size_t total = 0;
    for (const auto& w : work) total += w.first->ids.size();
    if (total > 100000 && work.size() > 1) {
        std::thread other(run, 1, 2);
        run(0, 2);
        other.join();
    } else {
        run(0, 1);
    }
    for (size_t i = 0; i < work.size(); ++i) r.selected[work[i].first->label] = std::move(picked[i]);
}

void draw_inspectors(Record& r) {
    if (r.groups < 1) throw invalid("bad_groups", "分组数量至少为 1", "groups");
    r.inspector_digest = inspector_digest(r.inspector_strata, r.recusals);
    std::vector<long long> objects;
    for (const auto& [label, ids] : r.selected) objects.insert(objects.end(), ids.begin(), ids.end());
    // People recused from a selected object take no part (the recusals were committed
    // with the pools, so the drawer cannot add or drop one after seeing the objects).
    std::set<long long> recused;
    if (!r.recusals.empty()) {
        const std::set<long long> chosen(objects.begin(), objects.end());
        for (const auto& x : r.recusals)
            if (chosen.count(x.object)) recused.insert(x.inspector);
    }
    r.result_groups.assign(static_cast<size_t>(r.groups), Group{});
    for (int g = 0; g < r.groups; ++g) r.result_groups[static_cast<size_t>(g)].no = g + 1;
    // Objects to groups, after the people are known (the cross-district rule needs them).
    auto place_objects = [&] {
        const size_t n = static_cast<size_t>(r.groups);
        const auto order = smallest_k(r.seed, "group", objects, objects.size());
        std::vector<std::set<long long>> offices(n);
        if (r.cross_district)
            for (size_t g = 0; g < n; ++g) {
                std::vector<long long> people = r.result_groups[g].members;
                if (r.result_groups[g].leader) people.push_back(r.result_groups[g].leader);
                for (long long p : people) {
                    auto it = r.inspector_offices.find(p);
                    if (it != r.inspector_offices.end() && it->second) offices[g].insert(it->second);
                }
            }
        for (size_t j = 0; j < order.size(); ++j) {
            const auto it = r.object_offices.find(order[j]);
            const long long office = r.cross_district && it != r.object_offices.end() ? it->second : 0;
            size_t g = j % n, tries = 0;
            while (office && offices[g].count(office) && ++tries < n) g = (g + 1) % n;
            if (office && offices[g].count(office))
                throw invalid(
                    "cross_district_impossible",
                    "所所交叉：对象 " + std::to_string(order[j]) + " 所属监管所的人员在每一组中都有，无法分配",
                    "groups");
            r.result_groups[g].objects.push_back(order[j]);
        }
    };
    if (r.per_group == 0) {
        place_objects();
        return;
    }
    if (r.per_group < 2) throw invalid("bad_per_group", "每组执法人员不少于 2 人", "per_group");
    const std::vector<long long> empty;
    const std::vector<long long>* leaders = &empty;
    const std::vector<long long>* members = &empty;
    for (const auto& s : r.inspector_strata) {
        if (s.label == "leader") leaders = &s.ids;
        if (s.label == "member") members = &s.ids;
    }
    std::vector<long long> leaders_left, members_left;
    if (!recused.empty()) {
        for (long long id : *leaders)
            if (!recused.count(id)) leaders_left.push_back(id);
        for (long long id : *members)
            if (!recused.count(id)) members_left.push_back(id);
        leaders = &leaders_left;
        members = &members_left;
    }
    const Digest seed = inspector_seed(r.seed, r.inspector_digest);
    const size_t n = static_cast<size_t>(r.groups);
    if (leaders->size() < n)
        throw invalid("too_few_leaders",
                      "组长库中符合条件的人员（" + std::to_string(leaders->size()) + " 人）少于分组数量", "groups");
    auto chosen = smallest_k(seed, "leader", *leaders, n);
    std::set<long long> taken(chosen.begin(), chosen.end());
    std::vector<long long> pool;
    pool.reserve(members->size());
    for (long long id : *members)
        if (!taken.count(id)) pool.push_back(id);
    const size_t need = n * static_cast<size_t>(r.per_group - 1);
    if (pool.size() < need)
        throw invalid("too_few_inspectors",
                      "符合条件的执法人员（除组长外 " + std::to_string(pool.size()) + " 人）少于所需的 " +
                          std::to_string(need) + " 人",
                      "per_group");
    auto picked = smallest_k(seed, "member", pool, need);
    for (size_t g = 0; g < n; ++g) r.result_groups[g].leader = chosen[g];
    for (size_t j = 0; j < picked.size(); ++j) r.result_groups[j % n].members.push_back(picked[j]);
    place_objects();
}

nlohmann::json to_json(const Record& r) {
    using nlohmann::json;
    json strata = json::array();
    std::vector<long long> candidates;
    for (const auto& s : r.object_strata) {
        json e = {{"label", s.label}, {"population", s.ids.size()}};
        auto q = r.quotas.find(s.label);
        if (q != r.quotas.end()) {
            if (q->second.ratio_bp) e["ratio_bp"] = *q->second.ratio_bp;
            if (q->second.count) e["count"] = *q->second.count;
        }
        auto sel = r.selected.find(s.label);
        e["k"] = sel == r.selected.end() ? 0 : sel->second.size();
        e["selected"] = sel == r.selected.end() ? json::array() : json(sel->second);
        strata.push_back(std::move(e));
        candidates.insert(candidates.end(), s.ids.begin(), s.ids.end());
    }
    json pools = json::array();
    for (const auto& s : r.inspector_strata) pools.push_back({{"label", s.label}, {"ids", s.ids}});
    json groups = json::array();
    for (const auto& g : r.result_groups)
        groups.push_back({{"no", g.no},
                          {"leader", g.leader ? json(g.leader) : json()},
                          {"members", g.members},
                          {"objects", g.objects}});
    json out = {{"format", r.format == 2 ? kFormat2 : kFormat},
                {"object_kind", r.object_kind},
                {"cap_bp", r.cap_bp ? json(*r.cap_bp) : json()},
                {"strata", strata},
                {"candidates", candidates},
                {"object_digest", to_hex(r.object_digest)},
                {"entropy", to_hex(r.entropy)},
                {"seed", to_hex(r.seed)},
                {"groups", r.groups},
                {"per_group", r.per_group},
                {"inspector_pools", pools},
                {"inspector_digest", to_hex(r.inspector_digest)},
                {"result_groups", groups}};
    if (r.cross_district) {
        json oo = json::array(), io = json::array();
        for (const auto& [o, office] : r.object_offices) oo.push_back({o, office});
        for (const auto& [i, office] : r.inspector_offices) io.push_back({i, office});
        out["cross_district"] = true;
        out["object_offices"] = oo;
        out["inspector_offices"] = io;
    }
    if (!r.recusals.empty()) {
        json rc = json::array();
        for (const auto& x : r.recusals) rc.push_back({x.inspector, x.object});
        out["recusals"] = rc;
    }
    if (r.format == 2) {
        out["entropy_commitment"] = to_hex(r.entropy_commitment);
        out["witness"] = r.witness;
        out["beacon"] = r.beacon ? json(*r.beacon) : json();
        if (!r.log.is_null()) out["log"] = r.log;
    }
    return out;
}

Record from_json(const nlohmann::json& j) {
    using nlohmann::json;
    if (!j.is_object()) throw bad_record("", "应为 JSON 对象");
    const std::string format = j.contains("format") && j["format"].is_string() ? j["format"].get<std::string>() : "";
    if (format != kFormat && format != kFormat2)
        throw bad_record("format", "format 应为 " + std::string(kFormat) + " 或 " + std::string(kFormat2));
    auto need = [&](const char* key, json::value_t t) -> const json& {
        if (!j.contains(key)) throw bad_record(key, std::string("缺少字段 ") + key);
        const json& v = j.at(key);
        const bool ok = t == json::value_t::number_integer ? v.is_number_integer() : v.type() == t;
        if (!ok) throw bad_record(key, std::string("字段 ") + key + " 类型不对");
        return v;
    };
    auto hex = [&](const char* key) { return from_hex(need(key, json::value_t::string).get<std::string>(), key); };
    auto ids_of = [&](const json& a, const std::string& field) {
        if (!a.is_array()) throw bad_record(field, field + " 应为数组");
        std::vector<long long> ids;
        ids.reserve(a.size());
        for (const auto& v : a) {
            if (!v.is_number_integer()) throw bad_record(field, field + " 应为整数数组");
            ids.push_back(v.get<long long>());
        }
        return ids;
    };
    Record r;
    r.format = format == kFormat2 ? 2 : 1;
    r.object_kind = need("object_kind", json::value_t::string).get<std::string>();
    if (r.format == 2) {
        r.entropy_commitment = hex("entropy_commitment");
        r.witness = need("witness", json::value_t::string).get<std::string>();
        try {
            r.witness = canonical_witness(r.witness);
        } catch (const Error& e) {
            throw bad_record("witness", e.message());
        }
        if (j.contains("beacon") && !j["beacon"].is_null()) {
            if (!j["beacon"].is_string()) throw bad_record("beacon", "beacon 应为文字或 null");
            try {
                r.beacon = canonical_beacon(j["beacon"].get<std::string>());
            } catch (const Error& e) {
                throw bad_record("beacon", e.message());
            }
        }
        if (j.contains("log")) r.log = j["log"];
    }
    if (j.contains("cap_bp") && !j["cap_bp"].is_null()) {
        if (!j["cap_bp"].is_number_integer()) throw bad_record("cap_bp", "cap_bp 应为整数");
        r.cap_bp = j["cap_bp"].get<long long>();
    }
    const auto candidates = ids_of(need("candidates", json::value_t::array), "candidates");
    size_t at = 0;
    const auto& strata = need("strata", json::value_t::array);
    for (size_t i = 0; i < strata.size(); ++i) {
        const auto& s = strata[i];
        const std::string f = "strata[" + std::to_string(i) + "]";
        if (!s.is_object() || !s.contains("label") || !s["label"].is_string() || !s.contains("population") ||
            !s["population"].is_number_unsigned())
            throw bad_record(f, f + " 应有 label 与 population");
        Stratum st;
        st.label = s["label"].get<std::string>();
        const size_t pop = s["population"].get<size_t>();
        if (at + pop > candidates.size()) throw bad_record(f, "各层人数之和超过候选名单长度");
        st.ids.assign(candidates.begin() + static_cast<long>(at), candidates.begin() + static_cast<long>(at + pop));
        at += pop;
        Quota q;
        if (s.contains("ratio_bp")) {
            if (!s["ratio_bp"].is_number_integer()) throw bad_record(f, f + ".ratio_bp 应为整数");
            q.ratio_bp = s["ratio_bp"].get<long long>();
        }
        if (s.contains("count")) {
            if (!s["count"].is_number_integer()) throw bad_record(f, f + ".count 应为整数");
            q.count = s["count"].get<long long>();
        }
        if (q.ratio_bp || q.count) r.quotas[st.label] = q;
        if (s.contains("selected")) r.selected[st.label] = ids_of(s["selected"], f + ".selected");
        r.object_strata.push_back(std::move(st));
    }
    if (at != candidates.size()) throw bad_record("candidates", "候选名单长度与各层人数之和不一致");
    r.object_digest = hex("object_digest");
    r.entropy = hex("entropy");
    r.seed = hex("seed");
    r.groups = need("groups", json::value_t::number_integer).get<int>();
    r.per_group = need("per_group", json::value_t::number_integer).get<int>();
    const auto& pools = need("inspector_pools", json::value_t::array);
    for (size_t i = 0; i < pools.size(); ++i) {
        const std::string f = "inspector_pools[" + std::to_string(i) + "]";
        if (!pools[i].is_object() || !pools[i].contains("label") || !pools[i]["label"].is_string() ||
            !pools[i].contains("ids"))
            throw bad_record(f, f + " 应有 label 与 ids");
        r.inspector_strata.push_back({pools[i]["label"].get<std::string>(), ids_of(pools[i]["ids"], f + ".ids")});
    }
    r.inspector_digest = hex("inspector_digest");
    r.cross_district =
        j.contains("cross_district") && j["cross_district"].is_boolean() && j["cross_district"].get<bool>();
    auto pairs = [&](const char* key, std::map<long long, long long>& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_array()) throw bad_record(key, std::string(key) + " 应为 [编号, 监管所编号] 数组");
        for (const auto& p : j[key]) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer())
                throw bad_record(key, std::string(key) + " 应为 [编号, 监管所编号] 数组");
            out[p[0].get<long long>()] = p[1].get<long long>();
        }
    };
    pairs("object_offices", r.object_offices);
    pairs("inspector_offices", r.inspector_offices);
    if (j.contains("recusals") && !j["recusals"].is_null()) {
        if (!j["recusals"].is_array()) throw bad_record("recusals", "recusals 应为 [执法人员编号, 对象编号] 数组");
        for (const auto& p : j["recusals"]) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer() ||
                p[0].get<long long>() <= 0 || p[1].get<long long>() <= 0)
                throw bad_record("recusals", "recusals 应为 [执法人员编号, 对象编号] 数组（正整数）");
            r.recusals.push_back({p[0].get<long long>(), p[1].get<long long>()});
        }
    }
    const auto& groups = need("result_groups", json::value_t::array);
    for (size_t i = 0; i < groups.size(); ++i) {
        const auto& g = groups[i];
        const std::string f = "result_groups[" + std::to_string(i) + "]";
        if (!g.is_object() || !g.contains("no") || !g["no"].is_number_integer()) throw bad_record(f, f + " 应有 no");
        Group out;
        out.no = g["no"].get<int>();
        if (g.contains("leader") && !g["leader"].is_null()) {
            if (!g["leader"].is_number_integer()) throw bad_record(f, f + ".leader 应为整数");
            out.leader = g["leader"].get<long long>();
        }
        out.members = ids_of(g.value("members", json::array()), f + ".members");
        out.objects = ids_of(g.value("objects", json::array()), f + ".objects");
        r.result_groups.push_back(std::move(out));
    }
    return r;
}

namespace {

std::string ids_text(const std::vector<long long>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size() && i < 8; ++i) s += (i ? "," : "") + std::to_string(ids[i]);
    if (ids.size() > 8) s += ",…（共 " + std::to_string(ids.size()) + " 个）";
    return s + "]";
}

}  // namespace

Verification verify(const nlohmann::json& record) {
    Verification v;
    Record given;
    try {
        given = from_json(record);
    } catch (const Error& e) {
        v.differences.push_back({e.field(), e.message()});
        return v;
    }
    Record again = given;
    auto diff = [&](std::string field, std::string message) {
        v.differences.push_back({std::move(field), std::move(message)});
    };
    try {
        auto sorted = again.object_strata;
        canonicalise(sorted);
        for (size_t i = 0; i < sorted.size(); ++i)
            if (sorted[i].label != again.object_strata[i].label || sorted[i].ids != again.object_strata[i].ids) {
                diff("candidates", "候选名单不是规范顺序（层 " + again.object_strata[i].label + "）");
                break;
            }
        again.object_strata = sorted;
        auto pools = again.inspector_strata;
        canonicalise(pools, false);
        again.inspector_strata = pools;
        auto recusals = again.recusals;
        std::sort(recusals.begin(), recusals.end());
        recusals.erase(std::unique(recusals.begin(), recusals.end()), recusals.end());
        if (recusals != again.recusals) diff("recusals", "回避名单不是规范顺序（按执法人员编号、对象编号升序且不重复）");
        again.recusals = recusals;
        draw_objects(again);
        if (given.format == 2 && entropy_commitment(given.entropy) != given.entropy_commitment)
            diff("entropy_commitment", "熵与抽取前公布的承诺不符：SHA-256(熵) 为 " +
                                           to_hex(entropy_commitment(given.entropy)) + "，公布的承诺为 " +
                                           to_hex(given.entropy_commitment));
        if (again.object_digest != given.object_digest)
            diff("object_digest", "候选名单摘要不符：记录为 " + to_hex(given.object_digest) + "，按候选名单重算为 " +
                                      to_hex(again.object_digest));
        if (again.seed != given.seed)
            diff("seed", "随机种子不符：记录为 " + to_hex(given.seed) +
                             (given.format == 2 ? "，由候选名单摘要、熵、见证值与公开信标重算为 "
                                                : "，由候选名单摘要与熵重算为 ") +
                             to_hex(again.seed));
        // Select with the recorded seed too, so a seed difference does not hide the rest.
        std::set<std::string> labels;
        for (const auto& [l, ids] : given.selected) labels.insert(l);
        for (const auto& [l, ids] : again.selected) labels.insert(l);
        for (const auto& l : labels) {
            std::vector<long long> a = again.selected.count(l) ? again.selected[l] : std::vector<long long>{};
            std::vector<long long> b = given.selected.count(l) ? given.selected[l] : std::vector<long long>{};
            if (a != b)
                diff("selected." + l, "层 " + l + " 的抽中对象不符：记录为 " + ids_text(b) + "，重算为 " + ids_text(a));
        }
        draw_inspectors(again);
        if (again.inspector_digest != given.inspector_digest)
            diff("inspector_digest", "执法人员候选名单摘要不符：记录为 " + to_hex(given.inspector_digest) +
                                         "，重算为 " + to_hex(again.inspector_digest));
        if (again.result_groups.size() != given.result_groups.size()) {
            diff("result_groups", "分组数量不符：记录为 " + std::to_string(given.result_groups.size()) + "，重算为 " +
                                      std::to_string(again.result_groups.size()));
        } else {
            for (size_t g = 0; g < again.result_groups.size(); ++g) {
                const auto& a = again.result_groups[g];
                const auto& b = given.result_groups[g];
                const std::string f = "result_groups[" + std::to_string(g) + "]";
                const std::string name = "第 " + std::to_string(g + 1) + " 组";
                if (a.no != b.no) diff(f + ".no", name + "的组号不符");
                if (a.leader != b.leader)
                    diff(f + ".leader", name + "组长不符：记录为 " + std::to_string(b.leader) + "，重算为 " +
                                            std::to_string(a.leader));
                if (a.members != b.members)
                    diff(f + ".members",
                         name + "组员不符：记录为 " + ids_text(b.members) + "，重算为 " + ids_text(a.members));
                if (a.objects != b.objects)
                    diff(f + ".objects",
                         name + "检查对象不符：记录为 " + ids_text(b.objects) + "，重算为 " + ids_text(a.objects));
            }
        }
    } catch (const Error& e) {
        diff(e.field(), "无法按记录重算：" + e.message());
    }
    v.ok = v.differences.empty();
    return v;
}

}  // namespace twindraw::draw
