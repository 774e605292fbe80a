"""Model families beyond parameter vectors: neural policies (and, in :mod:`turinglearn.families.gp`,
evolved programs) that run in place of a swarm simulator's reactive controller.

A *policy family* turns genotype rows ``theta[B, d]`` into a running policy that maps every
replica's discrete sensor reading to wheel speeds, batched over all swarms of a rollout
(``start(theta).act(sensor[B, R]) -> wheels[B, R, 2]``, one batched matmul per layer per step).
:class:`PolicySwarm` wraps a swarm simulator (aggregation, object clustering) so that its
genuine agents keep the ground-truth reactive controller while the replicas run the policy.

What a run reports: a policy over ``S`` discrete sensor states is summarised by the wheel
speeds it commands in each state, the *effective reactive controller* ``(v_l0, v_r0, ...)``
(:meth:`report`), exact for memoryless policies, the settled response to a constant reading
for recurrent ones. That is the space in which the truth is known, so metrics, plots and the
parameter error of these families are given there.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from turinglearn.core.contracts import BehaviourMetrics, PolicyFamily
from turinglearn.families import nets
from turinglearn.families.parametric import ReactiveController


def one_hot(sensor: np.ndarray, n_states: int) -> np.ndarray:
    """sensor [...] ints in [0, S) -> [..., S] float."""
    return (sensor[..., None] == np.arange(n_states)).astype(float)


class _FlatWeights:
    """What the neural policies share: a model is one flat row of weights (``shapes``, in
    torch's order) within ``[-bound, bound]``, reported as the reactive controller it acts as."""

    shapes: list
    bound: float
    n_states: int

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"w{i}" for i in range(self.n_params))

    @property
    def lower(self) -> np.ndarray:
        return np.full(self.n_params, -self.bound)

    @property
    def upper(self) -> np.ndarray:
        return np.full(self.n_params, self.bound)

    @property
    def reported(self) -> ReactiveController:
        return ReactiveController(self.n_states)


@dataclass(frozen=True)
class MLPPolicy(_FlatWeights):
    """A memoryless neural policy: one-hot sensor state (S inputs) -> ``hidden`` tanh units ->
    2 wheel speeds, clipped to [-1, 1]. The flat row is ``torch.nn.Sequential(Linear(S, H),
    Tanh(), Linear(H, 2), Hardtanh())``'s parameters in torch's order (:meth:`torch_module`).
    Weights are bounded to ``[-bound, bound]``."""

    n_states: int = 2
    hidden: int = 4
    bound: float = 3.0

    @property
    def shapes(self):
        return nets.mlp_shapes(self.n_states, self.hidden, 2)

    def start(self, theta: np.ndarray) -> _MLPRun:
        """The policies of rows theta [B, d], ready to act for every replica of swarm ``b``."""
        return _MLPRun(nets.split(np.asarray(theta, float), self.shapes), self.n_states)

    def report(self, theta: np.ndarray) -> np.ndarray:
        """Effective reactive controller [M, 2 S]: the wheel speeds in every sensor state."""
        states = np.broadcast_to(np.arange(self.n_states), (len(theta), self.n_states))
        return self.start(theta).act(states).reshape(len(theta), -1)

    def torch_module(self, row: np.ndarray | None = None):
        module = nets.torch_mlp(self.n_states, self.hidden, 2, clip=True)
        if row is not None:
            nets.load_flat(module, row)
        return module


class _MLPRun:
    def __init__(self, params, n_states):
        self.params, self.n_states = params, n_states

    def act(self, sensor: np.ndarray) -> np.ndarray:
        """sensor [B, R] -> wheels [B, R, 2], every swarm's replicas through their own net."""
        return np.clip(nets.mlp(self.params, one_hot(sensor, self.n_states)), -1.0, 1.0)


@dataclass(frozen=True)
class GRUPolicy(_FlatWeights):
    """A recurrent neural policy: one-hot sensor state -> GRU cell (``hidden`` units, state
    starts at 0 every trial) -> Linear(H, 2) -> clipped to [-1, 1]. The flat row is
    ``GRUCell(S, H)``'s parameters followed by the Linear layer's, in torch's order."""

    n_states: int = 2
    hidden: int = 4
    bound: float = 3.0
    settle_steps: int = 20

    @property
    def shapes(self):
        h = self.hidden
        return [*nets.gru_shapes(self.n_states, h), (2, h), (2,)]

    def start(self, theta: np.ndarray) -> _GRURun:
        return _GRURun(nets.split(np.asarray(theta, float), self.shapes), self.n_states)

    def report(self, theta: np.ndarray) -> np.ndarray:
        """The wheel speeds [M, 2 S] after ``settle_steps`` steps of a constant reading in each
        sensor state (from the zero state)."""
        states = np.broadcast_to(np.arange(self.n_states), (len(theta), self.n_states))
        run = self.start(theta)
        for _ in range(self.settle_steps):
            wheels = run.act(states)
        return wheels.reshape(len(theta), -1)

    def torch_modules(self, row: np.ndarray | None = None):
        """(GRUCell, Sequential(Linear(H, 2), Hardtanh())) with ``row``'s weights."""
        import torch

        cell = nets.torch_gru_cell(self.n_states, self.hidden)
        head = torch.nn.Sequential(torch.nn.Linear(self.hidden, 2), torch.nn.Hardtanh()).double()
        if row is not None:
            k = sum(int(np.prod(s)) for s in nets.gru_shapes(self.n_states, self.hidden))
            nets.load_flat(cell, row[:k])
            nets.load_flat(head, row[k:])
        return cell, head


class _GRURun:
    def __init__(self, params, n_states):
        self.cell = nets.gru_prepare(params[:4])
        self.w_out, self.b_out = params[4].transpose(0, 2, 1), params[5][:, None, :]
        self.n_states = n_states
        self.h: np.ndarray | None = None  # [B, R, H]

    def act(self, sensor: np.ndarray) -> np.ndarray:
        """sensor [B, R] -> wheels [B, R, 2]; advances every replica's hidden state."""
        gi = nets.gru_input(self.cell, one_hot(sensor, self.n_states))  # [B, R, 3H]
        if self.h is None:
            self.h = np.zeros((*sensor.shape, self.cell[1].shape[1]))
        self.h = nets.gru_step(self.cell, gi, self.h)
        return np.clip(np.matmul(self.h, self.w_out) + self.b_out, -1.0, 1.0)


class PolicySwarm:
    """A swarm simulator whose replicas run a policy family; its genuine agents keep the
    simulator's own reactive controller with the ground truth.

    sim: a batched swarm simulator with ``reset``, ``sense``, ``step``, a reactive
    ``model_family`` and ``truth`` (aggregation, object clustering); policy: a policy family
    (:class:`MLPPolicy`, :class:`GRUPolicy`, :class:`~turinglearn.families.gp.GPFamily`) over the same
    number of sensor states. It follows the simulator contract that
    :class:`~turinglearn.systems.swarm.SwarmSystem` uses (``swarm_params``, ``rollout``), so real and
    counterfeit robots still share one rollout and one observation pipeline.
    """

    stimulus_space = None

    def __init__(self, sim, policy):
        n_states = sim.model_family.n_states
        if policy.reported.n_states != n_states:
            raise ValueError(
                f"the policy has {policy.reported.n_states} sensor states; the simulator {n_states}"
            )
        self.sim, self.model_family = sim, policy
        self.config, self.feature_names = sim.config, sim.feature_names
        self.truth = sim.truth  # in the policy's reported space: the effective reactive controller

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """The replicas' genotypes, one row per swarm: theta [B, d] (unchanged)."""
        return theta

    def rollout(self, theta: np.ndarray, rng: np.random.Generator, *, record: bool = False, genuine=None):
        """Run ``B`` trials in which the replicas of swarm ``b`` run ``theta[b]``.

        genuine: [B, N] bool, which robots run the truth (default: the first ``n_agents``).
        Returns features [B, N, T, F] (and pos [B, T + 1, N, 2], heading [B, T + 1, N] when recorded).
        """
        cfg = self.config
        b, n = len(theta), cfg.n_agents + cfg.n_replicas
        if genuine is None:
            genuine = np.broadcast_to(np.arange(n) < cfg.n_agents, (b, n))
        state = self.sim.reset(rng, b)
        truth = np.broadcast_to(self.truth, (b, n, len(self.truth)))
        policy = self.model_family.start(theta)
        feats = np.empty((b, n, cfg.steps, len(self.feature_names)))
        pos = np.empty((b, cfg.steps + 1, n, 2)) if record else None
        heading = np.empty((b, cfg.steps + 1, n)) if record else None
        if record:
            pos[:, 0], heading[:, 0] = state.pos, state.heading
        for t in range(cfg.steps):
            sensor = self.sim.sense(state)  # [B, N]
            wheels = np.where(
                genuine[..., None], self.sim.model_family.act(truth, sensor), policy.act(sensor)
            )  # [B, N, 2]
            state, feats[:, :, t] = self.sim.step(state, wheels)
            if record:
                pos[:, t + 1], heading[:, t + 1] = state.pos, state.heading
        return SimpleNamespace(features=feats, pos=pos, heading=heading)

    def behaviour_metrics(self, theta: np.ndarray, rng: np.random.Generator, **kw) -> dict | None:
        """The simulator's task-level metrics of an effective controller theta [q] (in the
        reported space), where the simulator has them (:class:`BehaviourMetrics`)."""
        if isinstance(self.sim, BehaviourMetrics):
            return self.sim.behaviour_metrics(theta, rng, **kw)
        return None


def reported_family(family):
    """The family whose names, bounds and truth a run reports: the effective controller for
    policy families, the family itself for parameter families."""
    return family.reported if isinstance(family, PolicyFamily) else family


def report(family, theta: np.ndarray) -> np.ndarray:
    """theta [M, d] in the reported space: [M, q]."""
    return family.report(theta) if isinstance(family, PolicyFamily) else np.asarray(theta, float)
