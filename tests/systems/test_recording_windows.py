"""Tracks of any length, with gaps, read as windows (data_windows), and the held-out tests that
keep an individual's windows in one fold.

A newcomer's woodlice were filmed for 40 to 120 frames with 5 % of frames lost: the recording
was refused as ragged, then for its NaN, and dropping the gappy individuals left 2 of 80."""

from __future__ import annotations

import numpy as np
import pytest

import turinglearn
from turinglearn.core.evaluation import model_c2st
from turinglearn.core.trust import FastTest
from turinglearn.errors import ConfigError
from turinglearn.systems.recording_windows import cut_windows

NAMES = ("speed", "turn")


def _rows(lengths, lost=(), gaps=(), seed=0):
    """Rows of tracks of the given lengths: (values [rows, 2], ids, t), with NaN at the (individual,
    step) pairs in ``lost`` and the rows of ``gaps`` left out."""
    rng = np.random.default_rng(seed)
    values, ids, t = [], [], []
    for who, n in enumerate(lengths):
        for step in range(n):
            if (who, step) in gaps:
                continue
            v = rng.normal(size=2)
            if (who, step) in lost:
                v[1] = np.nan
            values.append(v), ids.append(10 + who), t.append(step)
    return np.array(values), np.array(ids), np.array(t)


def test_each_stretch_without_gaps_is_cut_into_windows():
    # individual 10: 45 steps, NaN at 12: stretches 0-11 (one window of 10) and 13-44 (three);
    # 11: 8 steps (none); 12: 25 steps, step 5 missing: 0-4 (none) and 6-24 (one)
    values, ids, t = _rows([45, 8, 25], lost={(0, 12)}, gaps={(2, 5)})
    x, u, groups, info = cut_windows(values, None, ids, t, 10, "rec.csv")
    assert x.shape == (5, 10, 2) and u is None and np.isfinite(x).all()
    assert groups.tolist() == [10, 10, 10, 10, 12]
    assert info == {"individuals": 3, "windows": 5, "rows": 77, "rows_used": 50, "without_window": 1}
    first = values[(ids == 10) & (t < 10)]
    np.testing.assert_array_equal(x[0], first)  # a window is the rows of its steps, in order
    np.testing.assert_array_equal(x[1], values[(ids == 10) & (t >= 13) & (t < 23)])
    with pytest.raises(ConfigError, match="individual 10 has step 3 more than once"):
        cut_windows(np.vstack([values, values[3:4]]), None, np.append(ids, 10), np.append(t, 3), 10, "rec.csv")
    with pytest.raises(ConfigError, match="no stretch of 50 consecutive steps with every value present in any of its 3"):
        cut_windows(values, None, ids, t, 50, "rec.csv")


def test_a_ragged_gappy_file_reads_with_data_windows_and_is_refused_without(tmp_path):
    values, ids, t = _rows([45, 8, 25], lost={(0, 12)}, gaps={(2, 5)})
    path = tmp_path / "tracks.csv"
    lines = ["individual,step,speed,turn"] + [
        f"{i},{s},{a},{'nan' if np.isnan(b) else b}" for i, s, (a, b) in zip(ids, t, values, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="NaN or infinite"):
        turinglearn.read_recording(path, NAMES, steps=10)
    rec = turinglearn.read_recording(path, NAMES, steps=10, windows=True)
    assert rec.x.shape == (5, 10, 2) and rec.groups.tolist() == [10, 10, 10, 10, 12] and rec.windows["windows"] == 5
    folder = tmp_path / "days"  # a folder of such files: an individual of one file is not one of another's
    folder.mkdir()
    for day in ("a", "b"):
        (folder / f"{day}.csv").write_text(path.read_text())
    both = turinglearn.read_recording(folder, NAMES, steps=10, windows=True)
    assert both.groups.tolist() == [0, 0, 0, 0, 1, 2, 2, 2, 2, 3] and both.windows["rows"] == 154


class _Animals:
    """A recording of 20 animals, 10 windows each, every animal with a steady way of its own
    (an offset drawn once), beside counterfeits that are new animals drawn from the same
    population: a window alone comes from the same distribution on either side."""

    def __init__(self, grouped: bool, population: int):
        self.grouped, self.population, self.test_groups = grouped, population, None

    def trajectories(self, theta, rng, trials=None, **kw):
        animal = np.repeat(np.arange(20), 10)  # [200]
        offset = np.random.default_rng(self.population).normal(size=(20, 2))[animal]
        genuine = offset[:, None] + 0.05 * rng.normal(size=(200, 20, 2))
        fake = rng.normal(size=(200, 1, 2)) + 0.05 * rng.normal(size=(200, 20, 2))
        self.test_groups = animal.reshape(1, 200, 1) if self.grouped else None
        return genuine.reshape(1, 200, 1, 20, 2), fake.reshape(1, 200, 1, 20, 2)


def test_an_animals_windows_stay_in_one_fold():
    """Windows of one animal on both sides of a fold: the classifier knows the animal's other
    windows by its own ways and reads the model as told apart, though any one window is like a
    model's (three populations of animals)."""
    leaked = [model_c2st(_Animals(False, p), np.zeros(1), np.random.default_rng(p), 200) for p in range(3)]
    kept = [model_c2st(_Animals(True, p), np.zeros(1), np.random.default_rng(p), 200) for p in range(3)]
    assert min(leaked) > 0.8, leaked  # folds by window: the animals are recognised
    assert abs(np.mean(kept) - 0.5) < 0.07, kept  # folds by animal: chance
    # the fast test (intervals, power) folds its samples by animal too
    fast = FastTest(_Animals(True, 0), 200, 0.0, np.zeros(1), np.ones(1))
    _, y, fold, _ = fast._dataset(*fast._run(np.zeros(1), 0))
    animal = fast.groups.ravel()  # the genuine samples' animals
    assert all(len(set(fold[:200][animal == a])) == 1 for a in range(20))
    assert len(set(fold)) == 5 and (y[:200] == 0).all()


def test_an_agent_is_learned_from_ragged_gappy_tracks_under_their_stimuli(tmp_path):
    """The newcomer's study on own_agent's leaky integrator: 120 individuals tracked for 50-150
    steps under ON/OFF light blocks, 1.5 % of frames lost; learned with data_windows from the
    file as the lab wrote it."""
    from helpers import load_example

    module = load_example("own_agent")
    sim = module.LeakyIntegrator()
    rng = np.random.default_rng(1)
    n, longest = 120, 150
    u = np.repeat(rng.integers(0, 2, (n, longest // 5, 1)), 5, axis=1).astype(float)  # blocks of 5 steps
    y, xs = sim.reset(rng, (n,)), []
    for t in range(longest):
        y, f = sim.step(y, np.broadcast_to(sim.truth, (n, 2)), u[:, t], rng)
        xs.append(f)
    x = np.stack(xs, axis=1)
    lines = ["individual,step," + ",".join(sim.feature_names) + ",stimulus_0"]
    for i, length in enumerate(rng.integers(50, longest + 1, n)):
        for t in range(length):
            lost = rng.random() < 0.015
            v = ["nan" if lost and j == 0 else f"{a:.6g}" for j, a in enumerate(x[i, t])]
            lines.append(f"{i},{t},{','.join(v)},{u[i, t, 0]:g}")
    path = tmp_path / "tracks.csv"
    path.write_text("\n".join(lines) + "\n")
    settings = {**module.SETTINGS, "learner.passive": True, "data": str(path)}
    with pytest.raises(ConfigError, match="NaN or infinite"):
        turinglearn.learn(simulator=sim, overrides=settings)
    got = turinglearn.learn(simulator=sim, overrides={**settings, "data_windows": True})
    cut = got.summary()["recording_windows"]
    assert cut["individuals"] == 120 and cut["windows"] > 150 and cut["steps"] == sim.config.steps
    ranges = sim.model_family.upper - sim.model_family.lower
    assert (np.abs(got.inferred - sim.truth) / ranges).max() < 0.05, got.inferred
    # (the held-out test's verdict is not asserted: most windows start mid-track, where the
    # integrator is not at rest as its reset puts it; docs/swarms.md, 'Tracks of any length')
    assert f"recording cut into {cut['windows']} windows of {sim.config.steps} steps from 120 individuals" in got.report()


class _Swarms(_Animals):
    """The same animals judged beside four counterfeits a trial, as a swarm recording's replicas,
    with the file's own ids (100 ..)."""

    def trajectories(self, theta, rng, trials=None, **kw):
        genuine, fake = super().trajectories(theta, rng, trials)
        fake = np.concatenate([fake] + [fake + 0.01 * rng.normal(size=fake.shape) for _ in range(3)], axis=2)
        self.test_groups = self.test_groups + 100
        return genuine, fake


def test_the_c2st_keeps_groups_apart_from_its_trials_beside_several_counterfeits():
    """The groups were used as row positions into the counterfeits when a trial had several (a
    swarm recording's replicas): an IndexError with the file's ids, trials repeated with small ones."""
    kept = [model_c2st(_Swarms(True, p), np.zeros(1), np.random.default_rng(p), 200) for p in range(3)]
    assert abs(np.mean(kept) - 0.5) < 0.07, kept


def test_a_few_individuals_get_a_fold_each_and_the_line_says_so():
    from turinglearn.systems.recording_windows import windows_line

    info = {"individuals": 3, "windows": 30, "rows": 1000, "rows_used": 900, "without_window": 0}
    assert windows_line(info, 30).endswith("stay on one side of the held-out tests' folds (a fold each: 3 individuals)")
    one = windows_line({**info, "individuals": 1}, 30)
    assert "all from one individual" in one and "read high" in one

    class Three(_Animals):  # 3 animals: the fast test's folds are the animals
        def trajectories(self, theta, rng, trials=None, **kw):
            genuine, fake = super().trajectories(theta, rng, trials)
            self.test_groups = self.test_groups % 3
            return genuine, fake

    fast = FastTest(Three(True, 0), 200, 0.0, np.zeros(1), np.ones(1))
    _, _, fold, _ = fast._dataset(*fast._run(np.zeros(1), 0))
    assert len(set(fold)) == 3
    assert 0.0 <= model_c2st(Three(True, 0), np.zeros(1), np.random.default_rng(0), 200) <= 1.0  # 3 folds, no error


def test_a_folder_of_stimulated_files_reads_without_names_and_skips_a_file_without_windows(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    for name, lengths in (("a", [45, 25]), ("b", [30]), ("c", [5])):  # c: no stretch of 10
        values, ids, t = _rows(lengths)
        rows = ["individual,step,speed,turn,stimulus_0"] + [
            f"{i},{s},{a},{b},1" for i, s, (a, b) in zip(ids, t, values, strict=True)
        ]
        (folder / f"{name}.csv").write_text("\n".join(rows) + "\n")
    rec = turinglearn.read_recording(folder, steps=10, windows=True)
    assert rec.feature_names == NAMES and rec.stimulus.shape == (rec.x.shape[0], 10, 1)
    assert rec.x.shape[0] == 4 + 2 + 3 and rec.windows["files_without_window"] == 1
    values[0, 0] = 7.0  # outside a declared range: named at the file's own step
    space = type("Box", (), {"low": np.array([-5.0, -5.0]), "high": np.array([5.0, 5.0])})()
    rows = ["individual,step,speed,turn"] + [f"{i},{s + 20},{a},{b}" for i, s, (a, b) in zip(ids, t, values, strict=True)]
    (tmp_path / "late.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(ConfigError, match="speed = 7 at individual 10, step 20 lies outside"):
        turinglearn.read_recording(tmp_path / "late.csv", NAMES, 10, space, windows=True)


def test_a_folders_file_without_windows_counts_among_what_was_read(tmp_path):
    """Its individuals and rows were read and gave none: the line counted only the others (a
    folder of 5 individuals and 68 rows read as 3 individuals, 100 % of its rows)."""
    from turinglearn.systems.recording_windows import windows_line

    folder = tmp_path / "sessions"
    folder.mkdir()
    for name, lengths in (("a", [20, 20, 20]), ("b", [4, 4])):
        values, ids, t = _rows(lengths)
        rows = ["individual,step,speed,turn"] + [f"{i},{s},{a},{b}" for i, s, (a, b) in zip(ids, t, values, strict=True)]
        (folder / f"{name}.csv").write_text("\n".join(rows) + "\n")
    rec = turinglearn.read_recording(folder, NAMES, steps=10, windows=True)
    assert rec.windows == {"individuals": 5, "windows": 6, "rows": 68, "rows_used": 60, "without_window": 2,
                           "files_without_window": 1}  # fmt: skip
    line = windows_line({**rec.windows, "folds": 2}, 10)
    assert "from 5 individuals (88 % of its rows; 2 gave none (shorter, or gappy); 1 file(s)" in line
    assert line.endswith("stay on one side of the held-out tests' folds")  # 3 individuals, 2 folds: no fold each


def test_a_small_windowed_recordings_warning_counts_windows_and_tracks(tmp_path):
    """Read in windows, the recording's rows are windows, several a track: the warning that the
    held-out tests have too few of them named them individuals (an ecologist's 106 windows of 30
    fish read '106 individuals', and 'record more individuals')."""
    from helpers import load_example

    from turinglearn.config import load_config

    module = load_example("own_agent")
    sim = module.LeakyIntegrator()
    steps = sim.config.steps
    rng = np.random.default_rng(0)
    lines = ["individual,step," + ",".join(sim.feature_names) + ",stimulus_0"]
    for i in range(4):  # four tracks of three windows each
        y = sim.reset(rng, (1,))
        for t in range(3 * steps):
            u = np.array([[float(t // 5 % 2)]])
            y, f = sim.step(y, sim.truth[None], u, rng)
            lines.append(f"{i},{t}," + ",".join(f"{a:.6g}" for a in f[0]) + f",{u[0, 0]:g}")
    path = tmp_path / "tracks.csv"
    path.write_text("\n".join(lines) + "\n")
    settings = {**module.SETTINGS, "learner.passive": True, "data": str(path), "data_windows": True}
    with pytest.warns(UserWarning, match=r"has 12 windows \(cut from 4 tracks\), too few .* each window once, and see less \(record more tracks, or longer ones"):
        turinglearn.build(load_config("own-system", settings), simulator=sim)
