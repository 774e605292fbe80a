import json

import numpy as np
import pytest
from helpers import Shifted, load_example, record_evaluations

import turinglearn
from turinglearn.app.build import build
from turinglearn.app.runs import read_metrics
from turinglearn.config import load_config
from turinglearn.core.learner import TuringLearner

SUMMARY_KEYS = {"truth", "inferred", "abs_error", "c2st", "generations", "seconds"}


def test_step_evaluates_both_populations(tiny):
    learner = build(load_config("aggregation", tiny))
    record = learner.step()
    assert record.models.shape == (10, 4) and record.model_fitness.shape == (10,)
    assert record.discriminators.shape == (10, 46) and record.discriminator_fitness.shape == (10,)
    assert ((0 <= record.model_fitness) & (record.model_fitness <= 1)).all()
    assert ((0 <= record.discriminator_fitness) & (record.discriminator_fitness <= 1)).all()
    assert learner.generation == 1


def test_same_seed_same_run_bit_for_bit(tiny):
    tiny = {**tiny, "evaluation.c2st_trials": 10}  # the held-out C2ST too
    a = turinglearn.learn("aggregation", seed=3, overrides=tiny)
    b = turinglearn.learn("aggregation", seed=3, overrides=tiny)
    c = turinglearn.learn("aggregation", seed=4, overrides=tiny)
    for k in a.history:
        if k != "seconds":
            np.testing.assert_array_equal(a.history[k], b.history[k])
    np.testing.assert_array_equal(a.models, b.models)
    np.testing.assert_array_equal(a.discriminators, b.discriminators)
    assert a.c2st == b.c2st and a.c2st is not None
    assert not np.array_equal(a.models, c.models)


def test_hooks_see_every_generation(tiny):
    seen = []
    result = turinglearn.learn("aggregation", overrides=tiny, hooks=[lambda g: seen.append(g.generation)])
    assert seen == [0, 1, 2]
    assert list(result.history["generation"]) == [0, 1, 2]


def test_metrics_record_the_median_of_the_parents_selection_kept(tiny):
    records = []
    result = turinglearn.learn("aggregation", overrides=tiny, hooks=[records.append])
    mu = result.config.models.parents
    for g in range(len(records) - 1):  # generation g's kept parents lead generation g + 1's population
        kept = records[g + 1].models[:mu]
        np.testing.assert_array_equal(records[g].parents, kept)
        medians = [result.history[f"{n}_parents"][g] for n in result.names]
        np.testing.assert_allclose(medians, np.median(kept, axis=0))
        assert not np.allclose(medians, [result.history[f"{n}_median"][g] for n in result.names])


def test_learn_writes_a_complete_run(tmp_path, tiny):
    out = tmp_path / "run"
    result = turinglearn.learn("aggregation", overrides=tiny, out=out)
    names = {p.name for p in out.iterdir()}
    assert {
        "config.toml",
        "metrics.csv",
        "summary.json",
        "populations.npz",
        "parameters.png",
        "fitness.png",
        "run.json",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["generations"] == 3 and summary["inferred"] == pytest.approx(list(result.inferred))
    np.testing.assert_allclose(summary["abs_error"], np.abs(np.array(summary["inferred"]) - summary["truth"]))
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    metrics = read_metrics(out)
    assert len(metrics["generation"]) == 3
    np.testing.assert_allclose(metrics["v_l0_median"], result.history["v_l0_median"])
    pops = np.load(out / "populations.npz")
    np.testing.assert_array_equal(pops["models"], result.models)


def test_interrupted_run_is_marked_and_has_no_summary(tmp_path, tiny):
    out = tmp_path / "run"

    def stop(record):
        if record.generation == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", overrides=tiny, out=out, hooks=[stop])
    assert not (out / "summary.json").exists()
    assert json.loads((out / "run.json").read_text())["status"] == "interrupted"
    assert len(read_metrics(out)["generation"]) == 2


@pytest.mark.parametrize("fitness, judge_steps", [("votes", 1), ("matching", 1), ("gap", 1), ("votes", 3)])
def test_learner_composes_with_any_system(fitness, judge_steps):
    """The pieces compose without the config layer: a 1-parameter toy system is recovered,
    with the papers' model fitness, feature matching or the gap (two samples of each model),
    and with judges selected three times a generation."""
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES
    from turinglearn.core.random import stream

    disc = ElmanNetwork(n_inputs=1, n_hidden=3)
    learner = TuringLearner(
        Shifted(per=2 if fitness == "gap" else 1),
        disc,
        SelfAdaptiveES(
            1,
            ESConfig(population=20, parents=10, sigma_init=0.5, sigma_max=0.5),
            stream(0, "models"),
            [-1.0],
            [1.0],
        ),
        SelfAdaptiveES(disc.n_weights, ESConfig(population=20, parents=10), stream(0, "discriminators")),
        model_fitness=fitness,
        judge_steps=judge_steps,
    )
    last = learner.run(300)  # 150 generations are enough for most seeds, not all
    assert abs(last.median[0] - 0.3) < 0.1


def test_errors_shrink_and_end_below_a_bound():
    """Reduced aggregation recovery (the full one is benchmarks/recovery.py)."""
    result = turinglearn.learn("aggregation", seed=0, overrides=REDUCED)
    h = result.history
    err = np.abs(np.stack([h[f"{n}_median"] for n in result.names], 1) - result.truth)  # [G, 4]
    early, late = err[:10].mean(), err[-30:].mean()
    assert late < early / 3
    assert result.abs_error.max() < 0.15, result.abs_error


REDUCED = {
    "generations": 150,
    "environment.steps": 100,
    "models.population": 40,
    "models.parents": 20,
    "discriminators.population": 40,
    "discriminators.parents": 20,
    "evaluation.c2st_trials": 0,
}


def test_c2st_separates_wrong_models_and_not_the_truth():
    """The held-out two-sample test: ~0.5 for the truth itself, ~1 for a clearly wrong model."""
    from turinglearn.core.evaluation import model_c2st

    learner = build(load_config("aggregation", {"environment.steps": 100}))
    truth = learner.system.truth
    same = model_c2st(learner.system, truth, np.random.default_rng(0), 100, 5, noise=0.05)
    wrong = model_c2st(
        learner.system, truth + np.array([0.3, 0, 0, 0]), np.random.default_rng(0), 100, 5, noise=0.05
    )
    assert 0.35 < same < 0.65
    assert wrong > 0.9


def test_hall_of_fame_archives_best_discriminators_and_they_judge_models(tiny):
    cfg = load_config("aggregation", {**tiny, "learner.hall_of_fame": 2, "learner.hall_of_fame_every": 2})
    learner = build(cfg)
    seen, bests = [], {}
    evaluate = learner.system.evaluate

    def spy(theta, disc, judges, rng, part=0, parts=1):
        seen.append(len(judges))
        return evaluate(theta, disc, judges, rng, part, parts)

    learner.system.evaluate = spy
    for _ in range(6):
        g = learner.step()
        bests[g.generation] = g.discriminators[int(np.argmax(g.discriminator_fitness))]
    # archive after generations 0, 2, 4 (every 2), keeping the last 2
    assert seen == [10, 11, 11, 12, 12, 12]
    np.testing.assert_array_equal(learner.archive, np.stack([bests[2], bests[4]]))
    assert g.discriminator_fitness.shape == (10,)  # archived judges are not evolved


def test_no_hall_of_fame_is_the_papers_algorithm(tiny):
    learner = build(load_config("aggregation", {**tiny, "learner.hall_of_fame": 0}))
    for _ in range(3):
        learner.step()
    assert learner.archive is None


def test_inferred_model_is_the_final_median_or_an_average_of_the_last_medians(tiny):
    final = {**tiny, "generations": 6, "evaluation.average_last": 1, "evaluation.track": "median"}
    final["evaluation.estimate"] = "window"  # the window's estimate (the preset's is the panel's)
    one = turinglearn.learn("aggregation", seed=2, overrides=final)
    np.testing.assert_array_equal(one.inferred, np.median(one.models, axis=0))
    medians = np.array([one.history[f"{n}_median"] for n in one.names])  # [d, G]
    for average, stat in (("mean", np.mean), ("median", np.median)):
        many = turinglearn.learn(
            "aggregation",
            seed=2,
            overrides={**final, "evaluation.average_last": 3, "evaluation.average": average},
        )
        np.testing.assert_array_equal(many.models, one.models)  # the estimate does not change the run
        np.testing.assert_allclose(many.inferred, stat(medians[:, -3:], axis=1))
        assert not np.allclose(many.inferred, one.inferred)
        np.testing.assert_allclose(many.abs_error, np.abs(many.inferred - many.truth))
    longer = turinglearn.learn(  # more generations asked for than run: the second half of the run
        "aggregation", seed=2, overrides={**final, "evaluation.average_last": 100}
    )
    np.testing.assert_allclose(longer.inferred, np.median(medians[:, -3:], axis=1))


def test_track_best_follows_each_generations_fittest_model(tiny):
    final = {**tiny, "generations": 6, "evaluation.average_last": 3, "evaluation.estimate": "window"}
    med = turinglearn.learn("aggregation", seed=2, overrides={**final, "evaluation.track": "median"})
    best = turinglearn.learn("aggregation", seed=2, overrides={**final, "evaluation.track": "best"})
    np.testing.assert_array_equal(best.models, med.models)  # the estimate does not change the run
    # each generation's best is the model its judges were fooled by most: the final one is result.best
    np.testing.assert_array_equal([best.history[f"{n}_best"][-1] for n in best.names], best.best)
    bests = np.array([best.history[f"{n}_best"] for n in best.names])  # [d, G]
    np.testing.assert_allclose(best.inferred, np.median(bests[:, -3:], axis=1))
    assert not np.allclose(best.inferred, med.inferred)
    np.testing.assert_allclose(best.abs_error, np.abs(best.inferred - best.truth))


def test_a_median_over_the_window_ignores_a_short_sweep():
    from turinglearn.app.results import estimate

    walk = np.full(400, -0.7)
    walk[350:380] = 0.3  # the population swept away for 30 of the last 200 generations
    history = {"v_median": walk}
    assert estimate(history, ["v"], 200, "median")[0] == -0.7
    assert estimate(history, ["v"], 200, "mean")[0] == pytest.approx(-0.7 + 30 / 200)


def test_average_last_must_be_a_positive_count_and_average_and_track_known_names():
    from turinglearn.errors import ConfigError

    with pytest.raises(ConfigError, match=r"average_last.*at least 1"):
        load_config("aggregation", {"evaluation.average_last": 0})
    with pytest.raises(ConfigError, match=r"average.*median, mean.*'mode'"):
        load_config("aggregation", {"evaluation.average": "mode"})
    with pytest.raises(ConfigError, match=r"track.*median, best.*'mean'"):
        load_config("aggregation", {"evaluation.track": "mean"})


@pytest.mark.parametrize("weight", [-1.0, 0.5])
def test_model_fitness_from_outputs_is_the_mean_probability_the_judges_give(tiny, weight):
    from turinglearn.core.fitness import judgements, model_fitness

    over = {**tiny, "learner.model_fitness": "outputs", "learner.hall_of_fame": 2, "learner.hall_of_fame_every": 1}
    learner = build(load_config("aggregation", {**over, "learner.hall_of_fame_weight": weight}))
    seen = record_evaluations(learner)
    for _ in range(3):
        g = learner.step()
    ev, d = seen[-1], len(g.discriminators)
    assert len(ev.outputs) == d + 2  # the hall of fame judged too
    if weight < 0:  # every judge one share
        expected = model_fitness(ev.outputs, ev.owner, 10)
    else:  # the archive's share fixed
        expected = (1 - weight) * model_fitness(ev.outputs[:d], ev.owner, 10) + weight * model_fitness(
            ev.outputs[d:], ev.owner, 10
        )
    np.testing.assert_allclose(g.model_fitness, expected)
    votes = model_fitness(judgements(ev.outputs), ev.owner, 10)
    assert not np.allclose(g.model_fitness, votes)  # the setting changes what selection sees


@pytest.mark.parametrize("weight", [-1.0, 0.5])
@pytest.mark.parametrize("kind", ["matching", "gap"])
def test_matching_and_gap_model_fitness_are_recomputed_from_the_judgements(tiny, weight, kind):
    from turinglearn.core.fitness import gap_fitness, judgements, matching_fitness, model_fitness

    over = {
        **tiny,
        "learner.model_fitness": kind,
        "learner.hall_of_fame": 2,
        "learner.hall_of_fame_every": 1,
        "learner.hall_of_fame_weight": weight,
        "learner.model_memory": 5,  # recalled models are judged but are not the population
        "learner.model_memory_judged": 3,
        "learner.model_memory_below": 1.0,
    }
    learner = build(load_config("aggregation", over))
    seen = record_evaluations(learner)
    for _ in range(4):
        g = learner.step()
    ev, d = seen[-1], len(g.discriminators)
    shown = int(np.max(ev.owner)) + 1
    assert shown > 10  # recalled models were judged beside the 10 of the population
    judged = judgements(ev.outputs).astype(float)

    def matching(rows):
        if kind == "gap":
            return gap_fitness(rows, ev.genuine, ev.owner, shown)[:10]
        return matching_fitness(rows, ev.genuine, ev.owner, shown, 10)[:10]

    expected = matching(judged) if weight < 0 else (1 - weight) * matching(judged[:d]) + weight * matching(judged[d:])
    np.testing.assert_allclose(g.model_fitness, expected)
    assert not np.allclose(g.model_fitness, model_fitness(judged, ev.owner, shown)[:10])  # not the votes


def test_a_users_optimiser_is_held_to_its_rows_and_told_what_checkpoints_need(tiny):
    """A model optimiser of one's own that never clipped ran with medians out of the box (the
    simulator clips what it reads), and one without state_dict failed at its first checkpoint
    with an AttributeError; the learner now says which optimiser and what is wrong."""
    learner = build(load_config("aggregation", tiny))
    es = learner.model_optimizer

    class Unclipped:  # the preset's ES, its rows moved out of the box
        def ask(self):
            return es.ask() * 3.0

        def tell(self, fitness):
            es.tell(fitness)

    learner.model_optimizer = Unclipped()
    with pytest.raises(ValueError, match=r"the model optimiser Unclipped's ask\(\) returned values outside the bounds"):
        learner.step()

    class Transposed(Unclipped):
        def ask(self):
            return es.ask().T

    learner.model_optimizer = Transposed()
    with pytest.raises(ValueError, match=r"returned shape \(4, 10\); expected \[P, 4\] \(4: the model family's n_params\)"):
        learner.step()

    class Inside(Unclipped):
        def ask(self):
            return es.ask()

    learner.model_optimizer = Inside()
    learner.step()
    with pytest.raises(TypeError, match=r"the model optimiser Inside has no state_dict\(\): checkpoints and resume"):
        learner.state_dict()
    judges = learner.discriminator_optimizer

    class Broken:  # the judges' ES, a weight gone NaN
        def ask(self):
            w = np.array(judges.ask())
            w[3, 7] = np.nan
            return w

        def tell(self, fitness):
            judges.tell(fitness)

    learner.discriminator_optimizer = Broken()
    with pytest.raises(ValueError, match=r"the discriminator optimiser Broken's ask\(\) returned NaN in columns \[7\]"):
        learner.step()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("transposed", r"Judge.judge returned shape \(\d+, \d+\) for \d+ judges and \d+ samples; it must return \[D, S\]"),
        ("logits", r"generation 0: the judges' outputs lie outside \[0, 1\] \(min -\d.*squash scores with a sigmoid"),
        ("nan", r"Judge.judge returned NaN on samples whose features are all finite: the discriminator's own fault"),
    ],
)
def test_a_users_discriminator_is_held_to_its_outputs(tiny, fault, message):
    """A newcomer's judge of their own that returned [S, D] failed with an IndexError in the
    fitness; logits outside [0, 1] and NaN on finite samples ran on, the NaN blamed on the
    simulator's features. The learner now names the judge and the fault."""
    learner = build(load_config("aggregation", tiny))
    inner = learner.discriminator

    class Judge:
        n_weights, n_inputs = inner.n_weights, inner.n_inputs

        def judge(self, w, x):
            out = inner.judge(w, x)
            if fault == "transposed":
                return out.T
            if fault == "logits":
                return 4 * out - 2
            out = out.copy()
            out[:-1, 0] = np.nan  # a working judge failed on a finite sample
            return out

    learner.discriminator = Judge()
    with pytest.raises(ValueError, match=message):
        learner.step()


def test_a_discriminator_that_reads_other_than_the_systems_features_is_refused_when_built():
    """A newcomer's three-feature swarm with ``ElmanNetwork()`` (two inputs, aggregation's) failed
    in the first generation with 'samples must be [S, T, 2]'; the learner now names the fix."""
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES
    from turinglearn.core.random import stream
    from turinglearn.systems.swarm import SwarmSystem

    sim = build(load_config("aggregation")).system.sim
    sim.feature_names = (*sim.feature_names, "third")  # as if the simulator gave three
    disc = ElmanNetwork()
    parts = (
        SelfAdaptiveES(4, ESConfig(population=4, parents=2), stream(0, "models"), [-1.0] * 4, [1.0] * 4),
        SelfAdaptiveES(disc.n_weights, ESConfig(population=4, parents=2), stream(0, "discriminators")),
    )
    with pytest.raises(ValueError) as e:
        TuringLearner(SwarmSystem(sim), disc, *parts)
    assert str(e.value) == (
        "the discriminator reads 2 features per step (n_inputs); this system's samples carry 3 (linear_speed, "
        "angular_speed, third): build it with n_inputs=3, e.g. ElmanNetwork(n_inputs=3)"
    )


def test_non_finite_features_stop_the_run_naming_the_models():
    """Features a simulator returns as NaN for some parameter values used to be judged
    counterfeit by every judge, so those models scored 0 and the search left their region in
    silence; a list of features (which the checker reads) failed in numpy."""
    module = load_example("own_swarm")
    quick = {**module.QUICK, "generations": 3, "evaluation.intervals": "off", "evaluation.c2st_trials": 0}

    class NaNAtLowNoise(module.DriftSwarm):
        def rollout(self, params, rng, *, record=False):
            out = super().rollout(params, rng, record=record)
            out.features[params[..., 1] < 0.05] = np.nan  # a region of the box the simulator fails in
            return out

    with pytest.raises(ValueError, match=r"generation \d: the judges' outputs are NaN on samples of \d+ model\(s\) \(model \d+: \["):
        turinglearn.learn(simulator=NaNAtLowNoise(), seed=0, overrides=quick, check=False)

    class ListFeatures(module.DriftSwarm):
        def rollout(self, params, rng, *, record=False):
            out = super().rollout(params, rng, record=record)
            out.features = out.features.tolist()
            return out

    listed = turinglearn.learn(simulator=ListFeatures(), seed=0, overrides=quick, check=False)
    same = turinglearn.learn(simulator=module.DriftSwarm(), seed=0, overrides=quick, check=False)
    assert np.array_equal(listed.inferred, same.inferred)


def test_a_composed_learner_refuses_what_would_go_wrong_quietly():
    """run(n) at or below the generations done said nothing (it returned None); a state saved
    by a learner of another population failed a generation later, and one of another seed
    continued differently in silence; a simulator's class in place of an instance, or a
    simulator as learn's first argument, failed deep inside."""
    from turinglearn import ElmanNetwork, ESConfig, SelfAdaptiveES, SwarmSystem
    from turinglearn.core.random import stream

    def composed(population: int, seed: int) -> TuringLearner:
        disc = ElmanNetwork(n_inputs=1, n_hidden=3)
        return TuringLearner(
            Shifted(),
            disc,
            SelfAdaptiveES(1, ESConfig(population=population, parents=population // 2), stream(seed, "models"), [-1.0], [1.0]),
            SelfAdaptiveES(disc.n_weights, ESConfig(population=10, parents=5), stream(seed, "discriminators")),
            seed=seed,
        )

    learner = composed(20, 0)
    assert learner.run(2).generation == 1
    with pytest.raises(ValueError, match=r"run\(2\) steps until 2 generations have been evaluated, and 2 have been"):
        learner.run(2)
    state = learner.state_dict()
    with pytest.raises(ValueError, match=r"a population of shape \(20, 1\); this optimiser's is \(10, 1\)"):
        composed(10, 0).load_state_dict(state)
    with pytest.raises(ValueError, match="saved by a learner of seed 0; this one's is 5"):
        composed(20, 5).load_state_dict(state)
    again = composed(20, 0)
    again.load_state_dict(state)
    assert np.array_equal(again.run(4).models, learner.run(4).models)

    from helpers import load_example

    drift = load_example("own_swarm").DriftSwarm
    with pytest.raises(TypeError, match=r"got the class DriftSwarm, not a simulator: pass an instance, DriftSwarm\(\)"):
        SwarmSystem(drift)
    with pytest.raises(TypeError, match=r"got the class DriftSwarm"):
        turinglearn.learn(simulator=drift)
    with pytest.raises(TypeError, match=r"pass a simulator as learn\(simulator=DriftSwarm\(...\)\)"):
        turinglearn.learn(drift())


def test_box_bounds_name_the_parameter_at_fault():
    from turinglearn.families.parametric import BoxFamily

    with pytest.raises(ValueError, match=r"not so for a: lower 1 > upper 0$"):
        BoxFamily(("a", "b"), (1.0, 0.0), (0.0, 1.0))
    with pytest.raises(ValueError, match=r"b: lower 0.5 = upper 0.5 \(to hold a parameter fixed, leave it out"):
        BoxFamily(("a", "b"), (0.0, 0.5), (1.0, 0.5))


def test_nan_outputs_of_whole_judges_blame_the_judges():
    from turinglearn.core.learner_checks import check_outputs

    outputs = np.full((3, 4), 0.5)
    outputs[1] = np.nan  # one judge's weights overflowed: every sample NaN for it alone
    genuine, owner = np.array([True, True, False, False]), np.array([-1, -1, 0, 1])
    with pytest.raises(ValueError, match=r"judges \[1\] output NaN on every sample while the others judged them"):
        check_outputs(outputs, genuine, owner, np.zeros((2, 1)), 7)
    logits = np.full((3, 4), 0.5)
    logits[2, 1] = 1.3  # an interrogator of one's own that returns a score (its outputs bypass judge())
    with pytest.raises(ValueError, match=r"generation 7: the judges' outputs lie outside \[0, 1\] \(min 0.5, max 1.3\)"):
        check_outputs(logits, genuine, owner, np.zeros((2, 1)), 7)
    outputs = np.full((3, 4), 0.5)
    outputs[:, 3] = np.nan  # one sample NaN for every judge: its features
    with pytest.raises(ValueError, match=r"generation 7: the judges' outputs are NaN on samples of 1 model\(s\) \(model 1: "):
        check_outputs(outputs, genuine, owner, np.zeros((2, 1)), 7)


def test_rows_clipped_in_float32_are_inside_the_bounds():
    """A newcomer's optimiser clipped into the bounds and returned float32: log 2 rounded up by
    2e-8 was refused as 'outside the bounds (0.693147 not in [..., 0.693147])'."""
    from turinglearn.core.learner_checks import asked_problems

    lower, upper = np.log([0.05, 0.1]), np.log([2.0, 5.0])
    rows = np.clip(np.random.default_rng(0).normal(0, 3, (20, 2)), lower, upper).astype(np.float32)
    assert asked_problems(rows.astype(float), (lower, upper), "ask()") == []
    rows[0, 1] = 1.7  # truly outside: named with enough digits to see it
    (p,) = asked_problems(rows.astype(float), (lower, upper), "ask()")
    assert p.startswith("ask() returned values outside the bounds (column 1: 1.700000048 not in [-2.302585093, 1.609437912])")
