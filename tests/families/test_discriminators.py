"""ElmanNetwork: batched judgements against the scalar oracle and hand-built networks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from turinglearn.environments.reference import reference_elman_judge
from turinglearn.families.elman import ElmanNetwork


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize(
    ("n_inputs", "n_hidden", "d", "s", "t"),
    [
        (2, 5, 1, 1, 1),
        (2, 5, 4, 6, 20),
        (2, 5, 3, 2, 0),  # no steps: the output sees the zero context only
        (2, 3, 2, 5, 9),
        (3, 8, 5, 3, 12),
        (1, 1, 3, 4, 7),
    ],
)
def test_judge_matches_scalar_reference(n_inputs, n_hidden, d, s, t, kernels):
    rng = np.random.default_rng(1000 * n_hidden + 10 * d + t)
    net = ElmanNetwork(dtype="float64", n_inputs=n_inputs, n_hidden=n_hidden, kernels=kernels)
    w = rng.normal(0.0, 2.0, size=(d, net.n_weights))
    x = rng.uniform(-1.5, 1.5, size=(s, t, n_inputs))
    got = net.judge(w, x)
    assert got.shape == (d, s)
    expected = np.array(
        [[reference_elman_judge(w[i], x[j], n_inputs, n_hidden) for j in range(s)] for i in range(d)]
    )
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert ((got > 0) & (got < 1)).all()


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize(("d", "s", "t"), [(3, 4, 9), (2, 3, 1), (2, 600, 5)])  # 600: past a kernel block
def test_mean_readout_is_the_mean_of_the_outputs_after_every_step(kernels, d, s, t):
    rng = np.random.default_rng(10 * s + t)
    net = ElmanNetwork(dtype="float64", kernels=kernels, readout="mean")
    w = rng.normal(0.0, 2.0, size=(d, net.n_weights))
    x = rng.uniform(-1.5, 1.5, size=(s, t, 2))
    last = ElmanNetwork(dtype="float64", kernels=kernels)
    # the output after step k is the last-step judgement of the first k steps
    expected = np.mean([last.judge(w, x[:, :k]) for k in range(1, t + 1)], axis=0)
    np.testing.assert_allclose(net.judge(w, x), expected, rtol=0, atol=1e-12)
    if t > 1:
        assert not np.allclose(net.judge(w, x), last.judge(w, x))
    with pytest.raises(ValueError, match="readout"):
        ElmanNetwork(readout="max")


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
def test_judge_first_output_of_a_multi_output_network(kernels):
    net = ElmanNetwork(dtype="float64", n_inputs=2, n_hidden=4, n_outputs=3, kernels=kernels)
    assert net.n_weights == 3 * 4 + 4 * 4 + 5 * 3
    rng = np.random.default_rng(7)
    w = rng.normal(size=(2, net.n_weights))
    x = rng.normal(size=(3, 6, 2))
    expected = [[reference_elman_judge(w[i], x[j], 2, 4) for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(net.judge(w, x), expected, rtol=0, atol=1e-12)


def test_weight_count():
    assert ElmanNetwork(dtype="float64").n_weights == 46
    assert ElmanNetwork(dtype="float64", n_inputs=3, n_hidden=2).n_weights == 4 * 2 + 2 * 2 + 3 * 1


def test_all_zero_weights_give_one_half():
    net = ElmanNetwork(dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 10, 2))
    np.testing.assert_array_equal(net.judge(np.zeros((3, 46)), x), np.full((3, 5), 0.5))


def test_large_output_bias_means_genuine():
    w = np.zeros((2, 46))
    w[0, 45] = 20.0  # output bias, the last weight
    w[1, 45] = -20.0
    x = np.random.default_rng(1).normal(size=(4, 8, 2))
    got = ElmanNetwork(dtype="float64").judge(w, x)
    np.testing.assert_allclose(got[0], _logistic(20.0), rtol=0, atol=1e-15)
    np.testing.assert_allclose(got[1], _logistic(-20.0), rtol=0, atol=1e-15)
    assert (got[0] > 0.999).all() and (got[1] < 0.001).all()


def test_hand_built_network_follows_the_weight_layout():
    # defaults: W_in is weights 0..14 ((2 + 1) x 5, bias row 10..14), W_ctx 15..39 (5 x 5),
    # W_out 40..45 (5 weights, then the output bias at 45)
    w = np.zeros(46)
    w[1] = 1.0  # input 0 -> hidden 1       (W_in[0, 1])
    w[15 + 1 * 5 + 3] = 1.0  # hidden 1 -> hidden 3 next step (W_ctx[1, 3])
    w[40 + 3] = 1.0  # hidden 3 -> output   (W_out[3, 0])
    w[12] = 0.5  # bias of hidden 2, read by nothing
    x = np.array([[(2.0, 5.0), (0.0, -3.0)]])  # input 1 is wired to nothing
    # step 1: h1 = s(2), h3 = s(0); step 2: h1 = s(0), h3 = s(h1 of step 1) = s(s(2)); out = s(h3)
    expected = _logistic(_logistic(_logistic(2.0)))
    assert ElmanNetwork(dtype="float64").judge(w[None], x)[0, 0] == pytest.approx(expected, abs=1e-14)
    assert reference_elman_judge(w, x[0]) == pytest.approx(expected, abs=1e-14)
    # one step only: h3 = s(0) = 0.5, so out = s(0.5)
    assert ElmanNetwork(dtype="float64").judge(w[None], x[:, :1])[0, 0] == pytest.approx(
        _logistic(0.5), abs=1e-14
    )


def test_context_starts_at_zero_for_every_sample():
    net = ElmanNetwork(dtype="float64")
    w = np.random.default_rng(3).normal(size=(2, 46))
    x = np.random.default_rng(4).normal(size=(3, 5, 2))
    together = net.judge(w, x)
    for j in range(3):
        np.testing.assert_allclose(net.judge(w, x[j : j + 1])[:, 0], together[:, j], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("w_shape", "x_shape"),
    [
        ((46,), (2, 3, 2)),  # weights not 2-D
        ((2, 45), (2, 3, 2)),  # wrong number of weights
        ((2, 47), (2, 3, 2)),
        ((2, 46), (3, 2)),  # samples not 3-D
        ((2, 46), (2, 3, 3)),  # wrong number of features
        ((2, 46), (2, 3, 1, 2)),
    ],
)
def test_bad_shapes_raise(w_shape, x_shape):
    with pytest.raises(ValueError, match=r"\["):
        ElmanNetwork(dtype="float64").judge(np.zeros(w_shape), np.zeros(x_shape))


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
def test_float32_default_agrees_with_float64(kernels):
    rng = np.random.default_rng(11)
    w = rng.normal(0, 1, (30, 46))
    x = rng.uniform(-1, 1, (40, 100, 2))
    fast = ElmanNetwork(kernels=kernels).judge(w, x)
    exact = ElmanNetwork(dtype="float64", kernels="numpy").judge(w, x)
    assert ElmanNetwork().dtype == "float32"
    np.testing.assert_allclose(fast, exact, rtol=0, atol=1e-5)


# --- the compiled kernel (turinglearn.families.elman_kernels) ----------------------------------


def test_kernel_is_the_default_and_agrees_with_the_numpy_path_in_float64():
    from turinglearn.families import elman_kernels

    assert ElmanNetwork().kernels == "numba"
    rng = np.random.default_rng(12)
    # more samples than one block of the kernel, weights large enough to saturate units
    w = rng.normal(0, 3, (7, 46))
    x = rng.uniform(-1.5, 1.5, (elman_kernels.BLOCK + 37, 30, 2))
    got = ElmanNetwork(dtype="float64").judge(w, x)
    want = ElmanNetwork(dtype="float64", kernels="numpy").judge(w, x)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    for j in (0, elman_kernels.BLOCK - 1, elman_kernels.BLOCK, len(x) - 1):
        assert got[3, j] == pytest.approx(reference_elman_judge(w[3], x[j]), abs=1e-12)


def test_kernel_float32_matches_the_scalar_oracle():
    rng = np.random.default_rng(13)
    w = rng.normal(0, 2, (5, 46))
    x = rng.uniform(-1.5, 1.5, (9, 60, 2))
    expected = np.array([[reference_elman_judge(w[i], x[j]) for j in range(9)] for i in range(5)])
    np.testing.assert_allclose(ElmanNetwork().judge(w, x), expected, rtol=0, atol=2e-6)


def test_kernel_does_not_depend_on_the_number_of_threads(monkeypatch):
    rng = np.random.default_rng(14)
    w, x = rng.normal(0, 1, (11, 46)), rng.uniform(-1, 1, (50, 40, 2))
    runs = []
    for threads in ("1", "2", "5"):
        monkeypatch.setenv("TURINGLEARN_THREADS", threads)
        runs.append(ElmanNetwork().judge(w, x))
    for other in runs[1:]:
        np.testing.assert_array_equal(other, runs[0])


def test_kernels_setting_is_checked():
    from turinglearn.errors import ConfigError

    with pytest.raises(ConfigError, match="kernels"):
        ElmanNetwork(kernels="cuda")


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize("t", [20, 40, 50, 60, 100, 200])
def test_a_saturated_judges_mean_readout_stays_in_the_unit_interval(kernels, t):
    """A newcomer's ants: a judge saturated at 1 read 1.0000000000000004 averaged over 40 steps
    (a fortieth added per step), and the run stopped on 'outputs outside [0, 1]'."""
    net = ElmanNetwork(dtype="float64", n_inputs=3, kernels=kernels, readout="mean")
    w = np.zeros((1, net.n_weights))
    w[0, -1] = 50.0  # output bias: the sigmoid is 1 to rounding
    got = net.judge(w, np.zeros((2, t, 3)))
    assert (got <= 1.0).all() and (got > 0.999).all(), got
