#!/usr/bin/env bash
# The learner's throughput curve on whatever GPU this machine has (tfjs's WebGPU backend in Node, through
# the `webgpu` package: Dawn over Vulkan), beside the wasm backend on one CPU thread, as one table.
#   bash scripts/bench-gpu.sh [--envs "256 1024 4096"] [--model a2c] [--budget 450]
# Installs what it needs (npm ci, npm run build) when node_modules or dist is missing, and finishes within
# --budget seconds (default 450, under 8 minutes with the install of a warm npm cache): a size that does not
# fit in what is left is reported as skipped. Without a Vulkan loader on the system it falls back to the
# software Vulkan of Debian's chromium (SwiftShader): the table then says "software", a correctness run,
# not a GPU figure.
set -euo pipefail
cd "$(dirname "$0")/.."
envs="256 1024 4096"; model=a2c; budget=450
while [ $# -gt 0 ]; do
  case "$1" in
    --envs) envs="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-gpu: unknown argument '$1'; allowed: --envs \"N ...\", --model NAME, --budget SECONDS" >&2; exit 2 ;;
  esac
done
for n in $envs; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "--envs: expected positive integers, got '$n'" >&2; exit 2; }; done
[[ "$budget" =~ ^[1-9][0-9]*$ ]] || { echo "--budget: expected a positive number of seconds, got '$budget'" >&2; exit 2; }
start=$SECONDS
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli.js ] || npm run build --silent
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export LD_LIBRARY_PATH=/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
adapter=$(node --input-type=module -e "
  const { create, globals } = await import('webgpu'); Object.assign(globalThis, globals);
  const a = await create([]).requestAdapter();
  if (!a) { console.log('none'); process.exit(0); }
  const i = a.info ?? {};
  console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed', (i.isFallbackAdapter || a.isFallbackAdapter) ? '(software)' : '');
" 2>/dev/null || echo "none (the webgpu package did not load)")
echo "commons $(node -p "require('./package.json').version"), $(date -u +%Y-%m-%d), $(nproc) CPU threads, WebGPU adapter: $adapter"
echo
echo "| backend | envs x agents | agent-steps/s | updates timed | seconds |"
echo "|---|---|---|---|---|"
run() { # backend envs updates
  local left=$((budget - (SECONDS - start)))
  if [ "$left" -lt 20 ]; then echo "| $1 | $2 x 5 | skipped (budget spent) | | |"; return; fi
  local out err; err=$(mktemp)
  if out=$(timeout "$left" node dist/cli.js bench train --game cleanup --model "$model" --agents 5 --envs "$2" --backend "$1" --updates "$3" --json 2>"$err" | tail -n 1) && [ -n "$out" ]; then
    echo "$out" | node -e "const r = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      console.log('| ' + r.backend + ' | ' + r.envs + ' x ' + r.agents + ' | ' + r.agent_steps_per_s.toLocaleString('en-US') + ' | $3 | ' + r.seconds + ' |')"
  else
    local why; why=$(grep -v '^\s*$' "$err" | tail -n 1 | cut -c1-120)
    echo "| $1 | $2 x 5 | failed or timed out${why:+: $why} | | |"
  fi
  rm -f "$err"
}
for n in 16 64 256; do run wasm "$n" 5; done
if [ "${adapter%% *}" = none ]; then echo; echo "no WebGPU adapter here: $adapter"; exit 0; fi
for n in $envs; do run webgpu "$n" 3; done
