"""Recorded observations: learn passively from a file of genuine trajectories.

**Schema** (long format: one row per individual and time step):

| column | type | meaning |
|---|---|---|
| ``individual`` | integer | which individual (trajectory) the row belongs to; any distinct ids |
| ``step`` | integer | time step, ``0 .. T-1``; every individual has every step exactly once |
| one column per feature | float | named as the environment's ``feature_names`` (``turinglearn envs``; e.g. ``linear_speed``, ``angular_speed`` for aggregation), normalised as the simulator normalises them |

Files: ``.csv`` (a header row with the column names), ``.npz`` (one 1-D array per column, all
of the same length; an optional array ``truth`` [d] records the parameters that produced the
data, when known, so runs report their error), ``.parquet`` (needs ``pyarrow``). ``T`` must
equal the environment's ``steps``; values must lie in the simulator's declared
``feature_space`` where it declares one.

**Learning** (``turinglearn run aggregation --set data=PATH``): the genuine samples are drawn
from the file, the counterfeit ones from the simulator, and discriminators only watch (a
recording cannot respond to an interrogator, so interactive environments need
``learner.passive = true``). The simulator does not know the genuine agents, so a model is
run in their place everywhere: a swarm environment simulates swarms made only of the model
(counterfeit samples: the replica robots of each), an interactive one runs the model under
its passive schedule.

**Writing a recording** from a simulator: :func:`record` (``turinglearn record aggregation
--out rec.npz --trials 100``) runs the environment's ground truth the same way (swarms of the
truth, every robot recorded; or the passive schedule) and writes every individual.
"""


from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from turinglearn.core.contracts import Evaluation, SampleBatch, is_interactive, judge_samples
from turinglearn.errors import ConfigError

SUFFIXES = (".csv", ".npz", ".parquet")
ID, STEP = "individual", "step"


@dataclass(frozen=True)
class Recording:
    """Trajectories of a file: x [N, T, F] float64, ids [N], truth [d] or None."""

    x: np.ndarray
    ids: np.ndarray
    feature_names: tuple[str, ...]
    truth: np.ndarray | None = None


# --- reading and validating -------------------------------------------------------------------


def _read_columns(path: Path) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """The file's columns by name (1-D arrays), and its truth (npz only)."""
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                cols = {k: np.asarray(f[k]) for k in f.files}
        except (OSError, ValueError) as e:
            raise ConfigError(f"cannot read recording {str(path)!r} as .npz: {e}", "data") from None
        truth = cols.pop("truth", None)
        for name, a in cols.items():
            if a.ndim != 1:
                raise ConfigError(
                    f"recording {str(path)!r}: array {name!r} has shape {a.shape}; every column must be 1-D "
                    "(one value per row: individual, step, features)",
                    "data",
                )
        return cols, None if truth is None else np.asarray(truth, float).ravel()
    if suffix == ".csv":
        try:
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read recording {str(path)!r}: {e}", "data") from None
        if not rows:
            raise ConfigError(
                f"recording {str(path)!r} is empty; it needs a header row and data rows", "data"
            )
        header = [h.strip() for h in rows[0]]
        body = [r for r in rows[1:] if r]
        for i, r in enumerate(body):
            if len(r) != len(header):
                raise ConfigError(
                    f"recording {str(path)!r}, line {i + 2}: {len(r)} values for {len(header)} columns",
                    "data",
                )
        cols = {}
        for j, name in enumerate(header):
            try:
                cols[name] = np.array([float(r[j]) if r[j].strip() else math.nan for r in body])
            except ValueError as e:
                raise ConfigError(f"recording {str(path)!r}, column {name!r}: {e}", "data") from None
        return cols, None
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                f"reading the Parquet recording {str(path)!r} needs pyarrow: pip install pyarrow "
                "(or save the recording as .npz or .csv)",
                "data",
            ) from None
        try:
            table = pq.read_table(path)
        except Exception as e:  # pyarrow's own error types
            raise ConfigError(f"cannot read recording {str(path)!r} as Parquet: {e}", "data") from None
        return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}, None
    raise ConfigError(
        f"recording {str(path)!r}: unknown file type {path.suffix!r}; use one of {', '.join(SUFFIXES)}",
        "data",
    )


def _as_int(a: np.ndarray, name: str, path: Path) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return a.astype(np.int64)
    af = a.astype(float)
    bad = ~np.isfinite(af) | (af != np.round(af))
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"recording {str(path)!r}: column {name!r} must hold integers, row {i} has {a[i]!r}", "data"
        )
    return af.astype(np.int64)


def read_recording(
    path: str | Path, feature_names, steps: int | None = None, feature_space=None
) -> Recording:
    """Read and validate a recording (schema: the module docstring) for an environment whose
    features are ``feature_names``, ``steps`` long, within ``feature_space`` (a Box or None).
    Every problem is a :class:`~turinglearn.errors.ConfigError` naming what to fix."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"recording {str(path)!r} does not exist; give the path of a {'/'.join(SUFFIXES)} file", "data"
        )
    cols, truth = _read_columns(path)
    names = tuple(feature_names)
    schema = ", ".join((ID, STEP, *names))
    missing = [c for c in (ID, STEP, *names) if c not in cols]
    extra = [c for c in cols if c not in (ID, STEP, *names)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks column(s) {', '.join(map(repr, missing))}")
        if extra:
            parts.append(f"has unexpected column(s) {', '.join(map(repr, extra))}")
        n_feat = len([c for c in cols if c not in (ID, STEP)])
        raise ConfigError(
            f"recording {str(path)!r} {' and '.join(parts)}: it has {n_feat} feature column(s), the environment "
            f"has {len(names)} ({', '.join(names)}); the schema is: {schema}",
            "data",
        )
    lengths = {c: len(cols[c]) for c in (ID, STEP, *names)}
    if len(set(lengths.values())) != 1:
        raise ConfigError(f"recording {str(path)!r}: columns have different lengths {lengths}", "data")
    n_rows = lengths[ID]
    if n_rows == 0:
        raise ConfigError(f"recording {str(path)!r} has no rows", "data")
    ids = _as_int(cols[ID], ID, path)
    t = _as_int(cols[STEP], STEP, path)
    values = np.stack([np.asarray(cols[c], dtype=float) for c in names], axis=1)  # [rows, F]
    bad = ~np.isfinite(values)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        raise ConfigError(
            f"recording {str(path)!r}: column {names[j]!r} has {values[r, j]} at individual {ids[r]}, step {t[r]} "
            f"(row {r}); {int(bad.sum())} value(s) are NaN or infinite; drop or fill those individuals",
            "data",
        )
    uniq, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    if len(set(counts.tolist())) != 1:
        short = uniq[np.argmin(counts)]
        raise ConfigError(
            f"recording {str(path)!r} is ragged: individual {short} has {counts.min()} steps, individual "
            f"{uniq[np.argmax(counts)]} has {counts.max()}; every individual needs the same T steps",
            "data",
        )
    n_steps = int(counts[0])
    order = np.lexsort((t, inverse))
    t_sorted = t[order].reshape(len(uniq), n_steps)
    want = np.arange(n_steps)
    wrong = (t_sorted != want).any(axis=1)
    if wrong.any():
        i = int(np.argmax(wrong))
        raise ConfigError(
            f"recording {str(path)!r}: individual {uniq[i]} has steps {t_sorted[i][:8].tolist()}...; each individual "
            f"needs every step 0 .. {n_steps - 1} exactly once",
            "data",
        )
    if steps is not None and n_steps != steps:
        raise ConfigError(
            f"recording {str(path)!r} has {n_steps} steps per individual; the environment runs {steps}: "
            f"set environment.steps = {n_steps} (--set environment.steps={n_steps})",
            "data",
        )
    x = values[order].reshape(len(uniq), n_steps, len(names))
    if feature_space is not None:
        low = np.broadcast_to(np.asarray(feature_space.low, float), (len(names),))
        high = np.broadcast_to(np.asarray(feature_space.high, float), (len(names),))
        out = (x < low) | (x > high)
        if out.any():
            i, k, j = np.argwhere(out)[0]
            raise ConfigError(
                f"recording {str(path)!r}: {names[j]} = {x[i, k, j]:g} at individual {uniq[i]}, step {k} lies outside "
                f"the declared range [{low[j]:g}, {high[j]:g}] ({int(out.sum())} value(s) outside); features must be "
                "normalised as the simulator normalises them",
                "data",
            )
    return Recording(x, uniq, names, truth)


# --- writing ----------------------------------------------------------------------------------


def write_recording(path: str | Path, x: np.ndarray, feature_names, truth=None) -> Path:
    """Write trajectories x [N, T, F] in the schema (suffix: .npz, .csv or .parquet)."""
    path = Path(path)
    x = np.asarray(x, dtype=float)
    n, t, f = x.shape
    if f != len(feature_names):
        raise ValueError(f"x has {f} features, feature_names {len(feature_names)}")
    cols = {ID: np.repeat(np.arange(n), t), STEP: np.tile(np.arange(t), n)}
    cols.update({name: x[:, :, j].ravel() for j, name in enumerate(feature_names)})
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".npz":
        extra = {} if truth is None else {"truth": np.asarray(truth, float)}
        np.savez_compressed(path, **cols, **extra)
    elif suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(list(cols))
            for row in zip(*(c.tolist() for c in cols.values()), strict=True):
                w.writerow([repr(v) for v in row])
    elif suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(
                "writing Parquet needs pyarrow: pip install pyarrow (or write .npz or .csv)"
            ) from None
        pq.write_table(pa.table(cols), path)
    else:
        raise ConfigError(f"unknown recording type {path.suffix!r}; use one of {', '.join(SUFFIXES)}")
    return path


def simulate_models(sim, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Run agents params [B, d] without anyone acting on them: [B, r, T, F].

    Swarm environments: ``B`` swarms in which every robot runs the row (``r = n_robots``, all
    observed); interactive ones: one trial each under the passive schedule (``r = 1``).
    """
    if not is_interactive(sim):
        n = sim.config.n_agents + sim.config.n_replicas
        feats = sim.rollout(np.repeat(params[:, None, :], n, axis=1), rng).features  # [B, N, T, F]
        return feats
    schedule = np.asarray(sim.passive_schedule(), float)  # [T, k]
    state = sim.reset(rng, (len(params),))
    out = []
    for t in range(sim.config.steps):
        state, f = sim.step(
            state, params, np.broadcast_to(schedule[t], (len(params), schedule.shape[1])), rng
        )
        out.append(np.asarray(f, float))
    return np.stack(out, axis=1)[:, None]  # [B, 1, T, F]


# --- the system: genuine from the file, counterfeit from the simulator ------------------------


class RecordedSystem:
    """Passive learning from a recording (see the module docstring).

    sim: the environment's batched simulator; recording: :class:`Recording`;
    trials_per_model: simulations of each model per generation; genuine_per_trial: recorded
    individuals shown per model trial (drawn at random, with replacement only when the file
    has too few).
    """

    def __init__(self, sim, recording: Recording, trials_per_model: int = 1, genuine_per_trial: int = 1):
        self.sim = sim
        self.recording = recording
        self.model_family = sim.model_family
        self.truth = recording.truth
        if self.truth is not None and len(self.truth) != self.model_family.n_params:
            raise ConfigError(
                f"the recording's truth has {len(self.truth)} values; the model family has "
                f"{self.model_family.n_params} ({', '.join(self.model_family.names)})",
                "data",
            )
        self.trials_per_model = trials_per_model
        self.genuine_per_trial = genuine_per_trial
        self.passive = True

    def _genuine(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n recorded individuals: [n, T, F]."""
        pool = len(self.recording.x)
        return self.recording.x[rng.choice(pool, size=n, replace=n > pool)]

    def _counterfeit(self, theta: np.ndarray, rng: np.random.Generator, trials: int) -> np.ndarray:
        """[M, trials, r, T, F]: the replica robots of swarms of the model, or passive trials."""
        feats = simulate_models(self.sim, np.repeat(theta, trials, axis=0), rng)  # [M*trials, N or 1, T, F]
        if not is_interactive(self.sim):
            feats = feats[:, self.sim.config.n_agents :]
        return feats.reshape(theta.shape[0], trials, *feats.shape[1:])

    def trajectories(self, theta: np.ndarray, rng: np.random.Generator, trials: int | None = None):
        """(genuine [M, trials, g, T, F] from the file, counterfeit [M, trials, r, T, F])."""
        trials = self.trials_per_model if trials is None else trials
        fake = self._counterfeit(theta, rng, trials)
        m, g = theta.shape[0], self.genuine_per_trial
        genuine = self._genuine(rng, m * trials * g).reshape(m, trials, g, *fake.shape[3:])
        return genuine, fake

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        genuine, fake = self.trajectories(theta, rng)
        g = genuine.reshape(-1, *genuine.shape[3:])
        c = fake.reshape(-1, *fake.shape[3:])
        m = theta.shape[0]
        return SampleBatch(
            x=np.concatenate([g, c]),
            genuine=np.concatenate([np.ones(len(g), bool), np.zeros(len(c), bool)]),
            owner=np.concatenate([np.full(len(g), -1), np.repeat(np.arange(m), len(c) // max(m, 1))]),
        )

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator,
        weights: np.ndarray,
        rng: np.random.Generator,
        part: int = 0,
        parts: int = 1,
    ) -> Evaluation:
        return judge_samples(self.samples(theta, rng), discriminator, weights)
