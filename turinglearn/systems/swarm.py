"""Systems: where genuine and counterfeit samples come from.

:class:`SwarmSystem` runs a swarm simulator in which genuine agents run the ground truth and
replicas run the models. Agents and replicas share one batched rollout and one observation
pipeline; only the labels, kept outside the samples, tell them apart.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import (
    Evaluation,
    PolicyFamily,
    SampleBatch,
    check_instance,
    judge_samples,
)


class SwarmSystem:
    """Genuine agents plus replicas of each model, simulated together.

    sim: a batched swarm simulator (``rollout``, ``swarm_params``, ``model_family``, ``truth``,
    ``config.n_agents`` / ``config.n_replicas``).
    trials_per_model: independent trials per model; genuine_per_trial: agents of each trial
    whose trajectories are used as genuine samples (chosen at random).

    One call with ``M`` models simulates ``M * trials_per_model`` swarms and returns
    ``M * trials * n_replicas`` counterfeit and ``M * trials * genuine_per_trial`` genuine samples.
    """

    def __init__(self, sim, trials_per_model: int = 1, genuine_per_trial: int = 1):
        check_instance(sim)
        self.sim = sim
        self.model_family = sim.model_family
        self.truth = sim.truth
        self.trials_per_model = trials_per_model
        self.genuine_per_trial = genuine_per_trial
        n_agents, n_rep = sim.config.n_agents, sim.config.n_replicas
        if n_rep < 1:
            raise ValueError("a swarm system needs at least one replica per trial (n_replicas >= 1)")
        if not 1 <= genuine_per_trial <= n_agents:
            raise ValueError(f"genuine_per_trial must be between 1 and n_agents = {n_agents}")

    def features(self, theta: np.ndarray, rng: np.random.Generator, trials: int) -> np.ndarray:
        """Every robot's features when each model runs ``trials`` swarms: [M, trials, N, T, F]."""
        m = theta.shape[0]
        # [M*trials, N, d] (policies: [M*trials, d])
        swarm = self.sim.swarm_params(np.repeat(theta, trials, axis=0))
        feats = np.asarray(self.sim.rollout(swarm, rng).features)  # [M*trials, N, T, F] (a list is read too, as the checker does)
        return feats.reshape(m, trials, *feats.shape[1:])

    #: joins the genuine and counterfeit samples (a subclass on other arrays swaps it)
    concatenate = staticmethod(np.concatenate)

    def trajectories(self, theta: np.ndarray, rng: np.random.Generator, trials: int | None = None):
        """Run every model ``trials`` times: (genuine [M, trials, n_agents, T, F],
        counterfeit [M, trials, n_replicas, T, F])."""
        trials = self.trials_per_model if trials is None else trials
        feats = self.features(theta, rng, trials)
        n_agents = self.sim.config.n_agents
        return feats[:, :, :n_agents], feats[:, :, n_agents:]

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        m, trials = theta.shape[0], self.trials_per_model
        feats = self.features(theta, rng, trials)
        n_agents = self.sim.config.n_agents
        # pick genuine_per_trial distinct agents in every trial
        pick = np.argsort(rng.random((m, trials, n_agents)), axis=-1)[..., : self.genuine_per_trial]
        genuine = feats[np.arange(m)[:, None, None], np.arange(trials)[None, :, None], pick]
        g = genuine.reshape(-1, *feats.shape[3:])  # [M*trials*g, T, F]
        c = feats[:, :, n_agents:].reshape(-1, *feats.shape[3:])  # [M*trials*R, T, F]
        return SampleBatch.labelled(g, c, m, self.concatenate)

    def evaluate(
        self,
        theta: np.ndarray,
        discriminator,
        weights: np.ndarray,
        rng: np.random.Generator,
        part: int = 0,
        parts: int = 1,
    ) -> Evaluation:
        """Passive: one shared batch of samples, judged by every discriminator."""
        return judge_samples(self.samples(theta, rng), discriminator, weights)


def run_swarms(sim, theta: np.ndarray, genuine: np.ndarray, rng: np.random.Generator, record: bool = False):
    """Run ``B`` swarms in which robot ``n`` of swarm ``b`` runs the truth where ``genuine[b, n]``
    and the model ``theta[b]`` elsewhere (theta [B, d], genuine [B, N] bool); the simulator's rollout."""
    if isinstance(sim.model_family, PolicyFamily):  # turinglearn.families.policies.PolicySwarm
        return sim.rollout(theta, rng, record=record, genuine=genuine)
    params = np.where(genuine[..., None], sim.truth, np.asarray(theta, float)[:, None, :])  # [B, N, d]
    return sim.rollout(params, rng, record=record)


#: robots' positions in a snapshot are relative to the swarm's centroid, in units of this (m)
SNAPSHOT_SCALE = 0.5


def snapshots(pos: np.ndarray, features: np.ndarray, times: int) -> np.ndarray:
    """Every robot's state at ``times`` evenly spaced steps (the last one included), as a set.

    pos: [B, T + 1, N, 2]; features: [B, N, T, F]. Returns [B, N, times * (2 + F)]: per time,
    the robot's position relative to the swarm's centroid (in units of ``SNAPSHOT_SCALE``) and
    its observed features over the step that ended there. Robots are the set axis: nothing in
    a row depends on the robots' order.
    """
    steps = features.shape[2]
    at = [round(steps * (k + 1) / times) for k in range(times)]  # 1 .. T
    parts = []
    for t in at:
        p = pos[:, t]  # [B, N, 2]
        parts += [(p - p.mean(axis=1, keepdims=True)) / SNAPSHOT_SCALE, features[:, :, t - 1]]
    return np.concatenate(parts, axis=-1)


class SwarmSnapshotSystem(SwarmSystem):
    """Whole swarms as samples, for discriminators of collective behaviour.

    A genuine sample is a swarm in which every robot runs the truth, a counterfeit one a swarm
    in which every robot runs a model (``trials_per_model`` swarms per model, as many genuine
    swarms); a sample is the set of the robots' states at ``times`` moments
    (:func:`snapshots`): x [S, N, times * (2 + F)]. :meth:`trajectories` (used by C2ST and the
    metric baselines) is :class:`SwarmSystem`'s: agents and replicas in one swarm.
    """

    def __init__(self, sim, trials_per_model: int = 1, times: int = 4):
        super().__init__(sim, trials_per_model, 1)
        self.times = times

    @property
    def n_inputs(self) -> int:
        return self.times * (2 + len(self.sim.feature_names))

    def samples(self, theta: np.ndarray, rng: np.random.Generator) -> SampleBatch:
        m = theta.shape[0]
        th = np.repeat(theta, self.trials_per_model, axis=0)  # [B, d], B = M * trials
        b, n = len(th), self.sim.config.n_agents + self.sim.config.n_replicas  # N, the contract's
        genuine = np.zeros((2 * b, n), dtype=bool)
        genuine[b:] = True  # the first B swarms run the models, the next B the truth
        run = run_swarms(self.sim, np.concatenate([th, th]), genuine, rng, record=True)
        return SampleBatch(
            x=snapshots(run.pos, run.features, self.times),
            genuine=genuine[:, 0],
            owner=np.concatenate([np.repeat(np.arange(m), self.trials_per_model), np.full(b, -1)]),
        )
