import sys
from pathlib import Path

import pytest

import turinglearn  # noqa: F401  (registers the environments)

# helper modules shared by the tests (faulty_env: an environment whose workers fail on demand),
# importable from every test folder and from the worker processes they spawn
sys.path.insert(0, str(Path(__file__).parent))

from helpers import TINY  # importable once tests/ is on sys.path


@pytest.fixture
def tiny():
    return dict(TINY)
