"""The ``[learner]`` section: which learner, how samples are made each generation, and the
coevolution's memory (hall of fame, model memory, counterfeits, historical averaging, guards)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from turinglearn.core.fitness import JUDGE_FITNESS, MODEL_FITNESS, MODEL_JUDGES, SHARED_JUDGE_FITNESS
from turinglearn.core.memory import GUARD_AGAINST, GUARD_VOTES, KEEPS
from turinglearn.errors import ConfigError, check_at_least, check_none_or_more, one_of
from turinglearn.systems.recorded import RECORDED_SAMPLES


@dataclass(frozen=True)
class LearnerConfig:
    """Which learner, and how samples are made each generation.

    A setting of a feature that is off (``guard_step`` with ``guards = 0``, ``critic_window``
    with ``critic = 0``; ``DEPENDENTS`` lists them) is refused by :func:`~turinglearn.config.load_config`
    unless it is left at its default: it would change nothing (:func:`check_settings_in_use`).

    kind: ``turing`` (models against discriminators), or a metric-based baseline with the
    same models, optimiser and simulations, for swarms (an interactive system is refused):
    ``metric-sse`` (sum of squared errors between a replica's and the genuine agents' time
    series, every feature, every step) or ``metric-histogram`` (L1 distance between per-step
    histograms of each feature on [-1.2, 1.2]; on aggregation a robot's linear and angular speed); or a
    peer of simulation-based inference on a recording (``data``; ``pip install
    'turinglearn[peers]'``, docs/swarms.md): ``npe`` (sbi's neural posterior estimation with a
    learned embedding of the trajectories), ``npe-summary`` (NPE on the speed histograms, or
    ``peer_summary``) or ``abc-smc`` (pyABC on them), each with a budget of
    ``stopping.max_simulations`` simulated trajectories (one simulation of the recording costs
    as many as it has individuals);

    trials_per_model: trials of each model (per interrogator, when interrogating);
    genuine_per_trial: swarms: genuine agents per trial shown to the discriminators;
    recorded_samples: swarms from a recording (``data``), which robots of each simulated swarm
    of the model are its counterfeit samples: ``replicas`` (the ``n_replicas`` a live swarm
    gives it) or ``all`` (every robot: all run the model and all are charged to the budget);
    genuine_trials: interactive systems: trials of the system each interrogator runs (watched
    passively, the fresh trials of the system a generation: a simulated system gives new ones
    every generation, however few individuals a study of it would record);
    passive: interactive systems: apply the environment's fixed stimulus schedule instead of
    letting the discriminators interrogate (a watched system can also be judged by a trained
    classifier, ``discriminators.kind = "gru"``);
    hall_of_fame: the size of the hall of fame, an archive of past generations' best
    discriminators that judge the models beside the current ones (0: none, the papers'
    algorithm; see :class:`~turinglearn.core.learner.TuringLearner`);
    hall_of_fame_every: generations between two additions to the hall of fame (each the
    generation's best discriminator);
    hall_of_fame_weight: the hall of fame's share of a model's fitness, in [0, 1] (-1: as many
    votes as it has judges, the current population's 100 against its 20);
    hall_of_fame_keep: which archived discriminators stay: ``recent`` (the last
    ``hall_of_fame``) or ``history`` (a uniform sample of every one archived in the run);
    model_memory: archive up to this many models that the judges rejected (each generation's
    least fit model, when its fitness is below ``model_memory_below``), which the
    discriminators must keep rejecting (0: none; docs/concepts.md, "Memory");
    model_memory_judged: archived models run and judged beside the population each generation
    (counterfeits in the discriminators' fitness; they cost this many more simulated models);
    model_memory_keep: which archived models stay: ``history`` (a uniform sample of every one
    archived) or ``recent``;
    model_memory_below: a generation's least fit model is archived only when its fitness (the
    share of its judges that took it for genuine; with a critic, mixed with its P(genuine)) is
    below this, in (0, 1];
    model_memory_share: the recalled models' share of the evolved discriminators' specificity,
    in (0, 1) (-1: their samples count like the population's, a few among many; not with
    ``counterfeits``, which take half);
    counterfeits: hard counterfeits judged each generation: the remembered estimate with one
    parameter moved a step; the discriminators' specificity weighs them as much as the
    population (0: none; parameter families only; see
    :class:`~turinglearn.core.memory.NearCounterfeits`);
    counterfeit_step: the step, a fraction of the parameter's range, in (0, 1];
    counterfeit_window: the remembered estimate is the median of the population medians of
    this many last generations;
    historical_averaging: historical averaging's weight (Salimans et al., 2016): subtracted from
    each model's fitness times its squared distance, in units of each parameter's range, from
    the running average of the population's past medians, so that jumping away from where the
    population has been costs fitness (0: off; parameter and policy families; see
    :class:`~turinglearn.core.memory.HistoricalAverage`);
    historical_horizon: generations the running average spans (it moves 1 / horizon of the way
    to each generation's median);
    historical_settle: the penalty starts once the population median has stayed within this
    fraction of each parameter's range of the running average for ``historical_horizon``
    generations in a row (0: from the first generation);
    model_fitness: what a model's fitness counts of its evolved judges: ``votes`` (the papers:
    the fraction of judges whose output, thresholded at 0.5, said genuine) or ``outputs``
    (their mean output, the probability of genuine each gives: when every judge rejects every
    model, votes are all 0 and selection is blind, outputs still rank the models) or
    ``matching`` (feature matching, Salimans et al. 2016: each verdict of genuine counts for as
    much as its judge calls the system genuine more often than the population, so a model gains
    from the judges that can still tell the population from the system and loses from those
    that take the population for genuine more often than the system itself; see
    :func:`~turinglearn.core.fitness.matching_fitness`; its fitness is near 0 once the
    population is judged like the system, so ``model_memory_below`` and ``models.threshold``,
    given in fractions of judges fooled, mean less with it) or ``gap`` (minus the mean over
    judges of the squared gap between how often a judge calls the model genuine and how often
    it calls the system genuine, so that a model no longer gains by being taken for genuine more
    often than the system itself; needs two samples of each model a generation, trials or a
    swarm's replicas (unbiased with independent trials: replicas in one swarm are correlated);
    near 0 at best like ``matching``;
    see :func:`~turinglearn.core.fitness.gap_fitness`). With a trained classifier as the
    judge (``discriminators.kind = "gru"`` or ``"swarm"``) its outputs take the votes' place
    (weighted the same way under matching); the GAN's population mode counts votes.
    islands: split both populations into this many islands that coevolve apart, each island's
    models judged by its own discriminators (and the hall of fame), the best model and the
    best discriminator of each moving to the next island on a ring every ``migrate_every``
    generations (1 island: one population, the papers; a coarse spatial coevolution,
    docs/concepts.md, "Memory", which lists what islands need). The hall of fame keeps one
    vote a judge, so it weighs ``islands`` times more in a model's fitness.
    migrate_every: generations between two migrations of the islands' best.
    judge_fitness: what an evolved discriminator's fitness counts: ``accuracy`` (the papers:
    (sensitivity + specificity) / 2) or ``shared`` (competitive fitness sharing, Rosin & Belew
    1997: each sample's unit of credit is shared among the judges that judged it right, so a
    counterfeit that most judges take for genuine pays the few that reject it most;
    docs/concepts.md, "Memory") or ``shared-geometric`` (the same, the credits on genuine and
    counterfeit samples combined by their geometric mean, so a judge earns only by being right
    in both classes); not with ``model_memory_share``, islands or a trained classifier as the
    judge (whose loss is its own: ``accuracy`` only); hard counterfeits are
    counterfeit samples like the population's under it, each with its unit of credit.
    judge_steps: generations the evolved discriminators take on each generation's samples for
    the models' one (1: the papers; ``k > 1``: after the models are selected, the judges are
    selected and bred ``k - 1`` more times on the same samples, so they follow the models on
    a faster timescale, as the two time-scale rule has GAN discriminators do; only new judges
    are run again). Passive systems only (swarms, recordings, ``passive``: a watched system's
    judges then see as many of its trials as of the models', not ``genuine_trials``), one
    island; with a process pool or Dask the samples come back and are judged in the main
    process; docs/concepts.md, "Memory".
    model_judges: whose verdicts give the models their fitness: ``all`` (the papers: every
    current discriminator, and the hall of fame) or ``parents`` (the discriminators kept by the
    last selection, and the hall of fame: the offspring, fresh mutations no selection has
    tested, judge close to chance and their verdicts are noise in the models' fitness; once the
    judges' optimiser has selected, from a run's or a restart's second generation; evolved
    discriminators, one island; docs/concepts.md, "Memory").
    guards: trials of each neighbour of the estimate run for the guards, a Pareto archive of
    judges that guard the estimate on every side (0: none; 2 or more: every ``guard_every``
    generations each neighbour, the remembered estimate with one parameter moved
    ``guard_step`` of its range up or down, is run that many times beside the population; for
    each neighbour, the judges most accurate at telling it from the system on half the trials
    and of the system's samples, checked on the other half against the neighbour's guard, make
    the best its guard if its accuracy there is at least 0.6; ``2 d`` times this many simulated
    models every ``guard_every`` generations (``(2 d + 1) t`` against the estimate; on an
    interrogated system each interrogator runs them too), whose own samples enter no fitness; see
    :class:`~turinglearn.core.memory.Guards`). Parameter families (a range to step in),
    evolved discriminators, one island; docs/concepts.md, "Memory".
    guard_step: how far each neighbour lies from the estimate, a fraction of the parameter's
    range, in (0, 1];
    guard_every: generations between elections of the guards;
    guard_window: the remembered estimate is the median of the population medians of this
    many last generations (a long memory: a drift of the population does not carry the
    neighbours with it at once);
    guard_weight: the guards' share of a model's fitness, in (0, 1]: their verdicts make this
    much of it however few they are, the other judges the rest.
    guard_against: what a guard must take for genuine besides rejecting its side: ``system``
    (the system's samples) or ``estimate`` (those and the estimate's own, run ``guards`` more
    times each election: a judge that rejects the estimate as a whole then guards no side).
    guard_vote: how the guards' verdicts combine: ``each`` (every guard one vote, so a model a
    step off on one side loses one guard's vote) or ``all`` (a sample fools the guards only if
    it fools every one of them, or with ``model_fitness = "outputs"`` counts the least P(genuine)
    they give it: a model off on any guarded side loses their whole share).
    critic: the share of a model's fitness given by the critic, a logistic classifier on a
    trial's summary statistics (those of the held-out test) fitted each generation to the
    genuine and the population's samples of the last ``critic_window`` generations (0: none;
    in (0, 1]: its mean P(genuine) on the model's samples, judged before it learns them, makes
    this much of the fitness, the judges the rest; not with ``model_fitness`` ``matching`` or
    ``gap``, on another scale). On a passive system (swarms, recordings, ``passive``) it reads
    the generation's samples; on an interrogated one, ``trials_per_model`` trials of each model
    and as many of the system that it runs under the generation's interrogators (those that
    vote on the models), each genuine and counterfeit pair under the same one. Discriminators that judge trajectories (not whole
    swarms); see :class:`~turinglearn.core.critic.FeatureCritic` and docs/concepts.md, "Memory".
    critic_window: generations of samples the critic is fitted on.
    critic_sets: the critic judges each model's samples of a generation as one set (the mean and
    the spread of their statistics across the set), against sets of as many of the system's, so a
    model whose every sample is typical of the system no longer beats one whose samples vary as
    the system's do (a spread between individuals learned as none; an autoregressive coefficient
    pulled low). Needs at least 2 samples of each model a generation (``trials_per_model`` x the
    swarm's replicas, or ``critic_trials`` on an interrogated system).
    critic_trials: on an interrogated system, the trials of each model (and as many of the
    system) the critic runs a generation (0: ``trials_per_model``). Its verdict on a model is
    the mean over them, so more trials steady it where one trial tells a model little; they
    cost ``2 x models x critic_trials`` trials beside the judges' ``discriminators x (models x
    trials_per_model + genuine_trials)``.
    peer_summary: the statistics ``npe-summary`` and ``abc-smc`` compare a simulated set with the
    recording by: ``"module:function"``, ``function(x[B, n, T, F]) -> [B, k]`` (B sets of the
    recording's n individuals, T steps, F features; float32 in, finite numbers out); "": each
    feature's per-step histogram on [-1.2, 1.2], as cumulative distributions.
    peer_population: ``abc-smc``'s particles a generation (0: a tenth of its simulations, 20 to
    500; at least 10, and at most half its simulations).
    """

    kind: str = "turing"
    trials_per_model: int = 1
    genuine_per_trial: int = 1
    recorded_samples: str = "replicas"
    genuine_trials: int = 100
    passive: bool = False
    hall_of_fame: int = 20
    hall_of_fame_every: int = 10
    hall_of_fame_keep: str = "recent"
    model_memory: int = 0
    model_memory_judged: int = 10
    model_memory_keep: str = "history"
    model_memory_below: float = 0.5
    model_memory_share: float = -1.0
    counterfeits: int = 0
    counterfeit_step: float = 0.1
    counterfeit_window: int = 20
    hall_of_fame_weight: float = -1.0
    historical_averaging: float = 0.0
    historical_horizon: int = 30
    historical_settle: float = 0.02
    model_fitness: str = "votes"
    islands: int = 1
    migrate_every: int = 10
    judge_fitness: str = "accuracy"
    judge_steps: int = 1
    model_judges: str = "all"
    guards: int = 0
    guard_step: float = 0.05
    guard_every: int = 10
    guard_window: int = 200
    guard_weight: float = 0.5
    guard_against: str = "system"
    guard_vote: str = "each"
    critic: float = 0.0
    critic_window: int = 20
    critic_trials: int = 0
    critic_sets: bool = False
    peer_summary: str = ""
    peer_population: int = 0

    def __post_init__(self):
        check_none_or_more(
            self, "hall_of_fame", "model_memory", "counterfeits", "historical_averaging", "historical_settle", "guards"
        )
        one_of(self.hall_of_fame_keep, KEEPS, "hall_of_fame_keep")
        one_of(self.model_memory_keep, KEEPS, "model_memory_keep")
        one_of(self.recorded_samples, RECORDED_SAMPLES, "recorded_samples")
        one_of(self.model_fitness, MODEL_FITNESS, "model_fitness")
        one_of(self.judge_fitness, JUDGE_FITNESS, "judge_fitness")
        one_of(self.model_judges, MODEL_JUDGES, "model_judges")
        one_of(self.guard_against, GUARD_AGAINST, "guard_against")
        one_of(self.guard_vote, GUARD_VOTES, "guard_vote")
        if self.model_judges == "parents" and self.islands > 1:
            raise ConfigError(
                "takes the judges kept by one population's selection; islands keep theirs apart: set "
                "model_judges = 'all' or islands = 1",
                "model_judges",
            )
        if self.judge_fitness in SHARED_JUDGE_FITNESS and (self.model_memory_share != -1 or self.islands > 1):
            raise ConfigError(
                "shares each sample's credit among the judges right on it, every sample alike: not with "
                "model_memory_share or islands",
                "judge_fitness",
            )
        check_at_least(self, hall_of_fame_every=1, model_memory_judged=1, counterfeit_window=1)
        check_at_least(self, historical_horizon=1, islands=1, migrate_every=1, judge_steps=1)
        if self.judge_steps > 1 and self.islands > 1:
            raise ConfigError(
                "would migrate the islands' judges judge_steps times as often as their models: set "
                "judge_steps = 1 or islands = 1",
                "judge_steps",
            )
        if self.islands > 1 and (self.model_memory or self.counterfeits or self.model_fitness in ("matching", "gap")):
            raise ConfigError(
                "islands judge each island's models by its own judges; model memory, counterfeits and "
                "matching or gap model fitness are defined over one population: set islands = 1 or turn them off",
                "islands",
            )
        if not 0 < self.model_memory_below <= 1:
            raise ConfigError(f"{self.model_memory_below} is not a fitness in (0, 1]", "model_memory_below")
        if self.model_memory_share != -1 and not 0 < self.model_memory_share < 1:
            raise ConfigError(
                f"{self.model_memory_share} is neither -1 nor a share in (0, 1)", "model_memory_share"
            )
        if self.model_memory_share != -1 and not self.model_memory:
            raise ConfigError("weighs the model memory, which is off: set model_memory > 0 too", "model_memory_share")
        if self.model_memory_share != -1 and self.counterfeits:
            raise ConfigError(
                "and hard counterfeits (counterfeits > 0) would both claim a fixed share of the judges' "
                "specificity: use one of them",
                "model_memory_share",
            )
        if self.hall_of_fame_weight != -1 and not 0 <= self.hall_of_fame_weight <= 1:
            raise ConfigError(
                f"{self.hall_of_fame_weight} is neither -1 nor a share in [0, 1]", "hall_of_fame_weight"
            )
        if not 0 < self.counterfeit_step <= 1:
            raise ConfigError(
                f"{self.counterfeit_step} is not a fraction of each parameter's range in (0, 1]",
                "counterfeit_step",
            )
        check_at_least(self, genuine_trials=1, trials_per_model=1, genuine_per_trial=1)
        check_at_least(self, guard_every=1, guard_window=1, critic_window=1)
        if not 0 <= self.critic <= 1:
            raise ConfigError(f"{self.critic} is not a share of a model's fitness in [0, 1] (0: no critic)", "critic")
        check_at_least(self, critic_trials=0)
        if self.critic and self.model_fitness in ("matching", "gap"):
            raise ConfigError(
                f"mixes a P(genuine) in [0, 1] into the models' fitness; model_fitness = {self.model_fitness!r} "
                "is on another scale (near 0 at best). Use model_fitness = 'votes' or 'outputs', or critic = 0",
                "critic",
            )
        if self.guards == 1:
            raise ConfigError("is 1 trial per probe; half the trials elect a guard and half check it: use 2 or more", "guards")
        if not 0 < self.guard_step <= 1:
            raise ConfigError(f"{self.guard_step} is not a fraction of each parameter's range in (0, 1]", "guard_step")
        if not 0 < self.guard_weight <= 1:
            raise ConfigError(f"{self.guard_weight} is not a share of a model's fitness in (0, 1]", "guard_weight")
        if self.guards and self.islands > 1:
            raise ConfigError(
                "guards judge every model alike; islands keep their judges apart: set guards = 0 or islands = 1",
                "guards",
            )
        if self.peer_summary and self.kind not in ("npe-summary", "abc-smc"):
            raise ConfigError(
                f"the statistics of npe-summary and abc-smc; learner.kind = {self.kind!r} does not read it", "peer_summary"
            )
        if self.peer_summary and (self.peer_summary.count(":") != 1 or not all(self.peer_summary.split(":"))):
            raise ConfigError(f"must be 'module:function' (e.g. 'mystats:summaries'), got {self.peer_summary!r}", "peer_summary")
        if self.peer_population and self.kind != "abc-smc":
            raise ConfigError(f"abc-smc's particles; learner.kind = {self.kind!r} has none", "peer_population")
        if self.peer_population and self.peer_population < 10:
            raise ConfigError(f"must be 0 (a tenth of the simulations) or at least 10, got {self.peer_population}", "peer_population")


#: overrides that take a preset's coevolution memory off (shared judge fitness, judges selected
#: several times a generation, models judged by the judges' parents, the critic), back to the
#: papers' judge fitness; the hall of fame and the replicas stay (docs/concepts.md, "Memory")
WITHOUT_MEMORY = {
    "learner.judge_fitness": "accuracy",
    "learner.judge_steps": 1,
    "learner.model_judges": "all",
    "learner.critic": 0.0,
}

#: the presets' memory, which WITHOUT_MEMORY takes off: each setting's values in the presets
#: (judge_steps 1 on an interrogated system)
PRESET_MEMORY = {"judge_fitness": ("shared-geometric",), "judge_steps": (1, 3), "model_judges": ("parents",), "critic": (0.5,)}


def memory_hint(error: ConfigError, learner: Mapping[str, Any]) -> ConfigError:
    """``error`` itself, or, when it blames one of the memory's settings and ``learner`` (the
    ``[learner]`` table or its dataclass's fields) carries the presets' memory as they do, the
    same error ending with the overrides that take the whole memory off: a preset combined with a
    setting its memory refuses (islands, a trained judge, ``model_fitness = "gap"``) is then fixed
    in one step, not one key at a time. A value of the memory's own that is out of range or
    mistyped gets no hint (it is no longer the presets' memory)."""
    if error.key not in WITHOUT_MEMORY:
        return error
    defaults = {f.name: f.default for f in fields(LearnerConfig)}  # a key the table leaves out
    if any(learner.get(key, defaults[key]) not in values for key, values in PRESET_MEMORY.items()):
        return error
    message = str(error).removeprefix(f"{error.key}: ")
    off = " ".join(f"--set {k}={v if isinstance(v, str) else f'{v:g}'}" for k, v in WITHOUT_MEMORY.items())
    return ConfigError(
        f"{message}; this config carries the presets' coevolution memory, and {off} (in Python, "
        'overrides=turinglearn.WITHOUT_MEMORY) takes all of it off: docs/concepts.md, "Memory"',
        error.key,
    )


#: the settings that mean something only with a feature on: feature -> (what turns it on, its settings)
DEPENDENTS = {
    "hall_of_fame": ("e.g. 20", ("hall_of_fame_every", "hall_of_fame_keep", "hall_of_fame_weight")),
    "model_memory": ("e.g. 20", ("model_memory_judged", "model_memory_keep", "model_memory_below", "model_memory_share")),
    "counterfeits": ("e.g. 8", ("counterfeit_step", "counterfeit_window")),
    "historical_averaging": ("e.g. 0.5", ("historical_horizon", "historical_settle")),
    "islands": ("e.g. 4", ("migrate_every",)),
    "guards": ("e.g. 16", ("guard_step", "guard_every", "guard_window", "guard_weight", "guard_against", "guard_vote")),
    "critic": ("its share, e.g. 0.5", ("critic_window", "critic_trials", "critic_sets")),
}


def check_settings_in_use(config: LearnerConfig) -> None:
    """A setting of a feature that is off (``guard_step`` with ``guards = 0``) changes nothing;
    given other than its default it is a mistake (a typo in the feature's own value, or a
    feature forgotten), so it is named rather than ignored. :func:`~turinglearn.config.load_config`
    asks this of every config it reads except a run's own ``config.toml`` read back to resume
    it, which an older version may have written."""
    default, given = {f.name: f.default for f in fields(config)}, vars(config)
    for feature, (example, keys) in DEPENDENTS.items():
        off = 1 if feature == "islands" else 0
        if given[feature] != off:
            continue
        for key in keys:
            value = given[key]
            if value != default[key]:
                raise ConfigError(
                    f"{value!r} changes nothing while {feature} = {off}; set {feature} ({example}) or "
                    f"{key} back to its default {default[key]!r}",
                    f"learner.{key}",
                )


def check_kind_settings(lc: LearnerConfig, interactive: bool, recorded: bool, where: str) -> None:
    """Refuse a ``[learner]`` setting of the other kind of system, changed from its default: it
    would change nothing (an auditor's ``--passive`` on a swarm, ``genuine_trials`` on a swarm,
    ``genuine_per_trial`` on an interactive system each ran, and gave the plain run). A
    recording (``recorded``) of an interactive system reads ``genuine_per_trial`` (the recorded
    individuals a trial shows). Asked of new runs only: a run made before resumes as it was."""
    if not interactive and lc.passive:
        raise ConfigError(
            f"watches an interactive system without its interrogators; {where} takes no stimuli, so it is always "
            "watched: leave it false (drop --passive)",
            "learner.passive",
        )
    if not interactive and lc.genuine_trials != LearnerConfig.genuine_trials:
        raise ConfigError(
            f"is the trials of an interactive system each interrogator runs; {where} is a swarm, whose genuine "
            f"agents a trial shows are learner.genuine_per_trial: leave it at {LearnerConfig.genuine_trials}",
            "learner.genuine_trials",
        )
    if interactive and not recorded and lc.genuine_per_trial != LearnerConfig.genuine_per_trial:
        raise ConfigError(
            f"is the genuine agents of a swarm a trial shows; {where} is interactive, whose trials of the system are "
            f"learner.genuine_trials: leave it at {LearnerConfig.genuine_per_trial}",
            "learner.genuine_per_trial",
        )
