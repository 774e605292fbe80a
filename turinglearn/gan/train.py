"""The gradient setting of the Turing Learning loop: :class:`GANLearner`.

One generation is one optimiser step of both sides, taken from the same judgements: every
discriminator judges a genuine batch and its generator's counterfeit batch; the judgements
(logits, > 0 meaning 'genuine') give the discriminator's loss and fitness
((sensitivity + specificity) / 2), and, after the discriminator's update, the generator's loss
and fitness (the fraction of its samples judged genuine). The step is the PyTorch DCGAN
example's (D on real and on detached fake, then G on the same fake against the updated D),
with the D weight gradients of the G step skipped (only G's parameters are differentiated).

Population mode (``P > 1``): P generators and P discriminators; each step pairs generator
``i`` with discriminator ``(i + r) mod P`` for a random rotation ``r``, and every
``select_every`` steps every discriminator judges every generator's samples and genuine ones;
Turing Learning fitness ranks both populations and the worse half of each is overwritten by
copies (weights and optimiser state) of the better half. ``hall_of_fame = H``: the best
discriminators of the last H selections (every ``hall_of_fame_every``-th) judge there too.
``replay = R``: every discriminator update sees ``replay_share`` of its generated batch drawn
from a buffer of R past generated images (:class:`~turinglearn.gan.state.ReplayBuffer`).

Speed (CUDA): data resident on the device, bf16 autocast for the networks (losses in fp32),
channels-last layout, fused Adam, cuDNN autotuning, and the whole step (all pairs) captured as
one CUDA graph per rotation, or compiled with ``torch.compile``. On the CPU: the eager step.
Batches and noise come from a ``torch.Generator`` seeded from the run's root seed, drawn
outside the captured step, so eager, compiled and captured steps compute the same update.
"""

from __future__ import annotations

import copy
import itertools
import time
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from turinglearn.config.gan import GANConfig
from turinglearn.core.contracts import Generation
from turinglearn.core.learner import GenerationLoop
from turinglearn.core.random import stream
from turinglearn.errors import ConfigError
from turinglearn.execution.device import resolve_device
from turinglearn.gan.data import ImageData
from turinglearn.gan.losses import d_loss, g_loss, gradient_penalty
from turinglearn.gan.nets import Discriminator, Generator, dcgan_init
from turinglearn.gan.parallel import init_distributed
from turinglearn.gan.population import population_fitness, truncation
from turinglearn.gan.state import NetworkArchive, ReplayBuffer, batch_stats, copy_into, to_numpy, to_tensors

WARMUP_STEPS = 3  # eager steps before capture: optimiser state, cuDNN algorithm choice, compilation
#: batches the final ranking of a population averages its fitness over (:meth:`GANLearner.rank`)
RANK_DRAWS = 8


def torch_seed(seed: int, name: str, *index: int) -> int:
    """A torch seed for stream ``name`` of the run's root ``seed`` (see :func:`turinglearn.core.random.stream`)."""
    return int(stream(seed, name, *index).integers(2**62))


def read_stats(stats: torch.Tensor, shift: int) -> dict:
    """A step's statistics as a :class:`~turinglearn.core.contracts.Generation` reads them.

    stats: [P, 4] per pair, on the device (reading synchronises): the paired discriminator's
    loss, the generator's loss, the discriminator's fitness ((sensitivity + specificity) / 2 on
    its genuine and counterfeit batch, replayed images included) and the generator's fitness
    (the fraction of its batch judged genuine after the discriminator's update); row i is generator i with discriminator
    (i + shift) mod P. Returns model_fitness [P] (generator i), discriminator_fitness [P]
    (discriminator j) and losses {"d": [P] per discriminator, "g": [P] per generator}.
    """
    host = stats.float().cpu().numpy()
    return {
        "model_fitness": host[:, 3],
        "discriminator_fitness": np.roll(host[:, 2], shift),
        "losses": {"d": np.roll(host[:, 0], shift), "g": host[:, 1]},
    }


class GANLearner(GenerationLoop):
    """Trains generators against discriminators on ``data`` by gradient steps (see the module doc).

    ``step()`` takes one step of every pair (one generation) and returns a
    :class:`~turinglearn.core.contracts.Generation` whose models and discriminators are the
    networks and whose fitness and losses are read from the device only when a hook asks
    (:func:`read_stats`); ``run(n)`` steps until ``n`` generations are done; ``state_dict()`` /
    ``load_state_dict()`` hold everything needed to continue exactly (networks, optimisers,
    random streams, generation count, hall of fame and replay buffer) as numpy arrays.
    """

    def __init__(self, data: ImageData, config: GANConfig, hooks: Sequence = ()):
        self.config, self.hooks, self.generation = config, list(hooks), 0
        lc, mc, dc = config.learner, config.models, config.discriminators
        self.device = resolve_device(config.execution.device)
        cuda = self.device.type == "cuda"
        self.dist = init_distributed(self.device)
        self._choose_speed(lc, cuda)

        self.P, self.nc, self.batch, self.latent = lc.population, lc.critic_steps, lc.batch, mc.latent
        self.loss, self.gp = lc.loss, lc.gp_weight if lc.loss == "wgan-gp" else 0.0
        size, ch = data.size, data.channels
        self.G = [self._place(dcgan_init(Generator(size, ch, mc.latent, mc.width), self._gen("models", i)))
                  for i in range(self.P)]  # fmt: skip
        self.D = [self._place(dcgan_init(Discriminator(size, ch, dc.width, config.norm), self._gen("discriminators", i)))
                  for i in range(self.P)]  # fmt: skip
        adam = {"fused": True, "capturable": "cudagraph" in self.mode} if cuda else {}
        self.opt_g = [torch.optim.Adam(g.parameters(), mc.lr, (mc.beta1, mc.beta2), **adam) for g in self.G]
        self.opt_d = [torch.optim.Adam(d.parameters(), dc.lr, (dc.beta1, dc.beta2), **adam) for d in self.D]
        self.data = data.images.to(self.device).contiguous(memory_format=self.memory_format)  # resident
        # each process of a torchrun job draws its own batches and noise (rank 0's are a
        # single-process run's)
        index = (self.dist.rank,) if self.dist.rank else ()
        self.rng = torch.Generator(self.device).manual_seed(torch_seed(config.seed, "simulation", *index))
        self.pairing = stream(config.seed, "simulation", 1)  # host-side: no device sync per step
        self.best = 0  # the generator with the highest fitness at the last selection
        self.last_selection: tuple[np.ndarray, np.ndarray] | None = None
        self.hall = NetworkArchive(lc.hall_of_fame)  # past best discriminators [H' <= H, k], flat
        if "compile" in self.mode:
            kw = {"mode": "max-autotune-no-cudagraphs"} if cuda else {}
            self._g_run = [torch.compile(g, **kw) for g in self.G]
            self._d_run = [torch.compile(d, **kw) for d in self.D]
        else:
            self._g_run, self._d_run = self.G, self.D
        self._d_for_g = self._d_run  # the discriminator the generator's update goes through
        if self.dist.active:
            # DistributedDataParallel averages the gradients of every backward over the processes.
            # The generator's update goes through the plain discriminator: it only needs the
            # generator's gradients, and a DDP discriminator would wait for its own.
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if cuda else None
            wrap = lambda m: DDP(m, device_ids=ids, broadcast_buffers=False)  # noqa: E731
            self._g_run, self._d_run = [wrap(m) for m in self._g_run], [wrap(m) for m in self._d_run]
        self._graphs: dict[int, tuple[torch.cuda.CUDAGraph, torch.Tensor]] = {}
        self._static: tuple[torch.Tensor, ...] | None = None
        self._warm = 0
        self.stepping = False  # True while a step is under way: the state is then half-updated
        self.replay = None  # past generated images, first the initial generator's
        if lc.replay:
            images = self.generate(lc.replay, torch_seed(config.seed, "memory", 0, 2))
            images = images.contiguous(memory_format=self.memory_format)  # the layout of the fresh batch
            self.replay = ReplayBuffer(
                images, lc.replay_share, self.batch, stream(config.seed, "memory", 0, 1)
            )

    # --- construction helpers ------------------------------------------------------------------

    def _choose_speed(self, lc, cuda: bool) -> None:
        """The step's mode (eager, compiled, captured), precision and memory layout."""
        if self.dist.active:
            if lc.population > 1:
                raise ConfigError(
                    "population mode runs in one process; under torchrun use learner.population = 1",
                    "learner.population",
                )
            if "cudagraph" in lc.compile:
                raise ConfigError(
                    "CUDA-graph capture is not combined with torchrun's gradient all-reduce; use 'auto', "
                    "'none' or 'compile'",
                    "learner.compile",
                )
        auto = "none" if self.dist.active or not cuda else "cudagraph"
        self.mode = lc.compile if lc.compile != "auto" else auto
        if "cudagraph" in self.mode and not cuda:
            raise ConfigError(
                f"{self.mode!r} needs a CUDA device; use 'none' or 'compile' on the CPU", "learner.compile"
            )
        precision = lc.precision
        if precision == "auto":
            precision = "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
        self.bf16 = precision == "bf16"
        self.memory_format = torch.channels_last if cuda and lc.channels_last else torch.contiguous_format
        if cuda:
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels

    def _gen(self, name: str, i: int) -> torch.Generator:
        return torch.Generator().manual_seed(torch_seed(self.config.seed, name, i))

    def _place(self, module: torch.nn.Module) -> torch.nn.Module:
        return module.to(self.device, memory_format=self.memory_format)

    def _autocast(self):
        # no cast cache under graph capture (PyTorch's advice for autocast with CUDA graphs)
        cache = "cudagraph" not in self.mode
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16, cache_enabled=cache)

    # --- one step ----------------------------------------------------------------------------

    def sample_inputs(self) -> tuple:
        """The random inputs of one step: rotation r, batch indices [P, nc, B], noise
        [P, nc, B, latent], gradient-penalty mixing weights [P, nc, B] and, with a replay
        buffer, its read and write positions [P, nc, 2, h]."""
        shift = int(self.pairing.integers(self.P)) if self.P > 1 else 0
        shape = (self.P, self.nc, self.batch)
        idx = torch.randint(len(self.data), shape, generator=self.rng, device=self.device)
        z = torch.randn((*shape, self.latent), generator=self.rng, device=self.device)
        u = torch.rand(shape, generator=self.rng, device=self.device)
        if self.replay is None:
            return shift, idx, z, u
        return shift, idx, z, u, self.replay.draw((self.P, self.nc), self.device)

    def _pair_step(self, i: int, j: int, idx, z, u, slots=None) -> torch.Tensor:
        """Generator i against discriminator j; idx [nc, B], z [nc, B, latent], u [nc, B], slots
        (replay) [nc, 2, h] -> stats [4]."""
        G, D, opt_g, opt_d = self._g_run[i], self._d_run[j], self.opt_g[i], self.opt_d[j]
        for k in range(self.nc):  # discriminator updates
            real = self.data[idx[k]].contiguous(memory_format=self.memory_format)  # [B, C, S, S]
            opt_d.zero_grad(set_to_none=True)
            with self._autocast():
                if k < self.nc - 1:
                    with torch.no_grad():
                        fake = G(z[k])
                else:
                    fake = G(z[k])  # kept with its graph for the generator's update
                shown = fake.detach() if slots is None else self.replay.mix(fake.detach(), slots[k])
                out_real, out_fake = D(real), D(shown)  # [B] logits each
            loss_d = d_loss(self.loss, out_real, out_fake)
            if self.gp:
                with self._autocast():
                    # on the fresh batch, replayed images aside: eager D, double backward
                    penalty = gradient_penalty(self.D[j], real, fake, u[k])
                loss_d = loss_d + self.gp * penalty
            loss_d.backward()
            opt_d.step()
            if slots is not None:
                self.replay.write(fake, slots[k])
        opt_g.zero_grad(set_to_none=True)
        with self._autocast():
            out_g = self._d_for_g[j](fake)  # [B], against the updated discriminator
        loss_g = g_loss(self.loss, out_g)
        loss_g.backward(inputs=list(self.G[i].parameters()))  # no D weight gradients
        opt_g.step()
        f_d = ((out_real > 0).float().mean() + (out_fake <= 0).float().mean()) / 2
        f_g = (out_g > 0).float().mean()
        return torch.stack([loss_d.detach().float(), loss_g.detach().float(), f_d, f_g])

    def train_step(self, shift: int, *inputs: torch.Tensor) -> torch.Tensor:
        """One step of every pair (generator i with discriminator (i + shift) mod P) from the
        given inputs (see :meth:`sample_inputs`): stats [P, 4], in the mode's way."""
        if "cudagraph" in self.mode:
            return self._graph_step(shift, *inputs)
        return self._eager_step(shift, *inputs)

    def _eager_step(self, shift, *inputs) -> torch.Tensor:
        rows = [self._pair_step(i, (i + shift) % self.P, *(x[i] for x in inputs)) for i in range(self.P)]
        return torch.stack(rows)

    def _graph_step(self, shift, *inputs) -> torch.Tensor:
        if self._warm < WARMUP_STEPS:  # eager steps on a side stream first (PyTorch's capture recipe)
            self._warm += 1
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*capturable=True.*")
                out = self._eager_step(shift, *inputs)
            torch.cuda.current_stream().wait_stream(side)
            return out
        if self._static is None:
            self._static = tuple(x.clone() for x in inputs)
        for static, x in zip(self._static, inputs, strict=True):
            static.copy_(x)
        if shift not in self._graphs:
            for opt in (*self.opt_g, *self.opt_d):
                opt.zero_grad(set_to_none=True)  # backward allocates .grad from the graph's pool
            graph = torch.cuda.CUDAGraph()
            torch.cuda.synchronize()
            with torch.cuda.graph(graph):
                out = self._eager_step(shift, *self._static)
            self._graphs[shift] = (graph, out)
        graph, out = self._graphs[shift]
        graph.replay()
        return out.clone()

    def replicas_agree(self) -> bool:
        """Under torchrun: whether every process holds the same weights (DDP keeps them so);
        True in a single process."""
        if not self.dist.active:
            return True
        import torch.distributed as dist

        flat = torch.cat([p.detach().float().flatten() for m in (*self.G, *self.D) for p in m.parameters()])
        lo, hi = flat.clone(), flat.clone()
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        return bool(torch.equal(lo, hi))

    def leave_distributed(self) -> None:
        """End this process's part in the torchrun job: drop the DDP wrappers (their reducers
        hold the process group), wait for every process, then close the group. Closing it under
        live wrappers, or before the others are done, aborted processes at exit."""
        import gc

        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP

        self._g_run = [m.module if isinstance(m, DDP) else m for m in self._g_run]
        self._d_run = [m.module if isinstance(m, DDP) else m for m in self._d_run]
        gc.collect()
        if dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def step(self) -> Generation:
        t0 = time.perf_counter()
        self.stepping = True
        shift, *inputs = self.sample_inputs()
        stats = self.train_step(shift, *inputs)
        every = self.config.learner.select_every
        if self.P > 1 and every and (self.generation + 1) % every == 0:
            self.select()
        self.stepping = False
        seconds = time.perf_counter() - t0  # host time: the device may still be working
        read = lambda: read_stats(stats, shift)  # noqa: E731
        return self._publish(
            Generation(self.generation, self.G, discriminators=self.D, seconds=seconds, read=read)
        )

    # --- population: judgement of every generator by every discriminator, selection -----------

    @torch.no_grad()
    def judge_all(self, n: int | None = None, draw: int = 0) -> np.ndarray:
        """Every discriminator judges ``n`` genuine images and ``n`` samples of every generator
        (fresh, from the evaluation stream; ``draw`` k > 0 another batch of the same generation),
        and so does the hall of fame: judged [P + H', n + P n], True = judged genuine (rows P on:
        the archived discriminators)."""
        n = n or self.batch
        index = (3, self.generation) if draw == 0 else (3, self.generation, draw)
        gen = torch.Generator(self.device).manual_seed(torch_seed(self.config.seed, "evaluation", *index))
        idx = torch.randint(len(self.data), (n,), generator=gen, device=self.device)
        z = torch.randn((self.P, n, self.latent), generator=gen, device=self.device)
        x = [self.data[idx]]
        for i, g in enumerate(self.G):
            with batch_stats(g), self._autocast():
                x.append(g(z[i]).float())
        samples = torch.cat(x)  # [n + P n, C, S, S]
        judged = []
        for d in itertools.chain(self.D, self.hall.judges(self.D[0])):  # archived: loaded one by one
            with batch_stats(d), self._autocast():  # judged per block of n, as in training
                judged.append(torch.cat([d(b) for b in samples.split(n)]) > 0)
        return torch.stack(judged).cpu().numpy()

    def rank(self, draws: int = RANK_DRAWS) -> tuple[np.ndarray, np.ndarray]:
        """The final ranking of a population: both populations' fitness averaged over ``draws``
        fresh batches (one batch's is mostly its draw, and ties pick the first), the fittest
        generator the best; nothing is copied, so the last checkpoint's networks are the ones
        ranked. Returns the fitness (generators [P], discriminators [P])."""
        fits = [population_fitness(self.judge_all(draw=k), self.batch, self.P, current=self.P) for k in range(draws)]
        f_g, f_d = (np.mean([f[i] for f in fits], axis=0) for i in (0, 1))
        self.best = int(np.argmax(f_g))
        self.last_selection = (f_g, f_d)
        return f_g, f_d

    def select(self) -> tuple[np.ndarray, np.ndarray]:
        """Turing Learning selection: fitness of both populations from :meth:`judge_all`, then
        the worse half of each overwritten by copies of the better half. Returns the fitness
        (generators [P], discriminators [P]) before selection."""
        f_g, f_d = population_fitness(self.judge_all(), self.batch, self.P, current=self.P)
        selection = (self.generation + 1) // self.config.learner.select_every - 1  # 0, 1, ...
        if self.hall.size and selection % self.config.learner.hall_of_fame_every == 0:
            self.hall.offer(self.D[int(np.argmax(f_d))], stream(self.config.seed, "memory", self.generation))
        for loser, winner in truncation(f_g):
            copy_into(self.G[loser], self.opt_g[loser], self.G[winner], self.opt_g[winner])
        for loser, winner in truncation(f_d):
            copy_into(self.D[loser], self.opt_d[loser], self.D[winner], self.opt_d[winner])
        self.best = int(np.argmax(f_g))  # winners keep their index
        self.last_selection = (f_g, f_d)
        return f_g, f_d

    # --- sampling and checkpoints ----------------------------------------------------------------

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | int, which: int | None = None) -> torch.Tensor:
        """``n`` images [n, C, S, S] in [-1, 1] (float32, on the device) from generator ``which``
        (default: the best at the last selection), made in batches of the training batch size
        with batch statistics, as in training (running statistics are left as they were)."""
        g = self.G[self.best if which is None else which]
        if isinstance(generator, int):
            generator = torch.Generator(self.device).manual_seed(generator)
        z = torch.randn((n, self.latent), generator=generator, device=self.device)
        out = []
        with batch_stats(g):
            for chunk in z.split(self.batch):
                if len(chunk) < 2:  # batch statistics need two samples
                    chunk = torch.cat([chunk, chunk])[:2]
                    out.append(g(chunk)[:1].float())
                else:
                    out.append(g(chunk).float())
        return torch.cat(out)[:n].contiguous()

    def state_dict(self) -> dict:
        """Networks, optimisers, random streams and generation count, as numpy arrays and plain
        values (what :mod:`turinglearn.app.checkpoint` stores)."""
        return {
            "generation": self.generation,
            "best": self.best,
            "generators": [to_numpy(g.state_dict()) for g in self.G],
            "discriminators": [to_numpy(d.state_dict()) for d in self.D],
            "opt_generators": [to_numpy(o.state_dict()) for o in self.opt_g],
            "opt_discriminators": [to_numpy(o.state_dict()) for o in self.opt_d],
            "rng": self.rng.get_state().numpy(),
            "pairing": copy.deepcopy(self.pairing.bit_generator.state),
            "last_selection": None if self.last_selection is None else list(self.last_selection),
            "hall_of_fame": self.hall.state_dict(),
            "replay": None if self.replay is None else self.replay.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from :meth:`state_dict` (same config); captured graphs are recaptured."""
        if len(state["generators"]) != self.P:
            raise ConfigError(
                f"the checkpoint holds {len(state['generators'])} generators, this config {self.P}",
                "learner.population",
            )
        for m, sd in zip(self.G + self.D, state["generators"] + state["discriminators"], strict=True):
            m.load_state_dict(to_tensors(sd))
        for o, sd in zip(
            self.opt_g + self.opt_d, state["opt_generators"] + state["opt_discriminators"], strict=True
        ):
            sd = to_tensors(sd)
            o.load_state_dict({**sd, "state": {int(k): v for k, v in sd["state"].items()}})
        self.rng.set_state(torch.from_numpy(np.array(state["rng"], dtype=np.uint8)))
        self.pairing.bit_generator.state = state["pairing"]
        self.generation, self.best = int(state["generation"]), int(state["best"])
        selection = state.get("last_selection")
        self.last_selection = (
            None if selection is None else (np.asarray(selection[0]), np.asarray(selection[1]))
        )
        self.hall.load_state_dict(state.get("hall_of_fame"))  # absent: a checkpoint without one
        if self.replay is not None:
            self.replay.load_state_dict(state["replay"])
        self._graphs, self._static, self._warm, self.stepping = {}, None, 0, False
