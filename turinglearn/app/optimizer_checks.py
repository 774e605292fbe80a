"""The checker of an optimiser of one's own (:class:`turinglearn.core.contracts.Optimizer`):
its rows, its state, and whether it selects by fitness (:mod:`turinglearn.app.checks` holds the
other extension points' checkers)."""

from __future__ import annotations

import warnings

import numpy as np

from turinglearn.app.checks import CheckWarning, ContractError, _missing, _name
from turinglearn.app.probes import call as _call
from turinglearn.core.contracts import Optimizer
from turinglearn.core.learner_checks import asked_problems


def check_optimizer(opt, n: int, lower=None, upper=None, seed: int = 0) -> None:
    """Check an optimiser (:class:`turinglearn.core.contracts.Optimizer`) over rows of ``n``
    values as the learner uses it, one ``ask()`` and one ``tell`` a generation: ``ask() -> [P, n]``
    without NaN (inside ``[lower, upper]`` where given, arrays [n] or numbers: a model optimiser
    must keep its rows in the model family's bounds, which the simulator need not accept
    outside), ``tell(fitness [P])`` (higher is better) and a population of the same size next,
    and a ``state_dict`` taken after ``tell`` (where a run checkpoints) from which
    ``load_state_dict`` gives back the same next generations (``turinglearn resume`` relies on
    it); and, a warning otherwise, that told rows nearer a point are fitter it moves its population
    nearer (:func:`_selects`). The check advances the optimiser 23 generations: build a fresh one
    for the run."""
    problems = _missing(opt, Optimizer)
    if problems:
        raise ContractError(f"optimiser {_name(opt)}", problems)
    rng = np.random.default_rng(seed)
    bounds = None
    if lower is not None or upper is not None:
        bounds = tuple(
            np.broadcast_to(np.asarray(b if b is not None else fill, float), (n,)) for b, fill in ((lower, -np.inf), (upper, np.inf))
        )

    def asked(what: str, size: int | None = None) -> np.ndarray | None:
        rows = _call(problems, what, opt.ask)
        if rows is None:
            return None
        a = np.array(rows, dtype=float, copy=True) if np.asarray(rows).dtype.kind in "fiub" else None
        if a is None or a.ndim != 2 or a.shape[1] != n or len(a) == 0:
            problems.append(f"{what} returned shape {np.shape(rows)}; expected [P, {n}] (P rows of {n} values)")
            return None
        if size is not None and len(a) != size:
            problems.append(f"the population changed size from {size} to {len(a)} rows between generations")
            return None
        problems.extend(asked_problems(a, bounds, what))
        return a

    def told(what: str, rows: np.ndarray) -> np.ndarray:
        fitness = rng.random(len(rows))
        _call(problems, f"{what} (fitness [{len(rows)}])", opt.tell, fitness.copy())
        return fitness

    first = asked("ask()")
    if first is None or problems:
        raise ContractError(f"optimiser {_name(opt)}", problems)
    told("tell", first)
    state = _call(problems, "state_dict() after tell", opt.state_dict)
    second = asked("ask() after tell", len(first))
    if second is None or state is None or problems:
        raise ContractError(f"optimiser {_name(opt)}", problems)
    fitness = told("the next tell", second)
    third = asked("the next ask()", len(first))
    if third is not None and not problems:
        _call(problems, "load_state_dict(state)", opt.load_state_dict, state)
        again = asked("ask() after load_state_dict", len(first))
        if again is not None and not np.array_equal(again, second):
            problems.append(
                "after load_state_dict, ask() gave another population than it gave after the tell that state_dict "
                "followed: state_dict must hold the population, and a random generator's state if ask() draws it"
            )
        _call(problems, "tell (after load_state_dict)", opt.tell, fitness.copy())
        then = asked("ask() after load_state_dict and the same tell", len(first))
        if then is not None and not problems and not np.array_equal(then, third):
            problems.append(
                "after load_state_dict the same tell gave another population: state_dict must hold everything the "
                "next generation depends on, its random generator's state too (e.g. rng.bit_generator.state)"
            )
        if then is not None and not problems:
            _selects(opt, then, asked, bounds)  # the population the next tell is of
    if problems:
        raise ContractError(f"optimiser {_name(opt)}", problems)


def _selects(opt, first: np.ndarray, asked, bounds=None) -> None:
    """A warning where ``tell`` does not select by fitness, higher better: told for
    ``SELECTION_GENERATIONS`` generations that rows nearer a point (two spreads from the first
    population's median, kept a tenth of the box inside ``bounds``) are fitter, the population's
    median must come at least a quarter nearer it (an optimiser that kept the worst, or ignored
    the fitness, passed and learned wrong)."""
    spread = first.std(axis=0)
    spread = np.where(spread > 1e-9, spread, 1.0)  # a population that starts at one point: unit steps
    target = np.median(first, axis=0) + 2.0 * spread
    if bounds is not None:
        lo, hi = bounds
        width = np.where(np.isfinite(hi - lo), hi - lo, 0.0)
        target = np.clip(target, lo + 0.1 * width, hi - 0.1 * width)

    def distance(rows: np.ndarray) -> float:
        return float(np.linalg.norm((np.median(rows, axis=0) - target) / spread))

    rows, before = first, distance(first)
    for _ in range(SELECTION_GENERATIONS):
        _call([], "tell", opt.tell, -np.square((rows - target) / spread).sum(axis=1))
        got = asked("ask()", len(first))
        if got is None:
            return
        rows = got
    after = distance(rows)
    if after > 0.75 * before:
        warnings.warn(
            f"optimiser {_name(opt)}: told for {SELECTION_GENERATIONS} generations that rows nearer a point are fitter, "
            f"its population's median came no nearer it ({before:.2f} -> {after:.2f} spreads): tell(fitness) must "
            "keep and breed from the rows of higher fitness (higher is better)",
            CheckWarning,
            stacklevel=3,
        )


#: generations :func:`_selects` tells an optimiser that rows nearer a point are fitter
SELECTION_GENERATIONS = 20
