import math

import pytest

from turinglearn.config import WITHOUT_MEMORY, Config, load_config, parse_override, presets, to_toml
from turinglearn.config.learner import DEPENDENTS
from turinglearn.errors import ConfigError


def test_aggregation_preset_matches_the_papers_defaults():
    cfg = load_config("aggregation")
    assert "aggregation" in presets()
    assert cfg.environment.id == "turinglearn/Aggregation-v0"
    assert tuple(cfg.environment.options["truth"]) == (-0.7, -1.0, 1.0, -1.0)
    assert (cfg.models.population, cfg.models.parents) == (100, 50)
    assert (cfg.discriminators.population, cfg.discriminators.parents, cfg.discriminators.hidden) == (
        100,
        50,
        5,
    )
    assert cfg.models.sigma_max == 1.0 and math.isinf(cfg.discriminators.sigma_max)
    assert cfg.generations == 1000


def test_overrides_use_dotted_keys_and_toml_values():
    cfg = load_config(
        "aggregation",
        ["models.population=20", "models.parents=10", "environment.truth=[0.5, -1, 1, -1]", "seed=7"],
    )
    assert cfg.models.population == 20
    assert cfg.environment.options["truth"] == [0.5, -1, 1, -1]
    assert cfg.seed == 7
    cfg2 = load_config("aggregation", {"learner.trials_per_model": 3})
    assert cfg2.learner.trials_per_model == 3


def test_parse_override_falls_back_to_strings():
    assert parse_override("environment.id=turinglearn/Aggregation-v0") == (
        "environment.id",
        "turinglearn/Aggregation-v0",
    )
    assert parse_override("a.b = 3") == ("a.b", 3)
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_override("models.population")


def test_resolved_config_round_trips_through_toml(tmp_path):
    cfg = load_config("aggregation", ["models.population=30", "models.parents=15", "discriminators.hidden=4"])
    file = tmp_path / "c.toml"
    file.write_text(to_toml(cfg))
    again = load_config(file)
    assert again == cfg
    assert again.replace(**{"models.parents": 10}).models.parents == 10


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("models.population=abc", "models.population", "integer"),
        ("models.popul=3", "models.popul", "valid keys"),
        ("nonsense=1", "nonsense", "valid keys at the top level"),
        ("generations=0", "generations", "at least 1"),
        ("generations=1.5", "generations", "integer"),
        ("models.parents=100", "models.parents", "population - 1"),
        ("models.sigma_min=0", "models.sigma_min", "positive"),
        ("models.bounds=wrap", "models.bounds", "clip or reflect"),
        ("discriminators.bounds=reflect", "discriminators.bounds", "have none"),
        ("models.threshold=-0.1", "models.threshold", "margin >= 0"),
        ("discriminators.threshold=0.1", "discriminators.threshold", "models' selection"),
        ("models.recombination=blend", "models.recombination", "discrete, intermediate, global"),
        ("models={kind = 'gp', recombination = 'intermediate'}", "models.recombination", "subtree crossover"),
        ("learner.judge_fitness=fair", "learner.judge_fitness", "shared-geometric"),
        ("learner.judge_steps=0", "learner.judge_steps", "at least 1"),
        ("learner={judge_steps = 2, islands = 2}", "learner.judge_steps", "set judge_steps = 1 or islands = 1"),
        ("learner.model_memory_share=0.5", "learner.model_memory_share", "set model_memory > 0"),
        ("learner={model_memory = 10, model_memory_share = 0.5, counterfeits = 5}", "learner.model_memory_share",
         "use one of them"),
        ("discriminators.readout=max", "discriminators.readout", "last, mean"),
        ("discriminators={kind = 'gru', readout = 'mean'}", "discriminators.readout", "Elman"),
        ("environment.truth=[2, 0, 0, 0]", "environment.truth", "bounds"),
        ("environment.truth=[0, 0]", "environment.truth", "4 values"),
        ("environment.steps=0", "environment.steps", "at least 1"),
        ("environment.wheels=3", "environment.wheels", "valid keys"),
        ("environment.id=turinglearn/Nope-v0", "environment.id", "unknown environment"),
        ("evaluation.c2st_folds=1", "evaluation.c2st_folds", "at least 2"),
        ("learner.trials_per_model=true", "learner.trials_per_model", "integer"),
        ("models=3", "models", "table"),
        ("learner.critic='0.6'", "learner.critic", "a string: write it without quotes, 0.6"),
        ("seed='3'", "seed", "a string: write it without quotes, 3"),
        ("stopping.converge='true'", "stopping.converge", "a string: write it without quotes, true"),
        ("stopping.max_time=10m", "stopping.max_time", "seconds: write 600; durations such as 30m are for --max-time"),
        ("evaluation={c2st_trials = 20, converge = true}", "evaluation.converge", "did you mean stopping.converge?"),
        ("learner.population=50", "learner.population", "did you mean models.population or discriminators.population?"),
        ("converge=true", "converge", "did you mean stopping.converge? (in a TOML file, move the line under [stopping]"),
        (f"seed={2**64}", "seed", "must fit in a signed 64-bit integer"),  # config.toml could not hold it: TOML's integers are 64-bit
    ],
)
def test_bad_settings_name_the_key(override, key, fragment):
    with pytest.raises(ConfigError) as err:
        load_config("aggregation", [*(f"{k}={v}" for k, v in WITHOUT_MEMORY.items()), override])
    assert err.value.key == key
    assert fragment in str(err.value)
    assert str(err.value).startswith(key)


@pytest.mark.parametrize(
    "override",
    ["learner.critic='abc'", "seed='3.5'", "stopping.converge='yes'", "seed=1.5", "learner.critic=.5", "seed=03"],
)
def test_the_quotes_hint_only_where_the_unquoted_value_is_valid(override):
    with pytest.raises(ConfigError) as err:
        load_config("aggregation", [override])
    assert "without quotes" not in str(err.value)


#: a valid value other than the default for every setting of a feature (learner.DEPENDENTS)
OTHER = {
    "hall_of_fame_every": 5, "hall_of_fame_keep": "history", "hall_of_fame_weight": 0.5,
    "model_memory_judged": 5, "model_memory_keep": "recent", "model_memory_below": 0.3, "model_memory_share": 0.3,
    "counterfeit_step": 0.2, "counterfeit_window": 5, "historical_horizon": 10, "historical_settle": 0.05,
    "migrate_every": 5, "guard_step": 0.1, "guard_every": 5, "guard_window": 100, "guard_weight": 0.25,
    "guard_against": "estimate", "guard_vote": "all", "critic_window": 5, "critic_trials": 3, "critic_sets": True,
}  # fmt: skip
ON = {"hall_of_fame": 20, "model_memory": 20, "counterfeits": 8, "historical_averaging": 0.5, "islands": 2,
      "guards": 16, "critic": 0.5}  # fmt: skip


@pytest.mark.parametrize(
    ("feature", "key"), [(f, k) for f, (_, keys) in DEPENDENTS.items() for k in keys], ids=lambda v: str(v)
)
def test_a_setting_of_a_feature_that_is_off_is_named_not_ignored(feature, key):
    off = 1 if feature == "islands" else 0
    with pytest.raises(ConfigError) as err:
        load_config("aggregation", {**WITHOUT_MEMORY, f"learner.{feature}": off, f"learner.{key}": OTHER[key]})
    assert err.value.key == f"learner.{key}"
    if key != "model_memory_share":  # its own rule speaks first: "set model_memory > 0 too"
        assert f"changes nothing while {feature} = {off}; set {feature} (" in str(err.value)
    on = load_config("aggregation", {**WITHOUT_MEMORY, f"learner.{feature}": ON[feature], f"learner.{key}": OTHER[key]})
    assert getattr(on.learner, key) == OTHER[key]
    assert set(OTHER) == {k for _, keys in DEPENDENTS.values() for k in keys}


def test_a_run_written_with_such_a_setting_still_resumes(tmp_path, tiny):
    """An older version accepted a feature's setting while the feature was off and wrote it into
    the run's config.toml: that run resumes (and reports) as written; a new run from the same
    file is refused."""
    from turinglearn.app.driver import resume, run_experiment

    over = {**tiny, "generations": 4, "learner.hall_of_fame": 0, "learner.hall_of_fame_every": 3}
    config = load_config("aggregation", over, strict=False)

    def stop(record):
        if record.generation == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, out=tmp_path / "r", hooks=[stop])
    with pytest.raises(ConfigError, match=r"learner\.hall_of_fame_every: 3 changes nothing while hall_of_fame = 0"):
        load_config(tmp_path / "r" / "config.toml")
    assert resume(tmp_path / "r", log=lambda m: None).summary()["generations"] == 4


def test_unknown_preset_and_missing_or_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown preset 'nope'.*aggregation"):
        load_config("nope")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_defaults_are_the_aggregation_preset_without_its_steadying_settings():
    # one replica, one genuine agent per trial, the final median, no memory beyond the hall of
    # fame: the preset departs from these where docs/results.md says why
    plain = {
        **WITHOUT_MEMORY,
        "environment.n_replicas": 1,
        "learner.genuine_per_trial": 1,
        "evaluation.average_last": 1,
        "evaluation.track": "median",
        "evaluation.estimate": "window",
        "stopping.converge": False,
        "stopping.restart_above": 0,
        "stopping.restart_when": "at",
        "stopping.restarts": 1,
    }
    assert Config() == load_config("aggregation", plain)
    assert Config() != load_config("aggregation")


def test_environment_settings_without_an_id_say_the_id_is_missing(tmp_path):
    """A newcomer's [environment] table of their own system's settings without its id was told
    the settings were unknown, listing aggregation's."""
    from turinglearn.config import load_config
    from turinglearn.errors import ConfigError

    path = tmp_path / "mine.toml"
    path.write_text("[environment]\npassive_level = 0.7\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value).startswith(
        "environment.id: [environment] sets 'passive_level' but names no id, so the default environment"
    )
    path.write_text("[environment]\nsteps = 50\n")  # the default environment's own setting: its run
    assert load_config(path).environment.options["steps"] == 50


def test_initial_ranges_a_bounded_family_ignores_are_refused(tiny):
    """models.init_low / init_high set the first population of a family without bounds; a
    bounded one draws it within its bounds, so a newcomer's setting changed nothing, silently."""
    import turinglearn
    from turinglearn.errors import ConfigError

    with pytest.raises(ConfigError, match=r"models.init_high: 0.5 changes nothing: the model family has bounds"):
        turinglearn.learn("aggregation", overrides={**tiny, "models.init_high": 0.5})


def test_another_environment_id_starts_from_its_own_defaults():
    """A preset with --set environment.id=OTHER: the preset's environment settings were kept and
    refused (aggregation's 4-value truth for object clustering's 6); they are dropped, as
    Config.replace drops them, and environment overrides beside the id apply."""
    from turinglearn.config import load_config

    config = load_config("aggregation", ["environment.id=turinglearn/ObjectClustering-v0", "environment.steps=50"])
    assert config.environment.options["steps"] == 50 and len(config.environment.options["truth"]) == 6
    same = load_config("aggregation", {"environment.id": "turinglearn/Aggregation-v0"})
    assert same.environment == load_config("aggregation").environment  # the same id keeps the preset's


def test_numpys_numbers_are_numbers_and_a_bad_thread_count_is_named(tiny, monkeypatch):
    """learn(seed=np.int64(3)) was refused ('must be an integer, got np.int64(3)'); a
    TURINGLEARN_THREADS of 'abc' failed with int()'s traceback after the run was announced."""
    import numpy as np

    import turinglearn

    config = load_config("aggregation", {"seed": np.int64(3), "learner.critic": np.float32(0.5), "learner.passive": np.True_})
    assert config.seed == 3 and type(config.seed) is int and config.learner.critic == 0.5 and config.learner.passive is True
    monkeypatch.setenv("TURINGLEARN_THREADS", "abc")
    with pytest.raises(ConfigError, match=r"TURINGLEARN_THREADS must be a whole number of threads, 1 or more .* got 'abc'"):
        turinglearn.learn("aggregation", overrides=tiny)


def test_an_array_given_as_data_is_named_by_its_shape_with_how_to_save_it():
    """A newcomer passed their recording as an array: the error printed all of it (1.8 kB)."""
    import numpy as np

    with pytest.raises(ConfigError) as err:
        load_config("own-system", {"data": np.zeros((10, 60, 1))})
    message = str(err.value)
    assert "got an array of shape (10, 60, 1)" in message and "np.savez('rec.npz'" in message and len(message) < 300
    with pytest.raises(ConfigError, match=r"must be an integer, got 'x{76}\.\.\.$"):
        load_config("aggregation", {"environment.steps": "x" * 200})
