"""SelfAdaptiveES: shapes, bounds, selection, reproducibility, checkpoints and convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from turinglearn.core.optimizers import ESConfig, SelfAdaptiveES, reflect
from turinglearn.errors import ConfigError

LOWER = np.array([-1.0, 0.0, 2.0])
UPPER = np.array([1.0, 0.5, 3.0])


def _es(seed=0, n=3, bounded=True, **cfg):
    cfg = {"population": 12, "parents": 4, **cfg}
    bounds = (LOWER[:n], UPPER[:n]) if bounded else (None, None)
    return SelfAdaptiveES(n, ESConfig(**cfg), np.random.default_rng(seed), *bounds)


def _rows(a: np.ndarray) -> set:
    return {tuple(r) for r in a}


def test_shapes_and_initial_population():
    es = _es()
    x = es.ask()
    assert x.shape == (12, 3) and es.sigma.shape == (12, 3)
    assert ((x >= LOWER) & (x <= UPPER)).all()
    assert (es.sigma == 1.0).all() and es.generation == 0 and es.fitness is None
    es.tell(np.arange(12.0))
    assert es.ask().shape == (12, 3) and es.generation == 1
    np.testing.assert_array_equal(es.fitness, np.arange(12.0))

    free = _es(bounded=False, init_low=5.0, init_high=6.0)
    assert ((free.ask() >= 5.0) & (free.ask() < 6.0)).all()


def test_tell_rejects_wrong_fitness_shape():
    es = _es()
    with pytest.raises(ValueError, match="shape"):
        es.tell(np.zeros(11))
    with pytest.raises(ValueError, match="shape"):
        es.tell(np.zeros((12, 1)))


@pytest.mark.parametrize("direction", [1.0, -1.0, 0.0])
def test_bounds_respected_after_many_tells(direction):
    es = _es(seed=3, sigma_init=2.0, sigma_max=5.0)
    rng = np.random.default_rng(9)
    for _ in range(150):
        x = es.ask()
        fitness = direction * x.sum(axis=1) if direction else rng.random(len(x))
        es.tell(fitness)
        x = es.ask()
        assert ((x >= LOWER) & (x <= UPPER)).all()
    if direction:  # pushed against the bounds: the best sit on them
        corner = UPPER if direction > 0 else LOWER
        np.testing.assert_allclose(es.ask()[0], corner, atol=0.05)


def test_reflect_mirrors_steps_of_any_size_into_the_box():
    lower, upper = np.array([-1.0, 0.0]), np.array([1.0, 0.5])
    x = np.array([[1.3, -0.1], [-3.5, 1.2], [0.2, 0.25], [1.0, 0.0]])
    np.testing.assert_allclose(reflect(x, lower, upper), [[0.7, 0.1], [0.5, 0.2], [0.2, 0.25], [1.0, 0.0]])


@pytest.mark.parametrize("bounds", ["clip", "reflect"])
def test_blind_selection_piles_up_on_the_bounds_only_when_clipping(bounds):
    es = _es(
        seed=5, n=1, population=200, parents=100, sigma_init=0.5, sigma_min=0.5, sigma_max=0.5, bounds=bounds
    )
    rng = np.random.default_rng(2)
    on_bound = []
    for _ in range(30):  # fitness that cannot tell values apart
        es.tell(rng.random(200))
        x = es.ask()[:, 0]
        assert ((x >= LOWER[0]) & (x <= UPPER[0])).all()
        on_bound.append(np.mean((x == LOWER[0]) | (x == UPPER[0])))
    if bounds == "clip":
        assert np.mean(on_bound) > 0.1  # every step past a bound lands on it
    else:
        assert np.mean(on_bound) == 0.0


def _parents_after(threshold: float, fitness, generations: int, seed: int = 3) -> list[set]:
    """The parent rows after each of ``generations`` tells of ``fitness(es)``."""
    es = _es(seed=seed, threshold=threshold)
    kept = []
    for _ in range(generations):
        es.tell(fitness(es))
        kept.append(_rows(es.ask()[: es.config.parents]))
    return kept


def test_threshold_keeps_the_parents_while_the_fitness_is_noise():
    noise = np.random.default_rng(0)
    blind = lambda es: noise.random(12) * 0.1  # noqa: E731 - fitness that says nothing
    kept = _parents_after(0.1, blind, 15)
    assert all(k == kept[0] for k in kept)  # no offspring beat a parent by 0.1
    free = _parents_after(0.0, blind, 15)
    assert free[-1] != free[0]  # without it, noise replaces parents


def test_threshold_has_no_parents_to_favour_in_the_first_generation():
    es = _es(seed=4, threshold=0.5)
    first = es.ask().copy()
    f = np.zeros(12)
    f[4:8] = 0.1  # rows 4-7 beat rows 0-3 by less than the threshold: in generation 0 they still win
    es.tell(f)
    assert _rows(es.ask()[:4]) == _rows(first[4:8])


def test_threshold_lets_a_clearly_fitter_offspring_in():
    def one_better(es, margin):
        f = np.full(12, 0.5)
        f[es.config.parents] = 0.5 + margin  # the first offspring
        return f

    for margin, enters in [(0.25, True), (0.15, False)]:
        es = _es(seed=1, threshold=0.2)
        es.tell(np.arange(12.0))  # generation 0 has no parents yet: plain ranking
        child = tuple(es.ask()[es.config.parents])
        es.tell(one_better(es, margin))
        assert (child in _rows(es.ask()[: es.config.parents])) is enters


def test_step_sizes_stay_within_their_bounds():
    es = _es(seed=4, sigma_init=0.5, sigma_min=0.05, sigma_max=0.8)
    rng = np.random.default_rng(1)
    seen_low = seen_high = False
    for _ in range(150):
        es.tell(rng.random(12))
        assert (es.sigma >= 0.05).all() and (es.sigma <= 0.8).all()
        seen_low |= bool((es.sigma == 0.05).any())
        seen_high |= bool((es.sigma == 0.8).any())
    assert seen_low and seen_high  # the clipping was exercised at both ends


def test_parents_are_the_best_of_the_told_population():
    es = _es(seed=5)
    rng = np.random.default_rng(2)
    for _ in range(5):
        x, sigma = es.ask().copy(), es.sigma.copy()
        fitness = rng.normal(size=12)
        es.tell(fitness)
        best = np.argsort(-fitness)[:4]
        assert _rows(es.ask()[:4]) == _rows(x[best])
        # each parent keeps its own step sizes
        pairs = {tuple(r) for r in np.hstack([x[best], sigma[best]])}
        assert {tuple(r) for r in np.hstack([es.ask()[:4], es.sigma[:4]])} == pairs


@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_selected_names_the_told_rows_that_became_parents(threshold):
    es = _es(seed=7, threshold=threshold)
    rng = np.random.default_rng(4)
    assert es.selected is None  # nothing told yet
    for _ in range(4):
        x = es.ask().copy()
        es.tell(rng.normal(size=12))
        assert es.selected.shape == (4,)
        np.testing.assert_array_equal(es.ask()[:4], x[es.selected])


def test_ties_at_the_cut_take_the_whole_better_group():
    es = _es(seed=6)
    x = es.ask().copy()
    fitness = np.zeros(12)
    fitness[[2, 7]] = 1.0  # two clear winners, then ten tied rows for two places
    es.tell(fitness)
    parents = _rows(es.ask()[:4])
    assert _rows(x[[2, 7]]) <= parents
    assert parents <= _rows(x)


def test_offspring_recombine_parent_values():
    # tiny step sizes: offspring are discrete recombinations of the parents, per coordinate
    es = _es(seed=7, sigma_init=1e-9, sigma_min=1e-9, sigma_max=1e-9)
    x = es.ask().copy()
    fitness = -np.abs(x - x.mean(0)).sum(axis=1)
    es.tell(fitness)
    parents = es.ask()[:4]
    offspring = es.ask()[4:]
    for k in range(3):
        gap = np.abs(offspring[:, k][:, None] - parents[:, k][None, :]).min(axis=1)
        assert (gap < 1e-7).all()
    np.testing.assert_array_equal(es.sigma[4:], 1e-9)


@pytest.mark.parametrize("recombination", ["intermediate", "global"])
def test_averaging_recombination_breeds_from_the_parents_mean(recombination):
    # tiny step sizes: an offspring is the mean of two parents, or of all of them
    tiny = {"sigma_init": 1e-9, "sigma_min": 1e-9, "sigma_max": 1e-9}
    es = _es(seed=7, recombination=recombination, **tiny)
    es.tell(-np.abs(es.ask() - es.ask().mean(0)).sum(axis=1))
    parents, offspring = es.ask()[:4], es.ask()[4:]
    if recombination == "global":
        np.testing.assert_allclose(offspring, np.broadcast_to(parents.mean(0), offspring.shape), atol=1e-7)
    else:
        pair_means = [(parents[i] + parents[j]) / 2 for i in range(4) for j in range(i + 1, 4)]
        gap = np.abs(offspring[:, None, :] - np.array(pair_means)[None]).max(axis=2).min(axis=1)
        assert (gap < 1e-7).all()
    # the same draws as discrete recombination: only the values differ, so the stream (and
    # with it every later draw, the step sizes' included) stays where discrete leaves it
    discrete = _es(seed=7, **tiny)
    discrete.tell(-np.abs(discrete.ask() - discrete.ask().mean(0)).sum(axis=1))
    np.testing.assert_array_equal(discrete.ask()[:4], parents)
    assert discrete.rng.bit_generator.state == es.rng.bit_generator.state


def test_averaging_holds_a_population_together_under_a_fitness_that_is_noise():
    # the spread a blind selection leaves: discrete recombination keeps the parents' spread,
    # averaging pulls the offspring in (genetic repair), so the population stays narrower
    def spread(recombination):
        es = _es(seed=3, n=3, bounded=False, population=40, parents=20, sigma_init=0.1,
                 sigma_max=0.1, recombination=recombination)
        noise = np.random.default_rng(0)
        for _ in range(60):
            es.tell(noise.random(40))
        return float(np.median(es.ask().std(axis=0)))

    assert spread("intermediate") < 0.75 * spread("discrete")
    assert spread("global") < spread("intermediate")


def _run(es, generations, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    out = []
    for _ in range(generations):
        x = es.ask()
        out.append(x.copy())
        es.tell(-np.abs(x - rng.normal(size=x.shape[1])).sum(axis=1))
    out.append(es.ask().copy())
    return out


def test_same_seed_same_sequence_different_seed_differs():
    a, b, c = _run(_es(seed=11), 20), _run(_es(seed=11), 20), _run(_es(seed=12), 20)
    for xa, xb in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa, xb)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[-1], c[-1])


@pytest.mark.parametrize("threshold", [0.0, 0.3])
def test_state_dict_round_trip_continues_identically(threshold):
    es = _es(seed=21, threshold=threshold)
    _run(es, 6, rng_seed=1)
    state = es.state_dict()
    assert state["generation"] == 6 and state["config"]["population"] == 12
    expected = _run(es, 8, rng_seed=2)  # the original goes on (and must not alter `state`)

    fresh = _es(seed=999, threshold=threshold)
    fresh.load_state_dict(state)
    assert fresh.generation == 6
    got = _run(fresh, 8, rng_seed=2)
    for xe, xg in zip(expected, got, strict=True):
        np.testing.assert_array_equal(xe, xg)
    np.testing.assert_array_equal(fresh.sigma, es.sigma)
    assert fresh.generation == es.generation == 14


def test_converges_to_a_target_inside_the_bounds():
    target = np.array([0.3, -0.5, 0.7, 0.1])
    es = SelfAdaptiveES(
        4, ESConfig(population=40, parents=20), np.random.default_rng(0), -np.ones(4), np.ones(4)
    )
    first_best = None
    for _ in range(100):
        x = es.ask()
        dist = np.sqrt(((x - target) ** 2).sum(axis=1))
        first_best = dist.min() if first_best is None else first_best
        es.tell(-(dist**2))
    dist = np.sqrt(((es.ask()[:20] - target) ** 2).sum(axis=1))  # the parents
    assert dist[0] < 0.03, dist[0]
    assert dist.mean() < 0.05, dist.mean()
    assert first_best > 3 * dist[0]


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"population": 1}, "population"),
        ({"population": 10, "parents": 0}, "parents"),
        ({"population": 10, "parents": 10}, "parents"),
        ({"sigma_min": 0.0}, "sigma_min"),
        ({"sigma_min": -1.0}, "sigma_min"),
        ({"sigma_min": 0.5, "sigma_max": 0.4, "sigma_init": 0.45}, "sigma_max"),
        ({"sigma_init": 0.001}, "sigma_init"),
        ({"sigma_init": 2.0, "sigma_max": 1.0}, "sigma_init"),
        ({"init_low": 1.0, "init_high": 1.0}, "init_high"),
        ({"sigma_min": math.nan}, "sigma_min"),
        ({"bounds": "wrap"}, "bounds"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": math.inf}, "threshold"),
        ({"threshold": math.nan}, "threshold"),
        ({"recombination": "uniform"}, "recombination"),
    ],
)
def test_config_rejects_bad_values(kwargs, key):
    with pytest.raises(ConfigError, match=key) as err:
        ESConfig(**kwargs)
    assert err.value.key == key


def test_config_defaults_are_valid():
    cfg = ESConfig()
    assert (cfg.population, cfg.parents, cfg.sigma_min) == (100, 50, 0.01)
    assert ESConfig(population=2, parents=1).parents == 1


@pytest.mark.parametrize(
    ("lower", "upper", "message"),
    [
        ([0.0, 1.0], [1.0, 0.5], r"every lower bound must be below its upper bound; not so in columns \[1\]"),
        ([0.0, 0.0], [1.0, np.inf], r"upper must be finite numbers, got \[1.0, inf\]"),
        ([[0.0, 0.0]], [1.0, 1.0], r"lower has shape \(1, 2\); expected \(2,\), one bound per parameter"),
    ],
)
def test_bad_bounds_are_named(lower, upper, message):
    """A newcomer's swapped or infinite bounds failed inside numpy ('high - low < 0',
    'Range exceeds valid bounds')."""
    with pytest.raises(ValueError, match=message):
        SelfAdaptiveES(2, ESConfig(population=4, parents=2), np.random.default_rng(0), lower, upper)


def test_step_sizes_in_each_parameters_range():
    """sigma_scale = "range": sigma_init, sigma_min and sigma_max are fractions of each range, so a
    parameter spanning 0.002 and one spanning 50 each get steps of their size."""
    lower, upper = np.array([0.0, 0.0]), np.array([50.0, 0.002])
    cfg = ESConfig(population=20, parents=10, sigma_scale="range", sigma_init=0.3, sigma_min=0.005, sigma_max=0.5)
    es = SelfAdaptiveES(2, cfg, np.random.default_rng(0), lower, upper)
    np.testing.assert_allclose(es.sigma, np.broadcast_to([15.0, 0.0006], (20, 2)))
    rng = np.random.default_rng(1)
    for _ in range(30):
        es.tell(rng.normal(size=20))
        assert (es.sigma >= 0.005 * upper - 1e-15).all() and (es.sigma <= 0.5 * upper + 1e-15).all()
    assert (es.ask() >= lower).all() and (es.ask() <= upper).all()
    with pytest.raises(ConfigError, match="sigma_scale: 'range' measures step sizes in each parameter's range"):
        SelfAdaptiveES(2, cfg, np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"sigma_scale: choose absolute or range, got 'log'"):
        ESConfig(sigma_scale="log")
