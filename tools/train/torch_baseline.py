#!/usr/bin/env python3
# PyTorch CPU training-throughput baseline for bench/SharpSeek.Bench.Training (run by it in the same session).
# The same Llama-shape model as the C# bench (HF Llama semantics: RMSNorm, rotate-half RoPE, GQA attention, SwiGLU),
# batch B × T random tokens, AdamW (fused=False, foreach=True: the fastest CPU path in torch 1.13), fp32, N threads.
# Attention is the explicit softmax(QKᵀ)V with a causal mask: torch 1.13 has no scaled_dot_product_attention.
# Needs OpenBLAS behind torch (Debian: apt-get install libopenblas0-openmp), else it measures the reference BLAS.
#
# Run: /usr/bin/python3 tools/train/torch_baseline.py --config '{"vocab_size":8192,...}' --batch 8 --seq 256 --steps 5
# Prints one JSON object: {"tok_s", "step_s", "params", "sgemm_gflops", "blas", "threads", "losses"}.
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.nh, self.nkv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = d // self.nh
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, self.nh * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hd, d, bias=False)
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        f = c["intermediate_size"]
        self.gate_proj, self.up_proj, self.down_proj = nn.Linear(d, f, bias=False), nn.Linear(d, f, bias=False), nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if self.nkv != self.nh:
            k, v = k.repeat_interleave(self.nh // self.nkv, 1), v.repeat_interleave(self.nh // self.nkv, 1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd)) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Block(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        if c.get("tie_word_embeddings"):
            self.lm_head.weight = self.embed_tokens.weight
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
        hd = c["hidden_size"] // c["num_attention_heads"]
        self.inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))

    def forward(self, ids, targets):
        B, T = ids.shape
        ang = torch.arange(T).float()[:, None] * self.inv[None, :]
        cos, sin = torch.cat((ang.cos(), ang.cos()), -1), torch.cat((ang.sin(), ang.sin()), -1)
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        for l in self.layers:
            x = l(x, cos, sin, mask)
        logits = self.lm_head(self.norm(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def sgemm_gflops(n=2048, reps=6):
    # best single call: the machine may be shared
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    peak_before = sgemm_gflops()
    c = json.loads(a.config)
    model = Model(c)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1, foreach=True)
    g = torch.Generator().manual_seed(1)
    losses, times = [], []
    for s in range(a.warmup + a.steps):
        seq = torch.randint(0, c["vocab_size"], (a.batch, a.seq + 1), generator=g)
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(seq[:, :-1], seq[:, 1:])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if s >= a.warmup:
            times.append(time.perf_counter() - t)
        losses.append(float(loss))
    step = sorted(times)[len(times) // 2]
    blas = "openblas" if "openblas" in open("/proc/self/maps").read() else "other"
    print(json.dumps(dict(tok_s=a.batch * a.seq / step, step_s=step, params=sum(p.numel() for p in model.parameters()),
                          sgemm_gflops=max(peak_before, sgemm_gflops()), blas=blas, threads=a.threads, losses=losses, torch=torch.__version__)))


if __name__ == "__main__":
    main()
