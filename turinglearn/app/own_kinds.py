"""Kinds of one's own (a discriminator or optimiser registered in :mod:`turinglearn.app.registry`)
checked before a run, as a simulator of one's own is."""

from __future__ import annotations

import copy

from turinglearn.app.checks import check_discriminator
from turinglearn.app.optimizer_checks import check_optimizer
from turinglearn.app.registry import DISCRIMINATORS, MODELS
from turinglearn.config import Config
from turinglearn.core.contracts import SampleTrainer


def check_own_kinds(config: Config, learner) -> None:
    """A discriminator or optimiser kind of one's own (registered, not built in) is held to its
    contract before a run (:func:`~turinglearn.app.checks.check_discriminator`, and
    :func:`~turinglearn.app.optimizer_checks.check_optimizer` on a copy,
    so the run's draws stay its own): a judge drawing from ``np.random``, or one whose verdict on
    a sample depends on the others, ran silently. ``learner``: the run's, as
    :func:`~turinglearn.app.build.build` made it. A ContractError lists what is wrong."""
    mc, dc, parts = config.models, config.discriminators, vars(learner)
    models, discriminator = parts.get("model_optimizer"), parts.get("discriminator")
    if models is not None and not MODELS.builtin_kind(mc.kind):
        fam = learner.system.model_family
        check_optimizer(copy.deepcopy(models), fam.n_params, fam.lower, fam.upper)
    if discriminator is not None and not DISCRIMINATORS.builtin_kind(dc.kind):
        judges = parts.get("discriminator_optimizer")
        evolved = judges is not None and not isinstance(judges, SampleTrainer)  # a trained judge's weights stay small
        check_discriminator(
            discriminator, discriminator.n_inputs if "n_inputs" in dir(discriminator) else None, evolved=evolved
        )
        if evolved:
            check_optimizer(copy.deepcopy(judges), discriminator.n_weights)
