"""turinglearn's simulated systems, registered with gymnasium as ``turinglearn/<Name>-v<k>``.

Installed as :mod:`turinglearn.environments` (the repository folder is ``environments/``).
Importing :mod:`turinglearn` registers them, so ``gymnasium.make("turinglearn/Aggregation-v0")``
and ``gymnasium.make_vec(..., num_envs=B)`` work afterwards. Each id also names the batched
simulator that the learner uses and the config class that validates its settings; the
gymnasium classes wrap it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from typing import NamedTuple

import gymnasium as gym


class EnvEntry(NamedTuple):
    entry_point: str  # gymnasium.Env, one episode
    vector_entry_point: str | None  # gymnasium.vector.VectorEnv over the batched simulator
    sim: str  # batched simulator used by the learner
    config: str  # dataclass of the environment's settings
    description: str


ENVIRONMENTS: dict[str, EnvEntry] = {
    "turinglearn/Aggregation-v0": EnvEntry(
        "turinglearn.environments.aggregation:AggregationEnv",
        "turinglearn.environments.aggregation:AggregationVectorEnv",
        "turinglearn.environments.aggregation:AggregationSim",
        "turinglearn.environments.aggregation:AggregationConfig",
        "e-puck swarm aggregation with a binary line-of-sight sensor (Li, Gauci & Gross 2016)",
    ),
    "turinglearn/ObjectClustering-v0": EnvEntry(
        "turinglearn.environments.object_clustering:ObjectClusteringEnv",
        "turinglearn.environments.object_clustering:ObjectClusteringVectorEnv",
        "turinglearn.environments.object_clustering:ObjectClusteringSim",
        "turinglearn.environments.object_clustering:ObjectClusteringConfig",
        "e-puck robots pushing objects into a cluster, ternary line-of-sight sensor (Gauci et al. 2014)",
    ),
    "turinglearn/HiddenSwitching-v0": EnvEntry(
        "",  # no single-episode gymnasium class: nothing acts on the agents
        None,
        "turinglearn.environments.hidden_switching:HiddenSwitchingSim",
        "turinglearn.environments.hidden_switching:HiddenSwitchingConfig",
        "foragers with a hidden moving/resting switch, seen through noisy position fixes at a coarse rate",
    ),
    "turinglearn/StimulusResponse-v0": EnvEntry(
        "turinglearn.environments.stimulus_response:StimulusResponseEnv",
        None,
        "turinglearn.environments.stimulus_response:StimulusResponseSim",
        "turinglearn.environments.stimulus_response:StimulusResponseConfig",
        "an agent whose speed responds to a light level that interrogators set (Li, Gauci & Gross 2013)",
    ),
    "turinglearn/SensorIdentification-v0": EnvEntry(
        "turinglearn.environments.sensor_identification:SensorIdentificationEnv",
        None,
        "turinglearn.environments.sensor_identification:SensorIdentificationSim",
        "turinglearn.environments.sensor_identification:SensorIdentificationConfig",
        "a robot infers its own distance sensor while interrogators drive it (Gross et al. 2017)",
    ),
    "turinglearn/PendulumPD-v0": EnvEntry(
        "turinglearn.environments.gym_tasks:PendulumPDEnv",
        None,
        "turinglearn.environments.gym_tasks:PendulumPDSim",
        "turinglearn.environments.gym_tasks:PendulumPDConfig",
        "gymnasium Pendulum-v1 held up by a hidden PD controller; interrogators push with a torque",
    ),
    "turinglearn/CartPoleLinear-v0": EnvEntry(
        "turinglearn.environments.gym_tasks:CartPoleLinearEnv",
        None,
        "turinglearn.environments.gym_tasks:CartPoleLinearSim",
        "turinglearn.environments.gym_tasks:CartPoleLinearConfig",
        "gymnasium CartPole-v1 balanced by a hidden linear policy; interrogators push the cart",
    ),
    "turinglearn/Gym-v0": EnvEntry(
        "turinglearn.environments.gym_wrapper:GymConfigEnv",
        None,
        "turinglearn.environments.gym_wrapper:GymConfigSim",
        "turinglearn.environments.gym_wrapper:GymConfig",
        "any gymnasium id with a hidden policy ('module:function'); interrogators push the action",
    ),
}


def register_envs() -> None:
    """Register every turinglearn environment with gymnasium (idempotent)."""
    for env_id, entry in ENVIRONMENTS.items():
        if entry.entry_point and env_id not in gym.registry:
            gym.register(
                id=env_id, entry_point=entry.entry_point, vector_entry_point=entry.vector_entry_point
            )


def register(
    env_id: str,
    sim: str,
    config: str,
    entry_point: str | None = None,
    vector_entry_point: str | None = None,
    description: str = "",
) -> None:
    """Register your own batched simulator (``"module:Class"`` paths) under ``env_id``.

    Name the id ``"yourpackage.module:Name-v0"`` and call :func:`register` in that module: a
    config that names the id then works everywhere, also in worker processes and on Dask
    workers, which import ``yourpackage.module`` to find it (environments are rebuilt from
    their id and settings in each worker, never pickled). ``entry_point`` (a ``gymnasium.Env``)
    is optional; with it the id is registered with gymnasium too.
    """
    ENVIRONMENTS[env_id] = EnvEntry(entry_point or "", vector_entry_point, sim, config, description)
    if entry_point and env_id not in gym.registry:
        gym.register(id=env_id, entry_point=entry_point, vector_entry_point=vector_entry_point)


def import_user_module(module: str) -> None:
    """Import ``module`` as ``python -m`` would from the current directory: when it is not
    found on ``sys.path``, the current directory is put first on ``sys.path`` (and kept
    there, so the module's own imports and worker processes started from here find it too)."""
    top = module.split(".", 1)[0]
    try:
        found = importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        found = False
    cwd = os.getcwd()
    if not found and cwd not in sys.path:
        sys.path.insert(0, cwd)
        importlib.invalidate_caches()
    importlib.import_module(module)


#: the environment id a run's config.toml records for a simulator object (not rebuildable)
OBJECT_PREFIX = "object:"


def _object_problem(env_id: str) -> str:
    """Why an ``object:module:Class`` id (a simulator object given to learn()) cannot be rebuilt,
    with the id its module registers for that class where it registers one."""
    what = env_id.removeprefix(OBJECT_PREFIX)
    module, _, name = what.partition(":") if ":" in what else what.rpartition(".")  # older runs: module.Class
    register = "register it there as an environment id (docs/own-system.md) and name that id here"
    if "<locals>" in name:  # defined inside a function: no module-level name to register
        fix = f"Define the class at the top level of a module, {register}"
    elif module in ("", "__main__"):  # defined in the script that ran: nothing to import it from
        fix = f"Move the class from the script into a module file, {register}"
    else:
        if module not in sys.modules:
            with contextlib.suppress(Exception):  # the suggestion below does not need the module
                import_user_module(module)
        known = [i for i, entry in ENVIRONMENTS.items() if entry.sim == f"{module}:{name}"]
        if known:
            fix = f"Its module registers it as {known[0]!r}: name that id here (with the settings the object was built with)"
        elif name == "GymSim":  # the library's own wrapper, built by the user's script
            fix = (
                "A GymSim runs from a config as id = 'turinglearn/Gym-v0' with gym_id, policy = 'module:function', "
                "names, lower, upper, truth and steps (features = 'module:function' and feature_names where the "
                "object had its own; docs/interactive.md); one with env_kwargs, reset_options or a push_space of its "
                f"own needs a module of your own, {register}"
            )
        elif module.split(".", 1)[0] in ("turinglearn", "environments"):  # another of the library's classes
            fix = f"Build it in a module of your own, {register} (e.g. 'mymodule:MySystem-v0')"
        else:
            fix = f"Register it as an environment id ('{module}:{name}-v0', see docs/own-system.md) and name that id here"
    return (
        f"{env_id!r} was a simulator object given to learn(simulator=...): a config file cannot rebuild it. {fix}, "
        "or rerun from Python with learn('this/config.toml', simulator=an object built with the same settings); "
        "an unfinished run continues with "
        "turinglearn.resume(run_dir, simulator=...) (`turinglearn report` still reads the run)"
    )


def id_problem(env_id: str) -> str | None:
    """Why ``env_id`` cannot be used (one line), or None when it is registered. A
    ``"module:Name-v0"`` id imports its module first (from the current directory too, see
    :func:`import_user_module`); an import that fails is reported as the import error's own first
    line, apart from ids that are simply unknown."""
    if env_id in ENVIRONMENTS:
        return None
    if env_id.startswith(OBJECT_PREFIX):
        return _object_problem(env_id)
    module = env_id.split(":", 1)[0] if ":" in env_id else ""
    if module and module not in sys.modules:
        try:
            import_user_module(module)
        except ModuleNotFoundError as e:
            if e.name is not None and module != e.name and not module.startswith(f"{e.name}."):
                return _cannot_import(module, e)  # found, but it imports something missing
            return (
                f"unknown environment id {env_id!r}: no module {module!r} in the current directory "
                f"({os.getcwd()}) or on sys.path; run from the folder that holds {module.replace('.', '/')}.py, "
                "or install the package that provides it"
            )
        except BaseException as e:  # the user's module: whatever it raises at import is the cause
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            return _cannot_import(module, e)
    if env_id in ENVIRONMENTS:
        return None
    if module:
        mine = [k for k in ENVIRONMENTS if k.startswith(f"{module}:")]
        same = [k for k in mine if k.lower() == env_id.lower()]
        if same:  # a typo of case: Chemo-V0 for Chemo-v0
            return f"unknown environment id {env_id!r}: did you mean {same[0]!r}? (ids are case-sensitive)"
        return (
            f"unknown environment id {env_id!r}: module {module!r} was imported but does not register it "
            f"(it registers: {', '.join(mine) or 'nothing'}); call turinglearn.environments.register("
            f"{env_id!r}, sim='{module}:YourSim', config='{module}:YourConfig') in {module}"
        )
    return (
        f"unknown environment id {env_id!r}; available: {', '.join(ENVIRONMENTS)} (see `turinglearn envs`), "
        "or 'yourpackage.module:Name-v0' for one that module registers"
    )


def _cannot_import(module: str, e: BaseException) -> str:
    first = (str(e).strip().splitlines() or [""])[0]
    if isinstance(e, SyntaxError) and e.filename and e.lineno:
        first = f"{e.msg} ({os.path.basename(e.filename)}, line {e.lineno})"
    return (
        f"cannot import module {module!r} ({type(e).__name__}: {first}); fix the module, or check it with "
        f"`python -c 'import {module}'` from this folder"
    )


def known(env_id: str) -> bool:
    """Whether ``env_id`` is registered, importing the module a ``"module:Name-v0"`` id names
    (see :func:`id_problem` for why not)."""
    return id_problem(env_id) is None


def _load(path: str):
    from turinglearn.errors import ConfigError

    module, name = path.split(":")
    try:
        return vars(importlib.import_module(module))[name]
    except KeyError:
        raise ConfigError(
            f"module {module!r} has no {name!r}, which register(...) names; check the class name "
            f"(registered as {path!r})",
            "environment.id",
        ) from None


def _registered(env_id: str):
    """The registration of ``env_id`` (importing its module), or a ConfigError saying why not
    (:func:`id_problem`; in a worker process, where the module is missing, also how to start
    workers that find it)."""
    problem = id_problem(env_id)
    if problem is None:
        return ENVIRONMENTS[env_id]
    from turinglearn.errors import ConfigError

    if os.environ.get("TURINGLEARN_WORKER") and ":" in env_id:
        module = env_id.split(":", 1)[0]
        problem += (
            f" (in a worker process, pid {os.getpid()}: start Dask workers in the folder that holds "
            f"{module.replace('.', '/')}.py, or with PYTHONPATH naming it)"
        )
    raise ConfigError(problem, "environment.id")


def sim_class(env_id: str):
    """The batched simulator class of a turinglearn id (a ConfigError for other ids)."""
    return _load(_registered(env_id).sim)


def config_class(env_id: str):
    """The settings dataclass of a turinglearn id (a ConfigError for other ids)."""
    return _load(_registered(env_id).config)
