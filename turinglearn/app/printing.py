"""What the command line prints about a run: its table of parameters (estimate, error,
interval, what the held-out test says), its C2ST under each schedule, a GAN's image metrics."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from turinglearn.app.coevolution import CYCLING, median_read
from turinglearn.app.trust_lines import (
    below_chance,
    eases_line,
    few_samples,
    marginal,
    on_bounds_line,
    spread_line,
    tradeoffs_line,
    trust_flags,
    trust_words,
    value_format,
)
from turinglearn.errors import TuringLearnWarning

#: an ABC-SMC run of fewer generations than this is named (its posterior is near the prior)
ABC_FEW_GENERATIONS = 2
#: a C2ST at or above this beside a fast test that accepts is named (the restart rule's default)
C2ST_TELLS_APART = 0.7


def _signed(value: float, f: str) -> str:
    """``value`` with its sign in format ``f``, a value that rounds to zero as +0 (not -0.000)."""
    text = f"{value:+{f}}"
    return f"{0.0:+{f}}" if float(text) == 0 else text


def print_table(summary: dict) -> None:
    names, truth, inferred = summary["parameters"], summary.get("truth"), summary["inferred"]
    err = summary.get("abs_error")
    intervals, test = summary.get("interval") or {}, summary.get("test") or {}
    level = f"{100 * test['level']:g} % interval" if "level" in test else "interval"
    wide = any(value_format(summary, n) == ".3e" for n in names)  # scientific notation: wider columns
    w = (11, 11, 10, 26) if wide else (8, 9, 10, 18)
    identified = summary.get("identified") or {}
    told_apart = len(names) > 1 and bool(identified) and all(identified.get(n, 0) is None for n in names)
    if told_apart:  # one line, not the same words on every row (a newcomer's 16 rows of 260 characters)
        print(f"every parameter: {trust_words(summary, names[0])[0]}")
    print(f"{'parameter':>16} {'truth':>{w[0]}} {'inferred':>{w[1]}} {'abs error':>{w[2]}}  {level:<{w[3]}} held-out test")
    for i, n in enumerate(names):
        f = value_format(summary, n)
        t = f"{truth[i]:+{f}}" if truth else "-"
        e = f"{err[i]:{f}}" if err else "-"
        iv = intervals.get(n)
        span = (
            "not computed"
            if not iv
            else "none (told apart)"
            if iv["lo"] is None
            else f"[{_signed(min(iv['lo'], iv['ridge']['lo']), f)}, {_signed(max(iv['hi'], iv['ridge']['hi']), f)}]"
            if iv.get("ridge")  # the slice widened along the ridge the test accepts: what the data allow
            else f"[{_signed(iv['lo'], f)}, {_signed(iv['hi'], f)}]"
        )
        flags = ("; ".join(trust_words(summary, n)[1:]) or "-") if told_apart else trust_flags(summary, n)  # verdict above
        print(f"{n:>16} {t:>{w[0]}} {inferred[i]:>+{w[1]}{f}} {e:>{w[2]}}  {span:<{w[3]}} {flags}")
    if summary.get("unsettled") and (summary.get("stopped") or {}).get("rule") in ("max_time", "max_simulations"):
        print(
            f"the estimate had not settled when the budget stopped the run after {summary['generations']} generations "
            "(by the convergence rule's test: stopping.window, tolerance, patience); read its held-out test, or "
            "resume it with a fresh budget"
        )
    elif (summary.get("stopped") or {}).get("rule") == "hook":
        print(f"stopped by a hook (turinglearn.Stop) after {summary['generations']} generations; run.json says why")
    if summary.get("unsettled") and not summary.get("stopped"):
        print(
            f"the estimate did not settle within the {summary['generations']} generations (stopping.converge); the "
            "result is the last generations', read its held-out test"
        )
    if summary.get("intervals_not_computed"):
        print(f"intervals, power and trade-offs: not computed ({summary['intervals_not_computed']})")
    if summary.get("posterior_interval"):  # a peer's own interval, beside the held-out test's above
        post, level = summary["posterior_interval"], (summary.get("posterior") or {}).get("level", 0.9)
        spans = ", ".join(
            f"{n} [{post[n]['lo']:+{value_format(summary, n)}}, {post[n]['hi']:+{value_format(summary, n)}}]"
            for n in names
            if post.get(n) and post[n]["lo"] is not None
        )
        print(f"posterior {100 * level:g} % interval: {spans}")
        post = summary.get("posterior") or {}
        if post.get("method") == "abc-smc" and (post.get("generations") or 0) < ABC_FEW_GENERATIONS:
            print(
                f"ABC-SMC ran {post.get('generations')} generation(s) of {post.get('population')} particles within its "
                "budget: its posterior is little narrower than the prior; give it more simulations "
                "(stopping.max_simulations) or fewer particles (learner.peer_population)"
            )
    if summary.get("program"):
        protected = " (division is protected: x / 0 reads 1)" if "/" in summary["program"] else ""
        print(f"evolved program: {summary['program']}{protected}")
    by = summary.get("c2st_by_schedule")
    unscheduled = by is not None and len(by) == 1  # a system without stimuli: one test, no schedule to name
    if summary.get("c2st") is not None:
        cut = summary.get("recording_windows") or {}
        kept = cut["individuals"] - cut.get("without_window", 0) if "individuals" in cut else None
        few = few_samples(summary.get("c2st_samples"), bool(summary.get("test")), kept)
        if unscheduled:
            print(f"C2ST (0.5 = indistinguishable): {summary['c2st']:.3f}{few}")
        else:
            others = ", ".join(f"{k} {v:.3f}" for k, v in by.items()) if by else "other schedules not computed"
            under = f" under the {summary['c2st_schedule']} schedule" if summary.get("c2st_schedule") else ""
            if under and summary.get("c2st_schedule_reason") == "tells apart best":  # auto: the most telling
                under += ", the one that tells it apart best"
                if by and len(by) > 1 and test:  # the largest of several noisy accuracies: high by chance
                    under += f" (the largest of {len(by)}, so above 0.5 by chance too: the held-out test below has the verdict)"
            print(f"C2ST (0.5 = indistinguishable): {summary['c2st']:.3f}{under} ({others}){few}")
    if test:
        schedule = "" if unscheduled else f"{test.get('schedule', '?')} schedule, "
        why = {"most power": "the one whose test sees the parameters' moves best", "watched": "the one a passive study watched"}
        if test.get("schedule") != summary.get("c2st_schedule") and test.get("schedule_reason") in why:
            schedule = f"{test.get('schedule', '?')} schedule, {why[test['schedule_reason']]}, "
        print(
            f"held-out test ({schedule}{test['trials']} trials"
            + (f" of {test['trials_asked']} asked: all the recording fills" if "trials_asked" in test else "")
            + (
                f", from the {summary['recording_held_out']['tests']} recorded individuals kept out of learning"
                if summary.get("recording_held_out")
                else ""
            )
            + "): accepts a model "
            f"up to accuracy {test['threshold']:.3f}; the estimate scores {test['accuracy']:.3f}"
            + (
                " (rejected: intervals widened by its excess; each holds the other parameters at the estimate)"
                if test.get("rejected") and any((iv or {}).get("lo") is not None for iv in (summary.get("interval") or {}).values())
                else " (rejected)"
                if test.get("rejected")
                else ""
            )
            + below_chance(test)
            + (f"; {summary['trust_seconds']:.1f} s" if "trust_seconds" in summary else "")
        )
    apart = bool(test) and (summary.get("c2st") or 0) >= C2ST_TELLS_APART and (not test.get("rejected") or marginal(test))
    if apart:
        print(
            f"the C2ST tells the estimate apart ({summary['c2st']:.3f}) where the fast test "
            f"{'rejects it only narrowly' if test.get('rejected') else 'accepts it'}: the difference "
            "lies in a combination of the trajectories' statistics the fast test's linear classifier does not draw "
            "(such as their spread over trials); the intervals come from the fast test, so read them with care "
            "(repeat over seeds, or map a pair); where the system's individuals differ, let the critic judge each "
            "model's samples together (learner.critic_sets: docs/own-system.md)"
        )
    if summary.get("spread"):
        print(spread_line(summary["spread"]))
    if test and test.get("rejected") and "eases" in test:
        print(eases_line(test, apart))
    if test and test.get("rejected") and (line := on_bounds_line(summary)):
        print(line)
    if summary.get("recording_windows"):
        from turinglearn.systems.recording_windows import windows_line

        print(windows_line(summary["recording_windows"], summary["recording_windows"]["steps"]))
    if test and test.get("rejected") and summary.get("recording_stimuli") is False:
        print(
            "the recording has no stimulus columns: its trials were compared with the simulator's under the passive "
            "schedule; if they were recorded under other stimuli, record those (stimulus_0 ..: docs/interactive.md, "
            "'Recordings under stimuli')"
        )
    if summary.get("tradeoffs"):
        print(tradeoffs_line(summary["tradeoffs"], (summary.get("pair_map") or {}).get("parameters")))
    if summary.get("tradeoffs_among"):
        among = summary["tradeoffs_among"]
        print(
            f"trade-offs were looked for between {', '.join(among)} only (the first {len(among)} parameters whose "
            'interval covers less than the whole range); evaluation.pair = ["a", "b"] maps any other pair'
        )
    if summary.get("panel"):
        print(panel_line(summary["panel"], [value_format(summary, n) for n in summary["parameters"]]))
    if summary.get("restart"):
        print(restart_line(summary["restart"]))
    if summary.get("coevolution"):
        print(coevolution_line(summary["coevolution"]))
    n = summary["generations"]
    print(f"{n} generation{'' if n == 1 else 's'} in {summary['seconds']:.1f} s")


def one_line_warnings(show):
    """``warnings.showwarning`` that prints turinglearn's own warnings as one line, like its
    errors (the others as ``show`` would)."""

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TuringLearnWarning):
            try:
                print(f"turinglearn: warning: {message}", file=sys.stderr if file is None else file)
            except OSError:  # stderr gone: a warning is lost, as Python's own would be
                pass
        else:
            show(message, category, filename, lineno, file, line)

    return showwarning


def panel_line(panel: dict, formats: list[str] | None = None) -> str:
    """One line on the panel's estimate (:mod:`turinglearn.core.panel`): whence it came, and
    the window's estimate it replaced (``formats``: each parameter's, :func:`value_format`)."""
    formats = formats or [".3f"] * len(panel["window_estimate"])
    window = ", ".join(f"{v:+{f}}" for v, f in zip(panel["window_estimate"], formats, strict=True))
    chosen = ", ".join(str(g) for g in panel["chosen_generations"])
    return (
        f"estimate: the panel's, the median of the candidates of generations {chosen} (judged most like "
        f"the system by the judges of {panel['candidates']} generations); the window's: ({window})"
    )


def coevolution_line(co: dict) -> str:
    """One line on the coevolution: the best judge late in the run, disengagement, drift."""
    words = []
    if co.get("judges_best_vs_models") is not None:
        words.append(f"best judge vs models {co['judges_best_vs_models']:.2f} (last quarter; 0.5 = chance)")
    if co.get("disengaged_fraction") is not None:
        above = f"{co.get('disengaged_threshold') or 0.55:.2f}"
        words.append(
            f"a judge above {above} in every generation"
            if co["disengaged_fraction"] == 0
            else f"no judge above {above} in {100 * co['disengaged_fraction']:.0f} % of generations (disengaged, or "
            "nothing left to tell apart)"
        )
    if co.get("fitness_lag1") is not None and co["fitness_lag1"] < CYCLING:
        words.append(
            f"the judges' bias flips every generation (models' mean fitness lag-1 autocorrelation "
            f"{co['fitness_lag1']:+.2f})"
        )
    if co.get("history_began") is not None:
        words.append(f"historical averaging from generation {co['history_began']}")
    if co.get("guards") is not None:
        count, accuracy = f"{co['guards']:.0f}", co.get("guard_accuracy")
        known = accuracy is not None and accuracy == accuracy  # not NaN: some guard was elected
        words.append(
            f"{count} guard{'' if count == '1' else 's'}" + (f", {accuracy:.2f} accurate on their sides" if known else "")
        )
    if co.get("critic_accuracy") is not None:
        words.append(f"critic accuracy {co['critic_accuracy']:.2f} (last quarter; 0.5 = chance)")
    drift = co.get("drift") or []
    of = median_read(co.get("drift_of"))
    if not drift:
        words.append(f"no drift from a settled estimate ({of})")
    for e in drift[:3]:
        back = f"back at {e['returned']}" if e.get("returned") is not None else "did not come back"
        words.append(
            f"drift of {', '.join(e['parameters'])} ({of}) at generation {e['left']} "
            f"({e['distance']:.2f} of the range; {back})"
        )
    if len(drift) > 3:
        words.append(f"{len(drift) - 3} more drift events (coevolution.png)")
    if drift and co.get("critic_accuracy") is None:  # the memory measured to keep runs where they settled
        words.append(
            "the settings of docs/own-system.md, \"When a run will not stay on what it found\" (a critic, "
            "learner.critic = 0.5, beside judge_fitness = 'shared-geometric') kept every held-out run of the swarm "
            "tasks within 0.1 of the truth once its population had gathered there (9 of 10 on an interrogated one)"
        )
    return "coevolution: " + "; ".join(words)


#: printed when a run asked for the panel's estimate and reports the window's
PANEL_FELL_BACK = (
    'estimate: the window\'s; evaluation.estimate = "panel" needs judges (learner.kind = "turing") and '
    "models that are parameter vectors, which this run does not have"
)


#: the coevolution's memory and crutches: settings that act only between models and judges,
#: each with the value that turns it off (WITHOUT_MEMORY's, and the features of DEPENDENTS but
#: islands at 0, in turinglearn.config.learner; tests/app/test_printing.py holds them together)
MEMORY_OFF = {
    "critic": 0.0, "judge_fitness": "accuracy", "judge_steps": 1, "model_judges": "all", "hall_of_fame": 0,
    "model_memory": 0, "guards": 0, "historical_averaging": 0, "counterfeits": 0,
}  # fmt: skip


def memory_unused_line(learner) -> str | None:
    """A line naming the memory settings a learner without judges (``metric-sse``, a peer) does
    not use, where the config turns any on away from its default (as the presets do); else None
    (and for a learner with judges, or a kind the registry does not know)."""
    from dataclasses import fields

    from turinglearn.app.registry import LEARNERS

    if learner.kind not in LEARNERS or LEARNERS[learner.kind].discriminators:
        return None
    default, given = {f.name: f.default for f in fields(learner)}, vars(learner)
    on = [
        f"{k} = {given[k]!r}"
        for k, off in MEMORY_OFF.items()
        if k in given and given[k] != off and given[k] != default[k]
    ]
    if not on:
        return None
    return (
        f"memory: none (learner.kind = {learner.kind!r} has no judges to remember with; the config's "
        f"{', '.join(on)} change{'s' if len(on) == 1 else ''} nothing)"
    )


def print_summary(config, summary: dict) -> None:
    """A finished run's summary, as its kind reads best."""
    from turinglearn.config.gan import GANConfig

    if isinstance(config, GANConfig):
        print_gan_summary(summary)
        return
    print_table(summary)
    if config.evaluation.estimate == "panel" and summary.get("estimate") == "window":
        print(PANEL_FELL_BACK)
    unused = memory_unused_line(config.learner)
    if unused:
        print(unused)


def restart_line(check: dict) -> str:
    """What the restart's check (summary.json's ``restart``) found, in one line."""
    if "skipped" in check:
        return f"restart: none ({check['skipped']})"
    if check.get("pending") == "settled":
        return "restart: not checked yet (when the estimate settles; the run stopped before)"
    if "pending" in check:
        return f"restart: not checked yet (after generation {check['pending']}; the run stopped before)"
    when = "when the estimate settled, " if check.get("when") == "settled" else ""
    found = (
        f"{when}after generation {check['generation']} the held-out test's accuracy on the estimate was "
        f"{check['accuracy']:.3f} (0.5: indistinguishable)"
    )
    before = ""
    if check.get("earlier"):
        gens = ", ".join(str(c["generation"]) for c in check["earlier"])
        which = "an earlier search" if len(check["earlier"]) == 1 else "earlier searches"
        before = f" ({which} restarted after generation {gens})"
    if check["restarted"]:
        return f"restart: {found}, above {check['above']:g}: both populations started afresh{before}"
    if check.get("kept"):
        return f"restart: {found}, above {check['above']:g}, but {check['kept']}: the search is reported as it is{before}"
    return f"restart: not needed ({found}, not above {check['above']:g}){before}"


def print_gan_summary(summary: dict) -> None:
    rows = [
        ("Frechet distance (generated vs real half)", "frechet_distance"),
        ("  between two real halves", "frechet_distance_real"),
        ("  ratio (1: as near as the data to itself)", "frechet_ratio"),
        ("class coverage (classes at >= 0.4 x their share)", "class_coverage"),
        ("C2ST (0.5 = indistinguishable)", "c2st"),
        ("images per second", "images_per_second"),
    ]
    for label, key in rows:
        if summary.get(key) is not None:
            print(f"{label:>50}: {summary[key]:.4g}")
    if "frechet_distance" in summary and summary.get("class_coverage") is None:
        print(
            f"{'class coverage':>50}: not measured (unlabelled images: the metrics' features are a random network's; "
            "put each class's images in a subfolder of its own to measure it)"
        )
    if (summary.get("stopped") or {}).get("rule") == "hook":
        print(f"stopped by a hook (turinglearn.Stop) after {summary['generations']} generations; run.json says why")
    if summary.get("discriminator_won"):
        print(
            f"warning: the discriminator won: its loss stayed below {DISCRIMINATOR_WON_LOSS:g} in "
            f"{100 * summary['discriminator_won']:.0f} % of the second half's logged rows, so the generator learned "
            "little then; try another seed, a lower discriminators.lr, or loss = 'hinge'"
        )
    print(
        f"{summary.get('generations', summary.get('steps'))} generations in {summary['seconds']:.1f} s on {summary['device']} "
        f"({summary['compile']}, {summary['precision']})"
    )


#: a GAN whose discriminator's logged loss stays below this in most of the run's second half
#: has won: the generator's gradient vanishes (summary.json ``discriminator_won``)
DISCRIMINATOR_WON_LOSS = 0.05


def read_summary(summary_file: Path) -> tuple[dict | None, Exception | None]:
    """A run's summary.json read once: (summary, None); (None, None) where the run wrote none
    (it did not finish); (None, error) where the file is damaged, the error for
    :func:`print_report` to raise once the plots from metrics.csv are drawn."""
    if not summary_file.is_file():
        return None, None
    from turinglearn.errors import RunDirError

    try:
        summary = json.loads(summary_file.read_text())
    except OSError as e:
        return None, RunDirError(f"{summary_file} cannot be read ({e.strerror or e}); check its permissions")
    except ValueError as e:
        return None, RunDirError(f"{summary_file} is damaged ({e}); rerun the run to write it again")
    if not isinstance(summary, dict):
        damaged = f"{summary_file} is damaged (a JSON {type(summary).__name__}, not an object)"
        return None, RunDirError(f"{damaged}; rerun the run to write it again")
    return summary, None


def print_report(
    read: tuple[dict | None, Exception | None], status: dict, files, print_summary, run_dir: Path | None = None
) -> int:
    """Print what :func:`read_summary` read, where the run stands (with how to continue it),
    who made it (run.json's ``sessions``), then the plots drawn; a damaged summary raises."""
    summary, damaged = read
    if damaged is not None:
        raise damaged
    again = ""
    if run_dir is not None:  # a run of a simulator object resumes from Python, given the object
        obj = (summary or {}).get("simulator") or _object_class(run_dir)
        again = (
            f"; continue with: turinglearn.resume({str(run_dir)!r}, simulator={obj}(...)) (as built for the run)"
            if obj
            else f"; continue with: turinglearn resume {run_dir}"
        )
    if summary is not None:
        print_summary(summary)
        stopped = summary.get("stopped")
        if stopped:  # as the run's own last lines said
            budget = status.get("status") == "stopped"  # a budget's stop: the run goes on when resumed
            print(f"stopped by {stopped['rule']} after {stopped['generation']} generations{again if budget else ''}")
    else:
        state = status.get("status")
        if state == "running" and run_dir is not None:
            from turinglearn.app.runlock import writer_gone

            if writer_gone(run_dir):
                print(f"run status: running, but no process writes it (it was killed){again}")
                state = None
        if state is not None:
            print(
                f"run status: {state} (no summary.json: the run did not finish)"
                + (again if state in ("interrupted", "failed") else "")
            )
    line = sessions_line(status.get("sessions"))
    if line:
        print(line)
    for f in files:
        print(f"plot: {f}")
    return 0


def _object_class(run_dir: Path) -> str | None:
    """The class of the simulator object a run was made with (its config.toml's environment
    id, ``object:module:Class``), or None."""
    from turinglearn.app.runs import CONFIG_FILE
    from turinglearn.config import read_source
    from turinglearn.environments import OBJECT_PREFIX
    from turinglearn.errors import TuringLearnError

    try:
        env = read_source(Path(run_dir) / CONFIG_FILE).get("environment") or {}
    except TuringLearnError:
        return None
    made = str(env.get("id", "")) if isinstance(env, dict) else ""
    return made.rsplit(":", 1)[-1].rsplit(".", 1)[-1] if made.startswith(OBJECT_PREFIX) else None


def sessions_line(sessions) -> str | None:
    """One line on who made a run (run.json's ``sessions``): turinglearn's version and commit,
    host, date, and its resumes with the settings they changed; None for runs that kept none."""
    if not isinstance(sessions, list) or not sessions or not isinstance(sessions[0], dict):
        return None
    first = sessions[0]
    commit = f" (commit {first['commit'][:10]})" if first.get("commit") else ""
    words = [
        f"made by turinglearn {first.get('turinglearn', '?')}{commit}, Python {first.get('python', '?')}, "
        f"on {first.get('host', '?')}, {first.get('started', '?')}"
    ]
    resumes = [s for s in sessions[1:] if isinstance(s, dict)]
    every = [first, *resumes]
    for key, what in (("turinglearn", "turinglearn"), ("commit", "commits"), ("python", "Python"), ("host", "hosts")):
        seen = list(dict.fromkeys(str(s.get(key)) for s in every))
        if len(seen) > 1:  # a run continued elsewhere or with other code: the same numbers are not promised
            words.append(f"sessions differ in {what}: {' / '.join(v[:10] if key == 'commit' else v for v in seen)}")
    recorded = [set(s.get("packages") or {}) for s in every]
    packages = set.intersection(*recorded)  # a package an older version did not record is no difference
    moved = sorted(n for n in packages if len({(s.get("packages") or {}).get(n) for s in every}) > 1)
    if moved:
        words.append(f"sessions differ in {', '.join(moved)}")
    if any(s.get("commit_modified") for s in every):
        words.append("its source differed from the commit")
    if resumes:
        changed = sorted({k for s in resumes for k in (s.get("changed") or {})})
        froms = ", ".join(str(s.get("from_generation", "?")) for s in resumes)
        words.append(
            f"resumed {len(resumes)} time{'s' if len(resumes) > 1 else ''} (from generation {froms}"
            + (f"; changed {', '.join(changed)}" if changed else "")
            + ")"
        )
    return "; ".join(words) + " (run.json: sessions)"


def report_gan(run_dir: Path, status: dict, read: tuple[dict | None, Exception | None], draw: bool = True) -> int:
    """A GAN run's summary, its plots redrawn first (``draw``: a read-only run's are not)."""
    from turinglearn.app.report import plot_fitness, plot_losses
    from turinglearn.app.runs import read_metrics

    metrics = read_metrics(run_dir)
    files = []
    if metrics and draw:
        files = [plot_fitness(metrics, run_dir / "fitness.png"), plot_losses(metrics, run_dir / "losses.png")]
    return print_report(read, status, files, print_gan_summary, run_dir)
