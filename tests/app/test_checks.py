"""Checks for extension points: deliberately broken simulators, model families and
discriminators, and the exact problems the checks report for each."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
from helpers import load_example

import turinglearn
from turinglearn import ContractError, check_discriminator, check_environment, check_model_family
from turinglearn.app.checks import CheckReport, CheckWarning, inspect_environment
from turinglearn.environments import ENVIRONMENTS
from turinglearn.families.elman import ElmanNetwork
from turinglearn.families.parametric import BoxFamily, ReactiveController


def _problems(check, obj, *args, **kw) -> list[str]:
    with pytest.raises(ContractError) as e:
        check(obj, *args, **kw)
    return e.value.problems


#: what the probes find in built-in environments at their default settings (see docs/own-system.md)
KNOWN_FINDINGS = {
    # gymnasium's own start (any angle) saturates the PD controller's torque for every model in
    # the box: a distant model's C2ST against the truth is 0.59 without tracking noise, 0.52 with
    "turinglearn/Gym-v0": ("problem", "no signal: in 8 trials under random stimuli"),
    # the angle of a pendulum held upright varies by 0.046 (in units of 0.5 rad) under random pushes
    "turinglearn/PendulumPD-v0": ("warning", "feature 'angle' has a standard deviation of 0.0456"),
}


@pytest.mark.parametrize("env_id", sorted(ENVIRONMENTS))
def test_every_registered_environment_passes_every_rule(env_id):
    report = inspect_environment(env_id)
    kind, start = KNOWN_FINDINGS.get(env_id, (None, None))
    assert [p for p in report.problems if kind != "problem" or not p.startswith(start)] == []
    assert [w for w in report.warnings if kind != "warning" or not w.startswith(start)] == []
    if kind is not None:  # a finding that goes away should leave this list too
        assert any(x.startswith(start) for x in report.problems + report.warnings)


def test_the_shipped_pieces_pass():
    check_model_family(ReactiveController())
    check_model_family(BoxFamily(("a", "b"), (0, 0), (1, 2)))
    check_discriminator(ElmanNetwork())
    check_discriminator(ElmanNetwork(n_inputs=3, n_outputs=2, dtype="float64"))


def test_exported_from_the_package():
    assert turinglearn.check_environment is check_environment


# --- model families ---------------------------------------------------------------------------


def test_family_missing_attributes():
    problems = _problems(check_model_family, SimpleNamespace(n_params=2, names=("a", "b")))
    assert problems == [
        "missing attribute 'lower' (lower bounds, an array [d])",
        "missing attribute 'upper' (upper bounds, an array [d])",
    ]


def test_family_inconsistent():
    bad = SimpleNamespace(n_params=3, names=("a", "b"), lower=np.zeros(3), upper=np.array([1.0, 1.0]))
    problems = _problems(check_model_family, bad)
    assert problems == [
        "names has 2 entries; n_params is 3",
        "upper has shape (2,); expected (3,) = (n_params,)",
    ]
    swapped = SimpleNamespace(
        n_params=2, names=("a", "b"), lower=np.array([0.0, 1.0]), upper=np.array([1.0, 0.0])
    )
    assert _problems(check_model_family, swapped) == [
        "every lower bound must be below its upper bound; not so for b"
    ]
    assert _problems(check_model_family, SimpleNamespace(n_params=0, names=(), lower=[], upper=[])) == [
        "n_params must be a positive integer, got 0"
    ]


def test_message_names_the_class_and_every_problem():
    class MyFamily:
        n_params = 2
        names = ("a", "a")
        lower = np.zeros(2)
        upper = np.array([1.0, np.inf])

    with pytest.raises(ContractError) as e:
        check_model_family(MyFamily())
    text = str(e.value)
    assert text.startswith("model family MyFamily does not fit the contract (2 problem(s)):")
    assert "  - names must be distinct, got ('a', 'a')" in text
    assert "  - upper must be finite numbers" in text


# --- discriminators ---------------------------------------------------------------------------


class _Judge:
    n_weights = 4
    n_inputs = 2

    def judge(self, w, x):  # a logistic judge of the mean features: every weight read
        z = w[:, :2] @ x.mean(axis=1).T + w[:, 2:3] + 0.5 * w[:, 3:4]
        return 1 / (1 + np.exp(-z))


def test_discriminator_missing_pieces():
    assert _problems(check_discriminator, SimpleNamespace(judge=lambda w, x: None)) == [
        "missing attribute 'n_weights' (the number k of weights of one discriminator)",
        "missing attribute 'n_inputs' (F, the features per step it reads)",
    ]
    assert _problems(check_discriminator, SimpleNamespace(n_weights=3, n_inputs=2)) == [
        "missing method judge(w, x): w: [D, k], x: [S, T, F] -> output [D, S] in [0, 1]; > 0.5 means 'genuine'."
    ]


def test_discriminator_wrong_shape_and_range():
    class Transposed(_Judge):
        def judge(self, w, x):
            return np.full((x.shape[0], w.shape[0]), 0.5)

    assert _problems(check_discriminator, Transposed()) == [
        "judge(w [3, 4], x [5, 7, 2]) returned shape (5, 3); expected (3, 5)"
    ]

    class Logits(_Judge):
        def judge(self, w, x):
            return super().judge(w, x) * 10 - 5  # not squashed into [0, 1]

    (p,) = _problems(check_discriminator, Logits())
    assert p.startswith("judge returned values outside [0, 1]")

    class Raises(_Judge):
        def judge(self, w, x):
            raise IndexError("index 2 is out of bounds")

    assert _problems(check_discriminator, Raises()) == ["judge raised IndexError: index 2 is out of bounds"]

    class Strings(_Judge):
        def judge(self, w, x):
            return np.full((w.shape[0], x.shape[0]), "genuine")

    assert _problems(check_discriminator, Strings()) == [
        "judge(w [3, 4], x [5, 7, 2]) returned dtype <U7; expected a float array"
    ]


def test_discriminator_at_a_generations_batch_and_at_grown_weights():
    """A red team's judges passed and failed mid-run: one of fixed buffers for 64 samples, one
    slightly above 1 at some weights, and a sigmoid written as exp(z) / (exp(z) + 1)."""

    def z(w, x):
        return w[:, :2] @ x.mean(axis=1).T + w[:, 2:3] + 0.5 * w[:, 3:4]

    class Buffered(_Judge):
        def judge(self, w, x):
            out = np.zeros((w.shape[0], 64))
            out[:, : x.shape[0]] = 1 / (1 + np.exp(-z(w, x)))
            return out[:, : x.shape[0]]

    assert _problems(check_discriminator, Buffered()) == [
        "judge on 300 samples raised ValueError: could not broadcast input array from shape (2,300) into shape (2,64)"
    ]

    class Overshoots(_Judge):
        def judge(self, w, x):
            return 0.5 + 0.51 * np.tanh(z(w, x))

    assert _problems(check_discriminator, Overshoots()) == [
        "judge returned values outside [0, 1] (min -0.01, max 1.01) at weights 30 times the probe's: evolved weights "
        "grow that large; squash with a sigmoid that cannot overflow, e.g. scipy.special.expit(z), or 0.5 * (1 + "
        "np.tanh(z / 2))"
    ]

    class Overflows(_Judge):
        def judge(self, w, x):
            e = np.exp(z(w, x))
            return e / (e + 1)

    (p,) = _problems(check_discriminator, Overflows())
    assert p.startswith("judge returned NaN or infinite values at weights 1000 times the probe's")
    check_discriminator(Overflows(), evolved=False)  # a gradient-trained judge's weights stay small: not probed there
    check_discriminator(_Judge())  # 1 / (1 + exp(-z)) overflows to 0, not NaN: it passes


def test_discriminator_nondeterministic_or_batch_dependent():
    class Noisy(_Judge):
        def judge(self, w, x):
            return np.random.default_rng().uniform(
                size=(w.shape[0], x.shape[0])
            )  # a fresh, unseeded generator

    assert "judge is not deterministic: the same weights and samples gave different outputs" in _problems(
        check_discriminator, Noisy()
    )

    class BatchNorm(_Judge):
        def judge(self, w, x):
            m = x.mean(axis=(1, 2))
            z = (m - m.mean()) / (m.std() + 1e-9)  # normalised over the batch: leaks between samples
            return 1 / (1 + np.exp(-w.sum(axis=1, keepdims=True) * z))

    assert _problems(check_discriminator, BatchNorm()) == [
        "judge's output for a sample depends on the other samples in the batch"
    ]


def test_discriminator_that_changes_its_inputs_in_place():
    """A newcomer's judge centred its samples with ``x -= x.mean(...)``: the checker called it
    'not deterministic', sending them to look for randomness."""

    class Centring(_Judge):
        def judge(self, w, x):
            x -= x.mean(axis=1, keepdims=True)
            return super().judge(w, x)

    assert _problems(check_discriminator, Centring()) == [
        "judge changed its input x in place: work on copies (x = x - x.mean(...), not x -= ...); the learner "
        "passes the population's own arrays"
    ]


def test_discriminator_that_ignores_its_weights_or_keeps_a_batch_size_of_its_own():
    """A judge that reads no weight, or one batch size only, passed the checker and failed in the
    learner (an IndexError in the fitness); one that declares more weights than it reads is warned of."""

    class Constant(_Judge):
        def judge(self, w, x):
            return np.full((w.shape[0], x.shape[0]), 0.7)

    assert _problems(check_discriminator, Constant()) == [
        "judge gave the same outputs for other weights: it must read w [D, k], one row per discriminator"
    ]

    class FirstFive(_Judge):
        def judge(self, w, x):
            return super().judge(w, x[:5])

    assert _problems(check_discriminator, FirstFive()) == [
        "judge(w [2, 4], x [9, 9, 2]) returned shape (2, 5); expected (2, 9)"
    ]

    class OneSpare(_Judge):
        n_weights = 5

        def judge(self, w, x):
            return super().judge(w[:, :4], x)

    with pytest.warns(CheckWarning, match=r"weights \[4\] change no output when moved alone \(of 5 probed\)"):
        check_discriminator(OneSpare())


def test_an_optimiser_is_checked_against_its_contract():
    """No checker existed for an optimiser: one that never clipped ran with medians out of the box,
    NaN ran on, a transposed population failed deep in the simulator; and state_dict must bring it
    back exactly (a random generator left out of it gives another next generation)."""
    from turinglearn import ESConfig, SelfAdaptiveES, check_optimizer

    lo, hi = -np.ones(3), np.ones(3)

    class Walk:  # a (1, 6) random walk that keeps its generator in its state
        def __init__(self, clip=True, keep_rng=True, rows=6):
            self.rng, self.x, self.clip, self.keep_rng, self.rows = np.random.default_rng(0), np.zeros((rows, 3)), clip, keep_rng, rows

        def ask(self):
            return self.x

        def tell(self, fitness):
            x = self.x[int(np.argmax(fitness))] + self.rng.normal(0.0, 0.5, (self.rows, 3))
            self.x = np.clip(x, lo, hi) if self.clip else x

        def state_dict(self):
            return {"x": self.x.copy(), **({"rng": self.rng.bit_generator.state} if self.keep_rng else {})}

        def load_state_dict(self, state):
            self.x = state["x"].copy()
            if self.keep_rng:
                self.rng.bit_generator.state = state["rng"]

    check_optimizer(Walk(), 3, lo, hi)
    check_optimizer(SelfAdaptiveES(3, ESConfig(population=6, parents=3), np.random.default_rng(0), lo, hi), 3, lo, hi)
    (p,) = _problems(check_optimizer, Walk(clip=False), 3, lo, hi)
    assert p.startswith("ask() after tell returned values outside the bounds (column ")
    assert "np.clip(rows, lower, upper)" in p
    assert _problems(check_optimizer, Walk(keep_rng=False), 3, lo, hi) == [
        "after load_state_dict the same tell gave another population: state_dict must hold everything the next "
        "generation depends on, its random generator's state too (e.g. rng.bit_generator.state)"
    ]
    assert _problems(check_optimizer, Walk(), 4) == ["ask() returned shape (6, 3); expected [P, 4] (P rows of 4 values)"]
    class Sampling:  # ask() draws a fresh population from a mean (cma's style); the state holds the generator
        def __init__(self, rows=6, nan=False, grow=False):
            self.rng, self.mean, self.rows, self.nan, self.grow = np.random.default_rng(1), np.zeros(3), rows, nan, grow

        def ask(self):
            self.x = np.clip(self.mean + self.rng.normal(0.0, 0.3, (self.rows, 3)), lo, hi)
            if self.nan:
                self.x[0, 2] = np.nan
            return self.x

        def tell(self, fitness):
            self.mean = self.x[int(np.argmax(fitness))]
            self.rows += self.grow

        def state_dict(self):
            return {"mean": self.mean.copy(), "rng": self.rng.bit_generator.state, "rows": self.rows}

        def load_state_dict(self, state):
            self.mean, self.rows = state["mean"].copy(), state["rows"]
            self.rng.bit_generator.state = state["rng"]

    check_optimizer(Sampling(), 3, -1.0, 1.0)  # scalar bounds too
    # a tell that keeps the worst, or ignores the fitness, passed and learned wrong (a red team's)

    class Worst(Sampling):
        def tell(self, fitness):
            super().tell(-np.asarray(fitness))

    class Deaf(Sampling):
        def tell(self, fitness):
            super().tell(np.arange(len(fitness), dtype=float))

    for bad in (Worst(), Deaf()):
        with pytest.warns(CheckWarning, match=r"told for 20 generations that rows nearer a point are fitter"):
            check_optimizer(bad, 3, lo, hi)
    assert _problems(check_optimizer, Sampling(nan=True), 3, lo, hi) == ["ask() returned NaN in columns [2]"]
    assert _problems(check_optimizer, Sampling(grow=True), 3) == [
        "the population changed size from 6 to 7 rows between generations"
    ]

    class Forgets(Walk):  # its state_dict holds the generator but not the population
        def state_dict(self):
            return {"rng": self.rng.bit_generator.state}

        def load_state_dict(self, state):
            self.rng.bit_generator.state = state["rng"]

    (p,) = _problems(check_optimizer, Forgets(), 3, lo, hi)
    assert p.startswith("after load_state_dict, ask() gave another population than it gave after the tell")
    (p, q) = _problems(check_optimizer, SimpleNamespace(ask=lambda: np.zeros((2, 3)), tell=lambda f: None), 3)
    assert p.startswith("missing method state_dict(): Everything the next generation depends on")
    assert q.startswith("missing method load_state_dict(state): Back to exactly where")


def test_interrogator_needs_the_recurrent_pieces():
    class Judge2(_Judge):
        n_outputs = 2

    problems = _problems(check_discriminator, Judge2())
    assert "missing attribute 'n_hidden' (H, the recurrent state size)" in problems
    assert any(p.startswith("missing method unpack(w): w: [D, k] -> the networks") for p in problems)


# --- simulators -------------------------------------------------------------------------------


class Spring:
    """examples/interrogable_spring.py: a valid interrogable simulator to break one piece at a time."""

    model_family = BoxFamily(("stiffness", "damping"), lower=(0, 0), upper=(1, 1))
    feature_names = ("position",)
    stimulus_space = gym.spaces.Box(-1.0, 1.0, shape=(1,))
    truth = np.array([0.5, 0.2])
    config = SimpleNamespace(steps=12)

    def passive_schedule(self):
        return np.zeros((self.config.steps, 1))

    def reset(self, rng, shape):
        return np.zeros((*shape, 2))

    def step(self, x, p, force, rng):
        v = x[..., 1] + 0.2 * (force[..., 0] - p[..., 0] * x[..., 0] - p[..., 1] * x[..., 1])
        x = np.stack([x[..., 0] + 0.2 * v, v], axis=-1)
        return x, x[..., :1]  # the example divides by 5: over its 60 steps the spread is still large enough


def test_the_spring_passes():
    report = check_environment(Spring())
    assert isinstance(report, CheckReport) and report.ok and report.warnings == []


def test_missing_step_and_feature_names():
    keep = {
        k: v for k, v in vars(Spring).items() if k not in ("step", "feature_names", "__dict__", "__weakref__")
    }
    s = type("NoStep", (), keep)()
    assert _problems(check_environment, s) == [
        "missing attribute 'feature_names' (a tuple of feature names, one per feature a discriminator sees)",
        "missing method step(state, params, stimulus, rng): "
        "One step under params [..., d] and stimulus [..., k] -> (state, features [..., F]).",
    ]


def test_a_stimulus_space_of_integers_is_warned_of():
    """Stimuli are continuous in the box whatever its dtype: a newcomer's ON/OFF Box(0, 1, int64)
    passed, and their cell got 0.27 and 0.71."""

    class OnOff(Spring):
        stimulus_space = gym.spaces.Box(-1, 1, shape=(1,), dtype=np.int64)

    report = inspect_environment(OnOff())
    assert report.problems == []
    assert report.warnings[0].startswith("stimulus_space has dtype int64, but stimuli are continuous in [low, high]")


def test_bad_stimulus_space():
    class Unbounded(Spring):
        stimulus_space = gym.spaces.Box(-np.inf, np.inf, shape=(1,))

    (p,) = _problems(check_environment, Unbounded())
    assert p.startswith("stimulus_space: the stimulus space must have finite bounds with high >= low in every component")

    class Discrete(Spring):
        stimulus_space = gym.spaces.Discrete(3)

    (p,) = _problems(check_environment, Discrete())
    assert p.startswith("stimulus_space: the stimulus space must be a gymnasium.spaces.Box of shape (k,)")
    assert p.endswith("(for an ON/OFF stimulus, threshold it in step: stimulus[..., 0] > 0.5)")

    class Counts(Spring):  # a newcomer's ants: a traceback, 'MultiDiscrete' object has no attribute 'low'
        feature_space = gym.spaces.MultiDiscrete([31, 31])

    (p,) = _problems(check_environment, Counts())
    assert p.startswith("feature_space: the simulator's feature_space must be a gymnasium.spaces.Box (bounds per feature), got MultiDiscrete")


def test_passive_schedule_shape_and_range():
    class Short(Spring):
        def passive_schedule(self):
            return np.zeros((5, 1))

    assert "passive_schedule() returned shape (5, 1); expected (12, 1)" in _problems(
        check_environment, Short()
    )

    class Loud(Spring):
        def passive_schedule(self):
            return np.full((12, 1), 2.0)

    (p,) = _problems(check_environment, Loud())
    assert p.startswith("passive_schedule() leaves the stimulus space") and p.endswith(": 2 at step 0")


def test_step_that_ignores_the_batch_shape():
    class Flat(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f.reshape(-1, 1)  # flattens the [D, S] batch

    assert _problems(check_environment, Flat()) == [
        "step's features at t = 0 returned shape (8, 1); expected (2, 4, 1) (the same number of values, arranged "
        "otherwise: keep the batch's axes as they came in, e.g. reset's shape, and the features last; do not "
        "flatten or transpose them)"
    ]


def test_step_that_cannot_broadcast_params():
    class OneRow(Spring):
        def step(self, x, p, force, rng):
            if p.ndim != 1:
                raise ValueError(f"params must be [d], got {p.shape}")
            return super().step(x, p, force, rng)

    (p,) = _problems(check_environment, OneRow())
    assert (
        p
        == "step at t = 0 (batch (2, 4), params [1, 4, 2], stimulus (2, 4, 1)) raised ValueError: params must be [d], got (1, 4, 2)"
    )


def test_nondeterministic_under_a_fixed_seed():
    class GlobalNoise(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f + np.random.default_rng().normal(0, 0.01, f.shape)  # ignores the rng it was given

    (p,) = _problems(check_environment, GlobalNoise())
    assert p.startswith("not deterministic under a fixed seed")


def test_nan_features_and_declared_bounds():
    class Exploding(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f / 0.0

    with np.errstate(divide="ignore", invalid="ignore"):
        assert _problems(check_environment, Exploding()) == [
            "step's features at t = 0 returned NaN or infinite values (first at index (0, 0, 0) of shape (2, 4, 1), "
            "8 values in all); a model anywhere in the bounds must give finite features (narrow the bounds, or guard "
            "the arithmetic)"
        ]

    class Declared(Spring):
        feature_space = gym.spaces.Box(-0.001, 0.001, shape=(1,))

    (p,) = _problems(check_environment, Declared())
    assert p.startswith("features leave the declared feature_space")


def test_models_at_the_corners_of_the_bounds(drift):
    """A log of a parameter whose bound is 0 ended a run in its first generation; the checker
    runs the corners of the bounds and names the first at fault."""

    class LogDamping(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f + 0.0 * np.log(p[..., 1:2])

    with np.errstate(divide="ignore", invalid="ignore"):
        (p,) = _problems(check_environment, LogDamping())
    assert p.startswith(
        "at a corner of the bounds (stiffness = 0, damping = 0), where the search may go: step's features at t = 0 "
        "returned NaN or infinite values"
    )
    assert p.endswith("(narrow the bounds, or guard the arithmetic)")

    class Refuses(Spring):
        def step(self, x, p, force, rng):
            if (p[..., 0] == 1).any():
                raise ValueError("a stiffness of 1 is not supported")
            return super().step(x, p, force, rng)

    (p,) = _problems(check_environment, Refuses())
    assert p.startswith("at a corner of the bounds (stiffness = 1, damping = 0), where the search may go: step at t = 0")
    assert "raised ValueError: a stiffness of 1 is not supported" in p

    class NoisyAtZero(drift):
        def rollout(self, params, rng, record=False):
            r = super().rollout(params, rng)
            r.features = r.features / (params[..., 1:2, None] > 0)  # inf where a robot's noise is 0
            return r

    with np.errstate(divide="ignore", invalid="ignore"):
        (p,) = _problems(check_environment, NoisyAtZero())
    assert p.startswith("at a corner of the bounds (gain = 0, noise = 0), where the search may go: rollout(params [1, 4, d])")


def test_truth_and_family_problems():
    class Outside(Spring):
        truth = np.array([0.5, 3.0])

    assert _problems(check_environment, Outside()) == [
        "truth [0.5, 3.0] lies outside the model family's bounds (damping = 3 not in [0, 1]): move the truth "
        "inside, or widen the bounds"
    ]

    class BadFamily(Spring):
        model_family = SimpleNamespace(n_params=2, names=("a",), lower=np.zeros(2), upper=np.ones(2))

    assert _problems(check_environment, BadFamily()) == ["model_family: names has 1 entries; n_params is 2"]


def test_swarm_simulator_without_rollout():
    class Swarm:
        model_family = ReactiveController()
        truth = np.array([-0.7, -1.0, 1.0, -1.0])
        feature_names = ("linear_speed", "angular_speed")
        config = SimpleNamespace(steps=5, n_agents=3)

    problems = _problems(check_environment, Swarm())
    assert any(
        p.startswith("missing method rollout(params, rng, record): Simulate params [B, N, d]")
        for p in problems
    )
    assert "config: missing attribute 'n_replicas' (robots per swarm that run the model)" in problems


# --- the behaviour probes, one deliberately broken simulator per rule ---------------------------


@pytest.fixture(scope="module")
def examples():
    return {n: load_example(n) for n in ("own_swarm", "own_agent", "own_gym_policy", "interrogable_spring")}


def test_the_examples_pass_every_rule(examples):
    sims = [
        examples["own_swarm"].DriftSwarm(),
        examples["own_agent"].LeakyIntegrator(),
        examples["own_gym_policy"].make_sim(),
        examples["interrogable_spring"].Spring(),
    ]
    for sim in sims:
        report = inspect_environment(sim)
        assert (report.problems, report.warnings) == ([], []), str(report)


def test_one_row_for_every_trial(examples):
    """The mistake of issue 16: every trial stepped with the first trial's parameters."""

    class FirstRow(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, p.reshape(-1, p.shape[-1])[0], force, rng)

    (p,) = _problems(check_environment, FirstRow())
    assert p.startswith(
        "every trial followed the parameter row of trial 0: step must give trial i its own row"
    )
    assert "params.reshape(-1, d)[0]" in p

    class Integrator(examples["own_agent"].LeakyIntegrator):
        def step(self, y, params, stimulus, rng):
            return super().step(y, params.reshape(-1, params.shape[-1])[0], stimulus, rng)

    (p,) = _problems(check_environment, Integrator())
    assert p.startswith("every trial followed the parameter row of trial 0")


def test_rows_in_the_wrong_trials():
    class Reversed(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, p[..., ::-1, :], force, rng)  # trial i gets row S - 1 - i

    (p,) = _problems(check_environment, Reversed())
    assert p.startswith("trials [0, 1, 2, 3] did not follow their own parameter rows")


def test_a_noisy_step_that_misroutes_one_parameter_is_refused_draw_for_draw():
    """Noise of the batch's shape draws as many numbers whatever the rows, so a trial that
    differs from a run of its own row is misrouted, however noisy the step: reading one
    parameter from the first row was taken for draws that depend on the values, compared in
    distribution, and passed where that parameter's effect is small (a newcomer's thermostat)."""

    class Noisy(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, p, force + 0.3 * rng.normal(size=(*x.shape[:-1], 1)), rng)

    class DampingOfRowZero(Noisy):
        def step(self, x, p, force, rng):
            p = np.array(np.broadcast_to(p, (*x.shape[:-1], p.shape[-1])))
            p[..., 1] = p.reshape(-1, 2)[0, 1]  # the first trial's damping for every trial
            return super().step(x, p, force, rng)

    assert check_environment(Noisy()).ok
    (p,) = _problems(check_environment, DampingOfRowZero())
    assert re.match(r"trials \[[\d, ]+\] did not follow their own parameter rows", p) and "in distribution" not in p


class PoissonSpring(Spring):
    """The spring kicked by Poisson counts of a parameter-dependent rate: how many numbers
    rng.poisson draws depends on the rates, so a trial's draws shift with its neighbours' rows."""

    def step(self, x, p, force, rng):
        rate = np.broadcast_to(2 + 8 * p[..., 1], x.shape[:-1])
        return super().step(x, p, force + 0.05 * (rng.poisson(rate) - rate)[..., None], rng)


class VonMisesSpring(Spring):
    def step(self, x, p, force, rng):
        kappa = np.broadcast_to(1 + 20 * p[..., 1], x.shape[:-1])  # rejection sampling
        return super().step(x, p, force + 0.1 * rng.vonmises(0.0, kappa)[..., None], rng)


class SeededPoissonSpring(PoissonSpring):
    """PoissonSpring drawing from a generator of its own, seeded from the one given (as a seed is
    passed to a compiled engine): the given generator stands where it stood whatever the rows,
    yet a trial's draws still shift with its neighbours' rows."""

    def reset(self, rng, shape):
        self._own = np.random.default_rng(rng.integers(2**63))
        return super().reset(rng, shape)

    def step(self, x, p, force, rng):
        return super().step(x, p, force, self._own)


def test_draws_of_a_generator_seeded_from_the_given_one_are_compared_in_distribution(examples, poisson_drift):
    report = inspect_environment(SeededPoissonSpring())
    assert report.problems == [] and report.warnings[0].startswith("step is stochastic and its trials differ")

    class SeededSwarm(poisson_drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(params, np.random.default_rng(rng.integers(2**63)), record=record)

    report = inspect_environment(SeededSwarm())
    assert report.problems == [] and report.warnings[0].startswith("rollout is stochastic and its swarms differ")


@pytest.mark.parametrize("cls", [PoissonSpring, VonMisesSpring])
def test_draws_that_depend_on_the_parameter_values_are_compared_in_distribution(cls):
    """Such a step gives every trial its own row, but trials cannot equal a run of their row draw
    for draw; it was refused as not following its rows."""
    report = inspect_environment(cls())
    assert report.problems == []
    (w,) = report.warnings
    assert w.startswith("step is stochastic and its trials differ draw for draw from trials of the same rows run alone")
    assert "over 64 replicates" in w


def test_misrouted_rows_are_found_in_distribution_too():
    class SecondRow(PoissonSpring):  # every trial the second trial's row: the truth in the probe
        def step(self, x, p, force, rng):
            return super().step(x, np.broadcast_to(p[..., 1:2, :], p.shape), force, rng)

    (p,) = _problems(check_environment, SecondRow())
    assert p.startswith("every trial followed the parameter row of trial 1: step must give trial i its own row")

    class Shifted(PoissonSpring):  # trial i runs row i + 1
        def step(self, x, p, force, rng):
            return super().step(x, np.roll(p, -1, axis=-2), force, rng)

    (p,) = _problems(check_environment, Shifted())  # trial 2 (mid) runs the truth: near enough to pass
    assert re.match(r"trials \[0, 1(, 2)?, 3\] did not follow their own parameter rows", p)
    assert "in distribution over 64 replicates" in p


def test_ignored_parameters():
    class Fixed(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, np.array([0.5, 0.2]), force, rng)  # the truth, whatever the model

    (p,) = _problems(check_environment, Fixed())
    assert p.startswith("the features do not depend on the parameters: trials with the truth [0.5, 0.2]")


def test_global_random_state():
    class GlobalNoise(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f + np.random.normal(0, 0.01, f.shape)  # noqa: NPY002 - the mistake under test

    assert _problems(check_environment, GlobalNoise()) == [
        "not deterministic under a fixed seed: two rollouts with generators of the same seed gave different "
        "features (draw randomness only from the rng argument, never from np.random or random; and keep no state "
        "between calls in an attribute or a global: reset builds everything a trial needs)"
    ]


def test_noise_of_the_parameters_shape_is_shared_by_the_interrogators():
    """Noise drawn of the parameters' shape [1, S, 1] is broadcast over the interrogators, so
    every interrogator's trial i has the same luck; noise of the batch's shape passes."""

    class Noisy(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f + 0.05 * rng.normal(size=np.broadcast_shapes(p.shape[:-1], f.shape[:-1]))[..., None]

    class Shared(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f + 0.05 * rng.normal(size=p[..., :1].shape)  # [1, S, 1]

    class PartlyShared(Spring):  # 4 / 5 of the noise's variance common to the interrogators
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            own = rng.normal(size=np.broadcast_shapes(p.shape[:-1], f.shape[:-1]))[..., None]
            return x, f + 0.05 * (own + 2 * rng.normal(size=p[..., :1].shape))

    assert check_environment(Noisy()).ok
    (p,) = _problems(check_environment, Shared())
    assert p.startswith("the trials of different interrogators drew the same random numbers")
    (p,) = _problems(check_environment, PartlyShared())
    assert p.startswith("the trials of different interrogators share part of their randomness")
    share = float(re.search(r"varied (\d+)% as much", p).group(1)) / 100
    assert 0.1 < share < 0.35  # 1 / 5 expected


class Jittered(Spring):
    """The spring with noise in its state and a random start: a valid stochastic simulator."""

    def reset(self, rng, shape):
        return 0.1 * rng.normal(size=(*shape, 2))

    def step(self, x, p, force, rng):
        x, _ = super().step(x, p, force, rng)
        x = x + 0.02 * rng.normal(size=x.shape)
        return x, x[..., :1]


def test_a_stochastic_spring_passes():
    report = check_environment(Jittered())
    assert report.ok and report.warnings == []


def test_trials_coupled_through_the_batch(examples):
    """A red team's step pulled every trial towards the batch's mean (or normalised over the
    batch): it passed as 'draws that depend on the values', and biased the gain 40-100 %."""
    integrator = examples["own_agent"].LeakyIntegrator

    class Pulled(integrator):
        def step(self, y, p, u, rng):
            y, f = super().step(y, p, u, rng)
            return y + 0.05 * (y.mean() - y), f

    class Normalised(integrator):
        feature_space = None

        def step(self, y, p, u, rng):
            y, f = super().step(y, p, u, rng)
            axes = tuple(range(f.ndim - 1))
            return y, (f - f.mean(axis=axes, keepdims=True)) / (f.std(axis=axes, keepdims=True) + 1e-9)

    for sim in (Pulled(), Normalised()):
        (p,) = _problems(check_environment, sim)
        assert re.match(r"trials \[[\d, ]+\] moved with the other trials of the batch: in distribution over 64", p)


def test_a_trial_must_read_its_own_stimulus():
    class FirstStimulus(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, p, np.broadcast_to(force.reshape(-1, 1)[0], force.shape), rng)

    class MeanStimulus(Jittered):
        def step(self, x, p, force, rng):
            return super().step(x, p, np.broadcast_to(force.mean(), force.shape), rng)

    for sim in (FirstStimulus(), MeanStimulus()):
        (p,) = _problems(check_environment, sim)
        assert p.startswith("trial (1, 3) moved when only the other trials' stimuli changed")


def test_a_batch_of_one_axis():
    """The held-out tests step batches (n,) with params [n, d]: a step that reads the rows of a
    fixed leading axis is right for (D, S) alone, and its test then compares the truth with itself."""

    class LeadingAxis(Spring):
        def step(self, x, p, force, rng):
            return super().step(x, np.broadcast_to(p, (*x.shape[:-1], 2))[0], force, rng)

    (p,) = _problems(check_environment, LeadingAxis())
    assert p.startswith("step gave other features for a batch of shape (4,) with params [4, d] than for the same")


def test_a_start_drawn_once_for_the_batch():
    class OneStart(Jittered):
        def reset(self, rng, shape):
            return np.broadcast_to(rng.normal(size=2), (*shape, 2)).copy()

    # the interrogators' trials share it too (the shared-noise rule); the batch's trials, of any shape, alike
    shared, alike = _problems(check_environment, OneStart())
    assert shared.startswith("the trials of different interrogators share part of their randomness")
    assert alike.startswith("the trials of one call are alike: 32 trials of the truth under the same stimuli")


def test_noise_from_a_generator_of_a_constant_seed():
    class Frozen(Jittered):
        def step(self, x, p, force, rng):
            x, _ = Spring.step(self, x, p, force, rng)
            x = x + 0.02 * np.random.default_rng(0).normal(size=x.shape)
            return x, x[..., :1]

    (p,) = _problems(check_environment, Frozen())
    assert p.startswith("step's randomness does not come from its rng")


def test_writing_into_the_arguments():
    """The learner hands step the truth itself: a step that clipped params in place changed
    the truth the run reported (and its errors). They are read-only now."""

    class Clipping(Spring):
        def step(self, x, p, force, rng):
            np.clip(p, 0.0, 0.4, out=p)
            return super().step(x, p, force, rng)

    (p,) = _problems(check_environment, Clipping())
    assert "raised ValueError: output array is read-only: it writes into an array it was given" in p


def test_a_stimulus_that_changes_nothing_is_warned_of():
    class Deaf(Jittered):
        def step(self, x, p, force, rng):
            return super().step(x, p, np.zeros_like(force), rng)

    with pytest.warns(CheckWarning, match="the stimulus changes nothing"):
        report = check_environment(Deaf())
    assert report.ok and len(report.warnings) == 1
    # a passive study (an epidemic has no stimulus to set) is not told to run passively
    assert check_environment(Deaf(), passive=True).warnings == []


def test_heavy_tailed_noise_is_not_taken_for_shared_noise():
    """A reviewer's Cauchy-noise spring was refused as 'sharing part of its randomness' under 17
    of 40 checker seeds (lognormal sensor noise 4 of 40): the spreads were variances."""

    class Cauchy(Jittered):
        def step(self, x, p, force, rng):
            x, _ = Spring.step(self, x, p, force, rng)
            x = x + 0.01 * rng.standard_cauchy(size=x.shape)
            return x, x[..., :1]

    class Lognormal(Jittered):
        def step(self, x, p, force, rng):
            x, f = Spring.step(self, x, p, force, rng)
            return x, f + 0.05 * rng.lognormal(0.0, 1.5, size=f.shape)

    for sim in (Cauchy(), Lognormal()):
        for seed in (0, 2, 4, 7):  # where the variances' ratio refused them
            assert inspect_environment(sim, seed=seed).problems == [], (type(sim).__name__, seed)


def test_features_outside_the_declared_space(examples):
    class Narrow(examples["own_agent"].LeakyIntegrator):
        feature_space = gym.spaces.Box(-0.5, 0.5, shape=(2,))

    (p,) = _problems(check_environment, Narrow())
    assert p.startswith("features leave the declared feature_space")


def test_tiny_spread_is_a_warning(examples):
    class Tiny(examples["own_agent"].LeakyIntegrator):
        feature_space = None

        def step(self, y, params, stimulus, rng):
            y, f = super().step(y, params, stimulus, rng)
            return y, f * [0.03, 1.0]  # the response, in units that make it small

    with pytest.warns(CheckWarning, match=r"feature 'response' has a standard deviation of 0.0\d+"):
        report = check_environment(Tiny())
    (w,) = report.warnings
    assert "below the held-out test's tracking noise (evaluation.c2st_noise = 0.05)" in w
    assert inspect_environment(Tiny(), noise=0.001).warnings == []  # at a finer tracking precision it is fine


def test_no_signal():
    class Buried(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, rng.normal(size=f.shape) + 1e-4 * f  # the behaviour, drowned in sensor noise

    (p,) = _problems(check_environment, Buried())
    assert p.startswith(
        "no signal: in 8 trials under random stimuli, the truth [0.5, 0.2] and a distant model"
    )


# --- swarms -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drift(examples):
    module = examples["own_swarm"]

    class Drift(module.DriftSwarm):  # a short trial: fast probes
        def __init__(self):
            super().__init__(module.DriftConfig(n_agents=3, n_replicas=1, steps=15))

    return Drift


def drift_rollout(module, params, rng, steps, kick=None, centroid=(1,)):
    """examples/own_swarm.py's drift, written out: its ``kick(noise, x, rng)`` (default Gaussian
    of the noise parameter's scale), and the distance feature measured to the centroid over
    ``centroid``'s axes (1: the swarm's own)."""
    b, n, _ = params.shape
    gain, noise = params[..., 0:1], params[..., 1:2]
    x = rng.uniform(-1.0, 1.0, size=(b, n, 2))
    v = np.zeros_like(x)
    feats = np.empty((b, n, steps, 2))
    for t in range(steps):
        push = noise * rng.normal(size=x.shape) if kick is None else kick(noise, x, rng)
        v = module.INERTIA * v + gain * (x.mean(axis=1, keepdims=True) - x) + push
        x = x + v
        feats[:, :, t, 0] = np.linalg.norm(v, axis=-1) / module.SPEED_SCALE
        feats[:, :, t, 1] = np.linalg.norm(x.mean(axis=centroid, keepdims=True) - x, axis=-1) / module.DISTANCE_SCALE
    return SimpleNamespace(features=feats)


def test_the_short_swarm_passes(drift):
    report = check_environment(drift())
    assert report.ok and report.warnings == []


def test_swarm_features_in_another_robot_order_or_transposed(drift, examples):
    """A red team's rollout returned the replicas' rows first, and another features [B, T, N, F]
    with T = N: both passed, and the noise came out 0.13-0.69 off."""

    class Rolled(drift):
        def rollout(self, params, rng, *, record=False):
            out = super().rollout(params, rng, record=record)
            return SimpleNamespace(features=np.roll(out.features, 1, axis=1))  # the replica first

    (p,) = _problems(check_environment, Rolled())
    assert p.startswith("the features' rows are not the robots of params' rows: with the replicas alone (rows 3 .. 3)")
    module = examples["own_swarm"]

    class Square(module.DriftSwarm):  # 3 agents and a replica, 4 steps
        def __init__(self):
            super().__init__(module.DriftConfig(n_agents=3, n_replicas=1, steps=4))

    class Transposed(Square):
        def rollout(self, params, rng, *, record=False):
            out = super().rollout(params, rng, record=record)
            return SimpleNamespace(features=np.swapaxes(out.features, 1, 2))

    assert not inspect_environment(Square()).problems
    (p,) = _problems(check_environment, Transposed())
    assert "[B, N, T, F]" in p and ("the shape cannot tell [B, T, N, F]" in p or "look transposed" in p)


def test_swarm_rollouts_on_a_generator_of_their_own_or_writing_into_their_params(drift):
    class Unseeded(drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(params, np.random.default_rng(0), record=record)

    class Writing(drift):
        def rollout(self, params, rng, *, record=False):
            params[..., 1] = np.clip(params[..., 1], 0.01, None)
            return super().rollout(params, rng, record=record)

    (p,) = _problems(check_environment, Unseeded())
    assert p.startswith("the swarms' randomness does not come from the rng argument: 32 swarms of the truth differed")
    # a rollout gets arrays of its own, as the learner's calls do: writing into them is harmless (a red
    # team's write had read as nondeterminism, since the checker reused its arrays)
    assert inspect_environment(Writing()).problems == []


def test_a_replica_that_acts_only_through_the_others_is_in_order(examples):
    """A false-alarm audit's beacons: each robot's row is how strongly it draws the others, so
    the replicas' row moves the agents first; the robot-order rule had refused it."""
    module = examples["own_swarm"]

    class Beacons(module.DriftSwarm):
        model_family = BoxFamily(("attract", "noise"), lower=(0.0, 0.0), upper=(1.0, 0.2))
        truth = np.array([0.3, 0.05])

        def __init__(self):
            super().__init__(module.DriftConfig(n_agents=5, n_replicas=1, steps=40))

        def rollout(self, params, rng, *, record=False):
            b, n, _ = params.shape
            pull_of, noise = params[..., 0], params[..., 1:2]
            x = rng.uniform(-1, 1, size=(b, n, 2))
            v = np.zeros_like(x)
            feats = np.empty((b, n, self.config.steps, 2))
            for t in range(self.config.steps):
                towards = x[:, None, :, :] - x[:, :, None, :]  # [b, i, j, 2]: from robot i to robot j
                w = pull_of[:, None, :] * (1 - np.eye(n))[None]  # i is drawn to j as much as j's row says
                v = 0.5 * v + 0.5 * (w[..., None] * towards).sum(axis=2) / (n - 1) + noise * rng.normal(size=x.shape)
                x = x + v
                feats[:, :, t, 0] = np.linalg.norm(v, axis=-1) / 0.1
                feats[:, :, t, 1] = np.linalg.norm(x.mean(axis=1, keepdims=True) - x, axis=-1) / 0.5
            return SimpleNamespace(features=feats)

    for seed in (0, 7):  # where the audit saw it refused
        assert inspect_environment(Beacons(), seed=seed).problems == []


def test_rare_events_and_a_two_dimensional_stimulus_are_not_false_alarms():
    """A false-alarm audit: noise that is a rare event (a step drawing nothing in one call and
    something in another) read as noise every interrogator shared; a response to u0 - u1 drew
    'the stimulus changes nothing', alike at the space's two corners alone."""

    class Rare(Spring):
        def step(self, x, p, force, rng):
            x, _ = super().step(x, p, force, rng)
            x = np.where((rng.random(x.shape[:-1]) < 0.002)[..., None], x + 1.0, x)
            return x, x[..., :1]

    class Contrast(Jittered):
        stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(2,))

        def passive_schedule(self):
            return np.zeros((self.config.steps, 2))

        def step(self, x, p, force, rng):
            return super().step(x, p, np.maximum(force[..., :1] - force[..., 1:], 0.0), rng)

    for seed in (2, 4, 6, 9):
        assert inspect_environment(Rare(), seed=seed).problems == []
    report = inspect_environment(Contrast())
    assert report.problems == [] and report.warnings == []


def test_swarms_coupled_through_the_batch(drift, examples):
    """A red team's rollout measured each robot's distance to the centroid of every swarm of the
    call: it passed, and the noise came out 0.11-0.17 for 0.2."""
    module = examples["own_swarm"]

    class BatchCentroid(drift):
        def rollout(self, params, rng, *, record=False):
            return drift_rollout(module, params, rng, self.config.steps, centroid=(0, 1))

    (p,) = _problems(check_environment, BatchCentroid())
    assert p.startswith("swarm 3's features depend on the batch it is run in")

    class Standardised(drift):  # every feature over the batch
        def rollout(self, params, rng, *, record=False):
            f = super().rollout(params, rng, record=record).features
            return SimpleNamespace(features=(f - f.mean(axis=(0, 1, 2))) / (f.std(axis=(0, 1, 2)) + 1e-9))

    (p,) = _problems(check_environment, Standardised())
    assert "features depend on the other swarms of the batch" in p or "depend on the batch it is run in" in p


def test_a_robot_whose_switch_saturates_in_one_swarm_is_not_taken_for_another_robots_row():
    """A statistician's on/off swarm was refused: a robot given a distant model alone behaved the
    same in the probe's one swarm, its switch held on by a strong drive under either model."""

    class Switches:
        model_family = BoxFamily(("gain", "persist"), lower=(0.0, 0.0), upper=(1.0, 1.0))
        truth = np.array([0.5, 0.3])
        feature_names = ("on", "level")
        config = SimpleNamespace(n_agents=3, n_replicas=2, steps=6)

        def swarm_params(self, theta):
            params = np.repeat(np.asarray(theta, float)[:, None, :], 5, axis=1)
            params[:, :3] = self.truth
            return params

        def rollout(self, params, rng, *, record=False):
            b, n, _ = params.shape
            drive = rng.uniform(0.0, 1.0, size=(b, n, 1))  # each robot's own, per trial
            noise = rng.normal(size=(b, n, self.config.steps))
            level = np.minimum(1.0, 10 * params[..., :1] * drive) + 0.0 * noise  # saturates where drive is large
            on = (level + params[..., 1:2] * 0.1 * noise > 0.5).astype(float)
            return SimpleNamespace(features=np.stack([on, np.broadcast_to(level, on.shape)], axis=-1))

    report = check_environment(Switches())
    assert report.ok, report.problems


def test_swarm_one_row_for_every_swarm(drift):
    class FirstRow(drift):
        def rollout(self, params, rng, *, record=False):
            one = params.reshape(-1, params.shape[-1])[0]
            return super().rollout(np.broadcast_to(one, params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, FirstRow())
    assert p.startswith("swarm 3's features depend on the other swarms' rows")
    assert "params.reshape(-1, d)[0]" in p


@pytest.fixture(scope="module")
def poisson_drift(drift, examples):
    module = examples["own_swarm"]

    def poisson_kicks(noise, x, rng):  # kicks of Poisson counts whose rate is the noise parameter
        return 0.02 * rng.poisson(np.broadcast_to(1 + 100 * noise, x.shape)) * rng.normal(size=x.shape)

    class PoissonDrift(drift):
        def rollout(self, params, rng, *, record=False):
            return drift_rollout(module, params, rng, self.config.steps, kick=poisson_kicks)

    return PoissonDrift


def test_swarm_draws_that_depend_on_the_parameter_values(poisson_drift):
    report = inspect_environment(poisson_drift())
    assert report.problems == []
    (w,) = report.warnings
    assert w.startswith("rollout is stochastic and its swarms differ draw for draw")

    class FirstSwarm(poisson_drift):  # every swarm the first swarm's rows
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:1], params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, FirstSwarm())
    assert p.startswith("swarm 3's features depend on the other swarms' rows")

    class AgentsRow(poisson_drift):  # every robot the first robot's row: the replicas run the truth
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:, :1], params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, AgentsRow())
    assert p.startswith("the replicas ignore their rows")

    class LastRow(poisson_drift):  # every robot the last robot's row
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:, -1:], params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, LastRow())
    assert re.match(r"robots \[0(, \d)*\] behaved the same when only their own row changed", p)


def test_in_distribution_a_constant_feature_and_a_missing_signal_are_still_seen():
    """Compared in distribution, a feature constant over the replicates (a quantised drive) is
    compared exactly, and unpaired noise does not pass for a signal."""

    class Drive(PoissonSpring):  # the commanded drive, quantised, from the first trial's row for all
        feature_names = ("position", "drive")

        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            drive = np.round(4 * p.reshape(-1, p.shape[-1])[0, 0] * force[..., 0]) / 4
            return x, np.concatenate([f, drive[..., None]], axis=-1)

    (p,) = _problems(check_environment, Drive())
    assert "did not follow their own parameter rows" in p and "in distribution over 64 replicates" in p

    class Faint(Spring):  # Poisson counts whose rate the parameters barely move
        feature_names = ("count",)

        def step(self, x, p, force, rng):
            rate = np.broadcast_to(5.0 + 0.1 * p[..., 0], x.shape[:-1])
            return x, rng.poisson(rate)[..., None].astype(float)

    (p,) = _problems(check_environment, Faint())
    assert p.startswith("no signal: over 64 replicates of 4 trials")


def test_swarm_config_that_fails_when_read_and_one_without_config(drift):
    class Raises(drift):
        @property
        def config(self):
            raise AttributeError("'Raises' object has no attribute '_cfg'")

        @config.setter
        def config(self, value):  # __init__ sets it; reading it fails, as a typo in a property would
            self._kept = value

    (p,) = _problems(check_environment, Raises())
    assert p == (
        "attribute 'config' raised AttributeError when read: 'Raises' object has no attribute '_cfg' "
        "(settings: n_agents, n_replicas, steps)"
    )
    bare = object.__new__(drift)  # never set its config: a swarm's hint names a swarm's settings
    assert _problems(check_environment, bare) == ["missing attribute 'config' (settings: n_agents, n_replicas, steps)"]


def test_swarm_features_that_feature_names_do_not_name(drift):
    class OneName(drift):
        feature_names = ("x",)

    (p,) = _problems(check_environment, OneName())
    assert p.startswith("rollout(params [")
    assert "(the last axis holds one value per name in feature_names, which has 1: name every feature" in p


def test_swarm_one_row_for_the_whole_swarm(drift):
    class AgentsRow(drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:, :1], params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, AgentsRow())
    assert p.startswith("the replicas ignore their rows: replicas given a distant model")

    class LastRow(drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:, -1:], params.shape).copy(), rng, record=record)

    assert _problems(check_environment, LastRow()) == [
        "robots [0, 2] behaved the same when only their own row changed to a distant model: every robot "
        "must run its own row params[b, n], not another robot's"
    ]


def test_swarm_start_drawn_once_for_every_swarm(drift):
    """Swarms are independent trials: a start drawn once per call and broadcast over the swarms
    (all of them begin alike; their noise is their own) makes genuine and counterfeit samples,
    which come from different calls, tell apart by the start alone."""

    class SharedStart(drift):
        def rollout(self, params, rng, *, record=False):
            class Once:  # the start drawn for one swarm and given to all; noise drawn per swarm
                def uniform(self, lo, hi, size):
                    return np.broadcast_to(rng.uniform(lo, hi, size=(1, *size[1:])), size).copy()

                def normal(self, size):
                    return rng.normal(size=size)

            return super().rollout(params, Once(), record=record)

    (p,) = _problems(check_environment, SharedStart())
    assert p.startswith("the swarms of one rollout call are alike: 32 swarms of the truth lay nearer one another from step 0 on")
    assert "rng.uniform(size=(B, N, 2))" in p


def test_independent_swarms_of_heavy_tailed_or_rare_noise_are_not_taken_for_alike(drift):
    """Swarms that start together (one nest) and draw their own heavy-tailed steps (a Levy
    forager) or rare kicks are independent: the rank comparison over splits of the swarms is
    exact whatever the noise's distribution (a variance ratio refused the Levy swarm at a
    quarter of seeds). 50 probe seeds of each: none refused."""
    from turinglearn.app.swarm_probes import _shared_draws

    module = load_example("own_swarm")

    class Nest(drift):
        kind = "levy"

        def rollout(self, params, rng, *, record=False):
            b, n, _ = params.shape
            gain, noise = params[..., 0:1], params[..., 1:2]
            x = np.zeros((b, n, 2))  # every robot starts at the nest
            feats = np.empty((b, n, self.config.steps, 2))
            for t in range(self.config.steps):
                angle = rng.uniform(0, 2 * np.pi, size=(b, n, 1))
                length = noise * (rng.pareto(1.2, size=(b, n, 1)) + 1 if self.kind == "levy" else rng.random((b, n, 1)) < 0.01)
                v = np.concatenate([np.cos(angle), np.sin(angle)], -1) * length + gain * (x.mean(1, keepdims=True) - x)
                x = x + v
                feats[:, :, t, 0] = np.linalg.norm(v, axis=-1) / module.SPEED_SCALE
                feats[:, :, t, 1] = np.linalg.norm(x.mean(1, keepdims=True) - x, axis=-1) / module.DISTANCE_SCALE
            return SimpleNamespace(features=feats)

    class Rare(Nest):
        kind = "rare"

    for cls in (Nest, Rare):
        sim = cls()
        assert not any(_shared_draws(sim, sim.truth, 4, s) for s in range(50))


def test_swarm_replicas_reading_one_robots_value_of_a_parameter(drift, poisson_drift):
    """A parameter read from one robot's row for its whole swarm: the replicas run the genuine
    agents' value of it, and the run could never learn it. Caught exactly, and in distribution
    where the draws depend on the values."""

    def first_robots_gain(base):
        class Gain(base):
            def rollout(self, params, rng, *, record=False):
                params = params.copy()
                params[..., 0] = params[:, :1, 0]  # robot 0's gain (a genuine agent's) for the swarm
                return super().rollout(params, rng, record=record)

        return Gain

    for base in (drift, poisson_drift):
        problems = _problems(check_environment, first_robots_gain(base)())
        assert problems[-1].startswith("the replicas do not read their own gain (params[b, n, 0]): replicas given")
        assert "params[:, :1, 0]" in problems[-1]

    class LastRobotsGain(drift):  # a replica's gain for the whole swarm: the genuine agents run the model's
        def rollout(self, params, rng, *, record=False):
            params = params.copy()
            params[..., 0] = params[:, -1:, 0]
            return super().rollout(params, rng, record=record)

    (p,) = _problems(check_environment, LastRobotsGain())
    assert p.startswith("the genuine agents do not read their own gain (params[b, n, 0]): given")


def test_a_parameter_that_acts_only_when_a_sensor_fires_is_not_taken_for_one_robots_value(drift):
    """A newcomer's swarm on an open plane with a short-range sensor was refused ('the replicas do
    not read their own v_l1'): the probe's replica never sensed anything, so the parameter that
    acts on a reading never came into play. Each robot here reads its own gain, but only when its
    sensor fires (a fifth of them a swarm)."""

    class Sparse(drift):
        def rollout(self, params, rng, *, record=False):
            fires = rng.random(params.shape[:2]) < 0.2  # [B, N]: drawn whatever the rows
            params = params.copy()
            params[..., 0] = np.where(fires, params[..., 0], 0.0)
            return super().rollout(params, rng, record=record)

    for seed in range(8):
        report = check_environment(Sparse(), seed=seed)  # raises on a problem
        assert not any("do not read their own" in w for w in report.warnings)


def test_swarm_ignores_parameters(drift):
    class Fixed(drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(self.truth, params.shape).copy(), rng, record=record)

    (p,) = _problems(check_environment, Fixed())
    assert p.startswith("the features do not depend on the parameters: swarms of the truth [0.2, 0.05]")


def test_swarm_params_layout(drift):
    class Swapped(drift):
        def swarm_params(self, theta):
            return super().swarm_params(theta)[:, ::-1]  # the model in the agents' rows

    assert _problems(check_environment, Swapped()) == [
        "swarm_params(theta [B, d]) must give every swarm b the truth in rows 0 .. n_agents - 1 and "
        "theta[b] in the replicas' rows n_agents .. N - 1"
    ]


def test_swarm_global_random_state_and_feature_space(drift):
    class GlobalPlacement(drift):
        def rollout(self, params, rng, *, record=False):
            return super().rollout(params, np.random.default_rng(), record=record)  # a fresh, unseeded one

    (p,) = _problems(check_environment, GlobalPlacement())
    assert p.startswith("not deterministic under a fixed seed")
    assert p.endswith("rollout builds everything its swarms need)")  # a swarm simulator has no reset to name

    class Declared(drift):
        feature_space = gym.spaces.Box(0.0, 1.0, shape=(2,))  # speeds reach 0.1 and more

    (p,) = _problems(check_environment, Declared())
    assert p.startswith("features leave the declared feature_space")


def _tiny_spread(drift):
    """The drift swarm with its second feature ('distance') shrunk below the tracking noise."""

    class Tiny(drift):
        def rollout(self, params, rng, *, record=False):
            r = super().rollout(params, rng, record=record)
            r.features = r.features * [1.0, 0.01]
            return r

    return Tiny


def test_swarm_tiny_spread_and_no_signal(drift):
    with pytest.warns(CheckWarning, match="feature 'distance' has a standard deviation of"):
        check_environment(_tiny_spread(drift)())

    class Buried(drift):
        def rollout(self, params, rng, *, record=False):
            r = super().rollout(params, rng, record=record)
            r.features = rng.normal(size=r.features.shape) + 1e-4 * r.features
            return r

    (p,) = _problems(check_environment, Buried())
    assert p.startswith("no signal: in 2 swarms each, the truth [0.2, 0.05] and a distant model")


def test_learn_points_the_checkers_warnings_at_the_callers_line(drift):
    """learn() checks a simulator first; its warnings name the user's line, not the driver's."""
    settings = {"evaluation.c2st_trials": 0, "models.population": 4, "models.parents": 2}
    settings |= {"discriminators.population": 4, "discriminators.parents": 2}
    with pytest.warns(CheckWarning, match="feature 'distance' has a standard deviation of") as caught:
        turinglearn.learn(simulator=_tiny_spread(drift)(), generations=1, overrides=settings)
    assert {w.filename for w in caught if w.category is CheckWarning} == {__file__}


def test_checks_are_fast():
    start = time.perf_counter()
    for env_id in ("turinglearn/Aggregation-v0", "turinglearn/StimulusResponse-v0"):
        inspect_environment(env_id)
    assert time.perf_counter() - start < 10  # about 1 s on an idle core


def test_a_feature_far_beyond_order_one_is_warned_of():
    """A newcomer's moth reported its call in Hz (20,000-100,000): the checker passed it and the
    run learned nothing (the networks saturate); it is now a warning naming the fix."""

    class Hz(Spring):
        def step(self, x, p, force, rng):
            x, f = super().step(x, p, force, rng)
            return x, f * 1e4

    report = inspect_environment(Hz())
    assert report.problems == []
    (w,) = report.warnings
    assert w.startswith("feature 'position' reaches ") and "so its values are of order 0.1 to 1" in w


def test_the_route_of_a_policy_model_is_checked_where_one_is_asked_for():
    """A policy model (models.kind mlp, gru, gp) runs through reset, sense and step, which the
    checker never ran: a newcomer's step gave 2 features of 3 and the run died in numpy; a sense
    beyond n_states raised an IndexError."""
    from turinglearn.app.build import make_simulator
    from turinglearn.config import load_config

    sim = make_simulator(load_config("aggregation", {"environment.steps": 10, "environment.n_agents": 4}))
    assert inspect_environment(sim, policy=True).ok  # the built-in swarm: its route and its rollout agree

    class TwoOfThree(type(sim)):
        feature_names = ("linear_speed", "angular_speed", "third")

        def rollout(self, params, rng, *, record=False):
            r = super().rollout(params, rng, record=record)
            return SimpleNamespace(features=np.concatenate([r.features, r.features[..., :1]], axis=-1))

    broken = TwoOfThree(sim.config)
    assert inspect_environment(broken).ok  # its rollout is right
    (p,) = inspect_environment(broken, policy=True).problems
    assert p.startswith("step(state, wheels)'s features at t = 0 returned shape (2, 8, 2); expected (2, 8, 3)")  # 4 + 4 robots

    class Overflow(type(sim)):  # its rollout is right; its sense, read by a policy only, is not
        def sense(self, state):
            return super().sense(state) + 2

        def rollout(self, params, rng, *, record=False):
            return type(sim)(self.config).rollout(params, rng, record=record)

    (p,) = inspect_environment(Overflow(sim.config), policy=True).problems
    assert p.startswith("sense(state) returned sensor state 2; the model family has n_states = 2: whole numbers 0 .. 1")

    (p,) = inspect_environment(Spring(), policy=True).problems  # interactive: no swarm to run a policy in
    assert p.startswith("a policy model (models.kind mlp, gru or gp) runs in a swarm")

    class Column(type(sim)):  # a sense of [B, N, 1], read by its own rollout: numpy's error came first
        def sense(self, state):
            return super().sense(state)[..., None]

    problems = inspect_environment(Column(sim.config)).problems
    assert problems[0] == "sense(state) returned shape (2, 8, 1); expected (2, 8) = (B, N)"
    assert problems[1].startswith("rollout raised")


def test_check_refuses_a_model_kind_its_system_cannot_run(tmp_path, monkeypatch, capsys):
    """`turinglearn check --set models.kind=mlp` passed a system `turinglearn run` refused."""
    from turinglearn.app.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["init", "swarm", "kinds_swarm"]) == 0
    capsys.readouterr()
    assert main(["check", "kinds_swarm.toml"]) == 0
    assert main(["check", "kinds_swarm.toml", "--set", "models.kind='mlp'"]) == 2
    out = capsys.readouterr()
    assert "a policy model (models.kind mlp, gru or gp) runs in the place of a reactive controller" in out.out + out.err


def test_a_registered_kind_of_ones_own_is_checked_before_the_run(monkeypatch):
    """A newcomer's judge drawing from np.random, registered as a kind, ran silently: learn()
    checked their simulator and never their discriminator."""
    import turinglearn
    from turinglearn.app.registry import DISCRIMINATORS, MODELS, DiscriminatorKind
    from turinglearn.core.optimizers import ESConfig, SelfAdaptiveES

    class Noisy(_Judge):
        def judge(self, w, x):
            return np.clip(super().judge(w, x) + np.random.default_rng().normal(0, 0.01), 0, 1)

    es = lambda family, cfg, rng: SelfAdaptiveES(family.n_weights, ESConfig(population=4, parents=2), rng)  # noqa: E731
    monkeypatch.setitem(DISCRIMINATORS._entries, "noisy-judge", DiscriminatorKind(lambda *a: Noisy(), es))
    tiny = {"discriminators.kind": "noisy-judge", "environment.steps": 10, "models.population": 4, "models.parents": 2}
    with pytest.raises(ContractError, match="judge is not deterministic"):
        turinglearn.learn("aggregation", generations=1, overrides=tiny)
    assert MODELS.builtin_kind("reactive") and not DISCRIMINATORS.builtin_kind("noisy-judge")
    with pytest.warns(UserWarning, match="'elman' is a built-in kind; registering another in its place replaces it"):
        monkeypatch.setitem(DISCRIMINATORS._entries, "elman", DISCRIMINATORS["elman"])  # restored after the test
        DISCRIMINATORS.register("elman", DiscriminatorKind(lambda *a: _Judge(), es))
    assert not DISCRIMINATORS.builtin_kind("elman")


def test_a_fact_that_asks_for_no_change_is_listed_by_the_checker_not_warned_before_every_run():
    """A population biologist's ponds (Poisson births) repeated 'Nothing to change' at every run."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", CheckWarning)  # issued, it would raise here
        report = check_environment(PoissonSpring())
    assert report.ok and len(report.warnings) == 1 and "Nothing to change" in str(report)
