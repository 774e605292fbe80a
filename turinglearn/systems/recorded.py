"""Recorded observations as a system: learn passively from a file of genuine trajectories
(its format: :mod:`turinglearn.systems.recording_files`).

**Learning** (``turinglearn run aggregation --set data=PATH``): the genuine samples are drawn
from the file, the counterfeit ones from the simulator, and discriminators only watch (a
recording cannot respond to an interrogator, so interactive environments need
``learner.passive = true``). The simulator does not know the genuine agents, so a model is
run in their place everywhere: a swarm environment simulates swarms made only of the model
(counterfeit samples: the replica robots of each, or every robot with
``learner.recorded_samples = "all"``, :data:`RECORDED_SAMPLES`), an interactive one runs the
model under its passive schedule, or, where the file records the stimuli applied to each
individual, each trial under the stimuli of the recorded individual it is shown beside (a
recording made under protocols that varied from trial to trial).

**The held-out tests** (C2ST, the fast test, power and intervals) draw each recorded individual
once: a test asking for more trials than the file fills gets fewer, down to 10, below which
individuals repeat (:meth:`RecordedSystem.test_trials`), since an individual repeated on both
sides of a fold is recognised and the test reads high (at aggregation's truth, 200 trials from
42 robots drawn with replacement: C2ST 0.81; benchmarks/small_recordings.py).

**Writing a recording** from a simulator: :func:`record` (``turinglearn record aggregation
--out rec.npz --trials 100``) runs the environment's ground truth the same way (swarms of the
truth, every robot recorded; or the passive schedule) and writes every individual.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import Evaluation, SampleBatch, frozen, is_interactive, judge_samples
from turinglearn.errors import ConfigError, warn
from turinglearn.systems.recording_files import Recording, read_recording, write_recording

__all__ = [
    "RECORDED_SAMPLES",
    "RecordedSystem",
    "Recording",
    "individuals_per_trial",
    "read_recording",
    "simulate_models",
    "write_recording",
]


#: which robots of a simulated swarm of the model are counterfeit samples (``learner.recorded_samples``):
#: ``replicas``, the ``n_replicas`` robots a live swarm would give the model (the other robots
#: are simulated, and charged, but not judged), or ``all`` of them (every simulated robot runs
#: the model, so each is a sample of it; a model's fitness averages over all of them)
RECORDED_SAMPLES = ("replicas", "all")
#: the fewest fresh trials a held-out test gets from a small recording, repeating individuals
#: (enough for the default 5 folds twice over; a run needs at least ``evaluation.c2st_folds``)
MIN_TEST_TRIALS = 10


def individuals_per_trial(sim) -> int:
    """Individuals one trial of :func:`simulate_models` simulates, every one of them observed:
    a swarm's robots (``n_agents + n_replicas``), or 1 (an interactive simulator's passive
    trial). The unit of a budget from a recording (``stopping.max_simulations``) is one of them,
    for Turing Learning (:func:`turinglearn.app.stopping.simulations_per_generation`) and the
    peers (:class:`turinglearn.peers.problem.PeerProblem`) alike."""
    return 1 if is_interactive(sim) else sim.config.n_agents + sim.config.n_replicas


def simulate_models(
    sim, params: np.ndarray, rng: np.random.Generator, schedules: np.ndarray | None = None
) -> np.ndarray:
    """Run agents params [B, d] without anyone acting on them: [B, r, T, F].

    Swarm environments: ``B`` swarms in which every robot runs the row (``r = n_robots``, all
    observed); interactive ones: one trial each under the passive schedule (``r = 1``), or
    under ``schedules`` [B, T, k], trial b's stimuli (a recording's, applied to its individuals).
    ``r`` is :func:`individuals_per_trial`.
    """
    if not is_interactive(sim):
        n = individuals_per_trial(sim)
        if "reported" in dir(sim.model_family):  # policies: one row a swarm, the robots told apart by a mask
            return sim.rollout(params, rng, genuine=np.zeros((len(params), n), bool)).features
        feats = sim.rollout(np.repeat(params[:, None, :], n, axis=1), rng).features  # [B, N, T, F]
        return feats
    if schedules is None:
        schedule = np.asarray(sim.passive_schedule(), float)  # [T, k]
        schedules = np.broadcast_to(schedule, (len(params), *schedule.shape))
    state = sim.reset(rng, (len(params),))
    out = []
    for t in range(sim.config.steps):
        state, f = sim.step(state, frozen(params), frozen(schedules[:, t]), rng)
        out.append(np.asarray(f, float))
    return np.stack(out, axis=1)[:, None]  # [B, 1, T, F]


# --- the system: genuine from the file, counterfeit from the simulator ------------------------


def _outside_bounds(truth: np.ndarray, family) -> str:
    """'name value not in [lo, hi]' for each parameter of ``truth`` outside ``family``'s bounds."""
    lo, hi = np.broadcast_to(family.lower, truth.shape), np.broadcast_to(family.upper, truth.shape)
    return "; ".join(
        f"{n} {v:g} not in [{a:g}, {b:g}]"
        for n, v, a, b in zip(family.names, truth, lo, hi, strict=True)
        if not a <= v <= b
    )


class RecordedSystem:
    """Passive learning from a recording (see the module docstring).

    sim: the environment's batched simulator; recording: :class:`Recording`;
    trials_per_model: simulations of each model per generation; genuine_per_trial: recorded
    individuals shown per model trial (drawn at random, with replacement only when the file
    has too few); recorded_samples: which robots of each simulated swarm are counterfeit
    samples (:data:`RECORDED_SAMPLES`; interactive simulators: the one passive trial either way).
    """

    def __init__(
        self,
        sim,
        recording: Recording,
        trials_per_model: int = 1,
        genuine_per_trial: int = 1,
        recorded_samples: str = "replicas",
        held_out: np.ndarray | None = None,
    ):
        if recorded_samples not in RECORDED_SAMPLES:
            choices = ", ".join(RECORDED_SAMPLES)
            raise ValueError(f"recorded_samples must be one of {choices}, got {recorded_samples!r}")
        self.sim = sim
        self.recording = recording
        self.model_family = sim.model_family
        self.truth = recording.truth
        # policies and programs are compared in the space they report in (the effective controller)
        space = self.model_family.reported if "reported" in dir(self.model_family) else self.model_family
        named = recording.truth_names
        if self.truth is not None and named is not None and sorted(named) == sorted(space.names):
            self.truth = np.array([self.truth[list(named).index(n)] for n in space.names])  # another order: the family's
            named = tuple(space.names)
        if self.truth is not None and named is not None and tuple(named) != tuple(space.names):
            warn(
                f"the recording's truth is of the parameters ({', '.join(named)}), not of this model family's "
                f"({', '.join(space.names)}): it is another model's, so no error is reported against it (comparing "
                "hypotheses: docs/concepts.md, 'Comparing hypotheses')"
            )
            self.truth = None
        if self.truth is not None and len(self.truth) != space.n_params:
            raise ConfigError(
                f"the recording's truth has {len(self.truth)} values; the model family has "
                f"{space.n_params} ({', '.join(space.names)})",
                "data",
            )
        if self.truth is not None:
            outside = _outside_bounds(self.truth, space)
            if outside:
                warn(
                    f"the recording's truth lies outside the model family's bounds ({outside}): no model can "
                    "reach it, and the errors reported are measured from it; fix the truth written with the "
                    "recording, or widen the bounds"
                )
        if recording.stimulus is not None and genuine_per_trial != 1:
            raise ConfigError(
                f"must be 1 for a recording with the stimuli applied (got {genuine_per_trial}): each simulated trial "
                "runs under one recorded individual's stimuli, and is shown beside that individual alone",
                "learner.genuine_per_trial",
            )
        self.trials_per_model = trials_per_model
        self.genuine_per_trial = genuine_per_trial
        self.recorded_samples = recorded_samples
        self.passive = True
        self.test_groups: np.ndarray | None = None  # the last held-out test's (_note_groups)
        # held_out [N] (bool): individuals kept for the held-out tests alone; learning draws from the rest
        kept = np.zeros(len(recording.x), bool) if held_out is None else np.asarray(held_out, bool)
        self.learn_from = np.flatnonzero(~kept)  # [n_learn] indices into the recording
        self.test_on = np.flatnonzero(kept) if kept.any() else self.learn_from  # [n_test]: everyone, where none is kept

    def _picked(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Which n recorded individuals learning is shown (with replacement only when it has
        fewer; not those held out): [n] indices into the recording."""
        pool = len(self.learn_from)
        return self.learn_from[rng.choice(pool, size=n, replace=n > pool)]

    def _counterfeit(
        self, theta: np.ndarray, rng: np.random.Generator, trials: int, schedules: np.ndarray | None = None
    ) -> np.ndarray:
        """[M, trials, r, T, F]: the replica robots (or all robots) of swarms of the model, or
        trials under the passive schedule (or ``schedules`` [M * trials, T, k], one a trial)."""
        feats = simulate_models(self.sim, np.repeat(theta, trials, axis=0), rng, schedules)  # [M*trials, N or 1, T, F]
        if not is_interactive(self.sim) and self.recorded_samples == "replicas":
            feats = feats[:, self.sim.config.n_agents :]
        return feats.reshape(theta.shape[0], trials, *feats.shape[1:])

    def _paired(self, theta: np.ndarray, rng: np.random.Generator, picked: np.ndarray, trials: int):
        """A recording with the stimuli it applied: the model's trial t runs under the stimuli of
        the recorded individual shown beside it (``picked`` [M * trials], one a trial:
        ``genuine_per_trial`` is 1 here), so each pair of a trial shares its stimuli, and both
        samples show them after their features (:attr:`feature_names`): a judge that saw the
        responses alone could not tell a model whose responses to ON and OFF are exchanged (a
        newcomer's tadpoles: the lamp's two speeds came out swapped in 3 of 3 seeds, accepted).
        (genuine [M, t, 1, T, F + k], counterfeit [M, t, r, T, F + k])."""
        stimuli = self.recording.stimulus[picked]  # [M * t, T, k]
        fake = self._counterfeit(theta, rng, trials, stimuli)  # [M, t, r, T, F]
        m, r = theta.shape[0], fake.shape[2]
        shown = stimuli.reshape(m, trials, 1, *stimuli.shape[1:])
        genuine = self.recording.x[picked].reshape(m, trials, 1, *fake.shape[3:])
        fake = np.concatenate([fake, np.broadcast_to(shown, (m, trials, r, *stimuli.shape[1:]))], axis=-1)
        return np.concatenate([genuine, shown], axis=-1), fake

    @property
    def feature_names(self) -> tuple[str, ...]:
        """What a sample shows, per step: the simulator's features, then, where the recording
        carries the stimuli applied, those (``stimulus_0`` ..), the same on both sides."""
        names = tuple(self.sim.feature_names)
        if self.recording.stimulus is None:
            return names
        return names + tuple(f"stimulus_{j}" for j in range(self.recording.stimulus.shape[-1]))

    @property
    def fills(self) -> int:
        """Trials of ``genuine_per_trial`` individuals the test's individuals fill, each once."""
        return len(self.test_on) // self.genuine_per_trial

    def test_trials(self, trials: int) -> int:
        """How many of ``trials`` fresh trials of a model a held-out test gets: no more than the
        file's individuals fill without repeating one (an individual on both sides of a fold
        is recognised, and the test reads high), but at least ``min(trials, MIN_TEST_TRIALS)``,
        repeating individuals only then (as few times as the file allows)."""
        return min(trials, max(self.fills, MIN_TEST_TRIALS))

    def _distinct_picked(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Which n recorded individuals a test shows, each at most once while the file has n
        (more: every individual once before any twice): [n]."""
        pool = len(self.test_on)
        if n <= pool:
            return self.test_on[rng.choice(pool, size=n, replace=False)]
        return self.test_on[np.concatenate([rng.permutation(pool) for _ in range(-(-n // pool))])[:n]]

    def trajectories(self, theta: np.ndarray, rng: np.random.Generator, trials: int | None = None):
        """(genuine [M, t, g, T, F] from the file, counterfeit [M, t, r, T, F]). trials: None, a
        generation's (``trials_per_model``; individuals repeat across models when the file has
        too few); given, a held-out test's fresh trials of each model: t = :meth:`test_trials`
        of it, each individual drawn at most once a model while the file has enough."""
        m, g = theta.shape[0], self.genuine_per_trial
        self.test_groups = None
        if self.recording.stimulus is not None:  # the individuals first: the model's trials take their stimuli
            if trials is None:
                return self._paired(theta, rng, self._picked(rng, m * self.trials_per_model * g), self.trials_per_model)
            t = self.test_trials(trials)
            picked = np.concatenate([self._distinct_picked(rng, t * g) for _ in range(m)])
            self._note_groups(picked, m, t, g)
            return self._paired(theta, rng, picked, t)
        if trials is None:
            fake = self._counterfeit(theta, rng, self.trials_per_model)
            genuine = self.recording.x[self._picked(rng, m * self.trials_per_model * g)]
        else:
            t = self.test_trials(trials)
            fake = self._counterfeit(theta, rng, t)
            picked = np.concatenate([self._distinct_picked(rng, t * g) for _ in range(m)])
            self._note_groups(picked, m, t, g)
            genuine = self.recording.x[picked]
        return genuine.reshape(m, fake.shape[1], g, *fake.shape[3:]), fake

    def _note_groups(self, picked: np.ndarray, m: int, t: int, g: int) -> None:
        """After a held-out test's draw: ``test_groups`` [m, t, g], the individual each genuine
        sample's window came from (a recording read in windows), so the tests keep an
        individual's windows in one fold; None otherwise."""
        groups = self.recording.groups
        self.test_groups = None if groups is None else np.asarray(groups)[picked].reshape(m, t, g)

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        genuine, fake = self.trajectories(theta, rng)
        g = genuine.reshape(-1, *genuine.shape[3:])
        c = fake.reshape(-1, *fake.shape[3:])
        return SampleBatch.labelled(g, c, theta.shape[0])

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator,
        weights: np.ndarray,
        rng: np.random.Generator,
        part: int = 0,
        parts: int = 1,
    ) -> Evaluation:
        return judge_samples(self.samples(theta, rng), discriminator, weights)
