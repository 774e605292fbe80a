"""``turinglearn init ROUTE NAME``: a skeleton of a system of your own, and a config that runs it.

Three routes (docs/own-system.md): ``swarm`` (a :class:`~turinglearn.core.contracts.SwarmSimulator`),
``agent`` (an :class:`~turinglearn.core.contracts.InteractiveSimulator` an interrogator can
stimulate) and ``gym`` (a gymnasium environment run by a hidden parametric policy, through
:class:`~turinglearn.environments.gym_wrapper.GymSim`). Each writes ``NAME.py``, a working
small system with a known truth that registers itself as ``NAME:Name-v0``, and ``NAME.toml``,
the neutral ``own-system`` preset pointed at it, commented. From that folder,
``turinglearn run NAME.toml`` runs it; replace the system's insides with your own and keep the
shapes the contract asks for (``turinglearn check NAME.toml`` says what is wrong, and
``turinglearn run`` checks it first too).
"""

from __future__ import annotations

import keyword
from importlib import resources
from pathlib import Path

from turinglearn.errors import ConfigError

ROUTES = ("swarm", "agent", "gym")

_HEADER = '''"""{title} ({route} route of ``turinglearn init``; docs/own-system.md).

Contract: :class:`turinglearn.core.contracts.{contract}`. Registered as ``{env_id}``: run
``turinglearn run {name}.toml`` from this folder (it checks the system first), or only check it
with ``turinglearn check {name}.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.environments import register
from turinglearn.families.parametric import BoxFamily
'''

_SWARM = '''
from types import SimpleNamespace


@dataclass(frozen=True)
class {cls}Config:
    n_agents: int = 5  # genuine robots per swarm: they run the truth
    n_replicas: int = 1  # robots per swarm that run the model
    steps: int = 40  # T, steps per trial


class {cls}:
    """B swarms of N = n_agents + n_replicas robots drifting towards their centroid (replace
    the physics in rollout with your own; keep the shapes)."""

    model_family = BoxFamily(("gain", "noise"), lower=(0.0, 0.0), upper=(0.5, 0.2))
    truth = np.array([0.2, 0.05])
    feature_names = ("speed", "distance")

    def __init__(self, config: {cls}Config | None = None):
        self.config = config or {cls}Config()

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """theta [B, d] -> params [B, N, d]: the truth in the agents' rows, the model in the replicas'."""
        n, r = self.config.n_agents, self.config.n_replicas
        params = np.repeat(np.asarray(theta, float)[:, None, :], n + r, axis=1)
        params[:, :n] = self.truth
        return params

    def rollout(self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False):
        """params [B, N, d], every robot its own row -> .features [B, N, T, F]."""
        b, n, _ = params.shape
        gain, noise = params[..., 0:1], params[..., 1:2]
        x = rng.uniform(-1.0, 1.0, size=(b, n, 2))
        v = np.zeros_like(x)
        feats = np.empty((b, n, self.config.steps, 2))
        track = [x]
        for t in range(self.config.steps):
            centre = x.mean(axis=1, keepdims=True)
            v = 0.5 * v + gain * (centre - x) + noise * rng.normal(size=x.shape)
            x = x + v
            feats[:, :, t, 0] = np.linalg.norm(v, axis=-1) / 0.1
            feats[:, :, t, 1] = np.linalg.norm(centre - x, axis=-1) / 0.5
            track.append(x)
        return SimpleNamespace(features=feats, pos=np.stack(track, axis=1) if record else None)


register("{env_id}", sim="{name}:{cls}", config="{name}:{cls}Config")
'''

_AGENT = '''
import gymnasium as gym


@dataclass(frozen=True)
class {cls}Config:
    steps: int = 40  # T, steps per trial
    passive_level: float = 0.5  # the stimulus a passive observer applies throughout


class {cls}:
    """A batch of leaky integrators under a stimulus u that the interrogator sets:
    y <- y + rate * (gain * u - y), observed as tanh(y) with noise (replace with your own)."""

    model_family = BoxFamily(("gain", "rate"), lower=(0.0, 0.05), upper=(2.0, 1.0))
    truth = np.array([1.2, 0.3])
    feature_names = ("response", "stimulus")
    stimulus_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float64)

    def __init__(self, config: {cls}Config | None = None):
        self.config = config or {cls}Config()

    def passive_schedule(self) -> np.ndarray:
        return np.full((self.config.steps, 1), self.config.passive_level)

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape)

    def step(self, y, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator):
        """params [..., d] and stimulus [..., k], broadcast against y -> (y, features [..., F])."""
        gain, rate, u = params[..., 0], params[..., 1], stimulus[..., 0]
        y = y + rate * (gain * u - y)
        observed = np.tanh(y) + 0.02 * rng.normal(size=y.shape)
        return y, np.stack([observed, np.broadcast_to(u, y.shape)], axis=-1)


register("{env_id}", sim="{name}:{cls}", config="{name}:{cls}Config")
'''

_GYM = '''
from turinglearn.environments.gym_wrapper import GymSim


def policy(params: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """The hidden policy, batched: params [..., 2] = (kp, kd), obs [..., 3] -> torque [..., 1]
    (replace with your own)."""
    angle = np.arctan2(obs[..., 1], obs[..., 0])
    return np.clip(-params[..., 0] * angle - params[..., 1] * obs[..., 2], -2.0, 2.0)[..., None]


def features(obs: np.ndarray) -> np.ndarray:
    """What a discriminator sees: angle / 0.25 rad and angular velocity, obs [..., 3] -> [..., 2]."""
    return np.stack([np.arctan2(obs[..., 1], obs[..., 0]) / 0.25, obs[..., 2]], axis=-1)


@dataclass(frozen=True)
class {cls}Config:
    steps: int = 100  # T, steps per trial


class {cls}(GymSim):
    """Pendulum-v1 held near upright by the hidden policy; the interrogator pushes the torque."""

    def __init__(self, config: {cls}Config | None = None):
        config = config or {cls}Config()
        family = BoxFamily(("kp", "kd"), lower=(5.0, 0.0), upper=(15.0, 4.0))
        super().__init__(
            "Pendulum-v1", policy, family, (10.0, 1.5), steps=config.steps, features=features,
            feature_names=("angle", "velocity"), reset_options={{"x_init": 0.1, "y_init": 0.1}},
            backend="numpy", config=config,
        )  # fmt: skip


register("{env_id}", sim="{name}:{cls}", config="{name}:{cls}Config")
'''

_TITLES = {
    "swarm": ("A swarm of your own", "SwarmSimulator", _SWARM),
    "agent": ("An agent of your own that an interrogator can stimulate", "InteractiveSimulator", _AGENT),
    "gym": ("A gymnasium environment run by a hidden parametric policy", "InteractiveSimulator", _GYM),
}



def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) or "System"


def _importable(name: str) -> str:
    """Where a module ``name`` is found outside the working directory (Python's own, or an
    installed package); '' if nowhere."""
    import importlib.util
    import sys

    if name in sys.builtin_module_names or name in sys.stdlib_module_names:
        return "Python's own"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return ""
    if spec is None or spec.origin is None:
        return ""
    where = Path(spec.origin).resolve()
    return "" if where.parent == Path.cwd().resolve() else str(where)


def init(route: str, name: str, folder: str | Path = ".") -> list[Path]:
    """Write ``NAME.py`` and ``NAME.toml`` for ``route`` into ``folder``; returns their paths.
    Existing files are never overwritten (a ConfigError names them)."""
    if route not in ROUTES:
        raise ConfigError(f"unknown route {route!r}; choose one of {', '.join(ROUTES)}")
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("turinglearn"):
        raise ConfigError(
            f"{name!r} must be a Python module name (letters, digits, underscores), e.g. my_swarm"
        )
    shadowed = _importable(name)
    if shadowed:
        raise ConfigError(
            f"{name!r} is the name of an installed module ({shadowed}): a {name}.py here would be imported in its "
            f"place, by turinglearn too; choose another NAME, e.g. my_{name}"
        )
    folder = Path(folder)
    cls = _class_name(name)
    env_id = f"{name}:{cls}-v0"
    module, toml = folder / f"{name}.py", folder / f"{name}.toml"
    taken = [str(p) for p in (module, toml) if p.exists()]
    if taken:
        raise ConfigError(f"{', '.join(taken)} already exist(s); choose another NAME or folder")
    title, contract, body = _TITLES[route]
    fields = {
        "name": name,
        "cls": cls,
        "env_id": env_id,
        "route": route,
        "title": title,
        "contract": contract,
    }
    source = _HEADER.format(**fields) + body.format(**fields)
    preset = resources.files("turinglearn.presets").joinpath("own-system.toml").read_text(encoding="utf-8")
    head = (
        f"# {title}: the neutral own-system preset, pointed at {name}.py (turinglearn init {route} {name}).\n"
        f"# Run from this folder: turinglearn run {name}.toml\n"
    )
    body_toml = preset.split('name = "own-system"', 1)[1]  # its step sizes are in each parameter's range
    text = f'{head}name = "{name}"' + body_toml + f'\n[environment]\nid = "{env_id}"\n'
    folder.mkdir(parents=True, exist_ok=True)
    module.write_text(source, encoding="utf-8")
    toml.write_text(text, encoding="utf-8")
    return [module, toml]
