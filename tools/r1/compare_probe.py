#!/usr/bin/env python3
"""Probe a model trained on tools/r1/compare_drill.py documents: 30 held-out lines (seed 123), each after two lines of
context, greedy; counts verdicts (Yes./No.) and comparison lines written exactly right.
Usage: python3 tools/r1/compare_probe.py MODEL_DIR TOKENIZER_DIR   (after dotnet build -c Release src/SharpSeek.Cli)
"""
import json, os, random, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); import compare_drill as gen
model, tokenizer = sys.argv[1], sys.argv[2]; random.seed(123)
cli = os.path.join(os.path.dirname(os.path.abspath(__file__)), '../../src/SharpSeek.Cli/bin/Release/net10.0/sharpseek.dll')
ok = n = 0; okc = nc = 0; shown = 0
for i in range(30):
    ctx = "\n".join(gen.line()[0] for _ in range(2))
    text, v, L, hit = gen.line()
    prompt = ctx + "\n" + text.split("\n")[0] + "\n"
    out = subprocess.run(["dotnet", cli, "generate", "--model", model, "--tokenizer", tokenizer,
                          "--prompt", prompt, "--max-tokens", str(40 * len(L) + 10), "--json"], capture_output=True, text=True).stdout
    gen_text = json.loads(out)["text"]
    lines = gen_text.split("\n")
    verdict = next((l for l in lines if l in ("Yes.", "No.")), None)
    n += 1; ok += (verdict == ("Yes." if hit else "No."))
    want = text.split("\n")[1:-1]; got = lines[:len(want)]
    nc += len(want); okc += sum(a == b for a, b in zip(want, got))
    if shown < 3 and verdict != ("Yes." if hit else "No."): print(prompt.split("\n")[-2], "|", gen_text[:160].replace("\n", " / ")); shown += 1
print(f"verdicts {ok}/{n}, comparison lines exactly right {okc}/{nc}")
