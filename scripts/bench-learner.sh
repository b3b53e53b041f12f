#!/usr/bin/env bash
# The learner's speed against references, in interleaved rounds (A B C D A B C D ...) pinned to one core, so
# that the machine's drift hits every configuration alike. Per round: this build, optionally an older
# build of commons (OLD=/path/to/its/checkout, built), and the PyTorch peers of ../shared/peers (PEER=python
# of a venv with torch; see ../shared/peers/README.md) in their loop5 and batched forms. Same network, same
# A2C update, 5 independent agents, 16 envs x 20-step rollouts, one thread.
#   OLD=../old PEER=~/peer/bin/python bash scripts/bench-learner.sh [ROUNDS] [CORE]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; core=${2:-1}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "rounds: expected a positive integer, got '$rounds'" >&2; exit 2; }
[ -f dist/cli.js ] || { echo "dist/cli.js is missing: run npm run build" >&2; exit 1; }
peers=../shared/peers
rate() { sed -E 's/.*"agent_steps_per_s": ?([0-9]+).*/\1/' | tail -n 1; }
commons() { taskset -c "$core" node "$1/dist/cli.js" bench train --game cleanup --model a2c --agents 5 --envs 16 --updates 20 --json | rate; }
torch() { (cd "$peers" && taskset -c "$core" "$PEER" torch_a2c.py --threads 1 --impl "$1" ${2:+--lstm $2} --mode loop --updates 20 2>/dev/null | rate); }
cols="this build"; [ -n "${OLD:-}" ] && cols="$cols | older build ($OLD)"; [ -n "${PEER:-}" ] && cols="$cols | PyTorch loop5 | PyTorch batched"
echo "agent-steps/s, $(date -u +%Y-%m-%d), core $core of $(nproc), $(node --version)"
echo "| round | $cols |"
echo "|---|$(echo "$cols" | sed 's/[^|]*/---/g')|"
for r in $(seq 1 "$rounds"); do
  row="| $r | $(commons .)"
  [ -n "${OLD:-}" ] && row="$row | $(commons "$OLD")"
  [ -n "${PEER:-}" ] && row="$row | $(torch loop5 cell) | $(torch batched)"
  echo "$row |"
done
