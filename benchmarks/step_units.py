"""Step sizes in each parameter's range against the papers' absolute ones, on a system whose
parameters lie in units far apart: ``examples/own_swarm.py``'s swarm with its noise in units a
hundred times smaller (noise in [0, 0.002], truth 0.0005, beside a gain in [0, 0.5], truth 0.2),
at the example's full settings, under the papers' absolute step sizes (1, floor 0.01, cap 1) and
under steps in each range (0.3, 0.005, 0.5). Prints each run's estimate and its errors as a
percentage of each range::

    python benchmarks/step_units.py --seeds 2
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import turinglearn
from turinglearn.families.parametric import BoxFamily

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own_swarm.py"
#: the papers' absolute step sizes, and the own-system preset's in each range
SCALES = {
    "absolute": {"models.sigma_scale": "absolute", "models.sigma_init": 1.0, "models.sigma_min": 0.01, "models.sigma_max": 1.0},
    "range": {"models.sigma_scale": "range", "models.sigma_init": 0.3, "models.sigma_min": 0.005, "models.sigma_max": 0.5},
}


def example():
    spec = importlib.util.spec_from_file_location("own_swarm", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["own_swarm"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    module = example()

    class Tiny(module.DriftSwarm):
        model_family = BoxFamily(("gain", "noise"), lower=(0.0, 0.0), upper=(0.5, 0.002))
        truth = np.array([0.2, 0.0005])

        def rollout(self, params, rng, *, record=False):
            p = np.array(params, float)
            p[..., 1] *= 100  # the swarm's own noise is 100 times the parameter
            return super().rollout(p, rng, record=record)

    ranges = Tiny.model_family.upper - Tiny.model_family.lower
    settings = {**module.SETTINGS, "evaluation.c2st_trials": 0, "evaluation.intervals": "off"}
    for name, scale in SCALES.items():
        for seed in range(args.seeds):
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = turinglearn.learn(simulator=Tiny(), seed=seed, overrides={**settings, **scale})
            errors = 100 * np.abs(r.inferred - r.truth) / ranges
            print(f"{name:>8} seed {seed}: estimate {np.round(r.inferred, 5).tolist()}, error % of range "
                  f"{np.round(errors, 1).tolist()}, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
