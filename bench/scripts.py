"""Names across scripts: recall of original-script names against their Latin listing and back.

Reads the UN Security Council list (../shared/data/un/), which gives many listed parties both
a Latin name and the name in original script (Arabic, Cyrillic), and prints, per script and
direction, how many of those pairs the matcher finds at the default threshold, with today's
matcher (from git `main`) beside this working copy's in the same run. Also:

- negatives: different listed people whose original-script names share a first name (two
  different "محمد ..."), compared in the same script and across scripts: the false-match rate;
- a hand-written set of public names in Hebrew, Greek, Thai, Japanese, Korean and Chinese,
  with their usual Latin spelling, both directions.

    .venv/bin/python bench/scripts.py [--baseline-ref main]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import types
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from bench.baseline import load_matcher  # noqa: E402
from compliance import matcher as current  # noqa: E402
from compliance.normalise import script_of  # noqa: E402
from entities.importers.un import record_from_element  # noqa: E402

UN = ROOT / "../shared/data/un/un-consolidated-2026-02-27.xml"

# Public figures and companies as their own script writes them, and their usual Latin spelling.
OTHER_SCRIPTS: tuple[tuple[str, str, str], ...] = (
    ("Hebrew", "בנימין נתניהו", "Benjamin Netanyahu"),
    ("Hebrew", "יצחק רבין", "Yitzhak Rabin"),
    ("Hebrew", "שמעון פרס", "Shimon Peres"),
    ("Hebrew", "אריאל שרון", "Ariel Sharon"),
    ("Hebrew", "גולדה מאיר", "Golda Meir"),
    ("Hebrew", "אלביט מערכות", "Elbit Systems"),
    ("Greek", "Αλέξης Τσίπρας", "Alexis Tsipras"),
    ("Greek", "Κυριάκος Μητσοτάκης", "Kyriakos Mitsotakis"),
    ("Greek", "Γιάνης Βαρουφάκης", "Yanis Varoufakis"),
    ("Greek", "Ανδρέας Παπανδρέου", "Andreas Papandreou"),
    ("Greek", "Σωκράτης Κόκκαλης", "Sokratis Kokkalis"),
    ("Thai", "ทักษิณ ชินวัตร", "Thaksin Shinawatra"),
    ("Thai", "ประยุทธ์ จันทร์โอชา", "Prayut Chan-o-cha"),
    ("Thai", "ยิ่งลักษณ์ ชินวัตร", "Yingluck Shinawatra"),
    ("Thai", "อภิสิทธิ์ เวชชาชีวะ", "Abhisit Vejjajiva"),
    ("Thai", "เศรษฐา ทวีสิน", "Srettha Thavisin"),
    ("Japanese", "安倍晋三", "Abe Shinzo"),
    ("Japanese", "山田太郎", "Yamada Taro"),
    ("Japanese", "岸田文雄", "Kishida Fumio"),
    ("Japanese", "麻原彰晃", "Asahara Shoko"),
    ("Japanese", "オウム真理教", "Aum Shinrikyo"),
    ("Japanese", "ヤマダ タロウ", "Yamada Taro"),
    ("Japanese", "トヨタ", "Toyota"),
    ("Korean", "김정은", "Kim Jong Un"),
    ("Korean", "김여정", "Kim Yo Jong"),
    ("Korean", "최룡해", "Choe Ryong Hae"),
    ("Korean", "문재인", "Moon Jae-in"),
    ("Korean", "박근혜", "Park Geun-hye"),
    ("Korean", "조선광선은행", "Korea Kwangson Banking"),
    ("Chinese", "习近平", "Xi Jinping"),
    ("Chinese", "华为技术有限公司", "Huawei Technologies Co., Ltd."),
    ("Chinese", "任正非", "Ren Zhengfei"),
    ("Chinese", "中兴通讯", "ZTE Zhongxing Telecommunications"),
    ("Cyrillic", "Владимир Путин", "Vladimir Putin"),
    ("Cyrillic", "Сергей Лавров", "Sergey Lavrov"),
    ("Cyrillic", "Ростех", "Rostec"),
    ("Persian", "علی خامنه‌ای", "Ali Khamenei"),
    ("Persian", "محمد جواد ظریف", "Mohammad Javad Zarif"),
    ("Persian", "قاسم سلیمانی", "Qasem Soleimani"),
)


def un_pairs() -> list[tuple[str, str, str, str]]:
    """(key, script, original-script name, Latin name) of every UN party that has both."""
    root = ET.parse(UN).getroot()  # noqa: S314 (our own copy of the official file)
    out = []
    for group, kind in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        for element in root.iterfind(f"{group}/{kind}"):
            original = " ".join((element.findtext("NAME_ORIGINAL_SCRIPT") or "").split())
            script = script_of(original)
            if original and script:
                record = record_from_element(element, kind)
                out.append((record.key, script, original, record.name))
    return out


def latin_candidates(m: types.ModuleType) -> list[object]:
    """Every UN party under its Latin name and Latin aliases (no original-script names)."""
    root = ET.parse(UN).getroot()  # noqa: S314 (our own copy of the official file)
    out = []
    for group, kind in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        for element in root.iterfind(f"{group}/{kind}"):
            record = record_from_element(element, kind)
            aliases = tuple(a for a in record.aliases if script_of(a) is None)
            out.append(m.Candidate(key=record.key, name=record.name, aliases=aliases, source="UN"))
    return out


def recall(m: types.ModuleType, pairs: list[tuple[str, str, str, str]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Found / total per direction and script, searching an index as screening does."""
    threshold = m.DEFAULT_THRESHOLD
    latin_index = m.Index.build(latin_candidates(m))
    original_index = m.Index.build(m.Candidate(key=k, name=o, source="UN") for k, _, o, _ in pairs)
    found: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for key, script, original, latin in pairs:
        for direction, index, query in (
            ("original -> Latin", latin_index, original),
            ("Latin -> original", original_index, latin),
        ):
            keys = {match.key for match in index.search(query, threshold=threshold, limit=10)}
            cell = found[direction][script]
            cell[0] += key in keys
            cell[1] += 1
    return {d: {s: (c[0], c[1]) for s, c in by.items()} for d, by in found.items()}


def negatives(pairs: list[tuple[str, str, str, str]], limit: int = 3000) -> list[tuple[str, str, str, str]]:
    """Different parties whose original-script names start with the same word."""
    by_first: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for pair in pairs:
        by_first[pair[2].split()[0]].append(pair)
    out = []
    for group in by_first.values():
        for a, b in itertools.combinations(group, 2):
            if a[0] != b[0] and a[3] != b[3]:
                out.append((a[2], b[2], a[2], b[3]))
    return out[:limit]


def false_rate(m: types.ModuleType, negs: list[tuple[str, str, str, str]]) -> tuple[float, float, int]:
    threshold = m.DEFAULT_THRESHOLD
    same = sum(m.score_pair(a, b)[0] >= threshold for a, b, _, _ in negs)
    cross = sum(m.score_pair(a, b)[0] >= threshold for _, _, a, b in negs)
    n = max(1, len(negs))
    return same / n, cross / n, len(negs)


def other_scripts(m: types.ModuleType) -> dict[str, tuple[int, int]]:
    threshold = m.DEFAULT_THRESHOLD
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for script, original, latin in OTHER_SCRIPTS:
        for a, b in ((original, latin), (latin, original)):
            out[script][0] += m.score_pair(a, b)[0] >= threshold
            out[script][1] += 1
    return {s: (c[0], c[1]) for s, c in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-ref", default="main")
    args = parser.parse_args()
    if not UN.exists():
        sys.exit(f"{UN} is missing: the UN list is needed for this benchmark")
    baseline = load_matcher(args.baseline_ref)
    pairs = un_pairs()
    negs = negatives(pairs)
    print(f"UN list: {len(pairs)} parties with an original-script name; {len(negs)} same-first-name negatives")
    print(f"threshold {current.DEFAULT_THRESHOLD:.2f}; target: recall >= 0.90 each direction, false matches <= 0.02\n")
    results = {}
    for label, m in ((f"today ({args.baseline_ref})", baseline), ("this branch", current)):
        start = time.perf_counter()
        results[label] = (recall(m, pairs), false_rate(m, negs), other_scripts(m), time.perf_counter() - start)
    labels = list(results)
    print(f"{'UN pairs, found at the threshold':<44}" + "".join(f"{label:>22}" for label in labels))
    for direction in ("original -> Latin", "Latin -> original"):
        scripts = sorted(results[labels[-1]][0][direction])
        totals = {label: [0, 0] for label in labels}
        for script in scripts:
            row = f"  {direction}, {script:<18}"
            for label in labels:
                hit, n = results[label][0][direction].get(script, (0, 0))
                totals[label][0] += hit
                totals[label][1] += n
                row += f"{f'{hit}/{n} ({hit / n:.3f})':>22}"
            print(f"{row:<44}" if len(row) < 44 else row)
        row = f"  {direction}, all"
        print(f"{row:<44}" + "".join(f"{f'{t[0]}/{t[1]} ({t[0] / t[1]:.3f})':>22}" for t in totals.values()))
    print(f"\n{'negatives, false-match rate':<44}" + "".join(f"{label:>22}" for label in labels))
    for i, kind in enumerate(("same script (original vs original)", "across scripts (original vs Latin)")):
        print(f"  {kind:<42}" + "".join(f"{results[label][1][i]:>22.4f}" for label in labels))
    print(f"\n{'public names, both directions':<44}" + "".join(f"{label:>22}" for label in labels))
    for script in sorted(results[labels[-1]][2]):
        cells = [results[label][2].get(script, (0, 0)) for label in labels]
        print(f"  {script:<42}" + "".join(f"{f'{h}/{n}':>22}" for h, n in cells))
    print("\nseconds for all of the above: " + ", ".join(f"{label} {results[label][3]:.1f}" for label in labels))


if __name__ == "__main__":
    main()
