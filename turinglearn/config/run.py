"""How a run is measured (``[evaluation]``: the estimate, the held-out test and its trust
report) and where it runs (``[execution]``: backends, chunks, checkpoints, arrays, kernels)."""

from __future__ import annotations

from dataclasses import dataclass

from turinglearn.errors import ConfigError, check_at_least, one_of

AVERAGES = ("median", "mean")  # statistics over the window; numpy function names (app.results.estimate)
TRACKS = ("median", "best")  # which model of each generation the window follows (metrics.csv's NAME_<track>)
ESTIMATES = ("window", "panel")  # how the inferred model is chosen (docs/concepts.md, "Estimates")


@dataclass(frozen=True)
class EvaluationConfig:
    """What the run reports as its estimate, and how the held-out test judges it.

    c2st_trials: fresh trials of the inferred model for the two-sample test (0 skips it);
    c2st_folds: cross-validation folds; c2st_noise: standard deviation of the tracking noise
    added to every observed feature of both classes before the classifier sees them. The
    simulations are deterministic given the sensor readings, so without noise any parameter
    difference, however small, is perfectly separable; with it, C2ST measures whether the
    behaviours differ at that tracking precision.

    average_last: the window estimate (the inferred model unless ``estimate = "panel"``; the
    convergence rule reads it) is the population median averaged over the last this many
    generations (at most the second half of the run, so a shortened run does not average in its
    first, random generations); 1, the default, takes the final generation's median. A
    coevolving population does not settle: its median wanders around the truth from generation
    to generation, and averaging the iterates (Polyak-Ruppert) damps that wander.
    average: how the window is averaged, per parameter: ``median`` (the default; a sweep of the
    population that lasts fewer than half the window, as when the discriminators briefly lose
    the trail, does not move it) or ``mean``.
    track: which model of each generation the window follows: ``median`` (the default; the
    population median, per parameter) or ``best`` (the generation's fittest model, the one that
    fooled the most judges). metrics.csv records both (``NAME_median``, ``NAME_best``), so a
    finished run can be re-estimated either way (:func:`turinglearn.app.results.estimate`).
    estimate: ``window`` (the default): the tracked model averaged over the window, as above;
    ``panel``: the estimate judged by every era's discriminators (:mod:`turinglearn.core.panel`):
    the run keeps a candidate (the tracked model) and a judge (the fittest discriminator) every
    ``panel_every`` generations; after the run every kept judge judges fresh trials of every
    candidate and of the system, and the estimate is the per-parameter median of the
    ``panel_top`` candidates whose trials the judges take for genuine most nearly as often as
    the system's. Where there are no discriminators (the metric baselines; a peer reports its
    posterior median) or the models are policy networks or programs (no median of parameters),
    the estimate is the window's; summary.json's ``estimate`` says which.
    panel_every: generations between two candidates (and judges) the panel keeps (from
    generation 0; the last generation is always a candidate).
    panel_trials: fresh trials of each candidate the panel judges (``panel_trials`` models,
    each run ``learner.trials_per_model`` times).
    panel_top: how many of the best-scored candidates the panel's estimate is the median of.

    The held-out test's trust report (:mod:`turinglearn.core.trust`; docs/design.md, "The
    held-out test"): c2st_schedule: what drives both sides of an interactive system in the
    test: ``passive`` (the passive schedule), ``random`` (uniform stimuli every step),
    ``interrogators`` (the final interrogators, population plus hall of fame, closed loop),
    a path to a ``.npy`` file of shape [T, k] or [n, T, k] (a schedule of one's own), or
    ``auto`` (the default: every schedule that applies is run and the headline C2ST is the
    one under which the model is told apart best; power and intervals use the schedule with the
    most power, or, in a passive study, the passive schedule it watched). Systems without
    stimuli have one test.
    intervals: ``fast`` (the default), ``thorough`` (twice the trials, finer search, more
    permutations) or ``off``: an interval for every parameter by inverting the fast test, and
    its power against moved parameters.
    level: the fast test's level (0.9): a model is rejected when its accuracy exceeds this
    quantile of the null distribution, so the intervals are ``level`` intervals.
    power_moves: the moves of each parameter, as fractions of its range, whose power is
    reported; the largest decides whether the test vouches for the parameter.
    pair: two parameter names: also map the test over a grid of that pair (pair_map.png).
    statistics: what the fast test (its verdict, power and intervals) reads of each trial:
    ``"module:function"``, ``function(x[S, T, F]) -> [S, K]`` (S trajectories of T steps and F
    features, finite numbers out), statistics of one's own that tell the system apart where the
    built-in ones are weak (the largest count before a colony commits) and that the critic, which
    reads the built-in ones, is not fitted towards; "" (the default): the built-in statistics
    (per feature mean, spread, quantiles, autocorrelation, change, time beyond +-0.5)."""

    c2st_trials: int = 200
    c2st_folds: int = 5
    c2st_noise: float = 0.05
    average_last: int = 1
    average: str = "median"
    track: str = "median"
    estimate: str = "window"
    panel_every: int = 10
    panel_trials: int = 10
    panel_top: int = 5
    c2st_schedule: str = "auto"
    intervals: str = "fast"
    level: float = 0.9
    power_moves: tuple[float, ...] = (0.05, 0.2)
    pair: tuple[str, ...] = ()
    statistics: str = ""

    def __post_init__(self):
        one_of(self.average, AVERAGES, "average")
        one_of(self.track, TRACKS, "track")
        one_of(self.estimate, ESTIMATES, "estimate")
        check_at_least(self, panel_every=1, panel_trials=2, panel_top=1)
        if not self.c2st_noise >= 0:
            raise ConfigError(f"must be 0 or more, got {self.c2st_noise}", "c2st_noise")
        if self.c2st_trials < 0:
            raise ConfigError(f"must be 0 (skip) or more, got {self.c2st_trials}", "c2st_trials")
        check_at_least(self, c2st_folds=2, average_last=1)
        from turinglearn.core.trust import INTERVALS, SCHEDULES

        if self.c2st_schedule not in SCHEDULES and not self.c2st_schedule.endswith(".npy"):
            raise ConfigError(
                f"must be one of {', '.join(SCHEDULES)} or a .npy file, got {self.c2st_schedule!r}",
                "c2st_schedule",
            )
        one_of(self.intervals, INTERVALS, "intervals")
        if not 0 < self.level < 1:
            raise ConfigError(f"must lie strictly between 0 and 1, got {self.level}", "level")
        if not self.power_moves or not all(0 < m <= 1 for m in self.power_moves):
            raise ConfigError(f"must be fractions of the range in (0, 1], got {self.power_moves}", "power_moves")
        if self.statistics and (self.statistics.count(":") != 1 or not all(self.statistics.split(":"))):
            raise ConfigError(f"must be 'module:function' (e.g. 'mystats:statistics'), got {self.statistics!r}", "statistics")
        if len(self.pair) not in (0, 2) or len(set(self.pair)) != len(self.pair):
            raise ConfigError(f"must name two different parameters (or none), got {list(self.pair)}", "pair")
        if 0 < self.c2st_trials < self.c2st_folds:  # each fold needs a sample of each class
            raise ConfigError(
                f"must be 0 (skip) or at least c2st_folds = {self.c2st_folds} (every fold of the two-sample "
                f"test needs a sample of each class), got {self.c2st_trials}",
                "c2st_trials",
            )


BACKENDS = ("inprocess", "processes", "dask")


@dataclass(frozen=True)
class ExecutionConfig:
    """Where a run's work is done, and how it is kept safe.

    backend: ``inprocess`` (default), ``processes`` (a local process pool) or ``dask`` (a
    ``dask.distributed`` cluster);
    workers: processes or Dask workers to start (0: one per CPU core);
    scheduler: the address of a running Dask scheduler (``tcp://HOST:8786``); empty to start a
    LocalCluster;
    chunk_size: models per unit of work. The batch is cut into chunks of this many models and
    each chunk draws from its own random stream, so the chunks, not the workers, fix the
    numbers: a run gives bit-identical results on every backend and worker count. Changing
    ``chunk_size`` changes the random numbers (not the algorithm);
    retries: times a chunk whose worker died, hung or failed is run again before the run stops;
    timeout: seconds after which a chunk is presumed hung (0: wait for ever);
    checkpoint_every: generations between checkpoints of a run directory (0: none);
    keep_checkpoints: how many of the newest checkpoints are kept;
    array: ``numpy`` (default) or ``torch``: simulate and judge with torch tensors (see
    :mod:`turinglearn.execution.torch_swarm`);
    device: where the torch tensors live: ``cpu``, ``cuda`` or ``cuda:N`` (anything but ``cpu``
    needs ``array = "torch"``);
    precision: ``float32`` or ``float64`` for the torch tensors; empty: float32 on CUDA,
    float64 on the CPU.
    """

    backend: str = "inprocess"
    workers: int = 0
    scheduler: str = ""
    chunk_size: int = 50
    retries: int = 2
    timeout: float = 0.0
    checkpoint_every: int = 50
    keep_checkpoints: int = 3
    array: str = "numpy"
    device: str = "cpu"
    precision: str = ""

    def __post_init__(self):
        if self.array not in ("numpy", "torch"):
            raise ConfigError(f"must be numpy or torch, got {self.array!r}", "array")
        if self.precision not in ("", "float32", "float64"):
            raise ConfigError(
                f"must be float32, float64 or empty (automatic), got {self.precision!r}", "precision"
            )
        if self.device != "cpu" and self.array != "torch":
            raise ConfigError(
                f"device {self.device!r} needs array = 'torch' (numpy runs on the CPU)", "device"
            )
        one_of(self.backend, BACKENDS, "backend")
        if self.scheduler and self.backend != "dask":
            raise ConfigError(
                f"a scheduler address needs backend = 'dask', got backend = {self.backend!r}", "scheduler"
            )
        check_at_least(self, workers=0, chunk_size=1, retries=0, checkpoint_every=0, keep_checkpoints=1)
        if not self.timeout >= 0:
            raise ConfigError(f"must be 0 (no limit) or more seconds, got {self.timeout}", "timeout")
