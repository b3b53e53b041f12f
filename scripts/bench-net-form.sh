#!/usr/bin/env bash
# The paper's network form against commons' head form, on one core, in interleaved rounds (every
# configuration once per round, the order the same each round) so that the machine's drift hits them alike:
# each influence model with --net-form paper and head, and a2c beside them (the MOA's target is a ratio to
# a2c). 5 agents, 16 envs, A2C. Throughput per second of the process's CPU time (agent_steps_per_cpu_s of
# commons bench train), which other work on a shared machine disturbs far less than the wall clock. Prints
# the medians with their ratios, and the medians of the per-round ratios of neighbouring runs.
#   bash scripts/bench-net-form.sh [ROUNDS] [CORE] [extra bench flags, e.g. --game harvest --updates 20]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; core=${2:-0}; shift $(( $# > 2 ? 2 : $# )) || true
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds: expected a positive integer, got '$rounds'" >&2; exit 2; }
[[ "$core" =~ ^[0-9]+$ ]] || { echo "core: expected a core number, got '$core'" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build" >&2; exit 1; }
# each paper form right after its head form, and a2c right after the MOA's paper form: the ratios are taken
# per round between neighbours, which the machine's drift (other work on it) hits least
configs=("influence head" "influence paper" "influence-comm head" "influence-comm paper" "influence-moa head" "influence-moa paper" "a2c head")
declare -A all ratio
for r in $(seq 1 "$rounds"); do
  for cfg in "${configs[@]}"; do
    read -r m f <<< "$cfg"
    v=$(taskset -c "$core" node dist/cli.js bench train --model "$m" --net-form "$f" --agents 5 --envs 16 --updates 10 --json "$@" 2>/dev/null |
      tail -n 1 | sed -E 's/.*"agent_steps_per_cpu_s": ?([0-9]+).*/\1/')
    all[$cfg]="${all[$cfg]:-} $v"
    declare "last_${m//-/_}_$f=$v"
    echo "round $r: $cfg $v agent-steps/s" >&2
  done
  for m in influence influence_comm influence_moa; do
    h="last_${m}_head"; p="last_${m}_paper"
    ratio[$m]="${ratio[$m]:-} $(awk -v a="${!p}" -v b="${!h}" 'BEGIN { printf "%.3f", a / b }')"
  done
  ratio[moa_a2c]="${ratio[moa_a2c]:-} $(awk -v a="$last_influence_moa_paper" -v b="$last_a2c_head" 'BEGIN { printf "%.3f", a / b }')"
done
med() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "agent-steps per CPU second, $(date -u +%Y-%m-%d), core $core of $(nproc --all), $(node --version), $rounds interleaved rounds, flags: ${*:-none}"
echo "| model | --net-form | agent-steps per CPU s, rounds | median | median vs its head form | median vs a2c |"
echo "|---|---|---|---|---|---|"
base=$(echo "${all[a2c head]}" | med)
for cfg in "${configs[@]}"; do
  read -r m f <<< "$cfg"
  x=$(echo "${all[$cfg]}" | med); hf=$(echo "${all[$m head]}" | med)
  awk -v m="$m" -v f="$f" -v r="${all[$cfg]# }" -v x="$x" -v h="$hf" -v b="$base" \
    'BEGIN { printf "| %s | %s | %s | %d | %.2f | %.2f |\n", m, (m == "a2c" ? "-" : f), r, x, x / h, x / b }'
done
echo
echo "| ratio, per round (neighbouring runs) | rounds | median |"
echo "|---|---|---|"
for k in influence influence_comm influence_moa moa_a2c; do
  name=${k//_/-}; [ "$k" = moa_a2c ] && name="influence-moa paper / a2c" || name="$name paper / head"
  printf "| %s | %s | %s |\n" "$name" "${ratio[$k]# }" "$(echo "${ratio[$k]}" | med)"
done
