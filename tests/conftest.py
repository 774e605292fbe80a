import pytest

import turinglearn  # noqa: F401  (registers the environments)

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
}


@pytest.fixture
def tiny():
    return dict(TINY)
