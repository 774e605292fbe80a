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

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol, runtime_checkable

import numpy as np

from turinglearn.core.records import Evaluation, Generation, SampleBatch


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

    n_params: Annotated[int, "the number d of parameters"]
    names: Annotated[tuple[str, ...], "a tuple of d parameter names"]
    lower: Annotated[np.ndarray, "lower bounds, an array [d]"]
    upper: Annotated[np.ndarray, "upper bounds, an array [d]"]


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

    reported: Annotated[ModelFamily, "the reactive controller family a run reports in"]
    n_states: Annotated[int, "the sensor states the policy reads"]

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

    n_weights: Annotated[int, "the number k of weights of one discriminator"]
    n_inputs: Annotated[int, "F, the features per step it reads"]

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, T, F] -> output [D, S] in [0, 1]; > 0.5 means 'genuine'."""
        ...


@runtime_checkable
class Interrogator(DiscriminatorFamily, Protocol):
    """A recurrent discriminator that acts while it watches, stepped together with the system.

    Output 0 is the judgement, after the last step; outputs ``1 .. n_outputs - 1`` are mapped
    into the simulator's stimulus space and applied at the next step. The context is reset
    (zeros) for every trial. Optional member: ``readout = "mean"`` judges by output 0's mean
    over the steps instead (:func:`readout`; the Elman network has it).
    """

    n_outputs: Annotated[int, "O = 1 + k: the judgement and one output per stimulus dimension"]
    n_hidden: Annotated[int, "H, the recurrent state size"]
    dtype: Annotated[str, "the precision of the batched pass, e.g. 'float32'"]

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
    """Ask/tell search over real vectors; higher fitness is better.

    An optimiser that selects parents may also set ``selected`` ([mu] ints) in ``tell``: the
    rows of the told population it kept (read through :func:`turinglearn.core.optimizers.kept`);
    metrics.csv then records their median (``NAME_parents``) beside the whole population's."""

    def ask(self) -> np.ndarray:
        """The population to evaluate: [P, n]."""
        ...

    def tell(self, fitness: np.ndarray) -> None:
        """Fitness [P] of the population last asked for (higher is better); advances one generation."""
        ...

    def state_dict(self) -> dict:
        """Everything the next generation depends on, the random generator's state included (checkpoints, resume)."""
        ...

    def load_state_dict(self, state: dict) -> None:
        """Back to exactly where ``state_dict`` was taken: the same ``ask()``, the same next generation."""
        ...


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
        metric baselines: (genuine [M, trials, n, T, F], counterfeit [M, trials, r, T, F]).

        A system driven by stimuli may also take an optional keyword ``schedule`` (what drives
        both sides in the held-out test; ``InteractiveSystem.trajectories``); callers pass it
        only to such systems."""
        ...


@runtime_checkable
class PassiveSystem(System, Protocol):
    """A system whose samples do not depend on who judges them (swarms, recordings, passive
    observation): one batch of samples per generation that every discriminator judges. An
    interactive system is one only while it is watched (``WatchedSystem``); interrogated, it is
    judged inside its loop. A system whose samples are not numpy arrays may also say how to join
    a generation's chunks of them: ``concatenate`` (like ``np.concatenate``; the torch backend's
    ``torch.cat``)."""

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        """The genuine samples and every model theta[M, d]'s counterfeit ones, labelled."""
        ...


@runtime_checkable
class InterrogatedSystem(System, Protocol):
    """A system that its discriminators act on while they watch (``InteractiveSystem``):
    its samples depend on who interrogates, so no batch serves every judge. It can still give
    a critic labelled samples to read: pairs of trials under the same interrogator. (A watched
    one is also a :class:`PassiveSystem`, whose samples the critic reads instead.)"""

    def interrogated_samples(
        self,
        theta: np.ndarray,
        discriminator: Interrogator,
        weights: np.ndarray,
        rng: np.random.Generator,
        trials: int | None = None,
    ) -> SampleBatch:
        """``trials`` trials of every model theta[M, d] (None: the system's number) and as many
        of the system, labelled; the genuine and the counterfeit trial of one index both under
        one of the interrogators weights[D, k]."""
        ...


# --- simulators: what a user writes for a system of their own ------------------------------------


class SwarmConfig(Protocol):
    """The settings a swarm simulator exposes as ``sim.config``."""

    n_agents: Annotated[int, "genuine agents per swarm (they run the truth)"]
    n_replicas: Annotated[int, "robots per swarm that run the model"]
    steps: Annotated[int, "T, control steps per trial"]


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

    model_family: Annotated[ModelFamily, "the models' parameters and bounds"]
    truth: Annotated[np.ndarray, "the system's parameters [d]"]
    feature_names: Annotated[Sequence[str], "a tuple of feature names, one per feature a discriminator sees"]
    config: Annotated[SwarmConfig, "settings: n_agents, n_replicas, steps"]

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """theta: [B, d] one model per swarm -> params [B, N, d], truth for agents, theta for replicas.

        The truth goes in rows ``0 .. n_agents - 1``, the model in the replicas' rows."""
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
    shape (``(D, S)``, interrogators by models, while learning; ``(n,)`` in the held-out tests
    and on a recording); ``step`` broadcasts params [..., d] and stimulus [..., k] against it,
    both read-only (they are the population's and the truth's). Every agent must use its own
    parameter row, its own stimulus and its own draws: no mean, normalisation or coupling over
    the batch (the checker steps agents with different rows and stimuli). stimulus_space: a bounded ``gymnasium.spaces.Box`` of shape (k,); feature_space (optional):
    a Box the features lie in.
    """

    model_family: Annotated[ModelFamily, "the models' parameters and bounds"]
    truth: Annotated[np.ndarray, "the system's parameters [d]"]
    feature_names: Annotated[Sequence[str], "a tuple of feature names, one per feature a discriminator sees"]
    stimulus_space: Annotated[Any, "a bounded gymnasium.spaces.Box of shape (k,)"]
    config: Annotated[Any, "settings, with config.steps: T, steps per trial"]

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


def frozen(a):
    """A read-only view of the numpy array ``a`` (another array type, a torch tensor, as it
    is): what an interactive simulator's ``step`` is given, so that a write into its arguments
    raises instead of changing the population or the truth (a swarm's ``rollout`` and
    ``swarm_params`` get fresh arrays of their own)."""
    if not isinstance(a, np.ndarray):
        return a
    view = a.view()
    view.flags.writeable = False
    return view


@runtime_checkable
class BehaviourMetrics(Protocol):
    """Optional for a simulator: task-level measures of a model's behaviour (e.g. how well it
    clusters objects), reported beside the parameter error."""

    def behaviour_metrics(self, theta: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
        """theta: [d] one model -> named measures of what it does."""
        ...


@runtime_checkable
class Renders(Protocol):
    """Optional for a model family whose genotypes read as something (GP programs): how a
    model is printed in the run's summary."""

    def render(self, theta: np.ndarray) -> str:
        """theta: [d] one genotype -> its readable form."""
        ...


def check_instance(sim) -> None:
    """A simulator is an object, not its class: ``TypeError`` naming the fix for a class given
    (its members would be unbound functions, and the first read of ``config`` fails)."""
    if isinstance(sim, type):
        raise TypeError(f"got the class {sim.__name__}, not a simulator: pass an instance, {sim.__name__}()")


def is_interactive(sim) -> bool:
    """Whether ``sim`` follows :class:`InteractiveSimulator` rather than :class:`SwarmSimulator`:
    an interactive simulator declares a stimulus space, a swarm ``None`` or nothing."""
    # the one probe that tells the two simulator contracts apart (a user's swarm need not
    # declare stimulus_space = None)
    return getattr(sim, "stimulus_space", None) is not None


def readout(discriminator) -> str:
    """How an interrogator's judgement reads output 0: ``"last"`` (after the last step) unless
    it declares ``readout`` (optional member of :class:`Interrogator`)."""
    return getattr(discriminator, "readout", "last")


def feature_space(sim):
    """The simulator's declared feature space, or None (it is optional); a space that is not a
    ``gymnasium.spaces.Box`` (bounds per feature) is a ConfigError naming the fix."""
    space = getattr(sim, "feature_space", None)  # optional member of both simulator contracts
    if space is None:
        return None
    import gymnasium as gym  # here, not at import: the contracts stay cheap to import

    if not isinstance(space, gym.spaces.Box):
        from turinglearn.errors import ConfigError

        raise ConfigError(
            f"the simulator's feature_space must be a gymnasium.spaces.Box (bounds per feature), got {space!r}: "
            "declare Box(low, high, shape=(F,)) of the features' bounds (counts or labels too), or leave it out"
        )
    return space


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


def judge_checked(discriminator: DiscriminatorFamily, weights: np.ndarray, x, samples: int) -> np.ndarray:
    """``discriminator.judge(weights [D, k], x)`` on ``samples`` samples, held to its contract's
    shape [D, S], and NaN only where a sample's features are not finite. A ValueError names the
    fault otherwise (a discriminator of one's own that returned [S, D], or NaN on finite
    features), instead of an IndexError deep in the fitness or a NaN blamed on the simulator;
    the learner holds every judge's outputs to [0, 1]
    (:func:`~turinglearn.core.learner_checks.check_outputs`), and
    :func:`turinglearn.check_discriminator` finds the same faults before a run."""
    out = discriminator.judge(weights, x)
    name, want = f"{type(discriminator).__name__}.judge", (len(weights), samples)
    if np.shape(out) != want:
        raise ValueError(
            f"{name} returned shape {np.shape(out)} for {want[0]} judges and {want[1]} samples; it must return "
            f"[D, S] = {want}, one output per judge and sample (check_discriminator names the fault)"
        )
    out = np.asarray(out)
    nan = np.isnan(out)
    if nan.any() and not nan.all() and isinstance(x, np.ndarray):  # all NaN: the learner names features or weights
        whole = nan.all(axis=1)  # judges NaN on everything: their weights (named by the learner)
        cols = nan[~whole].any(axis=0)  # [S] samples some working judge failed on
        if cols.any() and np.isfinite(x[cols].reshape(int(cols.sum()), -1)).all(axis=1).any():
            raise ValueError(
                f"{name} returned NaN on samples whose features are all finite: the discriminator's own fault "
                "(a division by zero, a log of 0 or an overflow in judge); check_discriminator reproduces it"
            )
    return out


def judge_samples(batch: SampleBatch, discriminator: DiscriminatorFamily, weights: np.ndarray) -> Evaluation:
    """Passive evaluation: every discriminator judges every sample of one shared batch."""
    return Evaluation(judge_checked(discriminator, weights, batch.x, len(batch.genuine)), batch.genuine, batch.owner)


def members(protocol: type) -> tuple[dict[str, str], dict[str, str]]:
    """What a contract asks for: (attributes: name -> what it is, methods: name -> its
    signature and what it does), read from the Protocol itself and the contracts it extends,
    so the checkers (:mod:`turinglearn.app.checks`) never drift from this page."""
    import inspect
    import typing

    attrs: dict[str, str] = {}
    methods: dict[str, str] = {}
    for cls in reversed(protocol.__mro__):
        if cls.__module__ != __name__:
            continue
        hints = typing.get_type_hints(cls, include_extras=True)
        for name in inspect.get_annotations(cls):
            hint = hints[name]
            attrs[name] = hint.__metadata__[0] if typing.get_origin(hint) is Annotated else str(hint)
        for name, fn in vars(cls).items():
            if inspect.isfunction(fn) and (not name.startswith("_") or name == "__call__"):
                params = [p for p in inspect.signature(fn).parameters if p != "self"]
                doc = (fn.__doc__ or "").strip().split("\n")[0]
                methods[name] = f"({', '.join(params)})" + (f": {doc}" if doc else "")
    return attrs, methods
