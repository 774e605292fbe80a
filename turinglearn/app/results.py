"""What runs give back: :class:`LearnResult`, the one result type (with its two kinds,
:class:`SwarmResult` and :class:`GANResult`), an evolutionary run's metrics row and its
estimate (torch-free)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from turinglearn.app.runs import ENGAGEMENT, MEMORY, json_default
from turinglearn.app.stopping import estimate_of
from turinglearn.config import AVERAGES, TRACKS, Config
from turinglearn.core.contracts import Generation


def metrics_row(record: Generation, names: Sequence[str], view=None) -> dict[str, float]:
    """One generation's row of metrics.csv (columns: :func:`turinglearn.app.runs.metrics_columns`).

    view: maps the models [M, d] to the reported values [M, len(names)] (policy families: their
    effective controllers, :func:`turinglearn.families.policies.report`); default: the parameters.

    ``NAME_median`` is over every evaluated model, the parents and their fresh offspring;
    ``NAME_parents`` over the parents selection kept (``record.parents``; NaN where the
    optimiser does not say), which moves only when selection moves it. They lead the next
    generation's population, so they run one row ahead of ``NAME_median``."""
    view = view or (lambda x: x)
    values = view(record.models)
    q25, med, q75 = np.quantile(values, [0.25, 0.5, 0.75], axis=0)
    best = values[int(np.argmax(record.model_fitness))]
    parents = np.full(len(names), np.nan) if record.parents is None else np.median(view(record.parents), axis=0)
    row: dict[str, float] = {"generation": record.generation, "seconds": record.seconds}
    for i, n in enumerate(names):
        row.update({f"{n}_median": med[i], f"{n}_q25": q25[i], f"{n}_q75": q75[i], f"{n}_best": best[i]})
        row[f"{n}_parents"] = parents[i]
    f_d = record.discriminator_fitness  # empty for metric-based learners
    row.update(
        model_fitness_mean=record.model_fitness.mean(),
        model_fitness_max=record.model_fitness.max(),
        discriminator_fitness_mean=f_d.mean() if f_d.size else float("nan"),
        discriminator_fitness_max=f_d.max() if f_d.size else float("nan"),
    )
    for key in (*ENGAGEMENT, *MEMORY):  # absent for learners without discriminators or memory
        row[key] = record.diagnostics.get(key, float("nan"))
    return row


def estimate(
    history: dict,
    names: Sequence[str],
    average_last: int = 1,
    average: str = "median",
    track: str = "median",
) -> np.ndarray:
    """The inferred model [d]: the population median (``track = "median"``, metrics.csv's
    ``NAME_median`` columns) or each generation's fittest model (``"best"``, ``NAME_best``)
    averaged (``average``: ``median`` or ``mean``, per parameter) over the last ``average_last``
    generations of ``history``, but never over more than the second half of the run (a
    shortened run must not average its first, random generations into the estimate)."""
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {', '.join(AVERAGES)}, got {average!r}")
    if track not in TRACKS:
        raise ValueError(f"track must be one of {', '.join(TRACKS)}, got {track!r}")
    values = np.array([history[f"{n}_{track}"] for n in names], dtype=float)  # [d, G]
    return estimate_of(values, average_last, average)


def since(history: dict, start: int) -> dict:
    """``history``'s metrics from generation ``start`` on (after a restart, the new search's)."""
    return history if start == 0 else {k: v[start:] for k, v in history.items()}


@dataclass(kw_only=True)
class LearnResult:
    """What a run found, for every kind of run: the config, the metrics (``history``:
    metrics.csv's columns), the seconds it learned for, its run directory, and
    :meth:`summary`, the run's summary.json. :class:`SwarmResult` (evolved swarms and
    interrogated systems) and :class:`GANResult` add what their kind knows."""

    config: Any
    history: dict[str, np.ndarray]
    seconds: float
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:  # pragma: no cover - every kind writes its own
        """The run's summary.json."""
        raise NotImplementedError

    def report(self) -> str:
        """The closing lines the command line prints (``print(result.report())``): each
        parameter's truth, estimate, interval and what the held-out test says, the C2ST, the
        restarts and the coevolution's digest; a GAN's image metrics."""
        import contextlib
        import io

        from turinglearn.app.printing import print_summary

        out, summary = io.StringIO(), json.loads(json.dumps(self.summary(), default=json_default))  # as in the file
        with contextlib.redirect_stdout(out):
            print_summary(self.config, summary)
        return out.getvalue()


@dataclass(kw_only=True)
class SwarmResult(LearnResult):
    """What an evolutionary run found.

    inferred: the estimate [d]: with ``evaluation.estimate = "panel"``, the panel's
    (:mod:`turinglearn.core.panel`); else the window's, the population median of the final
    models (or its median or mean over the last ``evaluation.average_last`` generations; with
    ``evaluation.track = "best"``, of each generation's fittest model); best: the final model
    with the highest fitness [d]; truth / abs_error: [d] where the truth is known; c2st: held-out classifier
    accuracy between genuine and inferred-model trajectories (0.5 = indistinguishable);
    history: metrics.csv's columns over generations; models / discriminators: final evaluated
    populations [M, d] / [D, k] with their fitness; trust: what the held-out test says
    (:mod:`turinglearn.core.trust`): ``c2st_schedule`` (the headline's schedule),
    ``c2st_by_schedule``, ``c2st_samples`` (a side), per parameter ``power``, ``interval``, ``identified`` and ``vouched``,
    the ``tradeoffs`` found between pairs, the test's calibration (``test``) and, on request,
    ``pair_map``; empty when not computed.
    """

    config: Config
    names: tuple[str, ...]
    inferred: np.ndarray
    best: np.ndarray
    truth: np.ndarray | None
    abs_error: np.ndarray | None
    c2st: float | None
    models: np.ndarray
    model_fitness: np.ndarray
    discriminators: np.ndarray
    discriminator_fitness: np.ndarray
    interrogations: tuple[dict[int, np.ndarray], dict[int, np.ndarray]] | None = None
    trust: dict[str, Any] = field(default_factory=dict)
    trust_seconds: float | None = None  # what the power and intervals cost (not in summary.json)
    estimate_from: int = 0  # the generation the window's estimate starts from (after a restart, the new search's)

    def window_estimate(self, track: str | None = None) -> np.ndarray:
        """The run's window estimate [d] (``inferred`` unless the panel chose it: its
        ``extra["panel"]["window_estimate"]`` then) following
        ``track`` (default: the config's ``evaluation.track``) over the config's window: :func:`estimate` on ``history``
        (from ``estimate_from``), so a finished run can be read either way without running it again."""
        ev = self.config.evaluation
        history = since(self.history, self.estimate_from)
        return estimate(history, self.names, ev.average_last, ev.average, track or ev.track)

    def estimate(self, track: str | None = None) -> np.ndarray:
        """Deprecated: :meth:`window_estimate` (the name said the run's estimate, which with the
        panel is ``inferred``, not this)."""
        import warnings

        warnings.warn(
            "SwarmResult.estimate() is renamed window_estimate(); the run's own estimate is result.inferred",
            FutureWarning,
            stacklevel=2,
        )
        return self.window_estimate(track)

    def summary(self) -> dict[str, Any]:
        """The run's summary.json (the schema every preset writes)."""
        as_list = lambda a: None if a is None else [float(v) for v in a]  # noqa: E731
        return {
            "name": self.config.name,
            "environment": self.extra.get("simulator", self.config.environment.id),
            "seed": self.config.seed,
            "parameters": list(self.names),
            "truth": as_list(self.truth),
            "inferred": as_list(self.inferred),
            "best": as_list(self.best),
            "abs_error": as_list(self.abs_error),
            "max_abs_error": None if self.abs_error is None else float(np.max(self.abs_error)),
            "c2st": self.c2st,
            **self.trust,
            "generations": len(self.history.get("generation", [])),
            "seconds": round(self.seconds, 3),
            "seconds_per_generation": round(
                self.seconds / max(1, len(self.history.get("generation", []))), 5
            ),
            **self.extra,
        }


@dataclass(kw_only=True)
class GANResult(LearnResult):
    """What a GAN run found: ``measured`` holds the run's facts and image metrics (Frechet
    distance, class coverage, C2ST, images per second; see :mod:`turinglearn.app.gan_run`);
    ``learner`` is the trained :class:`~turinglearn.gan.train.GANLearner`
    (``learner.generate(n, seed)`` draws more images)."""

    learner: Any
    measured: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The run's summary.json."""
        return {**self.measured, **self.extra}

    @property
    def c2st(self) -> float | None:
        """The held-out classifier's accuracy between real and generated images (as a swarm
        result's ``c2st``; None where not measured)."""
        return self.measured.get("c2st")

    @property
    def frechet_ratio(self) -> float | None:
        """Frechet distance of the generated images to a real half over that between the two
        real halves (1: as near as the data to itself; None where not measured)."""
        return self.measured.get("frechet_ratio")

    @property
    def class_coverage(self) -> float | None:
        """Share of the classes generated at >= 0.4 x their share (None: unlabelled images)."""
        return self.measured.get("class_coverage")


@dataclass
class RunRecord:
    """A run directory read back from its files (:func:`read_run`): no simulator rebuilt, no
    module of the user's imported. ``summary``: summary.json (None: the run did not finish);
    ``history``: metrics.csv's columns; ``status``: run.json."""

    run_dir: Path
    status: dict[str, Any]
    summary: dict[str, Any] | None
    history: dict[str, np.ndarray]

    def report(self) -> str:
        """What ``turinglearn report RUN_DIR`` prints of it (without redrawing the plots)."""
        import contextlib
        import io

        from turinglearn.app.printing import print_gan_summary, print_report, print_table

        out = io.StringIO()
        gan = self.summary is not None and "parameters" not in self.summary
        with contextlib.redirect_stdout(out):
            print_report((self.summary, None), self.status, [], print_gan_summary if gan else print_table, self.run_dir)
        return out.getvalue()


def read_run(run_dir: str | Path) -> RunRecord:
    """A finished (or unfinished) run directory as a :class:`RunRecord`: its summary, metrics
    and status, read from its files alone, as ``turinglearn report`` reads them; a damaged
    summary.json raises :class:`~turinglearn.errors.RunDirError` naming it."""
    from turinglearn.app.printing import read_summary
    from turinglearn.app.runs import read_metrics, read_status
    from turinglearn.errors import RunDirError

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is not a directory; give the run directory that a run wrote")
    status = read_status(run_dir)
    summary, damaged = read_summary(run_dir / "summary.json")
    if damaged is not None:
        raise damaged
    history = read_metrics(run_dir) if (run_dir / "metrics.csv").is_file() else {}
    return RunRecord(run_dir, status, summary, history)
