"""``turinglearn benchmark peers``: Turing Learning against simulation-based inference, on the
same observations and the same simulation budget.

A *cell* is one (task, learner, budget, K, seed). For each (task, K, seed) the benchmark first
writes ONE recording of K genuine trials of the task's truth (``OUT/recordings/``, seeded from
the seed, :func:`turinglearn.app.recording.record`); every learner of every budget, Turing
Learning included, then learns from that file (``data``) and nothing else, with its budget as
``stopping.max_simulations``.

**The unit of the budget is the same for everyone: one simulated individual trajectory.** A
trial from a recording simulates :func:`~turinglearn.systems.recorded.individuals_per_trial`
individuals (every robot of a swarm, all running the candidate; one passive trial of an
interactive system). A generation of Turing Learning or of a metric baseline costs models x
trials x that (:func:`turinglearn.app.stopping.recorded_per_generation`), and a peer's
simulated set, as large as the recording, costs the recording's individuals
(:attr:`turinglearn.peers.problem.PeerProblem.cost`); ``tests/peers/test_budget_unit.py``
counts what the simulator runs. An evolutionary learner gets ``budget // per generation``
generations (at least one, checked), a peer ``budget // cost`` simulated sets (at least its
method's minimum, checked). The final evaluation (C2ST, held-out test) is not counted, for
anyone.

Every cell writes ``OUT/runs/TASK/LEARNER/kK-bBUDGET-sSEED.json`` (atomically) when it ends:
the estimate, the truth, the summed and per-parameter absolute error, whether the peer's
posterior interval and the held-out test's interval hold the truth, the trajectories spent
and the wall time. A rerun into the same directory skips the cells that have their file and
runs the others (an interrupted cell left none). A learner may appear under several names,
each with its own settings (``--learners turing small=turing --set small:models.population=20``:
the preset's Turing Learning beside one with 20 models, in one table). ``OUT/table.md``, ``OUT/results.json`` and
one accuracy-versus-budget plot per task (``OUT/accuracy-TASK.png``) are written at the end
(:mod:`turinglearn.app.peer_benchmark_report`). Every setting is checked before any work.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turinglearn.app.peer_benchmark_dir import check_directory
from turinglearn.app.runs import atomic_write, write_json
from turinglearn.errors import ConfigError, TuringLearnWarning

#: built-in tasks: name -> (preset, its settings). Aggregation's preset truth sits on three
#: bounds, where clipping is exact and a posterior summary cannot be; here it is interior.
TASKS: dict[str, tuple[str, dict[str, Any]]] = {
    "aggregation-interior": ("aggregation", {"environment.truth": [0.3, 0.9, -0.4, 0.5]}),
    "object-clustering": ("object-clustering", {}),
    # watched passively, as a recording must be, under a square wave of light (constant light
    # hides three of its four parameters from every learner)
    "stimulus-response": ("stimulus-response", {"environment.passive_period": 20}),
    "hidden-switching": ("hidden-switching", {}),
}
LEARNERS = ("turing", "npe", "npe-summary", "abc-smc", "metric-sse", "metric-histogram")
#: the command's defaults (with every learner and the default tasks): the smallest budget pays
#: for a preset's generation (aggregation: 1,400) and ABC-SMC's 100 sets at K = 10 (14,000)
DEFAULTS = {"budgets": "20000,100000", "recordings": "1,10", "seeds": "5"}
#: settings the benchmark itself sets in every cell
RESERVED = ("seed", "data", "learner.kind", "stopping.max_simulations", "generations")


def default_tasks() -> list[str]:
    """The built-in tasks whose preset exists in this installation."""
    from turinglearn.config import presets

    return [name for name, (preset, _) in TASKS.items() if preset in presets()]


def parse_counts(text: str, what: str) -> list[int]:
    """``"1000,5000,20k"`` -> [1000, 5000, 20000]; every count positive."""
    out = []
    for part in filter(None, str(text).replace(" ", "").split(",")):
        try:
            out.append(int(float(part[:-1]) * 1000) if part.lower().endswith("k") else int(part))
        except ValueError:
            raise ConfigError(f"{what} {text!r}: give positive whole numbers like 1000,5000,20k") from None
    if not out or min(out) < 1:
        raise ConfigError(f"{what} {text!r}: give positive whole numbers like 1000,5000,20k")
    return sorted(set(out))


def parse_learners(names: Sequence[str]) -> dict[str, str]:
    """``["turing", "small=turing"]`` -> {"turing": "turing", "small": "turing"}: each learner's
    name in the table and its ``learner.kind``."""
    kinds: dict[str, str] = {}
    for entry in names:
        name, _, kind = entry.partition("=")
        name, kind = name.strip(), (kind or name).strip()
        if not name or not kind or any(c in name for c in ":/@") or name in kinds:
            raise ConfigError(
                f"--learners {entry!r}: give a learner (turing) or NAME=LEARNER (small=turing), "
                "each name once, without ':', '/' or '@'"
            )
        kinds[name] = kind
    return kinds


@dataclass(frozen=True)
class Cell:
    task: str
    learner: str
    budget: int
    k: int
    seed: int

    def path(self, out: Path) -> Path:
        return out / "runs" / self.task / self.learner / f"k{self.k}-b{self.budget}-s{self.seed}.json"


@dataclass
class Plan:
    """A checked grid: what each task runs (preset and settings), its cells, the trajectories
    a generation (``per_generation``, per K) and a peer's set (``per_set``, per K) cost."""

    out: Path
    tasks: dict[str, tuple[str, dict[str, Any]]]
    learners: list[str]  # names: a kind (``turing``) or a variant's name (``small`` of ``small=turing``)
    budgets: list[int]
    recordings: list[int]
    seeds: list[int]
    overrides: dict[str, Any]
    per_generation: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (learner, task) that cannot run
    meta: dict[str, Any] = field(default_factory=dict)  # benchmark.json: what defines the directory
    kinds: dict[str, str] = field(default_factory=dict)  # learner name -> learner.kind (itself by default)

    def kind(self, learner: str) -> str:
        return self.kinds.get(learner, learner)

    def recording(self, task: str, k: int, seed: int) -> Path:
        return self.out / "recordings" / f"{task}-k{k}-s{seed}.npz"

    def cells(self) -> list[Cell]:
        return [
            Cell(t, lrn, b, k, s)
            for t in self.tasks for k in self.recordings for s in self.seeds
            for b in self.budgets for lrn in self.learners if (lrn, t) not in self.skipped
        ]  # fmt: skip

    def scoped(self, scope: str | None) -> dict[str, Any]:
        """The --set of every run (scope None), or of one task's, one learner's or one learner's
        on one task (``SCOPE:KEY``, the scope ``TASK``, ``LEARNER`` or ``LEARNER@TASK``)."""
        return {
            k.partition(":")[2] if scope else k: v
            for k, v in self.overrides.items()
            if (k.partition(":")[0] == scope if scope else ":" not in k)
        }

    def task_settings(self, task: str) -> dict[str, Any]:
        """What defines a task's system (its recordings too): its own, every run's, its --set."""
        return {**self.tasks[task][1], **self.scoped(None), **self.scoped(task)}

    def settings(self, cell: Cell) -> dict[str, Any]:
        """The overrides of a cell's run."""
        # Turing Learning's panel estimate (and a restart's check) spends trials outside the
        # simulation budget: the benchmark keeps the window estimate unless a --set asks for it
        fixed = {}
        if self.kind(cell.learner) == "turing":
            fixed = {"evaluation.estimate": "window", "stopping.restart_above": 0}
        out = {
            **fixed,
            **self.task_settings(cell.task),
            **self.scoped(cell.learner),
            **self.scoped(f"{cell.learner}@{cell.task}"),
        }
        out |= {"seed": cell.seed, "execution.backend": "inprocess"}
        out |= {
            "data": str(self.recording(cell.task, cell.k, cell.seed)),
            "learner.kind": self.kind(cell.learner),
        }
        out["stopping.max_simulations"] = cell.budget
        per = self.per_generation.get((cell.task, cell.learner))
        if per:  # an evolutionary learner: the generations the budget pays for
            out["generations"] = max(1, cell.budget // per)
        return out


def choose_tasks(tasks: Sequence[str] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """Task name -> (preset or config file, its settings): a built-in task, a preset, or a
    config file of one's own (``my.toml``, named by its stem: ``--set my:KEY=VALUE``)."""
    from turinglearn.config import presets

    chosen: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in tasks or default_tasks():
        if name in TASKS or name in presets():
            key, (preset, task_overrides) = name, TASKS.get(name, (name, {}))
        elif name.endswith(".toml") or Path(name).is_file():
            if not Path(name).is_file():
                raise ConfigError(f"--tasks: no config file {name!r}")
            key, preset, task_overrides = Path(name).stem, name, {}
        else:
            raise ConfigError(
                f"--tasks: unknown task {name!r}; choose from {', '.join(default_tasks())}, a preset "
                f"({', '.join(presets())}) or a config file of your own (my.toml)"
            )
        if key in chosen:
            raise ConfigError(f"--tasks: two tasks named {key!r}")
        chosen[key] = (preset, task_overrides)
    return chosen


def plan(
    out: Path,
    tasks: Sequence[str] | None,
    learners: Sequence[str],
    budgets: Sequence[int],
    recordings: Sequence[int],
    seeds: Sequence[int],
    overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """Check every setting and build the grid; a ConfigError (one line) names the first problem.
    ``overrides`` apply to every run; a key ``LEARNER:KEY`` to that learner's runs only,
    ``TASK:KEY`` to that task's, ``LEARNER@TASK:KEY`` to that learner's on that task."""
    from turinglearn.app.build import make_simulator
    from turinglearn.app.preflight import check_names_an_environment
    from turinglearn.app.registry import LEARNERS as KINDS
    from turinglearn.app.stopping import recorded_per_generation
    from turinglearn.config import Config, load_config
    from turinglearn.core.contracts import is_interactive
    from turinglearn.peers import KINDS as PEERS
    from turinglearn.peers.learner import minimum_simulations, require_peers

    kinds = parse_learners(learners)
    learners = list(kinds)
    overrides = dict(overrides or {})
    chosen = choose_tasks(tasks)
    tasks = list(chosen)
    for key in overrides:
        who, _, name = key.rpartition(":")
        if name in RESERVED:
            raise ConfigError(f"--set {key}: the benchmark sets {name} in every run; leave it out")
        learner, at, task = who.partition("@")
        if at and (learner not in learners or task not in (tasks or default_tasks())):
            raise ConfigError(
                f"--set {key}: {who!r} is not LEARNER@TASK with one of the --learners and --tasks"
            )
        if who and not at and who not in learners and who not in (tasks or default_tasks()):
            raise ConfigError(f"--set {key}: {who!r} is neither one of the --learners nor of the --tasks")
    for kind in kinds.values():
        if kind not in LEARNERS or kind not in KINDS:
            known = [k for k in LEARNERS if k in KINDS]
            raise ConfigError(f"--learners: unknown learner {kind!r}; choose from {', '.join(known)}")
        if kind in PEERS:
            require_peers(kind)  # the extra is installed
    p = Plan(
        Path(out), chosen, learners, list(budgets), list(recordings), list(seeds), overrides, kinds=kinds
    )
    for name, (preset, task_overrides) in chosen.items():
        base = load_config(preset, p.task_settings(name))
        check_names_an_environment(preset, p.task_settings(name), base)  # own-system would run aggregation
        sim = make_simulator(base) if isinstance(base, Config) else None
        if sim is None or sim.truth is None:
            raise ConfigError(
                f"--tasks: {name!r} has no truth to record and recover; choose a system's preset"
            )
        if is_interactive(sim):  # a recording cannot answer interrogators: every learner watches
            p.tasks[name] = (preset, {**task_overrides, "learner.passive": True})
        for lrn in learners:
            kind = p.kind(lrn)
            if is_interactive(sim) and not KINDS[kind].interactive:
                p.skipped.append((lrn, name))  # the metric baselines compare swarms' trajectories
                if p.scoped(f"{lrn}@{name}"):
                    raise ConfigError(f"--set {lrn}@{name}:...: {lrn} does not run on {name} (interactive)")
                continue
            cell = Cell(name, lrn, min(budgets), min(recordings), seeds[0])
            config = load_config(preset, p.settings(cell))  # every setting of every run is valid
            _check_budget(p, config, make_simulator(config), cell, kind in PEERS, minimum_simulations)
            if kind not in PEERS:
                p.per_generation[(name, lrn)] = recorded_per_generation(config, make_simulator(config))
    if not p.cells():
        raise ConfigError(f"nothing to run: {_skipped(p)}; add --learners that can")
    p.meta = check_directory(p.out, p.tasks, p.kinds, p.overrides)
    return p


def _check_budget(p: Plan, config, sim, cell: Cell, peer: bool, minimum: Callable[[str], int]) -> None:
    """The smallest budget pays for a generation, or for a peer's fewest simulated sets at the
    largest K (a set costs the recording's individuals)."""
    from turinglearn.app.stopping import recorded_per_generation
    from turinglearn.systems.recorded import individuals_per_trial

    least, why = 0, ""
    if peer:
        k = max(p.recordings)
        cost = k * individuals_per_trial(sim)  # K trials recorded: K x individuals, one set
        sets = minimum(p.kind(cell.learner))
        least = sets * cost
        why = f"{sets} simulated sets of the K={k} recording's {cost} individuals"
    else:
        least = recorded_per_generation(config, sim)
        pop, trials = config.models.population, config.learner.trials_per_model
        why = f"one generation: {pop} models x {trials} trials x {individuals_per_trial(sim)} individuals"
    if cell.budget < least:
        raise ConfigError(
            f"--budgets {cell.budget}: {cell.learner} on {cell.task} needs at least {least} trajectories "
            f"({why}); give budgets of {least} or more"
        )


def run_peer_benchmark(p: Plan, jobs: int = 1, log=print) -> tuple[str, list[Cell]]:
    """Write the recordings, run the cells without a file, then the table, results.json and the
    plots. Returns (the table, the cells that failed: a rerun retries them)."""
    from turinglearn.app.peer_benchmark_report import plot_task, table
    from turinglearn.app.recording import record
    from turinglearn.config import load_config

    p.out.mkdir(parents=True, exist_ok=True)
    write_json(p.out / "benchmark.json", p.meta)
    (p.out / "recordings").mkdir(exist_ok=True)
    for task, (preset, _) in p.tasks.items():
        base = load_config(preset, p.task_settings(task))
        for k in p.recordings:
            for seed in p.seeds:
                path = p.recording(task, k, seed)
                if not path.is_file():  # written once (atomically), reused by every cell
                    record(base, path, trials=k, seed=seed)
    cells = p.cells()
    todo = [c for c in cells if not c.path(p.out).is_file()]
    log(
        f"benchmark peers: {len(todo)} runs to do of {len(cells)} ({len(cells) - len(todo)} already done) "
        f"on {jobs} process{'es' if jobs > 1 else ''} -> {p.out}"
        + (f"; not run: {_skipped(p)}" if p.skipped else "")
    )
    jobs_list = [
        (c, p.tasks[c.task][0], p.settings(c), p.per_generation.get((c.task, c.learner)), p.out) for c in todo
    ]
    failed = []
    for cell, row in _map(run_cell, jobs_list, jobs):
        if "error" in row:
            failed.append(cell)
            log(f"  {_name(cell)}: failed ({row['error']}); a rerun retries it")
        else:
            gens = f"{row['generations']} generations, " if p.per_generation.get((cell.task, cell.learner)) else ""
            log(
                f"  {_name(cell)}: summed error {row['summed_error']:.3f}, {gens}{row['trajectories']} trajectories, "
                f"{row['wall_seconds']:.0f} s"
            )
    whole, rows = _directory(p)
    meta = {**p.meta, "machine": _machine(), "not_run": _skipped(p)}
    write_json(p.out / "results.json", {"settings": meta, "runs": rows})
    text = table(rows, whole)
    atomic_write(p.out / "table.md", text + "\n")
    for task in whole.tasks:
        if any(r["task"] == task for r in rows):
            plot_task([r for r in rows if r["task"] == task], task, p.out / f"accuracy-{task}.png")
    return text, failed


def _directory(p: Plan) -> tuple[Plan, list[dict]]:
    """The whole directory as one plan, and every finished run in it: the table and results.json
    cover what earlier commands added (other learners, budgets, K or seeds) beside this one's."""
    import dataclasses

    rows = []
    for path in sorted((p.out / "runs").glob("*/*/*.json")):
        row = json.loads(path.read_text())
        if row.get("task") in p.meta["tasks"] and row.get("learner") in p.meta["learners"]:
            rows.append(row)
    whole = dataclasses.replace(
        p,
        tasks={t: (v["preset"], v["settings"]) for t, v in p.meta["tasks"].items()},
        learners=list(p.meta["learners"]),
        budgets=sorted({*p.budgets, *(r["budget"] for r in rows)}),
        recordings=sorted({*p.recordings, *(r["k"] for r in rows)}),
        seeds=sorted({*p.seeds, *(r["seed"] for r in rows)}),
        overrides=dict(p.meta["overrides"]),
        kinds=dict(p.meta["learners"]),
    )
    return whole, rows


def _skipped(p: Plan) -> str:
    return ", ".join(f"{lrn} on {task} (compares swarms' trajectories)" for lrn, task in p.skipped)


def _name(c: Cell) -> str:
    return f"{c.task} {c.learner} K={c.k} budget {c.budget} seed {c.seed}"


def _map(fn, jobs_list, jobs: int):
    """(cell, row) as each ends: in this process for one job, else a process pool."""
    if jobs <= 1:
        for job in jobs_list:
            yield job[0], fn(job)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(jobs) as pool:
        futures = {pool.submit(fn, job): job[0] for job in jobs_list}
        for f in as_completed(futures):
            yield futures[f], f.result()


def _machine() -> dict:
    import os
    import platform

    return {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()}


def run_cell(job: tuple) -> dict:
    """Run one cell and write its JSON; its row, or {"error": ...} (nothing written)."""
    cell, preset, settings, per_generation, out = job
    from turinglearn.app.driver import learn

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():  # every cell's recording is small: the docs say so, once
            warnings.filterwarnings("ignore", "the recording .* too few for evaluation.c2st_trials", TuringLearnWarning)
            s = learn(preset, overrides=settings).summary()
    except Exception as e:  # one failed cell leaves the others running; a rerun retries it
        return {"error": f"{type(e).__name__}: {e}".splitlines()[0]}
    from turinglearn.app.peer_benchmark_report import cell_row

    row = cell_row(s, cell, per_generation, time.perf_counter() - t0)
    path = cell.path(Path(out))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, row)
    return row
