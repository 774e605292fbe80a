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

With ``--fitness K`` it asks instead whether the models' fitness is the models' or a trial's
luck: the checkpoint's population is run ``K`` times on fresh trials and given its fitness by
the judges as the learner gives it (voters, hall of fame, guards and their shares), and it
prints the correlation of the fitness between two evaluations (mean over the pairs; near 0:
selection follows the trials' luck, near 1: the models' parameters), over the whole population
and over the models within 0.1 of its median in every parameter, and the correlation of the
mean fitness with each parameter's distance from the truth (negative: the judges reward
coming closer in that parameter).

    python benchmarks/judge_boundary.py RUN --generation 636 --step 0.2
    python benchmarks/judge_boundary.py RUNS/aggregation-a/s* --generation 1000 --step 0.1
    python benchmarks/judge_boundary.py RUNS/object-clustering/s* --generation 900 --fitness 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: the groups of judges told apart: this generation's, split into the parents the last
#: selection kept (a (mu + lambda) ES's first mu rows) and the fresh offspring, the hall of fame,
#: and the guards (``learner.guards``), each guard one verdict and all of them as one
GROUPS = ("current", "parents", "offspring", "archive", "guards", "guards-all")


def _learner(run: Path, generation: int):
    """The run's learner as its checkpoint of ``generation`` left it."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.app.checkpoint import load
    from turinglearn.config import load_config
    from turinglearn.core.optimizers import SelfAdaptiveES

    learner = build(load_config(run / "config.toml", strict=False))
    learner.load_state_dict(load(run / "checkpoints" / f"generation-{generation:06d}.npz")["learner"])
    if not isinstance(learner.discriminator_optimizer, SelfAdaptiveES):  # the learner's model_judges rule
        raise SystemExit(f"{run}: its judges are not one population of a (mu + lambda) ES (islands, or a trained classifier)")
    return learner


def reliability(run: Path, generation: int, repeats: int, seed: int, theta=None) -> dict:
    """How much of the population's fitness is the models' and how much a trial's luck:
    ``whole`` and ``near`` (the models within 0.1 of the median in every parameter; ``near_models``
    of them), the mean correlation of the fitness between two of ``repeats`` evaluations on
    fresh trials; ``follows`` {parameter: correlation of the mean fitness with its distance
    from the truth}. The fitness is the learner's own from its judges (:meth:`TuringLearner.models_fitness`;
    a critic's share, ``learner.critic``, is left out).
    theta: [M, d] models to judge instead of the checkpoint's population."""
    from turinglearn.core.contracts import Evaluation
    from turinglearn.core.fitness import judgements

    learner = _learner(run, generation)
    theta = np.asarray(learner.model_optimizer.ask() if theta is None else theta, float)  # [M, d]
    current = np.asarray(learner.discriminator_optimizer.ask(), float)
    judges, guarded = learner.judging(current)
    fitness = []  # [K, M]
    for k in range(repeats):
        batch = learner.evaluator.samples(learner.system, theta, seed + k, generation)
        ev = Evaluation(learner.discriminator.judge(judges, batch.x), batch.genuine, batch.owner)
        fitness.append(learner.models_fitness(ev, judgements(ev.outputs), len(current), len(theta), len(theta), guarded))
    fitness = np.array(fitness)
    near = np.abs(theta - np.median(theta, axis=0)).max(axis=1) <= 0.1

    def agreement(cols) -> float:  # mean correlation over the pairs of evaluations
        if len(fitness[0, cols]) < 3:
            return float("nan")
        pairs = [(a, b) for a in range(repeats) for b in range(a + 1, repeats)]
        return float(np.mean([_correlation(fitness[a, cols], fitness[b, cols]) for a, b in pairs]))

    off = np.abs(theta - np.asarray(learner.system.truth, float))  # [M, d]
    names = learner.system.model_family.names
    follows = {n: _correlation(fitness.mean(axis=0), off[:, i]) for i, n in enumerate(names)}
    return {"whole": agreement(slice(None)), "near": agreement(near), "near_models": int(near.sum()), "follows": follows}


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation of a and b, NaN where either does not vary."""
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def boundary(run: Path, generation: int, step: float, copies: int, seed: int) -> list[dict]:
    """One row per model judged: ``model`` (its label) and, for each group of judges that has
    members, ``GROUP_model`` and ``GROUP_system``, the fraction of its genuine verdicts on the
    model's samples and on the system's agents of the same trials."""
    from turinglearn.core.fitness import judgements

    learner = _learner(run, generation)
    config = learner.discriminator_optimizer.config
    current = np.asarray(learner.discriminator_optimizer.ask(), float)  # [D, k]: parents first
    judges, guarded = learner.judging(current)  # [D + H + G, k]: current, hall of fame, guards
    d, mu = len(current), config.parents
    rows_of = {"current": slice(0, d), "parents": slice(0, mu), "offspring": slice(mu, d)}
    if len(judges) - guarded > d:
        rows_of["archive"] = slice(d, len(judges) - guarded)
    if guarded:
        rows_of["guards"] = slice(len(judges) - guarded, len(judges))
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
        if guarded:  # genuine where every guard says so
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
    p.add_argument("--fitness", type=int, default=0, metavar="K", help="instead: the fitness's agreement over K evaluations")
    a = p.parse_args(argv)
    if a.fitness:
        if a.fitness < 2:
            p.error("--fitness needs 2 or more evaluations to correlate")
        print(f"generation {a.generation}: the models' fitness, correlation between {a.fitness} evaluations on fresh trials")
        for run in a.runs:
            r = reliability(run, a.generation, a.fitness, a.seed)
            follows = "  ".join(f"{n} {c:+.2f}" for n, c in r["follows"].items())
            print(f"{run.name:>8}  all {r['whole']:.2f}  within 0.1 ({r['near_models']}) {r['near']:.2f}"
                  f"  with the distance from the truth: {follows}")  # fmt: skip
        return
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
