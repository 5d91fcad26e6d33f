#!/usr/bin/env bash
# `bench` figures of one scenario on two commits, alternating, on one machine (CPU-loaded machines: compare the
# ratios side by side). Run from the repository root, with .venv made (`make test` makes it):
#   bash docs/benchmarks/scenario_before_after.sh SCENARIO BEFORE [AFTER=HEAD] [ROUNDS=2] [STEPS=20000]
# Prints one JSON line per bench run, tagged with its commit; compare env_overhead_ratio and ppo_ratio.
set -euo pipefail
SCENARIO=$1
BEFORE=$2
AFTER=${3:-HEAD}
ROUNDS=${4:-2}
STEPS=${5:-20000}
ROOT=$(pwd)
PY=${PY:-"$ROOT/.venv/bin/python"}
WORK=$(mktemp -d)
trap 'for t in before after; do git -C "$ROOT" worktree remove --force "$WORK/$t" >/dev/null 2>&1 || true; done; rm -rf "$WORK"' EXIT
git -C "$ROOT" worktree add --quiet --detach "$WORK/before" "$BEFORE"
git -C "$ROOT" worktree add --quiet --detach "$WORK/after" "$AFTER"
bench() {  # $1: tag, $2: tree
  (cd "$2" && PYTHONPATH="$2" SB3_LOGDIR="$WORK/sb3" nice -n 5 "$PY" -c "
import json
from proxies.run.bench import run_bench
r = run_bench('$SCENARIO', steps=$STEPS, repeats=3)
print(json.dumps({'tree': '$1', 'commit': '$(git -C "$2" rev-parse --short HEAD)', **{k: round(v, 4) for k, v in r.items() if isinstance(v, float)}}))
" 2>/dev/null)
}
for _ in $(seq "$ROUNDS"); do
  bench before "$WORK/before"
  bench after "$WORK/after"
done
