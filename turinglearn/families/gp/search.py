"""Searching programs: DEAP's tree operators as an ask/tell optimiser over encoded rows (see
:mod:`turinglearn.families.gp`)."""

from __future__ import annotations

import math
import random

import numpy as np

from turinglearn.core.optimizers import favour_parents
from turinglearn.families.gp.programs import GPFamily, _deap_random, _is_constant

# --- the optimiser -----------------------------------------------------------------------------


class GPOptimizer:
    """(mu + lambda) genetic programming with DEAP's tree operators, as an ask/tell optimiser.

    Every generation the whole population is told its fitness (parents are re-evaluated, as in
    :class:`~turinglearn.core.optimizers.SelfAdaptiveES`); the best ``parents`` survive (ties go to
    the smaller program, against bloat, then at random) and ``population - parents`` offspring are bred, each from two distinct random
    parents: each wheel's tree is taken from either parent (discrete recombination), then with
    probability ``crossover`` one tree gets one-point crossover (``gp.cxOnePoint``) with the
    other parent's, then one mutation of one tree: a new random subtree (``gp.mutUniform``),
    a primitive or terminal swapped for another of the same arity (``gp.mutNodeReplacement``),
    or a Gaussian nudge of one constant with a log-uniform scale in [0.001, 0.3] (constants need
    fine tuning that redrawing them cannot give). A tree grown past ``max_nodes`` nodes or
    depth ``max_depth`` is replaced by its parent's.

    rng: the run's stream; it seeds this optimiser's own ``random.Random``.
    """

    def __init__(
        self,
        family: GPFamily,
        population: int,
        parents: int,
        rng: np.random.Generator,
        crossover: float = 0.3,
        init_depth: tuple[int, int] = (1, 3),
        max_depth: int = 6,
        threshold: float = 0.0,
    ):
        if not 1 <= parents < population:
            raise ValueError(f"parents must be in [1, population), got {parents} of {population}")
        self.family, self.population, self.parents = family, population, parents
        self.crossover, self.init_depth, self.max_depth = crossover, init_depth, max_depth
        self.threshold = threshold
        self.random = random.Random(int(rng.integers(2**63)))
        with _deap_random(self.random):
            self.programs = [
                [self._new_tree(*init_depth), self._new_tree(*init_depth)] for _ in range(population)
            ]
        self.fitness: np.ndarray | None = None
        self.selected: np.ndarray | None = None  # [mu] rows of the last told population kept as parents
        self.generation = 0

    def _new_tree(self, low: int, high: int):
        from deap import gp

        while True:
            tree = _plain(gp.PrimitiveTree(gp.genHalfAndHalf(self.family.pset, low, high)))
            if len(tree) <= self.family.max_nodes:
                return tree

    def ask(self) -> np.ndarray:
        return self.family.encode(self.programs)

    def tell(self, fitness: np.ndarray) -> None:
        fitness = np.asarray(fitness, dtype=float)
        if fitness.shape != (self.population,):
            raise ValueError(f"fitness must have shape ({self.population},), got {fitness.shape}")
        self.fitness = fitness
        rnd = self.random
        fitness = favour_parents(fitness, self.parents, self.threshold, self.generation)
        size = [len(a) + len(b) for a, b in self.programs]
        # best first; among equally fit programs the smaller one (lexicographic parsimony), then at random
        order = sorted(range(self.population), key=lambda i: (-fitness[i], size[i], rnd.random()))
        self.selected = np.array(order[: self.parents])
        parents = [self.programs[i] for i in order[: self.parents]]
        with _deap_random(rnd):
            children = [self._child(parents) for _ in range(self.population - self.parents)]
        self.programs = parents + children
        self.generation += 1

    def _child(self, parents: list) -> list:
        from deap import gp

        rnd = self.random
        a = rnd.randrange(len(parents))
        b = (a + rnd.randrange(1, len(parents))) % len(parents) if len(parents) > 1 else a
        pa, pb = parents[a], parents[b]
        child = [gp.PrimitiveTree(list(pa[j] if rnd.random() < 0.5 else pb[j])) for j in range(2)]
        origin = [gp.PrimitiveTree(list(t)) for t in child]
        if rnd.random() < self.crossover:
            j = rnd.randrange(2)
            child[j], _ = gp.cxOnePoint(
                child[j], gp.PrimitiveTree(list(pb[j] if rnd.random() < 0.5 else pa[j]))
            )
        j = rnd.randrange(2)
        constants = [i for i, node in enumerate(child[j]) if _is_constant(node)]
        op = rnd.random()
        if op < 0.5 and constants:
            i = rnd.choice(constants)
            scale = 10 ** rnd.uniform(-3.0, math.log10(0.3))
            child[j][i] = gp.Terminal(float(child[j][i].value) + rnd.gauss(0.0, scale), False, object)
        elif op < 0.8:
            expr = lambda pset, type_: gp.genGrow(pset, 0, 2, type_)  # noqa: E731
            child[j] = gp.mutUniform(child[j], expr, self.family.pset)[0]
        else:
            child[j] = gp.mutNodeReplacement(child[j], self.family.pset)[0]
        for k in range(2):
            child[k] = _plain(child[k])
            if len(child[k]) > self.family.max_nodes or child[k].height > self.max_depth:
                child[k] = origin[k]
        return child

    def state_dict(self) -> dict:
        version, internal, gauss = self.random.getstate()
        return {
            "programs": self.ask(),
            "fitness": None if self.fitness is None else self.fitness.copy(),
            "generation": self.generation,
            "random": {"version": version, "internal": np.array(internal, dtype=np.uint64), "gauss": gauss},
        }

    def load_state_dict(self, state: dict) -> None:
        self.programs = [self.family.decode(row) for row in np.asarray(state["programs"])]
        self.fitness = None if state["fitness"] is None else np.array(state["fitness"], dtype=float)
        self.generation = int(state["generation"])
        r = state["random"]
        self.random.setstate((int(r["version"]), tuple(int(v) for v in r["internal"]), r["gauss"]))


def _plain(tree):
    """The tree with DEAP's ephemeral constants replaced by plain constant terminals (no
    run-time classes left in it)."""
    from deap import gp

    for i, node in enumerate(tree):
        if isinstance(node, gp.Terminal) and type(node) is not gp.Terminal:
            tree[i] = gp.Terminal(float(node.value), False, object)
    return tree
