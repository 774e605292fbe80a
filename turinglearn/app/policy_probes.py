"""The route a policy model takes through a swarm simulator of one's own, probed for
:func:`turinglearn.app.checks.check_environment` (``policy=True``): see :func:`policy_probes`."""

from __future__ import annotations

import numpy as np

from turinglearn.app.probes import call, step_result

#: steps of the policy route the probe takes
POLICY_STEPS = 5


def policy_probes(sim, seed: int) -> tuple[list[str], list[str]]:
    """The route a policy model (``models.kind`` ``mlp``, ``gru`` or ``gp``) takes through a
    swarm simulator (:class:`~turinglearn.families.policies.PolicySwarm`): a reactive
    controller's family, ``reset(rng, B)``, ``sense(state)`` -> sensor states [B, N] in
    ``0 .. n_states - 1``, ``step(state, wheels [B, N, 2])`` -> (state, features [B, N, F]);
    and, with the truth in every robot, the same features as ``rollout`` (a warning: the
    route and the rollout must simulate one swarm)."""
    from turinglearn.families.parametric import ReactiveController

    fam = sim.model_family
    if not isinstance(fam, ReactiveController):
        return [
            "a policy model (models.kind mlp, gru or gp) runs in the place of a reactive controller: model_family "
            f"must be turinglearn.families.parametric.ReactiveController(n_states=S), wheel speeds per sensor state; "
            f"got {type(fam).__name__}"
        ], []
    missing = [m for m in ("reset", "sense", "step") if m not in dir(sim)]
    if missing:
        return [
            f"a policy model steps the swarm itself, and the simulator lacks {', '.join(missing)}: reset(rng, B) -> "
            "state; sense(state) -> sensor states [B, N] in 0 .. S-1; step(state, wheels [B, N, 2]) -> (state, "
            "features [B, N, F]) (docs/own-system.md, 'Policy and program models')"
        ], []
    problems: list[str] = []
    b, n, f, states = 2, sim.config.n_agents + sim.config.n_replicas, len(sim.feature_names), fam.n_states
    truth = np.broadcast_to(np.asarray(sim.truth, float), (b, n, fam.n_params))
    steps = min(POLICY_STEPS, sim.config.steps)

    def route(rng):  # the truth in every robot through reset, sense and step -> features [B, N, t, F]
        state = call(problems, f"reset(rng, {b})", sim.reset, rng, b)
        feats = []
        for t in range(steps):
            if state is None:
                return None
            sensor = call(problems, f"sense(state) at t = {t}", sim.sense, state)
            if sensor is None:
                return None
            sensor = np.asarray(sensor)
            if sensor.shape != (b, n):
                problems.append(f"sense(state) returned shape {sensor.shape}; expected ({b}, {n}) = (B, N)")
                return None
            bad = sensor[(sensor != np.round(sensor)) | (sensor < 0) | (sensor >= states)]
            if bad.size:
                problems.append(
                    f"sense(state) returned sensor state {bad.flat[0].item()!r}; the model family has n_states = {states}: "
                    f"whole numbers 0 .. {states - 1}"
                )
                return None
            wheels = fam.act(truth, sensor.astype(np.intp))
            res = call(problems, f"step(state, wheels [{b}, {n}, 2]) at t = {t}", sim.step, state, wheels)
            what = f"step(state, wheels)'s features at t = {t}"
            res = step_result(problems, res, "step(state, wheels)", what, (b, n, f))
            if res is None:
                return None
            state, out = res
            feats.append(out)
        return np.stack(feats, axis=2)

    via_step = route(np.random.default_rng(seed))
    if via_step is None:
        return problems, []
    rolled = call(problems, "rollout", sim.rollout, truth.copy(), np.random.default_rng(seed))
    if rolled is None:
        return problems, []
    whole = np.asarray(rolled.features, float)[:, :, :steps]
    if whole.shape == via_step.shape and not np.allclose(whole, via_step, rtol=1e-6, atol=1e-9):
        return problems, [
            "reset, sense and step with the truth in every robot gave other features than rollout with the truth "
            "(the same seed): a policy model runs through reset, sense and step, so they must simulate the swarm "
            "rollout does (the same noise, drawn in the same order)"
        ]
    return problems, []
