"""What a :class:`~turinglearn.core.learner.TuringLearner` checks of its parts when it is built
(and when it restarts): the settings that need evolved judges, one population, a passive
system or a (mu + lambda) ES, refused with a ValueError that says why. Each takes the learner
being built (this module does not import it: the learner imports these)."""

from __future__ import annotations

import numpy as np

from turinglearn.core.contracts import InterrogatedSystem, PassiveSystem
from turinglearn.core.optimizers import Islands, SelfAdaptiveES
from turinglearn.errors import ContractViolation


def check_inputs(learner) -> None:
    """The discriminator must read as many features per step as the system's samples carry (F,
    the system's ``feature_names`` or its simulator's; a snapshot system's own ``n_inputs``): caught when the
    learner is built, not in the first generation's judging (an ``ElmanNetwork()`` reads
    aggregation's 2 features by default)."""
    disc, system = learner.discriminator, learner.system
    have = disc.n_inputs if "n_inputs" in dir(disc) else None  # the contract's; a user's family may lack it
    want = system.n_inputs if "n_inputs" in dir(system) else None  # a snapshot system's own
    sim = system.sim if "sim" in dir(system) else None
    names = sim.feature_names if sim is not None and "feature_names" in dir(sim) else None
    if "feature_names" in dir(system):  # what its samples show (a recording's: the stimuli applied too)
        names = system.feature_names
    by_names = want is None and names is not None
    if by_names:
        want = len(names)
    if not isinstance(have, (int, np.integer)) or want is None or have == want:
        return
    raise ValueError(
        f"the discriminator reads {have} features per step (n_inputs); this system's samples carry {want}"
        + (f" ({', '.join(names)}): build it with n_inputs={want}, e.g. ElmanNetwork(n_inputs={want})"
           if by_names else f": build it with n_inputs={want} (the system's n_inputs)")
    )


def check_islands(learner) -> None:
    """Islands need evolved judges and a population of the optimisers' islands; the memories
    that add counterfeits, and matching fitness, are defined over one population."""
    k = learner.islands
    if learner.trains_on_samples:
        raise ValueError("islands need evolved discriminators; a trained classifier is one judge")
    if learner.models_memory.size or learner.counterfeits is not None or learner.scoring.model_fitness in ("matching", "gap"):
        raise ValueError("islands work with votes or outputs, without model memory or counterfeits")
    for name, opt in (("model", learner.model_optimizer), ("discriminator", learner.discriminator_optimizer)):
        if not isinstance(opt, Islands) or len(opt.parts) != k:
            raise ValueError(f"islands = {k} needs the {name} optimiser to be Islands of {k}")
        if len({len(p.ask()) for p in opt.parts}) > 1:
            raise ValueError(f"the {name} optimiser's islands differ in size; the judging assumes equal ones")


def check_judge_steps(learner) -> None:
    """Extra judge steps re-judge one generation's samples: evolved judges of a passive system,
    one population."""
    if learner.trains_on_samples:
        raise ValueError("judge_steps evolve the discriminators; a trained classifier has its own train_steps")
    if not isinstance(learner.system, PassiveSystem):
        raise ValueError("judge_steps re-judge a generation's samples; an interrogated system's depend on the judges")
    if learner.islands > 1:
        raise ValueError("judge_steps would migrate the islands' judges more often than their models; use islands = 1")


def check_guards(learner) -> None:
    """Guards are evolved judges elected from one population of them."""
    if learner.trains_on_samples:
        raise ValueError("guards are elected among evolved discriminators; a trained classifier is one judge")
    if learner.islands > 1:
        raise ValueError("guards judge every model alike; islands keep their judges apart: use islands = 1")
    if not 0 < learner.scoring.guard_weight <= 1:
        raise ValueError(f"guard_weight is the guards' share of a model's fitness, in (0, 1], got {learner.scoring.guard_weight}")


def check_model_judges(discriminator_optimizer) -> None:
    """Models judged by the judges' parents need a (mu + lambda) ES of evolved judges, one
    population (not a trained classifier, not islands): its first ``parents`` rows are the
    judges kept by the last selection."""
    if not isinstance(discriminator_optimizer, SelfAdaptiveES):
        raise ValueError("model_judges = 'parents' needs evolved judges of a SelfAdaptiveES (its parents lead the population)")


def check_critic(learner) -> None:
    """The critic reads finished trials: a passive system's samples, or an interrogated one's
    trials under its interrogators (``interrogated_samples``)."""
    if not isinstance(learner.system, PassiveSystem | InterrogatedSystem):
        raise ValueError(
            "the critic is fitted to finished trials: the system needs samples() (passive) or "
            "interrogated_samples() (interrogated)"
        )
    if learner.critic.trials is not None and isinstance(learner.system, PassiveSystem):
        raise ValueError(
            f"the critic's trials ({learner.critic.trials}) are the trials it runs on an interrogated system; "
            "on a passive one it reads the generation's samples: leave FeatureCritic(trials=None)"
        )


def asked_problems(rows: np.ndarray, bounds: tuple[np.ndarray, np.ndarray] | None, what: str) -> list[str]:
    """What is wrong with the rows [P, n] an optimiser's ask() returned (``what``): NaN, or
    values outside ``bounds`` (lower [n], upper [n]; None: none), each named by column."""
    if np.isnan(rows).any():
        return [f"{what} returned NaN in columns {sorted(set(np.nonzero(np.isnan(rows))[1].tolist()))}"]
    if bounds is None:
        return []
    lower, upper = bounds
    slack = 1e-6 * (upper - lower)  # a bound rounded to float32 (0.6931472 for log 2) is still the bound
    out = (rows < lower - slack) | (rows > upper + slack)
    if not out.any():
        return []
    j = int(np.nonzero(out.any(axis=0))[0][0])
    value = rows[out[:, j], j][0]
    return [
        f"{what} returned values outside the bounds (column {j}: {value:.10g} not in [{lower[j]:.10g}, {upper[j]:.10g}]): "
        "keep every row inside [lower, upper], e.g. np.clip(rows, lower, upper); a simulator need not accept "
        "values outside, and the reported medians would be out of range"
    ]


def check_asked(learner, theta: np.ndarray | None, weights: np.ndarray) -> None:
    """A generation's rows from the two optimisers: models [M, d] inside the model family's
    bounds (``theta`` None: the judges' alone, asked again for an extra judge step),
    discriminators [D, k]; a ContractViolation naming the optimiser otherwise (a user's optimiser that
    forgot to clip, or returned [d, M], failed deep in a simulator, or ran on)."""
    family = learner.system.model_family
    d = family.n_params
    bounds = tuple(np.broadcast_to(np.asarray(b, float), (d,)) for b in (family.lower, family.upper))
    for which, opt, rows, n, within in (
        ("model", learner.model_optimizer, theta, d, bounds),
        ("discriminator", learner.discriminator_optimizer, weights, learner.discriminator.n_weights, None),
    ):
        if rows is None:
            continue
        name = f"the {which} optimiser {type(opt).__name__}'s ask()"
        if np.ndim(rows) != 2 or np.shape(rows)[1] != n:
            size = "the model family's n_params" if which == "model" else "the discriminator's n_weights"
            raise ContractViolation(f"{name} returned shape {np.shape(rows)}; expected [P, {n}] ({n}: {size})")
        problems = asked_problems(np.asarray(rows, float), within, name)
        if problems:
            raise ContractViolation(problems[0])


def check_outputs(outputs: np.ndarray, genuine: np.ndarray, owner: np.ndarray, shown: np.ndarray, generation: int) -> None:
    """The judges' outputs [J, S] on a generation's samples must be numbers in [0, 1] (an
    interrogator of one's own that returned logits ran on): a NaN output comes
    from a sample whose features were not finite (a simulator that returns NaN or inf for some
    parameter values), which every judge would otherwise call counterfeit, so that those models
    scored 0 and the search silently left their region. A ValueError names the models' rows
    (``shown`` [M', d], indexed by ``owner`` [S]: the population first, then any rows the memory
    showed beside it) or the system's samples (``genuine`` [S]); NaN on every sample of some
    judges while the others judge them is the judges' own."""
    nan = np.isnan(outputs)  # [J, S]: every generation, on the judges' own dtype (no copy to float64)
    if not nan.all():  # interrogators' outputs too, which judge_checked does not see
        lo, hi = np.nanmin(outputs), np.nanmax(outputs)
        if lo < 0 or hi > 1:
            raise ContractViolation(
                f"generation {generation}: the judges' outputs lie outside [0, 1] (min {lo:.4g}, max {hi:.4g}): an "
                "output is how genuine a sample looks, > 0.5 genuine; squash scores with a sigmoid, 1 / (1 + exp(-z))"
            )
    if not nan.any():
        return
    judges = np.flatnonzero(nan.all(axis=1))
    if len(judges) and not nan.all(axis=0).any():  # whole judges' rows, not samples' columns: the judges' own
        raise ContractViolation(
            f"generation {generation}: judges {judges[:5].tolist()}{' ...' if len(judges) > 5 else ''} output NaN on "
            "every sample while the others judged them: their weights are not finite (evolved judges whose step sizes "
            "grew without bound: cap them, discriminators.sigma_max = 5; a trained judge's learning rate too high; or "
            "a discriminator family of one's own that overflows). The run repeats it on resume: start it again with "
            "the fix"
        )
    bad = nan.any(axis=0)  # [S]
    rows = sorted({int(o) for o in np.asarray(owner)[bad & ~np.asarray(genuine, bool)]})
    fix = (
        "features must be finite for every parameter row inside the bounds (check the simulator where these "
        "values are used: a division by a parameter, a log of 0, a variance below 0), or narrow the bounds"
    )
    if rows:
        shown_rows = "; ".join(f"model {r}: {np.array2string(np.asarray(shown[r]), precision=4)}" for r in rows[:3])
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        raise ContractViolation(
            f"generation {generation}: the judges' outputs are NaN on samples of {len(rows)} model(s) ({shown_rows}{more}): "
            f"their features were not finite (NaN or inf); {fix}"
        )
    raise ContractViolation(
        f"generation {generation}: the judges' outputs are NaN on the system's own (genuine) samples: their features "
        "were not finite (NaN or inf); the system's features must be finite"
    )
