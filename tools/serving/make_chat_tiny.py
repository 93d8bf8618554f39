#!/usr/bin/env python3
# Writes tests/fixtures/models/chat-tiny/: a tiny random-weight DeepSeek-V3-architecture model whose vocab is a
# small byte-level BPE tokenizer with DeepSeek-R1's special tokens and chat template, so the serving stack
# (chat, serve, IChatClient) can run end to end on a model folder that has everything a real one has.
# The model is untrained: it emits gibberish. Deterministic; rerun after changing anything here:
#     /usr/bin/python3 tools/serving/make_chat_tiny.py
# `--tools` writes tests/fixtures/models/tools-tiny instead: the same model with DeepSeek-V3's tool-call and
# fill-in-the-middle tokens added (function calling and FIM run on it; chat-tiny has neither, for the 400 paths).
# `--medium OUT` writes a ~200M-parameter bf16 model with the same tokenizer to OUT instead (for the serving
# benchmark; not committed): decode is then memory-bound, as it is for real models.
# Needs torch + numpy (it reuses tools/make_fixtures.py's tensor list, initializer and safetensors writer).
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import make_fixtures as mf  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "models", "chat-tiny")
NOTE = "made by tools/serving/make_chat_tiny.py; rerun it when the format changes"
VOCAB = 512                      # 256 byte tokens + merges + specials; a multiple of 64
SPECIALS = [                     # (content, special) as DeepSeek-R1's tokenizer.json marks them
    ("<｜begin▁of▁sentence｜>", True),
    ("<｜end▁of▁sentence｜>", True),
    ("<｜▁pad▁｜>", True),
    ("<｜User｜>", False),
    ("<｜Assistant｜>", False),
    ("<think>", False),
    ("</think>", False),
]
TOOL_SPECIALS = [(t, False) for t in [         # DeepSeek-V3's FIM and tool tokens (all non-special there)
    "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>",
    "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>",
    "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>",
    "<｜tool▁sep｜>"]]
if "--tools" in sys.argv:
    SPECIALS = SPECIALS + TOOL_SPECIALS
    NOTE = "made by tools/serving/make_chat_tiny.py --tools; rerun it when the format changes"
N_MERGES = VOCAB - 256 - len(SPECIALS)

# A little English so the merges are the common ones (ids are all the serving tests care about).
CORPUS = """
The user asks a question and the assistant thinks about it step by step before it answers.
Let me think. First, we add the two numbers: two plus two is four. So the answer is four.
What is the capital of France? The capital of France is Paris. Hello! How can I help you today?
Reasoning models show their thinking, then give a short final answer. Wait, let me check that again.
We need to find the value of x. If x + 3 = 5 then x = 2. The sum of 12 and 30 is 42.
I think the answer is yes, because the question says that every number in the list is even.
Good morning. Thank you for the question; here is what I found. Sure, here is a short story.
Once upon a time there was a small model that ran on a laptop and answered questions in the terminal.
""" * 3

# GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 + n.
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# GPT-2's pre-tokenizer pattern without \p classes (ASCII corpus, so the same pieces)
PIECE = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def train_bpe(text, n_merges, b2u):
    words = collections.Counter(tuple(b2u[b] for b in p.encode("utf-8")) for p in PIECE.findall(text))
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]   # count, then lexicographic: deterministic
        merges.append(best)
        merged = collections.Counter()
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] += c
        words = merged
    return merges


MEDIUM = dict(hidden_size=1024, intermediate_size=2816, moe_intermediate_size=512, num_hidden_layers=8,
              num_attention_heads=8, num_key_value_heads=8, q_lora_rank=384, kv_lora_rank=256, qk_nope_head_dim=64,
              qk_rope_head_dim=32, v_head_dim=64, n_routed_experts=16, num_experts_per_tok=4, n_group=4, topk_group=2)


def main():
    medium = "--medium" in sys.argv
    out = sys.argv[sys.argv.index("--medium") + 1] if medium else OUT.replace("chat-tiny", "tools-tiny") if "--tools" in sys.argv else OUT
    os.makedirs(out, exist_ok=True)
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = train_bpe(CORPUS, N_MERGES, b2u)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    assert len(vocab) == 256 + len(merges)
    while len(vocab) < VOCAB - len(SPECIALS):          # short corpus: pad with unreachable placeholder tokens
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    added = []
    for content, special in SPECIALS:
        added.append({"id": len(vocab) + len(added), "content": content, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": not special, "special": special})
    ids = {a["content"]: a["id"] for a in added}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    with open(os.path.join(ROOT, "tests", "fixtures", "tokenizers", "templates", "deepseek_r1_distill_qwen.jinja"), encoding="utf-8") as f:
        template = f.read()
    tok_config = {
        "_note": NOTE,
        "add_bos_token": True, "add_eos_token": False,
        "bos_token": SPECIALS[0][0], "eos_token": SPECIALS[1][0], "pad_token": SPECIALS[2][0],
        "clean_up_tokenization_spaces": False, "legacy": True, "model_max_length": 4096,
        "tokenizer_class": "LlamaTokenizerFast", "chat_template": template,
    }
    cfg = {
        "_note": NOTE,
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
        "vocab_size": VOCAB, "hidden_size": 64, "intermediate_size": 128, "moe_intermediate_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2,
        "q_lora_rank": 32, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
        "n_routed_experts": 4, "n_shared_experts": 1, "num_experts_per_tok": 2, "n_group": 2, "topk_group": 1,
        "topk_method": "noaux_tc", "scoring_func": "sigmoid", "norm_topk_prob": True, "routed_scaling_factor": 2.5,
        "first_k_dense_replace": 1, "moe_layer_freq": 1, "aux_loss_alpha": 0.001, "seq_aux": True, "ep_size": 1,
        "hidden_act": "silu", "attention_bias": False, "attention_dropout": 0.0,
        "max_position_embeddings": 4096, "rope_theta": 10000.0, "rope_scaling": None,
        "rms_norm_eps": 1e-06, "initializer_range": 0.02, "tie_word_embeddings": False,
        "bos_token_id": ids[SPECIALS[0][0]], "eos_token_id": ids[SPECIALS[1][0]],
        "torch_dtype": "float32", "use_cache": True, "num_nextn_predict_layers": 0,
    }
    dtype = "F32"
    if medium:
        cfg.update(MEDIUM)
        cfg["torch_dtype"], dtype = "bfloat16", "BF16"
    specs = mf.deepseek_tensors(cfg)
    W = mf.init_weights(specs, seed=8)
    entries = [(name, dtype, tuple(W[name].shape), mf.encode_tensor(W[name], dtype)) for name, _, _ in specs]
    mf.write_safetensors(os.path.join(out, "model.safetensors"), entries)
    for name, obj in [("tokenizer.json", tokenizer), ("tokenizer_config.json", tok_config), ("config.json", cfg)]:
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1 if name != "tokenizer.json" else None)
            f.write("\n")
    print(f"wrote {out}: vocab {VOCAB} ({len(merges)} merges), specials {ids}")


if __name__ == "__main__":
    main()
