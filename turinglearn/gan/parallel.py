"""Training one GAN over several processes with ``torchrun``: this process's place in the job."""

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
