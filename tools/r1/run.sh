#!/usr/bin/env bash
# The R1 recipe end to end on 2 CPU cores (docs/R1-RECIPE.md §7): data → tokenizer → pretraining → cold-start SFT →
# GRPO → baselines (further SFT at GRPO's wall-clock; a student by distillation vs by GRPO alone) → evaluation →
# the embedded model. Every stage resumes when rerun. Outputs under runs/r1 (git-ignored).
#   bash tools/r1/run.sh            # everything
#   bash tools/r1/run.sh "grpo evaluate"   # some stages (the list at the bottom)
#   R=runs/r1-v9 PRETRAIN_CONFIG=tools/r1/pretrain-large.json bash tools/r1/run.sh   # run 9: the larger model
#   R=runs/r1-v9 bash tools/r1/run.sh "start_from_run9 grpo_arith grpo_mixed embed_run10b"   # runs 10, 10b: the embedded model
#   R=runs/r1-v9 bash tools/r1/run.sh "short_pretrain short_grpo_arith short_sft_baseline short_grpo_arith_t06"   # run 12, 12b: the larger model after 800 pretraining steps
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release src/SharpSeek.Cli -v q -nologo >/dev/null
S() { dotnet src/SharpSeek.Cli/bin/Release/net10.0/sharpseek.dll "$@"; }
R=${R:-runs/r1}
PRETRAIN_CONFIG=${PRETRAIN_CONFIG:-tools/r1/pretrain.json}   # paths written for runs/r1 (cfg moves them to $R)
mkdir -p "$R"
# a crash leaves a minidump (all threads' stacks) under $R for the open GRPO access-violation bug (§7, run 2)
export DOTNET_DbgEnableMiniDump=1 DOTNET_DbgMiniDumpType=1 DOTNET_DbgMiniDumpName="$PWD/$R/crash-%p.dmp"
MAXTOK=1900                                  # the longest Countdown-3 search (all three numbers tried, every value compared digit by digit) is ~1,750 tokens
GRPO_MINUTES=${GRPO_MINUTES:-30}
latest() { echo "$1/checkpoints/$(cat "$1/latest")"; }

data() {
  S r1-data --out $R/data --pretrain arithmetic=80000,countdown3=60000,countdown4=10000,linear=10000,evaluate=10000,lookup=60000 --cold-start-per-task 100
  S tokenizer train --input $R/data/tokenizer_corpus.txt --vocab-size 640 --out $R/tokenizer --individual-digits \
    --special-tokens "<｜begin▁of▁sentence｜>" "<｜end▁of▁sentence｜>" "<｜▁pad▁｜>" "<｜User｜>" "<｜Assistant｜>" "<think>" "</think>" "<answer>" "</answer>"
  S data --tokenizer $R/tokenizer --out $R/pretrain-shards $R/data/pretrain.jsonl
}
cfg() {   # a training config for this run: the template's paths (written for runs/r1) moved to $R, where the copy goes
  local out="$R/$(basename "$1")"
  sed 's|"\.\./\.\./runs/r1/|"|g' "$1" > "$out"; echo "$out"
}
pretrain() {
  S train --config "$(cfg "$PRETRAIN_CONFIG")" --plain          # 20.5M tokens (5,000 steps × 4,096)
}
pretrain_student() {
  S train --config "$(cfg tools/r1/pretrain-student.json)" --plain  # the smaller distillation student, 12.3M tokens
}
coldstart() {
  S sft --model "$(latest $R/pretrain)" --data $R/data/cold_start.jsonl --out $R/coldstart --steps 150 --lr 5e-4 --min-lr 5e-5 --warmup 10
}
student_coldstart() {
  S sft --model "$(latest $R/pretrain-student)" --data $R/data/cold_start.jsonl --out $R/student-coldstart --steps 150 --lr 5e-4 --min-lr 5e-5 --warmup 10
}
retry() {   # a GRPO run resumes from its last checkpoint; rerun it after a crash (see docs/R1-RECIPE.md §7, run 2)
  local i; for i in 1 2 3 4 5; do "$@" && return 0; echo "== attempt $i failed (exit $?); resuming"; done; return 1
}
grpo() {
  retry S grpo --model "$(latest $R/coldstart)" --out $R/grpo --tasks arithmetic,countdown3 --minutes "$GRPO_MINUTES" --steps 2000 \
    --group 8 --prompts 8 --lr 1e-4 --beta 0.04 --max-tokens $MAXTOK --eval-every 25 --eval-n 50 --eval-k 4
}
grpo_more() {     # run 9b: GRPO continued from run 9's policy for another GRPO_MINUTES, β = 0 (no reference pass; groups with
                  # equal rewards carry no gradient, so only sequences with signal are updated)
  retry S grpo --model "$(latest $R/grpo)" --out $R/grpo-more --tasks arithmetic,countdown3 --minutes "$GRPO_MINUTES" --steps 2000 \
    --group 8 --prompts 8 --lr 1e-4 --beta 0 --max-tokens $MAXTOK --eval-every 40 --eval-n 50 --eval-k 4
}
start_from_run9() {  # runs 10 and 10b start from run 9's policy as committed (the bf16 embedded model of commit d43dce9)
  local d=$R/grpo/checkpoints/embedded f; rm -rf "$d"; mkdir -p "$d"   # rm: a symlink there is replaced, not written through
  for f in config.json model.safetensors tokenizer.json tokenizer_config.json; do git show "d43dce9:models/sharpseek-r1-tiny/$f" > "$d/$f"; done
  echo embedded > $R/grpo/latest
}
grpo_arith() {     # run 10: GRPO on arithmetic alone from run 9's policy (its weak task); arithmetic traces are <= 450 tokens, so
                  # a step is ~5x cheaper than a mixed one and 30 minutes hold the few hundred steps that moved run 3's arithmetic
  retry S grpo --model "$(latest $R/grpo)" --out $R/grpo-arith --tasks arithmetic --minutes "$GRPO_MINUTES" --steps 4000 \
    --group 8 --prompts 8 --lr 1e-4 --beta 0.04 --max-tokens 600 --eval-every 50 --eval-n 50 --eval-k 4
}
grpo_mixed() {     # run 10b: both tasks again from run 10's policy; max 1,200 tokens (99 % of its correct Countdown-3 searches
                  # are shorter; the ~10 % that degenerate no longer hold every batch to 1,900 tokens)
  retry S grpo --model "$(latest $R/grpo-arith)" --out $R/grpo-mixed --tasks arithmetic,countdown3 --minutes "$GRPO_MINUTES" --steps 4000 \
    --group 8 --prompts 8 --lr 1e-4 --beta 0.04 --max-tokens 1200 --eval-every 40 --eval-n 50 --eval-k 4
}
sft_from_run9() {  # the baseline beside runs 10 / 10b: the same 30 minutes of further SFT on the cold-start traces, from run 9's policy
  S sft --model "$(latest $R/grpo)" --data $R/data/cold_start.jsonl --out $R/sft-from-run9 --steps 100000 --lr 5e-5 --min-lr 5e-5 --warmup 0 --minutes "$GRPO_MINUTES"
}
sft_baseline() {   # the same wall-clock of further SFT on the cold-start traces, from the same cold-start model
  S sft --model "$(latest $R/coldstart)" --data $R/data/cold_start.jsonl --out $R/sft-more --steps 100000 --lr 5e-5 --min-lr 5e-5 --warmup 0 --minutes "$GRPO_MINUTES"
}
distill() {
  local t0=$SECONDS
  S distill --teacher "$(latest $R/grpo)" --student "$(latest $R/student-coldstart)" --out $R/distill --tasks arithmetic,countdown3 \
    --problems 400 --k 4 --max-tokens $MAXTOK --steps 300 --lr 5e-4
  echo $((SECONDS - t0)) > $R/distill/seconds.txt        # the student's compute: rejection sampling + SFT
}
student_grpo() {   # GRPO on the student alone, for the distillation's wall-clock (STUDENT_MINUTES)
  retry S grpo --model "$(latest $R/student-coldstart)" --out $R/student-grpo --tasks arithmetic,countdown3 --minutes "$(awk '{print $1/60}' $R/distill/seconds.txt)" --steps 2000 \
    --group 8 --prompts 8 --lr 1e-4 --beta 0.04 --max-tokens $MAXTOK --eval-every 25 --eval-n 50 --eval-k 4
}
student_grpo_task() {  # GRPO from the student's ≤ 20 % cold start on one task (NAME TASK MAX_TOKENS EVAL_EVERY), accuracy reward only
                       # (its mixed run collapsed onto the format reward), for the full GRPO_MINUTES: can RL lift a weak start
                       # given steps? STUDENT_LR=3e-4: the same at a 3x learning rate, in its own folder
  retry S grpo --model "$(latest $R/student-coldstart)" --out $R/student-grpo-$1${STUDENT_LR:+-lr$STUDENT_LR} --tasks "$2" --rewards accuracy=1 \
    --minutes "$GRPO_MINUTES" --steps 8000 --group 8 --prompts 8 --lr ${STUDENT_LR:-1e-4} --beta 0.04 --max-tokens "$3" --eval-every "$4" --eval-n 50 --eval-k 4
}
student_grpo_arith() { student_grpo_task arith arithmetic 600 100; }       # run 11 (arithmetic 0.11 after the cold start)
student_grpo_countdown() { student_grpo_task countdown countdown3 1200 40; }    # run 11b (Countdown-3 0.17; its searches run to ~850 tokens)
short_pretrain() {    # run 12: run 9's larger model (pretrain-large.json) pretrained for 800 steps instead of 5,000 (its loss still
                     # falling), then the same cold start: a <= 20 % start with the capacity the student lacks
  local c="$R/pretrain-large-800.json"
  sed -e 's|"\.\./\.\./runs/r1/|"|g' -e 's|"steps": 5000|"steps": 800|' -e 's|"out_dir": "pretrain"|"out_dir": "pretrain-800"|' \
    -e 's|"checkpoint_every": 250|"checkpoint_every": 200|' tools/r1/pretrain-large.json > "$c"
  S train --config "$c" --plain
  S sft --model "$(latest $R/pretrain-800)" --data $R/data/cold_start.jsonl --out $R/coldstart-800 --steps 150 --lr 5e-4 --min-lr 5e-5 --warmup 10
}
short_grpo() {       # run 12's GRPO from the short-pretraining cold start: out dir, then extra grpo options
  local out=$1; shift
  retry S grpo --model "$(latest $R/coldstart-800)" --out $R/$out --tasks arithmetic --rewards accuracy=1 "$@" \
    --minutes "$GRPO_MINUTES" --steps 8000 --group 8 --prompts 8 --lr 1e-4 --beta 0.04 --max-tokens 600 --eval-every 50 --eval-n 50 --eval-k 4
}
short_grpo_arith() { short_grpo grpo-arith-800; }   # run 12: 30 minutes of GRPO on arithmetic, run 11's settings (accuracy reward only)
short_grpo_arith_t06() {   # run 12b: the same with rollouts at the evaluation's T 0.6 / top-p 0.95 (the cold start's T 1.0
                           # samples are right 1 time in 64, its T 0.6 ones 1 in 14)
  short_grpo grpo-arith-800-t06 --temperature 0.6 --top-p 0.95
}
short_sft_baseline() { # run 12's baseline: the same 30 minutes of further SFT on the cold-start traces, from the same cold start
  S sft --model "$(latest $R/coldstart-800)" --data $R/data/cold_start.jsonl --out $R/sft-more-800 --steps 100000 --lr 5e-5 --min-lr 5e-5 --warmup 0 --minutes "$GRPO_MINUTES"
}
evaluate() {      # the before/after table: 100 held-out problems per task, k = 4 at T 0.6 / top-p 0.95, plus greedy
  for m in coldstart grpo sft-more distill/sft student-coldstart student-grpo; do
    for t in arithmetic countdown3 countdown4 linear evaluate lookup; do
      [ -e $R/$m/latest ] || continue
      echo "$m $t $(S eval --model "$(latest $R/$m)" --task $t --n 100 --k 4 --max-tokens $MAXTOK --greedy --json)"
    done
  done | tee $R/eval.txt
}
embed_run10b() {    # the embedded model since run 10b: its GRPO policy cast to bf16, with its tokenizer (the card is written by hand)
  S convert --model "$(latest $R/grpo-mixed)" --out $R/run10b-bf16 --type bf16
  cp $R/run10b-bf16/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json} models/sharpseek-r1-tiny/
}
embed() {         # the embedded default model: the GRPO policy (f32 safetensors) with its tokenizer; the card is written by hand
  local src; src="$(latest $R/grpo)"
  mkdir -p models/sharpseek-r1-tiny
  cp "$src"/{config.json,model.safetensors,tokenizer.json,tokenizer_config.json} models/sharpseek-r1-tiny/
}
stages=${1:-"data pretrain coldstart grpo sft_baseline pretrain_student student_coldstart distill student_grpo evaluate embed"}
for s in $stages; do echo "== $s"; $s; done
