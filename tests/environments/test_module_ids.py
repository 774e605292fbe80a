"""Environment ids that name a module (``"module:Name-v0"``): the module is imported from the
current directory as ``python -m`` would, also by the console script, and an import that fails
is reported as the import's own error, apart from ids that are unknown (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from turinglearn.config import load_config
from turinglearn.errors import ConfigError

#: a system of one's own in a module: a first-order lag that follows a stimulus
MODULE = """
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from turinglearn.environments import register
from turinglearn.families.parametric import BoxFamily


@dataclass(frozen=True)
class LagConfig:
    steps: int = 20


class LagSim:
    model_family = BoxFamily(("rate",), lower=(0.0,), upper=(1.0,))
    truth = np.array([0.3])
    feature_names = ("y", "u")
    stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)

    def __init__(self, config=None):
        self.config = config or LagConfig()

    def passive_schedule(self):
        return np.full((self.config.steps, 1), 0.5)

    def reset(self, rng, shape):
        return np.zeros(shape)

    def step(self, y, params, stimulus, rng):
        y = y + params[..., 0] * (stimulus[..., 0] - y)
        return y, np.stack([y, np.broadcast_to(stimulus[..., 0], y.shape)], axis=-1)


register("{name}:Lag-v0", sim="{name}:LagSim", config="{name}:LagConfig")
"""

CONFIG = """
name = "lag"
generations = 2
[environment]
id = "{name}:Lag-v0"
steps = 8
[learner]
genuine_trials = 4
[models]
population = 6
parents = 3
[discriminators]
population = 6
parents = 3
[evaluation]
c2st_trials = 10
"""


def _console_script() -> str:
    return str(Path(sys.executable).with_name("turinglearn"))


def _run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the folder offers
    return subprocess.run(
        [_console_script(), *args], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Run from tmp_path; sys.path and sys.modules come back as they were."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("tl_own_"):
            del sys.modules[name]


@pytest.mark.skipif(not Path(_console_script()).exists(), reason="the console script is not installed")
def test_cli_runs_a_module_id_from_the_folder_that_holds_the_module(tmp_path):
    (tmp_path / "tl_own_lag.py").write_text(MODULE.replace("{name}", "tl_own_lag"))
    (tmp_path / "lag.toml").write_text(CONFIG.replace("{name}", "tl_own_lag"))
    r = _run_cli(tmp_path, "run", "lag.toml", "--out", "run", "--quiet")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run" / "summary.json").is_file()


@pytest.mark.skipif(not Path(_console_script()).exists(), reason="the console script is not installed")
def test_cli_reports_the_syntax_error_of_the_module(tmp_path):
    (tmp_path / "tl_own_broken.py").write_text("import numpy as np\ndef oops(:\n    pass\n")
    (tmp_path / "lag.toml").write_text(CONFIG.replace("{name}", "tl_own_broken"))
    r = _run_cli(tmp_path, "run", "lag.toml", "--out", "run", "--quiet")
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(
        "turinglearn: error: environment.id: cannot import module 'tl_own_broken' (SyntaxError: "
    )
    assert "(tl_own_broken.py, line 2)); fix the module" in line
    assert "available:" not in line


def test_a_module_id_imports_from_the_current_directory(isolated):
    (isolated / "tl_own_here.py").write_text(MODULE.replace("{name}", "tl_own_here"))
    config = load_config("own-system", {"environment.id": "tl_own_here:Lag-v0", "environment.steps": 5})
    assert config.environment.options == {"steps": 5}


def test_an_error_raised_while_importing_is_reported_as_such(isolated):
    (isolated / "tl_own_raises.py").write_text("import numpy\nraise RuntimeError('no licence file')\n")
    with pytest.raises(ConfigError) as e:
        load_config("own-system", {"environment.id": "tl_own_raises:X-v0"})
    assert str(e.value).startswith(
        "environment.id: cannot import module 'tl_own_raises' (RuntimeError: no licence file); fix the module"
    )
    (isolated / "tl_own_needs.py").write_text("import tl_own_not_installed\n")
    with pytest.raises(ConfigError, match=r"cannot import module 'tl_own_needs' \(ModuleNotFoundError: No module "
                       r"named 'tl_own_not_installed'\)"):  # fmt: skip
        load_config("own-system", {"environment.id": "tl_own_needs:X-v0"})


def test_missing_module_and_unregistered_id(isolated):
    with pytest.raises(ConfigError) as e:
        load_config("own-system", {"environment.id": "tl_own_nowhere:X-v0"})
    assert str(e.value) == (
        f"environment.id: unknown environment id 'tl_own_nowhere:X-v0': no module 'tl_own_nowhere' in the current "
        f"directory ({isolated}) or on sys.path; run from the folder that holds tl_own_nowhere.py, or install the "
        "package that provides it"
    )
    (isolated / "tl_own_quiet.py").write_text(textwrap.dedent(MODULE.replace("{name}", "tl_own_quiet")))
    with pytest.raises(ConfigError, match=r"module 'tl_own_quiet' was imported but does not register it "
                       r"\(it registers: tl_own_quiet:Lag-v0\)"):  # fmt: skip
        load_config("own-system", {"environment.id": "tl_own_quiet:Other-v0"})


def test_a_registered_environment_gets_a_positive_trial_length_even_where_its_class_does_not_check(isolated):
    """LagConfig takes any steps; 0 would train, then fail in the final evaluation with a
    traceback. The config's own validation refuses it in one line, naming the key."""
    (isolated / "tl_own_steps.py").write_text(MODULE.replace("{name}", "tl_own_steps"))
    for bad in (0, -3):
        with pytest.raises(ConfigError, match=rf"environment.steps: must be a positive whole number .* got {bad}"):
            load_config("own-system", {"environment.id": "tl_own_steps:Lag-v0", "environment.steps": bad})


def test_a_metric_learner_refuses_an_interactive_simulator_object_by_its_own_name(isolated):
    import turinglearn

    (isolated / "tl_own_obj.py").write_text(MODULE.replace("{name}", "tl_own_obj"))
    sys.path.insert(0, str(isolated))  # the fixture restores sys.path
    from tl_own_obj import LagSim

    with pytest.raises(ConfigError, match=r"compares trajectories of a swarm; LagSim is interactive"):
        turinglearn.learn("own-system", simulator=LagSim(), overrides={"learner.kind": "metric-sse"})


#: a gymnasium environment of one's own in a module that registers its gymnasium id, with the
#: hidden agent's policy and features (a cart on a slope under a PD controller)
GYM_MODULE = """
import gymnasium as gym
import numpy as np


class Cart(gym.Env):
    def __init__(self):
        self.observation_space = gym.spaces.Box(-5.0, 5.0, shape=(2,), dtype=np.float64)
        self.action_space = gym.spaces.Box(-2.0, 2.0, shape=(1,), dtype=np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = self.np_random.uniform(-1, 1, size=2)
        return self.s.copy(), {}

    def step(self, action):
        x, v = self.s
        v = v + 0.1 * (float(np.asarray(action).reshape(-1)[0]) - 0.5 - 0.3 * v)
        self.s = np.clip([x + 0.1 * v, v], -5, 5)
        return self.s.copy(), 0.0, False, False, {}


gym.register("{name}/Cart-v0", entry_point="{name}:Cart")


def pd(params, obs):
    u = -params[..., 0] * (obs[..., 0] - params[..., 2]) - params[..., 1] * obs[..., 1]
    return np.clip(u, -2, 2)[..., None]


def pd_without_kd(params, obs):
    return np.clip(-params[..., 0] * (obs[..., 0] - params[..., 2]), -2, 2)[..., None]


def features(obs):
    return np.stack([obs[..., 0], obs[..., 1] / 0.5], axis=-1)
"""


def _gym_env(name: str, **more) -> dict:
    return {
        "environment.id": "turinglearn/Gym-v0", "environment.gym_id": f"{name}/Cart-v0",
        "environment.policy": f"{name}:pd", "environment.names": ["kp", "kd", "setpoint"],
        "environment.lower": [0.5, 0.0, -0.5], "environment.upper": [4.0, 2.0, 0.5],
        "environment.truth": [2.0, 0.8, 0.3], "environment.steps": 10, **more,
    }  # fmt: skip


def test_gym_v0_finds_a_gymnasium_id_that_the_policys_module_registers(isolated):
    """The policy's module is imported before the id is looked up (a user's id was 'unknown' from
    the command line), gymnasium's own 'module:id' form imports the module too, and a features
    function of one's own is a setting."""
    import turinglearn
    from turinglearn.app.build import make_simulator

    name = "tl_own_cart"
    (isolated / f"{name}.py").write_text(GYM_MODULE.replace("{name}", name))
    extra = {"environment.features": f"{name}:features", "environment.feature_names": ["x", "v/0.5"]}
    sim = make_simulator(load_config("own-system", _gym_env(name, **extra)))
    assert sim.feature_names == ("x", "v/0.5")
    turinglearn.check_environment(sim)
    config = load_config("own-system", _gym_env(name, **{"environment.gym_id": f"{name}:{name}/Cart-v0"}))
    assert make_simulator(config).feature_names == ("obs_0", "obs_1")
    # gymnasium's 'module:id' imports a module the policy's does not: here only the id names it
    other = "tl_own_cart_only"
    (isolated / f"{other}.py").write_text(GYM_MODULE.replace("{name}", other))
    assert other not in sys.modules
    config = load_config("own-system", _gym_env(name, **{"environment.gym_id": f"{other}:{other}/Cart-v0"}))
    assert other in sys.modules and make_simulator(config).env_id == f"{other}:{other}/Cart-v0"
    with pytest.raises(ConfigError, match=r"environment.feature_names: name one feature per value"):
        load_config("own-system", _gym_env(name, **{"environment.features": f"{name}:features"}))


def test_gym_v0_names_what_is_wrong_with_ids_and_bounds(isolated):
    name = "tl_own_cart_bad"
    (isolated / f"{name}.py").write_text(GYM_MODULE.replace("{name}", name))
    with pytest.raises(ConfigError, match=r"environment.gym_id: unknown gymnasium id 'Nowhere-v0': register it with "
                       r"gymnasium.register in the policy's module .* or name the module"):  # fmt: skip
        load_config("own-system", _gym_env(name, **{"environment.gym_id": "Nowhere-v0"}))
    with pytest.raises(ConfigError, match=r"environment.gym_id: cannot import 'tl_own_absent'"):
        load_config("own-system", _gym_env(name, **{"environment.gym_id": "tl_own_absent:X-v0"}))
    (isolated / "tl_own_cart_syntax.py").write_text("def oops(:\n")
    with pytest.raises(ConfigError, match=r"environment.gym_id: cannot import 'tl_own_cart_syntax' .*\(SyntaxError"):
        load_config("own-system", _gym_env(name, **{"environment.gym_id": "tl_own_cart_syntax:X-v0"}))
    with pytest.raises(ConfigError, match=r"module 'tl_own_cart_bad' was imported but does not register it"):
        load_config("own-system", _gym_env(name, **{"environment.gym_id": f"{name}:Other-v0"}))
    with pytest.raises(ConfigError, match=r"environment.gym_id: must be 'Name-v0' or 'module:Name-v0'"):
        load_config("own-system", _gym_env(name, **{"environment.gym_id": ":X-v0"}))
    with pytest.raises(ConfigError, match=r"environment.lower: every lower bound must be below its upper bound; "
                       r"not so for kp"):  # fmt: skip
        load_config("own-system", _gym_env(name, **{"environment.lower": [4.5, 0.0, -0.5]}))
    with pytest.raises(ConfigError, match=r"environment.upper: must have one bound per name \(3: kp, kd, setpoint\)"):
        load_config("own-system", _gym_env(name, **{"environment.upper": [4.0, 2.0]}))


GYM_EDGES = """

class NeedsMode(Cart):  # a constructor that needs an argument
    def __init__(self, render_mode):
        super().__init__()
        self.render_mode = render_mode


gym.register("{name}/Mode-v0", entry_point="{name}:NeedsMode")
gym.register("{name}/Short-v0", entry_point="{name}:Cart", max_episode_steps=4)


def scalar_pd(params, obs):  # written for one episode
    return [float(-params[0] * obs[0])]


class Wild(Cart):  # observations beyond its own observation_space
    def step(self, action):
        obs, r, term, trunc, info = super().step(action)
        return obs * 100, r, term, trunc, info


gym.register("{name}/Wild-v0", entry_point="{name}:Wild")
"""


def test_a_gymnasium_environment_of_ones_own_at_its_edges(isolated, capsys):
    """A newcomer's thermostat environment: a constructor that needs render_mode ended in a
    traceback (and the config had no way to give it), a time limit shorter than the trial froze
    half of it unsaid, an environment object gave an AttributeError on 'rpartition', a policy
    written for one episode a bare TypeError, observations outside the environment's own space
    blamed a feature_space never declared, and `init gym gymnasium` shadowed gymnasium."""
    import turinglearn
    from turinglearn import GymSim
    from turinglearn.app.build import make_simulator
    from turinglearn.app.cli import main
    from turinglearn.errors import ContractViolation, TuringLearnWarning
    from turinglearn.families.parametric import BoxFamily

    name = "tl_own_edges"
    (isolated / f"{name}.py").write_text(GYM_MODULE.replace("{name}", name) + GYM_EDGES.replace("{name}", name))
    mode = _gym_env(name, **{"environment.gym_id": f"{name}/Mode-v0"})
    with pytest.raises(ConfigError, match=r"gymnasium.make\('tl_own_edges/Mode-v0'\) raised TypeError: .*missing 1 "
                       r"required positional argument: 'render_mode'.*; give its constructor's arguments as env_kwargs"):  # fmt: skip
        make_simulator(load_config("own-system", mode))
    sim = make_simulator(load_config("own-system", {**mode, "environment.env_kwargs": {"render_mode": "rgb_array"}}))
    turinglearn.check_environment(sim)
    (isolated / "mode.toml").write_text(
        'generations = 1\n[environment]\nid = "turinglearn/Gym-v0"\n' + f'gym_id = "{name}/Mode-v0"\n'
        f'policy = "{name}:pd"\nnames = ["kp", "kd", "setpoint"]\nlower = [0.5, 0.0, -0.5]\nupper = [4.0, 2.0, 0.5]\n'
        'truth = [2.0, 0.8, 0.3]\nsteps = 10\nenv_kwargs = {render_mode = "rgb_array"}\n'
        "[learner]\ngenuine_trials = 4\n[models]\npopulation = 6\nparents = 3\n[discriminators]\npopulation = 6\n"
        "parents = 3\n[evaluation]\nc2st_trials = 10\n"
    )
    assert main(["check", "mode.toml"]) == 0
    assert main(["check", "mode.toml", "--set", 'environment.env_kwargs={render_mode="human"}']) == 2
    assert "render_mode = 'human' draws every step" in capsys.readouterr().err
    with pytest.raises(ConfigError, match=r"environment.env_kwargs: must be a table of named values"):
        load_config("own-system", {**mode, "environment.env_kwargs": 3})

    with pytest.warns(TuringLearnWarning, match=r"truncates its episodes at 4 steps .* a trial runs 10: steps 5-10"):
        make_simulator(load_config("own-system", _gym_env(name, **{"environment.gym_id": f"{name}/Short-v0"})))

    family = BoxFamily(("kp", "kd", "setpoint"), (0.5, 0.0, -0.5), (4.0, 2.0, 0.5))
    module = sys.modules[name]
    with pytest.raises(ConfigError, match=r"env_id: must be a gymnasium id .* got a Cart: .*gymnasium.register"):
        GymSim(module.Cart(), module.pd, family, (2.0, 0.8, 0.3), steps=5)
    scalar = GymSim(f"{name}/Cart-v0", module.scalar_pd, family, (2.0, 0.8, 0.3), steps=5)
    with pytest.raises(ContractViolation, match=r"scalar_pd\(params, obs\) raised (Type|Value)Error: .* a policy is batched"):
        scalar.step(scalar.reset(np.random.default_rng(0), (2,)), np.ones((2, 3)), np.zeros((2, 1)), None)
    wild = GymSim(f"{name}/Wild-v0", module.pd, family, (2.0, 0.8, 0.3), steps=5)
    problems = turinglearn.app.checks.inspect_environment(wild).problems
    assert problems[0].startswith(
        f"features leave the feature_space GymSim derived from {name}/Wild-v0's observation_space"
    ) and "the environment's observations leave its own observation_space" in problems[0]

    capsys.readouterr()
    assert main(["init", "gym", "gymnasium"]) == 2
    assert "'gymnasium' is the name of an installed module" in capsys.readouterr().err
    assert not (isolated / "gymnasium.py").exists()


def test_the_checker_names_a_parameter_the_policy_never_reads(isolated):
    """The signal probe moves every parameter at once, so a policy that ignores one passed it; each
    parameter moved alone now gets a warning where it changes nothing, and none where it does."""
    import turinglearn
    from turinglearn.app.build import make_simulator
    from turinglearn.app.checks import CheckWarning

    name = "tl_own_cart_kd"
    (isolated / f"{name}.py").write_text(GYM_MODULE.replace("{name}", name))
    sim = make_simulator(load_config("own-system", _gym_env(name, **{"environment.policy": f"{name}:pd_without_kd"})))
    with pytest.warns(CheckWarning) as caught:
        report = turinglearn.check_environment(sim)
    assert len(report.warnings) == 1 and report.warnings[0].startswith("kd: moving it alone from the truth's 0.8")
    assert "the simulator never reads params[..., 1]" in str(caught[0].message)
    assert turinglearn.check_environment(make_simulator(load_config("own-system", _gym_env(name)))).warnings == []


def test_a_gymsim_object_in_a_saved_config_is_told_how_to_run_from_a_config(isolated):
    import turinglearn

    name = "tl_own_cart_obj"
    (isolated / f"{name}.py").write_text(GYM_MODULE.replace("{name}", name))
    sys.path.insert(0, str(isolated))  # the fixture restores sys.path
    module = __import__(name)
    from turinglearn import GymSim
    from turinglearn.families.parametric import BoxFamily

    sim = GymSim(f"{name}/Cart-v0", module.pd, BoxFamily(("kp", "kd", "setpoint"), (0.5, 0, -0.5), (4, 2, 0.5)),
                 (2.0, 0.8, 0.3), steps=5)  # fmt: skip
    tiny = {"models.population": 4, "models.parents": 2, "discriminators.population": 4,
            "discriminators.parents": 2, "learner.genuine_trials": 4, "evaluation.c2st_trials": 10,
            "evaluation.intervals": "off"}  # fmt: skip
    turinglearn.learn("own-system", simulator=sim, generations=1, overrides=tiny, out=str(isolated / "run"))
    with pytest.raises(ConfigError, match=r"A GymSim runs from a config as id = 'turinglearn/Gym-v0' with gym_id, "
                       r"policy = 'module:function'"):  # fmt: skip
        load_config(str(isolated / "run" / "config.toml"))


def _broken(folder, name: str, old: str, new: str) -> None:
    """MODULE with ``old`` replaced by ``new`` as module ``name`` in ``folder``, and lag.toml running it."""
    broken = MODULE.replace(old, new)
    assert broken != MODULE
    (folder / f"{name}.py").write_text(broken.replace("{name}", name))
    (folder / "lag.toml").write_text(CONFIG.replace("{name}", name))


def test_features_not_finite_at_some_models_are_found_by_the_checker_or_end_the_run_in_one_line(isolated, capsys):
    """A simulator that gave NaN beyond rate 0.9 passed the checker and ended its run with a
    traceback; the checker runs the bounds' corners, and the run's error is one line, exit 2."""
    from turinglearn.app.cli import main

    _broken(isolated, "tl_own_nan", "return y, np.stack([y,", "return y, np.stack([y + np.where(params[..., 0] > 0.9, np.nan, 0.0),")
    assert main(["check", "lag.toml"]) == 2
    out = capsys.readouterr().out
    assert "problem: at a corner of the bounds (rate = 1), where the search may go: step's features at t = 0 returned NaN" in out
    assert main(["run", "lag.toml", "--out", "run", "--quiet", "--no-check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("turinglearn: error:") == 1, err
    assert err.splitlines()[-1].startswith("turinglearn: error: generation 0: the judges' outputs are NaN on samples of ")
    assert "features must be finite for every parameter row inside the bounds" in err


def test_a_system_of_ones_own_is_checked_before_a_run_and_by_turinglearn_check(isolated, capsys):
    """A module id run from the command line or learn(config) was never checked, so a simulator
    that gave every trial the first trial's row trained to exit 0; now it stops before the run
    (exit 2, --no-check skips it), and `turinglearn check` prints the checker's report."""
    import turinglearn
    from turinglearn.app.checks import ContractError
    from turinglearn.app.cli import main

    _broken(isolated, "tl_own_rowbug", "params[..., 0] * (stimulus", "params.reshape(-1, 1)[0, 0] * (stimulus")
    assert main(["check", "lag.toml"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("tl_own_rowbug:Lag-v0 (LagSim): 1 problem(s)") and "every trial followed" in out
    assert main(["run", "lag.toml", "--out", "run", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("turinglearn: error: tl_own_rowbug:Lag-v0 does not fit its contract: ")
    assert "every trial followed the parameter row of trial 0" in err and "run --no-check skips this check" in err
    assert not (isolated / "run").exists()
    assert main(["sweep", "lag.toml", "--seeds", "2", "--out", "sweep"]) == 2  # a sweep ran it without a word
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not fit its contract: every trial followed" in err
    assert "sweep --no-check skips this check" in err and not (isolated / "sweep").exists()
    assert main(["run", "lag.toml", "--out", "run", "--quiet", "--no-check"]) == 0
    with pytest.raises(ContractError, match="every trial followed"):
        turinglearn.learn("lag.toml", out=str(isolated / "run2"))
    (isolated / "tl_own_good.py").write_text(MODULE.replace("{name}", "tl_own_good"))
    (isolated / "good.toml").write_text(CONFIG.replace("{name}", "tl_own_good"))
    capsys.readouterr()
    assert main(["check", "good.toml"]) == 0
    report, cost = capsys.readouterr().out.strip().splitlines()
    assert report == "tl_own_good:Lag-v0 (LagSim): 0 problem(s), 0 warning(s)" and cost.startswith("cost, foreseen: ")
    assert main(["check", "gan-digits"]) == 2
    assert "gan-digits is a GAN config: it has no simulator to check" in capsys.readouterr().err
