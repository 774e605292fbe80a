"""The grid's tables on docs/results.md (one per task, under "Turing Learning against the
peers", headed ``| K | budget |``) are what docs/peers_benchmark.json holds: every
"median [q25, q75]" cell is recomputed from the stored runs and compared as printed (two
decimals), and the bold one is the row's lowest median. An edited figure, a cell copied into
the wrong column or a rerun that was not written back fails here. The other tables and the
prose of that section are not checked. The swarm section's two tables are recomputed the same
way from docs/swarm_benchmark_memory.json (Turing Learning) and swarm_benchmark_results.json
(the metric baselines)."""

import json
import re
from pathlib import Path

import numpy as np

from turinglearn.config import WITHOUT_MEMORY

DOCS = Path(__file__).resolve().parents[1] / "docs"
CELL = re.compile(r"^(\*\*)?([0-9.]+)(?:\*\*)?\s*\[([0-9.]+), ([0-9.]+)\]$")


def _peers_section() -> str:
    return (DOCS / "results.md").read_text().split("## Turing Learning against the peers", 1)[1].split("\n## ", 1)[0]


def _table_after(text: str, marker: str) -> list[list[str]]:
    """The cells of the first markdown table that starts after ``marker`` in ``text``, or at it
    when ``marker`` is the start of a table's header line (header and rule dropped)."""
    rest = text.split(marker, 1)[1]
    table = marker + rest if marker.startswith("| ") else "| " + rest.split("\n\n| ", 1)[1]
    lines = table.split("\n\n", 1)[0].splitlines()
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]


def _tables():
    """(task, header, rows) of every peers table: a bold task name, then | K | budget | ... |."""
    section = _peers_section()
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


def _lowest_as_shown(medians: dict, decimals: int) -> list:
    """The names to print bold: every median that reads the same as the lowest at the shown
    precision (a tie shown as 0.025 and 0.025 is bold on both, not on the one lower unrounded)."""
    shown = {name: f"{value:.{decimals}f}" for name, value in medians.items()}
    lowest = shown[min(medians, key=medians.get)]
    return [name for name in medians if shown[name] == lowest]


def test_lowest_as_shown_bolds_a_tie_at_the_shown_precision():
    assert _lowest_as_shown({"a": 0.0254, "b": 0.0246, "c": 0.1}, 3) == ["a", "b"]
    assert _lowest_as_shown({"a": 0.0254, "b": 0.0246, "c": 0.1}, 4) == ["b"]


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
            assert bold == _lowest_as_shown(medians, 2), f"{task} K={k} {budget}: bold {bold}"
    assert checked >= 40


def _swarm_rows(marker: str) -> list[list[str]]:
    """The cells of the first table after ``marker`` in the swarm section."""
    section = (DOCS / "results.md").read_text().split("## Swarms", 1)[1].split("\n## ", 1)[0]
    return _table_after(section, marker)


def test_the_swarm_table_with_and_without_the_memory_is_recomputed_from_its_runs():
    """"Swarms", "Without the memory": every cell from docs/swarm_benchmark_memory.json."""
    runs = json.loads((DOCS / "swarm_benchmark_memory.json").read_text())
    rows = _swarm_rows("**Without the memory**")
    assert len(rows) == 4
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
        overrides = {  # what reproduces the rows: the preset as shipped (or its own memory's settings)
            "preset": ({}, _memory()),
            "memory, panel": ({**_memory(), "evaluation.estimate": "panel"},),
            "without memory": ({**WITHOUT_MEMORY, "evaluation.estimate": "panel"},),
        }[variant]
        assert all(r["overrides"] in overrides for r in rs), variant


def test_the_one_replica_table_is_recomputed_from_its_runs():
    """"Swarms", the papers' one replica per trial: both rows from their runs, paired with the
    histogram baseline's runs of the same seeds."""
    old = json.loads((DOCS / "swarm_benchmark_aggregation_one_replica.json").read_text())
    new = json.loads((DOCS / "swarm_benchmark_aggregation_one_replica_memory.json").read_text())
    histogram = {r["seed"]: sum(r["abs_error"]) for r in old if r["learner"] == "metric-histogram"}
    one = {"environment.n_replicas": 1, "learner.genuine_per_trial": 1, "evaluation.average_last": 1,
           "evaluation.track": "median", "stopping.converge": False}  # fmt: skip
    assert all(r["overrides"] == one for r in new)
    rows = _swarm_rows("**With the papers' one replica per trial and the final median**")
    assert [r[0] for r in rows] == ["the preset's memory", "without memory † §"]
    for (_, summed, within, largest, c2st, lower), runs in zip(rows, (new, old), strict=True):
        rs = [r for r in runs if r["learner"] == "turing"]
        assert sorted(r["seed"] for r in rs) == list(range(10))
        q2, q1, q3 = np.quantile([sum(r["abs_error"]) for r in rs], [0.5, 0.25, 0.75])
        assert summed == f"{q2:.3f} [{q1:.3f}, {q3:.3f}]"
        worst = [max(r["abs_error"]) for r in rs]
        assert within == f"{sum(w <= 0.05 for w in worst)} of 10" and largest == f"{max(worst):.3f}"
        assert c2st == f"{np.median([r['c2st'] for r in rs]):.2f}"
        assert lower == f"{sum(sum(r['abs_error']) < histogram[r['seed']] for r in rs)} of 10"


def _memory() -> dict:
    from turinglearn.config import load_config

    learner = load_config("aggregation").learner
    return {f"learner.{k}": getattr(learner, k) for k in ("judge_fitness", "judge_steps", "model_judges", "critic")}


def test_the_swarm_benchmarks_main_table_is_the_presets_runs_and_the_baselines():
    """"Swarms", the first table: Turing Learning's rows are the presets' runs (with the memory),
    the baselines' the stored metric runs, with the paired count of seeds Turing Learning wins."""
    memory = [r for r in json.loads((DOCS / "swarm_benchmark_memory.json").read_text()) if r["variant"] == "preset"]
    metric = json.loads((DOCS / "swarm_benchmark_results.json").read_text())
    names = {"Turing Learning": "turing", "metric, SSE": "metric-sse", "metric, histogram": "metric-histogram"}
    rows, task = _swarm_rows("`turinglearn benchmark swarm --tasks aggregation --seeds 10-19`"), None
    assert len(rows) == 6
    for first, learner, cell, c2st, lower in rows:
        task = first.replace(" ", "-") or task
        source = memory if names[learner] == "turing" else metric
        rs = {r["seed"]: r for r in source if r["task"] == task and r["learner"] == names[learner]}
        assert len(rs) == 10, f"{task} {learner}"
        q2, q1, q3 = np.quantile([sum(r["abs_error"]) for r in rs.values()], [0.5, 0.25, 0.75])
        assert CELL.match(cell).groups()[1:] == (f"{q2:.3f}", f"{q1:.3f}", f"{q3:.3f}"), f"{task} {learner}"
        assert c2st == f"{np.median([r['c2st'] for r in rs.values()]):.2f}"
        if names[learner] == "turing":
            tl = {s: sum(r["abs_error"]) for s, r in rs.items()}
        else:
            assert lower == f"{sum(tl[s] < sum(r['abs_error']) for s, r in rs.items())} of 10"


def test_the_interrogation_table_of_stimulus_response_is_recomputed_from_its_runs():
    """"Interrogation": the memory's StimulusResponse rows from docs/interrogation_benefit_memory.json."""
    runs = json.loads((DOCS / "interrogation_benefit_memory.json").read_text())["benefit_runs"]
    section = (DOCS / "results.md").read_text().split("## Interrogation", 1)[1]
    table = section.split("\n\n| environment |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    per_parameter = [c.strip() for c in rows[0].strip("|").split("|")]
    summed = [c.strip() for c in rows[1].strip("|").split("|")]
    assert per_parameter[0] == "StimulusResponse"
    for column, mode in ((2, "interactive"), (3, "passive")):
        rs = [r for r in runs if r["mode"] == mode]
        assert len(rs) == 10
        errors = np.array([r["abs_error"] for r in rs])
        assert per_parameter[column] == " / ".join(f"{e:.3f}" for e in np.median(errors, axis=0))
        assert summed[column] == f"{np.median(errors.sum(axis=1)):.3f}"


def test_the_recording_table_with_the_memory_is_recomputed_from_its_runs():
    """"Learning from a recording": the memory's table from docs/recording_vs_simulator_memory.json."""
    runs = json.loads((DOCS / "recording_vs_simulator_memory.json").read_text())["runs"]
    section = (DOCS / "results.md").read_text().split("## Learning from a recording", 1)[1]
    table = section.split("\n\n| source of genuine samples, estimate |", 1)[1].split("\n\n", 1)[0]
    rows = [[c.strip().strip("*") for c in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    assert len(rows) == 4
    for label, within, summed, spread, c2st in rows:
        source, estimate = label.split(" (")[0].split(", ")
        rs = [r for r in runs if bool(r["overrides"].get("data")) == (source == "recording")]
        if estimate == "population median":
            rs = [r["other_tracks"]["median"] for r in rs]
        assert len(rs) == 10
        errors = [r["abs_error"] for r in rs]
        summed_errors = [sum(e) for e in errors]
        q2, q1, q3 = np.quantile(summed_errors, [0.5, 0.25, 0.75])
        assert within == f"{sum(max(e) <= 0.05 for e in errors)} of 10", label
        assert summed.replace("*", "") == f"{q2:.3f} [{q1:.3f}, {q3:.3f}]", label
        low, high = (float(x) for x in spread.split(" ... "))
        assert abs(low - min(summed_errors)) < 5e-5 and abs(high - max(summed_errors)) < 5e-4, label
        assert c2st == f"{np.median([r['c2st'] for r in rs]):.2f}", label


def test_the_restart_when_settled_table_is_recomputed_from_its_runs():
    """"Restarts when the estimate settles": the table from docs/aggregation_restart_settled.json
    (the preset's runs, each read also where its first check was made, and p2 without the memory)."""
    runs = json.loads((DOCS / "aggregation_restart_settled.json").read_text())
    section = (DOCS / "results.md").read_text().split("### Restarts when the estimate settles", 1)[1]
    table = section.split("\n\n| truth, seeds |", 1)[1].split("\n\n", 1)[0]
    cells = ([c.strip().replace("**", "") for c in line.strip("|").split("|")] for line in table.splitlines()[2:])
    rows = {r[0]: r[1:] for r in cells}
    restart, plain = "shared-geometric-judge3-voters-critic-restart", "current"

    def group(task, variant, seeds):
        out = [r for r in runs if (r["task"], r["variant"]) == (task, variant) and r["seed"] in seeds]
        assert len(out) == 10, (task, variant)
        return out

    def within(rs, read=lambda r: r["final_error"]):
        return f"{sum(read(r) <= 0.05 for r in rs)} of 10"

    def iqr(values):
        q2, q1, q3 = np.quantile(values, [0.5, 0.25, 0.75])
        return f"{q2:.3f} [{q1:.3f}, {q3:.3f}]"

    tuning, held = group("aggregation-p2", restart, range(10)), group("aggregation-p2", restart, range(10, 20))
    without = group("aggregation-p2", plain, range(10, 20))
    first = lambda r: r["without_restart"]["error"]  # noqa: E731
    assert rows["p2, tuning 0-9: within 0.05"][:2] == [within(tuning), within(tuning, first)]
    assert rows["p2, held out 10-19: within 0.05"] == [
        f"{within(held)} (largest {max(r['final_error'] for r in held):.3f})", within(held, first),
        f"{within(without)} (largest {max(r['final_error'] for r in without):.3f})",
    ]  # fmt: skip
    assert rows["p2, held out: summed error, median [IQR]"] == [
        iqr([r["final_summed"] for r in held]), iqr([r["without_restart"]["summed"] for r in held]),
        iqr([r["final_summed"] for r in without]),
    ]  # fmt: skip
    c2st = rows["p2, held out: median C2ST"]
    assert [c2st[0], c2st[2]] == [f"{np.median([r['c2st'] for r in rs]):.2f}" for rs in (held, without)]
    checks = [[*r["restart"].get("earlier", []), r["restart"]] for r in held]
    restarts = sum(c["restarted"] for cs in checks for c in cs)
    assert rows["p2, held out: runs restarted (restarts)"][0] == f"{sum(cs[0]['restarted'] for cs in checks)} ({restarts})"
    gens = rows["p2, held out: generations, median [max]"]
    assert gens[0] == f"{np.median([r['generations'] for r in held]):g} [{max(r['generations'] for r in held)}]"
    assert gens[1] == f"{np.median([r['without_restart']['generation'] for r in held]):g}"
    assert gens[2] == f"{np.median([r['generations'] for r in without]):g} [{max(r['generations'] for r in without)}]"
    others = [r for t in ("aggregation", "aggregation-a", "aggregation-b") for r in group(t, restart, range(10, 20))]
    accuracies = [r["restart"]["accuracy"] for r in others]
    assert rows["p\\*, a, b, held out 10-19: runs restarted"][0] == (
        f"{sum(r['restart']['restarted'] for r in others)} of 30 (checks {min(accuracies):.2f}-{max(accuracies):.2f})"
    )


def test_the_one_replica_recovery_rows_with_the_memory_are_recomputed_from_their_runs():
    """"Aggregation under other truths": the memory's rows of the one-replica table, and the
    sentence on the same runs without the hall of fame, from recovery_one_replica_memory.json."""
    runs = json.loads((DOCS / "recovery_one_replica_memory.json").read_text())
    text = (DOCS / "results.md").read_text().split("## Aggregation under other truths", 1)[1].split("\n## ", 1)[0]

    def cells(rs):
        e = np.array([r["abs_error"] for r in rs])
        worst = e.max(axis=1)
        return (
            "(" + ", ".join(f"{x:.3f}" for x in np.median(e, axis=0)) + ")",
            f"{(worst <= 0.05).sum()} of 10 (worst {worst.max():.3f})",
            f"{np.median([r['c2st'] for r in rs]):.2f}",
        )

    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if "| memory |" in line]
    assert [r[0].split(" =")[0] for r in rows] == ["p*", "p2"]
    for row, name in zip(rows, ("p*", "p2"), strict=True):
        rs = [r for r in runs if r["truth_name"] == name and "learner.hall_of_fame" not in r["overrides"]]
        assert sorted(r["seed"] for r in rs) == list(range(10))
        assert tuple(row[2:]) == cells(rs)
    nohof = [r for r in runs if r["overrides"].get("learner.hall_of_fame") == 0]
    median, within, c2st = cells(nohof)
    worst = within.split("worst ")[1].rstrip(")")
    assert f"in {within.split(' (')[0]} seeds (median error {median}, worst {worst}, median C2ST {c2st})" in " ".join(
        text.split()
    )


def test_the_gp_runs_at_300_generations_with_the_memory_are_what_the_page_says():
    """"Policies and programs as models": the sentence on the GP preset's runs with the memory
    at 300 generations, from neural_gp_300_memory.json."""
    doc = json.loads((DOCS / "neural_gp_300_memory.json").read_text())
    runs = doc["runs"]
    assert doc["generations"] == 300 and doc["overrides"] == {} and sorted(r["seed"] for r in runs) == list(range(10))
    worst, c2st = [r["max_abs_error"] for r in runs], [r["c2st"] for r in runs]
    text = " ".join((DOCS / "results.md").read_text().split())
    assert (
        f"wheel speed within 0.05 in {sum(w <= 0.05 for w in worst)} of 10 seeds (median largest error "
        f"{np.median(worst):.4f}, largest {max(worst):.4f})" in text
    )
    assert f"(C2ST at most 0.6) in {sum(c <= 0.6 for c in c2st)} of 10 (median {np.median(c2st):.2f};" in text


def test_the_small_recording_table_is_recomputed_from_its_runs():
    """docs/results.md, "A small recording's held-out tests": every row from small_recordings.json."""
    stored = json.loads((DOCS / "small_recordings.json").read_text())["invocations"]
    section = (DOCS / "results.md").read_text().split("### A small recording's held-out tests", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| ") and "robots" in line]
    assert len(rows) == 8
    settings = {"the preset": {}, "no tracking noise, one genuine a trial": {
        "evaluation.c2st_noise": 0, "learner.genuine_per_trial": 1}}
    draws = {"each once": "each individual once", "with replacement": "with replacement"}
    for line in rows:
        recording, what, draw, trials, c2st, rejects = (c.strip() for c in line.strip("|").split("|"))
        (invocation,) = [i for i in stored if i["settings"] == settings[what]]
        (row,) = [
            r for r in invocation["rows"]
            if f"{r['individuals']} robots" == recording and r["draw"].startswith(draws[draw])
        ]  # fmt: skip
        values = [s["c2st"] for s in row["per_seed"]]
        assert trials == str(row["trials"])
        assert c2st == f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"
        assert rejects == f"{sum(s['rejected'] for s in row['per_seed'])} of {len(values)}"


def test_the_20_models_tuning_grid_is_recomputed_from_its_runs():
    """"Where the settings come from": each cell, "100 models / 20 models", is the mean summed
    error of the tuning seeds 100-101 in docs/peers_tuning.json, and the bold one the lower."""
    runs = json.loads((DOCS / "peers_tuning.json").read_text())["runs"]
    rows = _table_after(_peers_section(), "Where the settings come from")
    assert [r[0] for r in rows] == ["aggregation-interior", "stimulus-response", "object-clustering"]
    cells = [(1, 20000), (1, 100000), (10, 20000), (10, 100000)]
    for task, *row in rows:
        for (k, budget), cell in zip(cells, row, strict=True):
            mean = {}
            for learner in ("turing", "turing-20"):
                errors = [
                    r["summed_error"]
                    for r in runs
                    if (r["task"], r["learner"], r["k"], r["budget"]) == (task, learner, k, budget)
                    and r["seed"] in (100, 101)
                ]
                assert len(errors) == 2, f"{task} {learner} K={k} {budget}"
                mean[learner] = np.mean(errors)
            parts = [v.strip() for v in cell.split("/")]
            bold = [v.startswith("**") for v in parts]
            assert bold == [mean["turing"] < mean["turing-20"], mean["turing"] >= mean["turing-20"]], (
                f"{task} K={k} {budget}: bold"
            )
            shown = [v.strip("*") for v in parts]
            digits = [len(v.split(".")[1]) for v in shown]
            assert shown == [f"{mean[n]:.{d}f}" for n, d in zip(("turing", "turing-20"), digits, strict=True)], (
                f"{task} K={k} {budget}"
            )


def test_the_stimulus_response_readout_rows_with_the_memory_are_their_runs():
    """"Judges that read the whole trial": the rows' seed-by-seed errors with the memory are
    the stored tuning runs (seeds 100-107, K = 10, 100,000), and the medians theirs."""
    runs = json.loads((DOCS / "peers_tuning.json").read_text())["runs"]
    rows = _table_after(_peers_section(), "| change to `turing-20` | seeds 100-107, without the memory")
    learners = {"none": "turing-20", "reflect only": "turing-20r", "mean readout only": "turing-20o", "both": "turing-20g"}
    assert [r[0] for r in rows] == list(learners)
    for change, _without, _median, seeds, median in rows:
        rs = sorted(
            (r for r in runs if r["learner"] == learners[change] and r["task"] == "stimulus-response"
             and r["k"] == 10 and r["budget"] == 100000 and 100 <= r["seed"] <= 107),
            key=lambda r: r["seed"],
        )  # fmt: skip
        assert len(rs) == 8, change
        errors = [r["summed_error"] for r in rs]
        assert seeds.split() == [f"{e:.2f}" for e in errors], change
        assert median == f"{np.median(errors):.2f}", change


def test_the_recorded_samples_table_with_the_memory_is_recomputed_from_its_runs():
    """"Every simulated robot as a counterfeit": the first table's Turing Learning columns, the
    paired count and the bold lowest median, from docs/recorded_samples_memory.json."""
    from scipy.stats import wilcoxon

    runs = json.loads((DOCS / "recorded_samples_memory.json").read_text())["runs"]
    rows = _table_after((DOCS / "results.md").read_text(), "### Every simulated robot as a counterfeit")
    assert len(rows) == 6
    for k, budget, npe, replicas, every, better, p in rows:
        k, budget = int(k), int(budget.replace(",", ""))
        errors = {}
        for learner, cell in (("turing", replicas), ("turing-all", every)):
            by_seed = {r["seed"]: r["summed_error"] for r in runs if (r["learner"], r["k"], r["budget"]) == (learner, k, budget)}
            assert sorted(by_seed) == list(range(10)), f"{learner} K={k} {budget}"
            errors[learner] = np.array([by_seed[s] for s in range(10)])
            q1, q2, q3 = np.quantile(errors[learner], [0.25, 0.5, 0.75])
            assert cell.replace("**", "") == f"{q2:.3f} [{q1:.3f}, {q3:.3f}]", f"{learner} K={k} {budget}"
        medians = {"npe": float(npe.replace("**", "").split()[0])} | {n: np.median(e) for n, e in errors.items()}
        bold = [n for n, c in zip(medians, (npe, replicas, every), strict=True) if c.startswith("**")]
        assert bold == _lowest_as_shown(medians, 3), f"K={k} {budget}: bold {bold}"
        assert better == f"{int((errors['turing-all'] < errors['turing']).sum())} of 10"
        assert p == f"{wilcoxon(errors['turing-all'], errors['turing']).pvalue:.2f}"


def test_the_critic_of_sets_table_is_recomputed_from_its_runs():
    """"A critic of sets": every cell from docs/critic_sets.json (benchmarks/critic_sets.py)."""
    runs = json.loads((DOCS / "critic_sets.json").read_text())
    rows = _table_after((DOCS / "results.md").read_text(), "| system, seeds 10-14 | the critic judges |")
    assert len(rows) == 10
    for system, judges, parameter, estimate, error, c2st in rows:
        mine = [r for r in runs if r["system"] == system.split(" ")[0] and r["sets"] == (judges == "sets")]
        assert sorted(r["seed"] for r in mine) == [10, 11, 12, 13, 14]
        name, truth = parameter[:-1].split(" (")
        j = mine[0]["parameters"].index(name)
        assert float(truth) == mine[0]["truth"][j]
        e = np.array([r["estimate"][j] for r in mine])
        err = np.abs(e - float(truth))
        assert estimate == f"{np.median(e):.3f} [{e.min():.3f}, {e.max():.3f}]", (system, judges, name)
        assert error == f"{np.median(err):.3f} [{err.max():.3f}]", (system, judges, name)
        assert c2st == f"{np.median([r['c2st'] for r in mine]):.3f}", (system, judges)


def test_the_critic_of_sets_size_table_is_recomputed_from_its_runs():
    """"A critic of sets", the set's size: v_sd of walkers-2, walkers and walkers-8 from docs/critic_sets.json."""
    runs = json.loads((DOCS / "critic_sets.json").read_text())
    rows = _table_after((DOCS / "results.md").read_text(), "| walkers, seeds 10-14 | v_sd (0.25) judged by samples |")
    systems = {"sets of 2": "walkers-2", "sets of 4": "walkers", "sets of 8": "walkers-8"}
    assert [r[0] for r in rows] == list(systems)
    for size, samples, sets, c2st in rows:
        shown = []
        for judged in (False, True):
            mine = [r for r in runs if r["system"] == systems[size] and r["sets"] == judged]
            assert sorted(r["seed"] for r in mine) == [10, 11, 12, 13, 14]
            e = np.array([r["estimate"][1] for r in mine])
            shown.append((f"{np.median(e):.3f} [{e.min():.3f}, {e.max():.3f}]", f"{np.median([r['c2st'] for r in mine]):.3f}"))
        assert (samples, sets) == (shown[0][0], shown[1][0]), size
        assert c2st == f"{shown[0][1]} / {shown[1][1]}", size


def test_the_spread_check_table_is_recomputed_from_its_checks():
    """"Trials that vary less than the system's": every row from docs/spread_check.json
    (benchmarks/spread_check.py)."""
    runs = json.loads((DOCS / "spread_check.json").read_text())
    rows = _table_after((DOCS / "results.md").read_text(), "| system | parameters | the check spoke |")
    assert len(rows) == len(runs)
    for (system, what, spoke, way, ratio), run in zip(rows, runs, strict=True):
        found = [f for f in run["found"] if f is not None]
        ratios = [f["ratio"] for f in found]
        assert (system, what) == (run["system"], run["parameters"])
        assert spoke == f"{len(found)} of {len(run['seeds'])}", system
        assert way == (", ".join(sorted({"less" if r < 1 else "more" for r in ratios})) or "-"), system
        assert ratio == (f"{np.median(ratios):.2f}" if ratios else "-"), system
