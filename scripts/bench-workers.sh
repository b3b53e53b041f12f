#!/usr/bin/env bash
# Worker scaling, in interleaved rounds so that the machine's drift hits every configuration alike:
# the main thread with E envs, 1 worker with E, 2 workers with E each, and "pair": two independent
# main-thread runs of E envs started together (what two threads can make here with no coordination).
# Run: npm run bench:workers [-- ROUNDS [E]]   (default 4 rounds, E = 32; needs npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
E=${2:-32}
[[ "$E" =~ ^[1-9][0-9]*$ ]] || { echo "E: expected a positive integer, got '$E'" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds: expected a positive integer, got '$rounds'" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build" >&2; exit 1; }
rate() {
  node dist/cli.js bench train --game cleanup --model a2c --agents 5 --envs "$1" --workers "$2" --updates 20 --json |
    tail -n 1 | sed -E 's/.*"agent_steps_per_s":([0-9]+).*/\1/'
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "| round | main thread, $E envs | 1 worker, $E envs | 2 workers, $E envs each | 2 workers / 1 worker | pair (sum) | pair / main thread | 2 workers / pair |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  main=$(rate "$E" 0); one=$(rate "$E" 1); two=$(rate $((2 * E)) 2)
  rate "$E" 0 > "$tmp" & b=$(rate "$E" 0); wait; a=$(cat "$tmp")
  awk -v r="$r" -v m="$main" -v o="$one" -v t="$two" -v a="$a" -v b="$b" 'BEGIN {
    printf "| %d | %d | %d | %d | %.2f | %d | %.2f | %.2f |\n", r, m, o, t, t / o, a + b, (a + b) / m, t / (a + b) }'
done
