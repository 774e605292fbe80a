"""What the command line's flags set: ``--backend``, ``--workers``, ``--scheduler``,
``--device``, ``--max-time`` and ``--max-simulations`` as settings, and a config loaded with
them that names a flag a GAN config has no setting for as the flag the user typed."""

from __future__ import annotations

import json

from turinglearn.errors import TuringLearnError


def backend_overrides(args) -> list[str]:
    """--scheduler, --backend and --workers (of run, sweep and benchmark) as ``KEY=VALUE`` overrides."""
    out = []
    if args.scheduler:
        out += ["execution.backend=dask", f"execution.scheduler={json.dumps(args.scheduler)}"]
    if args.backend:
        out.append(f"execution.backend={json.dumps(args.backend)}")
    if args.workers is not None:
        out.append(f"execution.workers={args.workers}")
    return out


def device_overrides(config, device: str | None) -> dict:
    """``--device``: where a run computes (``execution.device``). A swarm run then simulates
    and judges with the torch backend (``--device cpu`` keeps numpy, the fastest on a CPU)."""
    from turinglearn.config.gan import GANConfig

    if device is None:
        return {}
    if isinstance(config, GANConfig):
        return {"execution.device": device}
    if device == "auto":
        import importlib.util

        cuda = False
        if importlib.util.find_spec("torch") is not None:
            import torch

            cuda = torch.cuda.is_available()
        device = "cuda" if cuda else "cpu"
    if device == "cpu":
        return {}
    return {"execution.array": "torch", "execution.device": device}


def stopping_overrides(args) -> dict:
    """--max-time and --max-simulations (of run, resume and sweep) as [stopping] settings."""
    from turinglearn.config.stopping import parse_duration

    out: dict = {}
    if args.max_time is not None:
        out["stopping.max_time"] = parse_duration(args.max_time)
    if args.max_simulations is not None:
        out["stopping.max_simulations"] = args.max_simulations
    return out


def check_flags_agree(args) -> None:
    """A flag and a ``--set`` of the setting it stands for must agree: ``--device cpu --set
    execution.device=cuda`` ran on the flag's device and said nothing."""
    from turinglearn.config import parse_override

    typed = vars(args)  # each command has some of the flags
    given = dict(parse_override(o) for o in typed.get("overrides") or [])

    def flag(name: str, value):  # (as typed, the setting's value) or None where the flag is absent
        return None if value is None else (f"{name} {value}", value)

    scheduler = typed.get("scheduler")
    flags = {
        "execution.device": flag("--device", typed.get("device")),
        "execution.backend": flag("--backend", typed.get("backend"))
        or (None if scheduler is None else (f"--scheduler {scheduler} (the dask backend)", "dask")),
        "execution.scheduler": flag("--scheduler", scheduler),
        "execution.workers": flag("--workers", typed.get("workers")),
        "learner.passive": ("--passive", True) if typed.get("passive") else None,
        "generations": flag("--generations", typed.get("generations")),
        "seed": flag("--seed", typed.get("seed")),
        **{
            k: (f"{'--max-time' if k.endswith('max_time') else '--max-simulations'} {v:g}", v)
            for k, v in stopping_overrides(args).items()
        },
    }
    for key, typed_flag in flags.items():
        if typed_flag is not None and key in given and given[key] != typed_flag[1]:
            raise TuringLearnError(
                f"{typed_flag[0]} and --set {key}={json.dumps(given[key])} disagree: give one of them"
            )


#: flags of the swarm and agent studies, by the setting each sets (a GAN config has none of them)
SWARM_FLAGS = {
    "learner.passive": "--passive", "execution.backend": "--backend", "execution.workers": "--workers",
    "execution.scheduler": "--scheduler",
}  # fmt: skip


def load_for_flags(args, overrides: list[str]):
    """The config with ``overrides``; a flag a GAN config has no setting for is named as the
    flag the user typed, not as the setting it became (``learner.passive: unknown setting``)."""
    from turinglearn.config import load_config
    from turinglearn.errors import ConfigError

    try:
        return load_config(args.config, overrides)
    except ConfigError as e:
        if e.key in SWARM_FLAGS and "unknown setting" in str(e):
            raise TuringLearnError(
                f"{SWARM_FLAGS[e.key]} is for the swarm and agent studies; {args.config} is a GAN config, which "
                "trains on one device (--device) or under torchrun (docs/gan.md)"
            ) from None
        raise
