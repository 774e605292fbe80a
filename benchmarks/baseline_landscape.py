"""Why the metric-based baselines fail: their fitness landscapes, one parameter at a time.

For each swarm task and each parameter, every other parameter is held at the truth and the
parameter swept over its range; at every value the replicas' trajectories are compared with
the genuine agents' by the baselines' distances (sum of squared errors of the speed time
series, L1 distance of per-step speed histograms), averaged over ``--trials`` trials. A distance that a learner can minimise to the truth has its minimum
at the dashed line; the figure shows where the minima really are.

    python benchmarks/baseline_landscape.py --out docs/baseline_landscape.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def landscape(preset: str, points: int, trials: int, seed: int) -> dict:
    from turinglearn.app.build import build_system
    from turinglearn.baselines.metric import histogram_distance, sse_distance
    from turinglearn.config import load_config
    from turinglearn.core.random import stream

    system, _ = build_system(load_config(preset, {"learner.kind": "metric-sse"}))
    truth = np.asarray(system.truth, float)
    family = system.model_family
    grid = np.linspace(family.lower, family.upper, points)  # [points, d]
    out = {
        "names": list(family.names),
        "truth": truth.tolist(),
        "grid": grid.T.tolist(),
        "sse": [],
        "histogram": [],
    }
    for i in range(len(truth)):
        theta = np.tile(truth, (points, 1))
        theta[:, i] = grid[:, i]
        g, f = system.trajectories(theta, stream(seed, "evaluation", 7, i), trials=trials)
        sse, hist = sse_distance(g, f), histogram_distance(g, f)  # [points], mean over the trials
        out["sse"].append(sse.tolist())
        out["histogram"].append(hist.tolist())
        lo_s, lo_h = grid[np.argmin(sse), i], grid[np.argmin(hist), i]
        print(
            f"  {preset:18} {family.names[i]:>6}: truth {truth[i]:+.2f}, SSE minimum at {lo_s:+.2f}, histogram minimum at {lo_h:+.2f}"
        )
    return out


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(results)
    cols = max(len(r["names"]) for r in results.values())
    fig, axes = plt.subplots(len(rows), cols, figsize=(2.6 * cols, 2.4 * len(rows)), squeeze=False)
    for r, task in enumerate(rows):
        res = results[task]
        for i, name in enumerate(res["names"]):
            ax = axes[r, i]
            x = np.asarray(res["grid"][i])
            for key, style in (("sse", "C0-"), ("histogram", "C1-")):
                y = np.asarray(res[key][i])
                y = (y - y.min()) / max(np.ptp(y), 1e-12)
                ax.plot(x, y, style, lw=1.4, label=key)
                ax.plot(x[np.argmin(y)], 0, style[:2] + "o", ms=5)
            ax.axvline(res["truth"][i], color="k", ls="--", lw=1, label="truth")
            ax.set_title(f"{task}: {name}", fontsize=8)
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
        for i in range(len(res["names"]), cols):
            axes[r, i].axis("off")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Baseline distances along each parameter (others at the truth), scaled to [0, 1]; dots: minima",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", nargs="+", default=["aggregation", "object-clustering"])
    ap.add_argument("--points", type=int, default=41)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("docs/baseline_landscape.png"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results = {p: landscape(p, args.points, args.trials, args.seed) for p in args.presets}
    plot(results, args.out)
    if args.json:
        args.json.write_text(json.dumps(results))
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
