"""Evolved programs as models: genetic programming on DEAP's trees, inside Turing Learning.

A model is a pair of expression trees, one per wheel, over the replica's sensor reading
(primitives: ``add sub mul div neg if_pos``; terminals: the reading ``s`` and random
constants). It infers the controller as a formula, e.g. ``v_left = (1 if s > 0 else -0.7);
v_right = -1``, without a parametric form given; over ``S`` discrete sensor states a program
commands one pair of wheel speeds per state, so what it can express is the reactive table's
``2 S`` numbers, written as structure.

Everything DEAP is confined to this package (docs/design.md, "Optional dependencies stay in one
module"): trees never leave it. The rest of turinglearn sees a program as a flat float row
(codes and constants, :meth:`GPFamily.encode`), so populations chunk, travel to worker
processes, enter checkpoints and ``populations.npz`` like parameter vectors. DEAP's operators draw from Python's global ``random``; here they run
inside :func:`_deap_random`, which hands them the optimiser's own ``random.Random`` (seeded
from the run's stream, saved in ``state_dict``) and gives the global state back afterwards.

Programs are evaluated batched: :meth:`GPFamily.evaluate` interprets all programs of a
population at once on input arrays (a stack machine over the token columns). The sensors of
the swarm environments are discrete, so a rollout first tabulates each program over the
``S`` sensor states (one batched evaluation) and then acts by table look-up at every step.
"""

from turinglearn.families.gp.programs import GPFamily, _deap_random
from turinglearn.families.gp.search import GPOptimizer

__all__ = ["GPFamily", "GPOptimizer", "_deap_random"]
