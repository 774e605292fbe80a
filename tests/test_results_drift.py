"""The "Overshoot or forgetting" table on docs/results.md (section "Coevolution: does the
population stay on the truth?") is what docs/coevolution_memory.json holds: for every row, the
runs of that task, variant and seed range that held the truth 50 generations (``settled_at``), how
many of them later left it by more than 0.1 (``max_after_settled``; also on a seed range in
brackets), and the median and max of that distance, recomputed and compared as printed. An
edited figure or a rerun not written back fails here."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
VARIANT = {"papers'": "current", "shared": "shared"}


def _rows():
    text = (DOCS / "results.md").read_text()
    section = text.split("**Overshoot or forgetting.**", 1)[1]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    head = next(i for i, line in enumerate(lines) if line.startswith("| task, held-out seeds |"))
    for line in lines[head + 2 :]:
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if len(cells) != 5:
            break
        yield cells


ROWS = list(_rows())


def test_the_table_is_there():
    assert len(ROWS) >= 10


@pytest.mark.parametrize("cells", ROWS, ids=[f"{c[0]} {c[1]}" for c in ROWS])
def test_every_row_is_recomputed_from_the_stored_runs(cells):
    stored = json.loads((DOCS / "coevolution_memory.json").read_text())
    task, seeds = cells[0].split(", ")
    lo, hi = map(int, seeds.split("-"))
    runs = [
        r
        for r in stored
        if r["task"] == task and r["variant"] == VARIANT[cells[1]] and lo <= r["seed"] <= hi
    ]
    assert len(runs) == hi - lo + 1, f"{task} {cells[1]}: {len(runs)} stored runs for seeds {seeds}"
    held = [r["max_after_settled"] for r in runs if r["settled_at"] is not None]
    assert int(cells[2]) == len(held)
    assert int(re.match(r"\d+", cells[3]).group()) == sum(x > 0.1 for x in held)
    assert cells[4] == f"{np.median(held):.3f} [{max(held):.3f}]"
    part = re.search(r"\(seeds (\d+)-(\d+): (\d+)\)", cells[3])  # the same count on fewer seeds
    if part:
        a, b, n = map(int, part.groups())
        sub = [r["max_after_settled"] for r in runs if a <= r["seed"] <= b and r["settled_at"] is not None]
        assert n == sum(x > 0.1 for x in sub)
