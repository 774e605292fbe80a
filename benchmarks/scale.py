"""Scaling benchmark: backends, and population size.

``--part backends``: seconds per generation of the default aggregation experiment (100
models x 100 discriminators, 200-step trials, chunks of 50 models) in-process, on a local
process pool with 1 and 2 workers, and on a Dask LocalCluster with 2 workers; the baseline in
the same run is the in-process generation with the whole batch as one chunk (what the
engine did before chunking). Every backend's final populations are checked bit-identical.

``--part population``: seconds per generation and peak memory for 100, 1,000 and 10,000
models against 100 discriminators, on one core (BLAS and the compiled kernels limited to one
thread), each size in a fresh process so that peaks are its own. Linear growth means seconds
per model stay flat; memory stays flat only without the presets' memory, whose steps hold the
generation's samples of every model (``--set`` the settings of
``turinglearn.config.WITHOUT_MEMORY`` for the baseline).

    python benchmarks/scale.py --part backends --generations 5
    python benchmarks/scale.py --part population --sizes 100,1000,10000
    python benchmarks/scale.py --part torch --device cuda --models 10000

``--part torch``: one generation of ``--models`` models x 100 discriminators with the torch
backend on ``--device`` against the numpy backend on the same work (same chunks, one chunk
of all models), each after a warm-up generation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

#: settings of every config measured (--set KEY=VALUE), beside each part's own
SETTINGS: dict = {}


def _time_backend(generations: int, **execution) -> tuple[float, np.ndarray]:
    from turinglearn.app.build import evaluator_for
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config
    from turinglearn.execution.backends import make_backend

    cfg = load_config("aggregation", {**SETTINGS, **{f"execution.{k}": v for k, v in execution.items()}})
    learner = build(cfg)
    with make_backend(cfg.execution) as backend:
        learner.evaluator = evaluator_for(cfg, backend)
        learner.step()  # warm-up: workers start, environments are built
        t0 = time.perf_counter()
        for _ in range(generations):
            last = learner.step()
        return (time.perf_counter() - t0) / generations, last.models


def backends(generations: int) -> dict:
    rows = {}
    ref_models = None
    for label, ex in [
        ("in-process, one chunk of 100 (baseline)", {"chunk_size": 100}),
        ("in-process, chunks of 50", {}),
        ("processes, 1 worker", {"backend": "processes", "workers": 1}),
        ("processes, 2 workers", {"backend": "processes", "workers": 2}),
        ("dask LocalCluster, 2 workers", {"backend": "dask", "workers": 2}),
    ]:
        seconds, models = _time_backend(generations, **ex)
        identical = None  # the baseline's chunks differ, so do its numbers
        if "chunk_size" not in ex:
            ref_models = models if ref_models is None else ref_models
            identical = bool(np.array_equal(models, ref_models))
        rows[label] = {"seconds_per_generation": seconds, "identical_to_in_process": identical}
        print(
            f"  {label:42} {seconds:7.3f} s/generation"
            + ("" if identical is None else f"  identical: {identical}")
        )
    base = rows["in-process, one chunk of 100 (baseline)"]["seconds_per_generation"]
    for r in rows.values():
        r["speedup_vs_baseline"] = base / r["seconds_per_generation"]
    return rows


def _one_size(models: int, generations: int, settings: dict | None = None) -> dict:
    """Runs in a fresh process: one core, ``models`` models x 100 discriminators."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config

    cfg = load_config("aggregation", {**(settings or {}), "models.population": models, "models.parents": models // 2})
    learner = build(cfg)
    learner.step()
    t0 = time.perf_counter()
    for _ in range(generations):
        learner.step()
    seconds = (time.perf_counter() - t0) / generations
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"models": models, "seconds_per_generation": seconds, "peak_rss_mib": peak}


def population(sizes: list[int], generations: int) -> list[dict]:
    rows = []
    for m in sizes:
        code = f"import json, scale; print(json.dumps(scale._one_size({m}, {generations}, {SETTINGS!r})))"
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=__file__.rsplit("/", 1)[0],
            env={**os.environ, "TURINGLEARN_THREADS": "1"},  # the compiled kernels on one core too
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"  {m:6d} models: {row['seconds_per_generation']:8.3f} s/generation "
            f"({1e3 * row['seconds_per_generation'] / m:.2f} ms per model), peak RSS {row['peak_rss_mib']:.0f} MiB"
        )
    return rows


def torch_vs_numpy(models: int, device: str, generations: int) -> dict:
    from turinglearn.app.build import learner_of as build  # the loop alone, unwarned
    from turinglearn.config import load_config

    out = {"models": models, "device": device}
    for array in ("numpy", "torch"):
        overrides = {
            **SETTINGS,
            "models.population": models,
            "models.parents": models // 2,
            "execution.chunk_size": models,
            "execution.array": array,
        }
        if array == "torch":
            overrides["execution.device"] = device
        learner = build(load_config("aggregation", overrides))
        learner.step()
        if array == "torch" and device.startswith("cuda"):
            import torch

            torch.cuda.synchronize()
            out["gpu"] = torch.cuda.get_device_name()
        t0 = time.perf_counter()
        for _ in range(generations):
            learner.step()
        out[f"{array}_seconds_per_generation"] = (time.perf_counter() - t0) / generations
        print(
            f"  {array:6} on {device if array == 'torch' else 'cpu':6}: {out[f'{array}_seconds_per_generation']:.3f} s/generation"
        )
    out["speedup"] = out["numpy_seconds_per_generation"] / out["torch_seconds_per_generation"]
    print(f"  torch speed-up: {out['speedup']:.1f}x")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["backends", "population", "torch", "all"], default="all")
    ap.add_argument("--device", default="cuda", help="--part torch: the torch device")
    ap.add_argument("--models", type=int, default=10000, help="--part torch: models per generation")
    ap.add_argument("--generations", type=int, default=5, help="timed generations (after one warm-up)")
    ap.add_argument("--sizes", default="100,1000,10000", help="population sizes for --part population")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="a setting of every config")
    args = ap.parse_args()
    from turinglearn.config import parse_override

    SETTINGS.update(parse_override(o) for o in args.overrides)
    out = {
        "machine": f"{platform.machine()}, {platform.processor() or '?'}, Python {platform.python_version()}"
    }
    if args.part in ("backends", "all"):
        print(f"backends: default aggregation generation, {args.generations} generations each")
        out["backends"] = backends(args.generations)
    if args.part in ("population", "all"):
        print("population: 100 discriminators, one core")
        out["population"] = population([int(s) for s in args.sizes.split(",")], max(1, args.generations // 2))
    if args.part == "torch":
        print(f"torch backend: {args.models} models x 100 discriminators")
        out["torch"] = torch_vs_numpy(args.models, args.device, max(1, args.generations // 2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
