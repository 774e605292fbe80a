"""The ``turinglearn`` command line's arguments (:mod:`turinglearn.app.cli` runs them)."""

from __future__ import annotations

import argparse
from pathlib import Path

from turinglearn.errors import TuringLearnError


class _Parser(argparse.ArgumentParser):
    """Options spelled out: ``--gen 1`` was taken for ``--generations 1`` (a typo that is a prefix
    of an option ran silently); subcommands' parsers are of this class too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="turinglearn",
        description="Turing Learning: infer how a system behaves with competing models and discriminators.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run an experiment from a preset or a TOML file")
    run.add_argument(
        "config", metavar="PRESET_OR_FILE", help="a preset name (e.g. aggregation) or a .toml file"
    )
    run.add_argument(
        "--generations", type=int, help="run exactly this many generations (overrides the config; no convergence stop)"
    )
    run.add_argument("--seed", type=int, help="root random seed (overrides the config)")
    run.add_argument("--out", type=Path, help="run directory to create (default: runs/NAME-sSEED-TIME)")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any setting with a dotted key and a TOML value, e.g. --set models.population=50 "
        "--set 'environment.truth=[0.5, -1, 1, -1]' (repeatable)",
    )
    run.add_argument(
        "--passive",
        action="store_true",
        help="interactive environments: watch under the fixed stimulus schedule, do not interrogate",
    )
    run.add_argument(
        "--device",
        type=_device,
        metavar="{cpu,cuda,cuda:N,auto}",
        help="where to compute: GAN presets train there; swarm presets simulate and judge there with the torch backend",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--no-check",
        action="store_true",
        help="skip the checker that a system of your own (a 'module:Name-v0' id, turinglearn/Gym-v0) gets first",
    )
    _backend_args(run)
    _stopping_args(run)

    res = sub.add_parser(
        "resume", help="continue an unfinished run from its last checkpoint; with --generations, a complete one"
    )
    res.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    res.add_argument("--quiet", action="store_true", help="no progress bar")
    res.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a stopping or execution setting for the rest of the run (written into its config.toml), "
        "e.g. --set stopping.converge=false; what the run computes cannot change. --max-time, "
        "--max-simulations and the backend options below win for this session",
    )
    res.add_argument(
        "--generations",
        type=int,
        metavar="N",
        help="run on until N generations are done in all, a complete run too; the result is that of a run "
        "of N generations from the start (the convergence rule off, unless --set)",
    )
    _backend_args(res)
    _stopping_args(res, " (a fresh budget for this session)")

    _more_commands(sub)
    return p


def _more_commands(sub) -> None:
    """sweep, record, report, sample, benchmark, envs, presets, init."""
    sweep = sub.add_parser("sweep", help="run a preset or config over many seeds, one table")
    sweep.add_argument("config", metavar="PRESET_OR_FILE")
    _add_seeds(sweep)
    sweep.add_argument(
        "--generations", type=int, help="run exactly this many generations (overrides the config; no convergence stop)"
    )
    sweep.add_argument(
        "--out", type=Path, help="sweep directory (default runs/sweep-NAME-TIME); rerun to finish it"
    )
    sweep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="setting for every run",
    )
    sweep.add_argument(
        "--no-check", action="store_true", help="skip the checker that a system of your own gets first, as run does"
    )
    _backend_args(sweep, what="the runs (one per seed)")
    _stopping_args(
        sweep, "; each run of the sweep gets this budget (rerun the sweep to continue the runs it stopped)"
    )

    rec = sub.add_parser(
        "record", help="write a recording of an environment's ground truth (for --set data=...)"
    )
    rec.add_argument(
        "config", metavar="PRESET_OR_FILE", help="a preset name (e.g. aggregation) or a .toml file"
    )
    rec.add_argument(
        "--out", type=Path, required=True, help="file to write: .npz, .csv or .parquet (needs pyarrow)"
    )
    rec.add_argument(
        "--trials", type=int, default=100, help="trials (swarms: every robot is recorded; default 100)"
    )
    rec.add_argument("--seed", type=int, help="random seed of the recording (default: the config's seed)")
    rec.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    rec.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a setting"
    )

    rep = sub.add_parser(
        "report", help="redraw a run's plots and print its summary; with several runs, their table over the runs"
    )
    rep.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR")

    smp = sub.add_parser(
        "sample",
        help="draw samples from a finished run: a GAN's images, or trials of the inferred model beside the system's",
    )
    smp.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    smp.add_argument("-n", type=int, default=64, help="how many (images, or trials of each side; default 64)")
    smp.add_argument("--seed", type=int, default=0, help="the samples' random seed (default 0: the same each time)")
    smp.add_argument(
        "--out", type=Path, help="file to write: .png or .npy (a GAN), .npz (trials); default RUN_DIR/samples-seedS.png or .npz"
    )
    smp.add_argument(
        "--schedule", choices=("random", "passive"), help="an interactive system's stimuli (default: passive for a passive run, else random)"
    )

    _benchmark_args(sub)

    chk = sub.add_parser(
        "check", help="check the simulator of a preset or config file against its contract (docs/own-system.md)"
    )
    chk.add_argument("config", metavar="PRESET_OR_FILE", help="a preset name or a .toml file")
    chk.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a setting"
    )
    chk.add_argument("--seed", type=int, default=0, help="the probes' random seed (default 0)")
    chk.add_argument("--passive", action="store_true", help="as run --passive: the run to check watches, not interrogates")
    sub.add_parser("envs", help="list the registered turinglearn environments")
    pre = sub.add_parser(
        "presets", help="list the built-in presets; with a NAME, print that preset's TOML (to copy and edit)"
    )
    pre.add_argument("name", nargs="?", metavar="NAME", help="e.g. own-system: turinglearn presets own-system > my.toml")
    init = sub.add_parser(
        "init",
        help="write a skeleton of a system of your own (NAME.py) and a config that runs it (NAME.toml)",
    )
    init.add_argument("route", choices=["swarm", "agent", "gym"], help="which contract (docs/own-system.md)")
    init.add_argument("name", help="a Python module name, e.g. my_swarm")
    init.add_argument("--dir", type=Path, default=Path("."), help="folder to write into (default: here)")


def _device(text: str) -> str:
    """--device: cpu, cuda, cuda:N (the N-th GPU) or auto."""
    import argparse

    index = text.removeprefix("cuda:")
    if text in ("cpu", "cuda", "auto") or (text.startswith("cuda:") and index.isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"must be cpu, cuda, cuda:N or auto, got {text!r}")


def _benchmark_args(sub) -> None:
    bench = sub.add_parser("benchmark", help="compare learners over many seeds")
    bench.add_argument(
        "suite",
        nargs="?",
        default="swarm",
        choices=["swarm", "peers"],
        help="swarm (the default): Turing Learning vs the metric-based baselines; peers: vs "
        "simulation-based inference (sbi, pyABC) on the same recordings and budgets",
    )
    bench.add_argument(
        "--seeds",
        default=None,
        help="how many seeds (swarm: 10, peers: 5 by default), a range (10-19) or a list (0,3,5; one seed: 5,)",
    )
    bench.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    bench.add_argument(
        "--out", type=Path, help="output directory (default runs/benchmark-SUITE-TIME); rerun to finish it"
    )
    bench.add_argument(
        "--tasks",
        nargs="+",
        default=None,
        help="swarm: presets (default aggregation object-clustering); peers: aggregation-interior, "
        "object-clustering, stimulus-response, hidden-switching (where installed) or any preset",
    )
    bench.add_argument(
        "--learners",
        nargs="+",
        default=None,
        help="learner.kind values (swarm default: turing metric-sse metric-histogram; peers default: "
        "turing npe npe-summary abc-smc metric-sse metric-histogram); peers: NAME=LEARNER adds a "
        "variant with its own --set NAME:KEY=VALUE, e.g. small=turing --set small:models.population=20",
    )
    bench.add_argument(
        "--budgets",
        help="peers: budgets in simulated trajectories (stopping.max_simulations; default 20000,100000)",
    )
    bench.add_argument(
        "--recordings", help="peers: K, genuine trials in each seed's recording (default 1,10; e.g. 1,10,100)"
    )
    bench.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="setting applied to every run, e.g. --set generations=300 (peers: LEARNER:KEY=VALUE, "
        "TASK:KEY=VALUE or LEARNER@TASK:KEY=VALUE for one learner's, one task's or one learner's runs on "
        "one task, e.g. --set turing:models.population=20)",
    )


def _backend_args(parser, what: str = "each generation's chunks") -> None:
    parser.add_argument(
        "--backend",
        choices=["inprocess", "processes", "dask"],
        help=f"where {what} run (default: the config's execution.backend, inprocess)",
    )
    parser.add_argument(
        "--workers", type=int, help="processes or Dask workers to start (default: one per core)"
    )
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (implies --backend dask)")


def _stopping_args(parser, extra: str = "") -> None:
    """--max-time and --max-simulations: the [stopping] budgets (turinglearn.config.stopping);
    ``extra`` ends both helps (what the budget is of, for this command)."""
    parser.add_argument(
        "--max-time",
        metavar="DURATION",
        help="stop cleanly (checkpoint, evaluation, summary; status 'stopped', resumable) before this "
        "wall-clock time has passed, e.g. 90s, 30m, 2h, 1h30m; 0: none. The final evaluation's time is "
        "kept in reserve (stopping.reserve; by default foreseen from a timing of the system's trials, at most "
        f"half the budget: a longer one is warned of){extra}",
    )
    parser.add_argument(
        "--max-simulations",
        type=int,
        metavar="N",
        help=f"stop the same way before this many simulated trajectories (GANs: generated images); 0: none{extra}",
    )


def _add_seeds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seeds",
        default="10",
        help="how many seeds (10: seeds 0-9, the default), a range (10-19) or a list (0,3,5; one seed: 5,)",
    )


def parse_seeds(text: str) -> list[int]:
    """``"10"`` -> 0..9 (a count, as in ``--seeds 10``), ``"10-19"`` -> 10..19,
    ``"1,4,7"`` -> [1, 4, 7], ``"5,"`` -> [5] (one seed)."""
    text = str(text).strip()
    fix = "give a count like 10 (seeds 0-9), a range like 10-19, or a list like 0,3,5 (one seed: 5,)"
    seeds: list[int] = []
    try:
        if text.isdigit():
            seeds = list(range(int(text)))
        else:
            for part in filter(None, text.split(",")):
                lo, sep, hi = part.partition("-")
                seeds += list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    except ValueError:
        raise TuringLearnError(f"--seeds {text!r}: {fix}") from None
    if not seeds or min(seeds) < 0:
        raise TuringLearnError(f"--seeds {text!r}: no seeds; {fix}")
    return seeds
