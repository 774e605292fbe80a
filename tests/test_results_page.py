"""The grid's tables on docs/results.md (one per task, under "Turing Learning against the
peers", headed ``| K | budget |``) are what docs/peers_benchmark.json holds: every
"median [q25, q75]" cell is recomputed from the stored runs and compared as printed (two
decimals), and the bold one is the row's lowest median. An edited figure, a cell copied into
the wrong column or a rerun that was not written back fails here. The other tables and the
prose of that section are not checked. The swarm section's table "With the coevolution's
memory" is recomputed from docs/swarm_benchmark_memory.json the same way."""

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


def test_the_swarm_table_with_the_memory_is_recomputed_from_its_runs():
    """"Swarms", "With the coevolution's memory": every cell from docs/swarm_benchmark_memory.json."""
    runs = json.loads((DOCS / "swarm_benchmark_memory.json").read_text())
    text = (DOCS / "results.md").read_text().split("**With the coevolution's memory**", 1)[1]
    lines = [line for line in text.split("\n\n", 2)[1].splitlines() if line.startswith("| ") and "---" not in line]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[1:]]
    assert len(rows) == 3
    for task, variant, summed, within, largest, c2st, seconds in rows:
        rs = [r for r in runs if r["task"] == task and r["variant"] == variant]
        assert len(rs) == 10, f"{task} {variant}: {len(rs)} runs"
        q2, q1, q3 = np.quantile([sum(r["abs_error"]) for r in rs], [0.5, 0.25, 0.75])
        assert summed == f"{q2:.3f} [{q1:.3f}, {q3:.3f}]"
        worst = [max(r["abs_error"]) for r in rs]
        bar = 0.1 if task == "object-clustering" else 0.05
        assert within == f"{sum(w <= bar for w in worst)} of 10" and largest == f"{max(worst):.3f}"
        assert c2st == f"{np.median([r['c2st'] for r in rs]):.2f}"
        secs = [r["seconds"] for r in rs]
        assert seconds == f"{min(secs):.0f}-{max(secs):.0f} s"
