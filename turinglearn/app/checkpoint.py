"""Checkpoints: a run's whole state at a generation boundary, in one self-checking file.

``RUN_DIR/checkpoints/generation-000050.npz`` holds everything the next generation depends
on: both populations with their step sizes and random generator states, the hall of fame,
the generation counter, the metrics so far and the state of stateful hooks. A file is an
uncompressed ``.npz`` (no pickles): arrays are stored as arrays, everything else as one
JSON document with a SHA-256 digest of the arrays, so a truncated or corrupted file is
detected (:class:`CheckpointError`) and the previous good one is used.

Files are written atomically (:func:`turinglearn.app.runs.atomic_write`); the newest
``keep`` are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import numbers
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from turinglearn.app.runs import atomic_write
from turinglearn.config.schema import plain
from turinglearn.errors import ConfigError, RunDirError, TuringLearnError

FORMAT = 1
DIRECTORY = "checkpoints"
_NAME = re.compile(r"generation-(\d+)\.npz$")


class CheckpointError(TuringLearnError):
    """A checkpoint file is missing, truncated, corrupted or of another format."""


def _flatten(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Arrays out of a nested structure (replaced by ``{"__array__": key}``), the rest JSON."""
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, dict):
        return {str(k): _flatten(v, f"{prefix}{k}/", arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_flatten(v, prefix, arrays) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _unflatten(obj: Any, arrays) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return arrays[obj["__array__"]]
        return {k: _unflatten(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unflatten(v, arrays) for v in obj]
    return obj


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        h.update(f"{key}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def dumps(state: dict) -> bytes:
    """``state`` (nested dicts/lists of arrays, numbers, strings, None) as checkpoint bytes."""
    arrays: dict[str, np.ndarray] = {}
    tree = _flatten(state, "", arrays)
    meta = {"format": FORMAT, "digest": _digest(arrays), "state": tree}
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.array(json.dumps(meta)), **arrays)
    return buf.getvalue()


def load(path: Path) -> dict:
    """The state saved in ``path``; :class:`CheckpointError` if it is not intact."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["__meta__"]))
            arrays = {k: npz[k] for k in npz.files if k != "__meta__"}
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise CheckpointError(f"checkpoint {path} is damaged ({type(e).__name__}: {e})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint {path} has format {meta.get('format')!r}; this turinglearn reads {FORMAT}"
        )
    if _digest(arrays) != meta.get("digest"):
        raise CheckpointError(f"checkpoint {path} is damaged (its arrays do not match their digest)")
    return _unflatten(meta["state"], arrays)


def save(run_dir: Path, generation: int, state: dict, keep: int = 3) -> Path:
    """Write the checkpoint of ``generation`` (generations done) and prune to the newest ``keep``."""
    folder = Path(run_dir) / DIRECTORY
    try:
        folder.mkdir(exist_ok=True)
    except OSError as e:
        raise RunDirError(f"cannot create {folder}: {e.strerror or e}; check free space and permissions") from None
    path = folder / f"generation-{generation:06d}.npz"
    atomic_write(path, dumps(state))
    for old in checkpoints(run_dir)[:-keep]:
        try:
            old.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - a read-only old file: kept
            pass
    return path


# --- which settings a checkpoint belongs to ---------------------------------------------------

#: settings ``turinglearn resume`` may change: how a run is executed and when it stops (a
#: budget is per session), never what a generation computes (``execution.chunk_size`` fixes
#: the random streams, docs/design.md, "Randomness")
RESUMABLE_PREFIX = ("execution.", "stopping.")
#: they change the run
NOT_RESUMABLE = (
    "execution.chunk_size", "stopping.restart_above", "stopping.restart_at", "stopping.restart_when",
    "stopping.restarts",
)  # fmt: skip


#: the convergence rule's test, which also says when a restart's check is made with
#: ``restart_when = "settled"``: in such a run they shape what it computes
SETTLED = ("stopping.patience", "stopping.tolerance", "stopping.window")


def resumable(key: str, config=None) -> bool:
    """Whether the dotted setting ``key`` may change when the run of ``config`` is resumed
    (without ``config``: in a run whose restart is not checked when it settles)."""
    if key in SETTLED and config is not None and settled_restart(config):
        return False
    return key.startswith(RESUMABLE_PREFIX) and key not in NOT_RESUMABLE


def refusal(key: str, config) -> str | None:
    """Why the dotted setting ``key`` may not change when the run of ``config`` is resumed (None
    when it may): the message of the resume's ConfigError."""
    if resumable(key, config):
        return None
    if key == "generations":
        return "is the run's length: continue it to N generations in all with `turinglearn resume RUN --generations N`"
    if key in SETTLED:
        return (
            "tells when this run's restart is checked (restart_when = 'settled'): it shapes the run "
            "and cannot change when resuming"
        )
    from turinglearn.config import Config

    if not isinstance(config, Config):  # a GAN's: no chunks, no restart
        return "only execution and stopping settings can change when resuming"
    return (
        "only execution settings (not chunk_size) and stopping settings (not the restart's: "
        "restart_above, restart_at, restart_when, restarts) can change when resuming"
    )


def longer(config, status: Mapping, state: Mapping | None, generations, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` (dotted key -> value, for the rest of the run) with ``generations`` (the
    generations in all that a resume continues the run of ``config`` to) and, unless they set it,
    the convergence rule off, as ``turinglearn run --generations N`` has it: a run's generations
    before N do not depend on N (only its final estimate and evaluation do), so the result is
    the one a fresh run of N generations gives. Raises :class:`~turinglearn.errors.ConfigError`
    where it would not be (a restart checked at a share of the run, or one that kept a search
    for want of generations, as ``state``, the checkpoint resumed, records), or ``generations``
    is not more than ``status`` (run.json) says are done."""
    from turinglearn.peers import KINDS

    if isinstance(generations, bool) or not isinstance(generations, numbers.Integral) or generations < 1:
        raise ConfigError(f"must be a whole number of generations in all, got {generations!r}", "generations")
    done = max(int(status.get("generations_done") or 0), int((state or {}).get("generation", 0)))
    if generations <= done:
        raise ConfigError(
            f"the run has done {done} generations; give more than that (the generations in all, not more of them)",
            "generations",
        )
    from turinglearn.config import Config

    if isinstance(config, Config) and config.learner.kind in KINDS:  # a GAN's learner has no kind
        raise ConfigError(
            f"learner.kind = {config.learner.kind!r} ends with its simulation budget, not a number of "
            "generations; start a new run with a larger stopping.max_simulations",
            "generations",
        )
    st, anew = config.stopping, "; start a new run from its config: `turinglearn run RUN/config.toml --generations N`"
    if st.restart_above and st.restart_when != "settled":
        raise ConfigError(
            f"this run checks a restart at stopping.restart_at = {st.restart_at:g} of its generations, "
            f"where a run of {generations} checks elsewhere" + anew,
            "generations",
        )
    made = 0  # a check above the threshold that neither restarted nor had spent the restarts: too few were left
    restart = (state or {}).get("restart") or {}
    for check in restart.get("checks") or ([restart["check"]] if restart.get("check") else []):
        if check["accuracy"] > check["above"] and not check["restarted"] and made < st.restarts:
            raise ConfigError(
                f"this run's restart check at generation {check['generation']} kept its search because too few "
                f"generations were left, where a run of {generations} starts it afresh" + anew,
                "generations",
            )
        made += bool(check["restarted"])
    return {"stopping.converge": False, **settings, "generations": int(generations)}


def saved_generations(state: Mapping | None) -> int | None:
    """The ``generations`` of the run a checkpoint ``state`` was written by (None: no checkpoint,
    or one of a version that kept no fingerprint)."""
    saved = ((state or {}).get("fingerprint") or {}).get("settings") or {}
    return None if "generations" not in saved else int(saved["generations"])


def settled_restart(config) -> bool:
    """Whether ``config``'s run checks for a restart when its estimate settles."""
    st = config.stopping  # a GAN's too: one StoppingConfig for every kind of run
    return st.restart_when == "settled" and st.restart_above > 0


def _dotted(table: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        if isinstance(v, dict):
            out.update(_dotted(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = plain_value(v)
    return out


def plain_value(v):
    """A setting's value as :func:`settings_of` holds it (tuples as lists)."""
    return list(v) if isinstance(v, tuple) else v


def settings_of(config) -> dict[str, Any]:
    """Every setting of ``config``, as dotted key -> value."""
    return _dotted(config.to_dict())


def fingerprint(config) -> dict:
    """The settings that shape a run (all but the :func:`resumable` ones), as dotted key ->
    value, and their SHA-256: stored in every checkpoint, compared by :func:`check_fingerprint`."""
    settings = {k: v for k, v in sorted(settings_of(config).items()) if not resumable(k, config)}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "settings": settings}


#: the settings that may name a file a run reads (:func:`input_settings`)
INPUT_KEYS = ("data", "evaluation.c2st_schedule")


def input_settings(config) -> dict[str, str]:
    """The settings of ``config`` that name a file or folder the run reads, by dotted key:
    ``data`` (a recording, a GAN's images; not ``digits`` or ``mnist``) and a ``.npy``
    ``evaluation.c2st_schedule``."""
    from turinglearn.config import Config

    out = {}
    if config.data and config.data not in ("digits", "mnist"):  # a GAN's named images are no file
        out["data"] = config.data
    if isinstance(config, Config) and config.evaluation.c2st_schedule.endswith(".npy"):  # a GAN has none
        out["evaluation.c2st_schedule"] = config.evaluation.c2st_schedule
    return out


def input_digests(config) -> dict[str, str]:
    """SHA-256 of the contents of every file :func:`input_settings` names that exists (of a
    folder of images: the images the loader reads, their relative paths and contents in order,
    outside any run directory within it): kept in each checkpoint, so that a resume that reads
    another file of the same name is refused (:func:`check_inputs`). A file that cannot be read
    leaves its setting out (the loader names it)."""
    from turinglearn.config.gan import image_files

    digests = {}
    for key, value in input_settings(config).items():
        path = Path(value)
        if path.is_dir():  # a GAN's images: what the loader reads
            files = image_files(path)
        else:
            files = [path] if path.is_file() else []
        if not files:
            continue
        h = hashlib.sha256()
        try:
            for f in files:
                if f is not path:
                    h.update(str(f.relative_to(path)).encode("utf-8", "surrogateescape") + b"\0")
                with open(f, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        h.update(block)
        except OSError:
            continue
        digests[key] = h.hexdigest()
    return digests


def check_inputs(state: dict, config, began: str | None = None) -> None:
    """Raise :class:`~turinglearn.errors.ConfigError` where a file the run read (its checkpoint's
    ``inputs``) now has other contents (checkpoints of older versions carry none and are accepted;
    a file that is missing the loader names)."""
    saved = state.get("inputs")
    if not isinstance(saved, dict):
        return
    now = input_digests(config)
    for key, digest in saved.items():
        if key in now and now[key] != digest:
            where = f"resume from the directory the run began in, {began}, or " if began else ""
            raise ConfigError(
                f"{input_settings(config)[key]} is not what the run began with: its contents differ (SHA-256); "
                f"{where}restore the file the run read",
                key,
            )


def _same_place(a, b, began: str | None) -> bool:
    """Whether two values of ``data`` name one file: as given, or a relative one read from the
    directory ``began`` where the run began (a resume from elsewhere records it so)."""
    if not (isinstance(a, str) and isinstance(b, str) and a and b and began):
        return False
    where = [Path(x) if Path(x).is_absolute() else Path(began) / x for x in (a, b)]
    return where[0].resolve() == where[1].resolve()


def check_fingerprint(state: dict, config, where: str, skip: tuple[str, ...] = (), began: str | None = None) -> None:
    """Raise :class:`~turinglearn.errors.ConfigError` naming the settings of ``config`` that
    differ from those the checkpoint ``state`` was written with (checkpoints of older versions
    carry none and are accepted); settings whose key starts with one of ``skip`` are not compared,
    and ``data`` given relative to ``began`` (the run's first directory) and absolute are one."""
    saved = state.get("fingerprint")
    if not isinstance(saved, dict) or "settings" not in saved:
        return
    now = fingerprint(config)
    if now["digest"] == saved.get("digest"):
        return
    before = saved["settings"]
    if skip:
        before = {k: v for k, v in before.items() if not k.startswith(skip)}
        now = {"settings": {k: v for k, v in now["settings"].items() if not k.startswith(skip)}}
    keys = sorted(
        k
        for k in set(before) | set(now["settings"])
        if before.get(k) != now["settings"].get(k)
        and not (k in INPUT_KEYS and _same_place(before.get(k), now["settings"].get(k), began))
        # a setting added since the checkpoint was written: its default is what that version did
        and not (k not in before and now["settings"][k] == _default(config, k))
    )
    if not keys:
        return
    shown = "; ".join(
        f"{k} = {_show(now['settings'].get(k))}, the run's is {_show(before.get(k))}" for k in keys[:5]
    )
    more = f" (and {len(keys) - 5} more)" if len(keys) > 5 else ""
    raise ConfigError(
        f"config.toml differs from the settings of {where}: {shown}{more}; restore them "
        "(only execution settings other than chunk_size, and stopping settings other than the restart's, "
        "may change when resuming; with a restart checked when the estimate settles, not patience, "
        "tolerance or window either)"
    )


def same_value(a, b) -> bool:
    """Settings (or a checkpoint's model family: names, bounds, truth) as TOML and checkpoints
    hold them, NaN equal to NaN (a setting of NaN is the same setting)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return a == b


_MISSING = object()


def _default(config, key: str) -> Any:
    """The default of the dotted setting ``key`` of ``config``'s sections, or of its environment's
    settings class (a field added to one's own simulator's settings since the run began), as the
    fingerprint stores values (``_MISSING`` where the key has none)."""
    *path, name = key.split(".")
    if path == ["environment"] and name not in ("id", "options"):
        from turinglearn.environments import config_class, known

        env_id = config.environment.id
        section = config_class(env_id) if known(env_id) else None
        return _field_default(section, name)
    section = config
    for part in path:
        section = getattr(section, part, None)
    return _field_default(section, name)


def _field_default(section, name: str) -> Any:
    if not dataclasses.is_dataclass(section):
        return _MISSING
    field = {f.name: f for f in dataclasses.fields(section)}.get(name)
    if field is None:
        return _MISSING
    if field.default is not dataclasses.MISSING:
        return plain(field.default)
    if field.default_factory is not dataclasses.MISSING:  # e.g. a list or a table
        return plain(field.default_factory())
    return _MISSING


def _show(v) -> str:
    return "(absent)" if v is None else json.dumps(v)


def checkpoints(run_dir: Path) -> list[Path]:
    """A run's checkpoint files, oldest first."""
    folder = Path(run_dir) / DIRECTORY
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.search(p.name))]
    return [p for _, p in sorted(found)]


def latest(run_dir: Path, warn=None) -> tuple[Path, dict] | None:
    """The newest intact checkpoint of a run and its state (``None`` if there is none);
    every damaged newer one is reported through ``warn`` and skipped."""
    for path in reversed(checkpoints(run_dir)):
        try:
            return path, load(path)
        except CheckpointError as e:
            if warn is not None:
                warn(f"{e}; using the previous checkpoint")
    return None
