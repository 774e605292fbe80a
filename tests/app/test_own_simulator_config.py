"""A run of a simulator object writes a config.toml that never reruns another environment."""

import json

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import make_simulator
from turinglearn.app.cli import main
from turinglearn.config import load_config


def _run(settings: dict) -> dict:
    """The settings a run of a simulator object takes: the object brings its environment's own
    (learn() refuses environment.* beside it, which would reach nothing)."""
    return {k: v for k, v in settings.items() if not k.startswith("environment.")}


def test_config_of_a_simulator_object_is_refused_not_substituted(tmp_path, tiny, capsys):
    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))
    out = tmp_path / "run"
    result = turinglearn.learn("aggregation", simulator=sim, overrides=_run(tiny), out=out)
    assert result.run_dir == out and (out / "summary.json").exists()
    text = (out / "config.toml").read_text()
    assert 'id = "object:turinglearn.environments.aggregation:AggregationSim"' in text
    assert "Aggregation-v0" not in text
    # rerunning the file exits 2 with one line that says how to make it rerunnable, and writes nothing
    assert main(["run", str(out / "config.toml"), "--out", str(tmp_path / "again"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "learn(simulator=...)" in err[0] and "register" in err[0].lower()
    assert "registers it as 'turinglearn/Aggregation-v0'" in err[0]  # the id its module already has
    assert not (tmp_path / "again").exists()
    # the way the message gives, from Python with an object of the same settings, reruns the same run
    # (it failed with the same message: load_config took the object's id for an unknown environment)
    again = turinglearn.learn(str(out / "config.toml"), simulator=sim, out=tmp_path / "again")
    assert np.array_equal(again.models, result.models) and np.array_equal(again.inferred, result.inferred)
    other = make_simulator(load_config("aggregation", {"environment.n_agents": 5, "environment.steps": 20}))
    with pytest.raises(turinglearn.ConfigError, match=r"environment: the simulator's settings differ from the run's: n_agents = 5, the run's is 4"):
        turinglearn.learn(str(out / "config.toml"), simulator=other)
    renamed = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))
    renamed.feature_names = ("speed", "turn")  # the same settings, other features (a module edited since)
    with pytest.raises(turinglearn.ConfigError, match=r"feature_names = \['speed', 'turn'\], the run's is \['linear_speed', 'angular_speed'\]"):
        turinglearn.learn(str(out / "config.toml"), simulator=renamed)
    older = tmp_path / "older.toml"  # written before the features were recorded: nothing to compare
    import tomli_w
    import tomllib

    table = tomllib.loads(text)
    del table["environment"]["feature_names"]
    older.write_text(tomli_w.dumps(table))
    assert turinglearn.learn(str(older), simulator=sim).inferred.tolist() == result.inferred.tolist()
    assert main(["resume", str(out)]) == 2
    capsys.readouterr()
    # report needs no simulator: names, truth and bounds come from the run's summary.json
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bounds"] == {"lower": [-1.0] * 4, "upper": [1.0] * 4}
    assert summary["features"] == list(sim.feature_names)
    (out / "parameters.png").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "parameters.png").stat().st_size > 0
    assert "v_l0" in capsys.readouterr().out


def test_a_simulator_class_of_the_script_itself_is_named_as_such():
    from turinglearn.environments import id_problem

    why = id_problem("object:__main__:MySwarm")
    assert "Move the class from the script into a module file" in why
    why = id_problem("object:no_such_module_here:MySwarm")  # not importable: the id to register
    assert "Register it as an environment id ('no_such_module_here:MySwarm-v0'" in why
    why = id_problem("object:no_such_module_here:make.<locals>.MySwarm")  # defined in a function
    assert "Define the class at the top level of a module" in why
    assert "Register it" not in why.split("Define")[0]
    why = id_problem("object:no_such_module_here.MySwarm")  # as runs before the colon recorded it
    assert "('no_such_module_here:MySwarm-v0'" in why


def test_learn_with_a_simulator_and_no_config_uses_the_neutral_preset(tiny):
    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))
    result = turinglearn.learn(simulator=sim, overrides=_run({**tiny, "generations": 2}))
    own = load_config("own-system")
    assert result.config.learner.hall_of_fame == own.learner.hall_of_fame == 0
    assert result.config.name == "AggregationSim"
    assert result.config.evaluation.average_last == own.evaluation.average_last
    assert json.loads(json.dumps(result.summary()))["name"] == "AggregationSim"
    assert np.isfinite(result.inferred).all()
    lines = result.report().splitlines()  # the closing lines of the command line, from Python
    assert lines[0].split()[:3] == ["parameter", "truth", "inferred"]
    assert [line.split()[0] for line in lines[1:5]] == list(result.names)
    assert lines[-1] == f"2 generations in {result.summary()['seconds']:.1f} s"


def test_learn_checks_a_simulator_first_and_check_false_skips_it(tmp_path, tiny):
    from turinglearn.app.checks import ContractError

    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))

    class OneRow(type(sim)):  # every robot of every swarm given the first row: learns from wrong samples
        def rollout(self, params, rng, *, record=False):
            return super().rollout(np.broadcast_to(params[:1, :1], params.shape).copy(), rng, record=record)

    broken = OneRow(sim.config)
    out = tmp_path / "run"
    with pytest.raises(ContractError, match="depend on the other swarms' rows"):
        turinglearn.learn(simulator=broken, overrides=_run({**tiny, "generations": 1}), out=out)
    assert not out.exists()  # refused before anything was written
    result = turinglearn.learn(simulator=broken, overrides=_run({**tiny, "generations": 1}), check=False)
    assert result.config.generations == 1


def test_a_simulator_of_recorded_data_without_a_truth_is_not_checked_but_learns(tmp_path, tiny):
    """The checker probes around the truth, which a simulator of real data need not have."""
    from turinglearn.app.checks import ContractError, check_environment
    from turinglearn.app.recording import record

    env = {"environment.steps": 30}
    rec = record(load_config("pendulum-pd", env), tmp_path / "rec.npz", trials=4, seed=1)
    known = make_simulator(load_config("pendulum-pd", env))

    class Unknown(type(known)):
        truth = None  # the system's parameters are what the recording holds, unknown

    sim = Unknown(known.config)
    with pytest.raises(ContractError, match="a simulator of recorded data may have none"):
        check_environment(sim)
    settings = _run({**tiny, "generations": 2, "data": str(rec), "learner.passive": True})
    result = turinglearn.learn("pendulum-pd", simulator=sim, overrides=settings)
    assert np.isfinite(result.inferred).all()


def test_environment_settings_beside_a_simulator_object_are_refused_not_ignored(tiny):
    """The object is built with its own settings; an override of environment.* that differs
    would reach nothing (a newcomer's environment.steps = 20 ran with the object's 40,
    unrecorded) and is refused. One that repeats the object's value is accepted: the config's
    own checks read some (genuine_per_trial against n_agents)."""
    from turinglearn.errors import ConfigError

    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 20, "environment.steps": 20}))
    run = {**_run(tiny), "generations": 1, "evaluation.c2st_trials": 0}
    with pytest.raises(ConfigError, match=r"environment.steps: = 10 reaches nothing beside the simulator object "
                       r"AggregationSim, built with steps = 20; set it on the object"):
        turinglearn.learn(simulator=sim, overrides={**run, "environment.steps": 10})
    with pytest.raises(ConfigError, match=r"environment.stepz: reaches nothing: AggregationSim's config has no 'stepz'"):
        turinglearn.learn(simulator=sim, overrides={**run, "environment.stepz": 10})
    with pytest.raises(ConfigError, match=r"environment.id: names an environment, which the simulator object"):
        turinglearn.learn(simulator=sim, overrides={**run, "environment.id": "turinglearn/Aggregation-v0"})
    # 12 genuine robots a trial need n_agents >= 12: the config's check reads environment.n_agents
    wide = {**run, "learner.genuine_per_trial": 12, "environment.n_agents": 20, "environment.steps": 20}
    assert turinglearn.learn(simulator=sim, overrides=wide).config.learner.genuine_per_trial == 12


def test_the_check_before_learning_leaves_the_run_as_it_is(tiny):
    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))
    checked = turinglearn.learn(simulator=sim, overrides=_run({**tiny, "generations": 2}))
    unchecked = turinglearn.learn(simulator=sim, overrides=_run({**tiny, "generations": 2}), check=False)
    np.testing.assert_array_equal(checked.inferred, unchecked.inferred)
    np.testing.assert_array_equal(checked.history["v_l0_median"], unchecked.history["v_l0_median"])


def test_report_of_an_object_run_without_its_summary_or_from_before_bounds_were_recorded(tmp_path, tiny, capsys):
    sim = make_simulator(load_config("aggregation", {"environment.n_agents": 4, "environment.steps": 20}))
    out = tmp_path / "run"
    turinglearn.learn("aggregation", simulator=sim, overrides=_run(tiny), out=out)
    summary = json.loads((out / "summary.json").read_text())
    del summary["bounds"], summary["features"]  # as an older version wrote it
    (out / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(out)]) == 0
    assert "v_r1" in capsys.readouterr().out
    (out / "summary.json").unlink()  # as an unfinished run: the names come from metrics.csv
    (out / "parameters.png").unlink()
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no summary.json" in printed and (out / "parameters.png").stat().st_size > 0


def test_a_settings_class_of_ones_own_may_use_bare_tuples_and_optionals_and_names_other_types():
    """A newcomer's settings class with ``truth: tuple = (...)`` stopped every command with a raw
    TypeError from the config module; a type no TOML file can hold is now named with the fix."""
    from dataclasses import dataclass, field

    from turinglearn.config.schema import build_dataclass
    from turinglearn.errors import ConfigError

    @dataclass(frozen=True)
    class Settings:
        steps: int = 5
        truth: tuple = (0.5,)
        scale: float | None = None
        table: np.ndarray = field(default_factory=lambda: np.zeros(2))

    built = build_dataclass(Settings, {"truth": [0.1, 0.2], "scale": 2}, "environment.")
    assert built.truth == (0.1, 0.2) and built.scale == 2.0
    with pytest.raises(ConfigError, match=r"truth: must be a list, got 0\.1"):
        build_dataclass(Settings, {"truth": 0.1}, "environment.")
    with pytest.raises(ConfigError) as e:
        build_dataclass(Settings, {"table": [1, 2]}, "environment.")
    assert str(e.value).startswith("environment.table: cannot be set from a config: its field is annotated ndarray")
    assert "tuple[float, ...]" in str(e.value)


def test_the_own_system_preset_steps_in_each_parameters_range(recwarn):
    """A parameter spanning 0.002 beside one spanning 0.5: under the preset's former absolute step
    sizes (1, floor 0.01, five times the small range) the gain ended 14-37 % of its range off; in
    each parameter's range (the preset's sigma_scale) both come within 2 %. Absolute steps over
    ranges so far apart are warned of."""
    from helpers import load_example

    from turinglearn.families.parametric import BoxFamily

    module = load_example("own_swarm")

    class Tiny(module.DriftSwarm):  # the noise in units a hundred times smaller
        model_family = BoxFamily(("gain", "noise"), lower=(0.0, 0.0), upper=(0.5, 0.002))
        truth = np.array([0.2, 0.0005])

        def rollout(self, params, rng, *, record=False):
            p = np.array(params, float)
            p[..., 1] *= 100
            return super().rollout(p, rng, record=record)

    settings = {**module.SETTINGS, "generations": 150, "evaluation.average_last": 75, "evaluation.c2st_trials": 0}
    result = turinglearn.learn(simulator=Tiny(), overrides=settings)
    assert (np.abs(result.inferred - result.truth) / np.array([0.5, 0.002]) < 0.02).all(), result.inferred
    assert not [w for w in recwarn if "apart" in str(w.message)]
    with pytest.warns(UserWarning, match=r"the parameters' ranges lie 250x apart \(gain spans 0.5, noise 0.002\)"):
        turinglearn.learn(simulator=Tiny(), generations=1, overrides={**settings, "models.sigma_scale": "absolute"})


def test_the_own_system_presets_step_sizes_suit_policies_and_programs():
    """Measured in each range, the preset's steps would have been 3 for a policy's weights in
    [-3, 3] (the policy presets' 1), and a gp run on it was refused for step sizes it does not read."""
    config = load_config("own-system", ['models.kind="mlp"', 'environment.id="turinglearn/Aggregation-v0"'])
    es = turinglearn.build(config).model_optimizer
    assert (es.sigma == 1.0).all() and es.config.sigma_max == 1.0 and es.config.sigma_min == 0.01
    load_config("own-system", ['models.kind="gp"', 'environment.id="turinglearn/Aggregation-v0"'])  # accepted
