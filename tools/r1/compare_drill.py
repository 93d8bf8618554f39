#!/usr/bin/env python3
"""The digit-aligned comparison drill of R1-RECIPE §7 (run 6): documents of lines like

    so 41. Needed 14, 41?
    041 vs 014: 0=0, 4!=1, no.
    041 vs 041: 0=0, 4=4, 1=1, same.
    Yes.

(values and needs in [0, 200], half the values needed, the rest near misses). Usage:
    python3 tools/r1/compare_drill.py OUT.jsonl SEED DOCUMENTS    → {"text": ...} lines for `sharpseek data`
"""
import json, random, sys
def near(n):
    s=str(n); k=random.randint(0,5)
    v=[int(s[::-1]), int(s[1:]) if len(s)>1 else n+100, n+100 if n<100 else n%100, n+random.choice([1,-1]), n+random.choice([10,-10]), random.randint(0,200)][k]
    return v if 0<=v<=200 else random.randint(0,200)
def line():
    L=random.sample(range(1,201), random.randint(1,3))
    v=random.choice(L) if random.random()<0.5 else near(random.choice(L))
    out=[f"so {v}. Needed {', '.join(map(str,L))}?"]
    hit=False
    for n in L:
        a,b=f"{v:03d}",f"{n:03d}"
        steps=[]
        for i in range(3):
            if a[i]==b[i]: steps.append(f"{a[i]}={b[i]}")
            else: steps.append(f"{a[i]}!={b[i]}"); break
        same=a==b; hit|=same
        out.append(f"{a} vs {b}: {', '.join(steps)}, {'same' if same else 'no'}.")
    out.append("Yes." if hit else "No.")
    return "\n".join(out), v, L, hit
if __name__=='__main__':
    random.seed(int(sys.argv[2])); n=int(sys.argv[3])
    with open(sys.argv[1],'w') as f:
        for d in range(n): f.write(json.dumps({"text":"\n".join(line()[0] for _ in range(6))})+"\n")
