"""The coevolution's memory in a GAN (issue 23): the same image preset with and without a memory
(population mode's hall of fame, a replay buffer of past counterfeits), over seeds, read by the
run's own image metrics.

``run`` makes full-length runs (variants x seeds), one process per run, each into its own run
directory, and skips runs already complete (rerun it to resume a batch). ``report`` reads the
run directories: per variant the median [interquartile range] over seeds of the Frechet ratio
(Frechet distance of generated against real features over the real halves' own: 1 is sampling
noise), the class coverage and the C2ST accuracy (0.5: indistinguishable), and seed by seed
against the first variant given.

    python benchmarks/gan_memory.py run --variants single population hall-of-fame replay --seeds 0-9
    python benchmarks/gan_memory.py report --variants single population hall-of-fame replay --seeds 0-9
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from coevolution import seeds, status, toml_value

#: variant -> overrides of the preset; every variant but ``single`` evolves 4 generators against 4
#: discriminators
POPULATION = {"learner.population": 4}
VARIANTS: dict[str, dict] = {
    "single": {},  # the preset: one generator against one discriminator, no selection
    "population": POPULATION,  # selection every 100 generations, no memory
    "hall-of-fame": {**POPULATION, "learner.hall_of_fame": 5, "learner.hall_of_fame_every": 1},
    "hall-of-fame-20": {**POPULATION, "learner.hall_of_fame": 20, "learner.hall_of_fame_every": 1},
    # a buffer of past generated images (Shrivastava et al., 2017): 50 or 10 batches of 64
    "replay": {"learner.replay": 3200},
    "replay-640": {"learner.replay": 640},
    "replay-share-0.1": {"learner.replay": 3200, "learner.replay_share": 0.1},
    "population-replay": {**POPULATION, "learner.replay": 3200},
}
#: summary.json's image metrics, and whether lower is better
METRICS = {"frechet_ratio": True, "class_coverage": False, "c2st": True}


def run_dir(root: Path, preset: str, variant: str, seed: int) -> Path:
    return root / variant / preset / f"s{seed}"


def one_run(root: Path, preset: str, variant: str, seed: int, extra: list[str]) -> str:
    out = run_dir(root, preset, variant, seed)
    if status(out) == "complete":
        return f"{out}: complete already"
    cmd = [sys.executable, "-m", "turinglearn", "run", preset, "--seed", str(seed), "--quiet"]
    for k, v in VARIANTS[variant].items():
        cmd += ["--set", f"{k}={toml_value(v)}"]
    for item in extra:
        cmd += ["--set", item]
    if out.exists():
        import shutil

        shutil.rmtree(out)  # an interrupted run starts again: a GAN run of this size is a minute
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd += ["--out", str(out)]
    env = {**os.environ, "TURINGLEARN_THREADS": "1", "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] if done.returncode else []
    return f"{out}: rc {done.returncode} in {time.perf_counter() - t0:.0f} s {' '.join(tail)}"


def read(root: Path, preset: str, variant: str, seed_list: list[int]) -> dict[int, dict]:
    """seed -> summary.json of the complete runs."""
    out = {}
    for s in seed_list:
        path = run_dir(root, preset, variant, s)
        if status(path) == "complete":
            out[s] = json.loads((path / "summary.json").read_text())
    return out


def report(root: Path, preset: str, variants: list[str], seed_list: list[int]) -> list[dict]:
    runs = {v: read(root, preset, v, seed_list) for v in variants}
    base = runs[variants[0]]
    rows = []
    print(
        f"\n{preset}, seeds {seed_list[0]}-{seed_list[-1]}: median [interquartile range] over the complete runs"
    )
    print(
        "| variant | runs | "
        + " | ".join(METRICS)
        + f" | better than {variants[0]} on the same seed (Frechet ratio) |"
    )
    print("|---|---|" + "---|" * len(METRICS) + "---|")
    for v in variants:
        cells, row = [], {"variant": v, "runs": len(runs[v]), "seeds": sorted(runs[v])}
        for m in METRICS:
            x = np.array([runs[v][s][m] for s in sorted(runs[v])], dtype=float)
            row[m] = [float(runs[v][s][m]) for s in sorted(runs[v])]
            cells.append(
                f"{np.median(x):.3g} [{np.percentile(x, 25):.3g}, {np.percentile(x, 75):.3g}]"
                if len(x)
                else "-"
            )
        paired = [s for s in runs[v] if s in base]
        wins = sum(runs[v][s]["frechet_ratio"] < base[s]["frechet_ratio"] for s in paired)
        print(f"| {v} | {len(runs[v])} | " + " | ".join(cells) + f" | {wins} of {len(paired)} |")
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["run", "report"])
    p.add_argument("--preset", default="gan-digits")
    p.add_argument("--variants", nargs="+", default=["population", "hall-of-fame"], choices=list(VARIANTS))
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--root", type=Path, default=Path("bench-runs/gan-memory"))
    p.add_argument("--set", dest="extra", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    seed_list = seeds(a.seeds)
    if a.command == "run":
        jobs = [(v, s) for s in seed_list for v in a.variants]
        with ThreadPoolExecutor(a.jobs) as pool:
            for line in pool.map(lambda j: one_run(a.root, a.preset, *j, a.extra), jobs):
                print(line, flush=True)
        return
    rows = report(a.root, a.preset, a.variants, seed_list)
    if a.json:
        a.json.write_text(json.dumps({"preset": a.preset, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
