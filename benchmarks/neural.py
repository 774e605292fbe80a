"""Evidence for the model and discriminator kinds beyond the papers' (README "Model and
discriminator kinds").

    python benchmarks/neural.py --part hybrid --seeds 3 --generations 300   # reactive models vs a trained GRU
    python benchmarks/neural.py --part gp --seeds 1 --generations 300       # GP programs vs Elman networks

Writes ``OUT/neural-PART.json`` (per seed: inferred controller, absolute errors, C2ST, program,
seconds) and ``OUT/neural-PART.png`` (each parameter's population median over generations,
one line per seed, the truth dashed), and prints a table. torch uses one thread.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

PARTS = {
    "hybrid": ("aggregation-gru", {}),
    "gp": ("aggregation-gp", {}),
}


def run(part: str, seeds: list[int], generations: int, out: Path, extra: dict) -> list[dict]:
    import torch

    import turinglearn

    torch.set_num_threads(1)
    preset, overrides = PARTS[part]
    rows, histories = [], []
    for seed in seeds:
        t0 = time.perf_counter()
        result = turinglearn.learn(
            preset, seed=seed, generations=generations, overrides={**overrides, **extra}
        )
        summary = result.summary()
        rows.append(
            {
                "seed": seed,
                "inferred": summary["inferred"],
                "abs_error": summary["abs_error"],
                "max_abs_error": summary["max_abs_error"],
                "within_0.05": summary["max_abs_error"] <= 0.05,
                "c2st": summary["c2st"],
                "program": summary.get("program"),
                "seconds": round(time.perf_counter() - t0, 1),
                # the same run estimated with the other track (evaluation.track; no C2ST)
                **other_track(result),
            }
        )
        histories.append(result.history)
        print(json.dumps(rows[-1]), flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"neural-{part}.json").write_text(
        json.dumps({"preset": preset, "generations": generations, "overrides": extra, "runs": rows}, indent=1)
    )
    plot(histories, seeds, result.names, result.truth, out / f"neural-{part}.png", preset)
    return rows


def other_track(result) -> dict:
    """``{"track_TRACK": {"inferred", "abs_error"}}`` for the track the run did not follow."""
    from turinglearn.config import TRACKS

    out = {}
    for track in TRACKS:
        if track != result.config.evaluation.track and result.truth is not None:
            theta = result.window_estimate(track)
            out[f"track_{track}"] = {
                "inferred": theta.tolist(),
                "abs_error": np.abs(theta - result.truth).tolist(),
            }
    return out


def plot(histories, seeds, names, truth, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), sharex=True)
    for i, (ax, name) in enumerate(zip(axes, names, strict=True)):
        for seed, h in zip(seeds, histories, strict=True):
            ax.plot(h["generation"], h[f"{name}_median"], lw=1, label=f"seed {seed}")
        ax.axhline(truth[i], color="k", ls="--", lw=1)
        ax.set_ylim(-1.05, 1.05)
        ax.set_title(name)
        ax.set_xlabel("generation")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{title}: population median of the (effective) controller")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument(
        "--seeds", default="3", help="a count (3: seeds 0-2), a range (5-9) or a list (0,3,5)"
    )
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("benchmark-results"))
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE override (TOML value)")
    args = parser.parse_args()
    from turinglearn.app.cli import parse_seeds
    from turinglearn.config import parse_override

    extra = dict(parse_override(o) for o in args.set)
    rows = run(args.part, parse_seeds(args.seeds), args.generations, args.out, extra)
    print(f"{'seed':>4} {'max abs error':>14} {'within 0.05':>11} {'C2ST':>6}")
    for r in rows:
        print(f"{r['seed']:>4} {r['max_abs_error']:>14.3f} {r['within_0.05']!s:>11} {r['c2st']:>6.3f}")
    errors = np.array([r["max_abs_error"] for r in rows])
    c2st = np.array([r["c2st"] for r in rows])
    print(
        f"all within 0.05: {int((errors <= 0.05).sum())} of {len(rows)}; median max abs error {np.median(errors):.3f}"
    )
    print(f"C2ST at most 0.6: {int((c2st <= 0.6).sum())} of {len(rows)}; median C2ST {np.median(c2st):.3f}")


if __name__ == "__main__":
    main()
