"""Where a run's judges are blind: how often they take models near the truth for genuine.

Loads one checkpoint of a run directory (its ``config.toml`` and
``checkpoints/generation-NNNNNN.npz``; run with ``--set execution.checkpoint_every=1`` to have
every generation), and judges fresh samples of ``--copies`` copies of one model: the truth,
then the truth with one parameter moved ``--step`` (in the parameter's own units) down and
up. For each it prints the fraction of genuine verdicts of the generation's judges (all of them,
the parents the last selection kept, the fresh offspring), of the hall of fame and of the
guards (``learner.guards``; ``guards-all``: the guards as one judge that says genuine only where
every guard does, as they vote under ``learner.guard_vote = "all"``), on the
model's samples and on the system's agents of the same trials; given several runs (the same
task), the median over them of the difference between the two.
A model judged as often genuine as the system is one the judges cannot tell from it; where a
step one way is rejected and the other way is not, the judges' boundary is one-sided and a
drift that way goes unpunished.

    python benchmarks/judge_boundary.py RUN --generation 636 --step 0.2
    python benchmarks/judge_boundary.py RUNS/aggregation-a/s* --generation 1000 --step 0.1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: the groups of judges told apart: this generation's, split into the parents the last
#: selection kept (a (mu + lambda) ES's first mu rows) and the fresh offspring, the hall of fame,
#: and the guards (``learner.guards``), each guard one verdict and all of them as one
GROUPS = ("current", "parents", "offspring", "archive", "guards", "guards-all")


def boundary(run: Path, generation: int, step: float, copies: int, seed: int) -> list[dict]:
    """One row per model judged: ``model`` (its label) and, for each group of judges that has
    members, ``GROUP_model`` and ``GROUP_system``, the fraction of its genuine verdicts on the
    model's samples and on the system's agents of the same trials."""
    from turinglearn.app.build import build
    from turinglearn.app.checkpoint import load
    from turinglearn.config import load_config
    from turinglearn.core.fitness import judgements
    from turinglearn.core.optimizers import SelfAdaptiveES

    learner = build(load_config(run / "config.toml"))
    learner.load_state_dict(load(run / "checkpoints" / f"generation-{generation:06d}.npz")["learner"])
    if not isinstance(learner.discriminator_optimizer, SelfAdaptiveES):  # the learner's model_judges rule
        raise SystemExit(f"{run}: its judges are not one population of a (mu + lambda) ES (islands, or a trained classifier)")
    config = learner.discriminator_optimizer.config
    current = np.asarray(learner.discriminator_optimizer.ask(), float)  # [D, k]: parents first
    archive, guards = learner.archive, learner.guard_rows  # [H, k], [G, k] or None
    judges = np.concatenate([current, *(rows for rows in (archive, guards) if rows is not None)])
    d, mu, h = len(current), config.parents, 0 if archive is None else len(archive)
    rows_of = {"current": slice(0, d), "parents": slice(0, mu), "offspring": slice(mu, d)}
    if archive is not None:
        rows_of["archive"] = slice(d, d + h)
    if guards is not None:
        rows_of["guards"] = slice(d + h, len(judges))
    truth = np.asarray(learner.system.truth, float)
    family = learner.system.model_family
    models = [("truth", truth)]
    for i, name in enumerate(family.names):
        for sign in (-1, 1):
            moved = truth.copy()
            moved[i] = np.clip(moved[i] + sign * step, family.lower[i], family.upper[i])
            if moved[i] != truth[i]:  # a step past a bound stops on it (and says how far it went)
                models.append((f"{name} {moved[i] - truth[i]:+.3g}", moved))
    out = []
    for label, theta in models:
        batch = learner.evaluator.samples(learner.system, np.tile(theta, (copies, 1)), seed, generation)
        judged = judgements(learner.discriminator.judge(judges, batch.x))  # [J, S]
        genuine = np.asarray(batch.genuine, bool)
        verdicts = {group: judged[rows] for group, rows in rows_of.items()}  # group -> [rows, S]
        if guards is not None:  # genuine where every guard says so
            verdicts["guards-all"] = verdicts["guards"].all(axis=0, keepdims=True)
        row = {"model": label}
        for group, v in verdicts.items():
            row[f"{group}_model"] = v[:, ~genuine].mean()
            row[f"{group}_system"] = v[:, genuine].mean()
        out.append(row)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", type=Path, nargs="+", help="run directories with a checkpoint of that generation")
    p.add_argument("--generation", type=int, required=True, help="the checkpoint's generation")
    p.add_argument("--step", type=float, default=0.2, help="how far each parameter is moved (its units)")
    p.add_argument("--copies", type=int, default=100, help="copies of each model judged")
    p.add_argument("--seed", type=int, default=12345, help="seed of the fresh samples")
    a = p.parse_args(argv)
    tables = [boundary(run, a.generation, a.step, a.copies, a.seed) for run in a.runs]
    groups = [g for g in GROUPS if f"{g}_model" in tables[0][0]]
    print(f"{'model':>12}  " + "  ".join(f"{g:>15}" for g in groups))
    if len(tables) == 1:  # fractions of genuine verdicts: on the model (on the system's agents)
        print(f"generation {a.generation}: taken for genuine, the model (the system's agents of the same trials)")
        for r in tables[0]:
            print(f"{r['model']:>12}  " + "  ".join(f"{r[g + '_model']:.3f} ({r[g + '_system']:.3f})" for g in groups))
        return
    print(f"generation {a.generation}: on the model minus on the system, median over {len(tables)} runs")
    for i, r in enumerate(tables[0]):
        cells = [np.median([t[i][g + "_model"] - t[i][g + "_system"] for t in tables]) for g in groups]
        print(f"{r['model']:>12}  " + "  ".join(f"{c:>+15.3f}" for c in cells))


if __name__ == "__main__":
    main()
