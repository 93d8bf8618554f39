#!/usr/bin/env python3
"""How a model decides, in its Countdown-3 searches, whether a pair value is one of the needed values.

Reads `sharpseek eval --task countdown3 --samples F.jsonl` output (either trace form: run 3's "so V. It is needed."
or the restated "so V. Needed A, B? Yes/No.") and counts, over every pair value of every sample, whether the model
said "needed" and whether the value is among the needs the sample itself wrote above it — overall, by the value's
place in its block (1st = the sum, 2nd = the difference, ...) and by block (which number is tried last).
Also classifies the wrong samples (false column fact, wrong line result, false "needed", needed value passed over,
unfinished). Usage: python3 tools/r1/countdown_decisions.py SAMPLES.jsonl
"""
import collections, json, re, sys

def val(a, op, b):
    return {'+': a + b, '-': a - b, '*': a * b, '/': (a / b if b else None)}[op]

PAIR = re.compile(r'(?:(\? [+\-*/] \d+|\d+ [+\-*/] \?) needs )?(\d+) ([+\-*/]) (\d+):.* so (\d+)\.(?: (It is needed)\.| Needed ([\d, ]*)\? (Yes|No)\.)?')
COLUMN = re.compile(r'(?<![\d])(\d+)([+\-])(\d+)(?:([+\-])(\d+))?=(-?\d+)')

dec = collections.Counter(); wrong_kinds = collections.Counter(); n = wrong = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    n += 1
    text = r.get('completion', '')
    kinds = set(); needs = []; block = place = 0
    for ln in text.split('\n'):
        for f in COLUMN.finditer(ln):
            a, op, b, op2, c, res = f.groups()
            v = val(int(a), op, int(b))
            if op2: v = val(v, op2, int(c))
            if v != int(res): kinds.add('false column fact')
        if re.match(r'Try \d+ last', ln): needs = []; block += 1; place = 0
        m = PAIR.match(ln)
        if not m: continue
        a, op, b, res = int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5))
        if val(a, op, b) != res: kinds.add('line result wrong')
        if m.group(1): needs.append(res); continue
        place += 1
        said = bool(m.group(6)) or m.group(8) == 'Yes'
        truth = res in needs
        for key in ('all', f'place {place}', f'block {block}'): dec[(key, said, truth)] += 1
        if said and not truth: kinds.add('false "needed"')
        if truth and not said: kinds.add('needed value passed over')
    if r.get('correct'): continue
    wrong += 1
    if '</answer>' not in text: kinds.add('unfinished')
    for k in kinds or {'other'}: wrong_kinds[k] += 1

print(f'{n} samples, {wrong} wrong; wrong samples containing:')
for k, v in wrong_kinds.most_common(): print(f'  {v:4d} {k}')
print('pair-value decisions (said needed / is needed):')
keys = sorted({k for k, _, _ in dec}, key=lambda k: (k != 'all', k))
for k in keys:
    tp, fp, fn, tn = dec[(k, True, True)], dec[(k, True, False)], dec[(k, False, True)], dec[(k, False, False)]
    print(f'  {k:8s} n {tp + fp + fn + tn:4d}: said & is {tp:4d}, said & is not {fp:4d}, passed & is {fn:4d}, passed & is not {tn:4d}; '
          f'"needed" for a value not needed {fp / max(1, fp + tn):.2f}, needed value found {tp / max(1, tp + fn):.2f}')
