"""The gym wrapper: batched Pendulum-v1 / CartPole-v1 against gymnasium itself, the make_vec path,
the two tasks (identifiability, recovery of the hidden PD gains), and the presets end to end."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import turinglearn
from turinglearn.app.cli import main
from turinglearn.environments.classic_control import CartPoleDynamics, PendulumDynamics
from turinglearn.environments.gym_tasks import (
    CartPoleLinearEnv,
    CartPoleLinearSim,
    PendulumPDEnv,
    PendulumPDSim,
    linear_policy,
    pd_policy,
)
from turinglearn.environments.gym_wrapper import GymConfig, GymConfigSim, GymSim
from turinglearn.errors import ConfigError
from turinglearn.families.parametric import BoxFamily
from turinglearn.systems.interactive import InteractiveSystem


def _gym_rollout(env_id, s0, actions):
    """gymnasium.make(id), one episode from state s0 under actions [T, ...]: states [T + 1, s], obs [T, o]."""
    env = gym.make(env_id)
    env.reset(seed=0)
    env.unwrapped.state = np.array(s0, dtype=np.float64)
    states, obs, term = [np.array(s0)], [], []
    for a in actions:
        o, _, terminated, _, _ = env.step(a)
        states.append(np.array(env.unwrapped.state))
        obs.append(o)
        term.append(terminated)
        if terminated:
            break
    env.close()
    return np.array(states), np.array(obs), np.array(term)


@pytest.mark.parametrize("seed", [0, 1])
def test_batched_pendulum_equals_gymnasium(seed):
    rng = np.random.default_rng(seed)
    dyn = PendulumDynamics()
    b, t_max = 6, 80
    s = dyn.reset(rng, (b,))  # gymnasium's default: angle in [-pi, pi], velocity in [-1, 1]
    actions = rng.uniform(-3, 3, size=(t_max, b, 1))  # beyond the torque limit too: the env clips
    states, obs = [s], []
    for t in range(t_max):
        s = dyn.step(s, actions[t])
        states.append(s)
        obs.append(dyn.observe(s))
    states, obs = np.stack(states, 1), np.stack(obs, 1)
    for i in range(b):
        g_states, g_obs, _ = _gym_rollout("Pendulum-v1", states[i, 0], actions[:, i])
        np.testing.assert_array_equal(states[i], g_states)
        np.testing.assert_array_equal(obs[i], g_obs)
        assert obs.dtype == g_obs.dtype == np.float32


@pytest.mark.parametrize("seed", [0, 1])
def test_batched_cartpole_equals_gymnasium_until_termination(seed):
    rng = np.random.default_rng(seed)
    dyn = CartPoleDynamics()
    b, t_max = 6, 120
    s = dyn.reset(rng, (b,))
    actions = rng.integers(0, 2, size=(t_max, b))  # random pushes: most episodes fail
    states, term = [s], []
    for t in range(t_max):
        s = dyn.step(s, actions[t])
        states.append(s)
        term.append(dyn.terminated(s))
    states, term = np.stack(states, 1), np.stack(term, 1)
    failed = 0
    for i in range(b):
        g_states, g_obs, g_term = _gym_rollout("CartPole-v1", states[i, 0], [int(a) for a in actions[:, i]])
        n = len(g_obs)
        np.testing.assert_array_equal(states[i, : n + 1], g_states)
        np.testing.assert_array_equal(dyn.observe(states[i, 1 : n + 1]), g_obs)
        np.testing.assert_array_equal(term[i, :n], g_term)
        failed += bool(g_term[-1])
    assert failed > 0  # termination was exercised


def test_batched_reset_draws_what_gymnasium_draws():
    """Episode i of a flat batch draws what a gymnasium env with the same generator draws next."""
    dyn, rng = PendulumDynamics(), np.random.default_rng(7)
    batch = dyn.reset(rng, (3,), (0.05, 0.05))
    env = gym.make("Pendulum-v1").unwrapped
    env.np_random = np.random.default_rng(7)
    for i in range(3):
        env.reset(options={"x_init": 0.05, "y_init": 0.05})
        np.testing.assert_array_equal(env.state, batch[i])
    cp, rng = CartPoleDynamics(), np.random.default_rng(8)
    batch = cp.reset(rng, (2,))
    env = gym.make("CartPole-v1").unwrapped
    env.np_random = np.random.default_rng(8)
    for i in range(2):
        env.reset()
        np.testing.assert_array_equal(env.state, batch[i])


def test_pd_agent_closed_loop_equals_gymnasium():
    """The hidden agent acts on gymnasium's own float32 observations, in the sim as in gymnasium."""
    sim = PendulumPDSim(steps=60)
    rng = np.random.default_rng(3)
    state = sim.reset(rng, (4,))
    s0 = state.physics.copy()
    feats = []
    for _ in range(sim.config.steps):
        state, f = sim.step(state, sim.truth, np.zeros((4, 1)), rng)
        feats.append(f)
    for i in range(4):
        env = gym.make("Pendulum-v1")
        env.reset(seed=0)
        env.unwrapped.state = s0[i].copy()
        obs = np.array([np.cos(s0[i, 0]), np.sin(s0[i, 0]), s0[i, 1]], dtype=np.float32)
        for t in range(sim.config.steps):
            obs, *_ = env.step(pd_policy(sim.truth, obs.astype(np.float64)))
            o = obs.astype(np.float64)
            angle = np.arctan2(o[1], o[0]) / sim.config.angle_scale
            np.testing.assert_array_equal(feats[t][i], [angle, o[2] / sim.config.velocity_scale])
    # the controller holds the pendulum upright from near upright
    assert np.abs(np.array(feats)[-1, :, 0] * sim.config.angle_scale).max() < 0.01


def test_vector_backend_equals_numpy_backend():
    """The generic make_vec path and the numpy path give the same features from the same states."""
    vec, fast = PendulumPDSim(backend="vector", steps=30), PendulumPDSim(steps=30)
    rng = np.random.default_rng(0)
    sv = vec.reset(rng, (2, 3))
    states = np.array([e.unwrapped.state for e in sv.physics.envs]).reshape(2, 3, 2)
    sf = fast.reset(rng, (2, 3))
    sf.physics, sf.obs = states, fast.physics.dynamics.observe(states)
    np.testing.assert_array_equal(sf.obs, sv.obs)
    params = np.array([[[10.0, 2.0], [6.0, 0.5], [15.0, 4.0]]])  # [1, S, d] as the learner passes them
    push_rng = np.random.default_rng(1)
    for _ in range(30):
        push = push_rng.uniform(-1, 1, size=(2, 3, 1))
        sv, fv = vec.step(sv, params, push, rng)
        sf, ff = fast.step(sf, params, push, rng)
        np.testing.assert_allclose(fv, ff, rtol=0, atol=1e-6)  # observations are float32 in both


def test_push_disturbs_before_the_torque_clip():
    dyn = PendulumDynamics()
    s = np.array([[0.1, 0.0], [0.1, 0.0]])
    a = np.array([[1.5], [1.5]])
    pushed = dyn.step(s, a, np.array([[1.0], [-1.0]]))
    np.testing.assert_array_equal(pushed[0], dyn.step(s[:1], np.array([[2.0]]))[0])  # 1.5 + 1 clipped to 2
    np.testing.assert_array_equal(pushed[1], dyn.step(s[1:], np.array([[0.5]]))[0])
    np.testing.assert_array_equal(dyn.step(s, a, np.zeros((2, 1))), dyn.step(s, a))


def test_cartpole_truth_balances_and_failed_episodes_freeze():
    sim = CartPoleLinearSim()
    rng = np.random.default_rng(0)
    params = np.array([[0.1, 0.5, 0.5], [-1.0, -1.0, -1.0]])  # the truth, and a policy that drops the pole
    state = sim.reset(rng, (2,))
    feats = []
    for _ in range(sim.config.steps):
        state, f = sim.step(state, params, np.zeros((2, 1)), rng)
        feats.append(f)
    feats = np.array(feats)  # [T, 2, F]
    assert state.done.tolist() == [False, True]
    ended = int(
        np.argmax(np.abs(feats[:, 1, 2]) * sim.config.angle_scale > CartPoleDynamics.theta_threshold_radians)
    )
    assert 0 < ended < sim.config.steps - 1
    np.testing.assert_array_equal(feats[ended:, 1], np.broadcast_to(feats[ended, 1], feats[ended:, 1].shape))
    assert np.abs(feats[:, 0, 0] * sim.config.position_scale).max() < 0.5


def test_linear_policy_is_scale_free_in_the_remaining_weights():
    obs = np.random.default_rng(0).normal(size=(50, 4))
    w = np.array([0.1, 0.5, 0.5])
    np.testing.assert_array_equal(
        linear_policy(w, obs), (obs @ np.array([0.1, 0.5, 1.0, 0.5]) > 0).astype(int)
    )


def test_passive_pendulum_hides_the_gains_that_pushing_reveals():
    """Started exactly upright and at rest, nobody pushing, every controller does nothing;
    a push tells gains apart at once."""
    sim = PendulumPDSim(steps=40)
    a, b = np.array([10.0, 2.0]), np.array([14.0, 1.0])
    for push, same in ((0.0, True), (0.5, False)):
        runs = []
        for p in (a, b):
            state = sim.reset(np.random.default_rng(0), (1,))
            state.physics[:] = 0.0
            state.obs = sim.physics.dynamics.observe(state.physics)
            out = []
            for _ in range(40):
                state, f = sim.step(state, p, np.full((1, 1), push), None)
                out.append(f)
            runs.append(np.array(out))
        assert np.array_equal(runs[0], runs[1]) == same


@pytest.mark.filterwarnings("ignore:.*symmetric and normalized space")  # the push is in N m / N, not [-1, 1]
@pytest.mark.parametrize("cls", [PendulumPDEnv, CartPoleLinearEnv])
def test_single_episode_envs_pass_gymnasiums_checker(cls):
    env = cls()
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (len(env.sim.feature_names),)


def test_registered_ids_make_and_step():
    env = gym.make("turinglearn/PendulumPD-v0")
    env.reset(seed=1)
    obs, *_ = env.step(np.array([0.5]))
    assert obs.shape == (2,) and np.isfinite(obs).all()


def test_generic_gym_id_through_make_vec():
    """Any id with Box actions: MountainCarContinuous-v0 with a hidden proportional policy."""
    family = BoxFamily(("gain",), lower=(0.0,), upper=(5.0,))
    policy = lambda p, obs: np.clip(p[..., :1] * np.sign(obs[..., 1:2]), -1, 1)  # noqa: E731
    # a gain of 1 or more saturates the action (the checker finds no effect of the parameter there)
    sim = GymSim("MountainCarContinuous-v0", policy, family, truth=(0.5,), steps=20)
    assert sim.backend == "vector" and sim.feature_names == ("obs_0", "obs_1")
    turinglearn.check_environment(sim)
    system = InteractiveSystem(sim, genuine_trials=3)
    from turinglearn.families.elman import ElmanNetwork

    net = ElmanNetwork(n_inputs=2, n_outputs=1 + 1)
    ev = system.evaluate(
        np.array([[2.0], [0.5]]),
        net,
        np.random.default_rng(0).normal(size=(2, net.n_weights)),
        np.random.default_rng(0),
    )
    assert ev.outputs.shape == (2, 5) and ev.genuine.sum() == 3


def test_generic_config_validates():
    with pytest.raises(ConfigError, match="gym_id: unknown gymnasium id 'NoSuchEnv-v0'"):
        GymConfigSim(gym_id="NoSuchEnv-v0")
    with pytest.raises(ConfigError, match="policy: must be 'module:name'"):
        GymConfigSim(policy="nocolon")
    with pytest.raises(ConfigError, match="backend: no numpy physics for 'MountainCarContinuous-v0'"):
        GymSim("MountainCarContinuous-v0", pd_policy, BoxFamily(("a",), (0,), (1,)), (0.5,), backend="numpy")
    with pytest.raises(ConfigError, match="truth"):
        turinglearn.load_config("pendulum-pd", ["environment.truth=[30.0, 2.0]"])


def test_pendulum_gains_recovered_by_interrogation_not_passively():
    """Reduced pendulum-pd (40 + 40, 80 generations, 3 s trials): interrogating recovers
    (kp, kd) = (10, 2) within 15 % (the full preset: within 10 % in benchmarks/gym_recovery.py);
    the passive observer, watching a pendulum that mostly stands still, is much further off."""
    small = {
        "models.population": 40,
        "models.parents": 20,
        "discriminators.population": 40,
        "discriminators.parents": 20,
        "learner.genuine_trials": 40,
        "environment.steps": 60,
        "evaluation.c2st_trials": 0,
    }
    inter = turinglearn.learn("pendulum-pd", seed=0, generations=80, overrides=small)
    passive = turinglearn.learn(
        "pendulum-pd", seed=0, generations=80, overrides={**small, "learner.passive": True}
    )
    rel = lambda r: np.abs(r.inferred - r.truth) / r.truth  # noqa: E731
    assert rel(inter).max() < 0.15, inter.inferred
    assert rel(passive).sum() > 2 * rel(inter).sum(), (inter.inferred, passive.inferred)


@pytest.mark.parametrize("preset", ["pendulum-pd", "cartpole-linear"])
@pytest.mark.parametrize("passive", [False, True])
def test_presets_run_from_the_command_line(tmp_path, preset, passive, capsys):
    out = tmp_path / "run"
    argv = ["run", preset, "--generations", "2", "--out", str(out), "--quiet"]
    argv += [
        "--set",
        "models.population=6",
        "--set",
        "models.parents=3",
        "--set",
        "discriminators.population=6",
    ]
    argv += [
        "--set",
        "discriminators.parents=3",
        "--set",
        "learner.genuine_trials=5",
        "--set",
        "evaluation.c2st_trials=10",
    ]
    argv += ["--passive"] if passive else []
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == ("passive" if passive else "interactive")
    assert len(summary["inferred"]) == (2 if preset == "pendulum-pd" else 3)
    assert (out / "interrogation.png").exists() != passive


def test_gym_tasks_run_bit_identically_in_worker_processes(tiny):
    from helpers import assert_same_run

    overrides = {k: v for k, v in tiny.items() if not k.startswith("environment.")}
    overrides |= {
        "environment.steps": 20,
        "learner.genuine_trials": 7,
        "execution.chunk_size": 4,
        "generations": 2,
    }
    here = turinglearn.learn("cartpole-linear", overrides=overrides)
    pool = turinglearn.learn(
        "cartpole-linear", overrides={**overrides, "execution.backend": "processes", "execution.workers": 2}
    )
    assert_same_run(here, pool)


def test_a_policy_of_the_wrong_shape_is_told_the_shape_it_must_return():
    """A policy returning [...] for a one-dimensional Box action (or two actions) failed deep in the
    physics with numpy's broadcast error; the step now names the policy and the shape."""
    family = BoxFamily(("kp", "kd"), (0, 0), (20, 5))
    flat = lambda p, obs: np.clip(-p[..., 0] * obs[..., 1] - p[..., 1] * obs[..., 2], -2, 2)  # noqa: E731
    sim = GymSim("Pendulum-v1", flat, family, truth=(10, 2), steps=5)
    state = sim.reset(np.random.default_rng(0), (3,))
    with pytest.raises(ValueError, match=r"returned actions of shape \(3,\) for a batch \(3,\): a policy returns "
                       r"\[\.\.\., 1\] .* return u\[\.\.\., None\]"):  # fmt: skip
        sim.step(state, np.array([10.0, 2.0]), np.zeros((3, 1)), np.random.default_rng(0))
    two = lambda p, obs: np.repeat(pd_policy(p, obs), 2, axis=-1)  # noqa: E731
    sim = GymSim("Pendulum-v1", two, family, truth=(10, 2), steps=5)
    with pytest.raises(ValueError, match=r"returned actions of shape \(3, 2\)"):
        sim.step(state, np.array([10.0, 2.0]), np.zeros((3, 1)), np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"push_space: must have the action space's shape \(1,\)"):
        GymSim("Pendulum-v1", pd_policy, family, truth=(10, 2), push_space=gym.spaces.Box(-1.0, 1.0, shape=(2,)))


def test_a_push_per_action_component_and_a_component_held_fixed():
    """``push`` takes one bound per action component, and a push space may hold a component
    fixed (low = high): a newcomer's thermostat, whose action was [heater power, weather],
    could not leave the heater alone (one bound for all components; a fixed one refused)."""
    from turinglearn.app.build import make_simulator

    config = turinglearn.load_config("own-system", {"environment.id": "turinglearn/Gym-v0", "environment.push": [0.5]})
    sim = make_simulator(config)
    np.testing.assert_array_equal(sim.stimulus_space.high, [0.5])
    with pytest.raises(ConfigError, match=r"push: must have one bound per action component \(1 for Pendulum-v1\), got 2"):
        make_simulator(config.replace(**{"environment.push": [0.5, 1.0]}))
    with pytest.raises(ConfigError, match=r"push: must be a number or a list of numbers, got 'x'"):
        turinglearn.load_config("own-system", {"environment.id": "turinglearn/Gym-v0", "environment.push": "x"})
    with pytest.raises(ConfigError, match=r"push: must be 0 .default. or more, or one bound >= 0 per action component"):
        turinglearn.load_config("own-system", {"environment.id": "turinglearn/Gym-v0", "environment.push": [0.0]})

    family = BoxFamily(("kp", "kd"), lower=(0.0, 0.0), upper=(20.0, 5.0))
    still = GymSim("Pendulum-v1", pd_policy, family, truth=(10, 2), steps=20, push_space=gym.spaces.Box(0.0, 0.0, shape=(1,)))
    with pytest.raises(ConfigError, match="high > low in one"):
        InteractiveSystem(still)  # nothing left to push

    class TwoDials:  # a stimulus of two components, the second held at 0.3 (low = high)
        model_family = BoxFamily(("gain",), lower=(0.0,), upper=(1.0,))
        feature_names = ("y",)
        stimulus_space = gym.spaces.Box(np.array([-1.0, 0.3]), np.array([1.0, 0.3]), dtype=np.float64)
        truth = np.array([0.4])
        config = SimpleNamespace(steps=10)

        def passive_schedule(self):
            return np.tile([0.0, 0.3], (self.config.steps, 1))

        def reset(self, rng, shape):
            return np.zeros(shape)

        def step(self, y, p, stim, rng):
            y = 0.8 * y + p[..., 0] * stim[..., 0] + stim[..., 1] + 0.01 * rng.normal(size=y.shape)
            return y, y[..., None]

    assert turinglearn.check_environment(TwoDials()).ok
    system = InteractiveSystem(TwoDials())
    assert np.all(system.to_stimulus(np.random.default_rng(0).random((5, 3)))[..., 1] == 0.3)


def test_a_gym_environment_of_ones_own_gets_messages_in_gymnasiums_terms():
    """Unregistered, features without names, and randomness not from self.np_random: each
    error names the gymnasium-side fix (gymnasium's raw NameNotFound; a features mismatch
    found later; 'the rng argument', which a gymnasium environment does not have)."""
    from gymnasium.envs.classic_control.pendulum import PendulumEnv

    family = BoxFamily(("kp", "kd"), lower=(0.0, 0.0), upper=(20.0, 5.0))
    with pytest.raises(ConfigError, match=r"env_id: unknown gymnasium id 'NoSuchPendulum-v0': register it with gymnasium.register\('NoSuchPendulum-v0', ...\) before building the GymSim"):
        GymSim("NoSuchPendulum-v0", pd_policy, family, truth=(10, 2))
    with pytest.raises(ConfigError, match="feature_names: name one feature per value your features function returns"):
        GymSim("Pendulum-v1", pd_policy, family, truth=(10, 2), features=lambda obs: obs[..., :2])

    class Shaky(PendulumEnv):
        def step(self, u):
            return super().step(u + np.random.normal(0, 0.1, np.shape(u)))  # noqa: NPY002 - the mistake under test

    gym.register("ShakyPendulum-v0", entry_point=Shaky, max_episode_steps=200)
    try:
        sim = GymSim("ShakyPendulum-v0", pd_policy, family, truth=(10, 2), steps=10, backend="vector")
        from turinglearn.app.checks import inspect_environment

        report = inspect_environment(sim)
        assert report.problems[0].startswith("not deterministic under a fixed seed") and "self.np_random" in report.problems[0]
    finally:
        gym.registry.pop("ShakyPendulum-v0")


def test_discrete_actions_are_interrogated_by_replacing_the_agents_action():
    """A newcomer's Discrete(5) environment had no way in: the default push was refused, a push
    space of their own failed in the vector physics, and passively too. For Discrete actions the
    push is now the probability that the agent's action is replaced by a random one (0, the
    passive schedule: the plain environment)."""
    family = BoxFamily(("w_angle", "w_spin"), lower=(-2.0, -2.0), upper=(2.0, 2.0))
    policy = lambda p, obs: (p[..., 0] * obs[..., 2] + p[..., 1] * obs[..., 3] > 0).astype(np.int64)  # noqa: E731
    sim = GymSim("CartPole-v1", policy, family, truth=(1.0, 0.5), steps=30, backend="vector")
    assert (sim.stimulus_space.low, sim.stimulus_space.high) == (0.0, 0.25)  # at 1 the agent would be gone
    assert np.array_equal(sim.passive_schedule(), np.zeros((30, 1)))
    turinglearn.check_environment(sim)  # the probes under the push's corners run, and find the parameters

    def angles(push):
        state, rng, out = sim.reset(np.random.default_rng(3), (40,)), np.random.default_rng(4), []
        for _ in range(30):
            state, f = sim.step(state, np.array([1.0, 0.5]), np.full((40, 1), push), rng)
            out.append(f[..., 2])
        return np.array(out)

    kept = angles(0.0)
    assert np.abs(kept).max() < 0.2  # the truth balances
    assert np.abs(angles(1.0)).max() > 2 * np.abs(kept).max()  # random actions: it falls
    assert np.abs(angles(0.25)).max() > np.abs(kept).max()  # a quarter: disturbed, not erased
    with pytest.raises(ConfigError, match=r"push_space: CartPole-v1 has action space Discrete\(2\): its push is the probability"):
        GymSim("CartPole-v1", policy, family, truth=(1.0, 0.5), backend="vector", push_space=gym.spaces.Box(-1.0, 1.0, (1,)))
    config = GymConfig(gym_id="CartPole-v1", policy="turinglearn.environments.gym_tasks:linear_policy", names=("a", "b", "c"),
                       lower=(-2.0, -2.0, -2.0), upper=(2.0, 2.0, 2.0), truth=(0.0, 0.5, 0.5), backend="vector", push=0.3)  # fmt: skip
    assert GymConfigSim(config).stimulus_space.high[0] == 0.3
    with pytest.raises(ConfigError, match=r"push: CartPole-v1 has Discrete actions: the push is the probability .* at most 1; got 2"):
        GymConfigSim(dataclasses.replace(config, push=2.0))


def test_a_gym_config_without_its_policy_and_other_slips_are_named():
    """A config naming a gym_id of one's own but no policy ran the pendulum's PD controller (kp,
    kd, truth 10 and 2) on the newcomer's robot, and the checker passed it; a policy returning one
    action for a two-dimensional Box had it broadcast to both; a misspelled id suggested
    registering it; a Dict observation named no way out."""
    with pytest.raises(ConfigError, match=r"policy: gym_id is 'MountainCarContinuous-v0' but no policy is set: the default is the pendulum's PD"):
        GymConfigSim(gym_id="MountainCarContinuous-v0")
    with pytest.raises(ConfigError, match=r"unknown gymnasium id 'Pendulum-v2': did you mean 'Pendulum-v1'\?"):
        GymConfigSim(gym_id="Pendulum-v2")

    class Reach(gym.Env):
        observation_space = gym.spaces.Box(-2.0, 2.0, (4,))
        action_space = gym.spaces.Box(-1.0, 1.0, (2,))

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.x = self.np_random.uniform(-1, 1, 4).astype(np.float32)
            return self.x.copy(), {}

        def step(self, a):
            self.x[:2] += 0.1 * np.asarray(a, np.float32)
            return self.x.copy(), 0.0, False, False, {}

    class Nested(Reach):
        observation_space = gym.spaces.Dict({"pos": gym.spaces.Box(-2.0, 2.0, (2,))})

    gym.register("TestReach-v0", entry_point=Reach, max_episode_steps=50)
    gym.register("TestNested-v0", entry_point=Nested, max_episode_steps=50)
    try:
        family = BoxFamily(("k",), (0.0,), (4.0,))
        one = lambda p, obs: np.clip(p[..., :1] * (obs[..., 2:3] - obs[..., :1]), -1, 1)  # noqa: E731 - [..., 1]
        sim = GymSim("TestReach-v0", one, family, truth=(1.5,), steps=5)
        state = sim.reset(np.random.default_rng(0), (3,))
        with pytest.raises(ValueError, match=r"returned actions of shape \(3, 1\) for a batch \(3,\): a policy returns \[\.\.\., 2\]"):
            sim.step(state, np.array([1.5]), np.zeros((3, 2)), np.random.default_rng(0))
        both = lambda p, obs: np.clip(p[..., :1] * (obs[..., 2:] - obs[..., :2]), -1, 1)  # noqa: E731
        GymSim("TestReach-v0", both, family, truth=(1.5,), steps=5).step(state, np.array([1.5]), np.zeros((3, 2)), np.random.default_rng(0))
        with pytest.raises(ConfigError, match=r"needs a Box: register a flattened id, .*FlattenObservation"):
            GymSim("TestNested-v0", both, family, truth=(1.5,))
    finally:
        gym.registry.pop("TestReach-v0")
        gym.registry.pop("TestNested-v0")
