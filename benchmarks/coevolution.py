"""Held-out runs, read three ways: drift (issue 23), early stopping (issue 22) and interval
coverage (issue 17).

``run`` makes full-length preset runs (tasks x seeds x variants; every variant written against
the presets without the coevolution's memory, ``WITHOUT_MEMORY``), one process per run, each
into its own run directory, and skips runs already complete (rerun it to resume a batch).
``report`` reads the run directories afterwards:

- **drift**: the generation at which the population median first came within ``--near``
  (0.05) of the truth on every parameter, the largest distance (max over parameters) of the
  population median from the truth after that, and the final error of the run's estimate; the
  same after the median first held the truth for ``--settle`` (50) generations in a row, which
  tells a run that forgot the truth from one that overshot on its way to it; both also read
  from the parents' median (metrics.csv's ``NAME_parents``, runs made since it was recorded),
  which a generation of stray offspring does not move; and from the first generation at which
  the population has gathered on the truth (median within ``--near``, quartiles within twice
  that), which tells a median passing through the truth from one holding it;
- **stopping**: the generation at which the convergence rule (``[stopping]``'s window,
  tolerance and patience; ``--window/--tolerance/--patience`` try others) would have fired,
  the estimate the run would then have reported (:func:`turinglearn.app.results.estimate` on
  the metrics up to that generation), its error against the full run's, and the time saved;
- **coverage**: whether each parameter's reported interval holds the truth, and its width.

``tune`` tries a grid of convergence settings on the runs given (choose on some seeds, report on
others). Every figure comes from the run directories, so a report can be redone without rerunning.

    python benchmarks/coevolution.py run --tasks aggregation aggregation-a --seeds 10-19 --jobs 2
    python benchmarks/coevolution.py report --seeds 10-19 --json docs/coevolution.json
    python benchmarks/coevolution.py tune --seeds 0-1
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from turinglearn.config import WITHOUT_MEMORY

#: the aggregation preset as when the stored rows were made: the panel's estimate, no restart (it
#: now reports the window's estimate and restarts a run that settles where the test tells it apart)
PANEL = {"evaluation.estimate": "panel", "stopping.restart_above": 0}
#: task -> (preset, overrides); aggregation-a/b: interior ground truths no setting was tuned on
TASKS = {
    "aggregation": ("aggregation", PANEL),
    "aggregation-a": ("aggregation", {**PANEL, "environment.truth": [-0.4, -0.8, 0.7, -0.5]}),
    "aggregation-b": ("aggregation", {**PANEL, "environment.truth": [0.3, -0.6, 0.8, 0.2]}),
    "aggregation-p2": ("aggregation", {**PANEL, "environment.truth": [0.8, 0.2, -0.4, 0.6]}),  # tuning only
    "object-clustering": ("object-clustering", {}),
    "stimulus-response": ("stimulus-response", {}),
    "aggregation-gp": ("aggregation-gp", {}),
    "aggregation-gru": ("aggregation-gru", {}),  # a trained GRU classifier as the judge
    "aggregation-gru-a": ("aggregation-gru", {"environment.truth": [-0.4, -0.8, 0.7, -0.5]}),
    "aggregation-gru-b": ("aggregation-gru", {"environment.truth": [0.3, -0.6, 0.8, 0.2]}),
    # object clustering against the aggregation-gru preset's classifier
    "object-clustering-gru": ("object-clustering", {
        "discriminators.kind": "gru", "discriminators.hidden": 8,
        "discriminators.learning_rate": 0.01, "discriminators.train_steps": 5,
    }),
}
#: Every variant below is written against the presets without the coevolution's memory, as they
#: were when the variants were measured (the hall of fame, the replicas and the panel estimate
#: kept): turinglearn.config.WITHOUT_MEMORY comes first, under the task's and the variant's. The presets' memory is
#: the variant ``shared-geometric-judge3-voters-critic`` (``shared-geometric-voters-critic`` on an
#: interrogated system, which leaves ``judge_steps`` at 1).
#: variant -> overrides (the algorithm as compared)
VARIANTS: dict[str, dict] = {
    "current": {},  # the presets' algorithm without the memory (the panel estimate; the same as "panel")
    "memory": {  # docs/concepts.md, "Memory"
        "learner.model_memory": 100,
        "learner.model_memory_judged": 20,
        "learner.hall_of_fame_keep": "history",
    },
    "hof-weight": {"learner.hall_of_fame_weight": 0.5},  # the archived judges weigh half a model's fitness
    "small-steps": {"models.sigma_max": 0.2, "models.sigma_init": 0.2},  # no jumps between modes
    "history": {"learner.historical_averaging": 1.0},  # docs/concepts.md, "Memory": historical averaging
    # judges that read the whole trial, models that reflect off the bounds (docs/results.md, peers)
    "readout": {"discriminators.readout": "mean", "models.bounds": "reflect"},
    # threshold selection (Markon et al. 2001): an offspring replaces a parent only if fitter by 0.15
    "threshold": {"models.threshold": 0.15},
    # a model memory of confidently rejected models that weighs half the judges' specificity
    "archive": {
        "learner.model_memory": 100,
        "learner.model_memory_judged": 10,
        "learner.model_memory_below": 0.1,
        "learner.model_memory_share": 0.5,
    },
    # the estimate judged by every era's judges (core.panel); the run itself is the current one
    "panel": {"evaluation.estimate": "panel"},
    "matching": {"learner.model_fitness": "matching"},  # feature matching on the judges' verdicts
    "restart": {"stopping.restart_above": 0.95},  # models drawn anew half-way when the test tells the estimate apart
    # five islands that coevolve apart, the best migrating on a ring every 10 generations (the
    # estimate follows the median: each island's fittest is chosen by other judges; the run is the same)
    "islands": {"learner.islands": 5, "learner.migrate_every": 10, "evaluation.track": "median"},
    # the same with a hall of fame of 4, the share of a model's fitness that 20 have in one population
    "islands-hof4": {
        "learner.islands": 5, "learner.migrate_every": 10, "learner.hall_of_fame": 4, "evaluation.track": "median",
    },
    # competitive fitness sharing of the judges' accuracy (Rosin & Belew 1997)
    "shared": {"learner.judge_fitness": "shared"},
    # averaged parents (genetic repair): the population held together where selection points
    "intermediate": {"models.recombination": "intermediate"},
    "global": {"models.recombination": "global"},
    "shared-geometric": {"learner.judge_fitness": "shared-geometric"},
    # the same, with the hall of fame's verdicts half of a model's fitness (Nash memory's idea)
    "shared-geometric-hof": {"learner.judge_fitness": "shared-geometric", "learner.hall_of_fame_weight": 0.5},
    # the same, each model run in two trials a generation: twice the evidence behind its fitness
    "shared-geometric-2trials": {"learner.judge_fitness": "shared-geometric", "learner.trials_per_model": 2},
    # the same, the judges shown every genuine agent of a trial (10 on aggregation) instead of 4
    "shared-geometric-all-genuine": {"learner.judge_fitness": "shared-geometric", "learner.genuine_per_trial": 10},
    # the papers' judge fitness, the judges selected three times a generation on its samples
    "judge3": {"learner.judge_steps": 3},
    # the geometric shared fitness, the judges selected three times a generation (two time-scales)
    "shared-geometric-judge3": {"learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3},
    # the same, the models' fitness the gap between the judges' verdicts on them and on the system
    "shared-geometric-judge3-gap": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_fitness": "gap",
    },
    # the same, with hard counterfeits a twentieth of each range from the remembered estimate, both
    # sides, which the current judges must keep rejecting (each with its unit of shared credit)
    "shared-geometric-judge3-near": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3,
        "learner.counterfeits": 10, "learner.counterfeit_step": 0.05,
    },
    # the same, the hall of fame's verdicts half of a model's fitness (judges of the past that
    # still reject both sides of the truth where the current ones reject one)
    "shared-geometric-judge3-hof": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.hall_of_fame_weight": 0.5,
    },
    # the same, the judges logistic classifiers on the held-out test's summary statistics of a
    # trial instead of Elman networks reading it step by step
    "shared-geometric-judge3-features": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "discriminators.kind": "features",
    },
    # the same with a weight on each statistic's square too: a genuine region bounded on both sides
    "shared-geometric-judge3-quadratic": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "discriminators.kind": "quadratic-features",
    },
    # the same with the judges' parents voting and a band around a centre on each statistic, the
    # centre and the precision each one weight (one mutation moves either alone)
    "shared-geometric-judge3-band-voters": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "discriminators.kind": "band-features",
    },
    # the same with hard counterfeits a twentieth of each range from the remembered estimate, both
    # sides: a trial of a model 0.1 off moves some statistic by 1-3.4 pooled spreads
    # (benchmarks/trial_statistics.py), which a band can reject on both sides if shown both
    "shared-geometric-judge3-band-near-voters": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "discriminators.kind": "band-features", "learner.counterfeits": 10, "learner.counterfeit_step": 0.05,
    },
    # the presets' algorithm with those judges
    "features": {"discriminators.kind": "features"},
    # the same, the models judged by the judges kept by selection (and the hall of fame), not by
    # the fresh offspring, whose verdicts are close to chance
    "shared-geometric-judge3-voters": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
    },
    # the same with guards (a Pareto archive of judges: for each side of each parameter, the judge
    # best at telling the estimate's neighbour a step of 0.05 of the range away from the system,
    # elected every 10 generations on 16 trials of each neighbour), half a model's fitness
    "shared-geometric-judge3-voters-guards": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.guards": 16,
    },
    # the same, a guard also taking the estimate itself for genuine (a judge that rejects the
    # estimate as a whole guards no side)
    "shared-geometric-judge3-voters-guards-estimate": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.guards": 16, "learner.guard_against": "estimate",
    },
    # the same, the guards voting as one judge: a model off on any guarded side loses their share
    "shared-geometric-judge3-voters-guards-estimate-all": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.guards": 16, "learner.guard_against": "estimate", "learner.guard_vote": "all",
    },
    # the same with a critic: a logistic classifier on a trial's summary statistics fitted to the
    # genuine and the population's samples of the last 20 generations, half a model's fitness
    "shared-geometric-judge3-voters-critic": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5,
    },
    # the same, the critic a quarter of a model's fitness
    "shared-geometric-judge3-voters-critic-quarter": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.25,
    },
    # the same, the critic three quarters of a model's fitness
    "shared-geometric-judge3-voters-critic-most": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.75,
    },
    # the critic, each model run in two trials a generation (a less noisy fitness on the way in)
    "shared-geometric-judge3-voters-critic-2trials": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "learner.trials_per_model": 2,
    },
    # the critic in place of one crutch at a time: no hall of fame (four replicas), or one replica
    # per trial (the hall of fame of 20)
    "shared-geometric-judge3-voters-critic-nohof": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "learner.hall_of_fame": 0,
    },
    "shared-geometric-judge3-voters-critic-1replica": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "environment.n_replicas": 1,
    },
    # the critic in place of the presets' crutches: no hall of fame, one replica per trial
    "shared-geometric-judge3-voters-critic-lean": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "learner.hall_of_fame": 0, "environment.n_replicas": 1,
    },
    # the same with the judges selected once a generation: judge_steps > 1 is refused on an
    # interrogated system, whose samples depend on its judges (stimulus-response)
    "shared-geometric-voters": {"learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents"},
    # the same with a critic, which on an interrogated system runs trials of its own under the
    # generation's interrogators (each genuine and counterfeit pair under the same one)
    "shared-geometric-voters-critic": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
    },
    # the same with the critic fitted to the last 5 generations' samples instead of 20, so that its
    # counterfeits do not lag behind a population on its way to the truth (which may push it past)
    "shared-geometric-voters-critic-window5": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "learner.critic_window": 5,
    },
    # the same, the critic's verdict on a model the mean over 16 trials of it (4 beside the judges):
    # a change of 0.1 in a probability shows in one trial of 100 steps only about 60 % of the time
    "shared-geometric-voters-critic-16trials": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "learner.critic_trials": 16,
    },
    # shared-geometric-voters-critic with each model run for 8 trials under each interrogator
    # instead of 4 (the critic's trials follow: 8): twice the evidence on the two probabilities a
    # generation, twice the time
    "shared-geometric-voters-critic-8trials": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "learner.trials_per_model": 8,
    },
    # shared-geometric-voters-critic with a step past a bound mirrored back instead of clipped
    # onto it (on stimulus-response the models pile on startle_prob = 1 while the judges cannot
    # tell it from 0.8, and the median follows the pile), and the same with judges that read a
    # trial's mean output instead of the last (an Elman judge forgets the trial's first startles)
    "shared-geometric-voters-critic-reflect": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "models.bounds": "reflect",
    },
    "shared-geometric-voters-critic-reflect-mean": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "models.bounds": "reflect", "discriminators.readout": "mean",
    },
    # the critic with averaging recombination: offspring between their parents keep the population
    # together, so its median does not pass the truth while the population is still spread over
    # it (without the critic the whole cloud wandered where the judges let it: "Averaging recombination")
    "shared-geometric-voters-critic-intermediate": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "models.recombination": "intermediate",
    },
    "shared-geometric-judge3-voters-critic-intermediate": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "models.recombination": "intermediate",
    },
    # the critic with twice the models (200, 100 parents): a median over more models moves less
    # from one generation to the next, so it may not pass the truth while the population is still
    # spread over it; twice the models' trials and judging a generation
    "shared-geometric-voters-critic-pop200": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "models.population": 200, "models.parents": 100,
    },
    # the critic with the models' steps capped at 0.2 ("small-steps", which without the critic
    # held aggregation p* but not stimulus-response or object clustering): a capped step cannot
    # throw a model onto a bound in one move, and the median moves less from one generation to the
    # next while the population is still spread over the truth
    "shared-geometric-voters-critic-small": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.5,
        "models.sigma_max": 0.2, "models.sigma_init": 0.2,
    },
    "shared-geometric-judge3-voters-critic-small": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "models.sigma_max": 0.2, "models.sigma_init": 0.2,
    },
    # the aggregation preset as shipped: the memory, the window's estimate, and a run that settles
    # where the held-out test tells its estimate apart on more than 70 % of the trials restarts
    # (up to three times)
    "shared-geometric-judge3-voters-critic-restart": {
        "learner.judge_fitness": "shared-geometric", "learner.judge_steps": 3, "learner.model_judges": "parents",
        "learner.critic": 0.5, "evaluation.estimate": "window", "stopping.restart_above": 0.7,
        "stopping.restart_when": "settled", "stopping.restarts": 3,
    },
    "shared-geometric-voters-critic-quarter": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.critic": 0.25,
    },
    "shared-geometric-voters-guards": {
        "learner.judge_fitness": "shared-geometric", "learner.model_judges": "parents", "learner.guards": 16,
    },
    # the presets' algorithm, the models judged by the judges kept by selection
    "voters": {"learner.model_judges": "parents"},
    # the papers' judge fitness, the models' fitness the gap (no blind spot of the judges pays)
    "gap": {"learner.model_fitness": "gap"},
    "shared-intermediate": {"learner.judge_fitness": "shared", "models.recombination": "intermediate"},
    # both: judges selected for the samples few others reject, models for matching the system's verdicts
    "shared-matching": {"learner.judge_fitness": "shared", "learner.model_fitness": "matching"},
    "papers": {  # the papers' algorithm: no memory, one replica, the final median
        "learner.hall_of_fame": 0,
        "evaluation.average_last": 1,
        "evaluation.track": "median",
        "evaluation.estimate": "window",
        "stopping.restart_above": 0,
    },
}


def seeds(text: str) -> list[int]:
    """``10-19`` or ``0,3,5`` -> a list of seeds."""
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def toml_value(v) -> str:
    return json.dumps(v) if not isinstance(v, bool) else str(v).lower()


def run_dir(root: Path, task: str, variant: str, seed: int) -> Path:
    return root / variant / task / f"s{seed}"


def status(path: Path) -> str | None:
    try:
        return json.loads((path / "run.json").read_text()).get("status")
    except (OSError, ValueError):
        return None


def one_run(root: Path, task: str, variant: str, seed: int, extra: list[str]) -> str:
    out = run_dir(root, task, variant, seed)
    if status(out) == "complete":
        return f"{out}: complete already"
    preset, overrides = TASKS[task]
    cmd = [sys.executable, "-m", "turinglearn", "run", preset, "--seed", str(seed), "--quiet"]
    for k, v in {**WITHOUT_MEMORY, **overrides, **VARIANTS[variant]}.items():
        cmd += ["--set", f"{k}={toml_value(v)}"]
    for item in extra:
        cmd += ["--set", item]
    if out.exists() and status(out) is not None:
        cmd = [sys.executable, "-m", "turinglearn", "resume", str(out), "--quiet"]
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            import shutil

            shutil.rmtree(out)  # a run that never wrote its run.json
        cmd += ["--out", str(out)]
    env = {**os.environ, "TURINGLEARN_THREADS": "1", "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    tail = (done.stderr or done.stdout).strip().splitlines()[-1:] if done.returncode else []
    if done.returncode == 0:  # the whole process: start, learning, final evaluation, outputs
        (out / "wall.json").write_text(json.dumps({"wall_seconds": wall}))
    return f"{out}: rc {done.returncode} in {wall:.0f} s {' '.join(tail)}"


def read_run(path: Path) -> dict | None:
    """summary.json and metrics.csv's columns of a complete run (None otherwise)."""
    if status(path) != "complete":
        return None
    summary = json.loads((path / "summary.json").read_text())
    with open(path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    history = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
    wall = (
        json.loads((path / "wall.json").read_text())["wall_seconds"]
        if (path / "wall.json").is_file()
        else None
    )
    return {"summary": summary, "history": history, "wall": wall}


#: the generation from which `cycling` reads a run (the first generations are the search's own)
CYCLING_FROM = 100


def cycling(history: dict, start: int = CYCLING_FROM) -> dict:
    """How the models' mean fitness moves from one generation to the next, from ``start`` on:
    its lag-1 autocorrelation (``fitness_lag1``; near +1 when it drifts slowly, negative when it
    flips up and down every generation, as when the judges' bias cycles) and its mean absolute
    step (``fitness_step``)."""
    from turinglearn.app.coevolution import lag1

    f = history["model_fitness_mean"][start:]
    lag = lag1(f, last=1.0)  # the same figure as summary.json's, over these generations
    return {"fitness_lag1": lag, "fitness_step": None if lag is None else float(np.abs(np.diff(f)).mean())}


def drift(history: dict, names, truth, near: float, settle: int = 50, column: str = "median") -> dict:
    """First generation within ``near`` of the truth (population median, every parameter), the
    largest distance after it, and the generations spent farther than 2 x ``near`` after it; and
    the first generation that starts ``settle`` generations in a row within ``near``
    (``settled_at``) with the largest distance from it on (``max_after_settled``): a run that
    passes through the truth on its way there, overshoots and comes back counts in the first,
    only a run that forgets the truth after holding it counts in the second. ``column``:
    ``"median"`` reads the median of every evaluated model, ``"parents"`` that of the parents
    selection kept (metrics.csv's ``NAME_parents``), which fresh offspring do not move.

    Read from the population median, where metrics.csv has the quartiles (``NAME_q25``,
    ``NAME_q75``): also the first generation at which the population has *gathered* on the
    truth, its median within ``near`` and both quartiles within 2 x ``near`` in every parameter
    (``gathered_at``), and the largest distance of the median from then on
    (``max_after_gathered``). A median that comes near while the population is still spread
    over the range is passing through the truth on its way, not holding it."""
    truth = np.asarray(truth, float)
    med = np.array([history[f"{n}_{column}"] for n in names])  # [d, G]
    dist = np.abs(med - truth[:, None]).max(axis=0)  # [G]
    inside = np.flatnonzero(dist <= near)
    held = np.flatnonzero(np.convolve(dist <= near, np.ones(settle, int), "valid") == settle)
    out = {
        "settled_at": int(held[0]) + 1 if held.size else None,
        "max_after_settled": float(dist[held[0] :].max()) if held.size else None,
        "final_median_error": float(dist[-1]),
    }
    if column == "median" and all(f"{n}_{q}" in history for n in names for q in ("q25", "q75")):
        quartiles = np.array([[history[f"{n}_{q}"] for n in names] for q in ("q25", "q75")])  # [2, d, G]
        spread = np.abs(quartiles - truth[None, :, None]).max(axis=(0, 1))  # [G]
        gathered = np.flatnonzero((dist <= near) & (spread <= 2 * near))
        out["gathered_at"] = int(gathered[0]) + 1 if gathered.size else None
        out["max_after_gathered"] = float(dist[gathered[0] :].max()) if gathered.size else None
    if not inside.size:
        return {"first_near": None, "max_after": None, "generations_away": None, **out}
    g = int(inside[0])
    after = dist[g:]
    return {
        "first_near": g + 1,
        "max_after": float(after.max()),
        "generations_away": int((after > 2 * near).sum()),
        **out,
    }


def stop_at(
    history: dict, names, ranges, ev, window: int, tolerance: float, patience: int, after: int = 0, since: int = 0
):
    """The generation (1-based) after which the convergence rule
    (:func:`turinglearn.app.stopping.settled`) fires, or None; not before ``after`` + 1 (it waits
    for a restart's check, as in a run), reading the generations from ``since`` on (after a
    restart, the new search's)."""
    from turinglearn.app.stopping import settled

    values = np.array([history[f"{n}_{ev.track}"] for n in names])
    for g in range(max(window, patience, after + 1), values.shape[1]):  # never at the last generation
        if settled(values[:, since:g], ranges, tolerance, patience, window, ev.average_last, ev.average):
            return g
    return None


def ranges_of(cfg):
    """The reported parameters' bounds (the convergence rule's tolerance is a fraction of them)."""
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.families.policies import reported_family

    return reported_family(build(cfg).system.model_family)


def analyse(
    run: dict, near: float, rule: dict | None, average_last: int | None = None, settle: int = 50
) -> dict:
    """One run read three ways; ``average_last`` reads its estimate (final and at the stop) over
    that many last generations instead of its config's (what a preset with that setting would
    have reported from the same generations)."""
    from turinglearn.app.report import restart_generations
    from turinglearn.app.results import estimate
    from turinglearn.app.results import since as since_
    from turinglearn.config import load_config

    s, h = run["summary"], run["history"]
    names, truth = s["parameters"], np.asarray(s["truth"], float)
    out = {
        "seed": s["seed"],
        "generations": len(h["generation"]),
        "seconds": s["seconds"],
        "final_error": float(np.max(s["abs_error"])),
        "final_summed": float(np.sum(s["abs_error"])),
        "c2st": s.get("c2st"),
        **drift(h, names, truth, near, settle),
        **cycling(h),
    }
    if all(np.isfinite(h.get(f"{n}_parents", [np.nan])).all() for n in names):  # recorded since issue 23
        out["parents"] = drift(h, names, truth, near, settle, column="parents")
    if s.get("panel"):  # the same run's window estimate, which the panel replaced
        out["window_error"] = float(np.max(np.abs(np.asarray(s["panel"]["window_estimate"]) - truth)))
        out["panel_chosen"] = s["panel"]["chosen_generations"]
    restart = s.get("restart") or {}
    if restart:  # the restart's check (half-way, or when the estimate settled)
        out["restart"] = restart
    since = max(restart_generations(restart), default=0)  # the new search's first
    interval = s.get("interval") or {}
    cover, width = {}, {}
    for n, t in zip(names, truth, strict=True):
        iv = interval.get(n) or {}
        if iv.get("lo") is not None:
            cover[n] = bool(iv["lo"] - 1e-9 <= t <= iv["hi"] + 1e-9)
            width[n] = iv["hi"] - iv["lo"]
    out["covered"], out["width"] = cover, width
    cfg = load_config(run["path"] / "config.toml", strict=False)
    ev, st = cfg.evaluation, cfg.stopping
    first = (restart.get("earlier") or [restart])[0]
    if first.get("when") == "settled":
        # without the restart the run would have stopped at its first check, reporting this
        g = first["generation"]
        err = np.abs(estimate({k: v[:g] for k, v in h.items()}, names, ev.average_last, ev.average, ev.track) - truth)
        out["without_restart"] = {"generation": g, "error": float(err.max()), "summed": float(err.sum())}
    if average_last is not None:
        ev = dataclasses.replace(ev, average_last=average_last)
        final = np.abs(estimate(since_(h, since), names, ev.average_last, ev.average, ev.track) - truth)
        out["final_error"], out["final_summed"] = float(final.max()), float(final.sum())
    rule = {"window": st.window, "tolerance": st.tolerance, "patience": st.patience, **(rule or {})}
    shown = ranges_of(cfg)
    ranges = np.asarray(shown.upper, float) - np.asarray(shown.lower, float)
    wait = 0 if restart.get("when") == "settled" else restart.get("generation", 0)
    g = stop_at(h, names, ranges, ev, **rule, after=wait, since=since)
    out["rule"], out["stop"] = rule, None
    if g is not None:
        cut = since_({k: v[:g] for k, v in h.items()}, since)
        est = estimate(cut, names, ev.average_last, ev.average, ev.track)
        err = np.abs(est - truth)
        fixed = None if run["wall"] is None else run["wall"] - s["seconds"]  # start, evaluation, outputs
        learning = float(np.sum(h["seconds"][:g]))
        out["stop"] = {
            "generation": g,
            "error": float(err.max()),
            "summed": float(err.sum()),
            "saved_fraction": 1 - g / len(h["generation"]),
            # the run's wall time had it stopped there (its learning up to g, plus what it spent
            # outside the generations), as a fraction of the full run's
            "time_fraction": None if fixed is None else (learning + fixed) / run["wall"],
        }
    out["wall"] = run["wall"]
    return out


def report(a) -> list[dict]:
    rule = {
        k: v
        for k, v in (("window", a.window), ("tolerance", a.tolerance), ("patience", a.patience))
        if v is not None
    }
    rows = []
    for variant, task, seed in itertools.product(a.variants, a.tasks, seeds(a.seeds)):
        path = run_dir(a.root, task, variant, seed)
        run = read_run(path)
        if run is None:
            continue
        run["path"] = path
        read = analyse(run, a.near, rule, a.average_last, a.settle)
        rows.append({"task": task, "variant": variant, **read})
    return rows


def table(rows: list[dict], near: float, bar: float, settle: int = 50) -> None:
    print(f"{'task':<18} {'variant':<10} {'runs':>4} {'final<=bar':>10} {'drift>0.1':>9} {'max after near':>15} "
          f"{'stop gen (median)':>17} {'stop<=bar':>9} {'saved':>6} {'time':>5} {'cover':>6}")  # fmt: skip
    key = lambda r: (r["task"], r["variant"])  # noqa: E731
    for (task, variant), group in itertools.groupby(sorted(rows, key=key), key=key):
        g = list(group)
        fin = sum(r["final_error"] <= bar for r in g)
        afters = [r["max_after"] for r in g if r["max_after"] is not None]
        drifted = sum(x > 2 * near for x in afters)
        stops = [r["stop"] for r in g]
        fired = [s for s in stops if s]
        stop_ok = sum((s["error"] if s else r["final_error"]) <= bar for s, r in zip(stops, g, strict=True))
        gens = np.median([s["generation"] for s in fired]) if fired else float("nan")
        saved = np.mean([s["saved_fraction"] if s else 0.0 for s in stops])
        times = [s["time_fraction"] if s else 1.0 for s in stops]
        times = [t for t in times if t is not None]
        time_ = f"{np.median(times):.2f}" if times else "-"
        cov = [c for r in g for c in r["covered"].values()]
        cover = f"{np.mean(cov):.2f}" if cov else "-"
        after = f"{np.median(afters):.3f}/{max(afters):.3f}" if afters else "-"
        print(f"{task:<18} {variant:<10} {len(g):>4} {fin:>6}/{len(g):<3} {drifted:>5}/{len(afters):<3} {after:>15} "
              f"{gens:>10.0f} ({len(fired)}) {stop_ok:>5}/{len(g):<3} {saved:>6.0%} {time_:>5} {cover:>6}")  # fmt: skip
        held = [r["max_after_settled"] for r in g if r.get("max_after_settled") is not None]
        if held:  # a run that passed through the truth and overshot counts above, not here
            print(f"{'':<18} {'':<10} after holding the truth {settle} generations ({len(held)} runs): left it by "
                  f"> {2 * near:g} in {sum(x > 2 * near for x in held)}, largest distance, median "
                  f"{np.median(held):.3f} [max {max(held):.3f}]")  # fmt: skip
        gathered = [r["max_after_gathered"] for r in g if r.get("max_after_gathered") is not None]
        if gathered:  # a median that came near while the population was still spread counts above, not here
            print(f"{'':<18} {'':<10} after the population gathered on the truth (median within {near:g}, "
                  f"quartiles within {2 * near:g}; {len(gathered)} runs): left it by > {2 * near:g} in "
                  f"{sum(x > 2 * near for x in gathered)}, largest distance, median "
                  f"{np.median(gathered):.3f} [max {max(gathered):.3f}]")  # fmt: skip
        kept = [r["parents"] for r in g if r.get("parents")]
        if kept:  # the same read from the parents' median: what selection moved, not the offspring
            pa = [k["max_after"] for k in kept if k["max_after"] is not None]
            ph = [k["max_after_settled"] for k in kept if k["max_after_settled"] is not None]
            print(f"{'':<18} {'':<10} parents' median ({len(kept)} runs): left by > {2 * near:g} after near in "
                  f"{sum(x > 2 * near for x in pa)}/{len(pa)}, largest distance "
                  + (f"{np.median(pa):.3f} [max {max(pa):.3f}]" if pa else "-")
                  + f"; after holding {settle}: {sum(x > 2 * near for x in ph)}/{len(ph)}"
                  + (f", {np.median(ph):.3f} [max {max(ph):.3f}]" if ph else ""))  # fmt: skip
        lags = [r["fitness_lag1"] for r in g if r.get("fitness_lag1") is not None]
        if lags:  # the judges' bias flipping every generation shows as a negative autocorrelation
            steps = [r["fitness_step"] for r in g if r.get("fitness_step") is not None]
            print(f"{'':<18} {'':<10} models' mean fitness from generation {CYCLING_FROM}: lag-1 autocorrelation "
                  f"{np.median(lags):+.2f} [{min(lags):+.2f}, {max(lags):+.2f}], mean step "
                  f"{np.median(steps):.3f}")  # fmt: skip
        checked = [r for r in g if "without_restart" in r]
        if checked:  # restarts when settled: the same runs had they stopped at their first check
            from turinglearn.app.report import restart_generations

            counts = [len(restart_generations(r["restart"])) for r in checked]
            alone = sum(r["without_restart"]["error"] <= bar for r in checked)
            print(f"{'':<18} {'':<10} restarted when settled: {sum(c > 0 for c in counts)} of {len(checked)} runs "
                  f"({sum(counts)} restarts); stopped at the first check instead, {alone}/{len(checked)} "
                  "within the bar")  # fmt: skip
        panel = [r for r in g if "window_error" in r]
        if panel:  # the panel's runs carry their window estimate: both from the same generations
            fe, we = [r["final_error"] for r in panel], [r["window_error"] for r in panel]
            print(f"{'':<18} {'':<10} final error, panel {np.median(fe):.3f} [{max(fe):.3f}] "
                  f"({sum(e <= bar for e in fe)}/{len(fe)} <= {bar}); window of the same runs "
                  f"{np.median(we):.3f} [{max(we):.3f}] ({sum(e <= bar for e in we)}/{len(we)})")  # fmt: skip


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["run", "report", "tune"])
    p.add_argument("--tasks", nargs="+", default=["aggregation", "aggregation-a", "aggregation-b",
                                                  "object-clustering", "stimulus-response"],
                   choices=list(TASKS))  # fmt: skip
    p.add_argument("--variants", nargs="+", default=["current"], choices=list(VARIANTS))
    p.add_argument("--seeds", default="10-19")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--root", type=Path, default=Path("bench-runs/coevolution"))
    p.add_argument("--set", dest="extra", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--near", type=float, default=0.05)
    p.add_argument(
        "--settle", type=int, default=50, help="generations in a row within --near that count as holding the truth"
    )
    p.add_argument(
        "--bar", type=float, default=None, help="recovery bar (default: 0.1 for object clustering, else 0.05)"
    )
    p.add_argument("--window", type=int)
    p.add_argument("--tolerance", type=float)
    p.add_argument("--patience", type=int)
    p.add_argument(
        "--average-last", type=int, help="read every run's estimate over this many last generations"
    )
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    if a.settle < 1:
        p.error(f"--settle must be at least 1 generation, got {a.settle}")
    if a.command == "run":
        jobs = [(t, v, s) for s in seeds(a.seeds) for t in a.tasks for v in a.variants]
        with ThreadPoolExecutor(a.jobs) as pool:
            for line in pool.map(lambda j: one_run(a.root, *j, a.extra), jobs):
                print(line, flush=True)
        return
    if a.command == "tune":
        grid = itertools.product([10, 20, 50], [0.01, 0.02, 0.05], [40, 80, 160])
        for window, tol, patience in grid:
            a.window, a.tolerance, a.patience = window, tol, patience
            rows = report(a)
            bad = [r for r in rows if r["stop"] and r["stop"]["error"] > max(0.05, r["final_error"]) + 1e-9]
            saved = np.mean([r["stop"]["saved_fraction"] if r["stop"] else 0 for r in rows]) if rows else 0
            print(f"window {window:>3} tolerance {tol:<5} patience {patience:>3}: saved {saved:5.0%}, "
                  f"worse than the bar or the full run in {len(bad)} of {len(rows)}")  # fmt: skip
        return
    rows = report(a)
    bars = {t: (a.bar or (0.1 if t == "object-clustering" else 0.05)) for t in a.tasks}
    for task in a.tasks:
        table([r for r in rows if r["task"] == task], a.near, bars[task], a.settle)
    rules = {json.dumps(r["rule"], sort_keys=True) for r in rows}
    if len(rules) > 1:  # runs of older code carry other [stopping] defaults in their config.toml
        print(f"note: the runs' own convergence rules differ ({'; '.join(sorted(rules))}), so the stop "
              "columns compare different rules: pass --window, --tolerance and --patience")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
