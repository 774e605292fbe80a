"""Interactive Turing Learning: discriminators that act on the system while they watch it.

The contract: an environment's batched simulator declares ``stimulus_space`` (a bounded
``gymnasium.spaces.Box`` of shape ``(k,)``) and steps as
``step(state, params[..., d], stimulus[..., k], rng) -> (state, features[..., F])`` over any batch
shape; ``passive_schedule() -> [T, k]`` is what a passive observer applies. An interrogator is
a recurrent discriminator with ``1 + k`` outputs: output 0 is its judgement after the last
step (or its mean over the steps: ``readout``), outputs ``1..k`` are mapped into the stimulus
space and applied at the next step.

Because the system responds to each interrogator's own stimuli, every interrogator runs its
own trials: ``G`` genuine ones and one per model, batched as ``[D, G + M]`` episodes. Passive
discrimination is the special case of the fixed schedule: the trials no longer depend on the
discriminator, so the batch collapses to ``[1, G + M]`` episodes that all discriminators watch;
the same loop serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from turinglearn.core.contracts import Evaluation, SampleBatch, check_instance, frozen, readout
from turinglearn.errors import ConfigError


def check_stimulus_space(space) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (low [k], high [k]) of a usable stimulus space, else a ConfigError saying why."""
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise ConfigError(
            f"the stimulus space must be a gymnasium.spaces.Box of shape (k,), got {space!r}; "
            "declare e.g. Box(0.0, 1.0, shape=(1,)) on the simulator (for an ON/OFF stimulus, threshold it in "
            "step: stimulus[..., 0] > 0.5)"
        )
    low, high = np.asarray(space.low, float), np.asarray(space.high, float)
    if not (np.isfinite(low).all() and np.isfinite(high).all() and (high >= low).all() and (high > low).any()):
        raise ConfigError(
            f"the stimulus space must have finite bounds with high >= low in every component and high > low in one, "
            f"got {space!r} (a component whose low equals its high is held there: e.g. a push that leaves one "
            "action component alone)"
        )
    return low, high


@dataclass
class Interrogation:
    """What a batch of trials under interrogation produced.

    outputs: [D, S] judgements after the last step (or their mean over the steps, an Elman
    network's ``readout``); stimuli: [Db, T, S, k] and features:
    [Db, T, S, F] when recorded (Db = D interactive, 1 passive), else None.
    """

    outputs: np.ndarray
    stimuli: np.ndarray | None = None
    features: np.ndarray | None = None


class InteractiveSystem:
    """A stimulus-driven simulator under interrogation (see the module docstring).

    sim: the batched simulator (``stimulus_space``, ``step``, ``reset``, ``passive_schedule``,
    ``model_family``, ``truth``, ``config.steps``); genuine_trials: ``G``, the trials of the
    system each interrogator runs per generation; trials_per_model: trials of each model per
    interrogator; passive: apply ``passive_schedule()`` instead of the interrogators' stimuli.
    """

    def __init__(self, sim, genuine_trials: int = 100, trials_per_model: int = 1, passive: bool = False):
        check_instance(sim)
        self.sim = sim
        self.model_family = sim.model_family
        self.truth = sim.truth
        self.genuine_trials = genuine_trials
        self.trials_per_model = trials_per_model
        self.passive = passive
        self.low, self.high = check_stimulus_space(sim.stimulus_space)
        schedule = np.asarray(sim.passive_schedule(), dtype=float)
        want = (sim.config.steps, len(self.low))
        if schedule.shape != want:
            raise ConfigError(
                f"passive_schedule() has shape {schedule.shape}; the stimulus space needs {want}"
            )
        if ((schedule < self.low) | (schedule > self.high)).any():
            raise ConfigError("passive_schedule() leaves the declared stimulus space")
        self.schedule = schedule
        self._probe()

    def _probe(self) -> None:
        """Step a tiny batch with stimuli at the corners of the declared space, so a simulator
        whose step does not accept its own declared stimulus fails here, with a clear message."""
        rng = np.random.default_rng(0)
        stim = np.stack([self.low, self.high])  # [2, k]
        params = np.tile(np.asarray(self.truth, float), (2, 1))
        n_feat = len(self.sim.feature_names)
        try:
            state = self.sim.reset(rng, (2,))
            _, feats = self.sim.step(state, frozen(params), frozen(stim), rng)
        except Exception as e:  # the user's simulator: any failure is a contract violation
            raise ConfigError(
                f"{type(self.sim).__name__}.step failed on a batch of 2 trials of the truth under stimuli at the "
                f"corners of its declared stimulus space {self.sim.stimulus_space} (stimulus shape {stim.shape}): "
                f"{type(e).__name__}: {e} (turinglearn.check_environment(sim) says more)"
            ) from None
        if np.shape(feats) != (2, n_feat):
            raise ConfigError(
                f"{type(self.sim).__name__}.step returned features of shape {np.shape(feats)} for a batch of 2; "
                f"expected (2, {n_feat}) = (batch, len(feature_names))"
            )

    @property
    def n_stimuli(self) -> int:
        return len(self.low)

    @property
    def n_outputs(self) -> int:
        """Outputs a discriminator needs: the judgement, plus one per stimulus dimension if interactive."""
        return 1 if self.passive else 1 + self.n_stimuli

    def check_discriminator(self, discriminator) -> None:
        n_in = len(self.sim.feature_names)
        if discriminator.n_inputs != n_in:
            raise ConfigError(
                f"the discriminator takes {discriminator.n_inputs} inputs; this system gives {n_in} features"
            )
        if not self.passive and discriminator.n_outputs != self.n_outputs:
            raise ConfigError(
                f"an interrogator of this system needs {self.n_outputs} outputs (judgement + {self.n_stimuli} "
                f"stimulus dimensions of {self.sim.stimulus_space}), got {discriminator.n_outputs}"
            )

    def to_stimulus(self, out: np.ndarray) -> np.ndarray:
        """Map interrogator outputs [..., 1 + k] (in (0, 1)) into the stimulus space: [..., k]."""
        stim = np.empty((*out.shape[:-1], self.n_stimuli))
        # one dimension at a time with scalar bounds: several times faster than broadcasting
        # [k] bounds over a short last axis, and the same numbers
        for j, (lo, hi) in enumerate(zip(self.low.tolist(), self.high.tolist(), strict=True)):
            np.clip(lo + (hi - lo) * out[..., 1 + j].astype(np.float64), lo, hi, out=stim[..., j])
        return stim

    def run(
        self,
        params: np.ndarray,
        discriminator,
        weights: np.ndarray,
        rng: np.random.Generator,
        record: bool = False,
    ) -> Interrogation:
        """Trials of agents params[S, d] under interrogators weights[D, k]; see :class:`Interrogation`."""
        self.check_discriminator(discriminator)
        d, s, t_max = weights.shape[0], params.shape[0], self.sim.config.steps
        db = 1 if self.passive else d
        net = discriminator.unpack(np.asarray(weights, dtype=discriminator.dtype))
        state = self.sim.reset(rng, (db, s))
        h = np.zeros((d, s, discriminator.n_hidden), dtype=discriminator.dtype)  # context [D, S, H]
        out = discriminator.output(net, h)  # [D, S, O]: the first stimulus comes from the biases
        stimuli = np.empty((db, t_max, s, self.n_stimuli)) if record else None
        feats_rec = np.empty((db, t_max, s, len(self.sim.feature_names))) if record else None
        mean = readout(discriminator) == "mean"  # judge by the mean of output 0 over the steps
        total = np.zeros((d, s))
        for t in range(t_max):
            stim = (
                np.broadcast_to(self.schedule[t], (db, s, self.n_stimuli))
                if self.passive
                else self.to_stimulus(out)
            )
            state, feats = self.sim.step(state, frozen(params[None]), frozen(stim), rng)  # feats [Db, S, F]
            h = discriminator.hidden_step(net, np.asarray(feats, discriminator.dtype), h)
            out = discriminator.output(net, h)
            if mean:
                total += out[..., 0]
            if record:
                stimuli[:, t], feats_rec[:, t] = stim, feats
        judged = total / t_max if mean else out[..., 0].astype(np.float64)
        return Interrogation(judged, stimuli, feats_rec)

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator,
        weights: np.ndarray,
        rng: np.random.Generator,
        part: int = 0,
        parts: int = 1,
    ) -> Evaluation:
        """Every interrogator runs trials of the system and ``trials_per_model`` of every model,
        and judges each. The ``G`` genuine trials of a generation are shared among its chunks:
        chunk ``part`` of ``parts`` runs its share of them, so a generation runs ``G`` in all."""
        m = theta.shape[0]
        g = len(np.array_split(np.arange(self.genuine_trials), parts)[part])
        fakes = np.repeat(theta, self.trials_per_model, axis=0)
        params = np.concatenate([np.tile(self.truth, (g, 1)), fakes])  # [S = g + M * trials, d]
        genuine = np.arange(len(params)) < g
        owner = np.concatenate([np.full(g, -1), np.repeat(np.arange(m), self.trials_per_model)])
        return Evaluation(self.run(params, discriminator, weights, rng).outputs, genuine, owner)

    def trajectories(self, theta: np.ndarray, rng: np.random.Generator, trials: int, schedule=None):
        """Trials of the system and of models (for C2ST and the metric baselines):
        (genuine [M, trials, 1, T, F], counterfeit [M, trials, 1, T, F]).

        schedule: what drives both sides (docs/design.md, "The held-out test"):

        - ``None`` or ``"random"`` (the default): each trial draws its stimulus uniformly from
          the stimulus space every step, and the genuine and counterfeit trial of the same index
          share it;
        - ``"passive"``: the passive schedule, ``passive_schedule()`` [T, k], in every trial;
        - an array: a user's schedule, [T, k] for every trial or [n, T, k], trial ``i`` taking
          schedule ``i % n``;
        - :class:`Interrogators`: the given interrogators act, closed loop, trial ``i`` under
          interrogator ``i % D``; the genuine and counterfeit trial of the same index face the
          same interrogator, each reacting to what it sees.
        """
        m, t_max = theta.shape[0], self.sim.config.steps
        n = m * trials
        params = np.concatenate([np.tile(self.truth, (n, 1)), np.repeat(theta, trials, axis=0)])  # [2n, d]
        if isinstance(schedule, Interrogators):
            feats = self._interrogated(params, schedule, rng)
        else:
            if schedule is None or (isinstance(schedule, str) and schedule == "random"):
                stim = rng.uniform(self.low, self.high, size=(n, t_max, self.n_stimuli))  # [n, T, k]
            elif isinstance(schedule, str) and schedule == "passive":
                stim = np.broadcast_to(self.schedule, (n, t_max, self.n_stimuli))
            elif isinstance(schedule, str):
                raise ValueError(
                    f"unknown schedule {schedule!r}: 'random', 'passive', an array or Interrogators"
                )
            else:
                stim = self.user_schedule(schedule)
                stim = stim[np.arange(n) % len(stim)]  # [n, T, k]
            stim = np.concatenate([stim, stim])  # the same stimuli for both
            state = self.sim.reset(rng, (2 * n,))
            feats = []
            for t in range(t_max):
                state, f = self.sim.step(state, frozen(params), frozen(stim[:, t]), rng)
                feats.append(f)
            feats = np.stack(feats, axis=1)  # [2n, T, F]
        shape = (m, trials, 1, *feats.shape[1:])
        return feats[:n].reshape(shape), feats[n:].reshape(shape)

    def interrogated_samples(
        self, theta: np.ndarray, discriminator, weights: np.ndarray, rng: np.random.Generator, trials: int | None = None
    ) -> SampleBatch:
        """Labelled samples of an interrogated system, for a critic that reads finished trials:
        ``trials`` trials (None: ``trials_per_model``) of every model theta[M, d] and as many of the system, the
        genuine and the counterfeit trial of index ``i`` both under one interrogator, closed
        loop (:meth:`trajectories` with :class:`Interrogators`): the interrogators
        ``weights`` [D, k] in an order drawn from ``rng``, trial ``i`` under the ``i % D``-th,
        so that every chunk of a generation, however few its trials, meets any of them. A
        passive system's trials are all under its passive schedule.
        Returns x [2 M trials, T, F], the system's first (owner -1)."""
        by = "passive" if self.passive else Interrogators(discriminator, weights[rng.permutation(len(weights))])
        return self._labelled(theta, rng, by, trials)

    def _labelled(self, theta: np.ndarray, rng: np.random.Generator, schedule, trials: int | None = None) -> SampleBatch:
        """``trials`` trials (None: ``trials_per_model``) of every model theta[M, d] and as many of
        the system under ``schedule`` (:meth:`trajectories`), labelled: x [2 M trials, T, F], the
        system's first."""
        trials = self.trials_per_model if trials is None else trials
        genuine, fake = self.trajectories(theta, rng, trials, schedule=schedule)
        g, c = (a.reshape(-1, *a.shape[3:]) for a in (genuine, fake))  # [M trials, T, F]
        return SampleBatch.labelled(g, c, theta.shape[0])

    def user_schedule(self, schedule) -> np.ndarray:
        """A user's stimulus schedule as [n, T, k], checked against the stimulus space."""
        stim = np.asarray(schedule, dtype=float)
        want = (self.sim.config.steps, self.n_stimuli)
        if stim.ndim == 2:
            stim = stim[None]
        if stim.ndim != 3 or stim.shape[1:] != want or len(stim) == 0:
            raise ConfigError(
                f"a stimulus schedule must have shape {want} or (n, *{want}), got {np.shape(schedule)}"
            )
        if ((stim < self.low) | (stim > self.high)).any():
            raise ConfigError(f"the stimulus schedule leaves the stimulus space {self.sim.stimulus_space}")
        return stim

    def _interrogated(self, params: np.ndarray, by: Interrogators, rng: np.random.Generator) -> np.ndarray:
        """Trials params [2n, d] (genuine, then counterfeit) each under one interrogator: [2n, T, F].

        Trials are laid out as [D, per] episodes, interrogator ``j`` running trials ``j, j + D, ...``
        of both halves; padding rows (when D does not divide n) are simulated and dropped."""
        disc = by.discriminator
        self.check_discriminator(disc)
        weights = np.asarray(by.weights, dtype=disc.dtype)
        n2 = len(params)
        n = n2 // 2
        d = min(len(weights), n)
        per = -(-n // d)  # trials per interrogator and side
        idx = np.arange(d * per)  # trial index of slot [j, i] = i * d + j
        slot = idx.reshape(per, d).T  # [D, per]
        valid = slot < n
        rows = np.concatenate([np.where(valid, slot, 0), np.where(valid, slot + n, n)], axis=1)  # [D, 2 per]
        p = params[rows]  # [D, 2 per, d]
        net = disc.unpack(weights[:d])
        state = self.sim.reset(rng, rows.shape)
        h = np.zeros((*rows.shape, disc.n_hidden), dtype=disc.dtype)
        out = disc.output(net, h)
        feats = np.empty((*rows.shape, self.sim.config.steps, len(self.sim.feature_names)))
        for t in range(self.sim.config.steps):
            state, f = self.sim.step(state, frozen(p), frozen(self.to_stimulus(out)), rng)  # f [D, 2 per, F]
            h = disc.hidden_step(net, np.asarray(f, disc.dtype), h)
            out = disc.output(net, h)
            feats[:, :, t] = f
        result = np.empty((n2, *feats.shape[2:]))
        keep = np.concatenate([valid, valid], axis=1)
        result[rows[keep]] = feats[keep]
        return result


@dataclass
class Interrogators:
    """A schedule for :meth:`InteractiveSystem.trajectories`: interrogators ``weights [D, k]``
    of the family ``discriminator`` act on both sides, closed loop (e.g. a run's final
    population plus its hall of fame)."""

    discriminator: object
    weights: np.ndarray


class WatchedSystem(InteractiveSystem):
    """An interactive system watched under its passive schedule (``passive`` always), which
    therefore also gives finished samples to judges that learn from them (a
    :class:`~turinglearn.core.contracts.PassiveSystem`); an interrogated one is judged inside
    its loop, each judge on trials of its own, and gives a critic pairs of trials under the
    same interrogator (:meth:`InteractiveSystem.interrogated_samples`)."""

    def __init__(self, sim, genuine_trials: int = 100, trials_per_model: int = 1):
        super().__init__(sim, genuine_trials, trials_per_model, passive=True)

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        """For each model theta[M, d], ``trials_per_model`` passive trials of it and as many of
        the system: x [2 M trials, T, F], the system's first (owner -1)."""
        return self._labelled(theta, rng, "passive")
