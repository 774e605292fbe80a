"""What the printouts say about trust in one parameter and in the estimate: the interval's
flags (identified, vouched for, power, a ridge), the held-out test's notes (far below chance,
where a rejected estimate is off, too few samples), trade-offs, and each parameter's number
format."""

from __future__ import annotations

from turinglearn.app.report import number_format
from turinglearn.core.assessment import IDENTIFIED_WIDTH


def value_format(summary: dict, name: str) -> str:
    """The format of parameter ``name``'s values in the printouts (:func:`~turinglearn.app.report.number_format`
    of summary.json's ``bounds``)."""
    return number_format(summary.get("bounds"), summary.get("parameters") or [], name)


#: an accuracy this many null sds below the null's median is flagged (chance alone: about 1 in 700)
BELOW_CHANCE_SD = 3.0


def below_chance(test: dict) -> str:
    """A note where the estimate's accuracy lies far below the null's: a classifier that does
    worse than chance under cross-validation learned something that reverses between folds
    (samples that belong together, e.g. animals of one group, split across them), so neither
    test reads as it should; '' otherwise."""
    median, sd = test.get("null_median"), test.get("null_sd")
    if median is None or not sd or test["accuracy"] > median - BELOW_CHANCE_SD * sd:
        return ""
    return (
        f"; far below chance ({(median - test['accuracy']) / sd:.1f} null sds under its median, {median:.3f}): the "
        "classifier learned something that reverses between folds, such as samples that belong together (animals "
        "of one group) split across them, so read the tests with care"
    )


def marginal(test: dict) -> bool:
    """Whether the estimate's accuracy lies within one null sd above the threshold (a rejection, narrow)."""
    sd = test.get("null_sd")
    return sd is not None and 0 < test["accuracy"] - test["threshold"] <= sd


def eased_alone(test: dict) -> bool:
    """Whether one parameter moved a little alone is accepted (``test.eases``): a rejection that a
    small error in one parameter explains."""
    return any(r.get("accepted") for r in test.get("eases") or ())


#: a null sd of the test's accuracy this large (few trials: 0.078 at 30) makes one move's accuracy largely chance's
NOISY_NULL_SD = 0.05


def eases_line(test: dict, apart: bool = False) -> str:
    """Where a rejected estimate is off: the parameters whose move alone lowers the test's
    accuracy most (summary.json's ``test.eases``). Moving one parameter can also make up for
    another's error (a ridge), so the line names candidates, not a culprit; a rejection within
    one null sd of the threshold is called marginal (the test rejects 1 - level of the runs
    that found the truth), unless the C2ST tells the estimate apart (``apart``: a line of its own
    says so, and the margin is no sign of an estimate as good as the system)."""
    rows, sd = test["eases"], test.get("null_sd")
    if not rows:
        if marginal(test):
            margin = f"rejected by a margin within the null's spread ({test['accuracy'] - test['threshold']:.3f}, one null sd {sd:.3f})"
            if apart:
                return f"{margin}, and no parameter moved alone does better"
            return (
                f"{margin}: at level {test.get('level', 0.9):g} the test rejects {1 - test.get('level', 0.9):.0%} of "
                "estimates as good as the system, and no parameter moved alone does better"
            )
        return (
            "rejected: no parameter moved alone (a little each way, and along its interval where one was drawn) "
            "lowers the test's accuracy by a null sd: several are off together (evaluation.pair maps two of them; "
            "the search may have settled on a wrong answer, from which stopping.restart_above searches afresh), "
            "or the model family cannot express the system (docs/concepts.md, 'Comparing hypotheses')"
        )
    parts = [
        f"{r['parameter']} to {r['value']:.4g} ({r['accuracy']:.3f}{', accepted' if r['accepted'] else ''})"
        for r in rows
    ]
    narrowly = ""
    if marginal(test) and not apart:  # the lowest of many noisy evaluations: chance's candidates, as likely
        narrowly = (
            f"narrowly (by {test['accuracy'] - test['threshold']:.3f}, within one null sd {sd:.3f}: a model as good as "
            f"the system is rejected {1 - test.get('level', 0.9):.0%} of the time, and then these moves are chance's "
            "too; repeat over seeds before acting on them) "
        )
    noisy = ""
    if not narrowly and sd is not None and sd >= NOISY_NULL_SD:  # few trials: one move's accuracy is largely chance's
        noisy = (
            f" (the test's accuracy varies by {sd:.3f} (one null sd) from draw to draw at this number of trials, so "
            "a single move's can be chance's: repeat over seeds before acting on it)"
        )
    return (
        f"rejected{' ' + narrowly.rstrip() if narrowly else ''}: moved alone, these lower the test's accuracy ({test['accuracy']:.3f} at the estimate) most: "
        f"{'; '.join(parts)}{noisy}"
        + (
            " (one parameter may be making up for another's error along a ridge: evaluation.pair maps the first two)"
            if len(rows) > 1
            else ""
        )
    )


#: a C2ST on fewer samples a side than this is flagged: its accuracy is mostly chance
FEW_C2ST_SAMPLES = 50


def few_samples(n: int | None, tested: bool = True, individuals: int | None = None) -> str:
    """The C2ST line's note where it had few samples a side (a small recording): the range
    chance alone spans (90 %, binomial, 2n samples) and, where the held-out test was run
    (``tested``), to read it instead; '' otherwise. Windows cut from a recording's tracks count
    as their ``individuals`` (samples of one animal are not independent: an ecologist's 85
    windows of 30 fish read 0.38-0.61 at the truth, as 30 samples a side span)."""
    windows = n
    if n is not None and individuals is not None:
        n = min(n, individuals)
    if n is None or n >= FEW_C2ST_SAMPLES:
        return ""
    half = 1.645 * (0.25 / (2 * n)) ** 0.5
    what = f"{n} individuals a side ({windows} windows)" if windows != n else f"{n} samples a side"
    return (
        f"; {what}, too few to read: chance alone spans {0.5 - half:.2f}-{0.5 + half:.2f} "
        "(cross-validation on so few strays further)" + ("; read the held-out test below" if tested else "")
    )


def tradeoffs_line(tradeoffs: list[dict], mapped: list[str] | None = None) -> str:
    """One line on the pairs of parameters the held-out test accepts moved together beyond
    their intervals (:func:`turinglearn.core.assessment.tradeoffs`); ``mapped``: the pair
    the run mapped already (``evaluation.pair``), if any."""
    pairs = ", ".join(
        f"{a} and {b} ({'the same way' if t['together'] == 'same' else 'opposite ways'})"
        for t in tradeoffs
        for a, b in [t["pair"]]
    )
    a, b = tradeoffs[0]["pair"]
    where = (
        f"pair_map.png maps {mapped[0]} and {mapped[1]}"
        if mapped
        else f'evaluation.pair = ["{a}", "{b}"] maps the first'
    )
    return (
        f"trade-offs: {pairs}: the test accepts them moved together beyond the slices it accepts each alone "
        f"(with the other parameters at the estimate); {where}; a ridge may run through more than two "
        "parameters, which pairs do not follow: where it does, the intervals understate, and runs under other seeds "
        "spread along it (turinglearn sweep FILE --seeds 0-4)"
    )


def _widened(summary: dict, name: str) -> bool:
    """Whether parameter ``name``'s interval was drawn at a threshold its estimate's rejection
    raised (``adjusted``): wide then for another parameter's error, perhaps, not for this one."""
    return bool(((summary.get("interval") or {}).get(name) or {}).get("adjusted"))


def trust_flags(summary: dict, name: str) -> str:
    """What the held-out test says of one parameter: identified, vouched for, power at the largest move."""
    return "; ".join(trust_words(summary, name))


def trust_words(summary: dict, name: str) -> list[str]:
    """:func:`trust_flags`' parts: the verdict first, then what qualifies it and the power."""
    if name not in (summary.get("identified") or {}):
        return ["not computed"]
    ident = summary["identified"][name]
    accuracy = (summary.get("test") or {}).get("accuracy")
    words = [
        "not judged (the test tells the model from the system too well to draw an interval"
        + (f": accuracy {accuracy:.3f})" if accuracy is not None else ")")
        if ident is None
        else "identified"
        if ident
        else "NOT IDENTIFIED (interval covers most of the range"
        + (", widened by the estimate's rejection: see the power)" if _widened(summary, name) else ")")
    ]
    iv = (summary.get("interval") or {}).get(name) or {}
    unseen = ident is not None and summary.get("vouched", {}).get(name, True) is False  # older runs: False beside None
    mirror = ""
    if iv.get("elsewhere"):  # a mirror image the test accepts too
        f = value_format(summary, name)
        shown = ", ".join(f"{v:+{f}}" for v in iv["elsewhere"])
        mirror = (
            f"the test also accepts {name} = {shown}, a mirror image of the estimate: the observations may not tell "
            "them apart, and the interval spans both"
        )
        words[0] = f"NOT IDENTIFIED ({mirror})"
    elif unseen and ident is False and max(iv.get("width") or 1.0, (iv.get("ridge") or {}).get("width", 0.0)) <= IDENTIFIED_WIDTH:
        words[0] = (
            "NOT IDENTIFIED (its interval is narrow, but the test barely sees it move, so a false alarm may have "
            "ended it: not vouched for)"
        )
        unseen = False
    if unseen:
        words.append("not vouched for (the test cannot separate a move of the largest size)")
    part = iv.get("test")
    if ident and part and (iv.get("width") or 0) > IDENTIFIED_WIDTH:
        # the interval shown, wider than 'identified' allows, is the hull with the run's spread; the flag reads the test's part
        f = value_format(summary, name)
        words[0] = f"identified (by the test's own interval [{part[0]:+{f}}, {part[1]:+{f}}]; the run's spread widens the one shown)"
    ridge = iv.get("ridge")
    if ridge and ident is not None:  # the slice understates: the test accepts it further along a ridge
        f = value_format(summary, name)
        lo, hi = part or (iv["lo"], iv["hi"])  # the test's slice (lo, hi: the hull with the run's spread, where it has one)
        spread = " and the run's spread" if part else ""
        along = f"trades off with {ridge['with']}: the interval shown spans the ridge{spread}; the test's slice alone [{lo:+{f}}, {hi:+{f}}]"
        along = f"{mirror}; it also {along}" if mirror else along
        words[0] = f"identified ({along})" if ident else f"NOT IDENTIFIED ({along})"
    test = summary.get("test") or {}
    if ident and test.get("rejected") and not marginal(test) and not eased_alone(test) and words[0].startswith("identified"):
        # a slice through an estimate the test tells apart and no one parameter's move explains: narrow
        # where the others are held wrong (a psychologist's passive runs: kappa "identified" in [-1.31,
        # 0.32], the truth 0.5); the main job's v_l0 0.002 off, accepted moved alone, is not so
        words[0] = "identified only as a slice through the rejected estimate" + words[0][len("identified") :]
    power = summary.get("power", {}).get(name)
    if power and all(v.get("no_effect") for v in power.values()):
        words.append("moving it changes nothing under this schedule (power = the test's false alarms)")
    elif power:
        f = value_format(summary, name)
        words.append("power " + ", ".join(f"{k} {v['power']:.2f}" + _unchanged(v, f) for k, v in power.items()))
    return words


def _unchanged(move: dict, f: str) -> str:
    """Words for a move that changed nothing, one way or both (its power is the test's false
    alarms), beside moves of another size that did."""
    if move.get("no_effect"):
        return " (this move changes nothing: a step, such as a parameter rounded to integers)"
    if not move.get("unchanged"):
        return ""
    values = " or ".join(f"{v:{f}}" for v in move["unchanged"])
    return f" (the move to {values} changes nothing: a step, such as a parameter rounded to integers)"


#: an estimate within this fraction of its range from a bound is on it
ON_BOUND = 0.01
#: a rejection this many null sds above the threshold is far
FAR_REJECTED = 2.0


def on_bounds_line(summary: dict) -> str | None:
    """Where a clearly rejected estimate (by more than ``FAR_REJECTED`` null sds, and no parameter
    moved alone accepted) ended on bounds of its ranges: the system may lie outside them, or (from
    a recording) its features be on another scale than the simulator's; None where no parameter
    is on a bound, the rejection is near or explained by one parameter's small move (a truth may
    lie on a bound: the main job's wheel speeds of -1 and 1), or the summary holds no bounds."""
    bounds, names = summary.get("bounds") or {}, summary.get("parameters") or []
    test = summary.get("test") or {}
    if not bounds.get("lower") or not bounds.get("upper"):
        return None
    if test.get("null_sd") and test["accuracy"] - test["threshold"] <= FAR_REJECTED * test["null_sd"]:
        return None  # a near rejection: a truth may lie on a bound (aggregation's wheel speeds of -1 and 1)
    if eased_alone(test):
        return None  # one parameter moved a little is accepted: that, not the bounds, is where it is off
    lo, hi, est = bounds["lower"], bounds["upper"], summary.get("inferred") or []
    on = [
        f"{n} at its {'lower' if abs(v - a) <= abs(v - b) else 'upper'} bound"
        for n, v, a, b in zip(names, est, lo, hi, strict=False)
        if b > a and min(v - a, b - v) <= ON_BOUND * (b - a)
    ]
    if not on:
        return None
    data = summary.get("data")
    return (
        f"{', '.join(on)}: the system may lie outside the ranges (widen them)"
        + (
            ", or the recording's features be on another scale than the simulator's (compare each feature's values "
            "in the file with a simulated trial's; a feature_space on the simulator catches it when the file is read)"
            if data
            else ""
        )
    )


def spread_line(spread: dict) -> str:
    """The line on an estimate whose trials vary less (or more) than the system's
    (:func:`~turinglearn.core.assessment.spread`; summary.json's ``spread``)."""
    less = spread["ratio"] < 1
    lo, hi = spread["interval"]
    said = (
        f"spread: the estimate's trials vary {'less' if less else 'more'} than the system's "
        f"({spread['statistic']}: sd {spread['spread_model']:.3g} against {spread['spread_system']:.3g}, "
        f"ratio {spread['ratio']:.2f} [{lo:.2f}, {hi:.2f}]; {spread['of']} of {spread['statistics']} statistics so), "
        "which the fast test's linear classifier does not see"
    )
    if not less:
        return said + ": the model adds variation the system lacks (a noise parameter, a range that allows too much)"
    if spread.get("critic_sets"):
        return said + ", though the critic judged each model's trials together (learner.critic_sets)"
    return (
        said + ": judged one trial at a time, a model whose every trial is typical beats one whose trials vary as the "
        "system's do (chance in the system: extinctions, epidemics' sizes, individuals that differ), which biases "
        "the estimate; learner.critic_sets = true lets the critic (learner.critic > 0) judge each model's trials "
        "together, at least 2 of them a generation, 4 better (learner.trials_per_model; critic_trials under "
        "interrogation; docs/own-system.md, 'When trials vary by chance')"
    )
