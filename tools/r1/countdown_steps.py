#!/usr/bin/env python3
"""Where Countdown-3 searches written with digit comparisons (runs 7 and 9, CountdownTask.SearchLast) go wrong:
checks every line of `sharpseek eval --task countdown3 --samples F` completions and counts the wrong ones by kind.
  work      "a op b: columns, so v" / "a op b = v" / "a / b = q rR, so q" (also after "? + z needs "): a wrong value
            or remainder, "not whole" for a whole quotient (or the reverse), "too big" for a product under 1,000
  order     "071 vs 072: ..., less|more|same." (run 9): the verdict disagrees with the numbers
  decision  a need whose form the numbers rule out: `? + z` with z ≥ T, `z - ?` with z ≤ T, `? * z` / `z / ?` with
            a quotient that is not whole but no remainder written (run 7 wrote these lines only when they held)
  copy      "X vs Y: ...": X is not the value just worked out, or Y is not one of the needs of this "Try z last"
  verdict   "X vs Y: ..., same|no.": the verdict disagrees with X == Y
  so        "So expr = T.": expr does not use the numbers once each or does not make T
For the wrong samples, the kind of the first wrong line (or "search" when every line is right but the search
stopped, skipped a value or answered differently).
Usage: python3 tools/r1/countdown_steps.py SAMPLES.jsonl
"""
import json, re, sys
from collections import Counter
from fractions import Fraction

WORK = re.compile(r"(\d+) ([-+*/]) (\d+)(?:: .*, so | = )(\d+)(, too big)?$")
NOT_WHOLE = re.compile(r"(\d+) / (\d+)(?:: .*| = (\d+) r(\d+)), not whole$")
DIV_ONE_STEP = re.compile(r"(\d+) / (\d+) = (\d+) r(\d+), so (\d+)$")
CMP = re.compile(r"(\d+) vs (\d+): .*, (same|no)$")
ORDER = re.compile(r"(\d+) vs (\d+): .*, (less|more|same)$")
SO = re.compile(r"So (.+) = (\d+)$")
NUMS = re.compile(r"Using the numbers ([\d, ]+), make (\d+)\.")
TRY = re.compile(r"Try (\d+) last, target (\d+)$")
NEED = re.compile(r"(\?|\d+) ([-+*/]) (\?|\d+) needs ")


def value(a, op, b):
    a, b = int(a), int(b)
    if op == "/": return Fraction(a, b) if b else None
    return {"+": a + b, "-": a - b, "*": a * b}[op]


def decision_error(line, z, t):
    m = NEED.match(line)
    if not m or z is None: return False
    left, op, right = m.groups()
    if left == "?" and op == "+": return z >= t
    if right == "?" and op == "-": return z <= t
    if op in "*/" and "not whole" not in line and " r" not in line:   # run 7: written only when whole
        return (left == "?" and op == "*" and t % z != 0) or (right == "?" and op == "/" and z % t != 0)
    return False


def check(sample):
    nums, target = NUMS.search(sample["prompt"]).groups()
    nums = sorted(int(x) for x in nums.split(","))
    needs, last, errors, z, t, prev = [], None, [], None, int(target), ""
    for line in sample["completion"].split("</think>")[0].split("\n"):
        line, after = line.strip().rstrip("."), prev
        prev = line
        if m := TRY.match(line): z, needs = int(m[1]), []; continue
        if decision_error(line, z, t): errors.append("decision")
        is_need = " needs " in line
        body = line.split(" needs ", 1)[1] if is_need else line
        if m := NOT_WHOLE.match(body):
            a, b = int(m[1]), int(m[2])
            ok = b != 0 and a % b != 0 and (m[3] is None or (int(m[3]), int(m[4])) == divmod(a, b))
            if not ok: errors.append("work")
            continue
        if m := DIV_ONE_STEP.match(body):
            a, b = int(m[1]), int(m[2])
            ok = b != 0 and (int(m[3]), int(m[4])) == divmod(a, b) and a % b == 0 and int(m[5]) == a // b
            v = int(m[5])
        elif m := WORK.match(body):
            ok = value(m[1], m[2], m[3]) == int(m[4]) and (m[5] is None) == (int(m[4]) <= 999)
            v = None if m[5] else int(m[4])
        elif (after.startswith("Try ") or after.startswith("From ")) and (m := ORDER.match(line)):
            a, b = int(m[1]), int(m[2])
            if m[3] != ("less" if a < b else "more" if a > b else "same"): errors.append("order")
            continue
        elif m := CMP.match(line):
            if int(m[1]) != last or int(m[2]) not in needs: errors.append("copy")
            if (m[1] == m[2]) != (m[3] == "same"): errors.append("verdict")
            continue
        elif m := SO.match(line):
            expr = m[1]
            used = sorted(int(x) for x in re.findall(r"\d+", expr))
            try: ok = used == nums and int(m[2]) == t and eval(expr.replace("/", "*1.0/")) == t
            except ZeroDivisionError: ok = False
            if not ok: errors.append("so")
            continue
        else:
            continue
        if not ok: errors.append("work")
        if v is not None:
            if is_need: needs.append(v)
            else: last = v
    return errors


def main(path):
    rows = [json.loads(l) for l in open(path)]
    kinds, first = Counter(), Counter()
    for r in rows:
        errs = check(r)
        kinds.update(errs)
        if not r["correct"]: first[errs[0] if errs else "search"] += 1
    wrong = sum(not r["correct"] for r in rows)
    print(f"{len(rows)} samples, {wrong} wrong; wrong lines by kind: {dict(kinds)}")
    print(f"first wrong line of the wrong samples: {dict(first)}")


if __name__ == "__main__":
    main(sys.argv[1])
