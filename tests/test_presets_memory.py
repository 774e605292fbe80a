"""The presets as shipped carry the coevolution's memory (docs/concepts.md, "Memory"); the other
tests take it off (helpers.TINY, helpers.SMALL_INTERACTIVE) to test each feature beside the
papers' judge fitness. Here the memory runs as shipped, on every kind of system a preset has:
a swarm, a swarm from a recording, an interrogated agent, programs as models; it resumes bit
for bit, and WITHOUT_MEMORY takes all of it off."""

import json

import numpy as np
import pytest
from helpers import TINY, interrupt_at, same_summary

import turinglearn
from turinglearn.app.driver import resume
from turinglearn.config import WITHOUT_MEMORY, load_config
from turinglearn.errors import ConfigError

MEMORY_PRESETS = ("aggregation", "object-clustering", "stimulus-response", "aggregation-gp")

#: conftest's tiny experiment with the learner's settings as shipped
SWARM = {**{k: v for k, v in TINY.items() if not k.startswith("learner.")}, "generations": 4}
AGENT = {**{k: v for k, v in SWARM.items() if k != "environment.n_agents"}, "learner.genuine_trials": 8}


def _small(preset: str) -> dict:
    return AGENT if preset == "stimulus-response" else SWARM


@pytest.mark.parametrize("preset", MEMORY_PRESETS)
def test_the_preset_carries_the_memory_and_without_memory_takes_it_off(preset):
    learner = load_config(preset).learner
    assert (learner.judge_fitness, learner.model_judges, learner.critic) == (
        "shared-geometric",
        "parents",
        0.5,
    )
    assert learner.judge_steps == (1 if preset == "stimulus-response" else 3)  # interrogated: its samples
    assert learner.hall_of_fame == (0 if preset == "stimulus-response" else 20)  # depend on its judges
    plain = load_config(preset, WITHOUT_MEMORY).learner
    assert (plain.judge_fitness, plain.judge_steps, plain.model_judges, plain.critic) == (
        "accuracy",
        1,
        "all",
        0,
    )


@pytest.mark.parametrize(
    "preset, extra", [*((p, {}) for p in MEMORY_PRESETS), ("stimulus-response", {"learner.passive": True})]
)
def test_the_presets_memory_runs_and_resumes_bit_for_bit(tmp_path, preset, extra):
    """Also stimulus-response watched passively (--passive), where the critic reads the samples."""
    settings = {**_small(preset), "execution.checkpoint_every": 1, **extra}
    ref = turinglearn.learn(preset, overrides=settings, out=tmp_path / "ref")
    critic = ref.history["critic_accuracy"]
    # the critic ran (unfitted in the first generation, and after object clustering's restart)
    assert np.isfinite(critic).sum() >= 2 and 0 <= np.nanmin(critic) <= np.nanmax(critic) <= 1
    without = turinglearn.learn(preset, overrides={**settings, **WITHOUT_MEMORY}, out=tmp_path / "without")
    assert not np.array_equal(ref.model_fitness, without.model_fitness)  # the memory changes the run
    assert np.isnan(without.history["critic_accuracy"]).all()
    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn(preset, overrides=settings, out=tmp_path / "run", hooks=[interrupt_at(2)])
    again = resume(tmp_path / "run", log=lambda m: None)
    same_summary(again.summary(), ref.summary())
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert written["generations"] == ref.summary()["generations"]


def test_the_presets_memory_learns_from_a_recording(tmp_path):
    """From a recording the critic reads the recorded agents beside the simulated replicas."""
    from turinglearn.app.recording import record

    cfg = load_config("aggregation", {k: v for k, v in SWARM.items() if k.startswith("environment.")})
    path = record(cfg, tmp_path / "agg.npz", trials=20, seed=0)
    r = turinglearn.learn("aggregation", overrides={**SWARM, "data": str(path)}, out=tmp_path / "run")
    assert r.summary()["generations"] == 4
    assert np.isfinite(r.history["critic_accuracy"][1:]).all()


@pytest.mark.parametrize(
    "over, key, alone",
    [
        ({"learner.islands": 5}, "learner.model_judges", "parents"),
        ({"learner.model_fitness": "gap"}, "learner.critic", 0.5),
        ({"learner.model_memory": 10, "learner.model_memory_share": 0.5}, "learner.judge_fitness", "shared-geometric"),
    ],
)
def test_a_setting_the_memory_refuses_names_how_to_take_all_of_it_off(over, key, alone):
    """One error, not one key at a time: it ends with the four overrides, which then load; the
    same refusal of one such setting chosen on its own (no memory beside it) has no hint."""
    with pytest.raises(ConfigError) as err:
        load_config("aggregation", over)
    assert err.value.key == key and str(err.value).count("\n") == 0
    off = " ".join(f"--set {k}={v if isinstance(v, str) else f'{v:g}'}" for k, v in WITHOUT_MEMORY.items())
    assert off in str(err.value) and "takes all of it off" in str(err.value)
    assert load_config("aggregation", {**over, **WITHOUT_MEMORY}).learner.critic == 0
    with pytest.raises(ConfigError) as err:  # own-system carries it too, judge_steps at its default
        load_config("own-system", over)
    assert err.value.key == key and "takes all of it off" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_config("own-system", {**WITHOUT_MEMORY, **over, key: alone})
    assert err.value.key == key and "takes all of it off" not in str(err.value)


@pytest.mark.parametrize("over", [{"learner.critic": 1.5}, {"learner.judge_fitness": "acurracy"}])
def test_a_bad_value_of_the_memory_itself_gets_no_hint(over):
    with pytest.raises(ConfigError) as err:
        load_config("aggregation", over)
    assert "takes all of it off" not in str(err.value)


def test_a_trained_judge_on_a_preset_with_the_memory_is_told_the_same_at_build():
    pytest.importorskip("torch")
    over = {**SWARM, "discriminators.kind": "gru"}
    with pytest.raises(ConfigError, match="takes all of it off") as err:
        turinglearn.build(load_config("aggregation", over))
    assert err.value.key == "learner.judge_steps"
    turinglearn.build(load_config("aggregation", {**over, **WITHOUT_MEMORY}))
