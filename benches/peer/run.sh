#!/usr/bin/env bash
# iamsim against @cloud-copilot/iam-simulate on the same generated requests:
# both decisions compared request by request, then both throughputs and
# their ratio. Run by hand, never in CI (see README.md).
#
#   bash benches/peer/run.sh            # 1000 requests, seed 42, 5 s per timing
#   COUNT=5000 SEED=7 SECONDS_EACH=10 bash benches/peer/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
count="${COUNT:-1000}"
seed="${SEED:-42}"
secs="${SECONDS_EACH:-5}"
out="$here/out"
mkdir -p "$out"

# Single-threaded runs are pinned to one CPU so that neither side gets a
# second core for free (node's GC and JIT have helper threads).
pin=()
if command -v taskset >/dev/null 2>&1; then
  pin=(taskset -c 0)
fi

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
echo "== load average before: $(load) (run on an idle machine: other work skews every figure)"

echo "== installing @cloud-copilot/iam-simulate (npm ci)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

echo "== building iamsim-peer (release)"
(cd "$root" && cargo build --release --quiet -p iamsim-benches --bin iamsim-peer)
bin="${CARGO_TARGET_DIR:-$root/target}/release/iamsim-peer"

echo "== generating $count requests (seed $seed)"
"$bin" generate --count "$count" --seed "$seed" --out "$out/requests.json"

for fn in decide evaluate; do
  echo "== iamsim eval::$fn, 1 thread (pinned)"
  "${pin[@]}" "$bin" run --requests "$out/requests.json" --function "$fn" --threads 1 \
    --min-seconds "$secs" --decisions "$out/iamsim-$fn-1.json"
  echo "== iamsim eval::$fn, 2 threads"
  "$bin" run --requests "$out/requests.json" --function "$fn" --threads 2 \
    --min-seconds "$secs" --decisions "$out/iamsim-$fn-2.json"
done

# runSimulation twice (policies validated once / on every call), then the
# bare engine without validation as an upper bound on the peer's speed.
for mode in prevalidated raw unsafe; do
  echo "== iam-simulate, mode $mode (pinned)"
  "${pin[@]}" node "$here/peer.mjs" --requests "$out/requests.json" --mode "$mode" \
    --min-seconds "$secs" --decisions "$out/peer-$mode.json"
done

echo "== comparing (full report in $out/compare.txt)"
"$bin" compare --requests "$out/requests.json" \
  --iamsim "$out/iamsim-decide-1.json" --iamsim "$out/iamsim-decide-2.json" \
  --iamsim "$out/iamsim-evaluate-1.json" --iamsim "$out/iamsim-evaluate-2.json" \
  --peer "$out/peer-prevalidated.json" --peer "$out/peer-raw.json" \
  --peer "$out/peer-unsafe.json" \
  | tee "$out/compare.txt"
echo "== load average after: $(load)"
