#!/usr/bin/env bash
# Keep a sweep's finished runs where a fresh machine can pick them up, without their checkpoints.
#
#   bash scripts/keep-runs.sh save SWEEP_DIR KEEP_DIR     # copy each finished run's record into KEEP_DIR
#   bash scripts/keep-runs.sh restore KEEP_DIR SWEEP_DIR  # put them back before `commons sweep run ... --out SWEEP_DIR`
#
# KEEP_DIR has a sweep directory's layout (sweep.json, runs/ID/...). A run is finished when its
# directory holds summary.json; `commons sweep run` skips such a run, so a sweep restored this way trains
# only what is left. What is kept per run is what `commons sweep report` reads and what says how the run
# went: config.json (every setting and the commit), summary.json, events.jsonl, and metrics.jsonl gzipped
# (metrics.jsonl.gz, about a quarter of its size; restore puts it back as it was). Checkpoints, leases and
# heartbeats are not kept (a finished run needs none of them). Runs that stopped part-way are not kept:
# they start again from step 0 on the next machine and, being deterministic, end where they would have.
# `save` exits 1 (after copying) when KEEP_DIR lies in a git work tree that ignores it: kept runs that
# git leaves out are lost with the machine.
set -euo pipefail

usage() { echo "usage: bash scripts/keep-runs.sh save SWEEP_DIR KEEP_DIR | restore KEEP_DIR SWEEP_DIR" >&2; exit 2; }
[ $# -eq 3 ] || usage
mode=$1 from=$2 to=$3
files=(config.json summary.json events.jsonl)

case "$mode" in
  save)
    [ -d "$from/runs" ] || { echo "keep-runs: SWEEP_DIR: $from has no runs/ folder (is it a sweep's --out?)" >&2; exit 2; }
    mkdir -p "$to/runs"
    if [ -f "$from/sweep.json" ]; then cp "$from/sweep.json" "$to/sweep.json"; fi
    n=0
    for run in "$from"/runs/*/; do
      run=${run%/}
      [ -f "$run/summary.json" ] || continue
      id=$(basename "$run")
      mkdir -p "$to/runs/$id"
      for f in "${files[@]}"; do if [ -f "$run/$f" ]; then cp "$run/$f" "$to/runs/$id/$f"; fi; done
      if [ -f "$run/metrics.jsonl" ]; then gzip -9 -n -c "$run/metrics.jsonl" > "$to/runs/$id/metrics.jsonl.gz"; fi
      n=$((n + 1))
    done
    echo "keep-runs: kept $n finished runs of $from in $to"
    # The point of keeping is to commit: say so at once if git would leave the records out.
    if [ "$n" -gt 0 ] && git -C "$to" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
      if rule=$(git -C "$to" check-ignore -v "runs/$id/summary.json" 2> /dev/null); then
        rel=$(realpath -m --relative-to="$(git -C "$to" rev-parse --show-toplevel)" "$to/runs")
        echo "keep-runs: KEEP_DIR: $to/runs is ignored by git (${rule%%$'\t'*}), so the kept runs would not be committed; add an exception such as !/$rel/ to .gitignore" >&2
        exit 1
      fi
    fi
    ;;
  restore)
    [ -d "$from/runs" ] || { echo "keep-runs: KEEP_DIR: $from has no runs/ folder" >&2; exit 2; }
    mkdir -p "$to/runs"
    if [ -f "$from/sweep.json" ] && [ ! -f "$to/sweep.json" ]; then cp "$from/sweep.json" "$to/sweep.json"; fi
    n=0
    for run in "$from"/runs/*/; do
      run=${run%/}
      id=$(basename "$run")
      [ -f "$run/summary.json" ] || { echo "keep-runs: $run has no summary.json; skipped" >&2; continue; }
      if [ -f "$to/runs/$id/summary.json" ]; then continue; fi
      if [ -e "$to/runs/$id" ]; then echo "keep-runs: $to/runs/$id exists and is not finished; left as it is" >&2; continue; fi
      mkdir -p "$to/runs/$id"
      for f in "${files[@]}"; do if [ -f "$run/$f" ]; then cp "$run/$f" "$to/runs/$id/$f"; fi; done
      if [ -f "$run/metrics.jsonl.gz" ]; then gzip -d -c "$run/metrics.jsonl.gz" > "$to/runs/$id/metrics.jsonl"; fi
      n=$((n + 1))
    done
    echo "keep-runs: restored $n finished runs into $to"
    ;;
  *) usage ;;
esac
