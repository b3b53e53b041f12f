#!/usr/bin/env bash
# Worker scaling, in interleaved rounds so that the machine's drift hits every configuration alike:
# the main thread with 16 envs, 1 worker with 16, 2 workers with 16 each, and "pair": two independent
# main-thread runs of 16 envs started together (what two threads can make here with no coordination).
# Run: npm run bench:workers [-- ROUNDS]   (default 4; needs npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds: expected a positive integer, got '$rounds'" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build" >&2; exit 1; }
rate() {
  node dist/cli.js bench train --game cleanup --model a2c --agents 5 --envs "$1" --workers "$2" --updates 20 --json |
    tail -n 1 | sed -E 's/.*"agent_steps_per_s":([0-9]+).*/\1/'
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "| round | main thread, 16 envs | 1 worker, 16 envs | 2 workers, 16 envs each | 2 workers / 1 worker | pair (sum) | pair / main thread |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  main=$(rate 16 0); one=$(rate 16 1); two=$(rate 32 2)
  rate 16 0 > "$tmp" & b=$(rate 16 0); wait; a=$(cat "$tmp")
  awk -v r="$r" -v m="$main" -v o="$one" -v t="$two" -v a="$a" -v b="$b" 'BEGIN {
    printf "| %d | %d | %d | %d | %.2f | %d | %.2f |\n", r, m, o, t, t / o, a + b, (a + b) / m }'
done
