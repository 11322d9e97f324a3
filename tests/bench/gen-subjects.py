#!/usr/bin/env python3
"""Writes a CSV roster of N market subjects in central Chongqing to stdout, for the
import benchmark: valid, unique USCCs (GB 32100 check character, GB 11714 organisation
code check), Chinese names and addresses, WGS84 points, county codes. Deterministic."""
import random
import sys

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
COUNTIES = ["500103", "500104", "500105", "500106", "500107", "500108", "500112"]
WORDS = ["山城", "嘉陵", "长江", "解放碑", "朝天门", "磁器口", "观音桥", "南坪", "杨家坪", "大渡口"]
TRADES = ["火锅", "商贸", "餐饮", "建材", "科技", "物流", "食品", "药房", "超市", "五金"]
FORMS = ["有限公司", "有限责任公司", "店", "经营部", "股份有限公司"]


def org_check(body):
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(division, serial):
    body = "%08d" % serial
    first17 = "91" + division + body + org_check(body)
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return first17 + ALPHABET[(31 - total % 31) % 31]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    rnd = random.Random(20260101)
    out = sys.stdout
    out.write("统一社会信用代码,企业名称,所属区县,地址,经度,纬度,风险等级,信用等级\n")
    for i in range(n):
        division = COUNTIES[i % len(COUNTIES)]
        name = rnd.choice(WORDS) + rnd.choice(TRADES) + str(i) + rnd.choice(FORMS)
        lon = 106.30 + rnd.random() * 0.45
        lat = 29.40 + rnd.random() * 0.30
        out.write("%s,重庆%s,%s,重庆市某区某路%d号,%.6f,%.6f,%d,%s\n" % (
            uscc(division, i + 1), name, division, i % 999 + 1, lon, lat, rnd.randint(1, 4), rnd.choice("ABCD")))


if __name__ == "__main__":
    main()
