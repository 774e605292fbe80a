"""What a run of a config will cost, foreseen (``turinglearn check`` prints it): a generation
timed as the config builds it, and the final evaluation's trials at the time one takes."""

from __future__ import annotations

import time
import warnings

from turinglearn.app.stopping import evaluation_seconds


def generation_seconds(config, simulator=None, most: float = 10.0) -> tuple[float, bool]:
    """Seconds one generation of ``config`` takes in this process: the learner built as
    :func:`~turinglearn.app.build.build` builds it (``simulator`` in the place of the config's
    environment), a first generation to warm it up (compiled kernels), then the mean of the
    next two; the first alone where it took more than ``most`` seconds (then True beside it).
    Its own learner and streams: a run is not touched."""
    from turinglearn.app.build import build

    with warnings.catch_warnings():  # what build warns of, a run says itself
        warnings.simplefilter("ignore")
        learner = build(config, simulator=simulator)
        t0 = time.perf_counter()
        learner.step()
        first = time.perf_counter() - t0
        if first > most:
            return first, True
        t0 = time.perf_counter()
        learner.step()
        learner.step()
    return (time.perf_counter() - t0) / 2, False


def cost_line(config, system, d: int, simulator=None) -> str:
    """What a run of ``config`` on ``system`` (d parameters; ``simulator`` where it is an
    object of one's own) costs, foreseen: a generation as :func:`generation_seconds` times it
    and the run's generations, and the final evaluation's trials (:func:`evaluation_trials`)
    at :func:`trial_seconds` each."""
    from turinglearn.peers import KINDS

    if config.learner.kind in KINDS:  # one step, the whole inference: not timed by running it
        words = [
            f"learner.kind = {config.learner.kind!r} infers in one step, within stopping.max_simulations "
            f"({config.stopping.max_simulations:,} simulations)"
        ]
    else:
        gen, first = generation_seconds(config, simulator)
        workers = config.execution.workers
        where = "in one process" + (f"; execution.workers = {workers} share its simulations" if workers > 1 else "")
        sooner = " (at most: stopping.converge may end it sooner)" if config.stopping.converge else ""
        timed = "its first generation" if first else "its generations 2 and 3"
        words = [
            f"a generation {_secs(gen)} ({timed}, {where}), {config.generations} generations "
            f"{_secs(gen * config.generations)}{sooner}"
        ]
    end = evaluation_seconds(config, system, d)  # its trials timed in the evaluation's own batches
    if end is not None and end[1]:
        seconds, trials, per = end
        words.append(
            f"a trial of the system and a model {per * 1e3:.3g} ms, the final evaluation {_secs(seconds)} "
            f"({trials:,} trials and their tests)"
        )
    return "cost, foreseen: " + "; ".join(words)


def _secs(seconds: float) -> str:
    """'about 1.5 s', 'about 12 min', 'less than 0.01 s'."""
    if seconds < 0.01:
        return "less than 0.01 s"
    value, unit = (seconds, "s") if seconds < 120 else (seconds / 60, "min") if seconds < 7200 else (seconds / 3600, "h")
    return f"about {value:.2g} {unit}" if value < 10 else f"about {value:.0f} {unit}"
