"""Evolved programs (DEAP GP) as models: batched evaluation, encoding, evolution, integration."""

import itertools
import json
import random

import numpy as np
import pytest

pytest.importorskip("deap")

from deap import gp

import turinglearn
from turinglearn.app.cli import main
from turinglearn.environments.aggregation import P_STAR, AggregationSim
from turinglearn.families.gp import GPFamily, GPOptimizer, _deap_random
from turinglearn.families.policies import PolicySwarm


def population(family, n=30, seed=0):
    return GPOptimizer(family, n, n // 2, np.random.default_rng(seed), init_depth=(1, 4)).ask()


def truth_program(family):
    """``v_left = 1 if s > 0 else -0.7; v_right = -1``: the aggregation controller as a program."""
    p = family.pset.mapping
    const = lambda v: gp.Terminal(v, False, object)  # noqa: E731
    left = gp.PrimitiveTree([p["if_pos"], p["s"], const(1.0), const(-0.7)])
    right = gp.PrimitiveTree([const(-1.0)])
    return family.encode([[left, right]])


@pytest.mark.parametrize("n_states", [2, 3])
def test_batched_evaluation_equals_deaps_own_per_sample_evaluation(n_states):
    family = GPFamily(n_states=n_states)
    theta = population(family, 40, seed=n_states)
    inputs = np.random.default_rng(1).uniform(-2, 2, size=(len(family.inputs), len(theta), 9))
    out = family.evaluate(theta, inputs)  # [M, B, 2]
    for m, row in enumerate(theta):
        for j, tree in enumerate(family.decode(row)):
            fn = gp.compile(tree, family.pset)  # DEAP's own compilation, one sample at a time
            expected = [fn(*(float(v) for v in inputs[:, m, b])) for b in range(inputs.shape[2])]
            np.testing.assert_allclose(out[m, :, j], expected, rtol=1e-12, atol=1e-12)


def test_encoding_round_trips_and_renders_readably():
    family = GPFamily()
    theta = population(family)
    again = family.encode([family.decode(row) for row in theta])
    np.testing.assert_array_equal(again, theta)
    row = truth_program(family)[0]
    assert family.render(row) == "v_left = 1 if s > 0 else (-0.7); v_right = -1"
    np.testing.assert_allclose(family.report(row[None]), [P_STAR])


def test_constant_subtrees_are_folded_for_reading():
    family = GPFamily()
    p = family.pset.mapping
    s, c = p["s"], lambda v: gp.Terminal(v, False, object)
    # left: (s / s) * 0.5 is 0.5 in both sensor states; right: if_pos(s - 2, 1, s) takes the else branch
    left = gp.PrimitiveTree([p["mul"], p["div"], s, s, c(0.5)])
    right = gp.PrimitiveTree([p["if_pos"], p["sub"], s, c(2.0), c(1.0), s])
    row = family.encode([[left, right]])[0]
    assert family.render(row) == "v_left = 0.5; v_right = s"
    assert family.render(row, fold=False) == "v_left = (s / s) * 0.5; v_right = 1 if (s - 2) > 0 else s"


def test_units_drop_out_of_the_printed_program():
    """A newcomer's program printed as ``((0.3081 / s) / 1)``: a division by a subtree that is 1
    in every sensor state it is read in is the numerator alone, and so are x * 1 and x + 0."""
    family = GPFamily()
    p = family.pset.mapping
    s, c = p["s"], lambda v: gp.Terminal(v, False, object)
    left = gp.PrimitiveTree([p["div"], p["sub"], s, c(0.25), p["div"], s, s])  # (s - 0.25) / (s / s)
    right = gp.PrimitiveTree([p["add"], p["mul"], c(1.0), s, p["sub"], s, s])  # 1 * s + (s - s)
    row = family.encode([[left, right]])[0]
    assert family.render(row) == "v_left = s - 0.25; v_right = s"
    assert family.render(row, fold=False) == "v_left = (s - 0.25) / (s / s); v_right = (1 * s) + (s - s)"
    np.testing.assert_allclose(family.tabulate(row)[0], [[-0.25, 0], [0.75, 1]])  # printed = what runs


def test_branches_that_agree_print_as_one_and_each_branch_is_read_where_it_is_taken():
    family = GPFamily()
    p = family.pset.mapping
    s, c = p["s"], lambda v: gp.Terminal(v, False, object)
    # left: if_pos(s, s, s * s) is s whatever s is (0 or 1);
    # right: if_pos(s, s, s * 0.3) is s (= 1) where s > 0 and s * 0.3 (= 0) where it is not
    left = gp.PrimitiveTree([p["if_pos"], s, s, p["mul"], s, s])
    right = gp.PrimitiveTree([p["if_pos"], s, s, p["mul"], s, c(0.3)])
    row = family.encode([[left, right]])[0]
    assert family.render(row) == "v_left = s; v_right = 1 if s > 0 else 0"
    assert (
        family.render(row, fold=False)
        == "v_left = s if s > 0 else (s * s); v_right = s if s > 0 else (s * 0.3)"
    )
    np.testing.assert_allclose(family.tabulate(row)[0], [[0, 0], [1, 1]])  # printed = what runs


def test_program_replicas_move_exactly_as_the_reactive_controller_they_encode():
    sim = AggregationSim(n_agents=5, steps=30)
    family = GPFamily()
    program = np.repeat(truth_program(family), 3, axis=0)
    a = PolicySwarm(sim, family).rollout(program, np.random.default_rng(7)).features
    b = sim.rollout(sim.swarm_params(np.tile(P_STAR, (3, 1))), np.random.default_rng(7)).features
    np.testing.assert_array_equal(a, b)


def test_evolution_improves_fitness_on_a_toy_target():
    family = GPFamily()
    target = np.array([0.3, -0.5, 0.8, 0.1])
    opt = GPOptimizer(family, 40, 20, np.random.default_rng(0))
    errors = []
    for _ in range(60):
        err = np.abs(family.report(opt.ask()) - target).sum(axis=1)
        errors.append(err.min())
        opt.tell(-err)
    assert errors[0] > 0.3
    assert errors[-1] < errors[0] / 10
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(errors))  # elitist: never worse


def test_selected_names_the_told_programs_that_became_parents():
    opt = GPOptimizer(GPFamily(), 20, 10, np.random.default_rng(3))
    noise = np.random.default_rng(1)
    for _ in range(3):
        x = opt.ask().copy()
        opt.tell(noise.random(20))
        np.testing.assert_array_equal(opt.ask()[:10], x[opt.selected])


def test_threshold_keeps_the_parent_programs_while_the_fitness_is_noise():
    family = GPFamily()

    def parents_after(threshold):
        opt = GPOptimizer(family, 20, 10, np.random.default_rng(2), threshold=threshold)
        noise, kept = np.random.default_rng(0), []
        for _ in range(10):
            opt.tell(noise.random(20) * 0.1)  # fitness that says nothing
            kept.append({r.tobytes() for r in opt.ask()[:10]})
        return kept

    held = parents_after(0.1)
    assert all(k == held[0] for k in held)
    free = parents_after(0.0)
    assert free[-1] != free[0]


def test_optimizer_is_seeded_explicitly_and_leaves_global_random_alone():
    family = GPFamily()
    random.seed(123)
    before = random.getstate()
    a = GPOptimizer(family, 20, 10, np.random.default_rng(5))
    b = GPOptimizer(family, 20, 10, np.random.default_rng(5))
    for g in range(5):
        f = np.random.default_rng(g).random(20)
        a.tell(f)
        b.tell(f)
    assert random.getstate() == before
    np.testing.assert_array_equal(a.ask(), b.ask())
    assert not np.array_equal(a.ask(), GPOptimizer(family, 20, 10, np.random.default_rng(6)).ask())
    with pytest.raises(RuntimeError, match="only inside"):
        family.pset.mapping  # noqa: B018
        gp.genFull(family.pset, 2, 2)  # ephemeral constants outside the optimiser's RNG
    with _deap_random(random.Random(0)):
        gp.genFull(family.pset, 1, 2)


def test_state_dict_round_trip_continues_identically(tmp_path):
    from turinglearn.app import checkpoint

    family = GPFamily()
    a = GPOptimizer(family, 20, 10, np.random.default_rng(1))
    a.tell(np.random.default_rng(0).random(20))
    checkpoint.save(tmp_path, 1, {"opt": a.state_dict()})
    b = GPOptimizer(family, 20, 10, np.random.default_rng(99))
    b.load_state_dict(checkpoint.load(checkpoint.checkpoints(tmp_path)[-1])["opt"])
    for g in range(3):
        f = np.random.default_rng(10 + g).random(20)
        a.tell(f)
        b.tell(f)
    np.testing.assert_array_equal(a.ask(), b.ask())


def test_gp_run_reports_its_program(tmp_path, capsys, tiny):
    settings = [x for k, v in tiny.items() if k != "generations" for x in ("--set", f"{k}={v}")]
    out = tmp_path / "run"
    settings += ["--set", 'evaluation.intervals="fast"', "--set", "evaluation.c2st_trials=20"]  # asked for: the table says why there are none
    assert main(["run", "aggregation-gp", "--out", str(out), "--generations", "2", *settings, "--quiet"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["program"].startswith("v_left = ") and "v_right = " in summary["program"]
    assert f"evolved program: {summary['program']}" in printed
    # the empty interval column says why (a newcomer saw 'not computed' with no reason)
    assert "intervals, power and trade-offs: not computed (the models are policies or programs" in printed
    assert summary["parameters"] == ["v_l0", "v_r0", "v_l1", "v_r1"] and summary["models_kind"] == "gp"
    # the same seed gives the same programs
    a = turinglearn.learn("aggregation-gp", seed=2, overrides=tiny)
    b = turinglearn.learn("aggregation-gp", seed=2, overrides=tiny)
    np.testing.assert_array_equal(a.models, b.models)
    assert a.extra["program"] == b.extra["program"]
