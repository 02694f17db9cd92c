#!/usr/bin/env bash
# Instructions per event to decode and encode the demo + tour events, with the per-class codecs
# and with the generic walk they replaced: deterministic (callgrind counts instructions), so it
# can be compared across runs on a busy machine. Each path runs K=0 and K=100 passes; the
# difference divided by 100 x events is the cost of one event.
#     bash bench/codec_instructions.sh          (about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
.venv/bin/python bench/codec_instructions.py dump "$work/stored.pkl"
n=$(.venv/bin/python -c "import pickle,sys; print(len(pickle.load(open(sys.argv[1],'rb'))))" "$work/stored.pkl")
for mode in walk codec; do for op in decode encode; do
  for k in 0 100; do
    valgrind --tool=callgrind --callgrind-out-file="$work/out.$k" \
      .venv/bin/python bench/codec_instructions.py run "$work/stored.pkl" $mode $op $k >/dev/null 2>&1
  done
  a=$(grep -m1 '^totals\|^summary' "$work/out.0" | awk '{print $2}')
  b=$(grep -m1 '^totals\|^summary' "$work/out.100" | awk '{print $2}')
  echo "$mode $op: $(( (b - a) / 100 / n )) instructions per event ($n events)"
done; done
rm -rf "$work"
