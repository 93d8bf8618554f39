#!/usr/bin/env python3
# Reference forwards (fp32 PyTorch) for DeepSeek-V3/V2, Qwen2 and Llama-3 that write the golden model fixtures
# under tests/fixtures/models/. Not a training or inference tool: tiny random models, one forward each.
#
# Run:  /usr/bin/python3 tools/make_fixtures.py            (needs only torch + numpy; deterministic; rerunnable)
# The semantics implemented here, and the reference source each comes from, are listed in tools/README.md.
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "models")
NOTE = "made by tools/make_fixtures.py; rerun it when the format changes"
TOL = 1e-4            # max abs logit error a correct fp32 implementation must meet on every fixture
MIN_MARGIN = 3e-5     # every routing decision is separated from the runner-up by at least this (score units)
SENSITIVE = 1e-3      # a semantics alternative must move the logits by more than this, or the fixture can't test it

torch.set_num_threads(2)


# ============================================================ safetensors (hand-written; no safetensors package)
# File = u64 little-endian header length N | N bytes of JSON header (space-padded to a multiple of 8) | data.
# Header: {"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]} } with offsets relative
# to the start of the data section. Tensors are laid out in header order, sorted like the safetensors library
# does (wider dtypes first, then by name) so every tensor starts at a multiple of its element size.

ITEMSIZE = {"F32": 4, "BF16": 2, "F16": 2, "F8_E4M3": 1}


def encode_tensor(t, dtype):
    """fp32 tensor -> (bytes as stored). F8_E4M3 takes a uint8 code tensor."""
    if dtype == "F32":
        return t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).contiguous().numpy().astype("<f2").tobytes()
    if dtype == "F8_E4M3":
        return t.to(torch.uint8).contiguous().numpy().tobytes()
    raise ValueError(dtype)


def decode_tensor(buf, dtype, shape):
    """bytes as stored -> fp32 torch tensor (F8_E4M3 -> its e4m3fn value, scale not applied)."""
    if dtype == "F32":
        a = np.frombuffer(buf, dtype="<f4").astype(np.float32)
    elif dtype == "BF16":
        a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    elif dtype == "F16":
        a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
    elif dtype == "F8_E4M3":
        a = e4m3_decode(np.frombuffer(buf, dtype=np.uint8))
    else:
        raise ValueError(dtype)
    return torch.from_numpy(a.copy()).reshape(shape)


def write_safetensors(path, entries):
    """entries: list of (name, dtype, shape, bytes). Returns total data bytes."""
    entries = sorted(entries, key=lambda e: (-ITEMSIZE[e[1]], e[0]))
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, dtype, shape, data in entries:
        assert len(data) == ITEMSIZE[dtype] * int(np.prod(shape, dtype=np.int64)), name
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        off += len(data)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for e in entries:
            f.write(e[3])
    return off


def read_safetensors(path):
    """-> {name: (dtype, shape, bytes)} read back from disk (used to compute goldens from weights as stored)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        b, e = h["data_offsets"]
        out[name] = (h["dtype"], tuple(h["shape"]), data[b:e])
    return out


# ============================================================ FP8 e4m3fn (torch here has no float8 dtype)
# e4m3fn: 1 sign, 4 exponent bits (bias 7), 3 mantissa bits, no infinities, only S.1111.111 is NaN, max 448.
# Encoding rounds to nearest, ties to even (what torch.float8_e4m3fn casts do). Codes 0..126 are monotone in value.

def _e4m3_table():
    v = np.zeros(128, dtype=np.float64)
    for c in range(128):
        e, m = c >> 3, c & 7
        v[c] = (m / 8.0) * 2.0 ** -6 if e == 0 else (1 + m / 8.0) * 2.0 ** (e - 7)
    v[127] = np.nan
    return v


E4M3 = _e4m3_table()


def e4m3_decode(codes):
    mag = E4M3[codes & 0x7F]
    return np.where(codes & 0x80, -mag, mag).astype(np.float32)


def e4m3_encode(x):
    x = np.asarray(x, dtype=np.float64)
    mag = np.minimum(np.abs(x), 448.0)
    finite = E4M3[:127]
    lo = np.clip(np.searchsorted(finite, mag, side="right") - 1, 0, 126)
    hi = np.minimum(lo + 1, 126)
    dlo, dhi = mag - finite[lo], finite[hi] - mag
    pick_hi = (dhi < dlo) | ((dhi == dlo) & (hi % 2 == 0) & (hi != lo))
    code = np.where(pick_hi, hi, lo).astype(np.uint8)
    return code | np.where(np.signbit(x), 0x80, 0).astype(np.uint8)


def check_e4m3():
    """Encoder self-test: every code round-trips; random values and exact midpoints match a brute-force
    nearest search with ties to the even code."""
    codes = np.array([c for c in range(256) if (c & 0x7F) != 0x7F], dtype=np.uint8)
    vals = e4m3_decode(codes)
    assert np.array_equal(e4m3_decode(e4m3_encode(vals)), vals)
    fin = E4M3[:127]
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-448, 448, 20000), rng.normal(0, 0.02, 20000), (fin[:-1] + fin[1:]) / 2])
    d = np.abs(fin[None, :] - np.abs(x)[:, None])
    best = d == d.min(1, keepdims=True)
    want = np.where(best.sum(1) == 1, best.argmax(1), np.where(best & (np.arange(127) % 2 == 0), 1, 0).argmax(1))
    assert np.array_equal(e4m3_encode(x) & 0x7F, want)


def fp8_block_quantize(w, block=128):
    """w [out, in] fp32 -> (codes uint8 [out, in], scale_inv fp32 [ceil(out/128), ceil(in/128)]).
    Per 128x128 block (ragged at the edges): scale_inv = amax/448, code = e4m3(w / scale_inv)."""
    o, i = w.shape
    so, si = -(-o // block), -(-i // block)
    wn = w.double().numpy()
    codes = np.zeros((o, i), dtype=np.uint8)
    scale = np.zeros((so, si), dtype=np.float32)
    for bi in range(so):
        for bj in range(si):
            blk = wn[bi * block:(bi + 1) * block, bj * block:(bj + 1) * block]
            s = np.float32(np.abs(blk).max() / 448.0) or np.float32(1.0)
            scale[bi, bj] = s
            codes[bi * block:(bi + 1) * block, bj * block:(bj + 1) * block] = e4m3_encode(blk / np.float64(s))
    return torch.from_numpy(codes), torch.from_numpy(scale)


def fp8_block_dequantize(wq, s, block=128):
    """inference/kernel.py weight_dequant: y[i, j] = x[i, j] * s[i // 128, j // 128], in fp32."""
    full = s.repeat_interleave(block, 0).repeat_interleave(block, 1)[: wq.shape[0], : wq.shape[1]]
    return wq * full


# ============================================================ shared ops

def rms_norm(x, w, eps):
    # HF: x * rsqrt(mean(x^2) + eps), then * weight (computed in the working dtype, fp32 for goldens)
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def linear(x, W, name):
    y = x @ W[name + ".weight"].T
    b = W.get(name + ".bias")
    return y if b is None else y + b


def swiglu_mlp(x, W, p):
    return linear(F.silu(linear(x, W, p + ".gate_proj")) * linear(x, W, p + ".up_proj"), W, p + ".down_proj")


def causal_attention(q, k, v, scale):
    # q [nh, T, d], k [nh, T, d], v [nh, T, dv] -> [T, nh*dv]
    T = q.shape[1]
    s = (q @ k.transpose(1, 2)) * scale
    s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    return (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, -1)


def rope_interleaved(x, cos, sin):
    # official inference/model.py apply_rotary_emb: pairs (x[2j], x[2j+1]) are one complex number rotated by freq j.
    # x [..., T, d], cos/sin [T, d/2]
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


def rope_half(x, cos, sin):
    # HF rotate_half layout: pairs (x[j], x[j + d/2]) rotated by freq j.
    h = x.shape[-1] // 2
    a, b = x[..., :h], x[..., h:]
    return torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)


def default_inv_freq(dim, theta):
    return [1.0 / theta ** (2 * j / dim) for j in range(dim // 2)]


def yarn_get_mscale(scale, mscale):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def yarn_inv_freq(dim, theta, rs):
    # official precompute_freqs_cis == HF DeepseekV3YarnRotaryEmbedding (floor/ceil correction range, clamp, ramp)
    factor, orig = rs["factor"], rs["original_max_position_embeddings"]
    beta_fast, beta_slow = rs.get("beta_fast", 32), rs.get("beta_slow", 1)

    def corr_dim(rot):
        return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(theta))

    low = max(math.floor(corr_dim(beta_fast)), 0)
    high = min(math.ceil(corr_dim(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    out = []
    for j, f in enumerate(default_inv_freq(dim, theta)):
        ramp = min(max((j - low) / (high - low), 0.0), 1.0)
        smooth = 1.0 - ramp                      # 1 = keep the original frequency, 0 = divide by factor
        out.append(f / factor * (1 - smooth) + f * smooth)
    return out


def llama3_inv_freq(dim, theta, rs):
    # transformers modeling_rope_utils._compute_llama3_parameters
    factor, lo_f, hi_f = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    lo_wl, hi_wl = old / lo_f, old / hi_f
    out = []
    for f in default_inv_freq(dim, theta):
        wl = 2 * math.pi / f
        if wl < hi_wl:
            out.append(f)
        elif wl > lo_wl:
            out.append(f / factor)
        else:
            s = (old / wl - lo_f) / (hi_f - lo_f)
            out.append((1 - s) * f / factor + s * f)
    return out


def rope_table(inv_freq, T, dtype, mult=1.0):
    # angles in float64, then cos/sin (times HF's cos/sin multiplier) rounded to the working dtype: [T, d/2]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * torch.tensor(inv_freq, dtype=torch.float64)[None, :]
    return (ang.cos() * mult).to(dtype), (ang.sin() * mult).to(dtype)


# ============================================================ DeepSeek V2 / V3 (MLA + DeepSeekMoE + MTP)
# Default options = the contract. The alternatives exist only so the script can prove each fixture is
# sensitive to each decision (see check_sensitivity).
DS_DEFAULT = dict(rope="interleaved", yarn_freq=True, attn_mscale=True, use_bias=True, group_limit=True,
                  norm_override=None, v2_rule="hub", mtp_hidden="post_norm", mtp_order="e_h", mtp_mask0=True,
                  absorb=False)


def ds_rope(cfg, T, dtype, opt):
    d = cfg["qk_rope_head_dim"]
    rs = cfg.get("rope_scaling")
    if rs and rs.get("type", rs.get("rope_type")) == "yarn":
        inv = yarn_inv_freq(d, cfg["rope_theta"], rs) if opt["yarn_freq"] else default_inv_freq(d, cfg["rope_theta"])
        # HF only: cos/sin *= get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim) (1.0 when equal)
        mult = (yarn_get_mscale(rs["factor"], rs.get("mscale", 1))
                / yarn_get_mscale(rs["factor"], rs.get("mscale_all_dim", 0)))
        return rope_table(inv, T, dtype, mult)
    assert rs is None, rs
    return rope_table(default_inv_freq(d, cfg["rope_theta"]), T, dtype)


def ds_softmax_scale(cfg, opt):
    scale = (cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]) ** -0.5
    rs = cfg.get("rope_scaling")
    if rs and opt["attn_mscale"] and rs.get("mscale_all_dim", 0):
        m = yarn_get_mscale(rs["factor"], rs["mscale_all_dim"])
        scale = scale * m * m
    return scale


def mla(cfg, W, p, x, cos, sin, opt):
    T = x.shape[0]
    nh, dn, dr, dv, r = (cfg["num_attention_heads"], cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"],
                         cfg["v_head_dim"], cfg["kv_lora_rank"])
    eps = cfg["rms_norm_eps"]
    if cfg.get("q_lora_rank") is None:
        q = linear(x, W, p + "q_proj")
    else:
        q = linear(rms_norm(linear(x, W, p + "q_a_proj"), W[p + "q_a_layernorm.weight"], eps), W, p + "q_b_proj")
    q = q.view(T, nh, dn + dr).transpose(0, 1)                          # [nh, T, dn+dr]
    q_nope, q_pe = q[..., :dn], q[..., dn:]
    kv = linear(x, W, p + "kv_a_proj_with_mqa")                          # [T, r + dr]
    latent = rms_norm(kv[:, :r], W[p + "kv_a_layernorm.weight"], eps)    # [T, r]
    k_pe = kv[:, r:]                                                     # [T, dr], one head shared by all
    if opt["rope"] == "hf":    # HF modeling_deepseek: de-interleave (even lanes, then odd), then rotate_half
        perm = torch.cat((torch.arange(0, dr, 2), torch.arange(1, dr, 2)))
        q_pe, k_pe = rope_half(q_pe[..., perm], cos, sin), rope_half(k_pe[..., perm], cos, sin)
    else:
        rot = rope_interleaved if opt["rope"] == "interleaved" else rope_half
        q_pe, k_pe = rot(q_pe, cos, sin), rot(k_pe, cos, sin)
    scale = ds_softmax_scale(cfg, opt)
    wkv_b = W[p + "kv_b_proj.weight"].view(nh, dn + dv, r)               # per head [k_nope rows | v rows]
    if not opt["absorb"]:
        kvb = (latent @ W[p + "kv_b_proj.weight"].T).view(T, nh, dn + dv).transpose(0, 1)
        k = torch.cat((kvb[..., :dn], k_pe.expand(nh, T, dr)), dim=-1)
        out = causal_attention(torch.cat((q_nope, q_pe), dim=-1), k, kvb[..., dn:], scale)
    else:  # weight-absorbed form (caches only latent + k_pe): must equal the naive one
        qa = q_nope @ wkv_b[:, :dn, :]                                   # [nh, T, r]
        s = (qa @ latent.T + q_pe @ k_pe.T) * scale
        s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        o = torch.softmax(s, dim=-1) @ latent                            # [nh, T, r]
        out = (o @ wkv_b[:, dn:, :].transpose(1, 2)).transpose(0, 1).reshape(T, -1)
    return linear(out, W, p + "o_proj")


def is_moe_layer(cfg, i):
    return (cfg.get("n_routed_experts") is not None and i >= cfg["first_k_dense_replace"]
            and i % cfg["moe_layer_freq"] == 0)


def route(cfg, choice, use_group):
    """choice [T, E] -> (idx [T, k] in descending order, group margin, expert margin, HF 0.0-mask agrees)."""
    T, E = choice.shape
    k, ng, tg, method = cfg["num_experts_per_tok"], cfg["n_group"], cfg["topk_group"], cfg["topk_method"]
    masked, masked0, gmargin = choice, choice, float("inf")
    if use_group and ng > 1 and method in ("noaux_tc", "group_limited_greedy"):
        g = choice.view(T, ng, E // ng)
        gs = g.topk(2, dim=-1).values.sum(-1) if method == "noaux_tc" else g.max(-1).values
        gsort = gs.sort(dim=-1, descending=True)
        if tg < ng:
            gmargin = float((gsort.values[:, tg - 1] - gsort.values[:, tg]).min())
        drop = torch.ones(T, ng, dtype=torch.bool).scatter_(1, gsort.indices[:, :tg], False)[..., None]
        masked = g.masked_fill(drop, float("-inf")).view(T, E)     # official inference/model.py
        masked0 = g.masked_fill(drop, 0.0).view(T, E)              # HF modeling_deepseek.py
    srt = masked.sort(dim=-1, descending=True)
    idx = srt.indices[:, :k]
    emargin = float((srt.values[:, k - 1] - srt.values[:, k]).min()) if k < E else float("inf")
    same0 = bool((masked0.topk(k, dim=-1).indices.sort(-1).values == idx.sort(-1).values).all())
    return idx, gmargin, emargin, same0


def moe(cfg, W, p, x, opt, rec):
    T = x.shape[0]
    v3 = cfg["model_type"] == "deepseek_v3"
    logits = x @ W[p + "gate.weight"].T                                   # [T, E]
    scores = logits.sigmoid() if cfg["scoring_func"] == "sigmoid" else torch.softmax(logits, dim=-1)
    bias = W.get(p + "gate.e_score_correction_bias") if cfg["topk_method"] == "noaux_tc" else None
    choice = scores + bias if (bias is not None and opt["use_bias"]) else scores   # bias: selection only
    if cfg["topk_method"] not in ("noaux_tc", "group_limited_greedy", "greedy"):
        raise ValueError(cfg["topk_method"])
    idx, gmargin, emargin, same0 = route(cfg, choice, opt["group_limit"])
    w = scores.gather(1, idx)                                             # weights from unbiased scores
    k = cfg["num_experts_per_tok"]
    norm = cfg["norm_topk_prob"] if opt["norm_override"] is None else opt["norm_override"]
    if v3:      # HF V3 MoEGate: normalise (if asked), then always * routed_scaling_factor
        if k > 1 and norm:
            w = w / (w.sum(-1, keepdim=True) + 1e-20)
        w = w * cfg["routed_scaling_factor"]
    elif opt["v2_rule"] == "hub":   # HF V2 MoEGate: normalise if norm_topk_prob, else * routed_scaling_factor
        if k > 1 and norm:
            w = w / (w.sum(-1, keepdim=True) + 1e-20)
        else:
            w = w * cfg["routed_scaling_factor"]
    else:       # official inference/model.py (softmax) and transformers' native DeepseekV2Moe: always scale
        w = w * cfg["routed_scaling_factor"]
    y = torch.zeros_like(x)
    for t in range(T):
        for j in range(k):
            y[t] += w[t, j] * swiglu_mlp(x[t:t + 1], W, f"{p}experts.{int(idx[t, j])}")[0]
    if cfg.get("n_shared_experts"):
        y = y + swiglu_mlp(x, W, p + "shared_experts")
    if rec is not None:
        sel_nobias = route(cfg, scores, True)[0] if bias is not None else idx
        sel_nogroup = route(cfg, choice, False)[0]
        rec.append(dict(layer=p[:-5], idx=idx, nobias=sel_nobias, nogroup=sel_nogroup,
                        gmargin=gmargin, emargin=emargin, same0=same0))
    return y


def ds_block(cfg, W, i, x, cos, sin, opt, rec):
    p, eps = f"model.layers.{i}.", cfg["rms_norm_eps"]
    x = x + mla(cfg, W, p + "self_attn.", rms_norm(x, W[p + "input_layernorm.weight"], eps), cos, sin, opt)
    h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
    return x + (moe(cfg, W, p + "mlp.", h, opt, rec) if is_moe_layer(cfg, i) else swiglu_mlp(h, W, p + "mlp"))


def deepseek_forward(cfg, W, ids, opt=None, rec=None, dtype=torch.float32):
    opt = dict(DS_DEFAULT, **(opt or {}))
    W = {k: v.to(dtype) for k, v in W.items()}
    ids = torch.tensor(ids)
    T, L, eps = len(ids), cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    cos, sin = ds_rope(cfg, T, dtype, opt)
    h = W["model.embed_tokens.weight"][ids]
    for i in range(L):
        h = ds_block(cfg, W, i, h, cos, sin, opt, rec)
    hn = rms_norm(h, W["model.norm.weight"], eps)
    logits = hn @ W["lm_head.weight"].T
    if not cfg.get("num_nextn_predict_layers"):
        return logits, None
    assert cfg["num_nextn_predict_layers"] == 1
    # MTP (vLLM deepseek_mtp.py): position i sees token t_{i+1} and the main model's hidden state h_i,
    # predicts t_{i+2}. Positions 0..T-2, causal among themselves, same RoPE positions as the main model.
    p = f"model.layers.{L}."
    e = W[p + "embed_tokens.weight"][ids[1:]].clone()
    if opt["mtp_mask0"]:
        e[0] = 0                                       # vLLM: inputs_embeds[positions == 0] = 0
    hp = (hn if opt["mtp_hidden"] == "post_norm" else h)[: T - 1]
    en, hn2 = rms_norm(e, W[p + "enorm.weight"], eps), rms_norm(hp, W[p + "hnorm.weight"], eps)
    x = linear(torch.cat((en, hn2) if opt["mtp_order"] == "e_h" else (hn2, en), dim=-1), W, p + "eh_proj")
    x = ds_block(cfg, W, L, x, cos[: T - 1], sin[: T - 1], opt, rec)
    mtp = rms_norm(x, W[p + "shared_head.norm.weight"], eps) @ W[p + "shared_head.head.weight"].T
    return logits, mtp


def deepseek_tensors(cfg):
    """Ordered [(name, shape, kind)] with real HF names; kind picks the init."""
    H, V = cfg["hidden_size"], cfg["vocab_size"]
    nh, dn, dr, dv, r = (cfg["num_attention_heads"], cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"],
                         cfg["v_head_dim"], cfg["kv_lora_rank"])
    out = [("model.embed_tokens.weight", (V, H), "embed")]

    def mlp(p, inter):
        out.extend([(p + ".gate_proj.weight", (inter, H), "lin"), (p + ".up_proj.weight", (inter, H), "lin"),
                    (p + ".down_proj.weight", (H, inter), "lin_out")])

    def layer(i):
        p = f"model.layers.{i}."
        a = p + "self_attn."
        out.append((p + "input_layernorm.weight", (H,), "norm"))
        if cfg.get("q_lora_rank") is None:
            out.append((a + "q_proj.weight", (nh * (dn + dr), H), "lin"))
        else:
            q = cfg["q_lora_rank"]
            out.extend([(a + "q_a_proj.weight", (q, H), "lin"), (a + "q_a_layernorm.weight", (q,), "norm"),
                        (a + "q_b_proj.weight", (nh * (dn + dr), q), "lin")])
        out.extend([(a + "kv_a_proj_with_mqa.weight", (r + dr, H), "lin"),
                    (a + "kv_a_layernorm.weight", (r,), "norm"),
                    (a + "kv_b_proj.weight", (nh * (dn + dv), r), "lin"),
                    (a + "o_proj.weight", (H, nh * dv), "lin_out"),
                    (p + "post_attention_layernorm.weight", (H,), "norm")])
        if is_moe_layer(cfg, i):
            E, mi = cfg["n_routed_experts"], cfg["moe_intermediate_size"]
            out.append((p + "mlp.gate.weight", (E, H), "gate"))
            if cfg["topk_method"] == "noaux_tc":
                out.append((p + "mlp.gate.e_score_correction_bias", (E,), "bias"))
            for e in range(E):
                mlp(f"{p}mlp.experts.{e}", mi)
            if cfg.get("n_shared_experts"):
                mlp(p + "mlp.shared_experts", mi * cfg["n_shared_experts"])
        else:
            mlp(p + "mlp", cfg["intermediate_size"])

    for i in range(cfg["num_hidden_layers"]):
        layer(i)
    if cfg.get("num_nextn_predict_layers"):
        L = cfg["num_hidden_layers"]
        p = f"model.layers.{L}."
        out.extend([(p + "embed_tokens.weight", (V, H), "copy:model.embed_tokens.weight"),
                    (p + "enorm.weight", (H,), "norm"), (p + "hnorm.weight", (H,), "norm"),
                    (p + "eh_proj.weight", (H, 2 * H), "lin")])
        layer(L)
        out.extend([(p + "shared_head.norm.weight", (H,), "norm"),
                    (p + "shared_head.head.weight", (V, H), "copy:lm_head.weight")])
    out.extend([("model.norm.weight", (H,), "norm"), ("lm_head.weight", (V, H), "head")])
    return out


# ============================================================ Qwen2 / Llama (HF modeling_qwen2 / modeling_llama)
HF_DEFAULT = dict(rope="half", rope_scaling=True, qkv_bias=True)


def hf_forward(cfg, W, ids, opt=None, dtype=torch.float32):
    opt = dict(HF_DEFAULT, **(opt or {}))
    W = {k: v.to(dtype) for k, v in W.items()}
    if not opt["qkv_bias"]:
        W = {k: v for k, v in W.items() if not k.endswith(".bias")}
    ids = torch.tensor(ids)
    T, eps = len(ids), cfg["rms_norm_eps"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // nh
    rs = cfg.get("rope_scaling")
    if rs and opt["rope_scaling"]:
        assert rs["rope_type"] == "llama3", rs
        inv = llama3_inv_freq(hd, cfg["rope_theta"], rs)
    else:
        inv = default_inv_freq(hd, cfg["rope_theta"])
    cos, sin = rope_table(inv, T, dtype)
    rot = rope_half if opt["rope"] == "half" else rope_interleaved
    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        q = linear(x, W, p + "self_attn.q_proj").view(T, nh, hd).transpose(0, 1)
        k = linear(x, W, p + "self_attn.k_proj").view(T, nkv, hd).transpose(0, 1)
        v = linear(x, W, p + "self_attn.v_proj").view(T, nkv, hd).transpose(0, 1)
        q, k = rot(q, cos, sin), rot(k, cos, sin)
        rep = nh // nkv                                    # query head j uses kv head j // rep (repeat_kv)
        k, v = k.repeat_interleave(rep, dim=0), v.repeat_interleave(rep, dim=0)
        h = h + linear(causal_attention(q, k, v, hd ** -0.5), W, p + "self_attn.o_proj")
        h = h + swiglu_mlp(rms_norm(h, W[p + "post_attention_layernorm.weight"], eps), W, p + "mlp")
    hn = rms_norm(h, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return hn @ head.T, None


def hf_tensors(cfg):
    H, V, I = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    out = [("model.embed_tokens.weight", (V, H), "head" if cfg["tie_word_embeddings"] else "embed")]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out.append((p + "input_layernorm.weight", (H,), "norm"))
        for n, o in (("q_proj", nh * hd), ("k_proj", nkv * hd), ("v_proj", nkv * hd)):
            out.append((p + f"self_attn.{n}.weight", (o, H), "lin"))
            if qkv_bias:
                out.append((p + f"self_attn.{n}.bias", (o,), "linbias"))
        out.extend([(p + "self_attn.o_proj.weight", (H, nh * hd), "lin_out"),
                    (p + "post_attention_layernorm.weight", (H,), "norm"),
                    (p + "mlp.gate_proj.weight", (I, H), "lin"), (p + "mlp.up_proj.weight", (I, H), "lin"),
                    (p + "mlp.down_proj.weight", (H, I), "lin_out")])
    out.append(("model.norm.weight", (H,), "norm"))
    if not cfg["tie_word_embeddings"]:
        out.append(("lm_head.weight", (V, H), "head"))
    return out


# ============================================================ weights

def init_weights(specs, seed):
    """Random weights scaled so activations stay O(1) and logits spread by a few units."""
    g = torch.Generator().manual_seed(seed)
    W = {}
    for name, shape, kind in specs:
        if kind.startswith("copy:"):       # MTP embed_tokens / shared_head.head: copies, as in the release
            W[name] = W[kind[5:]].clone() if kind[5:] in W else None
            continue
        n = torch.randn(shape, generator=g, dtype=torch.float32)
        fan_in = shape[-1]
        if kind == "embed":
            W[name] = n
        elif kind == "norm":
            W[name] = 1.0 + 0.1 * n
        elif kind == "lin":
            W[name] = n * (0.8 / math.sqrt(fan_in))
        elif kind == "lin_out":
            W[name] = n * (0.5 / math.sqrt(fan_in))
        elif kind == "linbias":
            W[name] = 0.1 * n
        elif kind == "gate":
            W[name] = n * (1.5 / math.sqrt(fan_in))
        elif kind == "bias":
            W[name] = 0.15 * (2 * torch.rand(shape, generator=g) - 1)
        elif kind == "head":
            W[name] = n * (2.0 / math.sqrt(fan_in))
        else:
            raise ValueError(kind)
    for name, shape, kind in specs:         # copies of tensors that come later in the list (lm_head)
        if W[name] is None:
            W[name] = W[kind[5:]].clone()
    return W


NOT_FP8 = ("embed_tokens.weight", "lm_head.weight", "shared_head.head.weight", "mlp.gate.weight")


def is_fp8_linear(name, shape):
    # as in the V3 release: every 2-D projection (q_a/q_b/q/kv_a_proj_with_mqa/kv_b/o, gate/up/down of dense MLPs,
    # experts and shared_experts) is F8_E4M3 + <name>_scale_inv; embeddings, lm_head, the router weight
    # (mlp.gate.weight) and norms stay BF16; e_score_correction_bias stays F32
    return len(shape) == 2 and not name.endswith(NOT_FP8)


def to_stored(W, specs, variant):
    """-> list of (name, dtype, shape, bytes) for a weight dtype variant."""
    out = []
    for name, shape, _ in specs:
        t = W[name]
        if variant == "F32":
            out.append((name, "F32", shape, encode_tensor(t, "F32")))
        elif variant in ("BF16", "F16"):
            out.append((name, variant, shape, encode_tensor(t, variant)))
        elif variant == "FP8":
            if is_fp8_linear(name, shape):
                q, s = fp8_block_quantize(t)
                out.append((name, "F8_E4M3", shape, encode_tensor(q, "F8_E4M3")))
                out.append((name + "_scale_inv", "F32", tuple(s.shape), encode_tensor(s, "F32")))
            elif name.endswith("e_score_correction_bias"):
                out.append((name, "F32", shape, encode_tensor(t, "F32")))
            else:
                out.append((name, "BF16", shape, encode_tensor(t, "BF16")))
        else:
            raise ValueError(variant)
    return out


def load_as_stored(stored):
    """{name: (dtype, shape, bytes)} -> {name: fp32 tensor}, FP8 dequantized with its _scale_inv."""
    raw = {n: decode_tensor(b, d, s) for n, (d, s, b) in stored.items()}
    W = {}
    for n, t in raw.items():
        if n.endswith("_scale_inv"):
            continue
        if stored[n][0] == "F8_E4M3":
            t = fp8_block_dequantize(t, raw[n + "_scale_inv"])
        W[n] = t
    return W


# ============================================================ configs (real config.json keys)

def ds_config(model_type, **kw):
    v3 = model_type == "deepseek_v3"
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM" if v3 else "DeepseekV2ForCausalLM"],
        "model_type": model_type,
        "vocab_size": 96, "hidden_size": 48, "intermediate_size": 96, "moe_intermediate_size": 16,
        "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 4,
        "q_lora_rank": None, "kv_lora_rank": 24, "qk_nope_head_dim": 16, "qk_rope_head_dim": 16, "v_head_dim": 12,
        "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2,
        "n_group": 1, "topk_group": 1, "topk_method": "noaux_tc" if v3 else "greedy",
        "scoring_func": "sigmoid" if v3 else "softmax", "norm_topk_prob": v3, "routed_scaling_factor": 1.0,
        "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "aux_loss_alpha": 0.001, "seq_aux": True, "ep_size": 1,
        "hidden_act": "silu", "attention_bias": False, "attention_dropout": 0.0,
        "max_position_embeddings": 4096, "rope_theta": 10000.0, "rope_scaling": None,
        "rms_norm_eps": 1e-6, "initializer_range": 0.02, "tie_word_embeddings": False,
        "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "float32", "use_cache": True,
    }
    if v3:
        cfg["num_nextn_predict_layers"] = 0
    cfg.update(kw)
    return cfg


YARN_V3 = {"type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096,
           "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}
YARN_V2 = {"type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096,
           "beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707}

V3_MAIN = ds_config(
    "deepseek_v3", hidden_size=32, intermediate_size=64, moe_intermediate_size=12, q_lora_rank=24,
    n_routed_experts=16, num_experts_per_tok=3, n_group=4, topk_group=2,
    routed_scaling_factor=2.5, norm_topk_prob=True, rope_scaling=YARN_V3, max_position_embeddings=163840,
    num_nextn_predict_layers=1)

V3_NOQLORA = ds_config(
    "deepseek_v3", vocab_size=80, hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=2,
    kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8, n_shared_experts=2,
    num_experts_per_tok=2, n_group=1, topk_group=1, norm_topk_prob=False, routed_scaling_factor=1.5,
    moe_layer_freq=2, num_hidden_layers=3)

V2_GREEDY = ds_config(
    "deepseek_v2", vocab_size=80, hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=2,
    kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8, n_shared_experts=2,
    num_experts_per_tok=2, topk_method="greedy", norm_topk_prob=False, routed_scaling_factor=2.0,
    num_hidden_layers=2, rope_scaling=YARN_V2, max_position_embeddings=163840)

V2_GROUP = ds_config(
    "deepseek_v2", vocab_size=80, hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=2,
    q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=8, qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=8,
    n_shared_experts=1, num_experts_per_tok=3, n_group=4, topk_group=2, topk_method="group_limited_greedy",
    norm_topk_prob=True, routed_scaling_factor=3.0, num_hidden_layers=3)

# dtype variants: linear dims > 128 and not multiples of 128 so 128x128 FP8 blocks are ragged on both axes
V3_DTYPE = ds_config(
    "deepseek_v3", vocab_size=48, hidden_size=160, intermediate_size=144, moe_intermediate_size=8,
    num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, q_lora_rank=48, kv_lora_rank=32,
    qk_nope_head_dim=16, qk_rope_head_dim=16, v_head_dim=16, n_routed_experts=6, n_shared_experts=1,
    num_experts_per_tok=2, n_group=2, topk_group=1, norm_topk_prob=True, routed_scaling_factor=2.5,
    rope_scaling=YARN_V3, max_position_embeddings=163840)

QWEN2 = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
    "vocab_size": 96, "hidden_size": 48, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "hidden_act": "silu", "attention_dropout": 0.0,
    "max_position_embeddings": 4096, "max_window_layers": 2, "sliding_window": 4096, "use_sliding_window": False,
    "rope_theta": 10000.0, "rope_scaling": None, "rms_norm_eps": 1e-6, "initializer_range": 0.02,
    "tie_word_embeddings": True, "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "float32", "use_cache": True,
}

LLAMA3 = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "vocab_size": 96, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "hidden_act": "silu",
    "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False, "pretraining_tp": 1,
    "max_position_embeddings": 1024, "rope_theta": 10000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 8.0,
                     "original_max_position_embeddings": 256},
    "rms_norm_eps": 1e-5, "initializer_range": 0.02, "tie_word_embeddings": False,
    "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "float32", "use_cache": True,
}


# ============================================================ checks

def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


def routing_checks(cfg, rec, name):
    """Every routing decision well separated; bias and group limiting each change something."""
    msgs = []
    for r in rec:
        if r["emargin"] < MIN_MARGIN or r["gmargin"] < MIN_MARGIN:
            return f"{name}: near-tie in {r['layer']} (expert margin {r['emargin']:.2e}, group {r['gmargin']:.2e})"
        if not r["same0"]:
            return f"{name}: HF 0.0-masking and official -inf masking disagree in {r['layer']}"
    sets = lambda t: [sorted(map(int, row)) for row in t]
    bias_changes = sum(a != b for r in rec for a, b in zip(sets(r["idx"]), sets(r["nobias"])))
    group_changes = sum(a != b for r in rec for a, b in zip(sets(r["idx"]), sets(r["nogroup"])))
    if cfg.get("topk_method") == "noaux_tc" and bias_changes == 0:
        return f"{name}: e_score_correction_bias changes no routing decision"
    if cfg.get("n_group", 1) > 1 and cfg["topk_group"] < cfg["n_group"] and group_changes == 0:
        return f"{name}: group limiting excludes nothing plain top-k would pick"
    n = sum(len(r["idx"]) for r in rec)
    msgs.append(f"bias changed {bias_changes}, group limit changed {group_changes} of {n} routings")
    return msgs


def check_sensitivity(cfg, W, ids, fwd, base):
    """Each documented semantics decision must matter in this fixture (else a wrong C# choice would pass)."""
    logits, mtp = base
    alts = []
    if cfg["model_type"].startswith("deepseek"):
        alts.append(("rope rotate_half instead of interleaved", dict(rope="half")))
        rs = cfg.get("rope_scaling")
        if rs:
            alts.append(("YaRN frequencies off", dict(yarn_freq=False)))
            alts.append(("softmax mscale^2 off", dict(attn_mscale=False)))
        if cfg["topk_method"] == "noaux_tc":
            alts.append(("correction bias off", dict(use_bias=False)))
        if cfg["n_group"] > 1 and cfg["topk_group"] < cfg["n_group"]:
            alts.append(("group limiting off", dict(group_limit=False)))
        alts.append(("norm_topk_prob flipped", dict(norm_override=not cfg["norm_topk_prob"])))
        if cfg["model_type"] == "deepseek_v2" and cfg["norm_topk_prob"]:
            alts.append(("V2 official rule (always scale, never normalise)", dict(v2_rule="official")))
        if cfg.get("num_nextn_predict_layers"):
            alts.append(("MTP hidden before model.norm", dict(mtp_hidden="pre_norm")))
            alts.append(("MTP concat [h, e]", dict(mtp_order="h_e")))
    else:
        alts.append(("rope interleaved instead of rotate_half", dict(rope="interleaved")))
        if cfg.get("rope_scaling"):
            alts.append(("llama3 rope scaling off", dict(rope_scaling=False)))
        if cfg["model_type"] == "qwen2":
            alts.append(("q/k/v biases off", dict(qkv_bias=False)))
    out = []
    for what, o in alts:
        l2, m2 = fwd(cfg, W, ids, o)
        d = max(max_diff(logits, l2), max_diff(mtp, m2) if mtp is not None else 0.0)
        if d <= SENSITIVE:
            raise AssertionError(f"fixture is insensitive to '{what}' (max diff {d:.2e})")
        out.append(f"{what}: {d:.3f}")
    if cfg["model_type"].startswith("deepseek"):
        for what, o in (("absorbed MLA", dict(absorb=True)), ("HF de-interleave + rotate_half", dict(rope="hf"))):
            l2, m2 = fwd(cfg, W, ids, o)
            d = max(max_diff(logits, l2), max_diff(mtp, m2) if mtp is not None else 0.0)
            assert d < 1e-5, f"{what} differs from the reference path by {d}"
            out.append(f"{what} == reference ({d:.1e})")
        if mtp is not None:
            _, m2 = fwd(cfg, W, ids, dict(mtp_mask0=False))
            d = max_diff(mtp, m2)    # every row differs: later MTP positions attend to position 0
            assert d > SENSITIVE, f"fixture is insensitive to the MTP position-0 mask ({d:.2e})"
            out.append(f"MTP position-0 embedding mask: {d:.3f}")
    return out


# ============================================================ fixtures

def rows(t):
    return [[float(v) for v in row] for row in t.tolist()]


def write_golden(path, obj):
    # one key per line, one logits row per line; floats are repr() of the fp32 value (exact)
    parts = []
    for k, v in obj.items():
        if isinstance(v, list) and v and isinstance(v[0], list):
            inner = ",\n".join("    " + json.dumps(r) for r in v)
            parts.append(f'  {json.dumps(k)}: [\n{inner}\n  ]')
        else:
            parts.append(f"  {json.dumps(k)}: {json.dumps(v)}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")


def write_config(d, cfg):
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def fresh_dir(name):
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def golden_obj(cfg, ids, logits, mtp, mtp_nomask, rec, extra=None):
    g = {"note": NOTE, "model_type": cfg["model_type"], "tolerance": TOL,
         "max_position_embeddings": cfg["max_position_embeddings"], "ids": ids, "logits": rows(logits)}
    if mtp is not None:
        g["mtp_logits"] = rows(mtp)
        g["mtp_logits_no_pos0_mask"] = rows(mtp_nomask)
    if rec:
        g["routing"] = {r["layer"]: [sorted(map(int, row)) for row in r["idx"]] for r in rec}
    g.update(extra or {})
    return g


def build(name, cfg, seed, T, variants=None):
    """Try seeds seed, seed+1, ... until all checks pass; write the fixture(s). Returns summary lines."""
    fam_ds = cfg["model_type"].startswith("deepseek")
    specs = deepseek_tensors(cfg) if fam_ds else hf_tensors(cfg)
    fwd = ((lambda c, W, i, o=None, dtype=torch.float32: deepseek_forward(c, W, i, o, None, dtype)) if fam_ds
           else (lambda c, W, i, o=None, dtype=torch.float32: hf_forward(c, W, i, o, dtype)))
    variants = variants or [(name, "F32")]
    for attempt in range(50):
        s = seed + attempt
        W = init_weights(specs, s)
        g = torch.Generator().manual_seed(s + 7919)
        ids = torch.randint(2, cfg["vocab_size"], (T,), generator=g).tolist()
        results, failed = [], None
        for vname, vdtype in variants:
            stored = {n: (d, sh, b) for n, d, sh, b in to_stored(W, specs, vdtype)}
            Ws = load_as_stored(stored)
            r = dict(vname=vname, vdtype=vdtype, stored=stored, Ws=Ws, rec=[], rc=[])
            r["logits"], r["mtp"] = (deepseek_forward(cfg, Ws, ids, None, r["rec"]) if fam_ds
                                     else hf_forward(cfg, Ws, ids))
            if fam_ds:
                r["rc"] = routing_checks(cfg, r["rec"], vname)
                if isinstance(r["rc"], str):
                    failed = r["rc"]
                    break
            l64, m64 = fwd(cfg, Ws, ids, None, torch.float64)
            r["d64"] = max(max_diff(r["logits"], l64), max_diff(r["mtp"], m64) if r["mtp"] is not None else 0.0)
            if r["d64"] > TOL / 10:
                failed = f"{vname}: fp32 vs fp64 differ by {r['d64']:.2e}"
                break
            if vdtype == "FP8":
                # the same FP8 weights if a loader dequantizes to BF16 (fp32 product f8 * scale_inv rounded to
                # bf16, nearest-even) instead of fp32; other tensors (bf16 / f32 bias) unchanged
                Wb = {k: (v.to(torch.bfloat16).to(torch.float32) if stored[k][0] == "F8_E4M3" else v)
                      for k, v in Ws.items()}
                rec_b = []
                r["logits_bf16"] = deepseek_forward(cfg, Wb, ids, None, rec_b)[0]
                rc = routing_checks(cfg, rec_b, vname + " (bf16 dequant)")
                if isinstance(rc, str):
                    failed = rc
                    break
            results.append(r)
        if failed:
            print(f"  seed {s}: {failed}; retrying")
            continue
        break
    else:
        raise RuntimeError(f"{name}: no seed passed the checks")

    lines = []
    ref_logits = results[0]["logits"]
    for r in results:
        vname, vdtype, stored, Ws, logits, mtp, rec = (r[k] for k in ("vname", "vdtype", "stored", "Ws", "logits",
                                                                       "mtp", "rec"))
        sens = check_sensitivity(cfg, Ws, ids, fwd, (logits, mtp)) if vdtype == "F32" else []
        mtp_nomask = deepseek_forward(cfg, Ws, ids, dict(mtp_mask0=False))[1] if mtp is not None else None
        d = fresh_dir(vname)
        vcfg = dict(cfg)
        vcfg["torch_dtype"] = {"F32": "float32", "BF16": "bfloat16", "F16": "float16", "FP8": "bfloat16"}[vdtype]
        if vdtype == "FP8":
            vcfg["quantization_config"] = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                           "weight_block_size": [128, 128]}
        write_config(d, vcfg)
        entries = [(n, dt, sh, b) for n, (dt, sh, b) in stored.items()]
        write_safetensors(os.path.join(d, "model.safetensors"), entries)
        back = load_as_stored(read_safetensors(os.path.join(d, "model.safetensors")))
        assert all(torch.equal(back[k], Ws[k]) for k in Ws) and back.keys() == Ws.keys()
        extra = {"seed": s, "weights_dtype": vdtype}
        if vdtype != "F32":
            extra["max_abs_diff_vs_f32_weights"] = max_diff(logits, ref_logits)
        if vdtype == "FP8":
            extra["max_abs_diff_if_dequantized_to_bf16"] = max_diff(logits, r["logits_bf16"])
            extra["logits_if_dequantized_to_bf16"] = rows(r["logits_bf16"])
        write_golden(os.path.join(d, "golden.json"), golden_obj(cfg, ids, logits, mtp, mtp_nomask, rec, extra))
        lines.append(f"{vname}: seed {s}, T={len(ids)}, {sum(np.prod(sh) for _, sh, _ in specs):,} params, "
                     f"{dir_size(d):,} B, logits std {float(logits.std()):.2f}, fp64 diff {r['d64']:.1e}")
        lines += ["    " + x for x in r["rc"] + sens]
        if vdtype != "F32":
            lines.append(f"    vs f32 weights: max abs logit diff {extra['max_abs_diff_vs_f32_weights']:.3e}")
        if vdtype == "FP8":
            lines.append(f"    bf16 dequant vs fp32 dequant: max abs logit diff "
                         f"{extra['max_abs_diff_if_dequantized_to_bf16']:.3e}")
    return lines, results[0]


def build_sharded(name, cfg, result):
    """Split the weights of an F32 fixture into two shards + model.safetensors.index.json; same golden."""
    vname, stored, Ws = result["vname"], result["stored"], result["Ws"]
    d = fresh_dir(name)
    src = os.path.join(OUT, vname)
    shutil.copy(os.path.join(src, "config.json"), d)
    L = cfg["num_hidden_layers"]
    def first(n):   # shard 1: embeddings + layers 0..L-2; shard 2: last main layer, MTP layer, norm, lm_head
        return n == "model.embed_tokens.weight" or any(n.startswith(f"model.layers.{i}.") for i in range(L - 1))

    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map, total = {}, 0
    for fi, fname in enumerate(files):
        entries = [(n, dt, sh, b) for n, (dt, sh, b) in stored.items() if first(n) == (fi == 0)]
        total += write_safetensors(os.path.join(d, fname), entries)
        weight_map.update({e[0]: fname for e in entries})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
        f.write("\n")
    back = {}
    for fname in files:
        back.update(read_safetensors(os.path.join(d, fname)))
    assert load_as_stored(back).keys() == Ws.keys()
    with open(os.path.join(src, "golden.json")) as f:
        g = json.load(f)
    g["note"] = NOTE + f"; same weights and golden as {vname}, split into two shards"
    write_golden(os.path.join(d, "golden.json"), g)
    return [f"{name}: 2 shards of {vname}, {dir_size(d):,} B"]


def dir_size(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}; writing {os.path.relpath(OUT, ROOT)}/")
    check_e4m3()
    lines, main_result = build("v3-qlora-yarn-mtp", V3_MAIN, 1000, 11)
    lines += build_sharded("v3-sharded", V3_MAIN, main_result)
    lines += build("v3-noqlora", V3_NOQLORA, 2000, 10)[0]
    lines += build("v2-softmax-greedy", V2_GREEDY, 3000, 10)[0]
    lines += build("v2-group-limited", V2_GROUP, 4000, 12)[0]
    lines += build("qwen2-tied", QWEN2, 5000, 11)[0]
    lines += build("llama3-scaled", LLAMA3, 6000, 12)[0]
    lines += build("v3-f32", V3_DTYPE, 7000, 9,
                   variants=[("v3-f32", "F32"), ("v3-bf16", "BF16"), ("v3-f16", "F16"), ("v3-fp8", "FP8")])[0]
    print("\n".join(lines))
    total = sum(dir_size(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"total {total:,} bytes in {len(os.listdir(OUT))} fixtures")
    assert total < 6_000_000


if __name__ == "__main__":
    sys.exit(main())
