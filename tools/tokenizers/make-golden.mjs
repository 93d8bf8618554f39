// Regenerates tests/fixtures/tokenizers/{corpus.json, golden_ids.json, golden_templates.json, llama3_style/}
// with the reference implementations: transformers.js (@lenml/tokenizers 3.7.x) for ids and @huggingface/jinja
// (the template engine of transformers.js; the copy bundled in @lenml is too old for these templates) for renders.
//   cd tools/tokenizers && npm ci && node make-golden.mjs
// Rerun when the corpus, the message sets, or the fixture tokenizers change; the C# tests read only the outputs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TokenizerLoader } from "@lenml/tokenizers";
import { Template } from "@huggingface/jinja";

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = path.resolve(here, "../../tests/fixtures/tokenizers");
const readJson = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
// indented, but arrays of numbers on one line (keeps golden_ids.json small and its diffs readable)
const writeJson = (p, v) => fs.writeFileSync(p, JSON.stringify(v, null, 1)
  .replace(/\[\n\s*(-?\d+(?:,\n\s*-?\d+)*)\n\s*\]/g, (_, nums) => "[" + nums.replace(/,\n\s*/g, ",") + "]") + "\n");

function load(dir) {
  const cfgPath = path.join(fx, dir, "tokenizer_config.json");
  return TokenizerLoader.fromPreTrained({
    tokenizerJSON: readJson(path.join(fx, dir, "tokenizer.json")),
    tokenizerConfig: fs.existsSync(cfgPath) ? readJson(cfgPath) : {},
  });
}

// ---------------------------------------------------------------- Llama-3-style tokenizer (constructed)
// Llama-3's exact structure (Split with the \p{N}{1,3} regex, ByteLevel without regex, ignore_merges, a
// TemplateProcessing post-processor adding <|begin_of_text|>) over the first 20,000 merges of the Qwen vocab,
// plus a few whole-word tokens reachable only through ignore_merges.
function buildLlama3Style() {
  const q = readJson(path.join(fx, "qwen3", "tokenizer.json"));
  const merges = q.model.merges.slice(0, 20000).map((m) => (Array.isArray(m) ? m : m.split(" ")));
  const byteChars = [];
  for (const [tok, id] of Object.entries(q.model.vocab)) if (id < 256) byteChars[id] = tok;
  const vocab = Object.create(null); // not {}: "toString" in {} is true
  let next = 0;
  for (const b of byteChars) vocab[b] = next++;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = next++;
  for (const w of ["Ġinternationalization", "ĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠ", "Ġtokenizer", "Ġ2024"]) if (!(w in vocab)) vocab[w] = next++;
  const specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|python_tag|>"];
  const added_tokens = specials.map((content, i) => ({
    id: next + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const tok = {
    version: "1.0", truncation: null, padding: null, added_tokens, normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
          behavior: "Isolated", invert: false,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "Sequence",
      processors: [
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [
            { SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [next], tokens: ["<|begin_of_text|>"] } },
        },
      ],
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const dir = path.join(fx, "llama3_style");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tok));
  writeJson(path.join(dir, "tokenizer_config.json"), {
    bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>", clean_up_tokenization_spaces: true,
    model_max_length: 131072, tokenizer_class: "PreTrainedTokenizerFast",
    chat_template: fs.readFileSync(path.join(fx, "templates", "llama3_2.jinja"), "utf8"),
  });
}

// ---------------------------------------------------------------- "exotic" tokenizer (constructed)
// Exercises the components the real files do not: NFKC, Replace (string and regex), Prepend, Digits, Split with
// behavior Removed and with a string pattern, ByteLevel with add_prefix_space and its own GPT-2 regex — over the
// vocab and merges of the trained fixture (built after it exists).
function buildExotic() {
  const src = fs.existsSync(path.join(fx, "trained", "tokenizer.json"))
    ? readJson(path.join(fx, "trained", "tokenizer.json")) : null;
  if (src === null) return false;
  const tok = {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [...src.added_tokens,
      { id: src.added_tokens.length + Object.keys(src.model.vocab).length, content: "<mask>", single_word: false, lstrip: true, rstrip: false, normalized: false, special: true },
      { id: src.added_tokens.length + Object.keys(src.model.vocab).length + 1, content: "[SEP]", single_word: false, lstrip: false, rstrip: true, normalized: false, special: false }],
    normalizer: { type: "Sequence", normalizers: [
      { type: "NFKC" },
      { type: "Replace", pattern: { String: "``" }, content: "\"" },
      { type: "Replace", pattern: { Regex: " {2,}" }, content: " " },
      { type: "Prepend", prepend: "~" },
    ] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Digits", individual_digits: true },
      // (transformers.js wraps String patterns in a capture group, so String + Removed keeps the delimiters there;
      // Regex + Removed and String + Isolated behave as in HF, and SplitBehaviors tests the rest)
      { type: "Split", pattern: { Regex: "-" }, behavior: "Removed", invert: false },
      { type: "Split", pattern: { String: "::" }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    ] },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: src.model,
  };
  const dir = path.join(fx, "exotic");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tok));
  writeJson(path.join(dir, "tokenizer_config.json"), { bos_token: null, eos_token: null, clean_up_tokenization_spaces: false, tokenizer_class: "PreTrainedTokenizerFast" });
  return true;
}

// ---------------------------------------------------------------- corpus
function buildCorpus() {
  const c = [];
  const add = (tag, text) => c.push({ tag, text });
  // scripts and languages, NFC and NFD
  const langs = {
    en: "The quick brown fox jumps over the lazy dog.",
    fr: "Ça m'a coûté très cher : l'été dernier, à Noël, où ça ?",
    de: "Größenwahn: Fußgängerübergänge über Äußerst schöne Straßen.",
    vi: "Tiếng Việt có dấu: Người ơi, đừng quên nhé!",
    ru: "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    el: "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    ar: "مرحبا بالعالم! هذا اختبار للنص العربي ١٢٣٤٥.",
    he: "שלום עולם, זה מבחן.",
    hi: "नमस्ते दुनिया, यह एक परीक्षण है। १२३",
    th: "สวัสดีชาวโลก นี่คือการทดสอบ",
    zh: "你好，世界！这是一个测试。中文分词：北京大学生前来应聘。",
    zh_rare: "𠀀𠀁𪚥 astral CJK 𰻞𰻞面",
    ja: "こんにちは世界。カタカナとひらがな、漢字を混ぜる。ｶﾀｶﾅ半角",
    ko: "안녕하세요 세계! 한국어 테스트입니다.",
    ta: "வணக்கம் உலகம்",
    am: "ሰላም ለዓለም",
    ka: "გამარჯობა მსოფლიო",
    hy: "Բարեւ աշխարհ",
    my: "မင်္ဂလာပါ ကမ္ဘာလောက",
    math: "∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x|; ∑ᵢ aᵢ ≈ π·r² ± ε",
    fancy: "𝕳𝖊𝖑𝖑𝖔 𝓦𝓸𝓻𝓵𝓭 𝟙𝟚𝟛 ① ½ Ⅻ",
  };
  for (const [k, v] of Object.entries(langs)) {
    add("lang:" + k, v);
    const nfd = v.normalize("NFD");
    if (nfd !== v) add("lang-nfd:" + k, nfd);
  }
  add("nfkc", "ﬁﬂ ＡＢＣ１２３ ㍻ ﾊﾝｶｸ ™ ℌ");
  add("combining", "e\u0301 a\u0308\u0301 \u0301start Z\u0336a\u0337l\u0338g\u0335o\u0334");
  // emoji
  add("emoji", "I ❤️ emoji 😀😃😄 🎉🎊 👍🏽👍🏿 🇫🇷🇯🇵 👨‍👩‍👧‍👦 🧑🏻‍💻 🏳️‍🌈 #️⃣ 1️⃣");
  add("emoji-dense", "😀".repeat(40));
  add("emoji-words", "hello😀world 😀hello world😀 don't😀stop");
  // digits of every length
  let digits = "";
  for (let n = 1; n <= 25; n++) digits += "1234567890".repeat(3).slice(0, n) + " ";
  add("digits", digits);
  add("digits-mixed", "v1.2.3 3.14159 1,000,000 $12.50 2024-01-31T12:34:56Z 0x1F600 1e-10 ٣٤٥ ４５６ ²³");
  add("digits-long", "9".repeat(101));
  // code
  add("code-py", "def f(x):\n\tif x > 0:\n\t\treturn x ** 2  \n\treturn -x\t# trailing tab\t\n\n\nclass A(object):\n    pass\n");
  add("code-js", "const add = (a, b) => { return a + b; };\r\nconsole.log(`sum=${add(1, 2)}`);\r\n// CRLF lines\r\n");
  add("code-c", "#include <stdio.h>\nint main(void){printf(\"%d\\n\", 42);return 0;}/*x*/");
  add("code-json", '{"a": [1, 2, {"b": null}], "c": "d\\u00e9", "e": true}');
  add("code-html", "<div class=\"x\">&amp; &lt;tag&gt;</div>\n<br/>");
  // whitespace
  add("crlf", "line1\r\nline2\r\n\r\nline3\rline4\n\rline5");
  add("spaces-run", "a" + " ".repeat(37) + "b" + " ".repeat(2) + "c  \n  d");
  add("ws-only", " \t \n \r\n   ");
  add("ws-mixed", "x\u00a0y\u2003z\u3000w\u2028v\u2029u\u000bt\u000cs");
  add("ws-long", " ".repeat(300) + "end" + "\n".repeat(50) + "\t".repeat(30));
  add("trailing", "trailing spaces   ");
  add("leading", "   leading spaces");
  // contractions, all cases
  add("contractions", "I'm you're he's she'd we'll they've can't won't it's I'M YOU'RE HE'S SHE'D WE'LL THEY'VE CAN'T Won'T It'S 'tis 'twas rock'n'roll");
  add("quotes", "‘curly’ “double” 'single' \"double\" « guillemets » „low“");
  // special-token strings inside ordinary text
  add("special-ds", "Hello<｜User｜>hi<｜Assistant｜><think>\nreasoning</think>answer<｜end▁of▁sentence｜>tail <｜begin▁of▁sentence｜>");
  add("special-qwen", "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nok<|endoftext|>");
  add("special-llama", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
  add("special-strip", "hello   <mask>   world [SEP]   x\t<mask>[SEP]\n\n[SEP]<mask>");
  add("special-partial", "<｜User <|im_start <|begin_of_text| <think </think");
  // punctuation and symbols
  add("punct", "Hello, world!!! What?! ... --- ___ *** ### @@@ ~~~ ^^^ ((())) [[]] {{}} <<>> /// \\\\\\ ||| ;;; ::");
  add("symbols", "©®™ §¶ †‡ •· ¤¢£¥€ ←↑→↓ ♠♣♥♦ ★☆ ☀☁☂ ✓✗ ⌘⌥⇧");
  add("urls", "https://example.com/path?q=1&r=2#frag mailto:a.b@c.de C:\\Users\\x\\file.txt");
  add("mixed-case", "HTTPServer XMLHttpRequest iPhone eBay McDonald's camelCaseWord snake_case_word kebab-case-word");
  add("control", "a\u0000b\u0001c\u001fd\u007fe\u0085f\u200bg\u200dh\ufeffi");
  add("control-no-nel-bom", "a\u0000b\u0001c\u001fd\u007fe f\u200bg\u200dh i\u00ad\u2066j\u202ek");
  add("lone-surrogate", "bad \ud800 high and \udc00 low and \ud83d end");
  add("empty", "");
  add("single-space", " ");
  add("single-char", "a");
  // long mixed document
  const doc = [];
  const vals = Object.values(langs);
  for (let i = 0; i < 40; i++) {
    doc.push(vals[i % vals.length]);
    doc.push(["\n", "\n\n", " ", "\r\n", "\t"][i % 5]);
    if (i % 7 === 0) doc.push("```python\nfor i in range(10):\n    print(i)\n```\n");
    if (i % 11 === 0) doc.push("Numbers: " + (i * 7919) + ", " + (i * 104729.5) + "\n");
  }
  add("long-mixed", doc.join(""));
  return c;
}

// Random strings from pieces that break tokenizers (seeded, so reproducible): 400 per run, lengths 1..40 pieces.
function buildFuzz() {
  const pool = ["a", "Z", "é", "ß", "Ω", "𝕳", "中", "龥", "ぁ", "ヿ", "ｶ", "한", "1", "٣", "𝟙", "½", "Ⅻ", "\u0301", "\u0903",
    ".", ",", "!", "'", "\"", "-", "_", "(", "[", "€", "∑", "©", "😀", "👍🏽", "\u200d", "🇫🇷", "<", ">", "/", "\\",
    " ", "  ", "   ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u000b", "\u200b", "\u0000",
    "'s", "'S", "'ll", "'Re", "'ve", "'m", "'d", "'t", "the", " the", "Hello", "world", "123", "4567", "ing", "don't",
    "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<｜end▁of▁sentence｜>"];
  let seed = 20240607;
  const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const out = [];
  for (let k = 0; k < 400; k++) {
    const len = 1 + rnd(40);
    let t = "";
    for (let i = 0; i < len; i++) t += pool[rnd(pool.length)];
    out.push(t);
  }
  return out;
}

// U+0085 and U+FEFF: JavaScript's \s contains U+FEFF but not U+0085; Hugging Face's Oniguruma (and our)
// \s is Unicode White_Space, which has U+0085 and not U+FEFF. The golden ids of strings holding them are
// marked "js_divergent" and checked separately (tests assert the HF behaviour).
const divergent = (s) => /[\u0085\ufeff]/.test(s);
// transformers.js's Digits pre-tokenizer uses JavaScript's \d (ASCII only); HF's uses char::is_numeric (\p{N}).
const digitsDivergent = (s) => /(?![0-9])\p{N}/u.test(s.normalize("NFKC"));

function goldenIds(tok, corpus, { withSpecial = false, digits = false } = {}) {
  return corpus.map(({ tag, text }) => {
    const input = text.toWellFormed(); // lone surrogates → U+FFFD, which is what TextEncoder encodes anyway
    const row = { tag, ids: tok.encode(input, { add_special_tokens: false }) };
    if (withSpecial) row.ids_special = tok.encode(input, { add_special_tokens: true });
    if (divergent(text) || (digits && digitsDivergent(text))) row.js_divergent = true;
    return row;
  });
}

function goldenDecode(tok, idLists) {
  return idLists.map((ids) => ({
    ids,
    text: tok.decode(ids, { skip_special_tokens: false }),
    text_skip: tok.decode(ids, { skip_special_tokens: true }),
  }));
}

// ---------------------------------------------------------------- chat templates
const conversations = {
  user_only: [{ role: "user", content: "What is 2+2?" }],
  system_user: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "  Hello there!  " },
  ],
  multi_turn_reasoning: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Solve 3x = 12." },
    { role: "assistant", content: "<think>\nDivide both sides by 3.\n</think>\n\nx = 4" },
    { role: "user", content: "And 5x = 35?" },
  ],
  two_systems: [
    { role: "system", content: "First rule." },
    { role: "system", content: "Second rule." },
    { role: "user", content: "Go." },
    { role: "assistant", content: "Done." },
  ],
  unicode: [
    { role: "user", content: "Traduis « bonjour » en 日本語 😀\n\twith tabs" },
    { role: "assistant", content: "こんにちは 👋" },
  ],
  tool_calls_ds: [
    { role: "user", content: "Weather in Paris?" },
    { role: "assistant", content: null, tool_calls: [
      { type: "function", function: { name: "get_weather", arguments: "{\"city\": \"Paris\"}" } },
      { type: "function", function: { name: "get_time", arguments: "{\"tz\": \"CET\"}" } },
    ] },
    { role: "tool", content: "{\"temp\": 21}" },
    { role: "tool", content: "{\"time\": \"12:00\"}" },
    { role: "assistant", content: "It is 21°C at noon." },
  ],
  tool_calls_qwen: [
    { role: "system", content: "Use tools." },
    { role: "user", content: "Weather in Paris?" },
    { role: "assistant", content: "", tool_calls: [
      { type: "function", function: { name: "get_weather", arguments: { city: "Paris", days: 2, units: ["C", "F"] } } },
    ] },
    { role: "tool", content: "{\"temp\": 21}" },
    { role: "user", content: "Thanks" },
  ],
};
const tools = [
  { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: {
    type: "object", properties: { city: { type: "string", description: "City name" } }, required: ["city"] } } },
];

// template name → { tokenizer dir whose special tokens are passed, conversation names, extra kwargs sets }
const templatePlan = {
  deepseek_v3: { tok: "deepseek_v3", convs: ["user_only", "system_user", "multi_turn_reasoning", "two_systems", "unicode", "tool_calls_ds"] },
  deepseek_r1_distill_qwen: { tok: "deepseek_v3", convs: ["user_only", "system_user", "multi_turn_reasoning", "two_systems", "unicode", "tool_calls_ds"] },
  deepseek_r1_distill_llama: { tok: "deepseek_v3", convs: ["user_only", "system_user", "multi_turn_reasoning", "unicode", "tool_calls_ds"] },
  qwen2_5: { tok: "qwen3", convs: ["user_only", "system_user", "multi_turn_reasoning", "two_systems", "unicode", "tool_calls_qwen"], tools: true },
  qwen3: { tok: "qwen3", convs: ["user_only", "system_user", "multi_turn_reasoning", "unicode", "tool_calls_qwen"], tools: true, extra: [{ enable_thinking: false }] },
  llama3_2: { tok: "llama3_style", convs: ["user_only", "system_user", "multi_turn_reasoning", "unicode"], tools: true, base: { date_string: "26 Jul 2024" } },
};

function goldenTemplates(toks) {
  const out = [];
  for (const [name, plan] of Object.entries(templatePlan)) {
    const source = fs.readFileSync(path.join(fx, "templates", name + ".jinja"), "utf8");
    const tok = toks[plan.tok];
    const extras = [{}, ...(plan.extra ?? [])];
    if (plan.tools) extras.push({ tools });
    for (const conv of plan.convs)
      for (const agp of [false, true])
        for (const extra of extras) {
          if (extra.tools && conv !== "user_only" && conv !== "system_user") continue;
          const kwargs = { ...(plan.base ?? {}), ...extra };
          const { tools: t, ...rest } = kwargs;
          const special = { bos_token: tok.getToken("bos_token"), eos_token: tok.getToken("eos_token") };
          // what transformers' apply_chat_template passes: messages, tools, add_generation_prompt, special tokens, kwargs
          const rendered = new Template(source).render({
            messages: conversations[conv], add_generation_prompt: agp, tools: t ?? null, ...special, ...rest,
          });
          out.push({ template: name, conversation: conv, messages: conversations[conv], add_generation_prompt: agp, extra: kwargs,
            bos_token: tok.getToken("bos_token"), eos_token: tok.getToken("eos_token"), rendered });
        }
  }
  return out;
}

// ---------------------------------------------------------------- main
buildLlama3Style();
const corpus = buildCorpus();
writeJson(path.join(fx, "corpus.json"), corpus);
const fuzz = buildFuzz();
writeJson(path.join(fx, "fuzz.json"), fuzz);
// Training text for the BPE-trainer fixture (tests/fixtures/tokenizers/trained), made by the C# trainer:
//   dotnet run --project src/SharpSeek.Cli -- tokenizer train --input tests/fixtures/tokenizers/trainer_input.txt --vocab-size 1000 --out tests/fixtures/tokenizers/trained
// then rerun this script so golden_ids.json covers the trained tokenizer too.
fs.writeFileSync(path.join(fx, "trainer_input.txt"),
  corpus.map((c) => c.text.toWellFormed()).join("\n\n") + "\n\n" +
  fs.readdirSync(path.join(fx, "templates")).sort().map((f) => fs.readFileSync(path.join(fx, "templates", f), "utf8")).join("\n\n"));

const names = ["deepseek_v3", "qwen3", "llama3_style"];
if (fs.existsSync(path.join(fx, "trained", "tokenizer.json"))) names.push("trained");
if (buildExotic()) names.push("exotic");
const toks = Object.fromEntries(names.map((n) => [n, load(n)]));
const golden = { generator: "tools/tokenizers/make-golden.mjs", reference: "@lenml/tokenizers 3.7.2 (transformers.js)", jinja: "@huggingface/jinja 0.5.11", tokenizers: {} };
for (const n of names) {
  const tok = toks[n];
  const cases = goldenIds(tok, corpus, { withSpecial: n === "llama3_style" || n === "trained", digits: n === "exotic" });
  // decode cases: whole-corpus ids, slices cutting UTF-8 characters, and special tokens
  const decodeInputs = [];
  for (const row of cases.slice(0, 30)) decodeInputs.push(row.ids);
  const emo = cases.find((r) => r.tag === "emoji").ids;
  for (let k = 1; k < Math.min(emo.length, 12); k++) decodeInputs.push(emo.slice(0, k));
  decodeInputs.push(cases.find((r) => r.tag.startsWith("special-")).ids);
  const fuzzIds = fuzz.map((t) => tok.encode(t, { add_special_tokens: false }));
  golden.tokenizers[n] = { cases, decode: goldenDecode(tok, decodeInputs), fuzz: n === "exotic" ? [] : fuzzIds };
}
writeJson(path.join(fx, "golden_ids.json"), golden);
const tpl = goldenTemplates(toks);
writeJson(path.join(fx, "golden_templates.json"), { generator: "tools/tokenizers/make-golden.mjs", renders: tpl });
console.log(`corpus ${corpus.length} strings; tokenizers ${names.join(", ")}; ${tpl.length} template renders`);
