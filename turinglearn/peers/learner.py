"""A peer as a learner of a run: :class:`PeerLearner`, one generation that is the whole inference.

A run of ``learner.kind = "npe"``, ``"npe-summary"`` or ``"abc-smc"`` goes through the same
driver, run directory and final evaluation as Turing Learning's: its one
:class:`~turinglearn.core.contracts.Generation` holds the posterior samples as the models
(metrics.csv: the posterior's median and quartiles per parameter), the estimate is the posterior
median (:attr:`PeerLearner.inferred`), the held-out test judges it as it judges any estimate, and
:meth:`PeerLearner.report` adds the posterior's central intervals to summary.json beside the
held-out test's intervals.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence

import numpy as np

from turinglearn.core.contracts import Generation, Hook
from turinglearn.core.learner import GenerationLoop
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError
from turinglearn.peers import KINDS
from turinglearn.peers.problem import PeerProblem, Posterior


def require_peers(kind: str) -> None:
    """A one-line ConfigError naming the extra when the module ``kind`` needs (or torch) is missing."""
    for module in (KINDS[kind], *(("torch",) if KINDS[kind] == "sbi" else ())):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"{kind!r} needs {module}: pip install 'turinglearn[peers]'", "learner.kind")


def minimum_simulations(kind: str) -> int:
    """The fewest simulated sets a peer runs with (its density estimator or its populations)."""
    if kind == "abc-smc":
        from turinglearn.peers.abc_smc import MIN_SIMULATIONS

        return MIN_SIMULATIONS
    from turinglearn.peers.npe import MIN_SIMULATIONS

    return MIN_SIMULATIONS


class PeerLearner(GenerationLoop):
    """One of the peers (:mod:`turinglearn.peers`) on a recorded system.

    system: a :class:`~turinglearn.systems.recorded.RecordedSystem` (a run with ``data``);
    kind: ``npe``, ``npe-summary`` or ``abc-smc``; budget: simulated trajectories it may spend
    (``stopping.max_simulations``' unit); seed: the run's root seed (the simulations draw from
    its ``simulation`` stream, the networks and pyABC from its ``models`` stream); level: the
    posterior intervals' central probability; summary: one's own statistics of simulated sets,
    ``summary(x[B, n, T, F]) -> [B, k]`` (``npe-summary``, ``abc-smc``; None: the cumulative
    histograms); population: ``abc-smc``'s particles a generation (0: a tenth of the simulations).

    Bad input is a ConfigError here, before anything runs: a missing extra, a system that is
    not a recording, a budget below the method's minimum.
    """

    generations = 1  # the whole inference is one step

    def __init__(
        self,
        system,
        kind: str,
        budget: int,
        seed: int = 0,
        level: float = 0.9,
        hooks: Sequence[Hook] = (),
        summary=None,
        population: int = 0,
    ):
        if kind not in KINDS:
            raise ConfigError(f"must be one of {', '.join(KINDS)}, got {kind!r}", "learner.kind")
        require_peers(kind)
        self.problem = PeerProblem.from_system(system, kind, summary)
        self.population = int(population)
        self.system, self.kind, self.budget, self.seed, self.level = system, kind, int(budget), seed, level
        self.simulations = self.problem.simulations(budget)
        least = minimum_simulations(kind)
        if self.simulations < least:
            cost = self.problem.cost
            raise ConfigError(
                f"{kind!r} needs at least {least} simulations of the recording's {len(self.problem.observed)} "
                f"individuals ({cost} trajectories each: {least * cost} trajectories); the budget of {budget} "
                f"pays for {self.simulations}",
                "stopping.max_simulations",
            )
        if self.population and self.population * 2 > self.simulations:
            raise ConfigError(
                f"{self.population} particles a generation need at least {2 * self.population} simulations (the "
                f"calibration sample and one generation); the budget pays for {self.simulations}",
                "learner.peer_population",
            )
        self.hooks = list(hooks)
        self.generation = 0
        self.posterior: Posterior | None = None
        self.discriminator = None
        self.evaluator = None  # set by the driver; the peers simulate on their own

    def _infer(self) -> Posterior:
        rng = stream(self.seed, "simulation", 0)
        method_seed = int(stream(self.seed, "models").integers(2**31))
        if self.kind == "abc-smc":
            from turinglearn.peers.abc_smc import run_abc_smc

            return run_abc_smc(self.problem, self.simulations, rng, method_seed, self.population or None)
        from turinglearn.peers.npe import run_npe

        return run_npe(self.problem, self.simulations, rng, method_seed, embedding=self.kind == "npe")

    def step(self) -> Generation:
        """Run the whole inference: a Generation whose models are the posterior samples [S, d]
        and whose model fitness is their score [S] (log density, or minus the ABC distance)."""
        t0 = time.perf_counter()
        self.posterior = self._infer()
        p = self.posterior
        return self._publish(
            Generation(
                self.generation, p.samples, p.score, np.zeros((0, 0)), np.zeros(0), time.perf_counter() - t0
            )
        )

    @property
    def inferred(self) -> np.ndarray | None:
        """The estimate: the posterior median [d] (None before the inference)."""
        return None if self.posterior is None else self.posterior.median()

    def report(self) -> dict:
        """summary.json's additions: ``posterior_interval`` (per parameter: lo, hi, width as a
        fraction of the range) and ``posterior`` (the method, the level, the budget and what was
        spent, samples drawn, method-specific facts)."""
        p, problem = self.posterior, self.problem
        if p is None:
            return {}
        return {
            "posterior_interval": p.intervals(problem.names, problem.lower, problem.upper, self.level),
            "posterior": {
                "method": p.method,
                "level": self.level,
                "estimate": "posterior median",
                "budget": self.budget,
                "simulations": p.simulations,
                "trajectories": p.trajectories,
                "trajectories_per_simulation": problem.cost,
                "observed_individuals": len(problem.observed),
                "samples": len(p.samples),
                **p.details,
            },
        }

    def state_dict(self) -> dict:
        return {
            "generation": self.generation,
            "posterior": None if self.posterior is None else self.posterior.state(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.generation = int(state["generation"])
        post = state.get("posterior")
        self.posterior = None if post is None else Posterior(**post)
