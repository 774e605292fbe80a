"""docs/results.md, "Trust": every row of the calibration table is recomputed from the stored
runs (docs/calibration_heldout.json, docs/calibration_own_swarm.json) and compared as printed,
and so is the line that sums the pairs. A hand-edited figure, a row of another system or a
rerun not written back fails here."""

import json
import re
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parents[1] / "docs"
STORED = ("calibration_heldout.json", "calibration_own_swarm.json")


def _rows() -> list[dict]:
    return [row for name in STORED for row in json.loads((DOCS / name).read_text())]


def _section() -> str:
    # to its first subsection ("Trials that vary less than the system's" has a table of its own)
    return (DOCS / "results.md").read_text().split("## Trust", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def _table() -> list[list[str]]:
    lines = [line for line in _section().splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| system | parameter |"), lines[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:] if not line.startswith("|---")]


def holds(iv: dict | None, truth: float, part: str | None = None) -> bool:
    """Whether an interval (its ``part``, "test" for the test's slice; else the whole) holds the truth;
    an interval the test could not draw holds nothing."""
    if iv is None or iv["lo"] is None:
        return False
    lo, hi = iv[part] if part else (iv["lo"], iv["hi"])
    return lo <= truth <= hi


def recompute(runs: list[dict]) -> dict[tuple[str, str], list[str]]:
    """(system, parameter) -> the table's cells after those two, as printed."""
    out = {}
    for system in dict.fromkeys(r["system"] for r in runs):
        mine = [r for r in runs if r["system"] == system]
        for j, n in enumerate(mine[0]["names"]):
            drawn = [r["interval"][n] for r in mine if r["interval"][n]["lo"] is not None]
            rich = [r["interval_4x"][n] for r in mine if r.get("interval_4x") and r["interval_4x"][n]["lo"] is not None]
            width = lambda ivs: f"{np.median([iv['hi'] - iv['lo'] for iv in ivs]):.4f}"  # noqa: E731
            slices = [{"lo": iv["test"][0], "hi": iv["test"][1]} for iv in drawn]
            out[(system, n)] = [
                f"{sum(holds(r['interval'][n], r['truth'][j], 'test') for r in mine)}/{len(mine)}",
                f"{sum(holds(r['interval'][n], r['truth'][j]) for r in mine)}/{len(mine)}",
                width(drawn),
                f"{width(slices)} / {width(rich)}",
            ]
    return out


def test_every_row_of_the_calibration_table_is_recomputed_from_the_stored_runs():
    runs = _rows()
    expected = recompute(runs)
    table = _table()
    assert {(row[0], row[1]) for row in table} == set(expected)
    for row in table:
        assert row[2:] == expected[(row[0], row[1])], f"{row[0]} {row[1]}"


def test_the_sum_over_every_pair_is_recomputed():
    runs = _rows()
    pairs = [(r, j, n) for r in runs for j, n in enumerate(r["names"])]
    inside = sum(holds(r["interval"][n], r["truth"][j], "test") for r, j, n in pairs)
    hull = sum(holds(r["interval"][n], r["truth"][j]) for r, j, n in pairs)
    line = re.search(r"All \(seed, parameter\) pairs: slice (\d+)/(\d+) \((\d+)%\), interval (\d+)/(\d+) \((\d+)%\)",
                     _section())  # fmt: skip
    assert line, "the sum line is missing"
    total = len(pairs)
    assert line.groups() == tuple(
        str(v) for v in (inside, total, round(100 * inside / total), hull, total, round(100 * hull / total))
    )


def test_an_interval_the_test_could_not_draw_holds_nothing():
    """The recomputation itself can fail: a row without an interval counts against coverage."""
    truth = 0.5
    assert holds({"lo": 0.4, "hi": 0.6, "test": [0.45, 0.55]}, truth, "test")
    assert not holds({"lo": 0.4, "hi": 0.6, "test": [0.51, 0.55]}, truth, "test")
    assert holds({"lo": 0.4, "hi": 0.6, "test": [0.51, 0.55]}, truth)
    assert not holds({"lo": None, "hi": None}, truth)
