"""Checks for extension points: does your own simulator, model family, discriminator or optimiser fit?

Each check probes the object with a small batch and raises :class:`ContractError` listing
*every* problem it found (missing attributes or methods, wrong shapes or dtypes returned, a
stimulus space that cannot be used, results that change under a fixed seed, values out of
bounds), or returns ``None`` when the object fits::

    from turinglearn import check_environment, check_model_family, check_discriminator, check_optimizer
    check_environment(MySim())          # or a registered id: "turinglearn/PendulumPD-v0"
    check_model_family(MySim.model_family)
    check_discriminator(MyClassifier(), n_inputs=2)
    check_optimizer(MyES(), n=4, lower=family.lower, upper=family.upper)

The contracts are those of :mod:`turinglearn.core` (model and discriminator families),
:mod:`turinglearn.systems.interactive` (interrogable simulators) and
:class:`turinglearn.systems.swarm.SwarmSystem` (swarm simulators).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from turinglearn.app.interactive_probes import STIMULUS_IGNORED, interactive_probes
from turinglearn.app.policy_probes import policy_probes
from turinglearn.app.probes import NOTHING_TO_CHANGE
from turinglearn.app.probes import call as _call
from turinglearn.app.probes import float_array as _float_array
from turinglearn.app.swarm_probes import swarm_probes
from turinglearn.core.contracts import (
    DiscriminatorFamily,
    InteractiveSimulator,
    Interrogator,
    ModelFamily,
    SwarmConfig,
    SwarmSimulator,
    check_instance,
    is_interactive,
    members,
)
from turinglearn.errors import TuringLearnError, TuringLearnWarning, positive_int, warn
from turinglearn.families.parametric import bound_problem


class ContractError(TuringLearnError):
    """An object does not fit a contract; ``problems`` lists every violation found."""

    def __init__(self, what: str, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{what} does not fit the contract ({len(self.problems)} problem(s)):\n{lines}")


def _name(obj) -> str:
    return obj if isinstance(obj, str) else type(obj).__name__


def _missing(obj, contract: type, only: tuple[str, ...] | None = None) -> list[str]:
    """The members of ``contract`` (a Protocol of :mod:`turinglearn.core.contracts`) that
    ``obj`` lacks, each with what the contract says it is (``only``: just these members)."""
    attrs, methods = members(contract)
    have = set(dir(obj))
    out = []
    for a, why in attrs.items():
        if only and a not in only:
            continue
        if a not in have:
            out.append(f"missing attribute {a!r} ({why})")
            continue
        try:  # a property can be listed and still fail when read
            getattr(obj, a)
        except Exception as e:  # the user's code: any failure is a finding
            out.append(f"attribute {a!r} raised {type(e).__name__} when read: {e} ({why})")
    return out + [
        f"missing method {m}{sig}" for m, sig in methods.items() if m not in have and (not only or m in only)
    ]


# --- model families ---------------------------------------------------------------------------


def _family_problems(family) -> list[str]:
    problems = _missing(family, ModelFamily)
    if problems:
        return problems
    d = family.n_params
    if not positive_int(d):
        return [f"n_params must be a positive integer, got {d!r}"]
    names = family.names
    if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
        problems.append(f"names must be a tuple of strings, got {names!r}")
    elif len(names) != d:
        problems.append(f"names has {len(names)} entries; n_params is {d}")
    elif len(set(names)) != len(names):
        problems.append(f"names must be distinct, got {tuple(names)}")
    lo, hi = np.asarray(family.lower), np.asarray(family.upper)
    for label, b in (("lower", lo), ("upper", hi)):
        if b.shape != (d,):
            problems.append(f"{label} has shape {b.shape}; expected ({d},) = (n_params,)")
        elif b.dtype.kind not in "fiu" or not np.isfinite(b.astype(float)).all():
            problems.append(f"{label} must be finite numbers, got {b!r}")
    if not problems and (problem := bound_problem(names, lo, hi)) is not None:
        problems.append(problem[1])
    return problems


def check_model_family(family) -> None:
    """Check a model family (:class:`turinglearn.core.contracts.ModelFamily`): ``n_params``, ``names``,
    ``lower`` and ``upper`` bounds, consistent with each other."""
    problems = _family_problems(family)
    if problems:
        raise ContractError(f"model family {_name(family)}", problems)


# --- discriminators ---------------------------------------------------------------------------


#: samples in one of :func:`check_discriminator`'s calls: a generation judges hundreds at once
LARGE_BATCH = 300


def check_discriminator(
    disc, n_inputs: int | None = None, steps: int = 7, seed: int = 0, evolved: bool = True
) -> None:
    """Check a discriminator family (:class:`turinglearn.core.contracts.DiscriminatorFamily`): ``n_weights``,
    ``n_inputs`` and ``judge(w [D, k], x [S, T, F]) -> [D, S]`` in [0, 1], deterministic, each
    sample judged on its own, at more than one batch size (one of 300 samples), finite and in
    [0, 1] at weights 30 and 1,000 times larger where its weights are ``evolved`` (a
    gradient-trained judge's stay small), reading its weights (a weight that
    changes nothing is warned of). ``n_inputs``: features per step to probe with (default: the
    family's ``n_inputs``).
    Interrogators (``n_outputs > 1``) must also offer the recurrent pieces that
    :class:`~turinglearn.systems.interactive.InteractiveSystem` steps."""
    problems = _missing(disc, DiscriminatorFamily, only=("n_weights", "n_inputs", "judge"))
    if problems:
        raise ContractError(f"discriminator {_name(disc)}", problems)
    k = disc.n_weights
    if not positive_int(k):
        raise ContractError(
            f"discriminator {_name(disc)}", [f"n_weights must be a positive integer, got {k!r}"]
        )
    f = n_inputs if n_inputs is not None else int(disc.n_inputs)
    rng = np.random.default_rng(seed)
    d_, s_ = 3, 5
    w = rng.normal(0.0, 1.0, size=(d_, k))
    x = rng.normal(0.0, 0.5, size=(s_, steps, f))
    w_given, x_given = w.copy(), x.copy()
    raw = _call(problems, "judge", disc.judge, w, x)
    changed = [name for name, a, b in (("w", w, w_given), ("x", x, x_given)) if not np.array_equal(a, b)]
    if changed:  # the learner hands over the population's own arrays
        problems.append(
            f"judge changed its input {' and '.join(changed)} in place: work on copies "
            "(x = x - x.mean(...), not x -= ...); the learner passes the population's own arrays"
        )
        w, x = w_given, x_given
    out = (
        None
        if raw is None
        else _float_array(problems, f"judge(w [{d_}, {k}], x [{s_}, {steps}, {f}])", raw, (d_, s_))
    )
    if out is not None:
        if ((out < 0) | (out > 1)).any():
            problems.append(
                f"judge returned values outside [0, 1] (min {out.min():g}, max {out.max():g}); > 0.5 means genuine"
            )
        again = _call(problems, "judge (second call)", disc.judge, w.copy(), x.copy())
        if again is not None and not np.array_equal(np.asarray(again, float), out):
            problems.append("judge is not deterministic: the same weights and samples gave different outputs")
            raise ContractError(f"discriminator {_name(disc)}", problems)  # the probes below compare calls
        other = (2, 9)  # another batch: a judge that keeps a batch size of its own fails here
        raw = _call(problems, "judge on another batch", disc.judge, w[:2], rng.normal(0.0, 0.5, (other[1], steps + 2, f)))
        if raw is not None:
            _float_array(problems, f"judge(w [2, {k}], x [9, {steps + 2}, {f}])", raw, other)
        part = _call(problems, "judge on a subset of samples", disc.judge, w, x[1:3])
        if (
            part is not None
            and np.shape(part) == (d_, 2)
            and not np.allclose(np.asarray(part, float), out[:, 1:3], atol=1e-6)
        ):
            problems.append("judge's output for a sample depends on the other samples in the batch")
        big = (2, LARGE_BATCH)  # a generation's batch: a judge of fixed buffers (64 samples) fails here
        own = np.random.default_rng([seed, 1])  # the probes below draw from their own stream: the others' stay as they were
        raw = None if problems else _call(problems, f"judge on {LARGE_BATCH} samples", disc.judge, w[:2], own.normal(0.0, 0.5, (big[1], steps, f)))
        if raw is not None:
            _float_array(problems, f"judge(w [2, {k}], x [{big[1]}, {steps}, {f}])", raw, big)
        for scale in (30.0, 1000.0) if evolved and not problems else ():  # evolved weights grow: finite and in [0, 1] there
            with np.errstate(all="ignore"):  # the overflow is what is looked for
                far = _call(problems, f"judge at weights {scale:g} times the probe's", disc.judge, w * scale, x * 4)
            at = f"at weights {scale:g} times the probe's"
            far = None if far is None else np.asarray(far, float) if np.shape(far) == (d_, s_) else None
            if far is not None and not (np.isfinite(far) & (far >= 0) & (far <= 1)).all():
                got = "NaN or infinite values" if not np.isfinite(far).all() else f"values outside [0, 1] (min {far.min():g}, max {far.max():g})"
                problems.append(
                    f"judge returned {got} {at}: evolved weights grow that large; squash with a sigmoid that "
                    "cannot overflow, e.g. scipy.special.expit(z), or 0.5 * (1 + np.tanh(z / 2))"
                )
            if far is None or problems:
                break
        one = _call(problems, "judge with one discriminator", disc.judge, w[1:2], x)
        if (
            one is not None
            and np.shape(one) == (1, s_)
            and not np.allclose(np.asarray(one, float), out[1:2], atol=1e-6)
        ):
            problems.append("judge's output for a discriminator depends on the other discriminators' weights")
    n_out = disc.n_outputs if "n_outputs" in dir(disc) else 1  # more than one: an interrogator
    if not problems:  # an interrogator's stimulus outputs act through the system, not on judge's output here
        problems += _weight_problems(disc, k, steps, f, rng, each=n_out == 1)
    if not problems and n_out > 1:
        problems += _missing(disc, Interrogator)
        if not problems:
            net = _call(problems, "unpack", disc.unpack, w.astype(disc.dtype))
            h = np.zeros((d_, s_, disc.n_hidden), dtype=disc.dtype)
            if net is not None:
                h2 = _call(
                    problems,
                    "hidden_step",
                    disc.hidden_step,
                    net,
                    x[:, 0].astype(disc.dtype)[None].repeat(d_, 0),
                    h,
                )
                if h2 is not None and np.shape(h2) != h.shape:
                    problems.append(f"hidden_step returned shape {np.shape(h2)}; expected {h.shape}")
                o = _call(problems, "output", disc.output, net, h)
                if o is not None:
                    _float_array(problems, "output", o, (d_, s_, n_out))
    if problems:
        raise ContractError(f"discriminator {_name(disc)}", problems)


def _weight_problems(disc, k: int, steps: int, f: int, rng, each: bool = True) -> list[str]:
    """A judge must read its weights: on a probe of 20 samples, three other draws of weights
    must not all give the same outputs (a problem: selection cannot act on it); with ``each``,
    each weight moved alone by 2 either way should change some output (a :class:`CheckWarning` names those
    that change nothing, at most 256 of them probed: n_weights may count weights judge never
    reads). Every row is judged in one call: the rows are judged apart (checked before)."""
    problems: list[str] = []
    x = rng.normal(0.0, 1.0, (20, steps, f))
    draws = rng.normal(0.0, 1.0, (4, 3, k))  # the probe's weights, then three other draws
    columns = (np.arange(k) if k <= 256 else np.sort(rng.choice(k, 256, replace=False))) if each else np.arange(0)
    moved = np.broadcast_to(draws[0], (2, len(columns), 3, k)).copy()  # [2, C, 3, k]: column c moved by +2, -2
    at = np.arange(len(columns))
    moved[0, at, :, columns] += 2.0  # both ways: a thresholded judge may not flip one way
    moved[1, at, :, columns] -= 2.0
    rows = np.concatenate([draws.reshape(-1, k), moved.reshape(-1, k)])
    out = _call(problems, "judge on the weights' probe", disc.judge, rows, x)
    if out is None or np.shape(out) != (len(rows), 20):
        return problems
    out = np.asarray(out, float)
    base, others = out[:3], out[3:12].reshape(3, 3, 20)
    if all(np.array_equal(o, base) for o in others):
        return ["judge gave the same outputs for other weights: it must read w [D, k], one row per discriminator"]
    same = (out[12:].reshape(2, len(columns), 3, 20) == base).all(axis=(0, 2, 3))  # [C]
    unused = [int(j) for j in columns[same]]
    if unused:
        warn(
            f"discriminator {_name(disc)}: weights {unused[:10]}{' ...' if len(unused) > 10 else ''} change no output when "
            f"moved alone (of {len(columns)} probed): n_weights ({k}) may count weights judge never reads",
            CheckWarning,
        )
    return []


# --- optimisers -------------------------------------------------------------------------------


# --- simulators -------------------------------------------------------------------------------


def _resolve(sim_or_id):
    if not isinstance(sim_or_id, str):
        check_instance(sim_or_id)
        return sim_or_id
    from turinglearn.app.build import make_simulator
    from turinglearn.config import Config, EnvironmentConfig

    return make_simulator(Config(environment=EnvironmentConfig(sim_or_id)))


class CheckWarning(TuringLearnWarning):
    """Something that will not stop a run but will spoil what it shows (e.g. a feature whose
    spread the held-out test's tracking noise swamps)."""


@dataclass
class CheckReport:
    """What :func:`check_environment` found: ``problems`` (the simulator does not fit; a run
    would fail or learn nothing) and ``warnings`` (it fits, but something will mislead)."""

    what: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{self.what}: {len(self.problems)} problem(s), {len(self.warnings)} warning(s)"]
        lines += [f"  - problem: {p}" for p in self.problems] + [f"  - warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _interactive_problems(sim, seed: int, noise: float) -> tuple[list[str], list[str]]:
    from turinglearn.errors import ConfigError
    from turinglearn.systems.interactive import check_stimulus_space

    problems = _missing(
        sim, InteractiveSimulator, only=("feature_names", "reset", "step", "passive_schedule")
    )
    space = sim.stimulus_space if "stimulus_space" in dir(sim) else None
    try:
        low, high = check_stimulus_space(space)
    except ConfigError as e:
        problems.append(f"stimulus_space: {e}")
        return problems, []
    if problems:
        return problems, []
    discrete = [] if np.dtype(space.dtype).kind == "f" else [
        f"stimulus_space has dtype {np.dtype(space.dtype)}, but stimuli are continuous in [low, high] whatever the "
        "dtype (an interrogator's output is mapped into the box): round or threshold them in step (e.g. "
        "stimulus[..., 0] > 0.5 for ON/OFF), and declare the box as float"
    ]
    schedule = _call(problems, "passive_schedule()", sim.passive_schedule)
    if schedule is not None:
        schedule = _float_array(problems, "passive_schedule()", schedule, (sim.config.steps, len(low)))
        outside = None if schedule is None else (schedule < low) | (schedule > high)
        if outside is not None and outside.any():
            t, k = np.argwhere(outside)[0]
            problems.append(
                f"passive_schedule() leaves the stimulus space [{low}, {high}]: {schedule[t, k]:g} at step {t}"
                + (f", stimulus dimension {k}" if schedule.shape[1] > 1 else "")
            )
    more, warnings = interactive_probes(sim, low, high, seed, noise)
    return problems + more, discrete + warnings


def _swarm_problems(sim, seed: int, noise: float) -> tuple[list[str], list[str]]:
    problems = _missing(sim, SwarmSimulator, only=("feature_names", "rollout", "swarm_params"))
    problems += [f"config: {p}" for p in _missing(sim.config, SwarmConfig, only=("n_agents", "n_replicas"))]
    if problems:
        return problems, []
    return swarm_probes(sim, seed, noise)


def inspect_environment(
    sim_or_id, seed: int = 0, noise: float | None = None, policy: bool = False, passive: bool = False
) -> CheckReport:
    """Everything :func:`check_environment` checks, as a :class:`CheckReport` (never raises
    for the simulator's faults). ``passive``: the run watches passively (``learner.passive``),
    so a stimulus that changes nothing is as it should be, not warned of."""
    if noise is None:
        from turinglearn.config import EvaluationConfig

        noise = EvaluationConfig().c2st_noise
    sim = _resolve(sim_or_id)
    report = CheckReport(f"simulator {_name(sim_or_id)}")
    problems = report.problems
    interactive = is_interactive(sim) or "passive_schedule" in dir(sim)  # which contract, for every rule below
    shared = InteractiveSimulator if interactive else SwarmSimulator  # (its hint says what its config holds)
    problems += _missing(sim, shared, only=("model_family", "truth", "config"))
    if problems:
        return report
    problems += [f"model_family: {p}" for p in _family_problems(sim.model_family)]
    if problems:
        return report
    d = sim.model_family.n_params
    truth = np.asarray(sim.truth, float) if sim.truth is not None else None
    if truth is None or truth.shape != (d,):
        problems.append(
            f"truth must be an array of shape ({d},), got {None if truth is None else truth.shape}"
            + (" (a simulator of recorded data may have none: give it one inside the bounds to check it)"
               if truth is None else "")
        )  # fmt: skip
    elif ((truth < sim.model_family.lower) | (truth > sim.model_family.upper)).any():
        lower, upper = np.asarray(sim.model_family.lower, float), np.asarray(sim.model_family.upper, float)
        out = [
            f"{n} = {t:g} not in [{lo:g}, {hi:g}]"
            for n, t, lo, hi in zip(sim.model_family.names, truth, lower, upper, strict=True)
            if not lo <= t <= hi
        ]
        problems.append(
            f"truth {truth.tolist()} lies outside the model family's bounds ({'; '.join(out)}): move the truth "
            "inside, or widen the bounds"
        )
    steps = sim.config.steps if "steps" in dir(sim.config) else None
    if not positive_int(steps):
        problems.append(f"config.steps must be a positive integer, got {steps!r}")
    names = sim.feature_names if "feature_names" in dir(sim) else None
    if names is not None and (
        not isinstance(names, (tuple, list)) or not names or not all(isinstance(n, str) for n in names)
    ):
        problems.append(f"feature_names must be a non-empty tuple of strings, got {names!r}")
    if problems:
        return report
    found = (_interactive_problems if interactive else _swarm_problems)(sim, seed, noise)
    crashed = any(p.startswith("rollout raised") for p in found[0])
    if crashed and not interactive and all(m in dir(sim) for m in ("reset", "sense", "step")):
        problems += policy_probes(sim, seed)[0]  # a rollout built on sense and step: the step at fault first
        policy = False
    problems += found[0]
    report.warnings += [w for w in found[1] if not (passive and w.startswith(STIMULUS_IGNORED))]
    if policy and not problems:
        if interactive:
            problems.append("a policy model (models.kind mlp, gru or gp) runs in a swarm; this simulator is interactive")
        else:
            found = policy_probes(sim, seed)
            problems += found[0]
            report.warnings += found[1]
    return report


def check_environment(
    sim_or_id, seed: int = 0, noise: float | None = None, policy: bool = False, passive: bool = False
) -> CheckReport:
    """Check a batched simulator (or a registered id) against its contract
    (:class:`~turinglearn.core.contracts.SwarmSimulator` or
    :class:`~turinglearn.core.contracts.InteractiveSimulator`) and probe what it does.

    Contract: the model family and truth, ``feature_names``, ``config.steps``; interactive:
    the stimulus space and the passive schedule; swarm: ``config.n_agents`` /
    ``n_replicas``, ``swarm_params`` (truth in the agents' rows, the model in the replicas').
    Probes (:mod:`turinglearn.app.probes`): shapes, dtypes and finiteness of every answer;
    every trial (every robot) follows its own parameter row; determinism under a generator of
    a fixed seed; features inside the declared ``feature_space``; the truth and a distant
    model distinguishable. Raises :class:`ContractError` listing every problem; returns the
    :class:`CheckReport`, whose warnings (a feature whose spread is below the held-out test's
    tracking noise ``noise``, default ``evaluation.c2st_noise``) are also issued as
    :class:`CheckWarning`\\ s. ``policy``: also the route a policy model (``models.kind`` ``mlp``,
    ``gru``, ``gp``) takes, through ``reset``, ``sense`` and ``step`` (:func:`~turinglearn.app.policy_probes.policy_probes`).
    ``passive``: the run watches passively; a stimulus that changes nothing is not warned of.
    """
    report = inspect_environment(sim_or_id, seed, noise, policy, passive)
    if report.problems:
        raise ContractError(report.what, report.problems)
    for w in report.warnings:
        if not w.endswith(NOTHING_TO_CHANGE):  # a fact to know, listed by `turinglearn check`, not before every run
            warn(f"{report.what}: {w}", CheckWarning)
    return report
