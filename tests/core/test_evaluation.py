"""The summary statistics of a trajectory (the held-out test's and the feature judges')."""

import numpy as np

from turinglearn.core.evaluation import STATISTIC_NAMES, trajectory_feature_names, trajectory_features


def test_each_column_is_the_statistic_its_name_says():
    """A constant first feature and a ramp from 0 to 1 as the second: the columns named for the
    ramp hold its mean 0.5, quantiles, change 1/4 and fraction above +0.5 (2 of 5 steps); the
    constant's spread, change and fractions are 0 and its autocorrelation is defined as 1."""
    x = np.stack([np.full(5, 0.2), np.linspace(0.0, 1.0, 5)], axis=1)[None]  # [S = 1, T = 5, F = 2]
    z = dict(zip(trajectory_feature_names(["flat", "ramp"]), trajectory_features(x)[0], strict=True))
    assert len(z) == 2 * len(STATISTIC_NAMES) == 18
    np.testing.assert_allclose([z["ramp.mean"], z["ramp.q50"], z["ramp.q10"], z["ramp.q90"]], [0.5, 0.5, 0.1, 0.9])
    np.testing.assert_allclose([z["ramp.change"], z["ramp.hi"], z["ramp.lo"]], [0.25, 0.4, 0.0])
    np.testing.assert_allclose([z["flat.mean"], z["flat.std"], z["flat.change"], z["flat.ac"]], [0.2, 0.0, 0.0, 1.0])
    assert z["ramp.std"] > 0.3 and z["ramp.ac"] > 0
