"""Scalar reference implementation of interactive Turing Learning: agents, interrogators, trials.

This module is the **test oracle** for :class:`turinglearn.systems.interactive.InteractiveSystem` and the
batched simulators of :mod:`.stimulus_response` and :mod:`.sensor_identification`, and the
**speed baseline** of ``benchmarks/interrogation.py``. Like :mod:`.reference`, it is deliberately
simple: one interrogator, one trial, one step at a time, in plain Python floats with
:mod:`math`; numpy appears only to convert inputs and outputs and to draw the random numbers.
It shares the constants of the batched code (``RISE``, the robot's physics in :mod:`._swarm`)
but none of its functions; the unicycle step is :func:`.reference.reference_move`, the scalar
twin of :func:`._swarm.move`.

The per-agent steps take their random numbers (uniforms in [0, 1)) and initial states as
arguments, so that a test can feed them the draws the batched code used.
:func:`reference_interrogate` draws them itself from a generator, in the order and shapes in
which :meth:`InteractiveSystem.run <turinglearn.systems.interactive.InteractiveSystem.run>` does
(``Db`` = ``D`` interrogators, or 1 when passive, times ``S`` trials):

- StimulusResponse: ``reset`` draws nothing; every step draws ``random((Db, S))`` for
  recovery, then ``random((Db, S))`` for startle;
- SensorIdentification: ``reset`` draws the positions ``uniform(c - h, c + h, (Db, S, 2))``,
  then the headings ``uniform(-pi, pi, (Db, S))``; steps draw nothing.

One trial under interrogation, for interrogator ``d`` and trial ``s``: the context starts at 0
and the first stimulus comes from the outputs at that context (the output biases alone); then
every step applies the stimulus ``clip(low + (high - low) * output[1:], low, high)`` (or, when
passive, row ``t`` of the fixed schedule), steps the agent, feeds its features to the
interrogator (hidden update), and computes all outputs again. The judgement is output 0 after
the last step. When passive, trial ``s`` does not depend on ``d``: it is run once and every
interrogator watches the same features.
"""

from __future__ import annotations

import math

import numpy as np

from ._swarm import ROBOT_RADIUS
from .reference import (  # the scalar Elman network is shared with the passive oracle
    reference_interrogator_step,
    reference_move,
    reference_outputs,
    reference_unpack,
)
from .stimulus_response import RISE

#: stimulus bounds (low, high) per dimension, as each environment declares them
STIMULUS_BOUNDS = {
    "turinglearn/StimulusResponse-v0": ((0.0,), (1.0,)),
    "turinglearn/SensorIdentification-v0": ((-1.0, -1.0), (1.0, 1.0)),
}
#: SensorIdentification's readings are divided by this (max a + max b) before they are observed
READING_SCALE = 1.0
#: a ray direction component smaller than this in magnitude never meets the walls across it
PARALLEL = 1e-12


# --- StimulusResponse -------------------------------------------------------------------------


def reference_startle_step(
    startled: bool, prev_light: float | None, params, light: float, u_recover: float, u_startle: float
) -> tuple[bool, float]:
    """One step of one startle agent: returns (startled, speed).

    params: (gain, startle_prob, startled_speed, recovery_prob); prev_light: the previous
    step's light (None before the first step). A startled agent calms down when
    ``u_recover < recovery_prob``; then (calm or not) a rise of the light by more than ``RISE``
    startles it when ``u_startle < startle_prob``. A startled agent moves at
    ``startled_speed``, a calm one at ``gain * light``.
    """
    gain, p_startle, startled_speed, p_recover = (float(v) for v in params)
    if startled and u_recover < p_recover:
        startled = False
    if prev_light is not None and light - prev_light > RISE and u_startle < p_startle:
        startled = True
    return startled, (startled_speed if startled else gain * light)


# --- SensorIdentification ---------------------------------------------------------------------


def reference_sensor_reset(
    u_x: float, u_y: float, u_heading: float, arena: float, start_side: float
) -> tuple[float, float, float]:
    """Initial (x, y, heading) from three uniforms: uniform in the central square, uniform heading."""
    lo = arena / 2 - start_side / 2
    span = (arena / 2 + start_side / 2) - lo
    return lo + span * u_x, lo + span * u_y, -math.pi + 2 * math.pi * u_heading


def reference_wall_distance(x: float, y: float, heading: float, arena: float) -> float:
    """Distance from the robot's front to the wall straight ahead (0 when touching it)."""
    nearest = math.inf
    for p, direction in ((x, math.cos(heading)), (y, math.sin(heading))):
        if direction > PARALLEL:
            nearest = min(nearest, (arena - p) / direction)
        elif direction < -PARALLEL:
            nearest = min(nearest, -p / direction)
    return max(nearest - ROBOT_RADIUS, 0.0)


def reference_sensor_reading(a: float, b: float, distance: float, d_max: float) -> float:
    """The sensor's reading ``a * min(d / d_max, 1) + b`` (not normalised)."""
    return a * min(distance / d_max, 1.0) + b


def reference_sensor_step(
    x: float, y: float, heading: float, params, left: float, right: float, arena: float, d_max: float
) -> tuple[float, float, float, float]:
    """One step of one robot: drive (wheels clipped to [-1, 1]), stay inside the walls, read.

    Returns (x, y, heading, observed reading = reading / ``READING_SCALE``).
    """
    left, right = min(max(float(left), -1.0), 1.0), min(max(float(right), -1.0), 1.0)
    x, y, heading = reference_move(x, y, heading, left, right)
    x = min(max(x, ROBOT_RADIUS), arena - ROBOT_RADIUS)
    y = min(max(y, ROBOT_RADIUS), arena - ROBOT_RADIUS)
    a, b = float(params[0]), float(params[1])
    reading = reference_sensor_reading(a, b, reference_wall_distance(x, y, heading, arena), d_max)
    return x, y, heading, reading / READING_SCALE


def reference_sensor_schedule(
    steps: int, passive_speed: float, passive_hold: int, passive_seed: int
) -> list[list[float]]:
    """The passive controller's wheel speeds for every step: T rows of (left, right)."""
    blocks = -(-steps // passive_hold)
    draws = np.random.default_rng(passive_seed).uniform(-passive_speed, passive_speed, size=(blocks, 2))
    return [[float(v) for v in draws[t // passive_hold]] for t in range(steps)]


def reference_light_schedule(steps: int, passive_light: float, passive_period: int) -> list[list[float]]:
    """The passive light for every step: T rows of (light,), constant, or a square wave of
    ``passive_period`` steps (the first half at ``passive_light``, the rest at 1)."""
    return [
        [1.0 if passive_period and t % passive_period >= passive_period // 2 else float(passive_light)]
        for t in range(steps)
    ]


# --- the interrogator ---------------------------------------------------------------------------


def reference_stimulus(outputs: list[float], low, high) -> list[float]:
    """Outputs 1..k mapped into the stimulus box and clipped to it."""
    return [
        min(max(lo + (hi - lo) * out, lo), hi) for out, lo, hi in zip(outputs[1:], low, high, strict=True)
    ]


# --- whole trials ------------------------------------------------------------------------------


class _StartleTrial:
    """One StimulusResponse trial, stepped by stimuli; holds its agent and its random numbers."""

    def __init__(self, params, uniforms):
        self.params, self.uniforms = params, uniforms  # uniforms: T pairs (u_recover, u_startle)
        self.startled, self.light, self.t = False, None, 0

    def step(self, stimulus: list[float]) -> list[float]:
        light = stimulus[0]
        u_recover, u_startle = self.uniforms[self.t]
        self.startled, speed = reference_startle_step(
            self.startled, self.light, self.params, light, u_recover, u_startle
        )
        self.light, self.t = light, self.t + 1
        return [speed, light]


class _SensorTrial:
    """One SensorIdentification trial, stepped by wheel speeds."""

    def __init__(self, params, start, arena: float, d_max: float):
        self.params, self.arena, self.d_max = params, arena, d_max
        self.x, self.y, self.heading = start

    def step(self, stimulus: list[float]) -> list[float]:
        self.x, self.y, self.heading, reading = reference_sensor_step(
            self.x, self.y, self.heading, self.params, stimulus[0], stimulus[1], self.arena, self.d_max
        )
        return [reading]


def _option(config, name):
    return config[name] if isinstance(config, dict) else getattr(config, name)


def reference_interrogate(
    env_id: str,
    config,
    params,
    weights,
    rng: np.random.Generator,
    *,
    passive: bool = False,
    n_hidden: int = 5,
    interrogators=None,
    record: bool = False,
):
    """Judgements [D, S] of interrogators weights[D, k] on trials of agents params[S, d].

    env_id: ``turinglearn/StimulusResponse-v0`` or ``turinglearn/SensorIdentification-v0``;
    config: that environment's settings (its config dataclass or a dict with the same names);
    rng: drawn from exactly as ``InteractiveSystem.run`` draws (see the module docstring);
    passive: apply the environment's fixed schedule (each trial runs once; every interrogator
    watches it); interrogators: run only these rows of ``weights`` (the random numbers of all
    ``D`` are drawn all the same, so the result equals those rows of the full result).
    With ``record``, also returns the stimuli [Db, T, S, k] and features [Db, T, S, F] (rows
    that were not run are NaN).
    """
    if env_id not in STIMULUS_BOUNDS:
        raise ValueError(f"no scalar reference for {env_id!r}; known: {', '.join(STIMULUS_BOUNDS)}")
    low, high = STIMULUS_BOUNDS[env_id]
    k = len(low)
    params = [[float(v) for v in row] for row in np.asarray(params, dtype=float)]
    weights = np.asarray(weights, dtype=float)
    d_all, s_all, steps = weights.shape[0], len(params), int(_option(config, "steps"))
    db = 1 if passive else d_all
    rows = range(d_all) if interrogators is None else [int(i) for i in interrogators]
    n_inputs = 2 if env_id == "turinglearn/StimulusResponse-v0" else 1

    # the random numbers, drawn as the batched code draws them, then as nested lists [Db][S]
    if env_id == "turinglearn/StimulusResponse-v0":
        draws = np.empty((steps, 2, db, s_all))
        for t in range(steps):
            draws[t, 0] = rng.random((db, s_all))  # recovery
            draws[t, 1] = rng.random((db, s_all))  # startle
        rows_drawn = {}  # b -> [S][T][2], converted to lists only for the rows that run

        def new_trial(b, s):
            if b not in rows_drawn:
                rows_drawn.clear()
                rows_drawn[b] = draws[:, :, b].transpose(2, 0, 1).tolist()
            return _StartleTrial(params[s], rows_drawn[b][s])

        schedule = reference_light_schedule(
            steps, _option(config, "passive_light"), _option(config, "passive_period")
        )
    else:
        arena, side, d_max = (float(_option(config, n)) for n in ("arena", "start_side", "d_max"))
        u_pos = rng.random((db, s_all, 2)).tolist()  # as uniform(c - h, c + h, (Db, S, 2))
        u_heading = rng.random((db, s_all)).tolist()  # as uniform(-pi, pi, (Db, S))

        def new_trial(b, s):
            start = reference_sensor_reset(u_pos[b][s][0], u_pos[b][s][1], u_heading[b][s], arena, side)
            return _SensorTrial(params[s], start, arena, d_max)

        schedule = reference_sensor_schedule(
            steps,
            float(_option(config, "passive_speed")),
            int(_option(config, "passive_hold")),
            int(_option(config, "passive_seed")),
        )

    judgements = np.full((d_all, s_all), np.nan)
    stimuli = np.full((db, steps, s_all, k), np.nan) if record else None
    features = np.full((db, steps, s_all, n_inputs), np.nan) if record else None

    if passive:  # the trials do not depend on the interrogator: run each once
        watched = []  # [S][T] features
        for s in range(s_all):
            trial, seen = new_trial(0, s), []
            for t in range(steps):
                x = trial.step(schedule[t])
                seen.append(x)
                if record:
                    stimuli[0, t, s], features[0, t, s] = schedule[t], x
            watched.append(seen)
        for d in rows:
            net = reference_unpack(weights[d], n_inputs, n_hidden)
            for s in range(s_all):
                context = [0.0] * n_hidden
                for x in watched[s]:
                    context, outputs = reference_interrogator_step(net, context, x)
                judgements[d, s] = reference_outputs(net, context)[0]
        return (judgements, stimuli, features) if record else judgements

    for d in rows:
        net = reference_unpack(weights[d], n_inputs, n_hidden)
        first = reference_outputs(net, [0.0] * n_hidden)  # the first stimulus: at zero context
        for s in range(s_all):
            trial, context, outputs = new_trial(d, s), [0.0] * n_hidden, first
            for t in range(steps):
                stimulus = reference_stimulus(outputs, low, high)
                x = trial.step(stimulus)
                context, outputs = reference_interrogator_step(net, context, x)
                if record:
                    stimuli[d, t, s], features[d, t, s] = stimulus, x
            judgements[d, s] = outputs[0]
    return (judgements, stimuli, features) if record else judgements
