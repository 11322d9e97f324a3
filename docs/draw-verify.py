#!/usr/bin/env python3
# Recomputes a TwinDraw draw record (docs/draw-algorithm.md), format twindraw-draw/1 or
# /2; exit 0 when it matches, 1 naming each differing field as `twindraw draw verify` does.
# Accepts record.json, the public route's answer ({"record": …}) or its "record" alone.
import hashlib, json, sys

def H(*parts): return hashlib.sha256(b"".join(parts)).digest()

def digest(strata):  # [(label, [ids])] in canonical order
    return H("".join(f"{l}:{i}\n" for l, ids in strata for i in ids).encode())

def key(seed, label, i): return H(seed, f"{label}:{i}".encode())

def smallest(seed, label, ids, k):
    return sorted(ids, key=lambda i: (key(seed, label, i), i))[:k]

def quota(pop, s, cap):
    k = -(-pop * s["ratio_bp"] // 10000) if "ratio_bp" in s else min(s["count"], pop)
    assert cap is None or k <= -(-pop * cap // 10000), "above cap"
    return k

def seed_of(r, od):
    e = bytes.fromhex(r["entropy"])
    if r["format"] == "twindraw-draw/1": return H(od, e)
    w = H(bytes.fromhex(r["witness"].strip().lower()))
    b = H(r["beacon"].strip().encode()) if r.get("beacon") is not None else b""
    return H(od, e, w, b)

def check(r):
    diff = []
    if r.get("format") not in ("twindraw-draw/1", "twindraw-draw/2"): return [("format", "格式不对")]
    if r.get("commitment_only"): return [("commitment_only", "只有承诺，尚无可复核的结果")]
    strata, at = [], 0
    for s in r["strata"]:
        strata.append((s["label"], r["candidates"][at:at + s["population"]])); at += s["population"]
    if strata != sorted((l, sorted(ids)) for l, ids in strata): diff.append(("candidates", "不是规范顺序"))
    od = digest(strata)
    if od.hex() != r["object_digest"]: diff.append(("object_digest", "候选名单摘要不符"))
    if r["format"] == "twindraw-draw/2" and H(bytes.fromhex(r["entropy"])).hex() != r["entropy_commitment"]:
        diff.append(("entropy_commitment", "熵与抽取前公布的承诺不符"))
    seed = seed_of(r, od)
    if seed.hex() != r["seed"]: diff.append(("seed", "随机种子不符"))
    sel = {l: smallest(seed, l, ids, quota(len(ids), s, r["cap_bp"]))
           for (l, ids), s in zip(strata, r["strata"]) if "ratio_bp" in s or "count" in s}
    for (l, ids), s in zip(strata, r["strata"]):
        if sel.get(l, []) != s.get("selected", []): diff.append((f"selected.{l}", f"层 {l} 的抽中对象不符"))
    n, m = r["groups"], r["per_group"]
    objs = smallest(seed, "group", [i for l in sorted(sel) for i in sel[l]], 10**18)
    groups = [{"no": g + 1, "leader": None, "members": [], "objects": objs[g::n]} for g in range(n)]
    pools = [(p["label"], p["ids"]) for p in r["inspector_pools"]]
    rec = [tuple(x) for x in r.get("recusals", [])]  # [inspector, object] frozen with the pools
    if rec != sorted(set(rec)): diff.append(("recusals", "回避名单不是规范顺序"))
    rec = sorted(set(rec))
    idg = H(("".join(f"{l}:{i}\n" for l, ids in sorted((l, sorted(ids)) for l, ids in pools) for i in ids)
             + "".join(f"recusal:{i}:{o}\n" for i, o in rec)).encode())
    if idg.hex() != r["inspector_digest"]: diff.append(("inspector_digest", "执法人员候选名单摘要不符"))
    if m:
        s2 = H(seed, idg)
        out = {i for i, o in rec if o in set(objs)}  # recused from a selected object
        pool = {l: [i for i in ids if i not in out] for l, ids in pools}
        leaders = smallest(s2, "leader", pool.get("leader", []), n)
        rest = [i for i in pool.get("member", []) if i not in leaders]
        members = smallest(s2, "member", rest, n * (m - 1))
        for g in range(n):
            groups[g]["leader"] = leaders[g]; groups[g]["members"] = members[g::n]
    given = r["result_groups"]
    if len(given) != len(groups): return diff + [("result_groups", "分组数量不符")]
    for g, (a, b) in enumerate(zip(groups, given)):
        for f in ("no", "leader", "members", "objects"):
            if a[f] != b.get(f, [] if f in ("members", "objects") else None):
                diff.append((f"result_groups[{g}].{f}", f"第 {g + 1} 组的 {f} 不符"))
    return diff

r = json.load(open(sys.argv[1], encoding="utf-8"))
if isinstance(r.get("record"), dict): r = r["record"]
if r.get("cross_district"):
    sys.exit("本脚本未实现所所交叉规则（cross_district），请用 twindraw draw verify")
d = check(r)
print("一致：抽取结果可复核" if not d else f"不一致：发现 {len(d)} 处不同")
for f, msg in d: print(f"  - [{f}] {msg}")
sys.exit(0 if not d else 1)
