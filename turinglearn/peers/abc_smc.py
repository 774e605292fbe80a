"""ABC-SMC (pyABC) on a :class:`~turinglearn.peers.problem.PeerProblem`.

Particles are parameter rows; a particle's simulated set is summarised as the metric baseline
summarises trajectories, per-step speed histograms, taken as cumulative distributions
(:func:`turinglearn.peers.problem.cumulative_summary`), and its distance to the observations is
the L1 distance between them (per feature, the Wasserstein-1 distance of the speed
distributions divided by the bin width). pyABC's defaults otherwise (median epsilon schedule,
multivariate normal transitions), with ``population`` particles per generation.

The budget is kept exactly: before each generation the remaining simulations bound what it may
spend (a generation that cannot fill its population within them ends the run, its simulations
counted), so the count never passes ``simulations``. The posterior is the last complete
population, with its importance weights.

pyABC draws from numpy's global generator; it is seeded here and restored afterwards, and it
runs on one core (``SingleCoreSampler``) so that a seed gives one result.
"""

from __future__ import annotations

import contextlib
import logging
import time

import numpy as np

from turinglearn.peers.problem import PeerProblem, Posterior

#: the fewest simulated sets ABC-SMC is run with: the calibration sample and two generations
#: of the smallest population
MIN_SIMULATIONS = 100
SMALLEST_POPULATION = 20


def population_size(simulations: int) -> int:
    """Particles per generation for a budget of ``simulations`` simulated sets: a tenth of the
    budget, between 20 and 500 (pyABC's default is 100)."""
    return int(np.clip(simulations // 10, SMALLEST_POPULATION, 500))


@contextlib.contextmanager
def _global_numpy_seed(seed: int):
    """numpy's global generator seeded with ``seed`` inside, restored afterwards."""
    state = np.random.get_state()  # noqa: NPY002 (pyABC draws from the global generator)
    np.random.seed(seed % 2**32)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@contextlib.contextmanager
def _quiet_pyabc():
    """pyABC logs every generation at INFO; warnings and errors only, inside."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_abc_smc(
    problem: PeerProblem, simulations: int, rng: np.random.Generator, seed: int, population: int | None = None
) -> Posterior:
    """Run ABC-SMC with at most ``simulations`` simulated sets.

    rng: runs the simulator; seed: pyABC's draws (prior, transitions). Returns
    :class:`Posterior` with the last population's particles [P, d], their importance weights,
    and minus their distance as the score.
    """
    import pyabc

    d = problem.n_params
    keys = [f"p{j}" for j in range(d)]  # pyABC's parameter names (the family's may not be identifiers)
    pop = population or population_size(simulations)
    observed = {"s": problem.observed_summary()}
    calls = [0]

    # pyABC works in the unit box: its weights (prior / transition densities) underflow where a
    # parameter's range is tiny (SI units: a radius in [5e-7, 6e-6] m), and its transitions are
    # affine-equivariant, so the search is the same in any units
    lower, width = np.asarray(problem.lower, float), np.asarray(problem.upper, float) - np.asarray(problem.lower, float)

    def model(parameter):
        calls[0] += 1
        theta = lower + width * np.array([[parameter[k] for k in keys]])  # [1, d]
        return {"s": problem.summaries(theta, rng)[0]}  # [F * bins]

    def distance(a, b) -> float:
        return float(np.abs(a["s"] - b["s"]).sum())

    if problem.summary is not None:  # one's own statistics, on scales of their own: each weighed by its spread
        distance = pyabc.AdaptivePNormDistance(p=1, scale_function=pyabc.distance.mad)
    prior = pyabc.Distribution(**{k: pyabc.RV("uniform", 0.0, 1.0) for k in keys})
    t0 = time.perf_counter()
    generations, stopped = 0, "budget"
    with _global_numpy_seed(seed), _quiet_pyabc():
        sampler = pyabc.sampler.SingleCoreSampler(check_max_eval=True)
        abc = pyabc.ABCSMC(model, prior, distance, population_size=pop, sampler=sampler)
        history = abc.new("sqlite://", observed)
        # pyABC's run loop, with the remaining budget as each generation's cap: the calibration
        # sample (pop simulations from the prior) comes first, inside the initialisation
        t = abc.initialize_components_before_run(
            minimum_epsilon=0.0, max_nr_populations=10**6, min_acceptance_rate=0.0,
            max_total_nr_simulations=simulations, max_walltime=None, min_eps_diff=0.0,
        )  # fmt: skip
        while True:
            remaining = simulations - calls[0]
            if remaining < pop:
                break
            # max_eval of the generation = remaining: pyABC takes ceil(pop / rate), and pop / (pop / remaining)
            # can exceed remaining by a rounding (40 / (40 / 360) = 360.00000000000006: one set over the budget)
            abc.min_acceptance_rate = float(np.nextafter(pop / remaining, 1.0))
            if not abc.run_generation(t=t)["successful"]:
                stopped = "budget"  # the generation could not fill its population in the rest
                break
            generations += 1
            if abc.eps(t) <= 0:
                stopped = "epsilon"
                break
            t += 1
        history.done()
        if generations == 0:
            # MIN_SIMULATIONS guards against it
            raise RuntimeError("ABC-SMC finished no generation within its budget")
        last = history.get_population(t=history.max_t)
        epsilon = float(history.get_all_populations()["epsilon"].iloc[-1])
    particles = last.particles
    samples = lower + width * np.array([[p.parameter[k] for k in keys] for p in particles], dtype=float)  # [P, d]
    weights = np.array([p.weight for p in particles], dtype=float)
    dist = np.array([p.distance for p in particles], dtype=float)
    return Posterior(
        samples=samples,
        score=-dist,
        simulations=calls[0],
        trajectories=calls[0] * problem.cost,
        method="abc-smc",
        weights=weights / weights.sum(),
        details={
            "population": pop,
            "generations": generations,
            "epsilon": epsilon,
            "ended_by": stopped,
            "distance": "L1 between cumulative per-step histograms of each feature" if problem.summary is None
            else f"L1 between the statistics of {problem.summary_name}, each scaled by its median absolute "
            "deviation over the generation's particles (pyABC's AdaptivePNormDistance)",
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )
