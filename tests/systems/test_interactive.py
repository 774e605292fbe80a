"""Interactive Turing Learning: identifiability, stimulus space, batched interrogation against the
scalar oracle, passive mode, the two interactive environments, and runs end to end."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from helpers import SMALL_INTERACTIVE

import turinglearn  # registers the gymnasium environments
from turinglearn.app.cli import main
from turinglearn.config import load_config
from turinglearn.environments import _swarm
from turinglearn.environments.reference_interactive import (
    READING_SCALE,
    STIMULUS_BOUNDS,
    reference_interrogate,
    reference_interrogator_step,
    reference_light_schedule,
    reference_outputs,
    reference_sensor_reading,
    reference_sensor_schedule,
    reference_sensor_step,
    reference_startle_step,
    reference_unpack,
    reference_wall_distance,
)
from turinglearn.environments.sensor_identification import (
    RobotState,
    SensorIdentificationConfig,
    SensorIdentificationEnv,
    SensorIdentificationSim,
)
from turinglearn.environments.stimulus_response import (
    AgentState,
    StimulusResponseConfig,
    StimulusResponseEnv,
    StimulusResponseSim,
)
from turinglearn.errors import ConfigError
from turinglearn.families.elman import ElmanNetwork
from turinglearn.families.parametric import BoxFamily
from turinglearn.systems.interactive import InteractiveSystem

SR = "turinglearn/StimulusResponse-v0"
SI = "turinglearn/SensorIdentification-v0"
R = _swarm.ROBOT_RADIUS


def _sim(env_id: str, **options):
    if env_id == SR:
        return StimulusResponseSim(StimulusResponseConfig(**options))
    return SensorIdentificationSim(SensorIdentificationConfig(**options))


def _net(sim, n_outputs: int | None = None, dtype: str = "float64", readout: str = "last") -> ElmanNetwork:
    k = sim.stimulus_space.shape[0]
    return ElmanNetwork(
        n_inputs=len(sim.feature_names),
        n_outputs=1 + k if n_outputs is None else n_outputs,
        dtype=dtype,
        readout=readout,
    )


def _weights(net: ElmanNetwork, n: int, seed: int, scale: float = 3.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size=(n, net.n_weights))


def _models(sim, n: int, seed: int) -> np.ndarray:
    fam = sim.model_family
    return np.random.default_rng(seed).uniform(fam.lower, fam.upper, size=(n, fam.n_params))


def _alternating_interrogator(net: ElmanNetwork) -> np.ndarray:
    """Weights [1, k] of an interrogator that switches the light 0, 1, 0, 1, ... whatever it sees.

    Hidden unit 0 ignores the inputs and inverts itself every step (h <- sigmoid(10 - 20 h),
    from h = 0: 1, 0, 1, ...); output 1 (the light) is sigmoid(20 h - 10): 0 first, then 1, 0, ...
    """
    f, h, o = net.n_inputs, net.n_hidden, net.n_outputs
    w_in, w_ctx, w_out = np.zeros((f + 1, h)), np.zeros((h, h)), np.zeros((h + 1, o))
    w_in[f, 0] = 10.0  # bias of hidden unit 0
    w_ctx[0, 0] = -20.0
    w_out[0, 1], w_out[h, 1] = 20.0, -10.0
    return np.concatenate([w_in.ravel(), w_ctx.ravel(), w_out.ravel()])[None]


# --- identifiability of StimulusResponse -----------------------------------------------------

TRUTH_A = (0.6, 0.8, 0.1, 0.2)
TRUTH_B = (0.6, 0.3, 0.7, 0.9)  # the same gain; startle_prob, startled_speed, recovery_prob differ


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_passive_schedule_hides_the_startle_parameters(seed):
    sim = _sim(SR)
    system = InteractiveSystem(sim, passive=True)
    net = _net(sim, n_outputs=1)
    w = _weights(net, 4, seed)
    runs = [
        system.run(np.tile(truth, (20, 1)), net, w, np.random.default_rng(seed), record=True)
        for truth in (TRUTH_A, TRUTH_B)
    ]
    np.testing.assert_array_equal(runs[0].features, runs[1].features)  # common random numbers
    np.testing.assert_array_equal(runs[0].outputs, runs[1].outputs)
    np.testing.assert_allclose(runs[0].features[..., 0], 0.5 * 0.6)  # calm: gain * light throughout
    # the gain is not hidden: another gain is seen at once
    other = system.run(
        np.tile((0.5, 0.8, 0.1, 0.2), (20, 1)), net, w, np.random.default_rng(seed), record=True
    )
    assert not np.array_equal(other.features, runs[0].features)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_designed_stimulus_reveals_the_startle_parameters(seed):
    sim = _sim(SR)
    system = InteractiveSystem(sim)
    net = _net(sim)
    w = _alternating_interrogator(net)
    runs = [
        system.run(np.tile(truth, (20, 1)), net, w, np.random.default_rng(seed), record=True)
        for truth in (TRUTH_A, TRUTH_B)
    ]
    light = runs[0].stimuli[0, :, 0, 0]  # [T] of trial 0
    np.testing.assert_allclose(light[0::2], 0.0, atol=1e-3)
    np.testing.assert_allclose(light[1::2], 1.0, atol=1e-3)
    assert not np.array_equal(runs[0].features, runs[1].features)
    # the startled fraction and speeds tell the two apart by far more than noise
    speed_a, speed_b = runs[0].features[0, 1::2, :, 0], runs[1].features[0, 1::2, :, 0]
    assert abs(speed_a.mean() - speed_b.mean()) > 0.1


def test_designed_stimulus_reveals_the_startle_parameters_directly():
    """Without any interrogator: the same designed schedule and random numbers on the simulator."""
    sim = _sim(SR)
    schedule = np.tile([0.0, 1.0], 50)  # [T]
    observed = []
    for truth in (TRUTH_A, TRUTH_B):
        rng, state, feats = np.random.default_rng(7), sim.reset(None, (30,)), []
        for light in schedule:
            state, f = sim.step(state, np.array(truth), np.full((30, 1), light), rng)
            feats.append(f)
        observed.append(np.stack(feats, axis=1))
    assert not np.array_equal(observed[0], observed[1])


# --- the stimulus space ------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", [SR, SI])
@pytest.mark.parametrize("passive", [False, True])
def test_stimuli_stay_inside_the_declared_space(env_id, passive):
    sim = _sim(env_id, steps=40)
    system = InteractiveSystem(sim, passive=passive)
    net = _net(sim)
    w = _weights(net, 12, seed=3, scale=20.0)  # saturated outputs: stimuli pushed to the bounds
    run = system.run(_models(sim, 10, 1), net, w, np.random.default_rng(0), record=True)
    low, high = sim.stimulus_space.low, sim.stimulus_space.high
    assert run.stimuli.shape == (1 if passive else 12, 40, 10, len(low))
    assert (run.stimuli >= low).all() and (run.stimuli <= high).all()
    for stim in run.stimuli.reshape(-1, len(low))[::97]:
        assert stim.astype(sim.stimulus_space.dtype) in sim.stimulus_space
    if not passive:  # the interrogators do reach both ends of the space
        assert (
            np.isclose(run.stimuli, low, atol=1e-3).any() and np.isclose(run.stimuli, high, atol=1e-3).any()
        )
    assert np.isfinite(run.outputs).all() and ((run.outputs >= 0) & (run.outputs <= 1)).all()


@pytest.mark.parametrize("env_id", [SR, SI])
def test_outputs_map_into_the_space_and_are_clipped(env_id):
    system = InteractiveSystem(_sim(env_id))
    low, high = system.low, system.high
    k = len(low)
    out = np.array(
        [[0.3, *[0.0] * k], [0.3, *[1.0] * k], [0.3, *[0.25] * k], [0.3, *[-0.5] * k], [0.3, *[1.5] * k]]
    )
    stim = system.to_stimulus(out)
    np.testing.assert_allclose(stim[0], low)
    np.testing.assert_allclose(stim[1], high)
    np.testing.assert_allclose(stim[2], low + 0.25 * (high - low))
    np.testing.assert_allclose(stim[3], low)
    np.testing.assert_allclose(stim[4], high)
    assert (STIMULUS_BOUNDS[env_id][0] == low).all() and (STIMULUS_BOUNDS[env_id][1] == high).all()


class _BadSpace(StimulusResponseSim):
    def __init__(self, space, **kwargs):
        super().__init__(**kwargs)
        self.stimulus_space = space


@pytest.mark.parametrize(
    ("space", "fragment"),
    [
        (gymnasium.spaces.Discrete(3), "must be a gymnasium.spaces.Box of shape"),
        (gymnasium.spaces.Box(0.0, 1.0, shape=(1, 1)), "must be a gymnasium.spaces.Box of shape"),
        (gymnasium.spaces.Box(0.0, np.inf, shape=(1,)), "finite bounds"),
        (gymnasium.spaces.Box(np.array([1.0]), np.array([1.0]), dtype=np.float64), "high > low"),
        (
            gymnasium.spaces.Box(0.0, 1.0, shape=(2,)),
            r"passive_schedule\(\) has shape \(\d+, 1\); the stimulus space needs \(\d+, 2\)",
        ),
        (gymnasium.spaces.Box(0.6, 1.0, shape=(1,)), "leaves the declared stimulus space"),
    ],
)
def test_a_stimulus_space_that_does_not_fit_is_rejected(space, fragment):
    with pytest.raises(ConfigError, match=fragment):
        InteractiveSystem(_BadSpace(space))


def test_the_declared_spaces_fit():
    for env_id in (SR, SI):
        InteractiveSystem(_sim(env_id))  # no error
    assert InteractiveSystem(_sim(SR)).n_outputs == 2
    assert InteractiveSystem(_sim(SI)).n_outputs == 3
    assert InteractiveSystem(_sim(SI), passive=True).n_outputs == 1


# --- batched interrogation against the scalar oracle --------------------------------------------


def _activity(env_id, features, params) -> int:
    """How many steps show what the designed physics is about: startles, or readings below saturation."""
    if env_id == SR:
        speed, light = features[..., 0], features[..., 1]  # [Db, T, S]
        gain = params[:, 0][None, None, :]
        return int((np.abs(speed - gain * light) > 1e-9).sum())
    saturated = (params[:, 0] + params[:, 1]) / READING_SCALE
    return int((features[..., 0] < saturated[None, None, :] - 1e-9).sum())


@pytest.mark.parametrize("env_id", [SR, SI])
@pytest.mark.parametrize("passive", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_batched_interrogation_equals_the_scalar_reference(env_id, passive, seed):
    steps = 60 if env_id == SR else 150
    sim = _sim(env_id, steps=steps)
    system = InteractiveSystem(sim, passive=passive)
    net = _net(sim)
    w = _weights(net, 4, seed=10 + seed)
    params = np.concatenate([sim.truth[None], _models(sim, 7, seed)])
    run = system.run(params, net, w, np.random.default_rng(seed), record=True)
    out, stimuli, features = reference_interrogate(
        env_id, sim.config, params, w, np.random.default_rng(seed), passive=passive, record=True
    )
    assert run.outputs.shape == out.shape == (4, 8)
    np.testing.assert_allclose(run.stimuli, stimuli, rtol=0, atol=1e-9)
    np.testing.assert_allclose(run.features, features, rtol=0, atol=1e-9)
    np.testing.assert_allclose(run.outputs, out, rtol=0, atol=1e-9)
    if not passive:
        assert _activity(env_id, features, params) > 0, "the comparison should include startles / walls"


def test_batched_evaluation_equals_the_scalar_reference():
    """InteractiveSystem.evaluate (genuine trials first, then each model's) against the oracle."""
    sim = _sim(SR, steps=50)
    system = InteractiveSystem(sim, genuine_trials=5, trials_per_model=2)
    net = _net(sim)
    w, theta = _weights(net, 3, seed=4), _models(sim, 4, 5)
    ev = system.evaluate(theta, net, w, np.random.default_rng(11))
    params = np.concatenate([np.tile(sim.truth, (5, 1)), np.repeat(theta, 2, axis=0)])
    out = reference_interrogate(SR, sim.config, params, w, np.random.default_rng(11))
    np.testing.assert_allclose(ev.outputs, out, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ev.genuine, [True] * 5 + [False] * 8)
    np.testing.assert_array_equal(ev.owner, [-1] * 5 + [0, 0, 1, 1, 2, 2, 3, 3])


def test_reference_subset_of_interrogators_equals_the_full_result():
    sim = _sim(SI, steps=30)
    net = _net(sim)
    w, params = _weights(net, 5, seed=2), _models(sim, 3, 2)
    full = reference_interrogate(SI, sim.config, params, w, np.random.default_rng(0))
    part = reference_interrogate(SI, sim.config, params, w, np.random.default_rng(0), interrogators=[1, 3])
    np.testing.assert_array_equal(part[[1, 3]], full[[1, 3]])
    assert np.isnan(part[[0, 2, 4]]).all()


def test_float32_interrogators_agree_with_float64():
    sim = _sim(SR, steps=50)
    net64, net32 = _net(sim), _net(sim, dtype="float32")
    w, params = _weights(net64, 6, seed=1, scale=1.0), _models(sim, 10, 1)
    a = InteractiveSystem(sim).run(params, net64, w, np.random.default_rng(3)).outputs
    b = InteractiveSystem(sim).run(params, net32, w, np.random.default_rng(3)).outputs
    assert b.dtype == np.float64
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_scalar_startle_step_equals_the_batched_step():
    sim, n = _sim(SR), 4000
    gen = np.random.default_rng(0)
    state = AgentState(gen.random(n) < 0.5, np.where(gen.random(n) < 0.2, np.nan, gen.random(n)))
    params, light = _models(sim, n, 1), gen.random((n, 1))
    new, feats = sim.step(state, params, light, np.random.default_rng(5))
    replay = np.random.default_rng(5)  # the same draws, in the same order
    u_recover, u_startle = replay.random(n), replay.random(n)
    startles = 0
    for i in range(n):
        prev = None if math.isnan(state.light[i]) else float(state.light[i])
        startled, speed = reference_startle_step(
            bool(state.startled[i]), prev, params[i], float(light[i, 0]), u_recover[i], u_startle[i]
        )
        assert startled == new.startled[i]
        assert speed == feats[i, 0] and light[i, 0] == feats[i, 1]
        startles += startled and not state.startled[i]
    assert startles > 50


def test_scalar_sensor_step_equals_the_batched_step():
    sim, n = _sim(SI), 3000
    gen = np.random.default_rng(1)
    pos = gen.uniform(R, 2.0 - R, size=(n, 2))
    pos[: n // 3, 0] = 2.0 - R - gen.uniform(0, 0.01, n // 3)  # against a wall
    heading = gen.uniform(-np.pi, np.pi, n)
    wheels = gen.uniform(-1.5, 1.5, size=(n, 2))  # also outside [-1, 1]: clipped
    params = _models(sim, n, 2)
    new, feats = sim.step(RobotState(pos, heading), params, wheels, np.random.default_rng(0))
    for i in range(n):
        x, y, th, obs = reference_sensor_step(
            pos[i, 0], pos[i, 1], heading[i], params[i], wheels[i, 0], wheels[i, 1], 2.0, 0.3
        )
        np.testing.assert_allclose([x, y, th, obs], [*new.pos[i], new.heading[i], feats[i, 0]], atol=1e-12)
    assert (feats[:, 0] < (params[:, 0] + params[:, 1]) / READING_SCALE - 1e-6).sum() > 100


def test_scalar_interrogator_step_equals_the_batched_network():
    net = ElmanNetwork(n_inputs=2, n_hidden=4, n_outputs=3, dtype="float64")
    w = _weights(net, 3, seed=0, scale=2.0)
    x = np.random.default_rng(1).random((5, 2))  # [S, F]
    params = net.unpack(w)
    h = np.random.default_rng(2).random((3, 5, 4))
    h_new = net.hidden_step(params, x, h)
    out = net.output(params, h_new)
    for d in range(3):
        ref = reference_unpack(w[d], 2, 4)
        for s in range(5):
            hidden, outputs = reference_interrogator_step(ref, h[d, s].tolist(), x[s].tolist())
            np.testing.assert_allclose(hidden, h_new[d, s], atol=1e-12)
            np.testing.assert_allclose(outputs, out[d, s], atol=1e-12)
            np.testing.assert_allclose(reference_outputs(ref, hidden), out[d, s], atol=1e-12)
    with pytest.raises(ValueError, match="does not fit"):
        reference_unpack(w[0, :-1], 2, 4)


def test_reference_passive_schedule_is_the_simulators():
    sim = _sim(SI, steps=95, passive_hold=7)
    cfg = sim.config
    schedule = reference_sensor_schedule(cfg.steps, cfg.passive_speed, cfg.passive_hold, cfg.passive_seed)
    np.testing.assert_array_equal(np.array(schedule), sim.passive_schedule())
    for period in (0, 2, 7, 20):
        light = StimulusResponseSim(
            StimulusResponseConfig(steps=45, passive_light=0.3, passive_period=period)
        )
        np.testing.assert_array_equal(
            np.array(reference_light_schedule(45, 0.3, period)), light.passive_schedule()
        )


# --- passive mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("readout", ["last", "mean"])
@pytest.mark.parametrize("env_id", [SR, SI])
def test_passive_mode_runs_the_trials_once_for_every_discriminator(env_id, readout):
    sim = _sim(env_id, steps=40)
    system = InteractiveSystem(sim, passive=True)
    net = _net(sim, n_outputs=1, readout=readout)
    w, params = _weights(net, 6, seed=0), _models(sim, 9, 0)
    run = system.run(params, net, w, np.random.default_rng(1), record=True)
    assert run.outputs.shape == (6, 9)
    assert run.stimuli.shape == (1, 40, 9, system.n_stimuli)
    assert run.features.shape == (1, 40, 9, len(sim.feature_names))
    np.testing.assert_array_equal(
        run.stimuli[0], np.broadcast_to(sim.passive_schedule()[:, None], run.stimuli[0].shape)
    )
    # every discriminator judged the same trials: judging the recorded features gives its outputs
    np.testing.assert_allclose(net.judge(w, run.features[0].transpose(1, 0, 2)), run.outputs, atol=1e-12)
    # and the trials do not depend on how many discriminators watch them
    alone = system.run(params, net, w[:1], np.random.default_rng(1), record=True)
    np.testing.assert_array_equal(alone.features, run.features)
    np.testing.assert_array_equal(alone.outputs[0], run.outputs[0])
    if readout == "mean":  # the mean of the outputs over the steps, not the last one
        last = _net(sim, n_outputs=1).judge(w, run.features[0].transpose(1, 0, 2))
        assert not np.allclose(last, run.outputs)
        steps = run.features[0].transpose(1, 0, 2)  # output after step t: the judgement of t steps
        each = [_net(sim, n_outputs=1).judge(w, steps[:, :t]) for t in range(1, steps.shape[1] + 1)]
        np.testing.assert_allclose(run.outputs, np.mean(each, axis=0), atol=1e-12)


def test_interactive_mode_runs_each_interrogators_own_trials():
    sim = _sim(SR, steps=30)
    system = InteractiveSystem(sim)
    net = _net(sim)
    w, params = _weights(net, 5, seed=0), _models(sim, 4, 0)
    run = system.run(params, net, w, np.random.default_rng(1), record=True)
    assert run.stimuli.shape == (5, 30, 4, 1) and run.features.shape == (5, 30, 4, 2)
    assert not np.array_equal(run.stimuli[0], run.stimuli[1])


def test_passive_mode_accepts_a_judge_without_stimulus_outputs():
    sim = _sim(SI, steps=10)
    for n_outputs in (1, 3):
        run = InteractiveSystem(sim, passive=True).run(
            _models(sim, 2, 0),
            _net(sim, n_outputs),
            np.zeros((2, _net(sim, n_outputs).n_weights)),
            np.random.default_rng(0),
        )
        np.testing.assert_allclose(run.outputs, 0.5)


# --- check_discriminator -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env_id", "passive", "n_inputs", "n_outputs", "fragment"),
    [
        (SR, False, 2, 1, "needs 2 outputs"),
        (SR, False, 2, 3, "needs 2 outputs"),
        (SI, False, 1, 2, "needs 3 outputs"),
        (SR, False, 1, 2, "takes 1 inputs; this system gives 2 features"),
        (SI, True, 2, 1, "takes 2 inputs; this system gives 1 features"),
    ],
)
def test_check_discriminator_rejects_a_misfit(env_id, passive, n_inputs, n_outputs, fragment):
    system = InteractiveSystem(_sim(env_id, steps=5), passive=passive)
    net = ElmanNetwork(n_inputs=n_inputs, n_outputs=n_outputs)
    with pytest.raises(ConfigError, match=fragment):
        system.check_discriminator(net)
    with pytest.raises(ConfigError, match=fragment):  # run checks before it simulates
        system.run(_models(system.sim, 2, 0), net, np.zeros((1, net.n_weights)), np.random.default_rng(0))


# --- the environments --------------------------------------------------------------------------


@pytest.mark.parametrize(("env_id", "cls"), [(SR, StimulusResponseEnv), (SI, SensorIdentificationEnv)])
def test_gymnasium_make_and_check_env(env_id, cls):
    assert env_id in gymnasium.registry and turinglearn.__version__
    env = gymnasium.make(env_id, steps=20)
    assert isinstance(env.unwrapped, cls)
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    truncated, t = False, 0
    while not truncated:
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert obs in env.observation_space and reward == 0.0 and not terminated
        t += 1
    assert t == 20
    env.close()


def test_stimulus_response_env_follows_the_simulator():
    env = StimulusResponseEnv(params=TRUTH_B, steps=10)
    env.reset(seed=3)
    feats = [env.step(np.array([light]))[0] for light in [0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0, 0.9, 0.1]]
    sim = env.sim
    rng = np.random.default_rng(3)  # what gymnasium seeds np_random with
    state, ref = sim.reset(rng, ()), []
    for light in [0.0, 1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0, 0.9, 0.1]:
        state, f = sim.step(state, np.array(TRUTH_B), np.array([light]), rng)
        ref.append(f)
    np.testing.assert_array_equal(np.stack(feats), np.stack(ref))


def test_a_square_wave_passive_schedule_reveals_what_constant_light_hides():
    """Watched passively under constant light every trial of the truth is the same (three
    parameters hidden); under ``passive_period`` the rises startle the agent: the share of
    rises answered by the startled speed estimates startle_prob, the runs' lengths recovery."""
    from turinglearn.systems.recorded import simulate_models

    truth = np.array(TRUTH_A)  # (0.6, 0.8, 0.1, 0.2)
    flat = StimulusResponseSim(StimulusResponseConfig(steps=60))
    feats = simulate_models(flat, np.tile(truth, (50, 1)), np.random.default_rng(0))[:, 0]  # [B, T, 2]
    assert np.ptp(feats[..., 0], axis=0).max() == 0  # every trial moves at 0.5 gain throughout

    wave = StimulusResponseSim(StimulusResponseConfig(steps=60, passive_period=20))
    light = wave.passive_schedule()[:, 0]
    assert light.tolist() == ([0.5] * 10 + [1.0] * 10) * 3
    feats = simulate_models(wave, np.tile(truth, (2000, 1)), np.random.default_rng(0))[:, 0]
    np.testing.assert_array_equal(feats[0, :, 1], light)  # the light each step was given
    rises = np.flatnonzero(np.diff(light) > 0) + 1  # steps 10, 30, 50
    startled = feats[:, rises, 0] == truth[2]  # the startled speed, not gain x light
    assert abs(startled.mean() - truth[1]) < 0.03
    # a startled agent still startled the next step: 1 - recovery_prob
    stays = feats[:, rises + 1, 0][startled] == truth[2]
    assert abs(stays.mean() - (1 - truth[3])) < 0.03


@pytest.mark.parametrize(
    ("cls", "options", "key"),
    [
        (StimulusResponseConfig, {"steps": 1}, "steps"),
        (StimulusResponseConfig, {"passive_light": 1.5}, "passive_light"),
        (StimulusResponseConfig, {"passive_light": -0.1}, "passive_light"),
        (StimulusResponseConfig, {"passive_period": 1}, "passive_period"),
        (StimulusResponseConfig, {"passive_period": -4}, "passive_period"),
        (StimulusResponseConfig, {"truth": (0.5, 0.5, 0.5)}, "truth"),
        (StimulusResponseConfig, {"truth": (0.5, 1.5, 0.5, 0.5)}, "truth"),
        (SensorIdentificationConfig, {"steps": 0}, "steps"),
        (SensorIdentificationConfig, {"arena": 0.05}, "arena"),
        (SensorIdentificationConfig, {"start_side": 0.0}, "start_side"),
        (SensorIdentificationConfig, {"start_side": 2.0}, "start_side"),
        (SensorIdentificationConfig, {"d_max": 0.0}, "d_max"),
        (SensorIdentificationConfig, {"passive_speed": 1.2}, "passive_speed"),
        (SensorIdentificationConfig, {"passive_hold": 0}, "passive_hold"),
        (SensorIdentificationConfig, {"truth": (1.0,)}, "truth"),
        (SensorIdentificationConfig, {"truth": (5.0, 1.0)}, "truth"),
        (SensorIdentificationConfig, {"truth": (2.0, -0.5)}, "truth"),
    ],
)
def test_config_errors_name_the_field(cls, options, key):
    with pytest.raises(ConfigError) as err:
        cls(**options)
    assert err.value.key == key
    assert str(err.value).startswith(f"{key}: ")


@pytest.mark.parametrize(
    ("preset", "overrides", "key"),
    [
        ("stimulus-response", {"environment.passive_light": 2}, "environment.passive_light"),
        ("stimulus-response", {"environment.truth": [0.6, 0.8]}, "environment.truth"),
        ("stimulus-response", {"environment.n_agents": 4}, "environment.n_agents"),
        ("stimulus-response", {"learner.genuine_trials": 0}, "learner.genuine_trials"),
        ("stimulus-response", {"learner.passive": "yes"}, "learner.passive"),
        ("sensor-identification", {"environment.d_max": -1.0}, "environment.d_max"),
        ("sensor-identification", {"environment.truth": [2.0, 3.0]}, "environment.truth"),
        ("sensor-identification", {"environment.passive_hold": 0}, "environment.passive_hold"),
    ],
)
def test_preset_overrides_errors_name_the_dotted_field(preset, overrides, key):
    with pytest.raises(ConfigError) as err:
        load_config(preset, overrides)
    assert err.value.key == key


def test_presets_load_with_their_documented_settings():
    sr, si = load_config("stimulus-response"), load_config("sensor-identification")
    assert sr.environment.id == SR and si.environment.id == SI
    assert sr.environment.options["truth"] == list(TRUTH_A)
    assert si.environment.options["truth"] == [2.0, 1.0]
    assert not sr.learner.passive and not si.learner.passive
    assert load_config("sensor-identification", {"learner.passive": True}).learner.passive


# --- the sensor on constructed geometries --------------------------------------------------------


@pytest.mark.parametrize(
    ("pos", "heading", "distance"),
    [
        ((1.0, 1.0), 0.0, 1.0 - R),  # centre, facing +x: beyond d_max
        ((2.0 - R - 0.1, 1.0), 0.0, 0.1),  # 0.1 m from the +x wall, facing it
        ((1.0, R + 0.15), -np.pi / 2, 0.15),  # facing the -y wall
        ((R + 0.2, 0.5), np.pi, 0.2),  # facing the -x wall
        ((1.0, 2.0 - R), np.pi / 2, 0.0),  # touching the +y wall
        ((1.7, 1.8), np.pi / 4, 0.2 * math.sqrt(2) - R),  # diagonal: the +y wall comes first
        ((1.0, 2.0 - R - 0.05), 0.0, 1.0 - R),  # along a wall: only the wall ahead counts
    ],
)
@pytest.mark.parametrize("sensor", [(2.0, 1.0), (0.5, 0.25), (4.0, 0.0)])
def test_sensor_reading_on_constructed_geometries(pos, heading, distance, sensor):
    sim = _sim(SI)
    pos_a, heading_a = np.array([pos]), np.array([heading])
    np.testing.assert_allclose(sim.wall_distance(pos_a, heading_a), [distance], atol=1e-12)
    assert reference_wall_distance(*pos, heading, 2.0) == pytest.approx(distance, abs=1e-12)
    a, b = sensor
    expected = a * min(distance / 0.3, 1.0) + b
    # standing still (both wheels 0), the robot reads the wall ahead
    state, feats = sim.step(RobotState(pos_a, heading_a), np.array(sensor), np.zeros((1, 2)), None)
    np.testing.assert_allclose(state.pos, pos_a)
    np.testing.assert_allclose(feats[0, 0] * READING_SCALE, expected, atol=1e-12)
    assert reference_sensor_reading(a, b, distance, 0.3) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("distance", [0.3, 0.31, 0.5, 1.2, 10.0])
def test_sensor_saturates_at_a_plus_b_beyond_d_max(distance):
    sim = _sim(SI)
    params = np.array([[2.0, 1.0], [0.7, 1.9], [4.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(sim.reading(params, np.full(4, distance)), params.sum(axis=1), atol=1e-12)
    below = sim.reading(params, np.full(4, 0.15))
    np.testing.assert_allclose(below, 0.5 * params[:, 0] + params[:, 1], atol=1e-12)


def test_the_robot_drives_into_a_wall_and_stays_inside():
    sim = _sim(SI)
    state = RobotState(np.array([[1.0, 1.0]]), np.array([0.0]))
    readings = []
    for _ in range(150):  # full speed ahead: 1.28 m in 10 s, into the +x wall
        state, feats = sim.step(state, sim.truth, np.ones((1, 2)), None)
        readings.append(feats[0, 0] * READING_SCALE)
        assert R - 1e-12 <= state.pos[0, 0] <= 2.0 - R + 1e-12
    assert readings[0] == pytest.approx(3.0) and readings[-1] == pytest.approx(1.0)  # a + b, then b
    assert np.all(np.diff(readings) <= 1e-12)


# --- end to end --------------------------------------------------------------------------------

SMALL = SMALL_INTERACTIVE


def test_learn_end_to_end_writes_the_interrogation_plot(tmp_path):
    out = tmp_path / "run"
    r = turinglearn.learn("stimulus-response", generations=3, seed=1, overrides={**SMALL, "evaluation.c2st_trials": 20}, out=out)
    assert r.summary()["mode"] == "interactive"
    assert r.inferred.shape == (4,) and r.abs_error.shape == (4,) and 0.0 <= r.c2st <= 1.0
    assert (out / "interrogation.png").stat().st_size > 1000
    with np.load(out / "interrogations.npz") as npz:
        gens = sorted(int(k.split("_")[1]) for k in npz.files if k.startswith("stimuli_"))
        assert gens == [0, 1, 2]
        assert npz["stimuli_2"].shape == (20, 1) and npz["responses_2"].shape == (20, 2)
        assert ((npz["stimuli_2"] >= 0) & (npz["stimuli_2"] <= 1)).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "interactive" and summary["generations"] == 3
    # the same seed gives the same run
    again = turinglearn.learn("stimulus-response", generations=3, seed=1, overrides=SMALL)
    np.testing.assert_array_equal(again.models, r.models)


def test_cli_passive_run(tmp_path, capsys):
    out = tmp_path / "passive"
    args = ["run", "sensor-identification", "--passive", "--quiet", "--out", str(out), "--generations", "2"]
    for key, value in {**SMALL, "evaluation.c2st_trials": 0}.items():
        args += ["--set", f"{key}={value}"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "passive" and summary["parameters"] == ["a", "b"]
    assert "passive = true" in (out / "config.toml").read_text()
    assert not (out / "interrogation.png").exists() and not (out / "interrogations.npz").exists()
    assert "b" in capsys.readouterr().out


def test_a_passive_studys_intervals_are_drawn_under_the_schedule_it_watched(monkeypatch):
    """A newcomer's moth watched under a constant call: habituation and recovery were recovered,
    the threshold not; drawn under random stimuli, which the study never applied, every interval
    read 'none (told apart)'. A passive study's intervals and power now use the passive schedule;
    the headline C2ST still runs every schedule."""
    import turinglearn.app.swarm_run as swarm_run

    monkeypatch.setattr(swarm_run.SwarmExperiment, "_most_powerful", lambda *a: "random")  # what auto would pick
    # 30 steps: in 20 the robot meets nothing its stimulus could change, and one schedule is run
    settings = {**SMALL, "learner.passive": True, "evaluation.c2st_trials": 20, "environment.steps": 30}
    summary = turinglearn.learn("sensor-identification", generations=2, overrides=settings).summary()
    assert summary["test"]["schedule"] == "passive"
    assert set(summary["c2st_by_schedule"]) == {"random", "passive"}


class _Town(StimulusResponseSim):
    """Stimulus-response's agent with the light fixed at 0.5 whatever the stimulus: a system
    without one (an epidemic in one town), given a stimulus space to fit the interactive contract."""

    def step(self, state, params, stimulus, rng):
        return super().step(state, params, np.full_like(stimulus, 0.5), rng)


def test_a_system_whose_stimulus_changes_nothing_is_tested_under_one_schedule():
    """An epidemiologist's town had a stimulus space it never read: its C2ST ran under the random
    and the passive schedules, the same test twice, and the headline was the larger of the two
    (0.570 against 0.547)."""
    from turinglearn.app.interactive_probes import stimulus_changes_nothing

    assert stimulus_changes_nothing(_Town()) and not stimulus_changes_nothing(StimulusResponseSim())

    class Unmoved:  # does the animal respond at all? its truth: no (a gain of 0)
        model_family = BoxFamily(("base", "gain"), lower=(0, 0), upper=(1, 1))
        truth, feature_names, config = np.array([0.5, 0.0]), ("speed",), SimpleNamespace(steps=10)
        stimulus_space = gymnasium.spaces.Box(0.0, 1.0, shape=(1,))

        def passive_schedule(self):
            return np.zeros((10, 1))

        def reset(self, rng, shape):
            return np.zeros(shape)

        def step(self, s, p, light, rng):
            speed = p[..., 0] + p[..., 1] * light[..., 0] + 0.1 * rng.normal(size=s.shape)
            return s, speed[..., None]

    assert not stimulus_changes_nothing(Unmoved())  # its models may respond: every schedule is run
    over = {k: v for k, v in SMALL_INTERACTIVE.items() if k != "environment.steps"}
    over = {**over, "evaluation.c2st_trials": 20, "learner.passive": True}
    town = turinglearn.learn("own-system", simulator=_Town(), generations=2, overrides=over)
    assert town.summary()["c2st_by_schedule"] == {"passive": town.c2st}
    asked = turinglearn.learn("own-system", simulator=_Town(), generations=2, overrides={**over, "evaluation.c2st_schedule": "random"})
    assert asked.summary()["c2st_schedule"] == "random"  # a schedule named is run as asked (a review: it raised)
    agent = turinglearn.learn("own-system", simulator=StimulusResponseSim(), generations=2, overrides=over)
    assert set(agent.summary()["c2st_by_schedule"]) == {"random", "passive"}
