"""The state of networks and optimisers: batch statistics without side effects, copies in place
(population selection), state dicts as numpy arrays (checkpoints) and archives of networks as
flat vectors (the hall of fame)."""

from __future__ import annotations

import contextlib
import copy

import numpy as np
import torch

from turinglearn.core.memory import Archive


@contextlib.contextmanager
def batch_stats(module: torch.nn.Module):
    """Run ``module`` in training mode (batch statistics) without changing its running statistics."""
    saved = [b.clone() for b in module.buffers()]
    was_training = module.training
    module.train()
    try:
        yield module
    finally:
        with torch.no_grad():
            for b, s in zip(module.buffers(), saved, strict=True):
                b.copy_(s)
        module.train(was_training)


@torch.no_grad()
def copy_into(net, opt, src_net, src_opt) -> None:
    """Overwrite ``net`` and its optimiser state with ``src``'s, in place (captured graphs stay valid)."""
    for a, b in zip(net.state_dict().values(), src_net.state_dict().values(), strict=True):
        a.copy_(b)
    for p, q in zip(net.parameters(), src_net.parameters(), strict=True):
        sa, sb = opt.state.get(p, {}), src_opt.state.get(q, {})
        for key, value in sb.items():
            if key in sa and torch.is_tensor(value):
                sa[key].copy_(value)
            else:
                sa[key] = value.clone() if torch.is_tensor(value) else value
        opt.state[p] = sa


def flatten(module: torch.nn.Module) -> np.ndarray:
    """Every tensor of ``module``'s state dict (weights and buffers), flattened into one float32
    vector [k] on the host (a hall of fame's row)."""
    return torch.cat([t.detach().float().flatten().cpu() for t in module.state_dict().values()]).numpy()


@torch.no_grad()
def unflatten_into(module: torch.nn.Module, row: np.ndarray) -> None:
    """The inverse of :func:`flatten`: load ``row`` [k] into ``module`` (same architecture), in place."""
    flat, tensors = torch.from_numpy(np.asarray(row)), list(module.state_dict().values())
    need = sum(t.numel() for t in tensors)
    if flat.numel() != need:
        raise ValueError(f"the row holds {flat.numel()} values, the network {need}")
    at = 0
    for t in tensors:
        t.copy_(flat[at : at + t.numel()].view(t.shape).to(t.device, t.dtype))
        at += t.numel()


class NetworkArchive:
    """The last ``size`` networks offered, kept as flat vectors [n <= size, k] on the host (an
    :class:`~turinglearn.core.memory.Archive` of :func:`flatten`'s rows). :meth:`judges` loads
    each in turn into one spare copy of a network of the same architecture."""

    def __init__(self, size: int):
        self.archive, self._spare = Archive(size, "recent"), None

    def __len__(self) -> int:
        return len(self.archive)

    @property
    def size(self) -> int:
        return self.archive.size

    @property
    def rows(self) -> np.ndarray | None:
        return self.archive.rows

    def offer(self, module: torch.nn.Module, rng: np.random.Generator) -> None:
        self.archive.offer(flatten(module), rng)

    def judges(self, template: torch.nn.Module):
        """Yield the archived networks, each loaded into the same spare copy of ``template``."""
        if self._spare is None and len(self):
            self._spare = copy.deepcopy(template)
        for row in self.rows if len(self) else ():
            unflatten_into(self._spare, row)
            yield self._spare

    def state_dict(self) -> dict:
        return self.archive.state_dict()

    def load_state_dict(self, state) -> None:
        self.archive.load_state_dict(state)


def to_numpy(obj):
    """Tensors in a nested state dict as numpy arrays (on the CPU), dict keys as strings."""
    if torch.is_tensor(obj):
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {str(k): to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_numpy(v) for v in obj]
    return obj


def to_tensors(obj):
    """The inverse of :func:`to_numpy` (optimiser state keys are turned back into ints by the caller)."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, dict):
        return {k: to_tensors(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_tensors(v) for v in obj]
    return obj


class ReplayBuffer:
    """Past generated images that the discriminators keep being trained on (Shrivastava et al.,
    2017): ``images`` [size, C, S, S] on the device. In every discriminator update ``share`` of
    the generated batch (``h`` images) is replaced by ``h`` images drawn from the buffer, and
    ``h`` of the batch's own images then replace random ones in it, so the buffer holds images
    of every age (each survives a write with probability ``1 - h / size``). A generator that
    returns to what it made before meets discriminators that still reject it.

    The positions (:meth:`draw`) come from a host stream of their own: a run with a buffer
    draws the same batches and noise as one without.
    """

    def __init__(self, images: torch.Tensor, share: float, batch: int, rng: np.random.Generator):
        self.images, self.rng = images, rng
        self.h = min(batch - 1, max(1, round(share * batch)))

    def draw(self, shape: tuple[int, ...], device) -> torch.Tensor:
        """Read and write positions for ``shape`` (pairs, discriminator updates) updates:
        [*shape, 2, h] long; the ``h`` write positions of an update are distinct."""
        size = len(self.images)
        read = self.rng.integers(size, size=(*shape, self.h))
        write = np.stack([self.rng.choice(size, self.h, replace=False) for _ in range(int(np.prod(shape)))])
        slots = torch.from_numpy(np.stack([read, write.reshape(*shape, self.h)], axis=-2))
        if torch.device(device).type == "cuda":  # pinned and asynchronous: no wait for the device
            return slots.pin_memory().to(device, non_blocking=True)
        return slots.to(device)

    def mix(self, fake: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        """The discriminator's generated batch: the first ``B - h`` of ``fake`` [B, ...] and ``h``
        replayed images (slots [2, h]: read, write)."""
        return torch.cat([fake[: len(fake) - self.h], self.images[slots[0]].to(fake.dtype)])

    @torch.no_grad()
    def write(self, fake: torch.Tensor, slots: torch.Tensor) -> None:
        """Store the last ``h`` of ``fake`` [B, ...] (the ones :meth:`mix` left out) at the write positions."""
        self.images.index_copy_(0, slots[1], fake[len(fake) - self.h :].detach().to(self.images.dtype))

    def state_dict(self) -> dict:
        return {
            "images": self.images.detach().cpu().numpy().copy(),
            "rng": copy.deepcopy(self.rng.bit_generator.state),
        }

    def load_state_dict(self, state: dict) -> None:
        with torch.no_grad():
            self.images.copy_(torch.from_numpy(np.asarray(state["images"])))
        self.rng.bit_generator.state = state["rng"]
