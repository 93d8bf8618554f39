#!/usr/bin/env python3
# PyTorch autograd reference for the C# training engine (llm.c's test_gpt2 state file, SharpSeek style).
# For a tiny DeepSeek-V3 (MLA with q LoRA, MoE with sigmoid + noaux_tc group-limited routing, MTP depth 1) and a
# tiny Qwen2 (GQA, qkv bias, tied embeddings) it writes under tests/fixtures/train/<name>/:
#   config.json + model.safetensors   the initial weights (an HF checkpoint the C# side loads)
#   grads.safetensors                 d(total loss)/d(param) for every trainable parameter at step 0
#   after3.safetensors                every parameter (and the correction bias) after 3 training steps
#   golden.json                       batch, hyper-parameters, per-step losses and grad norms, tolerances,
#                                     and the fp32-vs-fp64 autograd difference of each gradient (the noise floor)
# A step = forward (main CE + λ·MTP CE + α·sequence balance loss) → backward → clip_grad_norm_ → AdamW →
# aux-loss-free bias update (b_i += γ·sign(mean load − load_i)). Routing is fixed on the fixture batch: every routing
# decision of every step keeps a margin ≥ MIN_MARGIN (checked), so a correct implementation cannot route differently.
#
# Run:  /usr/bin/python3 tools/train/make_grad_fixtures.py      (torch + numpy; deterministic; ~10 s; rerun overwrites)
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_fixtures as mf  # noqa: E402  (the model-fixture script: same forward semantics)

OUT = os.path.join(ROOT, "tests", "fixtures", "train")
NOTE = "made by tools/train/make_grad_fixtures.py; rerun it when the format changes"
MIN_MARGIN = 1e-4
HP = dict(lr=2e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, grad_clip=1.0, alpha=0.01, mtp_weight=0.3,
          bias_gamma=1e-3, steps=3)
torch.set_num_threads(2)

V3 = mf.ds_config(
    "deepseek_v3", vocab_size=64, hidden_size=32, intermediate_size=48, moe_intermediate_size=12, q_lora_rank=16,
    kv_lora_rank=16, num_attention_heads=2, num_key_value_heads=2, qk_nope_head_dim=8, qk_rope_head_dim=8,
    v_head_dim=8, n_routed_experts=8, n_shared_experts=1, num_experts_per_tok=2, n_group=4, topk_group=2,
    routed_scaling_factor=2.5, norm_topk_prob=True, num_hidden_layers=2, num_nextn_predict_layers=1,
    rope_scaling=mf.YARN_V3, max_position_embeddings=163840)

QWEN2 = dict(mf.QWEN2, vocab_size=64, hidden_size=32, intermediate_size=48, num_attention_heads=4,
             num_key_value_heads=2)


# ------------------------------------------------------------------ DeepSeek-V3 training forward
def moe_train(cfg, W, p, x, margins):
    """x [T, D] one sequence -> (y [T, D], balance term Σ_i f_i P_i of this sequence)."""
    T = x.shape[0]
    E, k = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
    scores = (x @ W[p + "gate.weight"].T).sigmoid()                   # [T, E]
    choice = scores.detach() + W[p + "gate.e_score_correction_bias"].detach()   # bias: selection only
    idx, gmargin, emargin, _ = mf.route(cfg, choice, True)
    margins.append(min(gmargin, emargin))
    w = scores.gather(1, idx)
    w = w / (w.sum(-1, keepdim=True) + 1e-20) * cfg["routed_scaling_factor"]
    y = mf.swiglu_mlp(x, W, p + "shared_experts")
    rows = []
    for t in range(T):
        acc = torch.zeros_like(x[0])
        for j in range(k):
            acc = acc + w[t, j] * mf.swiglu_mlp(x[t:t + 1], W, f"{p}experts.{int(idx[t, j])}")[0]
        rows.append(acc)
    y = y + torch.stack(rows)
    counts = torch.zeros(E, dtype=x.dtype).scatter_add_(0, idx.reshape(-1), torch.ones(T * k, dtype=x.dtype))
    f = counts * (E / (k * T))                                         # V3 eq. 18
    P = (scores / scores.sum(-1, keepdim=True)).mean(0)                # eq. 19-20 (s' normalised over experts)
    return y, (f * P).sum(), counts


def ds_block_train(cfg, W, i, x, cos, sin, margins, bal, loads):
    p, eps = f"model.layers.{i}.", cfg["rms_norm_eps"]
    x = x + mf.mla(cfg, W, p + "self_attn.", mf.rms_norm(x, W[p + "input_layernorm.weight"], eps), cos, sin, mf.DS_DEFAULT)
    h = mf.rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
    if mf.is_moe_layer(cfg, i):
        y, b, counts = moe_train(cfg, W, p + "mlp.", h, margins)
        bal.append(b)
        loads[i] = loads.get(i, 0) + counts
        return x + y
    return x + mf.swiglu_mlp(h, W, p + "mlp")


def v3_loss(cfg, W, inputs, targets, margins, loads):
    B, T = inputs.shape
    L, eps = cfg["num_hidden_layers"], cfg["rms_norm_eps"]
    cos, sin = mf.ds_rope(cfg, T, W["model.embed_tokens.weight"].dtype, mf.DS_DEFAULT)
    logits, mlogits, bal = [], [], []
    emb, head = W["model.embed_tokens.weight"], W["lm_head.weight"]
    p = f"model.layers.{L}."
    for b in range(B):
        h = emb[inputs[b]]
        for i in range(L):
            h = ds_block_train(cfg, W, i, h, cos, sin, margins, bal, loads)
        hn = mf.rms_norm(h, W["model.norm.weight"], eps)
        logits.append(hn @ head.T)
        # MTP (V3 §2.2, depth 1): row t combines h_t with Emb(t_{t+1}) = Emb(targets[t]); predicts targets[t+1].
        # Same forward as inference (vLLM): embedding first in the concat, the row at position 0 zeroed.
        e = emb[targets[b]] * (torch.arange(T) > 0).to(emb.dtype)[:, None]
        x = mf.linear(torch.cat((mf.rms_norm(e, W[p + "enorm.weight"], eps), mf.rms_norm(hn, W[p + "hnorm.weight"], eps)), -1),
                      W, p + "eh_proj")
        x = ds_block_train(cfg, W, L, x, cos, sin, margins, bal, loads)
        mlogits.append(mf.rms_norm(x, W[p + "shared_head.norm.weight"], eps) @ head.T)
    main = F.cross_entropy(torch.cat(logits), targets.reshape(-1))
    mtp_t = torch.cat((targets[:, 1:], torch.full((B, 1), -100)), 1).reshape(-1)
    mtp = F.cross_entropy(torch.cat(mlogits), mtp_t, ignore_index=-100)
    # balance: α · mean over sequences, summed over MoE layers (bal holds one term per (sequence, layer))
    balance = HP["alpha"] * torch.stack(bal).sum() / B
    return main + HP["mtp_weight"] * mtp + balance, (main, mtp, balance)


# ------------------------------------------------------------------ Qwen2 training forward
def qwen2_loss(cfg, W, inputs, targets, margins, loads):
    logits = torch.cat([mf.hf_forward(cfg, W, inputs[b].tolist(), dtype=W["model.embed_tokens.weight"].dtype)[0]
                        for b in range(inputs.shape[0])])
    main = F.cross_entropy(logits, targets.reshape(-1))
    z = torch.zeros((), dtype=main.dtype)
    return main, (main, z, z)


# ------------------------------------------------------------------ driver
def trainable(name):
    return not name.endswith("e_score_correction_bias")


def params_of(W, cfg, dtype):
    """Leaf tensors for every arena parameter; the MTP layer's embed/head copies alias the main ones (shared)."""
    P = {k: v.detach().clone().to(dtype).requires_grad_(trainable(k)) for k, v in W.items()
         if not (k.endswith(".embed_tokens.weight") and k != "model.embed_tokens.weight") and not k.endswith("shared_head.head.weight")}
    if cfg.get("tie_word_embeddings"):
        P.pop("lm_head.weight", None)
    return P


def view(P, cfg):
    """Name → tensor as the forward functions expect (adds the aliases)."""
    W = dict(P)
    if cfg["model_type"] == "deepseek_v3":
        L = cfg["num_hidden_layers"]
        W[f"model.layers.{L}.embed_tokens.weight"] = P["model.embed_tokens.weight"]
        W[f"model.layers.{L}.shared_head.head.weight"] = P["lm_head.weight"]
    return W


def grads(cfg, W, inputs, targets, lossf, dtype):
    P = params_of(W, cfg, dtype)
    margins, loads = [], {}
    loss, parts = lossf(cfg, view(P, cfg), inputs, targets, margins, loads)
    loss.backward()
    # experts no token picked get no autograd gradient: store their (zero) gradient too
    return {k: v.grad if v.grad is not None else torch.zeros_like(v) for k, v in P.items() if v.requires_grad}, float(loss)


def run(name, cfg, specs, lossf, seed, B=2, T=8):
    W = mf.init_weights(specs, seed)
    g = torch.Generator().manual_seed(seed + 1)
    seq = torch.randint(0, cfg["vocab_size"], (B, T + 1), generator=g)
    inputs, targets = seq[:, :-1], seq[:, 1:]

    g32, loss32 = grads(cfg, W, inputs, targets, lossf, torch.float32)
    g64, loss64 = grads(cfg, W, inputs, targets, lossf, torch.float64)
    noise = {k: float((g32[k].double() - g64[k]).abs().max()) for k in g32}

    P = params_of(W, cfg, torch.float32)
    decay = [v for k, v in P.items() if v.requires_grad and v.dim() >= 2]
    nodecay = [v for k, v in P.items() if v.requires_grad and v.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": HP["weight_decay"]}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"])
    steps, first_grads, all_margins = [], None, []
    for s in range(HP["steps"]):
        opt.zero_grad(set_to_none=True)
        margins, loads = [], {}
        loss, (main, mtp, bal) = lossf(cfg, view(P, cfg), inputs, targets, margins, loads)
        loss.backward()
        for v in P.values():      # arena semantics: an expert no token picked has a zero gradient (decay + moments
            if v.requires_grad and v.grad is None:    # still apply), not PyTorch's "skip params whose grad is None"
                v.grad = torch.zeros_like(v)
        if first_grads is None:
            first_grads = {k: v.grad.detach().clone() if v.grad is not None else torch.zeros_like(v)
                           for k, v in P.items() if v.requires_grad}
        norm = float(torch.nn.utils.clip_grad_norm_([v for v in P.values() if v.requires_grad], HP["grad_clip"]))
        opt.step()
        with torch.no_grad():
            for i, counts in loads.items():
                bias = P[f"model.layers.{i}.mlp.gate.e_score_correction_bias"]
                bias += HP["bias_gamma"] * torch.sign(counts.mean() - counts)
        all_margins += margins
        steps.append(dict(loss=float(loss), main=float(main), mtp=float(mtp), balance=float(bal), grad_norm=norm))
        print(f"{name} step {s}: loss {float(loss):.6f} (main {float(main):.6f} mtp {float(mtp):.6f} bal {float(bal):.3e}) |g| {norm:.4f}")
    if all_margins:
        m = min(all_margins)
        assert m >= MIN_MARGIN, f"{name}: a routing decision has margin {m:.2e} < {MIN_MARGIN}; pick another seed"
        print(f"{name}: min routing margin over 3 steps {m:.2e}")
    assert all(torch.equal(first_grads[k], g32[k]) for k in g32), "step-0 grads must equal the standalone fp32 grads"

    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    model = {k: v.detach() for k, v in W.items()}
    if cfg.get("tie_word_embeddings"):
        model.pop("lm_head.weight", None)
    save(os.path.join(d, "model.safetensors"), model)
    save(os.path.join(d, "grads.safetensors"), g32)
    save(os.path.join(d, "after3.safetensors"), {k: v.detach() for k, v in P.items()})
    golden = dict(note=NOTE, B=B, T=T, inputs=inputs.reshape(-1).tolist(), targets=targets.reshape(-1).tolist(),
                  hyper=HP, steps=steps, loss_f64=loss64, grad_noise_f32_vs_f64=noise,
                  tolerance=dict(loss=1e-5, grad_abs=1e-5, grad_rel=1e-3, param_abs=5e-5,
                                 explain="grad: max|Δ| ≤ grad_abs + grad_rel·max|g_ref| per tensor (the fp32-vs-fp64 "
                                         "autograd noise is listed per tensor); params after 3 AdamW steps: max|Δ| ≤ param_abs"))
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    print(f"{name}: wrote {d} ({len(g32)} gradients; max fp32-vs-fp64 grad noise {max(noise.values()):.2e})")


def save(path, tensors):
    mf.write_safetensors(path, [(k, "F32", tuple(v.shape), mf.encode_tensor(v.float(), "F32")) for k, v in tensors.items()])


def main():
    run("v3-tiny", V3, mf.deepseek_tensors(V3), v3_loss, seed=11)
    run("qwen2-tiny", QWEN2, mf.hf_tensors(QWEN2), qwen2_loss, seed=21)


if __name__ == "__main__":
    main()
