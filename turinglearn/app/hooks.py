"""hooks: part of the former turinglearn.experiment."""


from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np

from turinglearn.app.runs import RunDir
from turinglearn.core.contracts import Generation
from turinglearn.core.random import stream
from turinglearn.systems.interactive import InteractiveSystem


class ProgressBar:
    """Hook: a tqdm bar with the generation, the models' median and the discriminators' mean fitness."""

    def __init__(self, total: int, names: Sequence[str], initial: int = 0, view=None):
        from tqdm.auto import tqdm

        self.names, self.view = names, view
        self.bar = tqdm(total=total, initial=initial, unit="gen", dynamic_ncols=True, desc="turinglearn")

    def __call__(self, record: Generation) -> None:
        median = record.median if self.view is None else np.median(self.view(record.models), axis=0)
        med = ", ".join(f"{v:+.2f}" for v in median)
        f_d = record.discriminator_fitness  # empty for metric-based learners
        extra = (
            f" D-fitness={f_d.mean():.2f}" if f_d.size else f" best fitness={record.model_fitness.max():.3g}"
        )
        self.bar.set_postfix_str(f"median=({med}){extra}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class InterrogationRecorder:
    """Hook: at a few generations, what the best interrogator does to the genuine system in one
    trial (its stimuli [T, k] and the system's response [T, F]), for the interrogation plot."""

    def __init__(
        self, system: InteractiveSystem, discriminator, generations: int, seed: int, points: int = 5
    ):
        self.system, self.discriminator, self.seed = system, discriminator, seed
        self.at = sorted({round(i * (generations - 1) / (points - 1)) for i in range(points)})
        self.stimuli: dict[int, np.ndarray] = {}
        self.responses: dict[int, np.ndarray] = {}

    def __call__(self, record: Generation) -> None:
        if record.generation not in self.at:
            return
        best = record.discriminators[int(np.argmax(record.discriminator_fitness))]
        rng = stream(self.seed, "evaluation", 1, record.generation)
        run = self.system.run(self.system.truth[None], self.discriminator, best[None], rng, record=True)
        self.stimuli[record.generation] = run.stimuli[0, :, 0]  # [T, k]
        self.responses[record.generation] = run.features[0, :, 0]  # [T, F]

    def state_dict(self) -> dict:
        return {
            "stimuli": {str(g): v for g, v in self.stimuli.items()},
            "responses": {str(g): v for g, v in self.responses.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.stimuli = {int(g): np.asarray(v) for g, v in state["stimuli"].items()}
        self.responses = {int(g): np.asarray(v) for g, v in state["responses"].items()}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM) after a checkpoint was written."""

    def __init__(self, signum: int, generation: int):
        import signal as _signal

        self.signum, self.generation = signum, generation
        super().__init__(f"{_signal.Signals(signum).name} at generation {generation}")


class Checkpointer:
    """Hook: keeps the state of the last finished generation, writes it every ``every``
    generations and at the last one, and on request (a signal) writes it and stops the run.

    The state is what :func:`resume` needs to continue exactly: the learner's
    ``state_dict()``, the last evaluated generation, the metrics so far and the state of the
    interrogation recorder.
    """

    def __init__(self, run: RunDir | None, learner, history, probes, every: int, keep: int, total: int):
        self.run, self.learner, self.history, self.probes = run, learner, history, probes
        self.every, self.keep, self.total = every, keep, total
        self.snapshot: dict | None = None
        self.written = -1
        self.stop_signal: int | None = None
        self.seconds_before = 0.0
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return self.seconds_before + time.perf_counter() - self.t0

    def __call__(self, record: Generation) -> None:
        done = self.learner.generation
        self.snapshot = {
            "generation": done,
            "learner": self.learner.state_dict(),
            "last": record.state(),
            "rows": len(self.history["generation"]),
            "probes": None if self.probes is None else self.probes.state_dict(),
            "seconds": self.elapsed(),
        }
        if self.run is not None and self.every and (done % self.every == 0 or done == self.total):
            self.write()
        if self.stop_signal is not None:
            self.write()
            raise Interrupted(self.stop_signal, done)

    def write(self) -> None:
        """Write the last finished generation's checkpoint (if it is not written yet)."""
        from turinglearn.app import checkpoint

        if self.run is None or self.snapshot is None or self.snapshot["generation"] == self.written:
            return
        state = dict(self.snapshot)
        rows = state.pop("rows")
        state["history"] = {k: np.asarray(v[:rows], dtype=float) for k, v in self.history.items()}
        checkpoint.save(self.run.path, state["generation"], state, self.keep)
        self.written = state["generation"]


@contextmanager
def stop_on_signals(checkpointer: Checkpointer, enabled: bool):
    """SIGINT and SIGTERM ask the run to stop after the current generation (checkpoint
    written); a second SIGINT stops at once."""
    import signal

    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum, frame):
        if checkpointer.stop_signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        checkpointer.stop_signal = signum
        print(
            f"\nturinglearn: {signal.Signals(signum).name}: stopping after this generation "
            "(again Ctrl-C to stop at once)",
            file=sys.stderr,
        )

    previous = {s: signal.signal(s, request) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
