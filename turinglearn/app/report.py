"""Plots of a run, drawn from its metrics (so ``turinglearn report`` can redraw them)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

NARROW_RANGE = 0.1  # a parameter's range narrower than this prints in scientific notation


def number_format(bounds: Mapping | None, names: Sequence[str], name: str) -> str:
    """The format of parameter ``name``'s values and errors in tables: three decimals, or
    scientific notation where its range (``bounds``, summary.json's ``{"lower", "upper"}``) is
    narrower than ``NARROW_RANGE`` (an SI speed's error of 32 % read 0.000)."""
    bounds = bounds or {}
    if name in names and bounds.get("lower") and bounds.get("upper"):
        j = list(names).index(name)
        if bounds["upper"][j] - bounds["lower"][j] < NARROW_RANGE:
            return ".3e"
    return ".3f"


class _Figures:
    """The two pyplot calls the plots use, on bare :class:`matplotlib.figure.Figure` objects:
    figures only ever written to files, no pyplot state, and the caller's backend left alone
    (``matplotlib.use("Agg")`` here used to switch a notebook's inline backend off)."""

    @staticmethod
    def subplots(*args, figsize=None, **kwargs):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(*args, **kwargs)

    @staticmethod
    def close(fig) -> None:  # a bare Figure is not registered with pyplot: nothing to close
        pass


def _pyplot() -> _Figures:
    return _Figures()


def _save(fig, path: Path) -> Path:
    """Render to memory, then write atomically (a crash never leaves half a PNG)."""
    import io

    from turinglearn.app.runs import atomic_write

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write(Path(path), buf.getvalue())
    return Path(path)


def plot_parameters(
    metrics: Mapping[str, np.ndarray],
    names: Sequence[str],
    truth: Sequence[float] | None,
    path: Path,
    bounds: tuple[Sequence[float], Sequence[float]] | None = None,
    intervals: Mapping[str, Mapping[str, float]] | None = None,
    stopped: Mapping | None = None,
    restarts: Sequence[int] = (),
) -> Path:
    """One panel per parameter: population median (line), the parents' median (thin line, where
    metrics.csv has ``NAME_parents``) and interquartile range (band) over generations, with the
    ground truth as a dashed line and, where given (summary.json's ``interval``: name -> {lo,
    hi}), the held-out test's interval as a green band; ``stopped`` (summary.json's: {rule,
    generation}) draws the generation a stopping rule fired at, ``restarts`` (generations done
    at each restart: :func:`restart_generations`) where the search started afresh."""
    plt = _pyplot()
    n = len(names)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 2.8 * rows), sharex=True, squeeze=False)
    g = metrics["generation"]
    for i, name in enumerate(names):
        ax = axes.flat[i]
        ax.fill_between(g, metrics[f"{name}_q25"], metrics[f"{name}_q75"], alpha=0.3, label="IQR")
        ax.plot(g, metrics[f"{name}_median"], lw=1.5, label="median")
        kept = metrics.get(f"{name}_parents")
        if kept is not None and np.isfinite(kept).any():  # older runs and some learners lack it
            ax.plot(g, kept, lw=0.7, color="C1", label="parents' median")
        if truth is not None:
            ax.axhline(truth[i], color="k", ls="--", lw=1, label="truth")
        iv = (intervals or {}).get(name)
        if iv and iv.get("lo") is not None:  # the held-out test's interval around the estimate
            ax.axhspan(iv["lo"], iv["hi"], color="C2", alpha=0.2, lw=0, label="held-out interval")
        if bounds is not None:  # (lower [d], upper [d]): the model family's box
            lo, hi = bounds[0][i], bounds[1][i]
            pad = 0.025 * (hi - lo)
            ax.set_ylim(lo - pad, hi + pad)
        if stopped:  # the generation at which a stopping rule ended the run
            label = f"stopped ({stopped['rule']})"
            # its "generation" counts generations done; the last one evaluated is that minus one
            ax.axvline(stopped["generation"] - 1, color="C3", ls=":", lw=1.2, label=label)
        for k, done in enumerate(restarts):  # the new search's first generation
            ax.axvline(done, color="0.4", ls="-.", lw=1, label="restart" if k == 0 else None)
        ax.set_title(name)
        ax.set_ylabel("value")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("generation")
    axes.flat[0].legend(loc="best", fontsize=8)
    fig.suptitle("Model parameters over generations")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def plot_pair_map(pair: dict, inferred, names, truth, folder: Path) -> Path:
    """pair_map.png: the fast test's accuracy over a grid of two parameters (the others at the
    estimate), with the region it accepts outlined, the estimate and the truth."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    x, y, acc = np.asarray(pair["x"]), np.asarray(pair["y"]), np.asarray(pair["accuracy"])
    mesh = ax.pcolormesh(x, y, acc, shading="nearest", cmap="viridis", vmin=0.4, vmax=1.0)
    fig.colorbar(mesh, ax=ax, label="held-out accuracy")
    ax.contour(x, y, acc, levels=[pair["threshold"]], colors="w", linewidths=1.5)
    widened = pair.get("widened")  # a rejected estimate's intervals use a raised threshold: its line too
    if widened is not None and acc.min() < widened < acc.max():
        ax.contour(x, y, acc, levels=[widened], colors="w", linewidths=1.0, linestyles="dashed")
    i, j = (list(names).index(n) for n in pair["parameters"])
    ax.plot(inferred[i], inferred[j], "r+", ms=12, label="estimate")
    if truth is not None:
        ax.plot(truth[i], truth[j], "kx", ms=9, label="truth")
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    accepted = acc <= pair["threshold"]
    title = (
        "Where the held-out test cannot tell the model from the system (inside the line)"
        if accepted.any() and not accepted.all()
        else f"{'Every' if accepted.all() else 'No'} grid point accepted (accuracy up to {pair['threshold']:.3f})"
        + ("" if accepted.all() else ": a region it accepts, if any, lies between them; the intervals are finer"
           + (" (evaluation.intervals = 'thorough': a 15 x 15 grid)" if len(x) < 15 else ""))
    )
    if widened is not None:
        title += f"; dashed: {widened:.3f}, the raised threshold of a rejected estimate's intervals"
    title += "; the other parameters held at the estimate"  # a truth elsewhere in them may read rejected here
    ax.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=8)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    path = Path(folder) / "pair_map.png"
    _save(fig, path)
    return path


def restart_generations(restart: Mapping | None) -> list[int]:
    """The generations done at each restart, from summary.json's ``restart`` (none: [])."""
    if not restart or "generation" not in restart:
        return []
    return [c["generation"] for c in [*restart.get("earlier", []), restart] if c.get("restarted")]


def _x_axis(metrics: Mapping[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """Generations, or the steps of a gradient (GAN) run."""
    return (metrics["step"], "step") if "step" in metrics else (metrics["generation"], "generation")


def plot_fitness(metrics: Mapping[str, np.ndarray], path: Path) -> Path:
    """Mean and best fitness of both populations over generations (steps, for GAN runs)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    g, xlabel = _x_axis(metrics)
    for who, color in (("model", "C0"), ("discriminator", "C3")):
        ax.plot(g, metrics[f"{who}_fitness_mean"], color=color, lw=1.2, label=f"{who}s, mean")
        ax.plot(g, metrics[f"{who}_fitness_max"], color=color, lw=0.8, ls=":", label=f"{who}s, best")
    # chance for a fitness that is an accuracy (the papers' judges, models' votes); shared judge
    # fitness is a sum of credits, on no such scale
    ax.axhline(0.5, color="grey", lw=0.8, label="0.5: chance, for an accuracy")
    judges = np.asarray(metrics["discriminator_fitness_max"], dtype=float)
    judges = judges[np.isfinite(judges)]  # none for the metric baselines
    best = judges.max() if judges.size else 1.0  # shared judge fitness passes 1
    ax.set_ylim(-0.02, max(1.02, 1.02 * best))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fitness")
    ax.set_title("Fitness of both populations")
    ax.legend(loc="best", fontsize=8, ncol=2)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def plot_losses(metrics: Mapping[str, np.ndarray], path: Path) -> Path:
    """A GAN run's discriminator and generator losses (population means) over steps."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    x, xlabel = _x_axis(metrics)
    ax.plot(x, metrics["loss_d"], color="C3", lw=1.2, label="discriminator")
    ax.plot(x, metrics["loss_g"], color="C0", lw=1.2, label="generator")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title("Losses (mean over the population)")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def plot_interrogations(
    stimuli: Mapping[int, np.ndarray],
    responses: Mapping[int, np.ndarray],
    path: Path,
    feature_names: Sequence[str] | None = None,
) -> Path:
    """What the best interrogator learned to do: at each recorded generation, the stimulus it
    applied over one trial with the genuine system (top) and the system's response (bottom)."""
    plt = _pyplot()
    gens = sorted(stimuli)
    fig, axes = plt.subplots(
        2, len(gens), figsize=(3.2 * len(gens), 4.6), sharex=True, sharey="row", squeeze=False
    )
    for c, g in enumerate(gens):
        stim, resp = stimuli[g], responses[g]  # [T, k], [T, F]
        t = np.arange(len(stim))
        for j in range(stim.shape[1]):
            axes[0, c].step(
                t, stim[:, j], where="post", lw=1.2, label=f"stimulus {j}" if stim.shape[1] > 1 else None
            )
        axes[0, c].set_title(f"generation {g}")
        axes[1, c].plot(t, resp[:, 0], lw=1.0, color="C2")
        axes[1, c].set_xlabel("step")
    axes[0, 0].set_ylabel("stimulus")
    axes[1, 0].set_ylabel(feature_names[0] if feature_names else "response (feature 0)")
    fig.suptitle("Best interrogator's stimulus over a trial, and the system's response")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return Path(path)


def draw_run(
    run_dir: Path,
    names: Sequence[str],
    truth: Sequence[float] | None,
    bounds: tuple[Sequence[float], Sequence[float]] | None = None,
    feature_names: Sequence[str] | None = None,
    summary: dict | None = None,
) -> list[Path]:
    """(Re)draw a run's plots from its metrics.csv; returns the files written. ``summary`` is the
    run's summary.json as read (its drift events mark the coevolution plot; None: none known)."""
    from turinglearn.app.runs import read_metrics

    run_dir = Path(run_dir)
    metrics = read_metrics(run_dir)
    if not metrics:
        return []
    files = [
        plot_parameters(metrics, names, truth, run_dir / "parameters.png", bounds),
        plot_fitness(metrics, run_dir / "fitness.png"),
    ]
    if np.isfinite(np.asarray(metrics.get("discriminator_fitness_max", [np.nan]), float)).any():
        from turinglearn.app.coevolution import plot_coevolution  # two populations coevolved

        co = (summary or {}).get("coevolution") or {}
        out = run_dir / "coevolution.png"
        began = co.get("history_began")
        files.append(
            plot_coevolution(
                metrics,
                names,
                truth,
                co.get("drift"),
                out,
                began=began,
                drift_of=co.get("drift_of"),
                bounds=_bounds_of(summary),
            )
        )
    probes = run_dir / "interrogations.npz"
    if probes.is_file():  # interactive runs: what the best interrogators did
        with np.load(probes) as z:
            stimuli = {int(k.split("_")[1]): z[k] for k in z.files if k.startswith("stimuli_")}
            responses = {int(k.split("_")[1]): z[k] for k in z.files if k.startswith("responses_")}
        files.append(plot_interrogations(stimuli, responses, run_dir / "interrogation.png", feature_names))
    return files


def _bounds_of(summary: dict | None) -> tuple[list, list] | None:
    """(lower, upper) from summary.json's ``bounds``, or None (an older run's summary)."""
    b = (summary or {}).get("bounds") or {}
    return (b["lower"], b["upper"]) if b.get("lower") and b.get("upper") else None


def _q(a: np.ndarray, f: str = ".3f") -> str:
    q25, med, q75 = np.quantile(a, [0.25, 0.5, 0.75])
    return f"{med:{f}} [{q25:{f}}, {q75:{f}}]"


def _seconds(s: float) -> str:
    """Seconds with a decimal below 10 (a short run's 0.8 s read 0)."""
    return f"{s:.1f}" if s < 10 else f"{s:.0f}"


def _units_lines(rows: Sequence[dict], names: Sequence[str], summed: dict) -> list[str]:
    """Where the parameters' ranges lie more than ``UNITS_APART`` apart, the summed error is the
    widest parameter's: a line with each learner's error summed in each parameter's range (a
    newcomer's sweep read 'summed error 38.857', 72 % of it two time constants in [10, 100])."""
    from turinglearn.families.parametric import UNITS_APART, ranges_apart

    bounds = next((r.get("bounds") for r in rows if r.get("bounds")), None)
    if not bounds or not summed or ranges_apart(bounds["lower"], bounds["upper"]) <= UNITS_APART:
        return []
    ranges = np.asarray(bounds["upper"], float) - np.asarray(bounds["lower"], float)
    by = []
    for learner in summed:
        mine = [r for r in rows if r["learner"] == learner and r["abs_error"] is not None]
        by.append(f"{learner} {_q(np.array([np.sum(np.asarray(r['abs_error'], float) / ranges) for r in mine]))}")
    return [
        f"The parameters' ranges lie {ranges_apart(bounds['lower'], bounds['upper']):.0f}x apart, so the summed error "
        f"is mostly {names[int(np.argmax(ranges))]}'s; summed in each parameter's range (error / range): {'; '.join(by)}."
    ]


def table(results: Sequence[dict]) -> str:
    """Markdown tables, one per task."""
    out = []
    for task in dict.fromkeys(r["task"] for r in results):
        rows = [r for r in results if r["task"] == task]
        names = rows[0]["names"]
        ratio = all((r.get("behaviour") or {}).get("cluster_ratio") is not None for r in rows)
        out.append(f"### {task}\n")
        out.append(
            "| learner | "
            + " | ".join(names)
            + " | summed error | C2ST |"
            + (" cluster ratio |" if ratio else "")
            + " seconds of learning per run |"
        )
        out.append("|---" * (len(names) + 4 + ratio) + "|")
        summed = {}
        for learner in dict.fromkeys(r["learner"] for r in rows):
            mine = sorted((r for r in rows if r["learner"] == learner), key=lambda r: r["seed"])
            c2st = np.array([r["c2st"] for r in mine], dtype=float)
            c2st_text = f"{np.nanmedian(c2st):.2f}" if np.isfinite(c2st).any() else "-"  # skipped: c2st_trials = 0
            if any(r["abs_error"] is None or len(r["abs_error"]) != len(names) for r in mine):
                errors = " | ".join("-" for _ in names) + " | -"  # no truth (a recording of real data) to measure from
            else:
                err = np.array([r["abs_error"] for r in mine])
                summed[learner] = {r["seed"]: e for r, e in zip(mine, err.sum(axis=1), strict=True)}
                errors = (
                    " | ".join(_q(err[:, i], number_format(mine[0].get("bounds"), names, n)) for i, n in enumerate(names))
                    + f" | {_q(err.sum(axis=1))}"
                )
            out.append(
                f"| {learner} | "
                + errors
                + f" | {c2st_text} |"
                + (f" {_q(np.array([r['behaviour']['cluster_ratio'] for r in mine]))} |" if ratio else "")
                + f" {_seconds(np.median([r['seconds'] for r in mine]))} |"
            )
        out.append(
            "\nmedian [25 %, 75 %] of the absolute error over seeds; seconds of learning: the generations' (summary.json "
            "seconds), without the start and the final evaluation."
        )
        out += _units_lines(rows, names, summed)
        if ratio:
            out.append(
                "cluster ratio: final largest-cluster fraction of fresh arenas run by the inferred "
                "controller over the truth's (1 = clusters as well as the truth)."
            )
        if "turing" in summed:
            for learner, errs in summed.items():
                if learner == "turing":
                    continue
                paired = [s for s in errs if s in summed["turing"]]
                wins = sum(summed["turing"][s] < errs[s] for s in paired)
                out.append(
                    f"Turing Learning's summed error below {learner}'s in {wins} of {len(paired)} paired seeds."
                )
        out.append("")
    return "\n".join(out)


def box_plot(results: Sequence[dict], path: Path) -> bool:
    """Each task's summed absolute errors over seeds, a box per learner; the runs without a
    truth (a recording of real data) have none and are left out. False (nothing drawn) where
    no run has one."""
    results = [r for r in results if r.get("abs_error") is not None]
    if not results:
        return False
    plt = _pyplot()
    tasks = list(dict.fromkeys(r["task"] for r in results))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.5 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        learners = list(dict.fromkeys(r["learner"] for r in results if r["task"] == task))
        data = [
            [sum(r["abs_error"]) for r in results if r["task"] == task and r["learner"] == k]
            for k in learners
        ]
        ax.boxplot(data, tick_labels=learners)
        ax.set_yscale("log")
        ax.set_title(task)
        ax.set_ylabel("summed absolute parameter error")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return True

