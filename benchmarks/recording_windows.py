"""Recordings of tracks of any length, with gaps, read with ``data_windows``.

Two measurements, each beside its baseline in the same run:

- **folds**: the held-out C2ST on a population of animals (20 animals, 10 windows each, each
  animal with an offset of its own; counterfeits are new animals from the same population, so a
  window alone is alike on either side and 0.5 is the right reading), with the folds by window
  (the baseline: what a recording of windows gets without ``groups``) and by animal;
- **tracks**: ``examples/own_agent.py``'s leaky integrator recorded under ON/OFF blocks of 5
  steps, 120 individuals: the baseline, each individual's first 40 steps (a recording as
  ``turinglearn record`` writes one, every trial from the simulator's reset); the same
  individuals tracked for 150 steps, cut into windows of 40 (two of three start mid-track,
  where the integrator is not at rest as its reset puts it); and tracked for 50-150 steps with
  1.5 % of frames lost, cut into windows (``data_windows = true``).

::

    python benchmarks/recording_windows.py --populations 8 --seeds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import turinglearn
from turinglearn.core.evaluation import model_c2st

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_agent.py"


class Animals:
    """20 animals x 10 windows of 20 steps, 2 features (see the module docstring)."""

    def __init__(self, grouped: bool, population: int):
        self.grouped, self.population, self.test_groups = grouped, population, None

    def trajectories(self, theta, rng, trials=None, **kw):
        animal = np.repeat(np.arange(20), 10)
        offset = np.random.default_rng(self.population).normal(size=(20, 2))[animal]
        genuine = offset[:, None] + 0.05 * rng.normal(size=(200, 20, 2))
        fake = rng.normal(size=(200, 1, 2)) + 0.05 * rng.normal(size=(200, 20, 2))
        self.test_groups = animal.reshape(1, 200, 1) if self.grouped else None
        return genuine.reshape(1, 200, 1, 20, 2), fake.reshape(1, 200, 1, 20, 2)


def folds(populations: int) -> None:
    print("C2ST at the truth on windows of 20 animals (0.5 is right):")
    for grouped, name in ((False, "folds by window (baseline)"), (True, "folds by animal")):
        acc = [model_c2st(Animals(grouped, p), np.zeros(1), np.random.default_rng(p), 200) for p in range(populations)]
        print(f"  {name:28s} mean {np.mean(acc):.3f}, {min(acc):.3f}-{max(acc):.3f} over {populations} populations")


def tracks(seed: int, module, kind: str) -> tuple[str, float]:
    sim = module.LeakyIntegrator()
    rng = np.random.default_rng(seed)
    n, longest = 120, 150
    u = np.repeat(rng.integers(0, 2, (n, longest // 5, 1)), 5, axis=1).astype(float)
    y, xs = sim.reset(rng, (n,)), []
    for t in range(longest):
        y, f = sim.step(y, np.broadcast_to(sim.truth, (n, 2)), u[:, t], rng)
        xs.append(f)
    x = np.stack(xs, axis=1)
    lines = ["individual,step," + ",".join(sim.feature_names) + ",stimulus_0"]
    lengths = rng.integers(50, longest + 1, n)
    keep = {"first": np.full(n, 40), "whole": np.full(n, longest), "ragged": lengths}[kind]
    for i, length in enumerate(keep):
        for t in range(length):
            lost = kind == "ragged" and rng.random() < 0.015
            v = ["nan" if lost and j == 0 else f"{a:.6g}" for j, a in enumerate(x[i, t])]
            lines.append(f"{i},{t},{','.join(v)},{u[i, t, 0]:g}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracks.csv"
        path.write_text("\n".join(lines) + "\n")
        t0 = time.perf_counter()
        settings = {**module.SETTINGS, "learner.passive": True, "data": str(path), "data_windows": True}
        got = turinglearn.learn(simulator=sim, seed=seed, overrides=settings)
    ranges = sim.model_family.upper - sim.model_family.lower
    err = 100 * np.abs(got.inferred - sim.truth) / ranges
    s = got.summary()
    cut, test = s["recording_windows"], s["test"]
    verdict = "rejected" if test["rejected"] else "accepted"
    estimate = ", ".join(f"{v:.3f}" for v in got.inferred)
    return (
        f"{cut['windows']:4d} windows ({100 * cut['rows_used'] / cut['rows']:.0f} % of rows); estimate ({estimate}), "
        f"errors {', '.join(f'{e:.1f}' for e in err)} % of the ranges; C2ST {s['c2st']:.3f}; test {verdict} "
        f"({test['accuracy']:.3f} against {test['threshold']:.3f}); {time.perf_counter() - t0:.1f} s"
    ), float(err.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--populations", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    folds(args.populations)
    spec = importlib.util.spec_from_file_location("own_agent", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["own_agent"] = module
    spec.loader.exec_module(module)
    truth = ", ".join(f"{v:g}" for v in module.LeakyIntegrator.truth)
    print(f"own_agent's integrator, truth ({truth}), 120 individuals:")
    kinds = (("first", "first 40 steps (baseline)"), ("whole", "150 steps, windows"), ("ragged", "ragged, 1.5 % lost"))
    for seed in range(args.seeds):
        for kind, name in kinds:
            line, _ = tracks(seed, module, kind)
            print(f"  seed {seed}, {name:26s} {line}")


if __name__ == "__main__":
    main()
