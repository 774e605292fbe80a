"""Where a run's judges are blind: how often they take models near the truth for genuine.

Loads one checkpoint of a run directory (its ``config.toml`` and
``checkpoints/generation-NNNNNN.npz``; run with ``--set execution.checkpoint_every=1`` to have
every generation), and judges fresh samples of ``--copies`` copies of one model: the truth,
then the truth with one parameter moved ``--step`` (in the parameter's own units) down and
up. For each it prints the fraction of genuine verdicts of the generation's current judges
and of the hall of fame, on the model's samples and on the system's agents of the same trials.
A model judged as often genuine as the system is one the judges cannot tell from it; where a
step one way is rejected and the other way is not, the judges' boundary is one-sided and a
drift that way goes unpunished.

    python benchmarks/judge_boundary.py RUN --generation 636 --step 0.2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def boundary(run: Path, generation: int, step: float, copies: int, seed: int) -> list[dict]:
    from turinglearn.app.build import build
    from turinglearn.app.checkpoint import load
    from turinglearn.config import load_config
    from turinglearn.core.fitness import judgements

    learner = build(load_config(run / "config.toml"))
    learner.load_state_dict(load(run / "checkpoints" / f"generation-{generation:06d}.npz")["learner"])
    current = np.asarray(learner.discriminator_optimizer.ask(), float)  # [D, k]
    archive = learner.archive  # [H, k] or None
    judges = current if archive is None else np.concatenate([current, archive])
    truth = np.asarray(learner.system.truth, float)
    names = learner.system.model_family.names
    lower, upper = learner.system.model_family.lower, learner.system.model_family.upper
    models = [("truth", truth)]
    for i, name in enumerate(names):
        for sign in (-1, 1):
            moved = truth.copy()
            moved[i] = np.clip(moved[i] + sign * step, lower[i], upper[i])
            if moved[i] != truth[i]:
                models.append((f"{name} {sign * step:+g}", moved))
    rows = []
    for label, theta in models:
        batch = learner.evaluator.samples(learner.system, np.tile(theta, (copies, 1)), seed, generation)
        judged = judgements(learner.discriminator.judge(judges, batch.x))  # [J, S]
        genuine = np.asarray(batch.genuine, bool)
        d = len(current)
        row = {"model": label, "current_model": judged[:d, ~genuine].mean(), "current_system": judged[:d, genuine].mean()}
        if archive is not None:
            row |= {"archive_model": judged[d:, ~genuine].mean(), "archive_system": judged[d:, genuine].mean()}
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="a run directory with per-generation checkpoints")
    p.add_argument("--generation", type=int, required=True, help="the checkpoint's generation")
    p.add_argument("--step", type=float, default=0.2, help="how far each parameter is moved (its units)")
    p.add_argument("--copies", type=int, default=100, help="copies of each model judged")
    p.add_argument("--seed", type=int, default=12345, help="seed of the fresh samples")
    a = p.parse_args(argv)
    rows = boundary(a.run, a.generation, a.step, a.copies, a.seed)
    print(f"taken for genuine, generation {a.generation}: model (system's agents of the same trials)")
    print(f"{'model':>14}  {'current judges':>16}  {'hall of fame':>16}")
    for r in rows:
        archive = f"{r['archive_model']:.3f} ({r['archive_system']:.3f})" if "archive_model" in r else "-"
        print(f"{r['model']:>14}  {r['current_model']:.3f} ({r['current_system']:.3f})  {archive:>16}")


if __name__ == "__main__":
    main()
