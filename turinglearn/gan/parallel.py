"""Training one GAN over several processes with ``torchrun``: this process's place in the job, and
decisions the first process takes for all (:class:`RankZeroDecides`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Distributed:
    """This process's place in a ``torchrun`` job: ``rank`` of ``world`` processes."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @classmethod
    def from_env(cls) -> Distributed:
        """What ``torchrun`` set (RANK, WORLD_SIZE, LOCAL_RANK); one process without it."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        return cls(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))


def init_distributed(device: torch.device) -> Distributed:
    """Join the ``torchrun`` job, if any: NCCL on CUDA (one GPU per process, ``cuda:LOCAL_RANK``),
    gloo on the CPU."""
    import torch.distributed as dist

    ctx = Distributed.from_env()
    if ctx.active and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(ctx.local_rank)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ctx


class RankZeroDecides:
    """A decision that the first process takes and every process of the ``torchrun`` job
    learns (e.g. the stopping rules, whose clock each process would read differently). Build it
    at the same point on every process (it makes a process group); then every generation each
    process calls it at the same point with its own ``code`` (a small integer; only the first
    process's is read), and all of them get the first process's. The flag travels over gloo on
    the host, so that under NCCL it waits for no device work."""

    def __init__(self):
        import torch.distributed as dist

        self.group = dist.new_group(backend="gloo")

    def __call__(self, code: int) -> int:
        import torch.distributed as dist

        flag = torch.tensor([code], dtype=torch.int64)
        dist.broadcast(flag, src=0, group=self.group)
        return int(flag.item())
