#!/usr/bin/env python3
"""Where run 7's Countdown-3 searches go wrong: checks every line of `sharpseek eval --task countdown3 --samples F`
completions written in the digit-comparison form (CountdownTask.SearchLast) and counts the wrong ones by kind.
  work     "a op b: columns, so v" / "a op b = v" (also after "? + z needs "): v is not a op b
  copy     "X vs Y: ...": X is not the value just worked out, or Y is not one of the needs of this "Try z last"
  verdict  "X vs Y: ..., same|no.": the verdict disagrees with X == Y
  so       "So expr = T.": expr does not use the numbers once each or does not make T
For the wrong samples, the kind of the first wrong line (or "search" when every line is right but the search
stopped, skipped a value or answered differently).
Usage: python3 tools/r1/countdown_steps.py SAMPLES.jsonl
"""
import json, re, sys
from collections import Counter
from fractions import Fraction

WORK = re.compile(r"(\d+) ([-+*/]) (\d+)(?:: .*, so | = )(\d+)$")
CMP = re.compile(r"(\d+) vs (\d+): .*, (same|no)\.$")
SO = re.compile(r"So (.+) = (\d+)\.$")
NUMS = re.compile(r"Using the numbers ([\d, ]+), make (\d+)\.")


def value(a, op, b):
    a, b = int(a), int(b)
    if op == "/": return Fraction(a, b) if b else None
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def check(sample):
    nums, target = NUMS.search(sample["prompt"]).groups()
    nums = sorted(int(x) for x in nums.split(","))
    needs, last, errors = [], None, []
    for line in sample["completion"].split("</think>")[0].split("\n"):
        line = line.strip().rstrip(".")
        if line.startswith("Try "): needs = []
        body = line.split(" needs ", 1)[1] if " needs " in line else line
        if m := WORK.match(body):
            ok = value(m[1], m[2], m[3]) == int(m[4])
            if " needs " in line: needs.append(int(m[4]))
            else: last = int(m[4])
            if not ok: errors.append("work")
        elif m := CMP.match(line + "."):
            if int(m[1]) != last or int(m[2]) not in needs: errors.append("copy")
            if (m[1] == m[2]) != (m[3] == "same"): errors.append("verdict")
        elif m := SO.match(line + "."):
            expr = m[1]
            used = sorted(int(x) for x in re.findall(r"\d+", expr))
            try: ok = used == nums and int(m[2]) == int(target) and eval(expr.replace("/", "*1.0/")) == int(target)
            except ZeroDivisionError: ok = False
            if not ok: errors.append("so")
    return errors


def main(path):
    rows = [json.loads(l) for l in open(path)]
    kinds, first, lines_wrong = Counter(), Counter(), 0
    for r in rows:
        errs = check(r)
        kinds.update(errs)
        if not r["correct"]: first[errs[0] if errs else "search"] += 1
    wrong = sum(not r["correct"] for r in rows)
    print(f"{len(rows)} samples, {wrong} wrong; wrong lines by kind: {dict(kinds)}")
    print(f"first wrong line of the wrong samples: {dict(first)}")


if __name__ == "__main__":
    main(sys.argv[1])
