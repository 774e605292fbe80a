"""``turinglearn benchmark``: the swarm suite (Turing Learning against the metric baselines) and
the peers' grid, every setting checked before any work (:mod:`turinglearn.app.cli` dispatches
here)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from turinglearn.app.cli_args import parse_seeds
from turinglearn.errors import TuringLearnError


def cmd_benchmark(args) -> int:
    if args.suite == "peers":
        return cmd_benchmark_peers(args)
    from turinglearn.app.benchmark import LEARNERS, TASKS, run_swarm_benchmark
    from turinglearn.app.build import build_system
    from turinglearn.app.preflight import check_names_an_environment
    from turinglearn.app.registry import LEARNERS as KINDS
    from turinglearn.config import load_config, parse_override, presets, read_source

    for flag, value in (("budgets", args.budgets), ("recordings", args.recordings)):
        if value is not None:
            raise TuringLearnError(
                f"--{flag} is for `turinglearn benchmark peers`; the swarm suite runs whole runs"
            )
    learners = args.learners or list(LEARNERS)
    for k in learners:
        if k not in KINDS:
            raise TuringLearnError(f"--learners: unknown learner {k!r}; choose from {', '.join(KINDS)}")
    seeds = parse_seeds(args.seeds or "10")
    tasks = args.tasks or list(TASKS)
    for t in tasks:
        if t not in presets():
            raise TuringLearnError(f"--tasks: unknown preset {t!r}; available: {', '.join(presets())}")
    overrides = dict(parse_override(o) for o in args.overrides)
    for t in tasks:  # validate every setting, and every learner on every task, before starting hours of work
        if (read_source(t).get("learner") or {}).get("kind") == "gan":
            raise TuringLearnError(
                f"--tasks: {t} is a GAN; the benchmark compares Turing Learning with the metric baselines on swarm "
                "and agent tasks"
            )
        config = load_config(t, overrides)
        check_names_an_environment(t, overrides, config)
        for k in learners:  # a metric baseline on an interactive system was refused after the whole turing run
            build_system(config.replace(**{"learner.kind": k}))
    out = args.out or Path("runs") / f"benchmark-swarm-{time.strftime('%Y%m%d-%H%M%S')}"
    print(
        run_swarm_benchmark(seeds, out, jobs=args.jobs, tasks=tasks, learners=learners, overrides=overrides)
    )
    print(f"results: {out}  (table.md, results.json, errors.png)")
    return 0


def cmd_benchmark_peers(args) -> int:
    """`turinglearn benchmark peers`: every setting checked (tasks, learners and their extras,
    budgets against each learner's minimum, --set) before any work; then the grid."""
    from turinglearn.app.peer_benchmark import DEFAULTS, LEARNERS, parse_counts, plan, run_peer_benchmark
    from turinglearn.config import parse_override

    seeds = parse_seeds(args.seeds or DEFAULTS["seeds"])
    budgets = parse_counts(args.budgets or DEFAULTS["budgets"], "--budgets")
    recordings = parse_counts(args.recordings or DEFAULTS["recordings"], "--recordings")
    overrides = dict(parse_override(o) for o in args.overrides)
    out = args.out or Path("runs") / f"benchmark-peers-{time.strftime('%Y%m%d-%H%M%S')}"
    grid = plan(out, args.tasks, args.learners or list(LEARNERS), budgets, recordings, seeds, overrides)
    try:
        text, failed = run_peer_benchmark(grid, jobs=args.jobs)
    except KeyboardInterrupt:
        print(
            f"turinglearn: interrupted; the finished runs are kept: rerun the same command to continue ({out})",
            file=sys.stderr,
        )
        return 130
    print(text)
    print(f"results: {out}  (table.md, results.json, accuracy-TASK.png, runs/)")
    if failed:
        print(
            f"turinglearn: {len(failed)} runs failed (above); rerun the same command to retry them",
            file=sys.stderr,
        )
        return 1
    return 0
