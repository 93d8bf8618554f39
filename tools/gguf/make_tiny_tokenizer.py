#!/usr/bin/env python3
"""Writes tests/fixtures/gguf/tiny-tokenizer/{tokenizer.json,tokenizer_config.json}: a 96-token byte-level BPE
vocabulary for the tiny model fixtures (vocab_size 96), so converted GGUF files carry a tokenizer llama.cpp can run.
ids 0/1 are DeepSeek's BOS/EOS, 2..91 byte-level characters (Ġ = space, Ċ = newline, '!'..'x'), 92..95 merges.
Rerun after changing it:  python3 tools/gguf/make_tiny_tokenizer.py"""
import json, os

out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "gguf", "tiny-tokenizer")
os.makedirs(out, exist_ok=True)
bos, eos = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
chars = ["Ġ", "Ċ"] + [chr(c) for c in range(33, 121)]
merges = [("h", "i"), ("Ġ", "t"), ("t", "h"), ("h", "e")]
vocab = {bos: 0, eos: 1}
for c in chars: vocab[c] = len(vocab)
for a, b in merges: vocab[a + b] = len(vocab)
assert len(vocab) == 96
regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
tok = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [special(0, bos), special(1, eos)],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
              "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": [[a, b] for a, b in merges]},
}
template = ("{% for m in messages %}{% if m['role'] == 'user' %}<｜User｜>{{ m['content'] }}"
            "{% else %}<｜Assistant｜>{{ m['content'] }}<｜end▁of▁sentence｜>{% endif %}{% endfor %}"
            "{% if add_generation_prompt %}<｜Assistant｜><think>\n{% endif %}")
cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": True, "add_eos_token": False,
       "bos_token": {"content": bos, "special": True}, "eos_token": eos, "model_max_length": 4096, "chat_template": template}
with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f: json.dump(tok, f, ensure_ascii=False, indent=1)
with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f: json.dump(cfg, f, ensure_ascii=False, indent=1)
