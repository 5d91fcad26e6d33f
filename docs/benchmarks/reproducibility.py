"""What is bit-identical in training, and what pinning torch's kernels costs (issue #14, item 4).

Trains the cleaning robot (``TrainConfig("cleaning-robot", steps=STEPS, seed=0)``: training's defaults,
8 envs, one torch thread) in fresh processes under five settings, and prints for each the SHA-256 of the
trained policy's parameters and the training's CPU seconds:

- ``default``, in one process, then in another;
- ``deterministic``: ``torch.use_deterministic_algorithms(True)`` (an error, not a silent difference, for an
  op without a deterministic kernel);
- ``avx2``: ``ATEN_CPU_CAPABILITY=avx2`` and ``MKL_CBWR=AVX2``, the kernels torch and MKL pick on a CPU
  without AVX-512: what another machine type would compute, simulated on this one;
- ``portable``: ``ATEN_CPU_CAPABILITY=default`` and ``MKL_CBWR=COMPATIBLE``, kernels that do not depend on
  the CPU's vector instructions (the same on every x86-64 machine), and their cost.

Each process trains twice (same process: the two digests agree or not); the CPU time compared is the second
training's (``time.process_time`` around ``train``; the first pays for lazy start-up), against ``default``'s.
Run from the repository root::

    PYTHONPATH=. .venv/bin/python docs/benchmarks/reproducibility.py [STEPS=50000]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import hashlib, json, sys, tempfile, time
from pathlib import Path
import torch
from proxies.run.training import TrainConfig, train
from proxies.scenario.registry import get_scenario
steps, runs, deterministic = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
if deterministic:
    torch.use_deterministic_algorithms(True)
scenario = get_scenario("cleaning-robot")
for _ in range(runs):
    with tempfile.TemporaryDirectory() as out:
        start = time.process_time()
        model = train(scenario, TrainConfig("cleaning-robot", steps=steps, seed=0), Path(out), progress=False)
        seconds = time.process_time() - start
    digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.policy.state_dict().values()))
    print(json.dumps({"digest": digest.hexdigest()[:16], "cpu_s": seconds,
                      "capability": torch.backends.cpu.get_cpu_capability()}), flush=True)
"""

SETTINGS = {
    "default": ({}, False),
    "default, another process": ({}, False),
    "deterministic": ({}, True),
    "avx2": ({"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}, False),
    "portable": ({"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}, False),
}
"""Name -> (environment, deterministic algorithms)."""
RUNS = 2
"""Trainings per process: the second's CPU time is the one compared (the first pays for lazy start-up)."""


def main(steps: int) -> None:
    rows = {}
    with tempfile.TemporaryDirectory() as logs:
        for name, (env, deterministic) in SETTINGS.items():
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(steps), str(RUNS), "1" if deterministic else "0"],
                env={**os.environ, **env, "PYTHONPATH": str(Path.cwd()), "SB3_LOGDIR": logs},
                check=True, capture_output=True, text=True,
            ).stdout
            rows[name] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    base = rows["default"][-1]["cpu_s"]
    print(f"{steps:,} training steps of the cleaning robot, seed 0 (one torch thread), {RUNS} trainings a process:")
    print(f"{'setting':>26}  {'kernels':>8}  {'parameters (sha256), each training':>40}  {'CPU s':>6}  vs default")
    for name, runs in rows.items():
        digests, last = " ".join(r["digest"] for r in runs), runs[-1]
        print(f"{name:>26}  {last['capability']:>8}  {digests:>40}  {last['cpu_s']:6.1f}  {last['cpu_s'] / base:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
