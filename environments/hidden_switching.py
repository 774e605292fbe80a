"""``turinglearn/HiddenSwitching-v0``: foragers that switch between moving and resting unseen,
tracked by noisy position fixes at a coarse rate.

A harder built-in task (issue 18, item 3): what an agent does cannot be read off one of its
trajectories. Each agent is a run-and-tumble forager on an unbounded plane with a hidden
two-state Markov switch, after the two-state movement models of animal tracking (a "resting"
and a "travelling" state behind GPS fixes). Per fine step, in this order:

1. **switch**: a moving agent stops with probability ``p_stop``, a resting one starts moving
   with probability ``p_go``;
2. **turn**: the heading diffuses, ``heading += turning_noise * N(0, 1)`` (radians);
3. **move**: a moving agent advances ``speed`` length units along its heading; a resting one
   stays where it is.

An agent starts in its switch's stationary state (moving with probability
``p_go / (p_stop + p_go)``, one half when both are 0) at the origin, heading uniform.

**What is observed.** Never the state, the heading or the speed: only the agent's position,
once every ``substeps`` fine steps (a *fix*), each coordinate with Gaussian tracking noise of
standard deviation ``tracking_noise``. The features of observation ``t`` are read off the
fixes as a tracker would, with ``observe``, in units of the top distance one interval can
cover (``substeps`` length units, the top speed being 1):

- ``"frame"`` (default): the step from fix ``t - 1`` to fix ``t`` in the frame of the previous
  step, the tracker's estimate of the heading: how far the agent went on along its previous
  direction (``forward``) and across it (``sideways``), as aggregation's linear speed is
  measured along the previous heading;
- ``"track"``, the step length and turning angle of movement ecology: the distance between
  the two fixes, and the signed angle between that step and the previous one, divided by pi;
- ``"displacement"``: the step ``(dx, dy)`` in the plane's own axes.

All three are mostly in [-1, 1]. ``"frame"`` is the default because Turing Learning's Elman
discriminators recover the truth best from it (docs/swarms.md, "A task with a hidden state").

Parameters ``(speed, p_stop, p_go, turning_noise)`` in ``[0, 1] x [0, 0.5] x [0, 0.5] x
[0, 1]``: length units per fine step, probabilities per fine step, radians per square root
of a fine step. Ground truth ``(0.6, 0.15, 0.1, 0.4)``, interior to every range: runs of
1 / 0.15 = 6.7 fine steps (1.3 fixes) and rests of 10 fine steps (2 fixes), moving 40 % of
the time; a run turns by about 1 radian.

**Why it is hard.**

- *The state is hidden.* A step is a mixture: of rests, which show only tracking noise, and
  of runs, which show ``speed`` times the run's straightness. No single observation says
  which state produced it.
- *Coarse sampling mixes the states.* Runs and rests last one to two fixes, so most
  intervals hold part of a run and part of a rest: the fix sees only their sum. A fast agent
  that moves for part of an interval and a slow one that moves throughout make similar
  steps; so do a straight run cut short and a winding full run (``speed`` against
  ``p_stop`` against ``turning_noise``).
- *Tracking noise masks small speeds.* The noise of a step (0.14 of the top distance per
  coordinate at the defaults) is as large as what a slow agent covers: the steps of an agent
  of speed 0.1 are on average 4 % longer than those of one that never moves, and the turning
  angle of a short step is noise.
- *The switching probabilities show only in distributions.* ``p_stop`` and ``p_go`` set how
  long runs and rests last, which shows only in the distribution and autocorrelation of steps
  over many fixes and individuals (a 50-fix track holds about fifteen runs): switching twice
  as fast with the same time spent moving keeps the mean step, and the lag-1 autocorrelation
  of step lengths that tells hundreds of tracks apart misjudges a single track about one time
  in four. Unlike aggregation's wheel speeds, no feature of a step is a parameter.

Turing Learning first settles on a fast-switching look-alike with the truth's share of long
steps (about ``(0.8, 0.4, 0.2, .)``) and needs hundreds of generations to learn the switch;
``turning_noise`` stays the least certain parameter (docs/swarms.md, "A task with a hidden
state", has the measurements).

This project's own settings, all configurable:

===============  ============  ======================================================
setting          default       meaning
===============  ============  ======================================================
n_agents         4             genuine agents per trial (they do not interact)
n_replicas       4             agents per trial that run the model
steps            50            observations (fixes after the first) per trial
substeps         5             fine steps between two fixes
tracking_noise   0.5           standard deviation of each coordinate of a fix, in
                               length units (a moving agent covers ``speed`` per
                               fine step)
observe          ``"frame"``   the features: ``"frame"`` (forward, sideways),
                               ``"track"`` (step length, turning angle) or
                               ``"displacement"`` (dx, dy)
truth            see above     the genuine agents' parameters
===============  ============  ======================================================

The agents of a trial do not interact: a trial is a batch of independent individuals, so
Turing Learning's swarm machinery (genuine agents and replicas in one rollout), recordings
and the peers (:mod:`turinglearn.peers`, which simulate whole recorded sets) all run on it
unchanged. ``rollout(..., record=True)`` also returns the fixes, ``pos`` [B, T + 1, N, 2]
(noisy, length units; fix 0 is the one before the first observation) and, for diagnostics,
the hidden state: ``moving`` [B, N, T], the fraction of each observation's interval the agent
spent moving.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from turinglearn.errors import ConfigError, check_at_least, one_of
from turinglearn.families.parametric import BoxFamily, check_truth

from ._base import ConfiguredSim

NAMES = ("speed", "p_stop", "p_go", "turning_noise")
LOWER = (0.0, 0.0, 0.0, 0.0)
UPPER = (1.0, 0.5, 0.5, 1.0)
TRUTH = (0.6, 0.15, 0.1, 0.4)
FAMILY = BoxFamily(NAMES, lower=LOWER, upper=UPPER)
#: the features of each ``observe`` setting
FEATURES = {
    "frame": ("forward", "sideways"),
    "track": ("step_length", "turning_angle"),
    "displacement": ("dx", "dy"),
}


@dataclass(frozen=True)
class HiddenSwitchingConfig:
    """Settings of ``turinglearn/HiddenSwitching-v0`` (see the module docstring).

    n_agents: genuine agents per trial; n_replicas: agents per trial that run the model;
    steps: observations per trial; substeps: fine steps between two fixes;
    tracking_noise: standard deviation of each coordinate of a fix (length units);
    observe: the features, ``"frame"`` (forward and sideways in the frame of the previous step),
    ``"track"`` (step length, turning angle) or ``"displacement"`` (dx, dy);
    truth: the agents' ``(speed, p_stop, p_go, turning_noise)``.
    """

    n_agents: int = 4
    n_replicas: int = 4
    steps: int = 50
    substeps: int = 5
    tracking_noise: float = 0.5
    observe: str = "frame"
    truth: tuple[float, ...] = field(default=TRUTH)

    def __post_init__(self):
        object.__setattr__(self, "truth", check_truth(self.truth, FAMILY))
        check_at_least(self, n_agents=1, n_replicas=0, steps=1, substeps=1)
        if not self.tracking_noise >= 0:
            raise ConfigError(
                f"must be 0 or more (length units), got {self.tracking_noise}", "tracking_noise"
            )
        one_of(self.observe, tuple(FEATURES), "observe")

    @property
    def n_robots(self) -> int:
        return self.n_agents + self.n_replicas


@dataclass
class Rollout:
    """What a batched rollout returns.

    features: [B, N, T, 2] every agent's observed features; with ``record=True`` also pos
    [B, T + 1, N, 2], the noisy fixes, and moving [B, N, T], the hidden state (the fraction of
    each observation's interval spent moving).
    """

    features: np.ndarray
    pos: np.ndarray | None = None
    moving: np.ndarray | None = None


class HiddenSwitchingSim(ConfiguredSim):
    """Batched simulator: ``B`` trials of ``N = n_agents + n_replicas`` independent agents,
    each with its own parameter row; numpy over the batch, one loop over fine steps.

    Every random draw has the batch's shape whatever the parameters (a uniform for the switch
    and a normal for the turn per agent and fine step, two normals per fix), so the same
    generator gives the same noise to any model.
    """

    model_family = FAMILY
    stimulus_space = None  # passive: nothing acts on the agents from outside

    config_class = HiddenSwitchingConfig

    @property
    def feature_names(self) -> tuple[str, str]:
        return FEATURES[self.config.observe]

    def swarm_params(self, theta: np.ndarray) -> np.ndarray:
        """theta [B, 4], one model per trial -> params [B, N, 4]: the truth in the agents'
        rows ``0 .. n_agents - 1``, the model in the replicas'."""
        theta = np.asarray(theta, dtype=float)
        params = np.repeat(theta[:, None, :], self.config.n_robots, axis=1)
        params[:, : self.config.n_agents] = self.truth
        return params

    def rollout(self, params: np.ndarray, rng: np.random.Generator, *, record: bool = False) -> Rollout:
        """Simulate params [B, N, 4] (every agent its own row) for ``steps`` observations."""
        cfg = self.config
        params = np.asarray(params, dtype=float)
        b, n = params.shape[:2]
        speed, p_stop, p_go, turning = np.moveaxis(params, -1, 0)  # each [B, N]
        k, t_max = cfg.substeps, cfg.steps
        total = p_stop + p_go
        stationary = np.divide(p_go, total, out=np.full((b, n), 0.5), where=total > 0)
        moving = rng.random((b, n)) < stationary  # [B, N] the hidden state
        heading = rng.uniform(-np.pi, np.pi, size=(b, n))
        x, y = np.zeros((b, n)), np.zeros((b, n))
        fixes = np.empty((t_max + 2, b, n, 2))  # fix -1 (before the first step), 0 .. T
        spent = np.empty((t_max + 1, b, n))  # fraction of each interval spent moving
        for i in range(t_max + 2):
            if i > 0:  # the interval from fix i - 1 to fix i: k fine steps
                u = rng.random((k, b, n))
                z = rng.standard_normal((k, b, n))
                count = np.zeros((b, n))
                for j in range(k):
                    moving = np.where(moving, u[j] >= p_stop, u[j] < p_go)
                    heading = heading + turning * z[j]
                    step = np.where(moving, speed, 0.0)
                    x = x + step * np.cos(heading)
                    y = y + step * np.sin(heading)
                    count += moving
                spent[i - 1] = count / k
            noise = rng.standard_normal((b, n, 2))
            fixes[i, ..., 0] = x + cfg.tracking_noise * noise[..., 0]
            fixes[i, ..., 1] = y + cfg.tracking_noise * noise[..., 1]
        features = observe(fixes, k, cfg.observe)[1:]  # [T, B, N, 2]
        out = Rollout(np.ascontiguousarray(features.transpose(1, 2, 0, 3)))
        if record:
            out.pos = np.ascontiguousarray(fixes[1:].transpose(1, 0, 2, 3))  # [B, T + 1, N, 2]
            out.moving = np.ascontiguousarray(spent[1:].transpose(1, 2, 0))  # [B, N, T]
        return out


def observe(fixes: np.ndarray, substeps: int, how: str = "track") -> np.ndarray:
    """The features read off fixes [K, ..., 2] (K fixes in time order): [K - 1, ..., 2], one
    row per interval between two fixes, in units of ``substeps`` (the top distance of an
    interval). ``"frame"``: the step's components along and across the previous step;
    ``"track"``: its length and its turning angle from the previous step / pi;
    ``"displacement"``: (dx, dy). The first row has no previous step: its turning angle is 0
    (the row is dropped by :meth:`HiddenSwitchingSim.rollout`, which makes one fix more)."""
    d = np.diff(fixes, axis=0) / substeps  # [K - 1, ..., 2]
    if how == "displacement":
        return d
    length = np.hypot(d[..., 0], d[..., 1])
    angle = np.arctan2(d[..., 1], d[..., 0])
    turn = np.zeros_like(angle)
    turn[1:] = np.pi - np.mod(np.pi - (angle[1:] - angle[:-1]), 2 * np.pi)  # wrapped to (-pi, pi]
    if how == "frame":
        return np.stack([length * np.cos(turn), length * np.sin(turn)], axis=-1)
    return np.stack([length, turn / np.pi], axis=-1)
