"""Islands (learner.islands): populations that coevolve apart and exchange their best on a ring."""

import numpy as np
import pytest

import turinglearn
from turinglearn.app.build import build
from turinglearn.config import load_config
from turinglearn.core.fitness import (
    discriminator_fitness,
    island_discriminator_fitness,
    island_model_fitness,
    judges_per_model,
    model_fitness,
)
from turinglearn.core.optimizers import ESConfig, Islands, SelfAdaptiveES
from turinglearn.errors import ConfigError


def _islands(k=3, every=2, seed=0):
    rngs = np.random.default_rng(seed).spawn(k)
    parts = [SelfAdaptiveES(2, ESConfig(population=6, parents=3), r, [-1.0, -1.0], [1.0, 1.0]) for r in rngs]
    return Islands(parts, every)


def test_islands_ask_stacks_the_parts_and_tell_hands_each_its_fitness():
    isl = _islands()
    x = isl.ask()
    assert x.shape == (18, 2)
    np.testing.assert_array_equal(x[6:12], isl.parts[1].ask())
    f = np.arange(18.0)
    isl.tell(f)  # generation 1: no migration yet (every 2)
    for k, part in enumerate(isl.parts):
        np.testing.assert_array_equal(part.fitness, f[6 * k : 6 * k + 6])
        best = x[6 * k : 6 * k + 6][np.argsort(-f[6 * k : 6 * k + 6])[:3]]
        np.testing.assert_array_equal(part.ask()[:3], best)  # each island selected on its own
    # the rows of the pooled population that lead the next one: each island's kept parents
    np.testing.assert_array_equal(x[isl.selected], np.concatenate([p.ask()[:3] for p in isl.parts]))
    with pytest.raises(ValueError, match=r"shape \(18,\)"):
        isl.tell(np.zeros(17))


def test_every_so_many_generations_the_best_parent_moves_to_the_next_island():
    isl = _islands(every=2)
    rng = np.random.default_rng(1)
    isl.tell(rng.random(18))
    isl.tell(rng.random(18))  # generation 2: migration after selection
    # island k's worst parent is island k-1's best (island 0 takes island 2's)
    for k, part in enumerate(isl.parts):
        donor = isl.parts[k - 1]
        np.testing.assert_array_equal(part.ask()[2], donor.ask()[0])
        np.testing.assert_array_equal(part.sigma[2], donor.sigma[0])
    assert not np.array_equal(isl.parts[0].ask()[2], isl.parts[1].ask()[2])


def test_selected_names_the_next_parents_migrants_included():
    isl = _islands(every=2)
    rng = np.random.default_rng(5)
    for generation in range(1, 5):  # migration after generations 2 and 4
        x = isl.ask().copy()
        isl.tell(rng.random(18))
        np.testing.assert_array_equal(x[isl.selected], np.concatenate([p.ask()[:3] for p in isl.parts]))
        if generation % 2 == 0:  # island 1's worst parent came from island 0's rows
            assert 0 <= isl.selected[5] < 6


def test_islands_of_optimisers_that_do_not_name_their_parents_record_none():
    class Plain:  # a Migrating optimiser without ``selected``
        def __init__(self):
            self.x = np.zeros((4, 2))

        def ask(self):
            return self.x

        def tell(self, fitness):
            pass

        def emigrant(self):
            return self.x[0], np.ones(2)

        def immigrate(self, x, sigma):
            self.x[1] = x

    isl = Islands([Plain(), Plain()], 1)
    isl.tell(np.zeros(8))
    assert isl.selected is None


def test_islands_state_round_trips_bit_for_bit():
    a, b = _islands(seed=2), _islands(seed=9)
    rng = np.random.default_rng(3)
    for _ in range(3):
        a.tell(rng.random(18))
    b.load_state_dict(a.state_dict())
    f = rng.random(18)
    a.tell(f)
    b.tell(f)
    np.testing.assert_array_equal(a.ask(), b.ask())
    assert a.generation == b.generation == 4
    with pytest.raises(ValueError, match="3 islands, this run 2"):
        Islands(_islands(k=2).parts, 1).load_state_dict(a.state_dict())


def test_judges_per_model_averages_to_the_model_fitness():
    rng = np.random.default_rng(0)
    owner = np.array([-1, -1, 0, 0, 1, 2, 2, 2, 3])
    v = rng.random((5, len(owner))) > 0.5
    per = judges_per_model(v, owner, 4)
    assert per.shape == (5, 4)
    assert per[2, 2] == v[2, 5:8].mean()
    np.testing.assert_allclose(per.mean(axis=0), model_fitness(v, owner, 4))


def test_a_model_is_judged_by_its_own_islands_judges_and_the_archive():
    # 4 current judges (2 islands of 2), 1 archived; 4 models (2 per island), one sample each
    owner = np.array([-1, 0, 1, 2, 3])
    v = np.array(
        [
            [1, 1, 1, 0, 0],  # island 0's judges fool-able by island 0, reject island 1
            [1, 1, 0, 0, 0],
            [1, 0, 0, 1, 1],  # island 1's judges
            [1, 0, 0, 1, 0],
            [1, 0, 0, 0, 1],  # the archive
        ],
        dtype=float,
    )
    f = island_model_fitness(v, owner, 4, islands=2, n_current=4)
    np.testing.assert_allclose(f, [2 / 3, 1 / 3, 2 / 3, 2 / 3])
    # without an archive only the island's own judges count
    np.testing.assert_allclose(island_model_fitness(v[:4], owner, 4, 2, 4), [1.0, 0.5, 1.0, 0.5])
    # one island is the papers' fitness
    np.testing.assert_allclose(island_model_fitness(v, owner, 4, 1, 4), model_fitness(v, owner, 4))


def test_a_judges_specificity_counts_its_own_islands_models_only():
    owner = np.array([-1, -1, 0, 1, 2, 3])
    genuine = owner < 0
    judged = np.array([[1, 0, 0, 0, 1, 1], [1, 1, 1, 1, 0, 0]], dtype=bool)  # one judge per island
    f = island_discriminator_fitness(judged, genuine, owner, 4, islands=2)
    np.testing.assert_allclose(f, [(0.5 + 1.0) / 2, (1.0 + 1.0) / 2])  # each perfect on its own island
    whole = discriminator_fitness(judged, genuine)
    np.testing.assert_allclose(whole, [(0.5 + 0.5) / 2, (1.0 + 0.5) / 2])


def test_a_run_with_islands_is_deterministic_resumes_bit_for_bit_and_keeps_islands_apart(tiny, tmp_path):
    from turinglearn.app.driver import resume

    over = {
        **tiny,
        "generations": 6,
        "models.population": 20,
        "models.parents": 10,
        "discriminators.population": 20,
        "discriminators.parents": 10,
        "learner.islands": 5,
        "learner.migrate_every": 2,
        "learner.hall_of_fame": 0,
        "evaluation.track": "median",
        "execution.checkpoint_every": 2,
    }
    learner = build(load_config("aggregation", over))
    assert len(learner.model_optimizer.parts) == len(learner.discriminator_optimizer.parts) == 5
    record = learner.step()
    assert record.models.shape == (20, 4) and record.discriminator_fitness.shape == (20,)
    whole = turinglearn.learn("aggregation", seed=5, overrides=over)

    def stop(record):
        if record.generation == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        turinglearn.learn("aggregation", seed=5, overrides=over, out=tmp_path / "r", hooks=[stop])
    said = []
    resumed = resume(tmp_path / "r", log=said.append)
    assert any("(4 generations done)" in m for m in said), said  # from the checkpoint, not from the start
    np.testing.assert_array_equal(resumed.models, whole.models)
    np.testing.assert_array_equal(resumed.discriminators, whole.discriminators)


def test_islands_fitness_differs_from_one_population(tiny):
    """The same populations judged as 5 islands: a model's fitness counts its island's 4 judges."""
    sizes = {
        "models.population": 20,
        "models.parents": 10,
        "discriminators.population": 20,
        "discriminators.parents": 10,
    }
    over = {**tiny, **sizes, "learner.hall_of_fame": 0, "evaluation.track": "median"}
    one = build(load_config("aggregation", over))
    five = build(load_config("aggregation", {**over, "learner.islands": 5}))
    five.model_optimizer = _as_islands(one.model_optimizer, 5)
    five.discriminator_optimizer = _as_islands(one.discriminator_optimizer, 5)
    a, b = one.step(), five.step()
    np.testing.assert_array_equal(a.models, b.models)
    assert not np.allclose(a.model_fitness, b.model_fitness)


def _as_islands(opt, k):
    """``opt``'s population cut into ``k`` islands (the same rows, in order)."""
    cfg = opt.config
    parts = []
    for rows in np.split(np.arange(cfg.population), k):
        part = SelfAdaptiveES(
            opt.n, ESConfig(population=len(rows), parents=cfg.parents // k), np.random.default_rng(0)
        )
        part.x, part.sigma = opt.x[rows].copy(), opt.sigma[rows].copy()
        parts.append(part)
    return Islands(parts, 10)


@pytest.mark.parametrize(
    "over, words",
    [
        ({"learner.islands": 3}, "models.population = 10 does not split into 3 islands"),
        ({"learner.islands": 0}, "islands"),
        ({"learner.islands": 2, "learner.model_fitness": "matching"}, "matching or gap model fitness"),
        ({"learner.islands": 2, "learner.model_fitness": "gap"}, "matching or gap model fitness"),
        ({"learner.islands": 2, "learner.counterfeits": 2}, "counterfeits"),
        ({"learner.islands": 2, "learner.migrate_every": 0}, "migrate_every"),
        ({"learner.islands": 5}, "models.parents = 5 leaves 1 parent an island"),
        ({"learner.islands": 2, "evaluation.track": "best"}, "evaluation.track = 'median'"),
        ({"learner.islands": 2, "learner.kind": "metric-sse"}, "learner.kind = 'metric-sse' has none"),
    ],
)
def test_bad_island_settings_name_the_key(tiny, over, words):
    with pytest.raises(ConfigError, match=words):
        build(load_config("aggregation", {**tiny, "evaluation.track": "median", **over}))


def test_a_trained_classifier_cannot_be_cut_into_islands(tiny):
    pytest.importorskip("torch")
    over = {
        **tiny,
        "evaluation.track": "median",
        "models.parents": 4,
        "discriminators.kind": "gru",
        "learner.islands": 2,
    }
    with pytest.raises(ConfigError, match=r"discriminators\.kind = 'gru' does not migrate"):
        build(load_config("aggregation", over))


def test_islands_need_the_es_populations(tiny):
    pytest.importorskip("deap")
    over = {
        **tiny,
        "evaluation.track": "median",
        "models.kind": "gp",
        "models.parents": 4,
        "discriminators.parents": 4,
        "learner.islands": 2,
    }
    with pytest.raises(ConfigError, match="does not migrate between islands"):
        build(load_config("aggregation", over))


def test_islands_recover_a_toy_systems_parameter():
    """Two islands of 10 models and 10 judges each find the shifted system's 0.3."""
    from helpers import Shifted

    from turinglearn import ElmanNetwork
    from turinglearn.core.learner import TuringLearner
    from turinglearn.core.random import stream

    disc = ElmanNetwork(n_inputs=1, n_hidden=3)

    def islands(n, cfg, rng, *box):
        return Islands([SelfAdaptiveES(n, cfg, r, *box) for r in rng.spawn(2)], 10)

    learner = TuringLearner(
        Shifted(),
        disc,
        islands(
            1,
            ESConfig(population=10, parents=5, sigma_init=0.5, sigma_max=0.5),
            stream(0, "models"),
            [-1.0],
            [1.0],
        ),
        islands(disc.n_weights, ESConfig(population=10, parents=5), stream(0, "discriminators")),
        islands=2,
    )
    last = learner.run(300)
    assert abs(last.median[0] - 0.3) < 0.1
    with pytest.raises(ValueError, match="Islands of 3"):
        TuringLearner(Shifted(), disc, learner.model_optimizer, learner.discriminator_optimizer, islands=3)
