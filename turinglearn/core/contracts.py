"""The contracts of turinglearn: every extension point, on one screen.

Shapes: ``M`` models, ``D`` discriminators, ``S`` samples, ``T`` time steps, ``F`` features per
step, ``d`` model parameters, ``k`` discriminator weights (or stimulus dimensions, where said),
``B`` episodes in a batch, ``N`` robots in a swarm. Randomness: every stochastic call takes a
:class:`numpy.random.Generator`; a run derives all of them from one root seed
(:func:`turinglearn.core.random.stream`).

Who implements what:

=========================  ==============================================================
contract                   built in (and what a user writes)
=========================  ==============================================================
:class:`SwarmSimulator`    aggregation, object clustering (a swarm model of one's own)
:class:`InteractiveSim..`  stimulus response, sensor identification, gymnasium tasks
:class:`System`            :class:`~turinglearn.systems.swarm.SwarmSystem`,
                           :class:`~turinglearn.systems.interactive.InteractiveSystem`,
                           :class:`~turinglearn.systems.recorded.RecordedSystem`
:class:`ModelFamily`       parameter boxes, reactive controllers
:class:`PolicyFamily`      MLP and GRU policies, GP programs
:class:`Discriminator..`   Elman networks; GRU and DeepSets classifiers
:class:`Interrogator`      Elman networks with ``1 + k`` outputs
:class:`Optimizer`         self-adaptive ES, GP, the gradient trainer
:class:`SampleTrainer`     :class:`~turinglearn.families.neural.GradientTrainer`
:class:`Backend`           in-process, process pool, Dask
:class:`Hook`              progress bar, metrics file, checkpoints
=========================  ==============================================================

``turinglearn.app.checks`` tests a user's own simulator, model family or discriminator
against these contracts and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

# --- what flows through a generation ------------------------------------------------------------


@dataclass(frozen=True)
class SampleBatch:
    """Samples as a discriminator sees them, with labels kept beside them.

    x: [S, T, F] float, what discriminators see (never the labels);
    genuine: [S] bool, True for samples of the system;
    owner: [S] int, the model that produced each counterfeit sample (-1 for genuine ones).
    """

    x: np.ndarray
    genuine: np.ndarray
    owner: np.ndarray

    def __post_init__(self):
        s = self.x.shape[0]
        if self.x.ndim != 3 or self.genuine.shape != (s,) or self.owner.shape != (s,):
            raise ValueError(
                f"SampleBatch shapes disagree: x {self.x.shape} (want [S, T, F]), "
                f"genuine {self.genuine.shape}, owner {self.owner.shape} (want [S])"
            )


@dataclass(frozen=True)
class Evaluation:
    """One generation's judgements, with the labels of what was judged.

    outputs: [D, S] discriminator ``d``'s final output for sample (trial) ``s`` (> 0.5 means
    'genuine'); genuine: [S] bool; owner: [S] the model behind each counterfeit (-1 if genuine).
    For interrogators, row ``d`` judges the trials that ``d`` itself ran, laid out alike for all d.
    """

    outputs: np.ndarray
    genuine: np.ndarray
    owner: np.ndarray


class Generation:
    """One evaluated generation: what :meth:`step` returns and every :class:`Hook` receives, for
    evolved swarms, interrogated agents and gradient-trained GANs alike.

    generation: its index (0-based); models: [M, d] parameter rows (a GAN: the generator
    networks); model_fitness: [M]; discriminators: [D, k] weight rows (a GAN: the
    discriminator networks); discriminator_fitness: [D]; seconds: wall time of the step;
    losses: named per-pair losses (gradient learners; empty otherwise).

    The fitness arrays and losses may be *deferred*: ``read`` is called the first time one of
    them is used (a GAN's statistics live on the device, and reading them synchronises).
    """

    def __init__(
        self,
        generation: int,
        models: Any,
        model_fitness: np.ndarray | None = None,
        discriminators: Any = None,
        discriminator_fitness: np.ndarray | None = None,
        seconds: float = 0.0,
        losses: Mapping[str, np.ndarray] | None = None,
        *,
        read: Callable[[], Mapping[str, Any]] | None = None,
    ):
        self.generation, self.models, self.discriminators = generation, models, discriminators
        self.seconds = seconds
        self._values = (
            None
            if read is not None
            else {
                "model_fitness": np.asarray(model_fitness),
                "discriminator_fitness": np.asarray(discriminator_fitness),
                "losses": dict(losses or {}),
            }
        )
        self._read = read

    def _get(self, key: str):
        if self._values is None:
            self._values = dict(self._read())
        return self._values[key]

    @property
    def model_fitness(self) -> np.ndarray:
        return self._get("model_fitness")

    @property
    def discriminator_fitness(self) -> np.ndarray:
        return self._get("discriminator_fitness")

    @property
    def losses(self) -> dict[str, np.ndarray]:
        return self._get("losses")

    @property
    def median(self) -> np.ndarray:
        """Population median of every model parameter: [d]."""
        return np.median(self.models, axis=0)

    @property
    def best(self) -> np.ndarray:
        """The model with the highest fitness (first on ties): [d]."""
        return self.models[int(np.argmax(self.model_fitness))]

    def state(self) -> dict[str, Any]:
        """Plain arrays, as a checkpoint stores them; ``Generation(**state)`` rebuilds it."""
        return {
            "generation": self.generation,
            "models": self.models,
            "model_fitness": self.model_fitness,
            "discriminators": self.discriminators,
            "discriminator_fitness": self.discriminator_fitness,
            "seconds": self.seconds,
        }


@runtime_checkable
class Hook(Protocol):
    """Anything called with every :class:`Generation` (progress bars, metrics files,
    checkpoints). A hook that keeps state across a resume also offers ``state_dict()`` and
    ``load_state_dict(state)``."""

    def __call__(self, record: Generation) -> None: ...


# --- models ---------------------------------------------------------------------------------------


@runtime_checkable
class ModelFamily(Protocol):
    """Behaviour models as parameter rows ``theta[..., d]`` within box bounds: what the model
    optimiser searches. Ground truth, errors and plots are given in these ``names``."""

    n_params: int  # d
    names: tuple[str, ...]  # [d]
    lower: np.ndarray  # [d]
    upper: np.ndarray  # [d]


@runtime_checkable
class PolicyRun(Protocol):
    """A policy family's models running in ``B`` swarms at once (see :class:`PolicyFamily`)."""

    def act(self, sensor: np.ndarray) -> np.ndarray:
        """sensor: [B, R] ints in [0, n_states) -> wheel speeds [B, R, 2] in [-1, 1]."""
        ...


@runtime_checkable
class PolicyFamily(ModelFamily, Protocol):
    """Models that run in the place of a swarm's reactive controller (neural policies, evolved
    programs): a genotype row ``theta[d]`` is not itself in the space where the truth is known.

    reported: the reactive controller family in whose ``names`` a run reports; n_states: the
    sensor states the policy reads.
    """

    reported: ModelFamily
    n_states: int

    def start(self, theta: np.ndarray) -> PolicyRun:
        """theta: [B, d] -> the policies of ``B`` swarms, ready to :meth:`PolicyRun.act`."""
        ...

    def report(self, theta: np.ndarray) -> np.ndarray:
        """theta: [M, d] -> [M, q], each policy's effective reactive controller (``reported``)."""
        ...


# --- discriminators -----------------------------------------------------------------------------


@runtime_checkable
class DiscriminatorFamily(Protocol):
    """Classifiers as weight rows ``w[D, k]``, judging whole sample batches in one pass."""

    n_weights: int  # k
    n_inputs: int  # F, features per step

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, T, F] -> output [D, S] in [0, 1]; > 0.5 means 'genuine'."""
        ...


@runtime_checkable
class Interrogator(DiscriminatorFamily, Protocol):
    """A recurrent discriminator that acts while it watches, stepped together with the system.

    Output 0 is the judgement (after the last step); outputs ``1 .. n_outputs - 1`` are mapped
    into the simulator's stimulus space and applied at the next step. The context is reset
    (zeros) for every trial.
    """

    n_outputs: int  # O = 1 + k stimulus dimensions
    n_hidden: int  # H
    dtype: str  # the precision of the batched pass, e.g. "float32"

    def unpack(self, w: np.ndarray) -> Any:
        """w: [D, k] -> the networks in whatever form ``hidden_step`` and ``output`` take."""
        ...

    def hidden_step(self, net: Any, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """x: [D, S, F] this step's features, h: [D, S, H] the context -> the new context [D, S, H]."""
        ...

    def output(self, net: Any, h: np.ndarray) -> np.ndarray:
        """h: [D, S, H] -> outputs [D, S, O] in (0, 1)."""
        ...


# --- optimisers ---------------------------------------------------------------------------------


@runtime_checkable
class Optimizer(Protocol):
    """Ask/tell search over real vectors; higher fitness is better."""

    def ask(self) -> np.ndarray:
        """The population to evaluate: [P, n]."""
        ...

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness [P] of the population last asked for; advances one generation."""
        ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


@runtime_checkable
class SampleTrainer(Optimizer, Protocol):
    """A discriminator that learns from the samples themselves (by gradients) instead of being
    selected: one classifier, ``ask() -> [1, k]``.

    Each generation it judges the samples first (a model's fitness is then the mean probability
    of 'genuine' it gives the model's samples, out of sample), then :meth:`train` is called on
    them. Needs a :class:`PassiveSystem` (the samples must not depend on the discriminator).
    """

    def train(self, x: np.ndarray, genuine: np.ndarray) -> float:
        """Some gradient steps on samples x [S, T, F] labelled genuine [S]; returns the last loss."""
        ...


# --- systems: where genuine and counterfeit samples come from ------------------------------------


@runtime_checkable
class System(Protocol):
    """The system under study plus the means to run models in its place; what the learner runs.

    model_family: the models' family; truth: [d] the ground truth when known (simulated
    systems), else None.
    """

    model_family: ModelFamily
    truth: np.ndarray | None

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator: DiscriminatorFamily,
        weights: np.ndarray,
        rng: np.random.Generator,
        part: int = 0,
        parts: int = 1,
    ) -> Evaluation:
        """Run the system and every model theta[M, d]; every discriminator weights[D, k] judges.

        part / parts: this call is chunk ``part`` of ``parts`` of one generation (see
        :mod:`turinglearn.core.evaluator`); a system whose genuine trials are shared among the
        chunks runs its share of them, the others ignore it.
        """
        ...

    def trajectories(
        self, theta: np.ndarray, rng: np.random.Generator, trials: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run every model ``trials`` times beside the system, for the held-out test and the
        metric baselines: (genuine [M, trials, n, T, F], counterfeit [M, trials, r, T, F])."""
        ...


@runtime_checkable
class PassiveSystem(System, Protocol):
    """A system whose samples do not depend on who judges them (swarms, recordings, passive
    observation): one batch of samples per generation that every discriminator judges."""

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        """The genuine samples and every model theta[M, d]'s counterfeit ones, labelled."""
        ...


# --- simulators: what a user writes for a system of their own ------------------------------------


class SwarmConfig(Protocol):
    """The settings a swarm simulator exposes as ``sim.config``."""

    n_agents: int  # genuine agents per swarm (they run the truth)
    n_replicas: int  # robots per swarm that run the model
    steps: int  # T, control steps per trial


@runtime_checkable
class Rollout(Protocol):
    """What a swarm simulator's rollout returns: features [B, N, T, F] (normalised as the
    discriminators see them); with ``record=True`` also pos [B, T + 1, N, 2] and heading
    [B, T + 1, N]."""

    features: np.ndarray


@runtime_checkable
class SwarmSimulator(Protocol):
    """A batched swarm: ``B`` independent swarms of ``N = n_agents + n_replicas`` robots, each
    robot with its own parameter row, so genuine agents and replicas run in one batch, one
    physics and one observation pipeline (only the labels, kept outside, differ).

    feature_names: [F] what each robot's trajectory records per step; stimulus_space: ``None``
    (nothing acts on a swarm); feature_space (optional): a ``gymnasium.spaces.Box`` the features
    lie in, which recordings are checked against.
    """

    model_family: ModelFamily
    truth: np.ndarray  # [d]
    feature_names: Sequence[str]
    config: SwarmConfig

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """theta: [B, d] one model per swarm -> params [B, N, d]: the truth in rows
        ``0 .. n_agents - 1``, the model in the replicas' rows."""
        ...

    def rollout(self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False) -> Rollout:
        """Simulate params [B, N, d] (every robot its own row) for ``config.steps`` steps.

        Each swarm ``b`` must use its own rows ``params[b]``: ``turinglearn.app.checks`` runs
        swarms with different rows and checks that each one's behaviour follows its own."""
        ...


@runtime_checkable
class InteractiveSimulator(Protocol):
    """An agent (or a batch of agents) that responds to a stimulus an interrogator sets.

    Batched over any leading shape ``(...)``: ``reset(rng, shape)`` makes states for that
    shape; ``step`` broadcasts params [..., d] and stimulus [..., k] against it. Every agent
    must use its own parameter row (the checker steps agents with different rows).
    stimulus_space: a bounded ``gymnasium.spaces.Box`` of shape (k,); feature_space (optional):
    a Box the features lie in.
    """

    model_family: ModelFamily
    truth: np.ndarray  # [d]
    feature_names: Sequence[str]
    stimulus_space: Any  # gymnasium.spaces.Box, shape (k,)
    config: Any  # with ``steps``: T, steps per trial

    def reset(self, rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
        """The start states of agents of batch shape ``shape``."""
        ...

    def step(
        self, state: Any, params: np.ndarray, stimulus: np.ndarray, rng: np.random.Generator
    ) -> tuple[Any, np.ndarray]:
        """One step under params [..., d] and stimulus [..., k] -> (state, features [..., F])."""
        ...

    def passive_schedule(self) -> np.ndarray:
        """The stimuli [T, k] a passive observer applies (inside ``stimulus_space``)."""
        ...


def is_interactive(sim) -> bool:
    """Whether ``sim`` follows :class:`InteractiveSimulator` rather than :class:`SwarmSimulator`:
    an interactive simulator declares a stimulus space, a swarm ``None`` or nothing."""
    # the one probe that tells the two simulator contracts apart (a user's swarm need not
    # declare stimulus_space = None)
    return getattr(sim, "stimulus_space", None) is not None


def feature_space(sim):
    """The simulator's declared feature space, or None (it is optional)."""
    return getattr(sim, "feature_space", None)  # optional member of both simulator contracts


# --- where work runs ------------------------------------------------------------------------------


@runtime_checkable
class Backend(Protocol):
    """Where the chunks of a generation run (:mod:`turinglearn.execution.backends`).

    local: True when chunks run in this process (live objects may be passed); workers: how
    many chunks run at once. ``map`` returns results in task order; a backend is a context
    manager that ``close``\\ s on exit.
    """

    name: str
    local: bool
    workers: int

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list: ...

    def close(self) -> None: ...


def judge_samples(batch: SampleBatch, discriminator: DiscriminatorFamily, weights: np.ndarray) -> Evaluation:
    """Passive evaluation: every discriminator judges every sample of one shared batch."""
    return Evaluation(discriminator.judge(weights, batch.x), batch.genuine, batch.owner)
