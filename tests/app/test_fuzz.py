"""Fuzzing the readers (issue 20): configs, recordings and images built by Hypothesis, valid and
damaged. Whatever the input, a reader gives a result or one of turinglearn's own errors with a
one-line message, never another exception (which the command line would show as a traceback).

Bounded: a few hundred inputs in all, a few seconds; ``TRIED`` counts them by kind (printed with
``pytest -s``)."""

import io
import math
import zipfile
from collections import Counter

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from turinglearn.config import load_config  # noqa: E402
from turinglearn.errors import TuringLearnError  # noqa: E402

TRIED: Counter = Counter()
BOUNDED = settings(
    deadline=None,
    derandomize=True,  # the same inputs every run: a failure is reproducible, the time bounded
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def one_line(e: TuringLearnError) -> None:
    text = str(e)
    assert text and "\n" not in text and "Traceback" not in text, repr(text)


def reads(kind: str, fn, *args, **kwargs):
    """fn's result, or None after one of turinglearn's own one-line errors."""
    TRIED[kind] += 1
    try:
        return fn(*args, **kwargs)
    except TuringLearnError as e:
        one_line(e)
        TRIED[f"{kind}: refused"] += 1
        return None


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nfuzzed inputs:", dict(sorted(TRIED.items())))


# --- configs ----------------------------------------------------------------------------------

KEYS = [
    "name", "seed", "generations", "data",
    "environment.id", "environment.steps", "environment.n_agents", "environment.n_replicas",
    "environment.init_side", "environment.truth",
    "learner.kind", "learner.genuine_per_trial", "learner.hall_of_fame", "learner.passive",
    "models.population", "models.parents", "models.sigma_init", "models.sigma_max", "models.weight_bound",
    "models.kind", "models.crossover", "discriminators.sigma_max", "discriminators.learning_rate",
    "evaluation.c2st_trials", "evaluation.c2st_folds", "evaluation.c2st_noise", "evaluation.average",
    "execution.backend", "execution.chunk_size", "execution.timeout", "execution.scheduler",
    "models", "nope", "models.nope", "environment.nope", "evaluation.c2st_trials.x",
]  # fmt: skip

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2, 1e300, -1e300, 5e-324, float("inf"), float("-inf"), float("nan")]),
    st.text(max_size=12),
    st.sampled_from(["", ".", "..", "../x", "a/b", "a\x00b", "\x7f", "gan", "median", "dask"]),
    st.booleans(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@settings(BOUNDED, max_examples=60)
@given(overrides=st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=4))
def test_config_overrides(overrides):
    config = reads("config overrides", load_config, "aggregation", overrides)
    if config is not None:  # accepted: every number it holds is finite but sigma_max
        flat = config.to_dict()
        for section, table in flat.items():
            for key, v in table.items() if isinstance(table, dict) else [(section, table)]:
                for x in v if isinstance(v, (list, tuple)) else [v]:
                    if isinstance(x, float) and key != "sigma_max":
                        assert math.isfinite(x), (section, key, x)


GAN_KEYS = [
    *KEYS[:4], "learner.loss", "learner.batch", "models.lr", "models.beta1", "evaluation.samples",
    "execution.device", "images.size", "images.channels", "steps", "device",
]  # fmt: skip


@settings(BOUNDED, max_examples=40)
@given(overrides=st.dictionaries(st.sampled_from(GAN_KEYS), values, min_size=1, max_size=3))
def test_gan_config_overrides(overrides):
    reads("GAN config overrides", load_config, "gan-digits", overrides)


toml_lines = st.lists(
    st.one_of(
        st.sampled_from(
            ["[models]", "[evaluation]", "[environment]", "[[x]]", "[", "a = ", "= 1", 'name = "x"', "seed = 1"]
        ),
        st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(KEYS).map(lambda k: k.split(".")[-1]),
                  st.sampled_from(["1", "-1", "inf", "nan", "1e999", '"s"', "[1, 2]", "{a = 1}", "true", "1979-05-27"])),
        st.text(max_size=20),
    ),
    max_size=8,
)  # fmt: skip


@settings(BOUNDED, max_examples=60)
@given(lines=toml_lines)
def test_config_files(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    try:
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        path.write_bytes("\n".join(lines).encode("utf-8", "replace"))
    reads("config files", load_config, path)


@settings(BOUNDED, max_examples=60)
@given(raw=st.binary(max_size=200))
def test_config_files_of_random_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_bytes(raw)
    reads("config files (bytes)", load_config, path)


# --- recordings -------------------------------------------------------------------------------

NAMES = ("linear_speed", "angular_speed")
STEPS = 4


def _features():
    from turinglearn.app.build import make_simulator
    from turinglearn.core.contracts import feature_space

    sim = make_simulator(load_config("aggregation", {"environment.steps": STEPS}))
    return feature_space(sim)


SPACE = None


def read(path):
    global SPACE
    from turinglearn.systems.recorded import read_recording

    if SPACE is None:
        SPACE = _features()
    return read_recording(path, NAMES, STEPS, SPACE)


def column(draw, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(["float", "int", "uint", "str", "bool", "complex", "huge", "obj-none"]))
    if kind == "str":
        return np.array([draw(st.text(max_size=3)) for _ in range(n)])
    if kind == "bool":
        return np.array([draw(st.booleans()) for _ in range(n)])
    if kind == "complex":
        return np.ones(n) * (1 + 1j)
    if kind == "huge":
        return np.full(n, draw(st.sampled_from([1e300, -1e40, 2.0**63, 2.0**64, 1e20])))
    if kind == "uint":
        return np.full(n, draw(st.sampled_from([0, 1, 2**64 - 1])), dtype=np.uint64)
    if kind == "int":
        return np.array([draw(st.integers(-3, 8)) for _ in range(n)], dtype=np.int64)
    if kind == "obj-none":
        return np.arange(n, dtype=float)  # a valid column
    floats = st.floats(-2, 2) | st.sampled_from([float("nan"), float("inf"), 0.5])
    return np.array([draw(floats) for _ in range(n)])


@st.composite
def recordings(draw):
    """Columns of a recording: a valid one (individuals x STEPS), then some columns replaced,
    dropped, renamed, lengthened or re-typed, and maybe a truth."""
    n = draw(st.integers(0, 3))
    cols = {
        "individual": np.repeat(np.arange(n), STEPS),
        "step": np.tile(np.arange(STEPS), n),
        **{name: np.linspace(-0.4, 0.4, n * STEPS) for name in NAMES},
    }
    for name in draw(st.lists(st.sampled_from([*cols, "extra", "truth"]), max_size=3, unique=True)):
        action = draw(st.sampled_from(["replace", "drop", "extend", "2d"]))
        if action == "drop":
            cols.pop(name, None)
        elif action == "extend":
            cols[name] = np.concatenate([cols.get(name, np.zeros(0)), [1.0]])
        elif action == "2d":
            cols[name] = np.zeros((2, 2))
        else:
            cols[name] = column(draw, n * STEPS if name != "truth" else 4)
    return cols


def _damage(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["none", "truncate", "flip", "garbage"]))
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(b) - 1))
            b[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(b)
    if how == "garbage":
        return draw(st.binary(max_size=64))
    return data


@settings(BOUNDED, max_examples=80)
@given(data=st.data())
def test_npz_recordings(tmp_path_factory, data):
    cols = data.draw(recordings())
    buf = io.BytesIO()
    (np.savez_compressed if data.draw(st.booleans()) else np.savez)(buf, **cols)
    path = tmp_path_factory.mktemp("rec") / "r.npz"
    path.write_bytes(_damage(data.draw, buf.getvalue()))
    rec = reads("recordings .npz", read, path)
    if rec is not None:
        assert np.isfinite(rec.x).all() and (rec.truth is None or np.isfinite(rec.truth).all())


@settings(BOUNDED, max_examples=60)
@given(data=st.data())
def test_csv_recordings(tmp_path_factory, data):
    cols = data.draw(recordings())
    cols.pop("truth", None)
    cols = {k: v.ravel() for k, v in cols.items()}
    n = max((len(v) for v in cols.values()), default=0)
    lines = [",".join(cols)]
    for i in range(n):
        lines.append(",".join(str(v[i]) if i < len(v) else "" for v in cols.values()))
    text = "\n".join(lines)
    if data.draw(st.booleans()):
        text = "\ufeff" + text  # a byte-order mark, as spreadsheets write
    raw = _damage(data.draw, text.encode("utf-8"))
    path = tmp_path_factory.mktemp("rec") / "r.csv"
    path.write_bytes(raw)
    reads("recordings .csv", read, path)


@settings(BOUNDED, max_examples=30)
@given(data=st.data())
def test_parquet_recordings(tmp_path_factory, data):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    cols = data.draw(recordings())
    cols.pop("truth", None)
    buf = io.BytesIO()
    try:
        pq.write_table(pa.table({k: v.ravel() for k, v in cols.items() if len(v.ravel()) == STEPS * 2}), buf)
    except (pa.ArrowException, ValueError):
        return
    path = tmp_path_factory.mktemp("rec") / "r.parquet"
    path.write_bytes(_damage(data.draw, buf.getvalue()))
    reads("recordings .parquet", read, path)


def test_known_damaged_recordings(tmp_path):
    """The cases of the issue, by name."""
    good = io.BytesIO()
    cols = {"individual": np.repeat(np.arange(3), STEPS), "step": np.tile(np.arange(STEPS), 3)}
    cols.update({n: np.zeros(3 * STEPS) for n in NAMES})
    np.savez_compressed(good, **cols)
    raw = bytearray(good.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF  # inside the first column's deflated data
    cases = {"truncated.npz": good.getvalue()[:200], "flipped.npz": bytes(raw)}
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
    for name, col in [("text_id.npz", "individual"), ("text_feature.npz", NAMES[0])]:
        np.savez(tmp_path / name, **{**cols, col: cols[col].astype(str)})
    np.savez(tmp_path / "text_truth.npz", **cols, truth=np.array(["a", "b", "c", "d"]))
    np.savez(tmp_path / "nan_truth.npz", **cols, truth=np.array([0.1, np.nan, 0, 0]))
    np.savez(tmp_path / "huge.npz", **{**cols, NAMES[0]: np.full(3 * STEPS, 1e300)})
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    (tmp_path / "bom.csv").write_text(
        "\ufeffindividual,step,linear_speed,angular_speed\n"
        + "".join(f"{i},{t},0.1,0.2\n" for i in range(2) for t in range(STEPS)),
        encoding="utf-8",
    )
    (tmp_path / "huge_id.csv").write_text(
        "individual,step,linear_speed,angular_speed\n"
        + "".join(f"{i * 10**25},{t},0.1,0.2\n" for i in range(2) for t in range(STEPS))
    )
    from turinglearn.systems.recorded import read_recording

    def error(name):
        with pytest.raises(TuringLearnError) as e:
            read_recording(tmp_path / name, NAMES, STEPS)
        one_line(e.value)
        return str(e.value)

    assert "BadZipFile" in error("truncated.npz")
    assert "cannot read recording" in error("flipped.npz")
    assert "must hold numbers, it holds <U" in error("text_id.npz")
    assert "must hold numbers" in error("text_feature.npz") and "must hold numbers" in error("text_truth.npz")
    assert "truth" in error("nan_truth.npz") and "not finite" in error("nan_truth.npz")
    assert "too large to learn from" in error("huge.npz")
    assert "lacks column" in error("empty.npz")
    assert "beyond 64-bit integers" in error("huge_id.csv") and "-9223372036854775808" not in error("huge_id.csv")
    assert read_recording(tmp_path / "bom.csv", NAMES, STEPS).x.shape == (2, STEPS, 2)


# --- images -----------------------------------------------------------------------------------


@st.composite
def npy_arrays(draw):
    shape = draw(st.lists(st.integers(0, 9), min_size=1, max_size=5).map(tuple))
    dtype = draw(st.sampled_from(["uint8", "int16", "int64", "float32", "float64", "bool", "complex64", "U2"]))
    size = int(np.prod(shape))
    if dtype == "U2":
        return np.full(shape, "ab")
    fill = draw(st.sampled_from([0, 1, -1, 255, 256, 0.5, -0.5, 2.0, float("nan"), float("inf")]))
    with np.errstate(all="ignore"):
        a = np.full(size, fill).astype(dtype) if size else np.zeros(0, dtype)
    return a.reshape(shape)


def _images():
    torch = pytest.importorskip("torch")  # noqa: F841
    from turinglearn.gan.data import load_images

    return load_images


@settings(BOUNDED, max_examples=60)
@given(data=st.data())
def test_npy_images(tmp_path_factory, data):
    load_images = _images()
    a = data.draw(npy_arrays())
    buf = io.BytesIO()
    np.save(buf, a)
    path = tmp_path_factory.mktemp("img") / "x.npy"
    path.write_bytes(_damage(data.draw, buf.getvalue()))
    size = data.draw(st.sampled_from([0, 8]))
    out = reads("images .npy", load_images, str(path), size)
    if out is not None:
        assert out.images.ndim == 4 and bool(out.images.isfinite().all())


@settings(BOUNDED, max_examples=30)
@given(data=st.data())
def test_image_folders(tmp_path_factory, data):
    from PIL import Image

    load_images = _images()
    folder = tmp_path_factory.mktemp("img")
    for i in range(data.draw(st.integers(0, 3))):
        w, h = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
        mode = data.draw(st.sampled_from(["L", "RGB", "RGBA", "P", "1", "I;16"]))
        fmt, suffix = data.draw(st.sampled_from([("PNG", ".png"), ("JPEG", ".jpg")]))
        buf = io.BytesIO()
        img = Image.new(mode, (w, h))
        try:
            img.save(buf, format=fmt)
        except (OSError, KeyError, ValueError):  # a mode the format cannot hold
            img.convert("RGB").save(buf, format=fmt)
        (folder / f"{i}{suffix}").write_bytes(_damage(data.draw, buf.getvalue()))
    size = data.draw(st.sampled_from([0, 8]))
    reads("image folders", load_images, str(folder), size, data.draw(st.sampled_from([0, 1, 3])))
