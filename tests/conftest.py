import sys
from pathlib import Path

import pytest

import turinglearn  # noqa: F401  (registers the environments)
from turinglearn.config import WITHOUT_MEMORY

# helper modules shared by the tests (faulty_env: an environment whose workers fail on demand),
# importable from every test folder and from the worker processes they spawn
sys.path.insert(0, str(Path(__file__).parent))

#: a small, fast experiment used across tests (about 0.02 s per generation)
TINY = {
    "generations": 3,
    "environment.n_agents": 4,
    "environment.steps": 20,
    "models.population": 10,
    "models.parents": 5,
    "discriminators.population": 10,
    "discriminators.parents": 5,
    "evaluation.c2st_trials": 20,
    # the trust report (power, intervals) has tests of its own (tests/core/test_trust.py);
    # tiny runs elsewhere skip it
    "evaluation.intervals": "off",
    # each feature's tests see it beside the papers' judge fitness, not beside the presets' memory,
    # which tests/test_presets_memory.py runs as shipped
    **WITHOUT_MEMORY,
}


@pytest.fixture
def tiny():
    return dict(TINY)
