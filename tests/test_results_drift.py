"""Seven tables of docs/results.md (sections "Coevolution: does the population stay on the truth?"
and "Stopping early")
are what docs/coevolution_memory.json holds. "In short": per task, the presets' runs and the best
settings', the runs leaving the truth by more than 0.1 after first reaching it and after holding it,
the largest distance, the final error (``PRESETS`` says which stored runs a presets' row reads).
"Overshoot or forgetting": for every row, the runs
of that task, variant and seed range that held the truth 50 generations (``settled_at``), how
many of them later left it by more than 0.1 (``max_after_settled``; also on a seed range in
brackets), and the median and max of that distance. "The judges' bias cycles": the runs' lag-1
autocorrelation of the models' mean fitness (``fitness_lag1``; median, min, max) and its mean
step (``fitness_step``; median). "Parents or offspring": per run the same drift read from the
whole population's median and from the parents' (``parents``), runs leaving by more than 0.1
after first reaching the truth and after holding it. "Passing through or gathered": the same
from the first generation at which the population gathered on the truth. "The last generation's
median as the estimate": the reported estimate's final error and the last population median's.
"Stopping early", "With the coevolution's memory": where the convergence rule would have fired. Each is recomputed and compared as
printed: an edited figure or a rerun not written back fails here."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
VARIANT = {
    "papers'": "current",
    "shared": "shared",
    "shared, geometric mean": "shared-geometric",
    "shared, geometric mean, hall of fame half": "shared-geometric-hof",
    "shared, geometric mean, two trials per model": "shared-geometric-2trials",
    "shared, geometric mean, judges shown every genuine agent": "shared-geometric-all-genuine",
    "shared, geometric mean, judges selected three times a generation": "shared-geometric-judge3",
    "papers', judges selected three times a generation": "judge3",
    "shared, geometric mean, models judged by the judges' parents": "shared-geometric-voters",
    "shared, geometric mean, judges selected three times a generation, models judged by the judges' parents": (
        "shared-geometric-judge3-voters"
    ),
}


def _rows(anchor: str, width: int = 5):
    text = (DOCS / "results.md").read_text()
    lines = text.split(anchor, 1)[1].splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| task, held-out seeds |"))
    for line in lines[head + 2 :]:  # the table's rows: up to the first line that is not one
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if not line.startswith("|") or len(cells) != width:
            break
        yield cells


def _seeds(text: str) -> list[int]:
    """``10-19`` or ``11,12,14``."""
    if "-" in text:
        lo, hi = map(int, text.split("-"))
        return list(range(lo, hi + 1))
    return [int(s) for s in text.split(",")]


def _stored(task_seeds: str, variant: str, named: bool = True) -> list[dict]:
    """The stored runs of ``task, seeds`` under a variant (as the tables name it, or ``named=False``:
    as the benchmark does)."""
    stored = json.loads((DOCS / "coevolution_memory.json").read_text())
    task, seeds = task_seeds.split(", ")
    seeds, variant = _seeds(seeds), VARIANT[variant] if named else variant
    return [r for r in stored if r["task"] == task and r["variant"] == variant and r["seed"] in seeds]


SHORT = list(_rows("### In short", width=6))
#: "In short"'s presets: task -> (the variant whose runs give the drift, the one whose give the final
#: error); the panel's rows read the same runs as the papers' (``current``) with the presets' estimate
PRESETS = {
    "aggregation": ("current", "panel"),
    "aggregation-a": ("current", "panel"),
    "aggregation-b": ("current", "panel"),
    "stimulus-response": ("current", "panel"),
    "object-clustering": ("restart", "restart"),  # the preset restarts a failed search half-way
    "aggregation-gp": ("current", "current"),
}
ROWS = list(_rows("### Overshoot or forgetting"))
CYCLES = list(_rows("### The judges' bias cycles under shared fitness"))
PARENTS = list(_rows("### Parents or offspring", width=7))
GATHERED = list(_rows("### Passing through or gathered", width=6))
LAST = list(_rows("### The last generation's median as the estimate"))
STOPS = list(_rows("### With the coevolution's memory", width=6))


def test_the_tables_are_there():
    assert len(ROWS) >= 10 and len(CYCLES) >= 10 and len(PARENTS) >= 8 and len(SHORT) >= 10 and len(GATHERED) >= 10 and len(LAST) >= 12 and len(STOPS) >= 6


@pytest.mark.parametrize("cells", SHORT, ids=[f"{c[0]} {c[1]}" for c in SHORT])
def test_every_short_row_is_recomputed_from_the_stored_runs(cells):
    task = cells[0].split(", ")[0]
    variants = PRESETS[task] if cells[1] == "without memory" else (cells[1].strip("`"),) * 2
    runs, ends = (_stored(cells[0], v, named=False) for v in variants)
    n = len(_seeds(cells[0].split(", ")[1]))
    assert len(runs) == len(ends) == n, f"{cells[0]} {cells[1]}: {len(runs)}, {len(ends)} stored runs"
    after = [r["max_after"] for r in runs if r["max_after"] is not None]
    held = [r["max_after_settled"] for r in runs if r.get("settled_at") is not None]
    assert cells[2] == f"{sum(x > 0.1 for x in after)} of {len(after)}"
    assert cells[3] == _figure(after)
    # runs stored before the holding was read have no settled_at: the cell names the seeds read
    read = sorted(r["seed"] for r in runs if "settled_at" in r)
    note = "" if len(read) == n else " (not read)" if not read else f" (seeds {read[0]}-{read[-1]} read)"
    assert cells[4] == (f"{sum(x > 0.1 for x in held)} of {len(held)}" if read else "-") + note
    assert re.sub(r" \(window\)$", "", cells[5]) == _figure([r["final_error"] for r in ends])


@pytest.mark.parametrize("cells", CYCLES, ids=[f"{c[0]} {c[1]}" for c in CYCLES])
def test_every_cycle_row_is_recomputed_from_the_stored_runs(cells):
    runs = _stored(cells[0], cells[1])
    lo, hi = map(int, cells[0].split(", ")[1].split("-"))
    assert len(runs) == hi - lo + 1, f"{cells[0]} {cells[1]}: {len(runs)} stored runs"
    lags = [r["fitness_lag1"] for r in runs]
    assert int(cells[2]) == len(runs) and None not in lags, f"{cells[0]} {cells[1]}: {len(runs)} stored runs"
    assert cells[3] == f"{np.median(lags):+.2f} [{min(lags):+.2f}, {max(lags):+.2f}]"
    assert cells[4] == f"{np.median([r['fitness_step'] for r in runs]):.3f}"


@pytest.mark.parametrize("cells", ROWS, ids=[f"{c[0]} {c[1]}" for c in ROWS])
def test_every_row_is_recomputed_from_the_stored_runs(cells):
    runs = _stored(cells[0], cells[1])
    lo, hi = map(int, cells[0].split(", ")[1].split("-"))
    assert len(runs) == hi - lo + 1, f"{cells[0]} {cells[1]}: {len(runs)} stored runs"
    held = [r["max_after_settled"] for r in runs if r["settled_at"] is not None]
    assert int(cells[2]) == len(held)
    assert int(re.match(r"\d+", cells[3]).group()) == sum(x > 0.1 for x in held)
    assert cells[4] == f"{np.median(held):.3f} [{max(held):.3f}]"
    part = re.search(r"\(seeds (\d+)-(\d+): (\d+)\)", cells[3])  # the same count on fewer seeds
    if part:
        a, b, n = map(int, part.groups())
        sub = [r["max_after_settled"] for r in runs if a <= r["seed"] <= b and r["settled_at"] is not None]
        assert n == sum(x > 0.1 for x in sub)


def _figure(values) -> str:
    return f"{np.median(values):.3f} [{max(values):.3f}]" if values else "-"


@pytest.mark.parametrize("cells", PARENTS, ids=[f"{c[0]} {c[1]} {c[2]}" for c in PARENTS])
def test_every_parents_row_is_recomputed_from_the_stored_runs(cells):
    runs = _stored(cells[0], cells[1])
    assert len(runs) == len(_seeds(cells[0].split(", ")[1])), f"{cells[0]} {cells[1]}: {len(runs)} stored runs"
    read = {"population": lambda r: r, "parents": lambda r: r["parents"]}[cells[2]]
    after = [read(r)["max_after"] for r in runs if read(r)["max_after"] is not None]
    held = [read(r)["max_after_settled"] for r in runs if read(r)["settled_at"] is not None]
    assert cells[3] == f"{sum(x > 0.1 for x in after)} of {len(after)}"
    assert cells[4] == _figure(after)
    assert cells[5] == f"{sum(x > 0.1 for x in held)} of {len(held)}"
    assert cells[6] == _figure(held)


@pytest.mark.parametrize("cells", GATHERED, ids=[f"{c[0]} {c[1]}" for c in GATHERED])
def test_every_gathered_row_is_recomputed_from_the_stored_runs(cells):
    """"Passing through or gathered": from the first generation within 0.05 and from the first
    at which the population gathered (``gathered_at``, ``max_after_gathered``)."""
    task = cells[0].split(", ")[0]
    runs = _stored(cells[0], PRESETS[task][0] if cells[1] == "without memory" else cells[1].strip("`"), named=False)
    assert len(runs) == len(_seeds(cells[0].split(", ")[1])), f"{cells[0]} {cells[1]}: {len(runs)} stored runs"
    after = [r["max_after"] for r in runs if r["max_after"] is not None]
    gathered = [r["max_after_gathered"] for r in runs if r["gathered_at"] is not None]
    assert cells[2] == f"{sum(x > 0.1 for x in after)} of {len(after)}"
    assert cells[3] == f"{len(gathered)} of {len(runs)}"
    assert cells[4] == f"{sum(x > 0.1 for x in gathered)} of {len(gathered)}"
    assert cells[5] == _figure(gathered)


@pytest.mark.parametrize("cells", LAST, ids=[f"{c[0]} {c[1]}" for c in LAST])
def test_every_last_median_row_is_recomputed_from_the_stored_runs(cells):
    """"The last generation's median as the estimate": the reported estimate's final error (the
    presets': the runs In short reads it from) and the last generation's population median's."""
    task = cells[0].split(", ")[0]
    variants = PRESETS[task] if cells[1] == "without memory" else (cells[1].strip("`"),) * 2
    runs, ends = (_stored(cells[0], v, named=False) for v in variants)
    assert len(runs) == len(ends) == len(_seeds(cells[0].split(", ")[1]))
    last = [r["final_median_error"] for r in runs]
    assert cells[2] == _figure([r["final_error"] for r in ends])
    assert cells[3] == _figure(last)
    assert cells[4] == f"{sum(x <= 0.05 for x in last)} of {len(last)}"


@pytest.mark.parametrize("cells", STOPS, ids=[f"{c[0]} {c[1]}" for c in STOPS])
def test_every_stopping_row_with_the_memory_is_recomputed_from_the_stored_runs(cells):
    """"Stopping early", "With the coevolution's memory": where the convergence rule would have
    fired (``stop``) and the window estimate's error there, against the full run's
    (``window_error``; the final median's where a run has no panel), bar 0.05 (0.1 on object
    clustering)."""
    runs = _stored(cells[0], cells[1].strip("`"), named=False)
    assert len(runs) == len(_seeds(cells[0].split(", ")[1]))
    bar = 0.1 if cells[0].startswith("object-clustering") else 0.05
    fired = [r["stop"]["generation"] for r in runs if r["stop"]]
    assert cells[2] == f"{len(fired)} of {len(runs)}"
    assert cells[3] == f"{np.median(fired):.0f} [{min(fired)}, {max(fired)}]"
    full = [r.get("window_error", r["final_error"]) for r in runs]  # the window's estimate, as at the stop
    stopped = [r["stop"]["error"] if r["stop"] else f for r, f in zip(runs, full, strict=True)]
    assert cells[4] == f"{sum(f <= bar for f in full)} / {sum(e <= bar for e in stopped)}"
    assert int(cells[5]) == sum(1 for r, f in zip(runs, full, strict=True) if r["stop"] and r["stop"]["error"] - f > 0.01)


def test_the_panel_against_the_window_with_the_memory_is_recomputed_from_the_stored_runs():
    """"The panel estimate", "With the memory": each row from its runs' final_error (the panel's)
    and window_error."""
    rows = json.loads((DOCS / "coevolution_memory.json").read_text())
    section = (DOCS / "results.md").read_text().split("### The panel estimate", 1)[1].split("\n### ", 1)[0]
    table = section.split("**With the memory**", 1)[1].split("\n\n| ", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    assert len(table) == 5
    for line in table:
        task, n, panel, panel_in, window, window_in, closer = (c.strip() for c in line.strip("|").split("|"))
        task, bar = (task.split()[0], 0.1) if "bar 0.1" in task else (task, 0.05)
        variant = "shared-geometric-voters-critic" if task == "stimulus-response" else "shared-geometric-judge3-voters-critic"
        rs = [r for r in rows if r["task"] == task and r["variant"] == variant and 10 <= r["seed"] <= 19]
        f, w = [r["final_error"] for r in rs], [r["window_error"] for r in rs]
        assert n == str(len(rs)) == "10"
        assert panel == f"{np.median(f):.3f} [{max(f):.3f}]" and panel_in == str(sum(x <= bar for x in f))
        assert window == f"{np.median(w):.3f} [{max(w):.3f}]" and window_in == str(sum(x <= bar for x in w))
        assert closer == f"{sum(a < b for a, b in zip(f, w, strict=True))} of 10"
