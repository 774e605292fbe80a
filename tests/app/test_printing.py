"""The closing lines of a run (turinglearn.app.printing)."""

import numpy as np

from turinglearn.app.printing import print_summary
from turinglearn.config import WITHOUT_MEMORY, load_config


def test_the_closing_c2st_line_names_schedules_only_where_a_system_has_them(capsys):
    config = load_config("aggregation")
    base = {"parameters": [], "truth": None, "inferred": [], "abs_error": None, "generations": 1, "seconds": 1.0}
    test = {"schedule": "passive", "trials": 200, "threshold": 0.519, "accuracy": 0.5}
    one = {"passive": 0.88}
    print_summary(config, {**base, "c2st": 0.88, "c2st_schedule": "passive", "c2st_by_schedule": one, "test": test})
    out = capsys.readouterr().out
    assert "C2ST (0.5 = indistinguishable): 0.880\n" in out and "schedule" not in out  # a swarm has no stimuli
    assert "held-out test (200 trials): accepts" in out
    by = {"random": 0.61, "passive": 0.55, "interrogators": 0.7}
    test = {**test, "schedule": "interrogators"}
    print_summary(config, {**base, "c2st": 0.7, "c2st_schedule": "interrogators", "c2st_by_schedule": by, "test": test,
                           "c2st_schedule_reason": "tells apart best"})  # fmt: skip
    out = capsys.readouterr().out
    assert ("0.700 under the interrogators schedule, the one that tells it apart best (the largest of 3, so above 0.5 "
            "by chance too: the held-out test below has the verdict) (random 0.610, passive 0.550, "
            "interrogators 0.700)") in out  # fmt: skip
    assert "held-out test (interrogators schedule, 200 trials): accepts" in out  # the same schedule: no reason needed
    test = {**test, "schedule": "random", "schedule_reason": "most power"}
    print_summary(config, {**base, "c2st": 0.7, "c2st_schedule": "interrogators", "c2st_by_schedule": by, "test": test})
    assert ("held-out test (random schedule, the one whose test sees the parameters' moves best, 200 trials)"
            in capsys.readouterr().out)  # fmt: skip
    # a passive study's test watched what it watched; a schedule the user chose claims nothing
    test = {**test, "schedule": "passive", "schedule_reason": "watched"}
    print_summary(config, {**base, "c2st": 0.7, "c2st_schedule": "random", "c2st_by_schedule": by, "test": test,
                           "c2st_schedule_reason": "chosen"})  # fmt: skip
    out = capsys.readouterr().out
    assert "held-out test (passive schedule, the one a passive study watched, 200 trials)" in out
    assert "under the random schedule (random" in out


def test_a_peers_posterior_interval_is_printed_beside_the_held_out_tests(capsys):
    config = load_config("aggregation")
    summary = {
        "parameters": ["a", "b"], "truth": [0.1, 0.2], "inferred": [0.11, 0.25], "abs_error": [0.01, 0.05],
        "generations": 1, "seconds": 1.0, "interval": {"a": {"lo": None, "hi": None}, "b": {"lo": None, "hi": None}},
        "posterior": {"level": 0.9},
        "posterior_interval": {"a": {"lo": 0.05, "hi": 0.15, "width": 0.1}, "b": {"lo": 0.1, "hi": 0.4, "width": 0.3}},
    }  # fmt: skip
    print_summary(config, summary)
    out = capsys.readouterr().out
    assert "posterior 90 % interval: a [+0.050, +0.150], b [+0.100, +0.400]\n" in out
    assert out.count("none (told apart)") == 2  # the held-out test's, as before


def test_a_learner_without_judges_names_the_memory_settings_it_ignores(capsys):
    """The presets carry the coevolution's memory; a metric learner or a peer runs without judges,
    so the run says which of the config's settings changed nothing. Settings left at their
    defaults or turned off, or a learner with judges (turing), give no line."""
    base = {"parameters": [], "truth": None, "inferred": [], "abs_error": None, "generations": 1, "seconds": 1.0}

    def memory_line(preset, overrides):
        print_summary(load_config(preset, overrides), base)
        return [x for x in capsys.readouterr().out.splitlines() if x.startswith("memory:")]

    assert memory_line("aggregation", {"learner.kind": "metric-sse"}) == [
        "memory: none (learner.kind = 'metric-sse' has no judges to remember with; the config's critic = 0.5, "
        "judge_fitness = 'shared-geometric', judge_steps = 3, model_judges = 'parents' change nothing)"
    ]
    assert memory_line("own-system", {**WITHOUT_MEMORY, "learner.kind": "npe", "learner.critic": 0.5}) == [
        "memory: none (learner.kind = 'npe' has no judges to remember with; the config's critic = 0.5 changes nothing)"
    ]
    assert memory_line("aggregation", {}) == []  # turing: the memory is used
    assert memory_line("own-system", {**WITHOUT_MEMORY, "learner.kind": "metric-histogram"}) == []  # all off
    papers = {"learner.kind": "metric-histogram", "learner.critic": 0.0, "learner.judge_fitness": "accuracy",
              "learner.judge_steps": 1, "learner.model_judges": "all"}  # fmt: skip
    assert memory_line("aggregation", papers) == []


def test_an_identified_parameter_whose_shown_interval_is_wide_says_whence_the_flag_comes():
    """The interval printed is the hull of the test's part and the run's spread; 'identified'
    reads the test's part alone, so where the hull is wider than 'identified' allows the line
    gives the test's own interval (a newcomer read the two as a contradiction)."""
    from turinglearn.app.trust_lines import trust_flags

    wide = {"lo": 0.226, "hi": 0.952, "width": 0.726, "test": [0.534, 0.653], "spread": [0.226, 0.952]}
    narrow = {"lo": 0.261, "hi": 0.335, "width": 0.074, "test": [0.274, 0.321], "spread": [0.261, 0.335]}
    summary = {"identified": {"a": True, "b": True}, "interval": {"a": wide, "b": narrow}}
    assert trust_flags(summary, "a") == (
        "identified (by the test's own interval [+0.534, +0.653]; the run's spread widens the one shown)"
    )
    assert trust_flags(summary, "b") == "identified"


def test_the_memory_line_knows_every_memory_setting_and_its_off_value():
    """MEMORY_OFF lists the settings the config module knows as the memory: WITHOUT_MEMORY's, and
    every feature of DEPENDENTS (its archives, guards and critic) but islands, each off at 0."""
    from turinglearn.app.printing import MEMORY_OFF
    from turinglearn.config.learner import DEPENDENTS, WITHOUT_MEMORY

    expected = {k.removeprefix("learner."): v for k, v in WITHOUT_MEMORY.items()}
    expected |= {feature: 0 for feature in DEPENDENTS if feature != "islands"}
    assert MEMORY_OFF == expected


def test_a_rejected_estimates_intervals_are_read_as_slices_through_it(capsys):
    """A rejected estimate's intervals hold the other parameters at the estimate: where two trade
    off (a newcomer's controller gain and set point) they can be narrow and miss the truth, so the
    line says what they are (concepts.md, how to see two at once); a rejection without intervals
    says only that."""
    config = load_config("aggregation")
    test = {"schedule": "passive", "trials": 100, "threshold": 0.545, "accuracy": 0.835, "rejected": True}
    base = {"parameters": ["a"], "truth": [0.1], "inferred": [0.2], "abs_error": [0.1], "generations": 1,
            "seconds": 1.0, "test": test}  # fmt: skip
    print_summary(config, {**base, "interval": {"a": {"lo": 0.15, "hi": 0.25, "width": 0.1}}})
    out = capsys.readouterr().out
    assert "the estimate scores 0.835 (rejected: intervals widened by its excess; each holds the other parameters at" in out
    for none in ({}, {"interval": {"a": {"lo": None, "hi": None}}}):  # no interval drawn: "none (told apart)"
        print_summary(config, {**base, **none})
        out = capsys.readouterr().out
        assert "the estimate scores 0.835 (rejected)" in out and "each holds" not in out


def test_a_trade_off_is_named_beside_the_slices(capsys):
    """Where the held-out test accepts two parameters moved together beyond their slices (a
    ridge), each one's interval column spans the ridge, its flag gives the slice alone, and a line
    names the pairs and how to map one."""
    from turinglearn.app.trust_lines import trust_flags

    ridge = {"with": "bias", "lo": 0.0, "hi": 0.92, "width": 0.92}
    summary = {
        "parameters": ["gain", "bias"], "truth": [0.4, 0.5], "inferred": [0.41, 0.5], "abs_error": [0.01, 0.0],
        "generations": 1, "seconds": 1.0,
        "identified": {"gain": False, "bias": True},
        "interval": {"gain": {"lo": 0.39, "hi": 0.45, "width": 0.06, "ridge": ridge},
                     "bias": {"lo": 0.49, "hi": 0.55, "width": 0.06,
                              "ridge": {"with": "gain", "lo": 0.4, "hi": 0.6, "width": 0.2}}},
        "tradeoffs": [{"pair": ["gain", "bias"], "together": "opposite", "lo": [0.0, 0.0], "hi": [0.92, 0.92]}],
    }  # fmt: skip
    assert trust_flags(summary, "gain") == "NOT IDENTIFIED (trades off with bias: the interval shown spans the ridge; the test's slice alone [+0.390, +0.450])"
    assert trust_flags(summary, "bias") == "identified (trades off with gain: the interval shown spans the ridge; the test's slice alone [+0.490, +0.550])"
    print_summary(load_config("aggregation"), summary)
    out = capsys.readouterr().out
    # the column a reader copies holds what the test accepts along the ridge (it showed the slice, which missed a truth)
    assert "[+0.000, +0.920]" in out and "[+0.400, +0.600]" in out
    assert "trade-offs: gain and bias (opposite ways): the test accepts them moved together beyond the slices" in out
    assert 'evaluation.pair = ["gain", "bias"] maps the first' in out
    print_summary(load_config("aggregation"), {**summary, "pair_map": {"parameters": ["gain", "bias"]}})
    assert "; pair_map.png maps gain and bias; a ridge may run through more than two parameters" in capsys.readouterr().out  # already mapped: no advice to
    # an interval widened by the run's spread: the slice is the test's part, not the hull (the flag gave the hull)
    summary["interval"]["bias"].update(lo=0.3, hi=0.7, width=0.4, test=[0.49, 0.55])
    assert trust_flags(summary, "bias") == (
        "identified (trades off with gain: the interval shown spans the ridge and the run's spread; "
        "the test's slice alone [+0.490, +0.550])"
    )


def test_an_accuracy_far_below_chance_is_flagged(capsys):
    """A cross-validated accuracy 3.5 null sds below the null's median (a newcomer's fish
    recording read 0.281 against 0.51) passed without a word; it says the folds reverse."""
    config = load_config("aggregation")
    base = {"parameters": [], "truth": None, "inferred": [], "abs_error": None, "generations": 1, "seconds": 1.0}
    test = {"trials": 48, "trials_asked": 200, "threshold": 0.59, "null_median": 0.51, "null_sd": 0.065}
    print_summary(config, {**base, "test": {**test, "accuracy": 0.281}})
    out = capsys.readouterr().out
    assert "48 trials of 200 asked: all the recording fills" in out
    assert "far below chance (3.5 null sds under its median, 0.510)" in out
    print_summary(config, {**base, "test": {**test, "accuracy": 0.45}})
    assert "below chance" not in capsys.readouterr().out


def test_a_marginal_rejection_is_told_from_several_parameters_off():
    from turinglearn.app.trust_lines import eases_line

    test = {"accuracy": 0.54, "threshold": 0.53, "null_sd": 0.02, "level": 0.9, "eases": []}
    assert eases_line(test).startswith("rejected by a margin within the null's spread (0.010, one null sd 0.020)")
    assert eases_line({**test, "accuracy": 0.6}).startswith("rejected: no parameter moved alone")
    two = [{"parameter": "a", "value": 0.1, "accuracy": 0.5, "accepted": True},
           {"parameter": "b", "value": 2.0, "accuracy": 0.52, "accepted": True}]  # fmt: skip
    assert "one parameter may be making up for another's error" in eases_line({**test, "accuracy": 0.6, "eases": two})
    # a narrow rejection's candidates are chance's as likely (a statistician's estimate, rejected 2 times in 30 on
    # retests, was told to move offset_sd where the C2ST read 0.85)
    assert eases_line({**test, "eases": two}).startswith(
        "rejected narrowly (by 0.010, within one null sd 0.020: a model as good as the system is rejected 10% of the "
        "time, and then these moves are chance's too; repeat over seeds before acting on them): moved alone"
    )


def test_a_sweep_counts_the_held_out_tests_rejections():
    """A newcomer comparing two hypotheses over seeds had to parse every run's report to count
    how often the test rejected each: the sweep's table says it, beside the chance count."""
    from turinglearn.app.sweep import verdicts

    rows = [{"task": "crw", "learner": "turing", "rejected": r, "level": 0.9} for r in (True, False, True, True, True)]
    rows.append({"task": "crw", "learner": "turing", "rejected": None})  # no test in this run: not counted
    assert verdicts(rows) == (
        "crw, turing: the held-out test rejected the estimate in 4 of 5 runs (a model as good as the system: "
        "about 10% of runs by chance)\n"
    )
    assert verdicts([{"task": "x", "learner": "metric-sse", "rejected": None}]) == ""
    # a family that cannot reach the truth, rejected no more often, but told apart by the C2ST
    told = [{**r, "c2st": c} for r, c in zip(rows[:5], (0.8, 0.77, 0.6, 0.83, 0.5), strict=True)]
    assert verdicts(told).endswith(
        "; the C2ST told it apart (>= 0.7) in 3 of 5, in runs the fast test accepted (its linear classifier may not "
        "see the difference): compare hypotheses by both\n"
    )
    # told apart only where the fast test rejected too: nothing the fast test missed (an ecologist's 3 of 3)
    both = [{**r, "c2st": c} for r, c in zip(rows[:5], (0.8, 0.5, 0.77, 0.6, 0.5), strict=True)]
    assert verdicts(both).endswith("; the C2ST told it apart (>= 0.7) in 2 of 5\n")


def test_an_interval_bound_that_rounds_to_zero_prints_without_a_minus(capsys):
    """A newcomer's interval read [-0.000, +0.619]."""
    from turinglearn.app.printing import print_table

    summary = {"parameters": ["kp"], "truth": [0.4], "inferred": [0.41], "abs_error": [0.01],
               "interval": {"kp": {"lo": -0.00002, "hi": 0.619, "width": 0.62}}, "generations": 1, "seconds": 1.0}  # fmt: skip
    print_table(summary)
    out = capsys.readouterr().out
    assert "[+0.000, +0.619]" in out and "-0.000" not in out


def test_parameters_of_a_narrow_range_print_in_scientific_notation(capsys):
    """A newcomer's SI parameters (a speed in m/s, a radius in m) all printed +0.000, their
    errors 0.000 even where a run had ended on a bound, 32 % of the range off."""
    from turinglearn.app.printing import print_table

    summary = {
        "parameters": ["v", "D_r"], "truth": [2e-5, 0.2], "inferred": [1.9e-6, 0.23], "abs_error": [1.81e-5, 0.03],
        "bounds": {"lower": [1e-6, 0.01], "upper": [6e-5, 1.0]}, "generations": 1, "seconds": 1.0,
        "interval": {"v": {"lo": 1.995e-5, "hi": 2.007e-5, "width": 0.002}, "D_r": {"lo": 0.15, "hi": 0.283, "width": 0.13}},
    }  # fmt: skip
    print_table(summary)
    out = capsys.readouterr().out
    assert "  +2.000e-05  +1.900e-06  1.810e-05  [+1.995e-05, +2.007e-05]   " in out
    assert "      +0.200      +0.230      0.030  [+0.150, +0.283]           " in out  # three decimals, columns widened
    header, first, second = out.splitlines()[:3]
    assert header.index("held-out test") == first.index("not computed") == second.index("not computed")  # aligned


def test_the_multi_run_tables_print_a_narrow_range_in_scientific_notation():
    """The sweep's and `turinglearn report`'s tables over seeds printed an SI speed's estimates
    and errors with three decimals: all 0.000, an error of 32 % of the range among them."""
    from turinglearn.app.report import table
    from turinglearn.app.sweep import result_row, spread_table

    rows = [
        result_row({
            "name": "colloids", "seed": seed, "parameters": ["v", "D_r"], "truth": [2e-5, 0.2],
            "inferred": [v, 0.2 + d], "abs_error": [abs(v - 2e-5), d], "c2st": 0.55, "seconds": 3.0,
            "bounds": {"lower": [1e-6, 0.01], "upper": [6e-5, 1.0]},
            "interval": {"v": {"lo": v - 1e-6, "hi": v + 1e-6}},
        })
        for seed, v, d in [(0, 1.9e-6, 0.03), (1, 2.1e-5, 0.01), (2, 2.0e-5, 0.02)]
    ]  # fmt: skip
    spread = spread_table(rows)
    assert "| turing | v | 1.000e-06 | +2.000e-05, 1.075e-05 [+1.900e-06, +2.100e-05] | 2 of 3 | 2.000e-06 |" in spread
    assert "| turing | D_r | 0.020 | +0.220, 0.010 [+0.210, +0.230] | not computed | - |" in spread
    assert "| turing | 1.000e-06 [5.000e-07, 9.550e-06] | 0.020 [0.015, 0.025] |" in table(rows)
    # ranges 17,000 times apart: the summed error is D_r's, so the line sums each error in its range (a
    # newcomer's sweep read 'summed error 38.857', 72 % of it two time constants in [10, 100])
    ranged = np.quantile([e[0] / 5.9e-5 + e[1] / 0.99 for e in ([1.81e-5, 0.03], [1e-6, 0.01], [0.0, 0.02])], 0.5)
    assert (
        "The parameters' ranges lie 16780x apart, so the summed error is mostly D_r's; summed in each parameter's "
        f"range (error / range): turing {ranged:.3f} ["
    ) in table(rows)
    del rows[0]["bounds"]  # rows of runs written before summaries kept their bounds: three decimals
    assert "| turing | 0.000 [0.000, 0.000] |" in table(rows[:1])
    for r in rows:  # runs on real data: no truth, no errors (the table raised numpy's AxisError)
        r["abs_error"], r["truth"] = None, None
    assert "| turing | - | - | - | 0.55 |" in table(rows)
    # and their intervals hold no truth to count (an ecologist's sweep read "0 of 4")
    assert "| - (no truth) |" in spread_table(rows) and " of 2 |" not in spread_table(rows)


def test_a_rejected_estimate_on_its_bounds_says_what_that_may_mean(capsys):
    """A newcomer's speeds in mm/s, ten times the simulator's scale, ended on the bounds (v 19.887
    of 20, photo 3.000 of 3), rejected, and the closing lines blamed the model family."""
    summary = {
        "parameters": ["v", "sigma", "photo"], "truth": None, "inferred": [19.887, 0.4, 3.0], "abs_error": None,
        "bounds": {"lower": [0.0, 0.0, 0.0], "upper": [20.0, 2.0, 3.0]}, "generations": 1, "seconds": 1.0,
        "data": "tracks.csv",
        "test": {"trials": 100, "threshold": 0.6, "accuracy": 0.98, "rejected": True, "null_sd": 0.03},
    }  # fmt: skip
    print_summary(load_config("aggregation"), summary)
    out = capsys.readouterr().out
    assert "v at its upper bound, photo at its upper bound: the system may lie outside the ranges (widen them), or the recording's features be on another scale" in out
    print_summary(load_config("aggregation"), {**summary, "inferred": [10.0, 0.4, 1.0]})
    assert "bound" not in capsys.readouterr().out
    # a near rejection on a truth that lies on its bounds (the main job's wheel speeds of -1 and 1) says nothing
    near = {**summary["test"], "accuracy": 0.65}
    print_summary(load_config("aggregation"), {**summary, "test": near})
    assert "bound" not in capsys.readouterr().out
    # nor one that a small move of one parameter explains (the main job: v_l0 to -0.7021, accepted)
    explained = {**summary["test"], "eases": [{"parameter": "sigma", "value": 0.41, "accuracy": 0.59, "accepted": True}]}
    print_summary(load_config("aggregation"), {**summary, "test": explained})
    assert "widen them" not in capsys.readouterr().out


def test_a_c2st_that_tells_apart_beside_an_accepting_test_is_named(capsys):
    """A newcomer's estimate read C2ST 0.795 while the fast test accepted it (0.550 against 0.551)
    and both parameters read identified, without a word on the disagreement."""
    summary = {
        "parameters": ["v_off", "v_on"], "truth": None, "inferred": [0.99, 0.45], "abs_error": None,
        "generations": 1, "seconds": 1.0, "c2st": 0.795,
        "test": {"trials": 100, "threshold": 0.551, "accuracy": 0.55, "rejected": False},
    }  # fmt: skip
    print_summary(load_config("aggregation"), summary)
    out = capsys.readouterr().out
    assert "the C2ST tells the estimate apart (0.795) where the fast test accepts it" in out
    assert "let the critic judge each model's samples together (learner.critic_sets: docs/own-system.md)\n" in out
    print_summary(load_config("aggregation"), {**summary, "c2st": 0.6})
    assert "tells the estimate apart" not in capsys.readouterr().out
    # a newcomer's discrete thermostat: C2ST 0.940 beside a rejection within one null sd had read "the test
    # rejects 10% of estimates as good as the system", 32-37 % of the range off
    narrow = {**summary, "c2st": 0.94, "test": {**summary["test"], "accuracy": 0.570, "threshold": 0.560,
              "null_sd": 0.03, "level": 0.9, "rejected": True, "eases": []}}  # fmt: skip
    print_summary(load_config("aggregation"), narrow)
    out = capsys.readouterr().out
    assert "the C2ST tells the estimate apart (0.940) where the fast test rejects it only narrowly" in out
    assert "rejected by a margin within the null's spread (0.010, one null sd 0.030), and no parameter" in out
    assert "as good as the system" not in out
    print_summary(load_config("aggregation"), {**narrow, "c2st": 0.6})
    out = capsys.readouterr().out
    assert "tells the estimate apart" not in out and "as good as the system" in out


def test_an_abc_run_of_one_generation_says_its_posterior_is_near_the_prior(capsys):
    """An sbi user's ABC-SMC with 100 particles on 400 simulations ran one generation, its
    posterior near the prior (C2ST 1.000), without a word."""
    summary = {
        "parameters": ["gain"], "truth": None, "inferred": [1.1], "abs_error": None, "generations": 1, "seconds": 1.0,
        "posterior_interval": {"gain": {"lo": 0.765, "hi": 1.744, "width": 0.5}},
        "posterior": {"method": "abc-smc", "level": 0.9, "generations": 1, "population": 100},
    }  # fmt: skip
    print_summary(load_config("aggregation"), summary)
    assert "ABC-SMC ran 1 generation(s) of 100 particles within its budget" in capsys.readouterr().out
    summary["posterior"]["generations"] = 4
    print_summary(load_config("aggregation"), summary)
    assert "ABC-SMC ran" not in capsys.readouterr().out


def test_trade_offs_are_looked_for_among_the_first_eight_and_the_run_says_so(capsys):
    """A newcomer's 16 parameters: the first 28 pairs in order had been probed (the first two
    parameters with every other), not the first eight's, as the docs said, and nothing said so."""
    from turinglearn.core.assessment import TRADEOFF_PARAMETERS, tradeoff_candidates

    intervals = [{"width": 0.2}] * 3 + [{"width": 1.0}] + [{"width": 0.1}] * 12  # the fourth covers its range
    among = tradeoff_candidates(intervals)
    assert TRADEOFF_PARAMETERS == 8 and among == [0, 1, 2, 4, 5, 6, 7, 8]
    config = load_config("aggregation")
    names = [f"p{k:02d}" for k in range(16)]
    base = {"parameters": names, "truth": None, "inferred": [0.0] * 16, "abs_error": None, "generations": 1, "seconds": 1.0}
    print_summary(config, {**base, "tradeoffs": [], "tradeoffs_among": [names[k] for k in among]})
    assert (
        "trade-offs were looked for between p00, p01, p02, p04, p05, p06, p07, p08 only (the first 8 parameters "
        'whose interval covers less than the whole range); evaluation.pair = ["a", "b"] maps any other pair'
    ) in capsys.readouterr().out


def test_an_estimate_told_apart_says_so_once_above_the_table(capsys):
    """A newcomer's 16 rows each ended 'not judged (the test tells the model from the system too
    well to draw an interval: accuracy 1.000)', 260 characters a row: said once, the rows keep their power."""
    from turinglearn.app.printing import print_table

    names = ["a", "b", "c"]
    summary = {
        "parameters": names, "truth": None, "inferred": [0.1, 0.2, 0.3], "abs_error": None, "generations": 10, "seconds": 1.0,
        "test": {"accuracy": 1.0, "level": 0.9, "trials": 200, "threshold": 0.55, "null_sd": 0.03, "rejected": True},
        "interval": {n: {"lo": None, "hi": None, "width": None, "adjusted": True} for n in names},
        "identified": dict.fromkeys(names), "vouched": dict.fromkeys(names),
        "power": {n: {"5%": {"power": 0.5}, "20%": {"power": 1.0}} for n in names},
    }  # fmt: skip
    print_table(summary)
    out = capsys.readouterr().out
    assert out.count("not judged") == 1
    assert out.startswith(
        "every parameter: not judged (the test tells the model from the system too well to draw an interval: "
        "accuracy 1.000)\n"
    )
    assert out.count("none (told apart)  power 5% 0.50, 20% 1.00") == 3


def test_progress_into_a_file_is_a_line_at_every_tenth_not_a_carriage_return_per_generation(capsys, monkeypatch):
    import sys

    from turinglearn.app.hooks import ProgressBar

    bar = ProgressBar(20, lambda record: f"at {record}" if record % 2 else None)
    for g in range(20):
        bar(g)
    bar.close()
    err = capsys.readouterr().err
    assert "\r" not in err and err.count("\n") == 10
    assert err.splitlines()[0].startswith("turinglearn: generation 2/20 (") and err.endswith(", at 19\n")
    bar = ProgressBar(20, lambda record: None)  # a rule ends the run at 15: its last line says so
    for g in range(15):
        bar(g)
    bar.close()
    assert capsys.readouterr().err.splitlines()[-1].startswith("turinglearn: generation 15/20 (")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # a terminal: the bar
    bar = ProgressBar(20, lambda record: None)
    for g in range(20):
        bar(g)
    bar.close()
    assert "\r" in capsys.readouterr().err


def test_identified_beside_a_clearly_rejected_estimate_says_it_is_a_slice_through_it():
    """A psychologist's passive runs were rejected (0.613 against 0.543), and kappa read
    'identified' in [-1.31, 0.32] with the truth at 0.5: a slice through a wrong estimate."""
    from turinglearn.app.trust_lines import trust_flags

    summary = {
        "identified": {"kappa": True}, "vouched": {"kappa": True},
        "interval": {"kappa": {"lo": -1.31, "hi": 0.32, "width": 0.41}},
        "power": {"kappa": {"5%": {"power": 0.53}, "20%": {"power": 1.0}}},
        "test": {"accuracy": 0.613, "threshold": 0.543, "null_sd": 0.02, "rejected": True},
    }  # fmt: skip
    assert trust_flags(summary, "kappa").startswith("identified only as a slice through the rejected estimate;")
    narrow = {**summary, "test": {**summary["test"], "accuracy": 0.55}}  # within a null sd: a narrow rejection
    assert trust_flags(narrow, "kappa").startswith("identified;")
    accepted = {**summary, "test": {**summary["test"], "accuracy": 0.52, "rejected": False}}
    assert trust_flags(accepted, "kappa").startswith("identified;")
    # the main job: rejected, but one parameter moved 0.002 alone is accepted: its slices stand
    explained = {**summary, "test": {**summary["test"], "eases": [{"parameter": "v_l0", "value": -0.702, "accuracy": 0.519, "accepted": True}]}}
    assert trust_flags(explained, "kappa").startswith("identified;")


def test_a_move_read_from_a_noisy_test_is_said_to_be_possibly_chance():
    """A population biologist's 30 recorded ponds: 'c to 0.1716 (0.400, accepted)', a move of 1 %
    of the range lowering the accuracy from 0.683 by 3.6 null sds, read as a direction to move."""
    from turinglearn.app.trust_lines import eases_line

    rows = [{"parameter": "c", "value": 0.1716, "accuracy": 0.400, "accepted": True}]
    noisy = {"accuracy": 0.683, "threshold": 0.58, "null_sd": 0.078, "eases": rows, "rejected": True}
    assert "one null sd) from draw to draw at this number of trials" in eases_line(noisy)
    steady = {**noisy, "null_sd": 0.02}
    assert "from draw to draw" not in eases_line(steady)
