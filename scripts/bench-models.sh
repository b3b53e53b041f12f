#!/usr/bin/env bash
# Every model's training throughput on one core, in interleaved rounds (model 1, 2, ..., model 1, ...), so
# that the machine's drift hits every model alike; 5 agents, 16 envs, Cleanup, A2C. The env-steps/s column is
# what docs/RESULTS.md turns into machine-hours for the paper's budget.
#   bash scripts/bench-models.sh [ROUNDS] [CORE] [extra bench flags, e.g. --game harvest]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; core=${2:-1}; shift $(( $# > 2 ? 2 : $# )) || true
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds: expected a positive integer, got '$rounds'" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build" >&2; exit 1; }
# every model of the registry, in its order (a2c first)
read -r -a models <<< "$(node -e "import('./dist/lib/node.js').then((m) => console.log(m.MODELS.join(' ')))")"
declare -A all
for r in $(seq 1 "$rounds"); do
  for m in "${models[@]}"; do
    v=$(taskset -c "$core" node dist/cli.js bench train --game cleanup --model "$m" --agents 5 --envs 16 --updates 10 --json "$@" |
      tail -n 1 | sed -E 's/.*"agent_steps_per_s": ?([0-9]+).*/\1/')
    all[$m]="${all[$m]:-} $v"
  done
done
echo "agent-steps/s, $(date -u +%Y-%m-%d), core $core of $(nproc --all), $(node --version), $rounds interleaved rounds"
echo "| model | rounds | median agent-steps/s | median env-steps/s | vs a2c |"
echo "|---|---|---|---|---|"
med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
base=$(echo "${all[a2c]}" | med)
for m in "${models[@]}"; do
  x=$(echo "${all[$m]}" | med)
  awk -v m="$m" -v r="${all[$m]# }" -v x="$x" -v b="$base" 'BEGIN { printf "| %s | %s | %d | %d | %.2f |\n", m, r, x, x / 5, x / b }'
done
