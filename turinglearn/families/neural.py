"""Gradient-trained discriminators: a GRU over trajectories and a permutation-invariant
network over whole-swarm snapshots, against evolved models (a hybrid, as in adversarial
variational optimisation: the classifier learns by gradient steps, the models by selection).

Each classifier is a discriminator family like :class:`~turinglearn.families.elman.ElmanNetwork`:
``judge(w[D, k], x) -> [D, S]`` runs in numpy, batched over weight rows, so the hall of fame
(past snapshots of the classifier) judges alongside the current one and no worker process
needs torch. Its torch twin (same flat layout, :mod:`turinglearn.families.nets`) is trained by
:class:`GradientTrainer`, which takes the place of the discriminators' optimiser: every
generation it is told the genuine and counterfeit samples and takes a few Adam steps on the
balanced binary cross-entropy. torch is imported only when a trainer or a torch twin is made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from turinglearn.families import nets


@dataclass(frozen=True)
class GRUClassifier:
    """GRU over a trajectory (``n_inputs`` features per step, ``n_hidden`` units, state 0 at
    the start), then Linear(H, 1) and the logistic function on the last step's state.
    Torch twin: ``torch.nn.GRU(F, H, batch_first=True)`` and ``torch.nn.Linear(H, 1)``."""

    n_inputs: int = 2
    n_hidden: int = 8
    dtype: str = "float32"

    @property
    def shapes(self):
        return [*nets.gru_shapes(self.n_inputs, self.n_hidden), (1, self.n_hidden), (1,)]

    @property
    def n_weights(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes)

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, T, F] -> P(genuine) [D, S]."""
        if x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ValueError(f"samples must be [S, T, {self.n_inputs}], got {x.shape}")
        params = nets.split(np.asarray(w, dtype=self.dtype), self.shapes)
        cell = nets.gru_prepare(params[:4])
        x = np.asarray(x, dtype=self.dtype)
        h = np.zeros((len(w), len(x), self.n_hidden), dtype=self.dtype)  # [D, S, H]
        for t in range(x.shape[1]):
            h = nets.gru_step(cell, nets.gru_input(cell, x[None, :, t]), h)
        logit = np.matmul(h, params[4].transpose(0, 2, 1))[..., 0] + params[5]  # [D, S]
        return nets.sigmoid(logit).astype(np.float64)

    def torch_module(self):
        import torch

        family = self

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = torch.nn.GRU(family.n_inputs, family.n_hidden, batch_first=True)
                self.out = torch.nn.Linear(family.n_hidden, 1)

            def forward(self, x):  # [S, T, F] -> logits [S]
                _, h = self.gru(x)
                return self.out(h[-1])[:, 0]

        return Net()


@dataclass(frozen=True)
class SwarmSetClassifier:
    """DeepSets over a swarm snapshot: every robot's features (``n_inputs``) through the same
    ``phi`` (Linear(F, H), tanh, Linear(H, H), tanh), the mean over robots, then ``rho``
    (Linear(H, H), tanh, Linear(H, 1)) and the logistic function. The mean makes the judgement
    invariant to the robots' order. Samples are ``x [S, N, F]``: N robots instead of T steps."""

    n_inputs: int = 16
    n_hidden: int = 16
    dtype: str = "float32"

    @property
    def shapes(self):
        f, h = self.n_inputs, self.n_hidden
        return [(h, f), (h,), (h, h), (h,), (h, h), (h,), (1, h), (1,)]

    @property
    def n_weights(self) -> int:
        return sum(int(np.prod(s)) for s in self.shapes)

    def judge(self, w: np.ndarray, x: np.ndarray) -> np.ndarray:
        """w: [D, k], x: [S, N, F] -> P(genuine) [D, S]."""
        if x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ValueError(f"samples must be [S, N, {self.n_inputs}], got {x.shape}")
        w1, b1, w2, b2, w3, b3, w4, b4 = nets.split(np.asarray(w, dtype=self.dtype), self.shapes)
        s, n, f = x.shape
        x = np.asarray(x, dtype=self.dtype).reshape(1, s * n, f)
        h = np.tanh(np.matmul(x, w1.transpose(0, 2, 1)) + b1[:, None])  # [D, S*N, H]
        h = np.tanh(np.matmul(h, w2.transpose(0, 2, 1)) + b2[:, None])
        pooled = h.reshape(len(w), s, n, -1).mean(axis=2)  # [D, S, H], order-free
        g = np.tanh(np.matmul(pooled, w3.transpose(0, 2, 1)) + b3[:, None])
        logit = np.matmul(g, w4.transpose(0, 2, 1))[..., 0] + b4  # [D, S]
        return nets.sigmoid(logit).astype(np.float64)

    def torch_module(self):
        import torch

        f, h = self.n_inputs, self.n_hidden

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.phi = torch.nn.Sequential(
                    torch.nn.Linear(f, h), torch.nn.Tanh(), torch.nn.Linear(h, h), torch.nn.Tanh()
                )
                self.rho = torch.nn.Sequential(torch.nn.Linear(h, h), torch.nn.Tanh(), torch.nn.Linear(h, 1))

            def forward(self, x):  # [S, N, F] -> logits [S]
                return self.rho(self.phi(x).mean(dim=1))[:, 0]

        return Net()


class GradientTrainer:
    """One classifier trained by gradient steps, in the place of the discriminators' optimiser.

    ask() -> its current weights as one row [1, k]; train(x, genuine): ``steps`` full-batch Adam
    steps (``learning_rate``) on the binary cross-entropy of genuine (label 1) against
    counterfeit samples, the two classes weighted equally; tell(fitness) records the fitness.
    The initial weights are uniform in ``±1 / sqrt(H)`` (torch's default range), drawn from
    ``rng``, so a run does not depend on torch's global seed.

    threads: torch's intra-op threads while training (restored afterwards). The networks are
    tiny: on a busy 2-core machine one thread took 0.27 s for 5 steps on 200 trajectories of
    200 steps, two threads 3 to 9 s (they wait for each other).
    """


    def __init__(
        self, family, rng: np.random.Generator, learning_rate: float = 0.01, steps: int = 5, threads: int = 1
    ):
        import torch

        self.family, self.learning_rate, self.steps, self.threads = family, learning_rate, steps, threads
        self.module = family.torch_module()
        bound = 1.0 / np.sqrt(family.n_hidden)
        nets.load_flat(self.module, rng.uniform(-bound, bound, family.n_weights))
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=learning_rate)
        self.fitness: np.ndarray | None = None
        self.loss = float("nan")

    def ask(self) -> np.ndarray:
        return nets.flat(self.module)[None]

    def tell(self, fitness: np.ndarray) -> None:
        self.fitness = np.asarray(fitness, dtype=float)

    def train(self, x: np.ndarray, genuine: np.ndarray) -> float:
        """``steps`` Adam steps on samples x [S, ...] with labels genuine [S]; returns the last loss."""
        import torch

        xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        label = torch.as_tensor(np.asarray(genuine), dtype=torch.float32)
        weight = torch.where(label > 0.5, 0.5 / label.sum(), 0.5 / (1 - label).sum())  # balanced classes
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            for _ in range(self.steps):
                self.optimizer.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    self.module(xt), label, weight=weight, reduction="sum"
                )
                loss.backward()
                self.optimizer.step()
        finally:
            torch.set_num_threads(threads)
        self.loss = float(loss.detach())
        return self.loss

    def state_dict(self) -> dict:
        opt = self.optimizer.state_dict()
        return {
            "weights": nets.flat(self.module),
            "adam": {
                "state": {
                    str(i): {k: v.detach().numpy().copy() for k, v in s.items()}
                    for i, s in opt["state"].items()
                },
                "param_groups": [
                    {k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
                    for g in opt["param_groups"]
                ],
            },
            "fitness": None if self.fitness is None else self.fitness.copy(),
            "loss": self.loss,
        }

    def load_state_dict(self, state: dict) -> None:
        import torch

        nets.load_flat(self.module, np.asarray(state["weights"]))
        adam = state["adam"]
        self.optimizer.load_state_dict(
            {
                "state": {
                    int(i): {k: torch.as_tensor(np.asarray(v)) for k, v in s.items()}
                    for i, s in adam["state"].items()
                },
                "param_groups": [
                    {k: tuple(v) if k == "betas" else v for k, v in g.items()} for g in adam["param_groups"]
                ],
            }
        )
        self.fitness = None if state["fitness"] is None else np.array(state["fitness"], dtype=float)
        self.loss = float(state["loss"])
