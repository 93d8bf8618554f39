// Encode throughput of the reference (transformers.js via @lenml/tokenizers), for bench/SharpSeek.Bench.Tokenizers,
// which runs this in the same session and prints the ratio.
//   node bench.mjs <tokenizer dir> <docs.json: array of strings> <seconds>
// Prints one JSON line: {"mb_s":..,"tokens":..,"bytes":..,"passes":..,"load_s":..}
import fs from "node:fs";
import path from "node:path";
import { TokenizerLoader } from "@lenml/tokenizers";

const [dir, docsPath, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? "5");
const t0 = performance.now();
const cfgPath = path.join(dir, "tokenizer_config.json");
const tok = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8")),
  tokenizerConfig: fs.existsSync(cfgPath) ? JSON.parse(fs.readFileSync(cfgPath, "utf8")) : {},
});
const loadS = (performance.now() - t0) / 1000;
const docs = JSON.parse(fs.readFileSync(docsPath, "utf8"));
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d, "utf8"), 0);
let tokens = 0;
for (const d of docs) tokens += tok.encode(d, { add_special_tokens: false }).length; // warm-up pass (JIT, caches)
let best = Infinity, passes = 0, elapsed = 0;
while (elapsed < seconds * 1000 || passes < 2) {
  const s = performance.now();
  for (const d of docs) tok.encode(d, { add_special_tokens: false });
  const dt = performance.now() - s;
  best = Math.min(best, dt);
  elapsed += dt;
  passes++;
}
console.log(JSON.stringify({ mb_s: bytes / 1e6 / (best / 1000), tokens, bytes, passes, load_s: loadS }));
