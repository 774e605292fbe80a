"""Environment ids that name a module (``"module:Name-v0"``): the module is imported from the
current directory as ``python -m`` would, also by the console script, and an import that fails
is reported as the import's own error, apart from ids that are unknown (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
