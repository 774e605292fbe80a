"""A ``turinglearn benchmark peers`` directory holds one set of settings
(``OUT/benchmark.json``): what a rerun may add to it and what it must keep."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from turinglearn.errors import ConfigError


def _learner_of(key: str) -> str:
    """The scope of a --set key, or its learner where it is ``LEARNER@TASK``."""
    return key.rpartition(":")[0].partition("@")[0]


def _contents(preset: str) -> dict[str, str]:
    """A config file's digest (a task of one's own): edited, it defines another task, whose
    recordings the directory's would not be."""
    import hashlib

    path = Path(preset)
    if not path.is_file():
        return {}
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def check_directory(
    out: Path, planned: Mapping[str, tuple[str, dict]], kinds: Mapping[str, str], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """A benchmark directory holds one set of settings: a rerun continues it only with the same
    task definitions, --set and learner names; more seeds, budgets, K or learners (with their
    own ``LEARNER:KEY`` settings) are fine. ``planned``: task -> (preset, its settings);
    ``kinds``: learner name -> learner.kind. Returns what benchmark.json is to hold: the
    directory's settings and these together."""
    path = out / "benchmark.json"
    tasks = {t: {"preset": pr, "settings": ov, **_contents(pr)} for t, (pr, ov) in planned.items()}
    learners = dict(kinds)  # name -> learner.kind: a name means one learner in a directory
    merged = dict(overrides)
    if path.is_file():
        old = json.loads(path.read_text())
        before = old.get("learners", {})
        ran = set(before) | {d.name for d in (out / "runs").glob("*/*") if d.is_dir()}
        # a --set scoped to a learner that only one of the two runs has is that learner's own
        mine = {_learner_of(k) for k in overrides} & set(kinds) - ran
        theirs = {_learner_of(k) for k in old.get("overrides", {})} & ran - set(kinds)

        def shared(sets: Mapping[str, Any]) -> dict:
            return {
                k: v for k, v in json.loads(json.dumps(sets)).items() if _learner_of(k) not in mine | theirs
            }

        same = (
            shared(old.get("overrides", {})) == shared(overrides)
            and all(
                old["tasks"][t] == json.loads(json.dumps(v)) for t, v in tasks.items() if t in old["tasks"]
            )
            and all(before.get(name, kind) == kind for name, kind in kinds.items())
        )
        edited = [
            t for t, v in tasks.items()
            if t in old["tasks"] and "sha256" in v and old["tasks"][t].get("sha256") != v["sha256"]
        ]  # fmt: skip
        if edited:
            raise ConfigError(
                f"--out {out}: the config file of task {edited[0]!r} ({tasks[edited[0]]['preset']}) changed since the "
                "benchmark there recorded it; its recordings are of the old one: choose another --out, or restore it"
            )
        if not same:
            raise ConfigError(
                f"--out {out}: it holds a benchmark with other settings ({path}); rerun with those, "
                "or choose another --out"
            )
        tasks = {**old["tasks"], **tasks}
        learners = {**before, **learners}
        merged = {**old.get("overrides", {}), **merged}
    return {"overrides": merged, "tasks": tasks, "learners": learners}
