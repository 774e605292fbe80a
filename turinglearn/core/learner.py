"""The Turing Learning loop: two populations, one readable generation step.

Search is separate from observation: :meth:`TuringLearner.step` returns a
:class:`Generation`; progress bars, metrics files and plots are hooks that receive it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from turinglearn.core.contracts import (
    DiscriminatorFamily,
    Evaluation,
    Generation,
    Hook,
    Optimizer,
    PassiveSystem,
    SampleBatch,
    SampleTrainer,
    System,
    judge_checked,
)
from turinglearn.core.critic import FeatureCritic
from turinglearn.core.fitness import engagement, judgements
from turinglearn.core.learner_checks import (
    check_asked,
    check_critic,
    check_guards,
    check_inputs,
    check_islands,
    check_judge_steps,
    check_model_judges,
    check_outputs,
)
from turinglearn.core.memory import Archive, Guards, HistoricalAverage, NearCounterfeits
from turinglearn.core.optimizers import kept
from turinglearn.core.random import stream
from turinglearn.core.scoring import Scoring


class GenerationLoop:
    """What every learner shares: a generation counter, hooks, and :meth:`run`."""

    generation: int
    hooks: list[Hook]

    def step(self) -> Generation:  # pragma: no cover - abstract
        raise NotImplementedError

    def _publish(self, record: Generation) -> Generation:
        self.generation += 1
        for hook in self.hooks:
            hook(record)
        return record

    def state_dict(self) -> dict:
        """Everything the next generation depends on (see :mod:`turinglearn.app.checkpoint`)."""
        return {"generation": self.generation, "models": saved(self.model_optimizer, "model")}

    def load_state_dict(self, state: dict) -> None:
        self.generation = int(state["generation"])
        self.model_optimizer.load_state_dict(state["models"])

    def run(self, generations: int) -> Generation:
        """Step until ``generations`` generations have been evaluated; returns the last one."""
        if generations <= self.generation:
            raise ValueError(
                f"run({generations}) steps until {generations} generations have been evaluated, and "
                f"{self.generation} have been: ask for more (run counts from the first generation, not from now)"
            )
        record = None
        while self.generation < generations:
            record = self.step()
        return record


def saved(optimizer, which: str) -> dict:
    """``optimizer.state_dict()``, or a TypeError that says checkpoints need it (an optimiser
    with ask and tell alone runs, and failed only at its first checkpoint with an AttributeError)."""
    if "state_dict" not in dir(optimizer):
        raise TypeError(
            f"the {which} optimiser {type(optimizer).__name__} has no state_dict(): checkpoints and resume need "
            "state_dict() and load_state_dict() (turinglearn.core.contracts.Optimizer; check_optimizer tests them)"
        )
    return optimizer.state_dict()


class TuringLearner(GenerationLoop):
    """Coevolves models of ``system`` against discriminators.

    system: runs the system and the models and has discriminators judge them
    (:meth:`~turinglearn.core.contracts.System.evaluate`); discriminator: a batched discriminator family;
    model_optimizer / discriminator_optimizer: ask/tell optimisers over model parameters and
    discriminator weights; seed: the root of the simulation's random streams (generation ``g``
    always draws from the same stream); evaluator: a
    :class:`~turinglearn.core.evaluator.ChunkedEvaluator` (chunk size and backend; default: one
    chunk, in-process).

    hall_of_fame: ``H > 0`` keeps an archive of ``H`` discriminators that were best in their
    generation, one every ``hall_of_fame_every`` generations: the last ``H``
    (``hall_of_fame_keep = "recent"``) or a uniform sample of all of them (``"history"``).
    Archived discriminators judge the models too, so a model's fitness is the fraction of all
    judges (current population, or its parents with ``model_judges``, plus archive) it fooled;
    they are not evolved and do not enter the discriminators' fitness. ``H = 0`` is the papers'
    algorithm. hall_of_fame_weight: None counts every judge alike; ``w`` in [0, 1] makes the archive's verdicts ``w`` of a
    model's fitness however few its judges are (a memory of judges the models must keep
    fooling, as in Nash memory).

    model_memory: ``A > 0`` keeps an archive of models that the judges rejected (each
    generation's least fit model, when its fitness is below ``model_memory_below``), kept by
    ``model_memory_keep``; each generation ``model_memory_judged`` of them are run and judged
    beside the population, as counterfeits in the discriminators' fitness (and, for a trained
    discriminator, its training samples): the discriminators must keep telling apart what
    was told apart before, so a drift of the models back towards it is punished. Archived
    models are not evolved and get no fitness. model_memory_share: None: their samples count
    like the population's; ``w`` in (0, 1): they make ``w`` of the discriminators'
    specificity however few they are (not together with ``counterfeits``, which take half).
    See :mod:`turinglearn.core.memory`.

    counterfeits: a :class:`~turinglearn.core.memory.NearCounterfeits` (None: none): each
    generation its hard counterfeits, one step from the remembered estimate, are run and
    judged beside the population; the discriminators' specificity is the mean of theirs and
    the other counterfeits', so telling the estimate from its neighbours keeps paying once
    the models have converged. They get no fitness.

    history: a :class:`~turinglearn.core.memory.HistoricalAverage` (None: none): each
    generation its penalty (the models' squared distance from the running average of the
    population's past medians) is subtracted from the models' fitness before selection.

    islands: ``K > 1`` splits both populations into ``K`` islands (the optimisers must be
    :class:`~turinglearn.core.optimizers.Islands` of ``K``): island ``k``'s models are judged by
    island ``k``'s discriminators (and the hall of fame), and its discriminators' specificity
    counts island ``k``'s models only; the optimisers migrate the best between islands. Evolved
    discriminators only, without model memory, counterfeits or matching fitness. 1: one
    population (the papers).

    judge_fitness: ``"accuracy"`` (the papers): an evolved discriminator's fitness is its
    (sensitivity + specificity) / 2; ``"shared"``: competitive fitness sharing
    (:func:`~turinglearn.core.fitness.shared_discriminator_fitness`), each sample's credit shared
    among the judges right on it; ``"shared-geometric"``: the same, the judge's shared credits on
    the genuine and the counterfeit samples combined by their geometric mean. Not with a fixed
    share of specificity (``model_memory_share``) or islands; hard counterfeits count as
    counterfeit samples like the population's, each with its unit of credit (not half the
    specificity); a trained classifier is not selected and ignores it.

    model_fitness: ``"votes"`` (the papers): a model's fitness is the fraction of its judges'
    thresholded outputs that said genuine; ``"outputs"``: the mean of the outputs themselves.
    When the judges reject every model, votes are all 0 and the models' selection is blind;
    the outputs still say which models came closest. ``"matching"``: each verdict (vote, or
    output for a trained judge) weighed by ``g_j - a_j``, how much more often its judge calls the
    system genuine than the population (:func:`~turinglearn.core.fitness.matching_fitness`);
    near 0 once the population is judged like the system, so settings in fractions of judges
    fooled (``model_memory_below``, an optimiser's threshold) mean less with it. ``"gap"``: minus
    the mean over judges of the squared gap between each judge's rate of genuine verdicts on the
    model and on the system (:func:`~turinglearn.core.fitness.gap_fitness`; two samples of each
    model a generation at least), so that being taken for genuine more often than the system
    itself no longer pays; 0 at best, the same caveat.

    model_judges: ``"all"`` (the papers): every current discriminator's verdicts count in the
    models' fitness; ``"parents"``: only those of the discriminators the last selection kept
    (a (mu + lambda) ES's first ``mu`` rows) and of the hall of fame, once the discriminators'
    optimiser has selected (from a run's or a restart's second generation): the offspring are
    untested mutations that judge close to chance. Evolved judges of a SelfAdaptiveES.

    judge_steps: ``k > 1`` selects and breeds the discriminators ``k`` times a generation: once
    on the verdicts that also gave the models their fitness, then ``k - 1`` times more on the
    same samples (judges kept from the step before are not run again, :func:`judge_again`), so
    the judges follow the models on a faster timescale (the two time-scale rule of GAN training,
    Heusel et al. 2017). Needs a :class:`~turinglearn.core.contracts.PassiveSystem` and evolved
    discriminators on one island. The generation's samples then come from its ``samples`` (for a
    watched interactive system: as many of the system's trials as of the models', not its
    ``genuine_trials``) and are judged here, not in the evaluator's workers; the generation's
    record holds the judges the models met (the first selection's), as does the hall of fame.
    1: the papers.

    guards: a :class:`~turinglearn.core.memory.Guards` (None: none), a Pareto archive of judges:
    every ``guards.every`` generations the estimate's neighbours (one parameter a step up or
    down) are run beside the population, and for each the candidate judge (current, hall of
    fame or guard) most accurate at telling it from the system is kept as its guard. The
    neighbours' own samples enter no fitness; the system's agents of their trials are genuine
    samples like the others' (a sample's trial is not recorded), so on an election generation
    the judges' sensitivity is read on more of them. The guards judge the models beside the
    other judges; their verdicts make ``guard_weight`` (in (0, 1]) of a model's fitness,
    however few they are. ``guard_vote``: ``"each"``, every guard one vote (a model a step off
    on one side loses one guard's vote of G); ``"all"``, the guards vote as one judge that takes
    a sample for genuine only if every guard does (each guard keeps one side, so a model off on
    any side loses the whole share). Evolved discriminators on one island.

    critic: a :class:`~turinglearn.core.critic.FeatureCritic` (None: none), a classifier on a
    trial's summary statistics fitted to the genuine and the population's samples of its last
    ``window`` generations: each generation its mean P(genuine) on a model's samples (out of
    sample: fitted before) makes ``critic.weight`` of the model's fitness, then it is fitted
    again. Unlike a judge it is not selected, so it does not forget a difference no model of
    the moment shows, for as long as its window holds one. It reads a
    :class:`~turinglearn.core.contracts.PassiveSystem`'s samples (they then come back and are
    judged here), or an :class:`~turinglearn.core.contracts.InterrogatedSystem`'s trials of its
    own under the generation's interrogators.

    A discriminator optimiser that learns from the samples themselves (a
    :class:`~turinglearn.core.contracts.SampleTrainer`, e.g.
    :class:`~turinglearn.families.neural.GradientTrainer`) is one classifier: each generation it
    (and the archive) judges the generation's samples, a model's fitness is the mean
    probability of 'genuine' they give its samples (one judge's thresholded verdict would be
    all or nothing), and then the classifier is trained on those samples. Judging before
    training keeps the models' fitness out of sample.
    """

    def __init__(
        self,
        system: System,
        discriminator: DiscriminatorFamily,
        model_optimizer: Optimizer,
        discriminator_optimizer: Optimizer,
        seed: int = 0,
        hooks: Sequence[Hook] = (),
        hall_of_fame: int = 0,
        hall_of_fame_every: int = 10,
        evaluator=None,
        hall_of_fame_keep: str = "recent",
        model_memory: int = 0,
        model_memory_judged: int = 10,
        model_memory_keep: str = "history",
        model_memory_below: float = 0.5,
        model_memory_share: float | None = None,
        counterfeits: NearCounterfeits | None = None,
        hall_of_fame_weight: float | None = None,
        history: HistoricalAverage | None = None,
        model_fitness: str = "votes",
        islands: int = 1,
        judge_fitness: str = "accuracy",
        judge_steps: int = 1,
        model_judges: str = "all",
        guards: Guards | None = None,
        guard_weight: float = 0.5,
        guard_vote: str = "each",
        critic: FeatureCritic | None = None,
    ):
        from turinglearn.core.evaluator import ChunkedEvaluator

        self.evaluator = evaluator or ChunkedEvaluator()
        self.system = system
        self.hall_of_fame = hall_of_fame
        self.hall_of_fame_every = hall_of_fame_every
        self.judges_memory = Archive(hall_of_fame, hall_of_fame_keep)  # [H' <= H, k] discriminators
        self.models_memory = Archive(model_memory, model_memory_keep)  # [A' <= A, d] rejected models
        self.model_memory_judged = model_memory_judged if model_memory else 0
        self.model_memory_below = model_memory_below
        if model_memory_share is not None and counterfeits is not None:
            raise ValueError("model_memory_share and counterfeits both claim a fixed share of specificity: use one")
        self.counterfeits = counterfeits
        self.history = history
        self.guards = guards
        self.scoring = Scoring(  # how the verdicts become both populations' fitness
            model_fitness, judge_fitness, model_judges, hall_of_fame_weight, float(guard_weight), guard_vote,
            islands, model_memory_share,
        )  # fmt: skip
        self.judge_steps = judge_steps
        self.discriminator = discriminator
        self.model_optimizer = model_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        # a discriminator that learns from the samples (SampleTrainer) changes what a
        # generation does: judge the samples, then teach them
        self.trains_on_samples = isinstance(discriminator_optimizer, SampleTrainer)
        check_inputs(self)
        if islands > 1:
            check_islands(self)
        if judge_steps > 1:
            check_judge_steps(self)
        if self.scoring.model_judges == "parents":
            check_model_judges(discriminator_optimizer)
        if guards is not None:
            check_guards(self)
        self.critic = critic
        if critic is not None:
            check_critic(self)
        # the critic reads the generation's batch; on an interrogated system, trials of its own
        self.critic_reads_batch = critic is not None and isinstance(system, PassiveSystem)
        self.seed = seed
        self.hooks = list(hooks)
        self.generation = 0

    @property
    def islands(self) -> int:
        """K, the islands both populations are split into (1: one population)."""
        return self.scoring.islands

    @property
    def archive(self) -> np.ndarray | None:
        """The hall of fame's discriminators [H', k] (None while empty)."""
        return self.judges_memory.rows

    @property
    def guard_rows(self) -> np.ndarray | None:
        """The guards [G, k] (None without guards or while none is elected)."""
        return None if self.guards is None else self.guards.rows

    def step(self) -> Generation:
        """One generation: ask both optimisers, run the system and every model (the judges
        interrogating where they can), judge every sample, tell both populations their fitness
        (with the memory's shares), and publish the :class:`Generation` to the hooks."""
        t0 = time.perf_counter()
        rng = stream(self.seed, "memory", self.generation)
        theta = self.model_optimizer.ask()  # [M, d]
        weights = self.discriminator_optimizer.ask()  # [D, k]
        check_asked(self, theta, weights)  # a user's optimiser: rows of the right width, inside the bounds
        recalled = self.models_memory.sample(self.model_memory_judged, rng)  # [A'', d] or None
        near = None if self.counterfeits is None else self.counterfeits.make(theta, rng)  # [N, d]
        probes = None if self.guards is None else self.guards.probes(theta, self.generation, rng)  # [P * t, d]
        extra = [rows for rows in (recalled, near, probes) if rows is not None]
        shown = np.concatenate([theta, *extra]) if extra else theta  # [M + A'' + N + P * t, d]
        # run the system and every model; every discriminator judges (interrogators act meanwhile)
        judges, guarded = self.judging(weights)  # [D + H' + G, k]; G: the guards that judge (an election may follow)
        trains, batch = self.trains_on_samples, None
        if trains or self.judge_steps > 1 or self.critic_reads_batch:  # the samples come back, judged here
            batch = self.evaluator.samples(self.system, shown, self.seed, self.generation)
            ev = Evaluation(judge_checked(self.discriminator, judges, batch.x, len(batch.genuine)), batch.genuine, batch.owner)
        else:
            ev = self.evaluator.judge(  # outputs [D + H', S]
                self.system, self.discriminator, shown, judges, self.seed, self.generation
            )
        check_outputs(ev.outputs, ev.genuine, ev.owner, shown, self.generation)  # non-finite features named
        judged = judgements(ev.outputs)  # [D + H' + G, S] True = judged genuine
        outputs = ev.outputs[: len(weights)]  # [D, S] this generation's judges' outputs on every sample
        if probes is not None:  # elect the guards, then leave the neighbours' samples out of every fitness
            first = len(shown) - len(probes)
            self.guards.update(judges, judged, ev.genuine, ev.owner, first)
            keep = np.asarray(ev.owner) < first  # [S]
            ev = Evaluation(ev.outputs[:, keep], np.asarray(ev.genuine)[keep], np.asarray(ev.owner)[keep])
            judged, shown, outputs = judged[:, keep], shown[:first], outputs[:, keep]
            if batch is not None:  # the critic and extra judge steps read every sample but the neighbours'
                batch = SampleBatch(batch.x[keep], ev.genuine, ev.owner)
        f_models = self.models_fitness(ev, judged, len(weights), len(shown), len(theta), guarded)  # [M]
        critic = None if self.critic is None else self._criticise(batch, ev, theta, weights)
        if critic is not None:  # a fitted classifier's verdicts ([M], judged before it learns them) make its share
            f_models = (1 - self.critic.weight) * f_models + self.critic.weight * critic[0]
        penalty = None if self.history is None else self.history.penalty(theta)  # [M]
        if penalty is not None:  # where the population has been weighs too
            f_models = f_models - penalty
        f_discs = self.scoring.judges(judged[: len(weights)], ev, len(shown), len(theta), recalled, near)
        self.model_optimizer.tell(f_models)
        self.discriminator_optimizer.tell(f_discs)
        seen = weights  # [D, k] the judges whose outputs are known
        for _ in range(self.judge_steps - 1):  # the judges evolve faster than the models, on the same samples
            asked = np.array(self.discriminator_optimizer.ask())  # a copy: the optimiser may reuse its buffer
            check_asked(self, None, asked)
            seen, outputs = asked, judge_again(self.discriminator, asked, batch.x, seen, outputs)
            self.discriminator_optimizer.tell(
                self.scoring.judges(judgements(outputs), ev, len(shown), len(theta), recalled, near)
            )
        if trains:
            self.discriminator_optimizer.train(batch.x, batch.genuine)
        # the hall of fame's share fooled: the rows between the current judges and the guards
        diagnostics = engagement(judged[: len(judged) - guarded], ev.genuine, ev.owner, len(weights), len(theta))
        if penalty is not None:  # 0 until the population has settled
            diagnostics["history_penalty"] = float(penalty.mean())
        if self.guards is not None:  # how many sides are guarded, and how well
            diagnostics["guards"] = float(len(self.guards))
            diagnostics["guard_accuracy"] = float(np.mean(self.guards.scores)) if len(self.guards) else float("nan")
        if critic is not None:  # how well the critic, fitted before, told this generation's models from the system
            diagnostics["critic_accuracy"] = critic[1]
        if self.hall_of_fame and self.generation % self.hall_of_fame_every == 0:
            self.judges_memory.offer(weights[int(np.argmax(f_discs))], rng)
        worst = int(np.argmin(f_models))
        if self.models_memory.size and f_models[worst] < self.model_memory_below:  # told apart by its judges
            self.models_memory.offer(theta[worst], rng)
        seconds = time.perf_counter() - t0
        record = Generation(
            self.generation, theta, f_models, weights, f_discs, seconds,
            diagnostics=diagnostics, parents=kept(self.model_optimizer, theta),
        )  # fmt: skip
        return self._publish(record)

    def _criticise(self, batch, ev: Evaluation, theta: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
        """The critic's verdicts on the population ([M], and its accuracy): on the generation's
        samples, or on an interrogated system on trials of the system and of each model under
        this generation's interrogators that vote on the models, run on the critic's own random
        stream."""
        if self.critic_reads_batch:  # the batch's labels are the evaluation's (the guards' neighbours left out)
            return self.critic.criticise(batch.x, ev.genuine, ev.owner, len(theta))
        voters = weights[: self._parents()]  # the interrogators whose verdicts count for the models
        own = self.evaluator.interrogated(
            self.system, self.discriminator, theta, voters, self.seed, self.generation, self.critic.trials
        )
        return self.critic.criticise(own.x, own.genuine, own.owner, len(theta))

    def judging(self, weights: np.ndarray) -> tuple[np.ndarray, int]:
        """The judges of a generation whose discriminators are ``weights`` [D, k]: those, then the
        hall of fame, then the guards [D + H' + G, k]; and G, the number of guards."""
        memory = [rows for rows in (self.archive, self.guard_rows) if rows is not None]
        judges = np.concatenate([weights, *memory]) if memory else weights
        return judges, 0 if self.guard_rows is None else len(self.guard_rows)

    def models_fitness(
        self, ev: Evaluation, judged: np.ndarray, current: int, shown: int, models: int, guarded: int
    ) -> np.ndarray:
        """[M] the models' fitness from the judges of :meth:`judging` (``current`` of them this
        generation's, ``guarded`` guards last; ``judged`` [J, S] their verdicts) on ``shown``
        agents, the first ``models`` the population's: :meth:`Scoring.models
        <turinglearn.core.scoring.Scoring.models>` with the judges that vote now."""
        parents, outputs = self._parents(), self.trains_on_samples
        return self.scoring.models(ev, judged, current, shown, models, guarded, parents, outputs)

    def _parents(self) -> int | None:
        """How many current judges the last selection kept (a (mu + lambda) ES's first ``mu``
        rows), where only they vote on the models; None where every judge does (also before
        the optimiser's first selection, in a run or a restart)."""
        opt = self.discriminator_optimizer
        return opt.config.parents if self.scoring.model_judges == "parents" and opt.generation else None

    def restart(self, model_optimizer: Optimizer, discriminator_optimizer: Optimizer) -> None:
        """Start the search again from these (fresh) optimisers: both populations anew, the
        archives of judges and models and the counterfeits' centres emptied; the generation
        count, the seed, the hooks and the evaluator stay (a restart, :mod:`turinglearn.app.restart`)."""
        if self.history is not None:
            raise ValueError("historical averaging holds the models where they were; no restart")
        if self.scoring.model_judges == "parents":  # before anything changes
            check_model_judges(discriminator_optimizer)
        self.model_optimizer, self.discriminator_optimizer = model_optimizer, discriminator_optimizer
        self.trains_on_samples = isinstance(discriminator_optimizer, SampleTrainer)
        self.judges_memory = Archive(self.judges_memory.size, self.judges_memory.keep)
        self.models_memory = Archive(self.models_memory.size, self.models_memory.keep)
        if self.counterfeits is not None:
            self.counterfeits.centres = Archive(self.counterfeits.centres.size, "recent")
        if self.guards is not None:
            self.guards.load_state_dict(None)
        if self.critic is not None:
            self.critic.load_state_dict(None)

    def state_dict(self) -> dict:
        """Everything the next generation depends on: both optimisers, the archives and memories,
        the generation count and seed (:meth:`load_state_dict` continues a learner built alike)."""
        return {
            **super().state_dict(),
            "seed": self.seed,
            "discriminators": saved(self.discriminator_optimizer, "discriminator"),
            "archive": self.judges_memory.state_dict(),
            "model_memory": self.models_memory.state_dict(),
            **({"counterfeits": self.counterfeits.state_dict()} if self.counterfeits else {}),
            **({"history": self.history.state_dict()} if self.history is not None else {}),
            **({"guards": self.guards.state_dict()} if self.guards is not None else {}),
            **({"critic": self.critic.state_dict()} if self.critic is not None else {}),
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict`'s ``state``: refused where this learner was built
        with another seed, or with or without a memory the saving one had (critic, guards, ...)."""
        if state.get("seed", self.seed) != self.seed:  # checkpoints of older versions carry none
            raise ValueError(
                f"this state was saved by a learner of seed {state['seed']}; this one's is {self.seed}: build the "
                "learner with the seed of the one that saved it (the rest of the run draws from it)"
            )
        parts = {"counterfeits": self.counterfeits, "history": self.history, "guards": self.guards, "critic": self.critic}
        if differ := [k for k, part in parts.items() if (part is None) != (state.get(k) is None)]:
            raise ValueError(  # a critic's state was dropped unsaid by a learner built without one
                f"this state was saved by a learner {'with' if state.get(differ[0]) is not None else 'without'} "
                f"{differ[0]}; build the learner with the settings of the one that saved it"
            )
        super().load_state_dict(state)
        self.discriminator_optimizer.load_state_dict(state["discriminators"])
        self.judges_memory.load_state_dict(state["archive"])
        self.models_memory.load_state_dict(state.get("model_memory"))
        if self.counterfeits is not None:
            self.counterfeits.load_state_dict(state.get("counterfeits"))
        if self.history is not None:
            self.history.load_state_dict(state.get("history"))
        if self.guards is not None:
            self.guards.load_state_dict(state.get("guards"))
        if self.critic is not None:
            self.critic.load_state_dict(state.get("critic"))


def judge_again(discriminator, weights: np.ndarray, x: np.ndarray, seen: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The outputs [D, S] of discriminators ``weights`` [D, k] on samples ``x``, where the rows
    of ``weights`` equal to a row of ``seen`` [D', k] (a (mu + lambda) optimiser's parents) take
    that row's ``outputs`` [D', S] instead of being judged again: only the new ones are run."""
    weights, seen = (np.ascontiguousarray(a, dtype=float) for a in (weights, seen))
    index = {row.tobytes(): i for i, row in enumerate(seen)}
    at = np.fromiter((index.get(row.tobytes(), -1) for row in weights), dtype=np.intp, count=len(weights))
    out = np.empty((len(weights), outputs.shape[1]), dtype=outputs.dtype)
    old = at >= 0
    out[old] = outputs[at[old]]
    if not old.all():
        out[~old] = judge_checked(discriminator, weights[~old], x, outputs.shape[1])
    return out
