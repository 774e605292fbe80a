"""The named hooks a run is made of: its metrics rows, its progress bar, its checkpoints and the
signals that stop it (and the interrogation record of interactive runs). Every hook is called
with the :class:`~turinglearn.core.contracts.Generation` of every generation, by every learner."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from turinglearn.app.runs import RunDir
from turinglearn.core.contracts import Generation
from turinglearn.core.random import stream

if TYPE_CHECKING:  # pragma: no cover
    from turinglearn.systems.interactive import InteractiveSystem


class MetricsRecorder:
    """Hook: appends the row that ``row(record)`` gives (``None``: no row this generation) to
    ``history`` (column -> values) and to the run directory's metrics.csv."""

    def __init__(
        self, row: Callable[[Generation], dict | None], history: dict[str, list], run: RunDir | None
    ):
        self.row, self.history, self.run = row, history, run

    def __call__(self, record: Generation) -> None:
        row = self.row(record)
        if row is None:
            return
        rows = max((len(v) for v in self.history.values()), default=0)
        for k in self.history.keys() - row.keys():  # a column this version no longer writes
            self.history[k].append(float("nan"))
        for k, v in row.items():  # a new column is empty for the rows before it
            self.history.setdefault(k, [float("nan")] * rows).append(float(v))
        if self.run is not None:
            self.run.append_metrics(row)


class ProgressBar:
    """Hook: a tqdm bar over generations, with what ``describe(record)`` says (``None``: keep
    the last words; a GAN says something only when it reads its statistics anyway). Where
    stderr is neither a terminal nor a notebook (a log file, a batch job's output) a bar would
    write a carriage-return line every update; there it writes a plain line at every tenth of
    the run instead."""

    def __init__(self, total: int, describe: Callable[[Generation], str | None], initial: int = 0):
        from tqdm.auto import tqdm

        self.describe, self.total, self.done, self.words = describe, total, initial, ""
        self.bar = None
        notebook = any(c.__module__ == "tqdm.notebook" for c in tqdm.__mro__)  # tqdm.auto's widget
        if notebook or _is_terminal(sys.stderr):
            self.bar = tqdm(total=total, initial=initial, unit="gen", dynamic_ncols=True, desc="turinglearn")
        self.every = max(1, -(-total // 10))
        self.started, self.said = time.perf_counter(), None  # said: the generation of the last line

    def __call__(self, record: Generation) -> None:
        words = self.describe(record)
        if words is not None:
            self.words = words
        self.done += 1
        if self.bar is not None:
            if words is not None:
                self.bar.set_postfix_str(words, refresh=False)
            self.bar.update(1)
        elif self.done % self.every == 0 or self.done == self.total:
            self._line()

    def _line(self) -> None:
        seconds = time.perf_counter() - self.started
        print(
            f"turinglearn: generation {self.done}/{self.total} ({seconds:.0f} s){', ' + self.words if self.words else ''}",
            file=sys.stderr,
            flush=True,
        )
        self.said = self.done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.done and self.said != self.done:  # a rule ended the run between two lines
            self._line()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced by an object without it, or closed
        return False


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
    """Hook: writes the state of the last finished generation every ``every`` generations and
    at the last one, and on request (a signal) writes it and stops the run.

    The state is what :func:`~turinglearn.app.driver.resume` needs to continue exactly: the
    experiment's ``state_dict(record)`` (the learner's state and what its kind keeps), the
    generations done, the metrics so far and the seconds spent. An experiment whose
    ``snapshot_each_generation`` is true is asked every generation (a cheap state, and a write
    after a failure mid-step still has the last whole one); otherwise only when a file is
    written (a GAN: no copy off the device per step), and then only between steps.
    """

    def __init__(self, run: RunDir | None, experiment, history, every: int, keep: int, total: int):
        self.run, self.experiment, self.history = run, experiment, history
        self.every, self.keep, self.total = every, keep, total
        self.record: Generation | None = None
        self.snapshot: dict | None = None
        self.done = self.rows = self.written = -1
        self.seconds = 0.0
        self.stop_signal: int | None = None
        self.finishing = False  # the generations are done: a signal now stops the run at once
        self.seconds_before = self.write_seconds = 0.0
        self.inputs: dict[str, str] | None = None
        self.t0 = time.perf_counter()

    def resume_from(self, state: dict) -> None:
        """Continue the count of a run restored from ``state`` (a checkpoint)."""
        self.seconds_before = float(state["seconds"])
        self.done = self.written = int(state["generation"])

    def elapsed(self) -> float:
        """Seconds the run has learned for (resumed runs: all sessions), checkpoint writing aside."""
        return self.seconds_before + time.perf_counter() - self.t0 - self.write_seconds

    def __call__(self, record: Generation) -> None:
        exp = self.experiment
        self.record, self.done = record, exp.learner.generation
        self.rows, self.seconds = len(self.history["generation"]), self.elapsed()
        self.snapshot = exp.state_dict(record) if exp.snapshot_each_generation else None
        if self.run is not None and self.every and (self.done % self.every == 0 or self.done == self.total):
            self.write()
        if self.stop_signal is not None:
            self.write()
            raise Interrupted(self.stop_signal, self.done)

    def _inputs(self) -> dict[str, str]:
        """The digests of the files the run reads (:func:`~turinglearn.app.checkpoint.input_digests`),
        taken once a session."""
        from turinglearn.app import checkpoint

        if self.inputs is None:
            self.inputs = checkpoint.input_digests(self.experiment.config)
        return self.inputs

    def write(self, stopped: dict | None = None) -> None:
        """Write the last finished generation's checkpoint (if it is not written yet, and its
        state can still be had); ``stopped``: the rule that ended the run there (its record and
        ``why``), kept in the checkpoint so that a resume goes straight to the final evaluation
        (written again where that generation's checkpoint was written without it)."""
        from turinglearn.app import checkpoint

        if self.run is None or self.record is None or (self.done == self.written and stopped is None):
            return
        t = time.perf_counter()
        state = self.snapshot
        if state is None and self.experiment.learner.generation == self.done:
            state = self.experiment.state_dict(self.record)  # None while a step is under way
        if state is None:
            return
        history = {k: np.asarray(v[: self.rows], dtype=float) for k, v in self.history.items()}
        state = {
            **state,
            "generation": self.done,
            "seconds": self.seconds,
            "history": history,
            "fingerprint": checkpoint.fingerprint(self.experiment.config),
            "inputs": self._inputs(),
            **({"stopped": stopped} if stopped is not None else {}),
        }
        checkpoint.save(self.run.path, self.done, state, self.keep)
        self.written = self.done
        self.write_seconds += time.perf_counter() - t


@contextmanager
def stop_on_signals(checkpointer: Checkpointer, enabled: bool | None):
    """SIGINT and SIGTERM ask the run to stop after the current generation (checkpoint
    written); a second SIGINT stops at once, and so does either once ``checkpointer.finishing``
    (the last generation's checkpoint is written: the final evaluation is run again on resume).
    ``enabled`` None (the Python API's default): SIGTERM alone, where it would otherwise kill
    the process (its default handler) and the run writes a directory (a batch system's time
    limit lost up to ``checkpoint_every`` generations), and not under torchrun; Ctrl-C stays
    Python's KeyboardInterrupt."""
    import signal

    if enabled is None:  # not under torchrun, whose other processes (no run directory) would die at once
        own = checkpointer.run is not None and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        signals = (signal.SIGTERM,) if own and not checkpointer.experiment.distributed else ()
    else:
        signals = (signal.SIGINT, signal.SIGTERM) if enabled else ()
    if not signals or threading.current_thread() is not threading.main_thread():
        yield
        return

    def request(signum, frame):
        if checkpointer.stop_signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        checkpointer.stop_signal = signum
        if checkpointer.finishing:  # evaluating or writing outputs: no generation ends to stop at
            raise Interrupted(signum, max(checkpointer.done, 0))
        print(
            f"\nturinglearn: {signal.Signals(signum).name}: stopping after this generation "
            "(again Ctrl-C to stop at once)",
            file=sys.stderr,
        )

    previous = {s: signal.signal(s, request) for s in signals}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
