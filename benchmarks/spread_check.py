"""The final evaluation's spread check (:func:`turinglearn.core.assessment.spread`): how often it
speaks at the truth (false alarms), and whether it finds estimates whose trials vary less than
the system's, which the fast test accepts.

Systems, each checked with the fast test's own draw (200 trials, the preset's tracking noise) on
``--seeds`` test seeds:

- the presets at their truth: aggregation, object clustering, stimulus-response (under the
  passive and the random schedule), pendulum PD (passive);
- ``sir``: an epidemic in a town of 500 (chain-binomial SIR, 60 days, reported cases over 50;
  beta 0.45, gamma 0.2, reporting rate 0.6), at the truth and at (0.353, 0.086, 0.553), an
  estimate the ``own-system`` preset returned for it with each trial judged alone;
- ``walkers`` (benchmarks/critic_sets.py): animals each with a speed of their own (spread 0.25),
  at the truth and with the spread at 0.046, the estimate of a critic of samples.

Prints a table: per system and parameters, the seeds at which the check spoke, which way, and the
median ratio of the flagged statistic's spread to the system's; ``--json`` writes the rows.

    python benchmarks/spread_check.py --seeds 0-19 --json docs/spread_check.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from turinglearn.families.parametric import BoxFamily

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SIRConfig:
    steps: int = 60
    scale: float = 50.0  # reported cases over 50: a day's count spans about [0, 1]


class SIR:
    """A town of 500, 5 infected at the start; a day: new infections ~ Bin(S, 1 - exp(-beta I / N)),
    recoveries ~ Bin(I, 1 - exp(-gamma)), reported ~ Bin(new infections, rho). No stimulus: a
    space it never reads, for the interactive contract, watched passively."""

    model_family = BoxFamily(("beta", "gamma", "rho"), lower=(0.1, 0.05, 0.2), upper=(1.0, 0.5, 1.0))
    truth = np.array([0.45, 0.2, 0.6])
    feature_names = ("reported",)
    stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)
    town, infected = 500, 5

    def __init__(self, config: SIRConfig | None = None):
        self.config = config or SIRConfig()

    def passive_schedule(self):
        return np.zeros((self.config.steps, 1))

    def reset(self, rng, shape):
        return np.stack([np.full(shape, self.town - self.infected), np.full(shape, self.infected)], axis=-1)

    def step(self, state, params, stimulus, rng):
        s, i = state[..., 0], state[..., 1]
        beta, gamma, rho = (np.broadcast_to(params[..., k], s.shape) for k in range(3))
        new = rng.binomial(s, 1.0 - np.exp(-beta * i / self.town))
        recovered = rng.binomial(i, 1.0 - np.exp(-gamma))
        reported = rng.binomial(new, rho)
        return np.stack([s - new, i + new - recovered], axis=-1), (reported / self.config.scale)[..., None].astype(float)


def checks(system, sim, theta, seeds, noise, schedule):
    from turinglearn.core.assessment import spread
    from turinglearn.core.trust import FastTest

    fam = sim.model_family
    found = []
    for seed in seeds:
        test = FastTest(system, 200, noise, fam.lower, fam.upper, 0.9, schedule, seed=seed)
        found.append(spread(test, np.asarray(theta, float), sim.feature_names))
    return found


def cases():
    """(system name, what theta is, theta, the system, its simulator, noise, schedule)."""
    from turinglearn.app.build import build
    from turinglearn.config import load_config
    from turinglearn.systems.interactive import InteractiveSystem
    from turinglearn.systems.swarm import SwarmSystem

    for preset, schedule in [
        ("aggregation", None),
        ("object-clustering", None),
        ("stimulus-response", "passive"),
        ("stimulus-response", "random"),
        ("pendulum-pd", "passive"),
    ]:
        cfg = load_config(preset)
        system = build(cfg).system
        name = preset + (f" ({schedule})" if schedule and preset == "stimulus-response" else "")
        yield name, "truth", system.truth, system, system.sim, cfg.evaluation.c2st_noise, schedule
    sir = SIR()
    town = InteractiveSystem(sir, genuine_trials=8)
    yield "sir", "truth", sir.truth, town, sir, 0.05, "passive"
    yield "sir", "one trial judged at a time", np.array([0.353, 0.086, 0.553]), town, sir, 0.05, "passive"
    sys.path.insert(0, str(HERE))
    from critic_sets import Walkers

    walkers = Walkers()
    swarm = SwarmSystem(walkers)
    yield "walkers", "truth", walkers.truth, swarm, walkers, 0.05, None
    off = np.array(walkers.truth, float).copy()
    off[list(walkers.model_family.names).index("v_sd")] = 0.046
    yield "walkers", "v_sd 0.046, one sample judged at a time", off, swarm, walkers, 0.05, None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-19", help="test seeds, e.g. 0-19")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    a, _, b = args.seeds.partition("-")
    seeds = list(range(int(a), int(b or a) + 1))
    import warnings

    warnings.simplefilter("ignore")  # build()'s notes on what learn() runs around the loop
    rows = []
    print("| system | parameters | the check spoke | which way | flagged statistic's ratio (median) | s a check |")
    print("|---|---|---|---|---|---|")
    for name, what, theta, system, sim, noise, schedule in cases():
        start = time.perf_counter()
        found = checks(system, sim, theta, seeds, noise, schedule)
        seconds = (time.perf_counter() - start) / len(seeds)
        spoke = [f for f in found if f is not None]
        ratios = [f["ratio"] for f in spoke]
        way = sorted({"less" if r < 1 else "more" for r in ratios})
        row = {
            "system": name, "parameters": what, "theta": [float(v) for v in theta], "seeds": seeds,
            "found": found, "seconds_per_check": round(seconds, 3),
        }  # fmt: skip
        rows.append(row)
        print(
            f"| {name} | {what} | {len(spoke)} of {len(seeds)} | {', '.join(way) or '-'} | "
            f"{np.median(ratios):.2f} |" if ratios else f"| {name} | {what} | 0 of {len(seeds)} | - | - |",
            f"{seconds:.2f} |",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
