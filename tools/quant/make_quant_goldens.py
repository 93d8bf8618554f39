#!/usr/bin/python3
"""Golden blocks for SharpSeek's ggml quant formats, made by llama.cpp's own numpy reference (gguf-py quants.py).

usage: /usr/bin/python3 tools/quant/make_quant_goldens.py /path/to/llama.cpp [out_dir]

Imports gguf-py from the llama.cpp checkout given as the argument (nothing of it is copied here) and writes,
per type T, into tests/fixtures/quant/:
  T.input.f32      float32 values fed to gguf-py's quantize (where it implements T)
  T.quant.bin      the bytes gguf-py's quantize produced from T.input.f32
  T.blocks.bin     blocks to dequantize: T.quant.bin followed by random blocks with finite scales
  T.dequant.f32    gguf-py's dequantize of T.blocks.bin
and manifest.json (types, value counts, which files exist, llama.cpp commit, numpy version).
Rerun after changing the generator; tests/SharpSeek.Tensors.Tests/QuantGoldenTests.cs reads these files.
"""
import json
import os
import subprocess
import sys

import numpy as np

SEED = 20250601
QK_K = 256


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    llama = os.path.abspath(sys.argv[1])
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "quant")
    sys.path.insert(0, os.path.join(llama, "gguf-py"))
    from gguf import quants  # noqa: E402  (llama.cpp's reference, from the checkout)
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType as T  # noqa: E402

    commit = os.environ.get("LLAMA_CPP_COMMIT", "")     # for a checkout without .git
    if not commit:
        try:
            commit = subprocess.run(["git", "-C", llama, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        except OSError:
            commit = ""
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    manifest = {"generator": "tools/quant/make_quant_goldens.py", "llama_cpp_commit": commit or "unknown",
                "numpy": np.__version__, "seed": SEED, "types": {}}

    for t in [T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_K, T.Q6_K, T.Q5_0, T.Q5_1]:   # new types go last: one rng
                                                                           # stream, so earlier fixtures stay the same
        block, type_size = GGML_QUANT_SIZES[t]
        n = 64 * block if block == 32 else 16 * block if block > 1 else 1024
        x = inputs(rng, n, t)
        entry = {"n": n, "block_size": block, "block_bytes": type_size}
        can_quantize = t in (T.F16, T.BF16) or hasattr(quants._type_traits[t], "quantize_blocks") and \
            "quantize_blocks" in quants._type_traits[t].__dict__
        blocks = []
        if can_quantize:
            with np.errstate(over="ignore"):                # 1e5 and 3.4e38 overflow to inf in f16, as intended
                q = np.ascontiguousarray(quants.quantize(x, t)).view(np.uint8).ravel()
            x.tofile(os.path.join(out, f"{t.name}.input.f32"))
            q.tofile(os.path.join(out, f"{t.name}.quant.bin"))
            blocks.append(q)
        entry["quantize"] = bool(can_quantize)
        blocks.append(random_blocks(rng, t, 16 if block > 1 else 512))
        b = np.concatenate(blocks)
        b.tofile(os.path.join(out, f"{t.name}.blocks.bin"))
        if t == T.F16:
            d = quants.dequantize(b.view(np.float16), t)
        else:
            d = quants.dequantize(b.reshape(-1, type_size if block > 1 else 2), t).astype(np.float32)
        np.ascontiguousarray(d).ravel().tofile(os.path.join(out, f"{t.name}.dequant.f32"))
        entry["blocks_values"] = int(d.size)
        manifest["types"][t.name] = entry
        print(f"{t.name}: {n} quantized values ({'quantize+' if can_quantize else ''}dequantize), {d.size} dequantized")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def inputs(rng, n, t):
    """Gaussian rows with outliers, a constant run, an all-zero block, tiny and large magnitudes."""
    x = rng.standard_normal(n).astype(np.float32)
    x[rng.integers(0, n, n // 64)] *= 20                   # outliers drive the block scale
    blk = 32 if t.name in ("Q8_0", "Q4_0", "Q5_0", "Q5_1") else max(32, n // 16)
    x[0:blk] = 0                                           # all-zero block: d = 0 path
    x[blk:2 * blk] = 0.5                                   # constant block
    x[2 * blk:3 * blk] *= 1e-6                             # tiny values
    x[3 * blk:4 * blk] = np.abs(x[3 * blk:4 * blk])        # one-signed block (Q4_K min = 0)
    x[4 * blk:5 * blk] *= 1e3                              # large values
    if t.name in ("F16", "BF16"):                          # special values survive the float types
        special = [np.inf, -np.inf, np.nan, -0.0, 0.0, 65504.0, 65520.0, 1e5, 6e-8, 3e-8, 1e-40, -1e-45,
                   np.float32(3.4e38), 2.0 ** -14, 2.0 ** -24, 1.00048828125]
        x[5 * blk:5 * blk + len(special)] = np.array(special, dtype=np.float32)
    return x


def random_blocks(rng, t, count):
    """Random block bytes whose f16/f32 scale fields are finite (so NaN payloads never enter the goldens)."""
    from gguf.constants import GGML_QUANT_SIZES
    block, size = GGML_QUANT_SIZES[t]
    if block == 1:                                          # F16 / BF16: random finite bit patterns
        bits = rng.integers(0, 65536, count, dtype=np.uint32).astype(np.uint16)
        exp_mask = 0x7C00 if t.name == "F16" else 0x7F80
        bits = np.where((bits & exp_mask) == exp_mask, bits & ~np.uint16(0x4000), bits).astype(np.uint16)
        return bits.view(np.uint8)
    b = rng.integers(0, 256, (count, size), dtype=np.uint32).astype(np.uint8)

    def f16(k):  # k random finite f16 scales: mostly normal, some subnormal and zero
        v = (rng.standard_normal(k) * 0.01).astype(np.float16)
        v[0] = np.float16(0)
        v[1] = np.float16(3e-6)    # subnormal
        return v.view(np.uint8).reshape(k, 2)

    if t.name in ("Q8_0", "Q4_0", "Q5_0"):
        b[:, 0:2] = f16(count)
    elif t.name == "Q5_1":
        b[:, 0:2] = f16(count)
        b[:, 2:4] = f16(count)
    elif t.name == "Q4_K":
        b[:, 0:2] = f16(count)
        b[:, 2:4] = f16(count)
    elif t.name == "Q6_K":
        b[:, 208:210] = f16(count)
    return b.ravel()


if __name__ == "__main__":
    main()
