#!/usr/bin/env python3
# Recomputes a TwinDraw draw record (docs/draw-algorithm.md); exit 0 when it matches.
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

def recompute(r):
    strata, at = [], 0
    for s in r["strata"]:
        strata.append((s["label"], r["candidates"][at:at + s["population"]])); at += s["population"]
    od = digest(strata)
    seed = H(od, bytes.fromhex(r["entropy"]))
    sel = {l: smallest(seed, l, ids, quota(len(ids), s, r["cap_bp"]))
           for (l, ids), s in zip(strata, r["strata"]) if "ratio_bp" in s or "count" in s}
    n, m = r["groups"], r["per_group"]
    objs = smallest(seed, "group", [i for l in sorted(sel) for i in sel[l]], 10**18)
    groups = [{"no": g + 1, "leader": None, "members": [], "objects": objs[g::n]} for g in range(n)]
    pools = [(p["label"], p["ids"]) for p in r["inspector_pools"]]
    idg = digest(pools)
    if m:
        s2 = H(seed, idg)
        pool = dict(pools)
        leaders = smallest(s2, "leader", pool.get("leader", []), n)
        rest = [i for i in pool.get("member", []) if i not in leaders]
        members = smallest(s2, "member", rest, n * (m - 1))
        for g in range(n):
            groups[g]["leader"] = leaders[g]; groups[g]["members"] = members[g::n]
    return od.hex(), seed.hex(), sel, idg.hex(), groups

r = json.load(open(sys.argv[1]))
if r.get("cross_district"):
    sys.exit("本脚本未实现所所交叉规则（cross_district），请用 twindraw draw verify")
od, seed, sel, idg, groups = recompute(r)
ok = (od == r["object_digest"] and seed == r["seed"] and idg == r["inspector_digest"]
      and all(sel.get(s["label"], []) == s.get("selected", []) for s in r["strata"])
      and groups == r["result_groups"])
print("一致：抽取结果可复核" if ok else "不一致：记录与重算结果不符")
sys.exit(0 if ok else 1)
