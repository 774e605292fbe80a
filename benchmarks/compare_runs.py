"""Compare two run directories: metrics.csv (every column but the timings) and summary.json
(timing keys aside) must be equal. Prints every difference; exit status 1 if there is one.

    python benchmarks/compare_runs.py [--added-ok] RUN_A RUN_B

``--added-ok``: summary keys only RUN_B has (fields a newer version adds) are not differences.

Runs written before the GAN became the same loop as the swarm runs named things differently;
they are read in today's names: metrics.csv's ``step`` (generations done) is ``generation``
(the generation's index, ``step - 1``), summary.json's ``steps`` is ``generations``.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

TIMING_COLUMNS = {"seconds"}
TIMING_KEYS = {"seconds", "seconds_per_generation", "images_per_second", "evaluation_seconds"}


def read_metrics(run: Path) -> dict[str, list[float]]:
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = {k: [float(r[k]) for r in rows] for k in (rows[0] if rows else {})}
    if "step" in columns:  # an older GAN run
        columns["generation"] = [s - 1 for s in columns.pop("step")]
    return {k: v for k, v in columns.items() if k not in TIMING_COLUMNS}


def read_summary(run: Path) -> dict:
    summary = json.loads((run / "summary.json").read_text())
    if "steps" in summary and summary.get("learner") == "gan":  # an older GAN run
        summary["generations"] = summary.pop("steps")
    return {k: v for k, v in summary.items() if k not in TIMING_KEYS}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def compare(a: Path, b: Path, added_ok: bool = False) -> list[str]:
    """Every difference between runs ``a`` and ``b``, one line each. ``added_ok``: summary keys
    that only ``b`` has (fields a newer version adds) are not differences."""
    out = []
    ma, mb = read_metrics(a), read_metrics(b)
    for k in sorted(ma.keys() ^ mb.keys()):
        out.append(f"metrics.csv: column {k!r} only in {a if k in ma else b}")
    for k in sorted(ma.keys() & mb.keys()):
        if len(ma[k]) != len(mb[k]):
            out.append(f"metrics.csv: {k}: {len(ma[k])} rows vs {len(mb[k])}")
            continue
        bad = [i for i, (x, y) in enumerate(zip(ma[k], mb[k], strict=True)) if not _same(x, y)]
        if bad:
            i = bad[0]
            out.append(
                f"metrics.csv: {k}: {len(bad)} rows differ, first row {i}: {ma[k][i]!r} vs {mb[k][i]!r}"
            )
    sa, sb = read_summary(a), read_summary(b)
    for k in sorted(sa.keys() | sb.keys()):
        if k not in sa and added_ok:
            continue
        if k not in sa or k not in sb:
            out.append(f"summary.json: key {k!r} only in {a if k in sa else b}")
        elif not _same(sa[k], sb[k]):
            out.append(f"summary.json: {k}: {sa[k]!r} vs {sb[k]!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    added_ok = "--added-ok" in args
    args = [x for x in args if x != "--added-ok"]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    a, b = map(Path, args)
    differences = compare(a, b, added_ok)
    for line in differences:
        print(line)
    rows = len(next(iter(read_metrics(a).values()), []))
    print(f"{a} vs {b}: {'equal' if not differences else f'{len(differences)} differences'} "
          f"({rows} metrics rows, summary.json timings aside"
          f"{', keys only the second run has aside' if added_ok else ''})")  # fmt: skip
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
