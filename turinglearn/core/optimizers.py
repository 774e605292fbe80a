"""Ask/tell optimisers with explicit state. Higher fitness is better.

:class:`SelfAdaptiveES` is the (mu + lambda) evolution strategy of the Turing Learning papers'
code (docs/design.md, "Case studies"), vectorised over the population. It is written in numpy
rather than on DEAP's operators: those draw from Python's global ``random`` and vary one
individual per Python call, which would break both explicit seeding and batching
(docs/design.md, "Randomness").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from turinglearn.errors import ConfigError, check_at_least

#: what becomes of a mutation that leaves the box (:attr:`ESConfig.bounds`)
BOUNDS = ("clip", "reflect")
#: how an offspring's values come from its parents (:attr:`ESConfig.recombination`)
RECOMBINATIONS = ("discrete", "intermediate", "global")
#: the units of the ES's step sizes (ESConfig.sigma_scale)
SIGMA_SCALES = ("absolute", "range")


def reflect(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mirror ``x`` into ``[lower, upper]`` at both bounds as often as needed: a step of any
    size lands inside, and a point inside stays where it is."""
    width = upper - lower
    t = np.mod(x - lower, 2 * width)
    return lower + np.where(t > width, 2 * width - t, t)


def kept(optimizer, models: np.ndarray | None = None) -> np.ndarray | None:
    """What ``optimizer``'s last ``tell`` kept as parents: its optional ``selected`` indices
    ([mu]; :class:`~turinglearn.core.contracts.Optimizer`), or with ``models`` [M, d] those rows
    ([mu, d]); None for an optimiser that does not name them."""
    selected = getattr(optimizer, "selected", None)  # optional: a user's optimiser need not name them
    return selected if selected is None or models is None else models[selected]


def favour_parents(fitness: np.ndarray, parents: int, threshold: float, generation: int) -> np.ndarray:
    """Threshold selection's ranking (:attr:`ESConfig.threshold`): ``fitness`` [P] with
    ``threshold`` added to rows ``[:parents]``, where a (mu + lambda) optimiser keeps last
    generation's parents; unchanged in generation 0 (no parents yet) or with no threshold."""
    if not threshold or not generation:
        return fitness
    return fitness + np.where(np.arange(len(fitness)) < parents, threshold, 0.0)


@dataclass(frozen=True)
class ESConfig:
    """Settings of :class:`SelfAdaptiveES`.

    population: individuals evaluated per generation (mu parents + lambda offspring);
    parents: mu, the best kept each generation; sigma_init: initial step size;
    sigma_min / sigma_max: bounds on step sizes (the papers' code: 0.01 and none; capping the
    models' steps at 1 stops oversized mutations from being free at the bounds:
    docs/design.md, "Step sizes");
    init_low / init_high: the uniform range of initial values where the family has no bounds;
    bounds: what becomes of a mutation that leaves the family's box: ``clip`` (the papers' code)
    puts it on the bound, ``reflect`` mirrors it back inside. Clipping is exact for a truth on a
    bound, but every stray step lands on the bound, so where the discriminators cannot tell a
    range of values apart, a share of the population piles up on its bound and drags the median
    there (docs/design.md, "Step sizes");
    threshold: threshold selection (Markon et al. 2001): when the best ``parents`` are chosen,
    last generation's parents rank with this much added to their fitness, so an offspring takes
    a parent's place only when it is fitter by more than the threshold. 0 (the papers): a
    parent and an offspring judged alike are equals, so where the fitness is noise (the
    discriminators cannot tell the models apart) half the population is replaced at random
    every generation and the population drifts; a threshold of a few standard errors of the
    fitness keeps the parents until the evidence says otherwise (docs/concepts.md, "Memory").
    In the fitness's own units: a fraction of judges fooled for Turing Learning, minus a distance
    for the metric baselines;
    recombination: how an offspring's values come from the parents: ``discrete`` (the papers'
    code) takes each value from one of two random parents, so the offspring spread as wide as
    the parents; ``intermediate`` takes the two parents' mean and ``global`` the mean of all
    ``parents`` (as in the (mu/mu_I + lambda) ES), before mutation; the step sizes are the two
    random parents' mean either way. Averaging keeps what the selected
    parents share and cancels what selection picked up by chance, so under a noisy fitness the
    population is held together around where selection points (genetic repair: Beyer 1995;
    under noise, Arnold & Beyer 2002) instead of spreading across every value the fitness
    cannot tell apart (docs/concepts.md, "Memory");
    sigma_scale: the units of ``sigma_init``, ``sigma_min`` and ``sigma_max``: ``absolute`` (the
    papers': the parameters' own units, which suit ranges of order 1) or ``range``, fractions
    of each parameter's range (upper - lower; needs bounds), so parameters in units far apart
    (a speed in cm/s beside a gain of 0-4) each get steps of their own size.
    """

    population: int = 100
    parents: int = 50
    sigma_init: float = 1.0
    sigma_min: float = 0.01
    sigma_max: float = math.inf
    init_low: float = -1.0
    init_high: float = 1.0
    bounds: str = "clip"
    threshold: float = 0.0
    recombination: str = "discrete"
    sigma_scale: str = "absolute"

    def __post_init__(self):
        check_at_least(self, population=2)
        if not 1 <= self.parents < self.population:
            raise ConfigError(
                f"must be between 1 and population - 1 = {self.population - 1}, got {self.parents} "
                "(change parents together with population)",
                "parents",
            )
        if not self.sigma_min > 0:
            raise ConfigError(f"must be positive, got {self.sigma_min}", "sigma_min")
        if not self.sigma_max >= self.sigma_min:
            raise ConfigError(
                f"must be at least sigma_min = {self.sigma_min}, got {self.sigma_max}", "sigma_max"
            )
        if not self.sigma_min <= self.sigma_init <= self.sigma_max:
            raise ConfigError(
                f"must lie in [sigma_min, sigma_max] = [{self.sigma_min}, {self.sigma_max}], got {self.sigma_init}",
                "sigma_init",
            )
        if not self.init_low < self.init_high:
            raise ConfigError(f"must be above init_low = {self.init_low}, got {self.init_high}", "init_high")
        if not 0 <= self.threshold < math.inf:
            raise ConfigError(f"must be a fitness margin >= 0, got {self.threshold}", "threshold")
        if self.bounds not in BOUNDS:
            raise ConfigError(f"choose {' or '.join(BOUNDS)}, got {self.bounds!r}", "bounds")
        if self.sigma_scale not in SIGMA_SCALES:
            raise ConfigError(f"choose {' or '.join(SIGMA_SCALES)}, got {self.sigma_scale!r}", "sigma_scale")
        if self.recombination not in RECOMBINATIONS:
            raise ConfigError(
                f"choose one of {', '.join(RECOMBINATIONS)}, got {self.recombination!r}", "recombination"
            )


def _bounds(lower, upper, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """An ES's bounds as float arrays [n] (None: unbounded on that side, the start drawn from
    ``init_low`` / ``init_high`` there), or a ValueError naming what is wrong (a shape, a bound
    not finite, lower not below upper) instead of numpy's 'high - low < 0'."""
    out = []
    for name, b in (("lower", lower), ("upper", upper)):
        if b is None:
            out.append(None)
            continue
        b = np.asarray(b, dtype=float)
        if b.shape not in ((), (n,)):
            raise ValueError(f"{name} has shape {b.shape}; expected ({n},), one bound per parameter, or a number")
        if not np.isfinite(b).all():
            raise ValueError(f"{name} must be finite numbers, got {b.tolist()}")
        out.append(np.broadcast_to(b, (n,)).copy() if b.shape else b)
    if out[0] is not None and out[1] is not None:
        bad = np.flatnonzero(np.broadcast_to(out[0] >= out[1], (n,)))
        if len(bad):
            raise ValueError(f"every lower bound must be below its upper bound; not so in columns {bad.tolist()}")
    return out[0], out[1]


class SelfAdaptiveES:
    """(mu + lambda) ES with self-adaptive step sizes, as in the Turing Learning papers' code.

    Each generation the whole population (parents included: fitness is relative to the current
    opponents, so parents are re-evaluated) is told its fitness; the best ``mu`` become parents
    (ties broken at random) and ``lambda`` offspring are bred, each from two distinct random
    parents: their values recombined as ``recombination`` says (discrete by default), their step
    sizes by intermediate recombination, then
    ``sigma' = sigma * exp(tau0 N(0,1) + tau N_i(0,1))`` clipped to ``[sigma_min, sigma_max]``
    and ``x' = x + sigma' N_i(0,1)`` clipped to the bounds, or mirrored into them (``bounds``)
    (Beyer & Schwefel 2002).

    x: [P, n] the population to evaluate; sigma: [P, n] its step sizes.
    """

    def __init__(
        self,
        n: int,
        config: ESConfig,
        rng: np.random.Generator,
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
    ):
        self.n, self.config, self.rng = n, config, rng
        self.lower, self.upper = _bounds(lower, upper, n)
        lo = self.lower if self.lower is not None else config.init_low
        hi = self.upper if self.upper is not None else config.init_high
        self.x = rng.uniform(lo, hi, size=(config.population, n))
        self.unit = np.ones(n)  # sigma's unit per parameter: 1, or its range (sigma_scale = "range")
        if config.sigma_scale == "range":
            if self.lower is None or self.upper is None:
                raise ConfigError(
                    "'range' measures step sizes in each parameter's range, and this optimiser was given no bounds "
                    "(lower and upper)",
                    "sigma_scale",
                )
            self.unit = np.broadcast_to(self.upper - self.lower, (n,)).astype(float)
        self.sigma = np.full((config.population, n), config.sigma_init) * self.unit
        self.fitness: np.ndarray | None = None  # [P] of the last evaluated population
        self.selected: np.ndarray | None = None  # [mu] rows of it kept as parents
        self.generation = 0

    def ask(self) -> np.ndarray:
        """The population to evaluate [population, n]: the parents and this generation's offspring."""
        return self.x

    def tell(self, fitness: np.ndarray) -> None:
        """Select by ``fitness`` [population] of :meth:`ask`'s rows (higher is better) and breed the next."""
        cfg, rng = self.config, self.rng
        fitness = np.asarray(fitness, dtype=float)
        if fitness.shape != (cfg.population,):
            raise ValueError(f"fitness must have shape ({cfg.population},), got {fitness.shape}")
        self.fitness = fitness
        ranked = favour_parents(fitness, cfg.parents, cfg.threshold, self.generation)
        order = np.lexsort((rng.random(cfg.population), -ranked))  # best first, random ties
        parents = self.selected = order[: cfg.parents]
        px, ps = self.x[parents], self.sigma[parents]  # [mu, n]

        lam, n = cfg.population - cfg.parents, self.n
        a = rng.integers(cfg.parents, size=lam)
        b = (a + rng.integers(1, cfg.parents, size=lam)) % cfg.parents if cfg.parents > 1 else a
        pick = rng.random((lam, n)) < 0.5
        if cfg.recombination == "discrete":  # the same draws either way: only the values differ
            x = np.where(pick, px[a], px[b])
        elif cfg.recombination == "intermediate":
            x = (px[a] + px[b]) / 2
        else:  # global: every offspring from the parents' centroid
            x = np.broadcast_to(px.mean(axis=0), (lam, n))
        s = (ps[a] + ps[b]) / 2  # intermediate recombination of step sizes
        tau0, tau = 1 / math.sqrt(2 * n), 1 / math.sqrt(2 * math.sqrt(n))
        s = s * np.exp(tau0 * rng.standard_normal((lam, 1)) + tau * rng.standard_normal((lam, n)))
        s = np.clip(s, cfg.sigma_min * self.unit, cfg.sigma_max * self.unit)
        x = x + s * rng.standard_normal((lam, n))
        if self.lower is not None:
            x = (
                reflect(x, self.lower, self.upper)
                if cfg.bounds == "reflect"
                else np.clip(x, self.lower, self.upper)
            )

        self.x = np.concatenate([px, x])
        self.sigma = np.concatenate([ps, s])
        self.generation += 1

    def emigrant(self) -> tuple[np.ndarray, np.ndarray]:
        """The best parent of the last :meth:`tell` and its step sizes ([n], [n]), for
        :class:`Islands`: after a tell the parents lead the population, best first."""
        return self.x[0].copy(), self.sigma[0].copy()

    def immigrate(self, x: np.ndarray, sigma: np.ndarray) -> None:
        """Put a migrant in the place of the worst parent (the offspring are bred already; the
        migrant is judged with the population next generation and kept only if it ranks among
        the parents then, with threshold selection's bonus as a parent). Needs two parents at
        least, or the best would be displaced."""
        if self.config.parents < 2:
            raise ValueError("a migrant takes the worst parent's place: islands need 2 parents each at least")
        self.x[self.config.parents - 1], self.sigma[self.config.parents - 1] = x, sigma

    def state_dict(self) -> dict:
        """Everything the next :meth:`ask` depends on: rows, step sizes, the generator's state."""
        return {
            "x": self.x.copy(),
            "sigma": self.sigma.copy(),
            "fitness": None if self.fitness is None else self.fitness.copy(),
            "generation": self.generation,
            "rng": self.rng.bit_generator.state,
            "config": asdict(self.config),
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict`'s ``state`` (of an optimiser of the same population and n)."""
        shape = np.shape(state["x"])
        if shape != (self.config.population, self.n):
            raise ValueError(
                f"this state holds a population of shape {shape}; this optimiser's is "
                f"({self.config.population}, {self.n}): build it with the population and parameters of the one that saved it"
            )
        self.x, self.sigma = np.array(state["x"], dtype=float), np.array(state["sigma"], dtype=float)
        self.fitness = None if state["fitness"] is None else np.array(state["fitness"], dtype=float)
        self.generation = int(state["generation"])
        self.rng.bit_generator.state = state["rng"]


@runtime_checkable
class Migrating(Protocol):
    """An optimiser that can live on an :class:`Islands` ring (:class:`SelfAdaptiveES`)."""

    def emigrant(self) -> tuple[np.ndarray, np.ndarray]:
        """Its best parent after the last ``tell`` (``selected[0]``) and that parent's step sizes:
        ([n], [n])."""
        ...

    def immigrate(self, x: np.ndarray, sigma: np.ndarray) -> None:
        """Take a migrant ([n], [n]) into the population it will ask for next, in the place of
        its worst parent (``selected[-1]``)."""
        ...


class Islands:
    """``K`` optimisers side by side as one (the island model; a coarse spatial coevolution,
    as in Lipizzaner's grid): ``ask`` stacks their populations, island ``k``'s rows
    ``[k P/K, (k+1) P/K)``, and ``tell`` hands each its part of the fitness. Every
    ``migrate_every`` generations each island's best parent replaces the worst parent of the
    next island on a ring. The learner judges island
    ``k``'s models by island ``k``'s discriminators only (``TuringLearner(islands=K)``), so the
    islands coevolve apart; the hope (not borne out on aggregation, docs/results.md,
    "Coevolution") is that a sweep of one island to a look-alike moves the pooled population's
    median by a quantile step rather than the whole way.

    parts: :class:`Migrating` optimisers (:class:`SelfAdaptiveES`), each over ``P / K``
    individuals.
    """

    def __init__(self, parts: list, migrate_every: int):
        if len(parts) < 2:
            raise ValueError(f"islands need at least 2 optimisers, got {len(parts)}")
        if migrate_every < 1:
            raise ValueError(f"migrate_every must be at least 1, got {migrate_every}")
        self.parts, self.migrate_every = list(parts), migrate_every
        self.selected: np.ndarray | None = None  # [K mu] rows of the pooled population kept as parents, migrants included
        self.generation = 0

    def ask(self) -> np.ndarray:
        return np.concatenate([p.ask() for p in self.parts])

    def tell(self, fitness: np.ndarray) -> None:
        fitness = np.asarray(fitness, dtype=float)
        sizes = [len(p.ask()) for p in self.parts]
        if fitness.shape != (sum(sizes),):
            raise ValueError(f"fitness must have shape ({sum(sizes)},), got {fitness.shape}")
        for part, f in zip(self.parts, np.split(fitness, np.cumsum(sizes)[:-1]), strict=True):
            part.tell(f)
        offsets = np.cumsum([0, *sizes[:-1]])
        rows = [kept(p) for p in self.parts]
        rows = None if any(r is None for r in rows) else [r + o for r, o in zip(rows, offsets, strict=True)]
        self.generation += 1
        if self.generation % self.migrate_every == 0:  # ring: island k -> k + 1, all at once
            migrants = [p.emigrant() for p in self.parts]
            for k, part in enumerate(self.parts):
                part.immigrate(*migrants[k - 1])
            if rows is not None:  # island k - 1's best parent in the place of island k's worst
                rows = [np.r_[r[:-1], rows[i - 1][0]] for i, r in enumerate(rows)]
        self.selected = None if rows is None else np.concatenate(rows)

    def state_dict(self) -> dict:
        return {"islands": [p.state_dict() for p in self.parts], "generation": self.generation}

    def load_state_dict(self, state: dict) -> None:
        if len(state["islands"]) != len(self.parts):
            raise ValueError(f"the state holds {len(state['islands'])} islands, this run {len(self.parts)}")
        for part, s in zip(self.parts, state["islands"], strict=True):
            part.load_state_dict(s)
        self.generation = int(state["generation"])
