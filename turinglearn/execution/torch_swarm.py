"""The torch backend: the aggregation swarm and the Elman discriminators as torch tensors.

Selected per run with ``execution.array = "torch"`` and ``execution.device = "cpu"`` or
``"cuda"`` (``"cuda:1"``, ...). The batched simulation and the judgement then run on that
device and only the judges' outputs ([D, S] numbers) come back to numpy; the populations, the
evolution strategy and everything else stay as they are.

The physics is :mod:`turinglearn.environments._swarm`'s, step for step (same formulas, same
order, same collision passes); on the CPU in float64 it reproduces the numpy simulator to
rounding. On CUDA it runs in float32 (``execution.precision``), which is what pays on a GPU.
Initial placements are drawn by the numpy generator of the chunk, so a torch run and a numpy
run start every trial from the same positions.

It pays for big batches on a GPU (thousands of models); for the default 100 models on a CPU the
numpy backend is faster (per-operation overhead dominates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from turinglearn.environments import _swarm
from turinglearn.environments.aggregation import AggregationSim
from turinglearn.errors import ConfigError
from turinglearn.execution.device import resolve_device
from turinglearn.families.elman import ElmanNetwork
from turinglearn.systems.swarm import SwarmSystem

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _wrap_angle(theta):
    return torch.pi - torch.remainder(torch.pi - theta, 2 * torch.pi)


class TorchAggregation:
    """:class:`~turinglearn.environments.aggregation.AggregationSim`'s rollout on a torch device."""

    def __init__(self, sim: AggregationSim, device: torch.device, dtype: torch.dtype):
        if not isinstance(sim, AggregationSim) or type(sim).rollout is not AggregationSim.rollout:
            raise ConfigError(
                f"the torch backend simulates turinglearn/Aggregation-v0 only, not {type(sim).__name__}; "
                "use execution.array = 'numpy' for this environment",
                "execution.array",
            )
        self.sim, self.device, self.dtype = sim, device, dtype
        n = sim.config.n_robots
        first, second = np.triu_indices(n, 1)
        self.first = torch.as_tensor(first, device=device)
        self.second = torch.as_tensor(second, device=device)

    def _tensor(self, a) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a), dtype=self.dtype, device=self.device)

    def resolve_overlaps(self, pos: torch.Tensor) -> torch.Tensor:
        """:func:`~turinglearn.environments._swarm.resolve_overlaps` in torch (same passes)."""
        radius, tol = _swarm.ROBOT_RADIUS, _swarm.RESOLVE_TOL
        pos = pos.clone()
        b, n, _ = pos.shape
        limit2 = (2 * radius - tol) ** 2
        active = torch.arange(b, device=self.device)
        for _ in range(_swarm.RESOLVE_MAX_PASSES):
            sub = pos[active]
            d = sub[:, self.first] - sub[:, self.second]  # [b', P, 2]
            dist2 = d[..., 0] ** 2 + d[..., 1] ** 2
            ep, pair = torch.nonzero(dist2 < limit2, as_tuple=True)
            if ep.numel() == 0:
                return pos
            dist = torch.sqrt(dist2[ep, pair])
            dd = d[ep, pair]
            gap = 2 * radius - dist + tol
            coincident = dist < 1e-12
            if bool(coincident.any()):
                dd[coincident] = torch.tensor([1.0, 0.0], dtype=self.dtype, device=self.device)
                dist = torch.where(coincident, torch.ones_like(dist), dist)
            move = dd * (_swarm.RESOLVE_RELAXATION * gap / (2 * dist))[:, None]
            m = len(active)
            on_i = ep * n + self.first[pair]
            on_j = ep * n + self.second[pair]
            disp = torch.zeros((m * n, 2), dtype=self.dtype, device=self.device)
            disp.index_add_(0, on_i, move)
            disp.index_add_(0, on_j, -move)
            pos[active] = sub + disp.reshape(m, n, 2)
            active = active[torch.unique(ep)]
        return pos  # pragma: no cover

    def rollout(self, params: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
        """Features [B, N, T, 2] on the device; params [B, N, 4] (numpy), start drawn by ``rng``."""
        state = self.sim.reset(rng, params.shape[0])  # the numpy simulator's placement
        pos, heading = self._tensor(state.pos), self._tensor(state.heading)
        pairs = self._tensor(params).reshape(*params.shape[:2], 2, 2)  # [B, N, sensor state, wheel]
        b, n = heading.shape
        t_max = self.sim.config.steps
        feats = torch.empty((b, n, t_max, 2), dtype=self.dtype, device=self.device)
        vmax, axle, dt = _swarm.MAX_WHEEL_SPEED, _swarm.AXLE, _swarm.DT
        for t in range(t_max):
            c, s = torch.cos(heading), torch.sin(heading)
            # sense: any robot ahead within a body radius of the ray (never itself: t > 0)
            d = pos[:, None, :, :] - pos[:, :, None, :]  # [B, N, N, 2]
            along = d[..., 0] * c[..., None] + d[..., 1] * s[..., None]
            across = d[..., 1] * c[..., None] - d[..., 0] * s[..., None]
            sensor = ((along > 0) & (across.abs() <= _swarm.ROBOT_RADIUS)).any(-1)  # [B, N]
            wheels = torch.where(sensor[..., None], pairs[:, :, 1], pairs[:, :, 0]).clamp(-1.0, 1.0)
            v = vmax * (wheels[..., 0] + wheels[..., 1]) / 2
            w = vmax * (wheels[..., 1] - wheels[..., 0]) / axle
            new_pos = pos + torch.stack([c, s], dim=-1) * (v * dt)[..., None]
            new_heading = _wrap_angle(heading + w * dt)
            new_pos = self.resolve_overlaps(new_pos)
            disp = new_pos - pos
            lin = (disp[..., 0] * c + disp[..., 1] * s) / dt
            ang = _wrap_angle(new_heading - heading) / dt
            feats[:, :, t, 0] = lin / vmax
            feats[:, :, t, 1] = ang / _swarm.MAX_ANGULAR_SPEED
            pos, heading = new_pos, new_heading
        return feats


class TorchSwarmSystem(SwarmSystem):
    """:class:`~turinglearn.systems.swarm.SwarmSystem` whose trials are simulated by torch; samples
    stay on the device for a :class:`TorchElman` judge."""

    def __init__(self, sim, trials_per_model: int, genuine_per_trial: int, device, dtype):
        super().__init__(sim, trials_per_model, genuine_per_trial)
        self.torch_sim = TorchAggregation(sim, device, dtype)

    concatenate = staticmethod(torch.cat)

    def features(self, theta: np.ndarray, rng: np.random.Generator, trials: int) -> torch.Tensor:
        """As :class:`SwarmSystem`'s, on the device: [M, trials, N, T, F]."""
        swarm = self.sim.swarm_params(np.repeat(theta, trials, axis=0))
        feats = self.torch_sim.rollout(swarm, rng)
        return feats.reshape(theta.shape[0], trials, *feats.shape[1:])

    def trajectories(self, theta: np.ndarray, rng: np.random.Generator, trials: int | None = None):
        """As :class:`SwarmSystem`'s, as numpy arrays (for C2ST and the metric baselines)."""
        genuine, fake = super().trajectories(theta, rng, trials)
        return genuine.double().cpu().numpy(), fake.double().cpu().numpy()


@dataclass(frozen=True)
class TorchElman(ElmanNetwork):
    """:class:`~turinglearn.families.elman.ElmanNetwork` judging on a torch device (same
    weights, same layout, same math); samples may be numpy arrays or device tensors."""

    device: str = "cpu"

    def judge(self, w: np.ndarray, x) -> np.ndarray:
        if x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ValueError(f"samples must be [S, T, {self.n_inputs}], got {tuple(x.shape)}")
        dtype = _DTYPES[self.dtype]
        wt = torch.as_tensor(np.asarray(w), dtype=dtype, device=self.device)
        w_in, b_in, w_ctx, w_out, b_out = self.unpack(wt)
        x = torch.as_tensor(x, device=self.device).to(dtype)
        h = torch.zeros((wt.shape[0], x.shape[0], self.n_hidden), dtype=dtype, device=self.device)
        b_in = b_in[:, None, :]

        def judgement(h):  # output 0: [D, S]
            return torch.sigmoid(torch.matmul(h, w_out[..., :1]) + b_out[:, None, :1])[..., 0]

        total = torch.zeros(h.shape[:2], dtype=torch.float64, device=self.device)  # readout "mean"
        for t in range(x.shape[1]):
            h = torch.sigmoid(torch.matmul(x[:, t], w_in) + b_in + torch.matmul(h, w_ctx))
            if self.readout == "mean":
                total += judgement(h)
        if self.readout == "mean":
            return (total / x.shape[1]).cpu().numpy()
        return judgement(h).double().cpu().numpy()


def torch_system(sim, learner_config, execution, n_hidden: int, readout: str = "last"):
    """The torch system and judge of a run (see :func:`turinglearn.app.build.build_system`)."""
    device = resolve_device(execution.device)
    precision = execution.precision or ("float32" if device.type == "cuda" else "float64")
    system = TorchSwarmSystem(
        sim, learner_config.trials_per_model, learner_config.genuine_per_trial, device, _DTYPES[precision]
    )
    judge = TorchElman(
        n_inputs=len(sim.feature_names),
        n_hidden=n_hidden,
        dtype="float32",
        device=str(device),
        readout=readout,
    )
    return system, judge
