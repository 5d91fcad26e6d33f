#!/usr/bin/env bash
# The scene kit's speed against the tree before it (issue #11's protocol): `proxy-sandbox bench --json`
# on the cleaning robot, before and after, alternating, on one machine. Run from the repository root,
# with .venv made (`make test` makes it):  bash docs/benchmarks/kit_before_after.sh [ROUNDS] [STEPS]
# Prints one JSON line per bench run, tagged "before" or "after"; compare env_overhead_ratio and ppo_ratio.
set -euo pipefail
ROUNDS=${1:-2}
STEPS=${2:-30000}
BEFORE=c98d0ac  # the last commit before the scene kit
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
WORK=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$WORK/before" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
git -C "$ROOT" worktree add --quiet --detach "$WORK/before" "$BEFORE"
bench() {  # $1: tag, $2: tree
  (cd "$2" && PYTHONPATH="$2" SB3_LOGDIR="$WORK/sb3" "$PY" -c "
import json, sys
try:
    from proxies.run.bench import run_bench
except ImportError:  # the before-tree, whose proxies/ was flat
    from proxies.bench import run_bench
r = run_bench(steps=$STEPS, repeats=3)
print(json.dumps({'tree': '$1', **{k: round(v, 4) for k, v in r.items() if isinstance(v, float)}}))
" 2>/dev/null)
}
for _ in $(seq "$ROUNDS"); do
  bench before "$WORK/before"
  bench after "$ROOT"
done
