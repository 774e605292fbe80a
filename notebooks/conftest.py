"""The GAN notebook trains 1000 generations in one cell (the slowest item of the test run): it
runs with ``python -m pytest -m slow``; its code paths stay in the default run through
tests/gan/ (the learner, its metrics, checkpoints and resume)."""

import pytest

SLOW = {"03_gan_digits.ipynb"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in SLOW:
            item.add_marker(pytest.mark.slow)
