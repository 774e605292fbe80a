"""The grid's tables on docs/results.md (one per task, under "Turing Learning against the
peers", headed ``| K | budget |``) are what docs/peers_benchmark.json holds: every
"median [q25, q75]" cell is recomputed from the stored runs and compared as printed (two
decimals), and the bold one is the row's lowest median. An edited figure, a cell copied into
the wrong column or a rerun that was not written back fails here. The other tables and the
prose of that section are not checked."""

import json
import re
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parents[1] / "docs"
CELL = re.compile(r"^(\*\*)?([0-9.]+)(?:\*\*)?\s*\[([0-9.]+), ([0-9.]+)\]$")


def _tables():
    """(task, header, rows) of every peers table: a bold task name, then | K | budget | ... |."""
    text = (DOCS / "results.md").read_text()
    section = text.split("## Turing Learning against the peers", 1)[1].split("\n## ", 1)[0]
    task = None
    lines = section.splitlines()
    for i, line in enumerate(lines):
        bold = re.fullmatch(r"\*\*([a-z0-9-]+)\*\*", line.strip())
        if bold:
            task = bold.group(1)
        if task and line.startswith("| K | budget |"):
            header = [c.strip() for c in line.strip("|").split("|")]
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip("|").split("|")])
            yield task, header, rows
            task = None


def test_every_peers_table_cell_is_recomputed_from_the_stored_runs():
    runs = json.loads((DOCS / "peers_benchmark.json").read_text())["runs"]
    checked = 0
    tables = list(_tables())
    assert len(tables) >= 4  # the four built-in tasks
    for task, header, rows in tables:
        for row in rows:
            k, budget = int(row[0]), int(row[1].replace(",", "").rstrip("*"))  # *: more seeds
            medians, bold = {}, []
            for learner, cell in zip(header[2:], row[2:], strict=True):
                m = CELL.match(cell)
                assert m, f"{task} {learner}: unreadable cell {cell!r}"
                errors = [
                    r["summed_error"]
                    for r in runs
                    if (r["task"], r["learner"], r["k"], r["budget"]) == (task, learner, k, budget)
                ]
                assert len(errors) >= 5, f"{task} {learner} K={k} {budget}: {len(errors)} runs stored"
                q1, q2, q3 = np.quantile(errors, [0.25, 0.5, 0.75])
                assert m.groups()[1:] == (f"{q2:.2f}", f"{q1:.2f}", f"{q3:.2f}"), f"{task} {learner} K={k} {budget}"
                medians[learner] = q2
                if m.group(1):
                    bold.append(learner)
                checked += 1
            assert bold == [min(medians, key=medians.get)], f"{task} K={k} {budget}: bold {bold}"
    assert checked >= 40
