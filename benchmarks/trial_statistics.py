"""What one trial shows: how far each summary statistic of an agent's trial moves when one
parameter of the truth moves, in units of the system's own trial-to-trial spread.

For a preset (or a config file), runs ``--trials`` trials of the truth and of the truth with each
parameter moved ``--step`` down and up (clipped to its bounds), and prints, per move, the
statistics of :func:`~turinglearn.core.evaluation.trajectory_features` (the held-out test's and
the feature judges' statistics) whose mean moved most, as ``(model mean - system mean) / spread``
over one replica's trials against one genuine agent's of the same swarms, the spread the two
sides' pooled standard deviation. A statistic moved by 1 or more tells a single trial of the
model from the system's more often than not; a move that moves no statistic is one no judge on
these statistics can see. Moves stopped by a bound (``+0``) show what sampling alone gives.

    python benchmarks/trial_statistics.py object-clustering --step 0.1
"""

from __future__ import annotations

import argparse

import numpy as np


def moves(config, step: float, trials: int, seed: int, simulator=None) -> list[tuple[str, np.ndarray]]:
    """(label, standardised differences [9 F], in the columns' order of ``trajectory_features``)
    for the truth itself, then each parameter moved ``step`` down and up; a statistic constant and
    equal on both sides gives 0. simulator: ``config``'s, if already built."""
    from turinglearn.app.build import build_system
    from turinglearn.core.evaluation import trajectory_features

    system, _ = build_system(config, simulator)
    family, truth = system.model_family, np.asarray(system.truth, float)
    thetas, labels = [truth], ["truth"]
    for i, name in enumerate(family.names):
        for d in (-step, step):
            theta = truth.copy()
            theta[i] = np.clip(theta[i] + d, family.lower[i], family.upper[i])
            thetas.append(theta)
            labels.append(f"{name} {theta[i] - truth[i]:+.2g}")  # a move past a bound stops on it
    genuine, fake = system.trajectories(np.array(thetas), np.random.default_rng(seed), trials)
    out = []
    for k, label in enumerate(labels):  # one genuine agent and one replica of the same trials
        system_stats, model_stats = trajectory_features(genuine[k][:, 0]), trajectory_features(fake[k][:, 0])
        diff = model_stats.mean(axis=0) - system_stats.mean(axis=0)
        spread = np.sqrt((system_stats.var(axis=0) + model_stats.var(axis=0)) / 2)
        out.append((label, np.where(spread > 1e-12, diff / np.where(spread > 1e-12, spread, 1.0), 0.0)))
    return out


def main(argv=None) -> None:
    from turinglearn.app.build import make_simulator
    from turinglearn.config import load_config
    from turinglearn.core.evaluation import trajectory_feature_names

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("preset", help="a preset's name or a config file")
    p.add_argument("--step", type=float, default=0.1, help="how far each parameter is moved (its units)")
    p.add_argument("--trials", type=int, default=200, help="trials of each model and of the system")
    p.add_argument("--top", type=int, default=3, help="statistics printed per move")
    p.add_argument("--seed", type=int, default=0, help="seed of the trials")
    args = p.parse_args(argv)
    config = load_config(args.preset)
    sim = make_simulator(config)
    names = trajectory_feature_names(sim.feature_names)
    for label, d in moves(config, args.step, args.trials, args.seed, sim):
        top = np.argsort(-np.abs(d))[: args.top]
        cells = "  ".join(f"{names[j]} {d[j]:+.2f}" for j in top)
        print(f"{label:>14}  {cells}")


if __name__ == "__main__":
    main()
