"""``turinglearn`` command line: run, resume, sweep, record, report, benchmark, check, envs, presets.

Errors in what the user gave (settings, files, directories) end with one line naming what is
wrong and how to fix it, and exit code 2.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

from turinglearn.app.cli_args import parse_seeds
from turinglearn.app.cli_flags import (
    backend_overrides,
    check_flags_agree,
    device_overrides,
    load_for_flags,
    stopping_overrides,
)
from turinglearn.app.printing import (
    one_line_warnings,
    print_report,
    print_summary,
    print_table,
    read_summary,
    report_gan,
)
from turinglearn.errors import TuringLearnError, TuringLearnWarning

EXIT_USAGE = 2


def _interrupted(e: KeyboardInterrupt, out: Path) -> int:
    import signal

    from turinglearn.app.hooks import Interrupted

    if isinstance(e, Interrupted):
        print(
            f"turinglearn: stopped by {signal.Signals(e.signum).name} after {e.generation} generations; "
            f"checkpoint written. Continue with: turinglearn resume {out}",
            file=sys.stderr,
        )
        return 128 + e.signum
    if (Path(out) / "run.json").is_file():
        print(f"turinglearn: interrupted; continue with: turinglearn resume {out}", file=sys.stderr)
    else:  # stopped while it was being built: a run that had not begun leaves nothing to resume
        print("turinglearn: interrupted before the run began; nothing was written", file=sys.stderr)
    return 130


def _progress(args) -> bool:
    """A progress bar unless --quiet, and only on a terminal: in a log file every update would
    be a line."""
    return not args.quiet and sys.stderr.isatty()


def _say_stopped(result, out) -> None:
    """One line when a stopping rule ended the run (a budget: how to continue it). (A run the
    convergence rule never stopped says so in its summary's lines: ``unsettled``.)"""
    stopped = result.extra.get("stopped")
    if not stopped:
        return
    line = f"turinglearn: stopped by {stopped['rule']} after {stopped['generation']} generations"
    if stopped["rule"] != "converge":
        line += f"; checkpoint written. Continue with: turinglearn resume {out}"
    print(line, file=sys.stderr)


def cmd_run(args) -> int:
    from turinglearn.app.driver import run_experiment
    from turinglearn.app.preflight import check_names_an_environment, check_own_in_one_line
    from turinglearn.app.resuming import paths_of_a_run
    from turinglearn.app.runs import check_new_run_dir

    check_flags_agree(args)
    overrides = list(args.overrides)
    if args.generations is not None:  # exactly N: a preset's convergence rule is off, unless --set
        overrides = ["stopping.converge=false", *overrides, f"generations={args.generations}"]
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.passive:
        overrides.append("learner.passive=true")
    overrides += backend_overrides(args)
    config = load_for_flags(args, overrides)
    config = paths_of_a_run(config, args.config, overrides)
    check_names_an_environment(args.config, overrides, config)
    if stopping_overrides(args):
        config = config.replace(**stopping_overrides(args))
    if args.device is not None:
        config = config.replace(**device_overrides(config, args.device))
    rank = int(os.environ.get("RANK", "0"))  # torchrun: one process per GPU, the first one writes
    if args.out is None and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise TuringLearnError(
            "under torchrun give --out DIR (every process must name the same run directory)"
        )
    out = args.out or Path("runs") / f"{config.name}-s{config.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    if rank == 0:
        check_new_run_dir(out)
    if not args.no_check and rank == 0:
        check_own_in_one_line(config, args.config, "run --no-check skips this check")
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    start = time.perf_counter()
    try:
        result = run_experiment(config, out=out, progress=_progress(args), handle_signals=True, log=log)
    except KeyboardInterrupt as e:
        return _interrupted(e, out)
    summary = result.summary()
    if "rank" in summary:  # a torchrun process other than the first: it wrote nothing
        return 0 if summary["replicas_in_sync"] else 1
    print_summary(result.config, summary)
    _say_stopped(result, out)
    wall = time.perf_counter() - start  # the generations' seconds above leave out the start and the final evaluation
    print(f"results: {out}  (summary.json, metrics.csv, plots, checkpoints/); {wall:.1f} s in all")
    return 0


def cmd_resume(args) -> int:
    from turinglearn.app.driver import resume
    from turinglearn.config import parse_override

    check_flags_agree(args)
    overrides = dict(parse_override(o) for o in backend_overrides(args))
    overrides.update(stopping_overrides(args))
    settings = dict(parse_override(o) for o in args.overrides)
    try:
        result = resume(
            args.run_dir, progress=_progress(args), handle_signals=True, overrides=overrides, settings=settings,
            generations=args.generations,
        )  # fmt: skip
    except KeyboardInterrupt as e:
        return _interrupted(e, args.run_dir)
    print_summary(result.config, result.summary())
    _say_stopped(result, args.run_dir)
    print(f"results: {args.run_dir}")
    return 0


def cmd_sweep(args) -> int:
    from turinglearn.app.preflight import check_names_an_environment, check_own_in_one_line
    from turinglearn.app.sweep import run_sweep
    from turinglearn.config import load_config, parse_override

    seeds = parse_seeds(args.seeds)
    check_flags_agree(args)
    overrides = dict(parse_override(o) for o in args.overrides)
    if args.generations is not None:  # exactly N: a preset's convergence rule is off, unless --set
        overrides = {"stopping.converge": False, **overrides, "generations": args.generations}
    overrides.update(stopping_overrides(args))  # a budget for each run
    config = load_config(args.config, overrides)  # every setting checked before any run starts
    from turinglearn.config.gan import GANConfig

    if isinstance(config, GANConfig):  # its execution settings have no backend to spread seeds over
        raise TuringLearnError(
            f"sweep tabulates the parameter errors of evolutionary runs; {args.config} is a GAN: run its seeds one by "
            f"one (`turinglearn run {args.config} --seed K --out runs/gan-sK`) and compare their summary.json"
        )
    check_names_an_environment(args.config, overrides, config)
    if not args.no_check:  # a statistician's truth outside its bounds swept without a word
        check_own_in_one_line(config, args.config, "sweep --no-check skips this check")
    execution = load_config(args.config, [*args.overrides, *backend_overrides(args)]).execution
    out = args.out or Path("runs") / f"sweep-{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        text = run_sweep(args.config, seeds, out, overrides, execution)
    except KeyboardInterrupt as e:  # a seed's run stopped with a checkpoint, or Ctrl-C twice
        import signal

        from turinglearn.app.hooks import Interrupted

        how = f"stopped by {signal.Signals(e.signum).name}" if isinstance(e, Interrupted) else "interrupted"
        print(
            f"turinglearn: the sweep was {how}; its runs keep their checkpoints: rerun the same command to "
            f"continue it ({out})",
            file=sys.stderr,
        )
        return 128 + e.signum if isinstance(e, Interrupted) else 130
    print(text)
    plots = ", errors.png" if (out / "errors.png").is_file() else ""  # none where no run has a truth
    print(f"results: {out}  (table.md, results.json{plots}, seed-N/ run directories)")
    return 0


def cmd_record(args) -> int:
    from turinglearn.app.preflight import check_names_an_environment
    from turinglearn.app.recording import record
    from turinglearn.app.resuming import paths_of_a_run
    from turinglearn.config import load_config, read_source
    from turinglearn.systems.recording_files import read_recording

    if (read_source(args.config).get("learner") or {}).get("kind") == "gan":  # before a GAN's own validation
        raise TuringLearnError(
            f"{args.config} is a GAN config: a recording holds a system's trajectories, and a GAN learns from images"
        )
    config = load_config(args.config, args.overrides)
    config = paths_of_a_run(config, args.config, args.overrides)
    check_names_an_environment(args.config, args.overrides, config)
    path = record(config, args.out, trials=args.trials, seed=args.seed, overwrite=args.overwrite)
    from turinglearn.app.build import make_simulator
    from turinglearn.core.contracts import feature_space, is_interactive

    sim = make_simulator(config)
    rec = read_recording(path, sim.feature_names, sim.config.steps, feature_space(sim))
    passive = " --passive" if is_interactive(sim) else ""  # a recording answers no interrogator
    print(
        f"recorded {rec.x.shape[0]} individuals x {rec.x.shape[1]} steps ({', '.join(rec.feature_names)}) "
        f"of {config.environment.id} -> {path}; learn from it with --set data={path}{passive}"
    )
    return 0


def cmd_report(args) -> int:
    if len(args.run_dirs) > 1:
        from turinglearn.app.sweep import report_runs

        return report_runs(args.run_dirs)
    return _report_run(args.run_dirs[0])


def cmd_sample(args) -> int:
    from turinglearn.app.sampling import sample_command

    return sample_command(args)


def _report_run(run_dir) -> int:
    from turinglearn.app.report import draw_run
    from turinglearn.app.runs import CONFIG_FILE, SUMMARY_FILE, read_status
    from turinglearn.config import from_dict, read_source
    from turinglearn.config.gan import GANConfig
    from turinglearn.environments import OBJECT_PREFIX

    if not run_dir.is_dir():
        raise TuringLearnError(
            f"{run_dir} is not a directory; give the run directory that `turinglearn run` wrote"
        )
    status = read_status(run_dir)
    source = read_source(run_dir / CONFIG_FILE)
    read = read_summary(run_dir / SUMMARY_FILE)  # damaged: the plots come from metrics.csv, then the error
    summary = read[0] or {}
    env = source.get("environment")
    made_with_object = isinstance(env, dict) and str(env.get("id", "")).startswith(OBJECT_PREFIX)
    learner = source.get("learner")
    writable = os.access(run_dir, os.W_OK)  # an archived or shared run: its summary all the same
    if not writable:
        print(f"turinglearn: {run_dir} is read-only: its plots are not redrawn", file=sys.stderr)
    if isinstance(learner, dict) and learner.get("kind") == "gan":
        config = from_dict(source)
        if isinstance(config, GANConfig):
            return report_gan(run_dir, status, read, draw=writable)
    if made_with_object or isinstance(summary.get("bounds"), dict):
        # what the run itself reported (a recording's truth, a policy's controller), no simulator
        # rebuilt: a simulator object cannot be, and a registered one's module may be gone
        names, truth, bounds, features = _drawn_from_run(run_dir, summary)
    else:  # runs that did not record their bounds (unfinished, or made by an older version)
        from turinglearn.app.build import make_simulator
        from turinglearn.errors import ConfigError

        try:
            sim = make_simulator(from_dict(source))
        except ConfigError:  # its module out of reach from here: what the run's own files say
            names, truth, bounds, features = _drawn_from_run(run_dir, summary)
        else:
            family = sim.model_family
            names, truth, bounds, features = family.names, sim.truth, (family.lower, family.upper), sim.feature_names
    if not writable:
        return print_report(read, status, [], print_table, run_dir)
    files = draw_run(run_dir, names, truth, bounds, features, summary)
    if files and (summary.get("interval") or summary.get("stopped") or summary.get("restart")):
        from turinglearn.app.report import plot_parameters, restart_generations
        from turinglearn.app.runs import read_metrics

        intervals, stopped = summary.get("interval"), summary.get("stopped")  # redraw with them
        restarts = restart_generations(summary.get("restart"))
        plot_parameters(read_metrics(run_dir), names, truth, files[0], bounds, intervals, stopped, restarts)
    return print_report(read, status, files, print_table, run_dir)


def _drawn_from_run(run_dir: Path, summary: dict) -> tuple:
    """(names, truth, bounds, feature names) from a run's summary.json, without rebuilding its
    simulator; a run without one (unfinished) gives its names from metrics.csv's columns."""
    from turinglearn.app.runs import read_metrics

    if not summary.get("parameters"):
        columns = read_metrics(run_dir) if (run_dir / "metrics.csv").is_file() else {}
        names = [c.removesuffix("_median") for c in columns if c.endswith("_median") and f"{c[:-7]}_q25" in columns]
        return names, None, None, None
    bounds = summary.get("bounds")
    bounds = (bounds["lower"], bounds["upper"]) if isinstance(bounds, dict) else None  # older runs: none
    return summary["parameters"], summary.get("truth"), bounds, summary.get("features")


def cmd_benchmark(args) -> int:
    from turinglearn.app.cli_benchmark import cmd_benchmark as run

    return run(args)


def cmd_check(args) -> int:
    """The checker (turinglearn.check_environment) on the simulator a preset or config file
    builds: the report, and exit 2 where the simulator breaks its contract."""
    from turinglearn.app.build import build_system, make_simulator
    from turinglearn.app.checks import inspect_environment
    from turinglearn.app.preflight import check_names_an_environment, truth_advice, uses_policy
    from turinglearn.app.resuming import paths_of_a_run
    from turinglearn.config import Config, load_config

    config = load_config(args.config, list(args.overrides) + (["learner.passive=true"] if args.passive else []))
    config = paths_of_a_run(config, args.config, args.overrides)
    if not isinstance(config, Config):
        raise TuringLearnError(f"{args.config} is a GAN config: it has no simulator to check")
    check_names_an_environment(args.config, list(args.overrides), config)
    sim = make_simulator(config)
    if "truth" in dir(sim) and sim.truth is None:
        raise TuringLearnError(
            f"{config.environment.id} has no truth: the checker probes around one, so {truth_advice(config)} to "
            "check it"
        )
    policy = uses_policy(config)
    report = inspect_environment(
        sim, seed=args.seed, noise=config.evaluation.c2st_noise, policy=policy, passive=config.learner.passive
    )
    cost = None
    if report.ok:  # the config's kinds fit the simulator, as a run builds them (a ConfigError names the setting)
        from turinglearn.app.cost import cost_line

        system, _ = build_system(config, sim)
        cost = cost_line(config, system, len(sim.model_family.names), simulator=sim)
    report.what = f"{config.environment.id} ({type(sim).__name__})"
    print(report)
    if cost is not None:
        print(cost)
    return 0 if report.ok else EXIT_USAGE


def cmd_envs(args) -> int:
    from turinglearn.environments import ENVIRONMENTS

    for env_id, entry in ENVIRONMENTS.items():
        print(f"{env_id:40} {entry.description}")
    return 0


def cmd_presets(args) -> int:
    from turinglearn.config.load import preset_text, presets

    if args.name is None:
        for name in presets():
            print(name)
        return 0
    if args.name not in presets():
        raise TuringLearnError(f"unknown preset {args.name!r}; available presets: {', '.join(presets())}")
    print(preset_text(args.name), end="")
    return 0


def cmd_init(args) -> int:
    from turinglearn.app.scaffold import init

    module, config = init(args.route, args.name, args.dir)
    print(f"wrote {module} and {config}; from {args.dir}: turinglearn run {config.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    from turinglearn.app.cli_args import parser

    args = parser().parse_args(argv)
    handler = {
        "run": cmd_run,
        "resume": cmd_resume,
        "sweep": cmd_sweep,
        "record": cmd_record,
        "report": cmd_report,
        "sample": cmd_sample,
        "benchmark": cmd_benchmark,
        "check": cmd_check,
        "envs": cmd_envs,
        "presets": cmd_presets,
        "init": cmd_init,
    }[args.command]
    show = warnings.showwarning
    warnings.showwarning = one_line_warnings(show)
    try:
        code = handler(args)
        sys.stdout.flush()  # a reader that went away shows here, not as a traceback at exit
        return code
    except (TuringLearnError, TuringLearnWarning) as e:  # a warning raised as an error (python -W error)
        print(f"turinglearn: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`turinglearn presets | head -1`): nothing left to say
        try:  # what is still buffered goes nowhere, not into a second error at exit (Python's docs, "signal")
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout replaced by an object without a file descriptor
            pass
        return 1
    except MemoryError as e:  # settings that ask for more than the machine holds (numpy names the array)
        print(
            f"turinglearn: error: out of memory ({e}); the settings ask for more than this machine holds: lower "
            "environment.steps, the populations, the trials or evaluation.c2st_trials",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as e:  # the file system refused something no check above foresaw: one line too
        where = f"{e.filename}: " if e.filename else ""
        print(f"turinglearn: error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        warnings.showwarning = show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
