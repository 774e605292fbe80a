"""The GAN backend on the CPU: networks, losses, data, the gradient learner (eager and compiled
steps, checkpoints, population selection), image metrics and the CLI presets. (Resuming GAN
runs: test_gan_resume.py.)"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from turinglearn.app.cli import main
from turinglearn.app.gan_run import grid_png
from turinglearn.config import load_config, to_toml
from turinglearn.config.gan import GANConfig, gan_config_from_dict
from turinglearn.core.contracts import Generation
from turinglearn.errors import ConfigError, DataError
from turinglearn.gan.data import ImageData, load_images
from turinglearn.gan.losses import d_loss, g_loss, gradient_penalty
from turinglearn.gan.metrics import c2st, class_coverage, embed, frechet_distance, train_classifier
from turinglearn.gan.nets import Discriminator, Generator, dcgan_init, layout
from turinglearn.gan.population import population_fitness, truncation
from turinglearn.gan.train import GANLearner

# the networks here are tiny: one thread is as fast, and immune to a busy second core (with two
# threads, OpenMP's barriers made these tests ten times slower on a 2-core machine with one core busy)
torch.set_num_threads(1)

# the PyTorch example's DCGAN, kept beside the repository (../shared) where CI has it: optional
_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = _ROOT.parent / "shared" / "bench" / "dcgan_reference.py"


def tiny(**over) -> GANConfig:
    """A small CPU config: width 8 networks, batch 8."""
    data = {
        "generations": 4,
        "learner": {"kind": "gan", "batch": 8},
        "models": {"latent": 16, "width": 8},
        "discriminators": {"width": 8},
        "evaluation": {"samples": 0},
        "execution": {"device": "cpu"},
    }
    for key, value in over.items():
        section, _, name = key.rpartition(".")
        (data.setdefault(section, {}) if section else data)[name] = value
    return gan_config_from_dict(data)


@pytest.fixture(scope="module")
def digits():
    return load_images("digits")


def params(learner: GANLearner) -> list[torch.Tensor]:
    return [p.detach().clone() for m in learner.G + learner.D for p in m.state_dict().values()]


# --- networks and losses -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [8, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_networks_shapes(size, channels):
    g = dcgan_init(Generator(size, channels, latent=16, width=8), torch.Generator().manual_seed(0))
    d = dcgan_init(Discriminator(size, channels, width=8), torch.Generator().manual_seed(1))
    x = g(torch.randn(5, 16))
    assert x.shape == (5, channels, size, size)
    assert x.abs().max() <= 1
    assert d(x).shape == (5,)


def test_layout_and_bad_sizes():
    assert layout(64) == (4, 4) and layout(28) == (7, 2) and layout(8) == (4, 1) and layout(32) == (4, 3)
    with pytest.raises(ConfigError, match="at least 8"):
        layout(6)
    with pytest.raises(ConfigError, match=r"images\.size"):
        layout(34)  # 34 -> 17: no small base


def test_64_pixel_networks_are_the_reference_dcgan():
    if not REFERENCE.is_file():
        pytest.skip(f"reference not found at {REFERENCE}")
    spec = importlib.util.spec_from_file_location("dcgan_reference", REFERENCE)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    shapes = lambda m: [tuple(p.shape) for p in m.parameters()]  # noqa: E731
    assert shapes(Generator(64, 1, 100, 64)) == shapes(ref.generator())
    assert shapes(Discriminator(64, 1, 64)) == shapes(ref.discriminator())


def test_init_is_dcgan_and_depends_on_the_generator_alone():
    a = dcgan_init(Generator(32, 1, 16, 8), torch.Generator().manual_seed(3))
    torch.manual_seed(999)  # global state does not matter
    b = dcgan_init(Generator(32, 1, 16, 8), torch.Generator().manual_seed(3))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    conv = a.net[0].weight
    assert abs(conv.std().item() - 0.02) < 0.004 and abs(conv.mean().item()) < 0.002


@pytest.mark.parametrize("kind", ["nonsaturating", "hinge", "wgan-gp"])
def test_losses_are_finite_and_point_the_right_way(kind):
    good, bad = torch.full((16,), 3.0), torch.full((16,), -3.0)
    # the discriminator's loss is lower when it scores genuine high and counterfeit low
    assert d_loss(kind, good, bad) < d_loss(kind, bad, good)
    # the generator's loss is lower when its samples are scored genuine
    assert g_loss(kind, good) < g_loss(kind, bad)
    for v in (d_loss(kind, good, bad), g_loss(kind, bad)):
        assert torch.isfinite(v)
    logits = torch.zeros(16, requires_grad=True)
    g_loss(kind, logits).backward()
    assert (logits.grad < 0).all()  # gradient descent raises the logits of generated samples


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    x = torch.randn(8, 1, 4, 4)
    w = torch.randn(16)
    unit = lambda v: v.flatten(1) @ (w / w.norm())  # noqa: E731  gradient norm 1 everywhere
    steep = lambda v: v.flatten(1) @ (3 * w / w.norm())  # noqa: E731
    u = torch.rand(8)
    assert gradient_penalty(unit, x, x.flip(0), u).item() == pytest.approx(0, abs=1e-10)
    assert gradient_penalty(steep, x, x.flip(0), u).item() == pytest.approx(4.0, rel=1e-5)


# --- data ------------------------------------------------------------------------------------------


def test_builtin_data(digits):
    assert digits.images.shape == (1797, 1, 8, 8) and digits.labels.shape == (1797,)
    assert digits.images.min() >= -1 and digits.images.max() <= 1
    assert digits.images.min() == -1 and digits.images.max() == 1
    big = load_images("digits", size=16, channels=3)
    assert big.images.shape == (1797, 3, 16, 16)
    mnist = load_images("mnist")
    assert mnist.images.shape == (5000, 1, 28, 28) and np.bincount(mnist.labels).tolist() == [500] * 10


def _png(path: Path, size=(12, 12), mode="L", value=128):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)


def test_folder_of_images(tmp_path):
    for i in range(3):
        _png(tmp_path / f"a{i}.png", value=40 * i)
    _png(tmp_path / "sub" / "b.jpg", value=255)
    data = load_images(str(tmp_path))
    assert data.images.shape == (4, 1, 12, 12) and data.labels is None
    assert data.images[0].max().item() == -1 and data.images[-1].min().item() == pytest.approx(1, abs=0.02)
    _png(tmp_path / "c.png", size=(20, 10), mode="RGB", value=(255, 0, 0))
    with pytest.raises(DataError, match=r"differ in size.*images\.size"):
        load_images(str(tmp_path))
    mixed = load_images(str(tmp_path), size=8)  # centre-crop and resize; colour present: RGB
    assert mixed.images.shape == (5, 3, 8, 8)


def test_sixteen_bit_grey_images_keep_their_grey_levels(tmp_path):
    """A newcomer's 16-bit PNGs (values 0 or 20,000-65,535) loaded as exactly -1 and +1: Pillow's
    conversion to 8 bits clipped every value above 255."""
    from PIL import Image

    levels = np.array([0, 16384, 32768, 65535], dtype=np.uint16)
    for i, v in enumerate(levels):
        Image.fromarray(np.full((8, 8), v, dtype=np.uint16)).save(tmp_path / f"{i}.png")
    data = load_images(str(tmp_path))
    assert data.images.shape == (4, 1, 8, 8)
    np.testing.assert_allclose(data.images[:, 0, 0, 0].numpy(), levels / 65535 * 2 - 1, atol=1e-6)
    rgb = load_images(str(tmp_path), size=4, channels=3).images  # resized, and grey as three channels
    assert rgb.shape == (4, 3, 4, 4)
    np.testing.assert_allclose(rgb[:, :, 0, 0].numpy(), np.repeat((levels / 65535 * 2 - 1)[:, None], 3, 1), atol=1e-5)


def test_a_folder_of_class_subfolders_is_labelled(tmp_path):
    """Images filed one subfolder a class are labelled by it, so the metrics measure class
    coverage (a newcomer's GAN never learned half their shapes and no metric said so); a
    folder with images at the top, or one subfolder, stays unlabelled; the mixed-size error
    names the files by their path in the folder."""
    for cls, value in (("circle", 40), ("square", 200)):
        for i in range(2):
            _png(tmp_path / "shapes" / cls / f"{i}.png", value=value)
    data = load_images(str(tmp_path / "shapes"))
    assert data.labels.tolist() == [0, 0, 1, 1]
    _png(tmp_path / "one" / "only" / "a.png")
    assert load_images(str(tmp_path / "one")).labels is None
    _png(tmp_path / "shapes" / "square" / "0b.png", size=(10, 10))
    with pytest.raises(DataError, match=r"differ in size: circle/0.png is 12x12, square/0b.png is 10x10"):
        load_images(str(tmp_path / "shapes"))


def test_a_discriminator_that_won_is_flagged(capsys):
    from turinglearn.app.gan_run import discriminator_won
    from turinglearn.app.printing import print_gan_summary

    assert discriminator_won([0.7, 0.6, 0.02, 0.01, 0.03, 0.02, 0.04, 0.01]) == 1.0
    assert discriminator_won([0.7, 0.6, 0.5, 0.6, 0.02, 0.5, 0.6, 0.7]) is None  # a dip is not a win
    summary = {"frechet_distance": 0.1, "frechet_distance_real": 0.01, "class_coverage": None, "generations": 8,
               "seconds": 1.0, "device": "cpu", "compile": "none", "precision": "fp32", "discriminator_won": 1.0}
    print_gan_summary(summary)
    out = capsys.readouterr().out
    assert "class coverage: not measured (unlabelled images" in out
    assert "warning: the discriminator won: its loss stayed below 0.05 in 100 % of the second half" in out


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_images(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    (tmp_path / "empty" / "scan.tif").write_bytes(b"II*")
    with pytest.raises(DataError, match=r"holds no PNG or JPEG images .*; found only \.tif, \.txt files: put the training images there"):
        load_images(str(tmp_path / "empty"))
    (tmp_path / "void").mkdir()
    with pytest.raises(DataError, match=r"holds no PNG or JPEG images .* \(it is empty\): put"):
        load_images(str(tmp_path / "void"))
    tiny = tmp_path / "tiny"
    _png(tiny / "dot.png", size=(1, 1))
    with pytest.raises(DataError, match=r"tiny: images are 1x1 pixels, too small for the networks \(at least 8\); set images.size"):
        load_images(str(tiny))
    assert load_images(str(tiny), size=8).images.shape[-1] == 8  # resized as asked
    bad = tmp_path / "bad"
    _png(bad / "ok.png")
    (bad / "broken.png").write_bytes(b"this is not a PNG")
    with pytest.raises(DataError, match=r"cannot read image .*broken\.png"):
        load_images(str(bad))
    odd = tmp_path / "odd"
    _png(odd / "wide.png", size=(16, 8))
    with pytest.raises(DataError, match="not square"):
        load_images(str(odd))


def test_a_run_inside_its_image_folder_and_stray_files_are_neither_read_nor_digested(tmp_path):
    """A reviewer's GAN run with --out inside its data folder could not resume (the folder's digest
    took in the run's own files), and resumed it would have learned from its sample grids."""
    from turinglearn.app.checkpoint import input_digests
    from turinglearn.config import load_config

    imgs = tmp_path / "imgs"
    for k in range(3):
        _png(imgs / f"{k}.png")
    config = load_config("gan-digits", {"data": str(imgs)})
    before = input_digests(config)["data"]
    (imgs / "run" / "samples").mkdir(parents=True)
    (imgs / "run" / "run.json").write_text("{}")
    _png(imgs / "run" / "samples" / "generation-000010.png")
    (imgs / ".DS_Store").write_bytes(b"finder")
    assert input_digests(config)["data"] == before
    assert len(load_images(str(imgs)).images) == 3
    _png(imgs / "3.png")  # another image: another digest
    assert input_digests(config)["data"] != before


def test_npy_arrays(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "grey.npy", rng.integers(0, 256, (6, 10, 10), dtype=np.uint8))
    np.save(tmp_path / "rgb.npy", rng.random((6, 10, 10, 3)).astype(np.float32))
    np.save(tmp_path / "bad.npy", rng.random((6, 10)))
    np.save(tmp_path / "range.npy", rng.random((6, 10, 10)) * 5)
    assert load_images(str(tmp_path / "grey.npy"), size=8).images.shape == (6, 1, 8, 8)
    rgb = load_images(str(tmp_path / "rgb.npy"))
    assert rgb.images.shape == (6, 3, 10, 10) and -1 <= rgb.images.min() and rgb.images.max() <= 1
    with pytest.raises(DataError, match="shape"):
        load_images(str(tmp_path / "bad.npy"))
    with pytest.raises(DataError, match=r"\[0, 1\] or \[-1, 1\]"):
        load_images(str(tmp_path / "range.npy"))
    with pytest.raises(DataError, match="does not exist"):
        load_images(str(tmp_path / "missing.npy"))


# --- the gradient learner ----------------------------------------------------------------------------


def test_a_few_steps_on_digits(digits):
    learner = GANLearner(digits, tiny())
    before = params(learner)
    records = []
    learner.hooks.append(records.append)
    last = learner.run(3)
    assert learner.generation == 3 and len(records) == 3 and last.generation == 2
    assert all(isinstance(r, Generation) for r in records)
    assert last.models is learner.G and last.discriminators is learner.D
    assert last.losses["d"].shape == last.losses["g"].shape == (1,)
    assert np.isfinite([last.losses["d"], last.losses["g"]]).all()
    assert 0 <= last.model_fitness[0] <= 1 and 0 <= last.discriminator_fitness[0] <= 1
    assert any(not torch.equal(a, b) for a, b in zip(before, params(learner), strict=True))
    images = learner.generate(10, 0)
    assert images.shape == (10, 1, 8, 8) and images.abs().max() <= 1


@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_other_losses_train(loss):
    data = load_images("digits", size=16)  # 16 pixels: the discriminator has a normalised layer
    learner = GANLearner(data, tiny(**{"learner.loss": loss, "learner.critic_steps": 2}))
    assert np.isfinite(learner.run(2).losses["d"]).all()
    assert (loss == "wgan-gp") == any(isinstance(m, torch.nn.GroupNorm) for m in learner.D[0].modules())


def test_same_seed_same_run_other_seed_other_run(digits):
    a, b, c = (GANLearner(digits, tiny(seed=s)) for s in (1, 1, 2))
    for learner in (a, b, c):
        learner.run(2)
    assert all(torch.equal(p, q) for p, q in zip(params(a), params(b), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(params(a), params(c), strict=True))


def test_checkpoint_round_trip_gives_the_identical_next_step(digits, tmp_path):
    from turinglearn.app import checkpoint

    pair = tiny(
        **{
            "learner.population": 2,
            "learner.select_every": 2,
            "learner.hall_of_fame": 3,
            "learner.replay": 20,
        }
    )
    a = GANLearner(digits, pair)
    a.run(3)
    path = checkpoint.save(tmp_path, 3, a.state_dict())  # numpy arrays and JSON: no pickles
    b = GANLearner(digits, pair)
    b.load_state_dict(checkpoint.load(path))
    assert b.generation == 3 and b.best == a.best and len(b.hall) == len(a.hall) == 1
    ra, rb = a.step(), b.step()  # step 4 trains and selects
    assert np.array_equal(ra.losses["d"], rb.losses["d"]) and np.array_equal(
        ra.model_fitness, rb.model_fitness
    )
    assert all(torch.equal(p, q) for p, q in zip(params(a), params(b), strict=True))
    for x, y in zip(a.last_selection, b.last_selection, strict=True):
        np.testing.assert_array_equal(x, y)
    assert torch.equal(a.replay.images, b.replay.images)  # the buffer, and where it writes next
    assert torch.equal(a.sample_inputs()[-1], b.sample_inputs()[-1])
    fresh = GANLearner(digits, pair)  # a fresh start's first step is not the resumed one
    assert not np.array_equal(fresh.step().losses["g"], ra.losses["g"])


def _compiled_matches_eager(digits) -> None:
    eager = GANLearner(digits, tiny())
    compiled = GANLearner(digits, tiny(**{"learner.compile": "compile"}))
    assert compiled.mode == "compile"
    for _ in range(2):
        inputs = eager.sample_inputs()
        assert all(torch.equal(x, y) for x, y in zip(inputs[1:], compiled.sample_inputs()[1:], strict=True))
        s_eager, s_comp = eager.train_step(*inputs), compiled.train_step(*inputs)
        torch.testing.assert_close(s_comp, s_eager, rtol=1e-4, atol=1e-5)
    for p, q in zip(params(eager), params(compiled), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_compiled_step_computes_the_eager_update(digits):
    """The real thing: TorchInductor generates and compiles C++ for the step (about 25 s)."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("torch.compile on the CPU needs a C compiler")
    _compiled_matches_eager(digits)


def test_compiled_step_path_traced_without_code_generation(digits, monkeypatch):
    """The same path in about a second: dynamo traces the networks and AOTAutograd their
    backward (graph breaks and tracing errors show here), without Inductor's code generation."""
    import functools

    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))
    _compiled_matches_eager(digits)


def test_cudagraph_needs_cuda(digits):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; see test_gan_gpu.py")
    with pytest.raises(ConfigError, match=r"learner\.compile"):
        GANLearner(digits, tiny(**{"learner.compile": "cudagraph"}))
    with pytest.raises(ConfigError, match="device"):
        GANLearner(digits, tiny(device="cuda"))


# --- population mode ---------------------------------------------------------------------------------


def test_population_fitness_and_truncation():
    # 2 discriminators; 2 genuine samples, then 2 generators x 2 samples
    judged = np.array(
        [
            [1, 1, 1, 1, 0, 0],  # fooled by generator 0 only: sens 1, spec 0.5
            [1, 0, 1, 0, 0, 0],  # sens 0.5, spec 0.75
        ],
        dtype=bool,
    )
    f_g, f_d = population_fitness(judged, n_real=2, n_models=2)
    np.testing.assert_allclose(f_g, [0.75, 0.0])
    np.testing.assert_allclose(f_d, [0.75, 0.625])
    # a third row from the hall of fame: it judges the generators (fooled by both of generator
    # 1's samples) but is not one of the discriminators that get fitness
    archived = np.concatenate([judged, [[1, 1, 0, 0, 1, 1]]]).astype(bool)
    f_g, f_d = population_fitness(archived, n_real=2, n_models=2, current=2)
    np.testing.assert_allclose(f_g, [3 / 6, 2 / 6])
    np.testing.assert_allclose(f_d, [0.75, 0.625])
    assert truncation(np.array([0.1, 0.9, 0.5, 0.3])) == [(0, 1), (3, 2)]
    assert truncation(np.array([0.5, 0.5, 0.5])) == [(2, 0)]


def test_population_mode_selects_the_best(digits):
    learner = GANLearner(digits, tiny(**{"learner.population": 4, "learner.select_every": 2}))
    learner.run(1)
    assert learner.last_selection is None
    before = [[p.detach().clone() for p in g.parameters()] for g in learner.G]
    judged = learner.judge_all()
    assert judged.shape == (4, 8 + 4 * 8)
    record = learner.step()  # step 2: train, then select
    f_g, f_d = learner.last_selection
    assert f_g.shape == (4,) and f_d.shape == (4,) and record.losses["d"].shape == (4,)
    assert record.model_fitness.shape == (4,) and record.discriminator_fitness.shape == (4,)
    best = learner.best
    assert f_g[best] == f_g.max()
    for loser, winner in truncation(f_g):  # losers are now copies of the winners
        for p, q in zip(learner.G[loser].parameters(), learner.G[winner].parameters(), strict=True):
            assert torch.equal(p, q)
        state_l = learner.opt_g[loser].state[next(learner.G[loser].parameters())]
        state_w = learner.opt_g[winner].state[next(learner.G[winner].parameters())]
        assert torch.equal(state_l["exp_avg"], state_w["exp_avg"])
    winners = {w for _, w in truncation(f_g)}
    assert best in winners and not all(
        torch.equal(p, q) for p, q in zip(before[best], learner.G[best].parameters(), strict=True)
    )  # the best trained on; it was not overwritten
    learner.run(3)  # training continues with the copies
    assert all(torch.isfinite(p).all() for g in learner.G for p in g.parameters())


def test_hall_of_fame_keeps_the_best_judges_and_they_judge(digits):
    from turinglearn.gan.state import NetworkArchive, flatten, unflatten_into

    learner = GANLearner(
        digits, tiny(**{"learner.population": 2, "learner.select_every": 1, "learner.hall_of_fame": 2})
    )
    # a flat row loads back into a network that then judges as the original does
    spare = GANLearner(digits, tiny(seed=1)).D[0]
    unflatten_into(spare, flatten(learner.D[1]))
    x = digits.images[:8]
    with torch.no_grad():
        assert torch.equal(spare(x), learner.D[1](x))
    with pytest.raises(ValueError, match="the row holds"):
        unflatten_into(spare, flatten(learner.D[1])[:-1])
    kept = []
    for _ in range(3):  # a selection at every step; the hall keeps the last two best judges
        learner.step()
        _, f_d = learner.last_selection
        kept.append(flatten(learner.D[int(np.argmax(f_d))]))  # winners keep their index and weights
    assert len(learner.hall) == 2
    np.testing.assert_array_equal(learner.hall.rows, np.stack(kept[1:]))
    assert learner.judge_all().shape == (2 + 2, 8 + 2 * 8)
    # two archived judges that disagree (one trained, one fresh): each judges with its own weights
    learner.hall = NetworkArchive(2)
    for d in (learner.D[0], GANLearner(digits, tiny(seed=3)).D[0]):
        learner.hall.offer(d, np.random.default_rng(0))
    judged = learner.judge_all()
    assert not np.array_equal(judged[2], judged[3])
    for k, row in enumerate(learner.hall.rows):
        alone = GANLearner(digits, tiny(seed=2)).D[0]
        unflatten_into(alone, row)
        learner.hall = NetworkArchive(1)
        learner.hall.offer(alone, np.random.default_rng(0))
        np.testing.assert_array_equal(learner.judge_all()[2], judged[2 + k])  # same generation: same samples


def test_replay_shows_the_discriminator_past_images_and_stores_new_ones(digits):
    config = tiny(**{"learner.replay": 12, "learner.replay_share": 0.25, "learner.population": 2})
    learner = GANLearner(digits, config)
    plain = GANLearner(digits, tiny(**{"learner.population": 2}))
    inputs = learner.sample_inputs()
    # the same batches, noise and pairing as a run without the buffer; then the buffer's positions
    assert all(torch.equal(x, y) for x, y in zip(inputs[1:4], plain.sample_inputs()[1:], strict=True))
    slots = inputs[4]  # [P, nc, 2, h]
    h = learner.replay.h
    assert slots.shape == (2, 1, 2, h) and h == 2  # a quarter of the batch of 8
    assert all(len(set(w.tolist())) == h for w in slots[:, :, 1].reshape(-1, h))  # distinct write positions
    before = learner.replay.images.clone()
    shown = []
    hooks = [
        d.register_forward_hook(lambda m, args, out: shown.append(args[0].detach().clone()))
        for d in learner.D
    ]
    fakes = []
    hook_g = [
        g.register_forward_hook(lambda m, args, out: fakes.append(out.detach().clone())) for g in learner.G
    ]
    learner.train_step(*inputs)
    for handle in hooks + hook_g:
        handle.remove()
    # generator 0 meets discriminator (0 + r) mod 2 first: its second forward call is the
    # generated batch, whose last h images are the buffer's at the read positions
    counterfeit = shown[1]
    assert torch.equal(counterfeit[: 8 - h], fakes[0][: 8 - h])
    assert torch.equal(counterfeit[8 - h :], before[slots[0, 0, 0]])
    # the images the discriminator did not see now sit at the write positions (pair 1 wrote after pair 0)
    last = learner.replay.images[slots[1, 0, 1]]
    assert torch.equal(last, fakes[1][8 - h :])
    assert not torch.equal(learner.replay.images, before)
    with pytest.raises(ConfigError, match="replay_share"):
        tiny(**{"learner.replay": 12, "learner.replay_share": 1.0})


# --- metrics -------------------------------------------------------------------------------------------


def test_frechet_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-8)
    b = rng.normal(size=(2000, 8))
    shifted = b + 1.0  # |mu shift|^2 = 8
    assert frechet_distance(a, b) < 0.1
    assert frechet_distance(a, shifted) == pytest.approx(8, rel=0.05)
    assert frechet_distance(a, 2 * b) == pytest.approx(8, rel=0.1)  # tr(1 + 4 - 2 * 2) per dimension


def test_classifier_coverage_and_c2st_on_real_data(digits):
    net = train_classifier(digits.images, digits.labels, seed=0, epochs=4)
    feats, pred = embed(net, digits.images)
    assert feats.shape == (1797, 64)
    assert (pred == digits.labels).mean() > 0.9
    assert class_coverage(pred, digits.labels) == 1.0
    fractions = np.bincount(pred, minlength=10) / len(pred)
    np.testing.assert_allclose(fractions, 0.1, atol=0.03)  # the digits are balanced: about uniform
    assert class_coverage(np.zeros(100, int), digits.labels) == pytest.approx(0.1)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(feats))
    same = c2st(feats[order[:800]], feats[order[800:1600]], seed=0)
    ones = feats[digits.labels == 1]
    different = c2st(ones, feats[digits.labels == 0], seed=0)
    assert abs(same - 0.5) < 0.1 and different > 0.95


def test_grid_png():
    import io

    from PIL import Image

    png = grid_png(torch.rand(64, 1, 8, 8) * 2 - 1)
    img = Image.open(io.BytesIO(png))
    assert img.width >= 256 and img.width == img.height


# --- configs and the command line ----------------------------------------------------------------------


def test_presets_are_gan_configs_and_round_trip(tmp_path):
    for name in ("gan-digits", "gan-mnist"):
        cfg = load_config(name)
        assert isinstance(cfg, GANConfig) and cfg.learner.kind == "gan"
        file = tmp_path / f"{name}.toml"
        file.write_text(to_toml(cfg))
        assert load_config(file) == cfg
    assert (
        load_config("gan-digits", ["generations=7", "learner.population=3"]).replace(seed=4).generations == 7
    )


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("learner.loss=foo", "learner.loss"),
        ("learner.batch=1", "learner.batch"),
        ("learner.compile=fast", "learner.compile"),
        ("learner.nope=1", "learner.nope"),
        ("models.lr=0", "models.lr"),
        ("discriminators.beta1=1", "discriminators.beta1"),
        ("images.size=4", "images.size"),
        ("execution.device=tpu", "execution.device"),
        ("execution.checkpoint_every=-1", "execution.checkpoint_every"),
        ("generations=0", "generations"),
        ("steps=5", "steps"),  # renamed: the message names generations
        ("device=cpu", "device"),  # moved: the message names execution.device
        ("evaluation.checkpoint_every=5", "evaluation.checkpoint_every"),
        ("environment.id=x", "environment"),
        ("learner.hall_of_fame=-1", "learner.hall_of_fame"),
        ("learner.hall_of_fame=5", "learner.hall_of_fame"),  # population 1: no selections to judge at
        ("learner.hall_of_fame_every=0", "learner.hall_of_fame_every"),
        ("learner.replay=-3", "learner.replay"),
        ("learner.replay_share=0", "learner.replay_share"),
        ("learner.replay=10", "learner.replay"),  # fewer images than a batch (64)
    ],
)
def test_bad_gan_settings_name_the_key(override, key):
    with pytest.raises(ConfigError) as err:
        load_config("gan-digits", [override])
    assert err.value.key == key and str(err.value).startswith(key)


def test_cli_gan_digits_writes_the_run(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "gan-digits", "--device", "cpu", "--out", str(out), "--quiet", "--generations", "6"]
    args += ["--set", "learner.batch=16", "--set", "models.width=8", "--set", "discriminators.width=8"]
    args += [
        "--set",
        "evaluation.samples=300",
        "--set",
        "evaluation.classifier_epochs=1",
        "--set",
        "evaluation.log_every=2",
    ]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("frechet_distance", "frechet_distance_real", "class_coverage", "c2st", "images_per_second"):
        assert isinstance(summary[key], float) and np.isfinite(summary[key]), key
    assert (
        summary["generations"] == 6 and summary["device"] == "cpu" and len(summary["class_fractions"]) == 10
    )
    assert (out / "samples" / "generation-000006.png").stat().st_size > 100
    assert (out / "checkpoints" / "generation-000006.npz").is_file() and (out / "fitness.png").is_file()
    assert json.loads((out / "run.json").read_text())["status"] == "complete"
    metrics = (out / "metrics.csv").read_text().splitlines()
    assert metrics[0].startswith("generation,seconds,loss_d") and len(metrics) == 4
    assert [line.split(",")[0] for line in metrics[1:]] == ["1", "3", "5"]
    assert isinstance(load_config(out / "config.toml"), GANConfig)
    assert "Frechet distance" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "gan-folder"], "data: give the images"),
        (["run", "gan-folder", "--set", "data=/no/such/folder"], "does not exist"),
        (["run", "gan-digits", "--set", "steps=3"], "set generations instead"),
        (["run", "gan-digits", "--set", "device=cpu"], "execution.device"),
        (["run", "gan-digits", "--set", "learner.loss=lsgan"], "learner.loss"),
        # settings that would change nothing are refused, not ignored
        (["run", "gan-digits", "--set", "learner.gp_weight=5"], "learner.gp_weight: weighs wgan-gp's gradient penalty"),
        (["run", "gan-digits", "--set", "learner.replay_share=0.3"], "replay = 0 keeps none: set replay"),
        (["run", "gan-digits", "--set", "learner.select_every=10"], "set population >= 2, or leave select_every at 100"),
        # a swarm study's flag is named as typed, not as the setting it became
        (["run", "gan-digits", "--passive"], "--passive is for the swarm and agent studies; gan-digits is a GAN config"),
        (["run", "gan-digits", "--backend", "processes"], "--backend is for the swarm and agent studies"),
    ],
)
def test_cli_gan_errors_are_one_line(args, fragment, tmp_path, capsys):
    out = tmp_path / "never"
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("turinglearn: error:") and fragment in err[0]
    assert not out.exists()


def test_learn_runs_a_gan_config():
    import turinglearn

    cfg = tiny(generations=2)
    result = turinglearn.learn(cfg)
    assert isinstance(result, turinglearn.LearnResult)
    assert result.summary()["generations"] == 2 and result.learner.generation == 2
    lines = result.report().splitlines()  # the command line's closing lines, from Python
    assert lines[-1].startswith("2 generations in ") and " on cpu (" in lines[-1]
    assert lines[0].strip().startswith("images per second: ")  # tiny() measures no image metrics


def test_the_trained_generator_comes_out_of_the_run_directory(tmp_path):
    """A newcomer found no documented way to get the generator out of a finished run: they read
    checkpoints by hand, and in population mode the checkpoint's ``best`` was not the generator
    measured. generator.pt holds the measured one; load_generator rebuilds it."""
    import turinglearn
    from turinglearn.errors import RunDirError
    from turinglearn.gan import load_generator

    with pytest.raises(RunDirError, match=r"generator\.pt does not exist"):
        load_generator(tmp_path)
    result = turinglearn.learn(tiny(generations=4, **{"learner.population": 2, "learner.select_every": 2}), out=tmp_path / "run")
    g = load_generator(tmp_path / "run")
    assert (g.latent, g.size, g.channels, g.batch, g.training) == (16, 8, 1, 8, True)
    z = torch.randn((8, 16), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        mine = g(z)
    torch.testing.assert_close(mine, result.learner.generate(8, 3), rtol=0, atol=1e-6)  # the one measured
    best = result.summary()["best_generator"]
    assert torch.equal(g.state_dict()["net.0.weight"], result.learner.G[best].state_dict()["net.0.weight"])
    # the final ranking copies nothing: the last checkpoint's networks are the ones ranked and measured
    from turinglearn.app import checkpoint

    _, state = checkpoint.latest(tmp_path / "run")
    assert np.array_equal(state["learner"]["generators"][best]["net.0.weight"], g.state_dict()["net.0.weight"].numpy())
    f_g, _ = result.learner.last_selection  # the mean over RANK_DRAWS batches: not one batch's 0/1 fractions
    fits = [population_fitness(result.learner.judge_all(draw=k), 8, 2, current=2)[0] for k in range(8)]
    np.testing.assert_allclose(f_g, np.mean(fits, axis=0))
    with pytest.raises(RunDirError) as e:  # a GAN's convergence rule never ran: no advice to turn it off
        turinglearn.resume(tmp_path / "run")
    assert str(e.value).endswith(f"turinglearn resume {tmp_path / 'run'} --generations N`")  # no "(the convergence rule is then off)"


def test_import_is_light_and_gan_needs_no_gymnasium():
    code = "import sys, turinglearn; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    code = (
        "import sys; sys.modules['gymnasium'] = None\n"
        "import turinglearn.gan.train, turinglearn.app.gan_run, turinglearn.gan.metrics\n"
        "assert sys.modules['gymnasium'] is None"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_image_data_container():
    data = ImageData(torch.zeros(3, 1, 8, 8), None, "x")
    assert (len(data), data.size, data.channels) == (3, 8, 1)


def test_device_takes_a_gpu_index_and_a_gan_table_without_its_kind_is_named(tmp_path):
    """gan.md says --device takes cuda:N, which the parser refused; a hand-written GAN config
    without [learner] kind = "gan" was told that images is an unknown setting."""
    from turinglearn.app.cli_args import parser

    assert parser().parse_args(["run", "gan-digits", "--device", "cuda:1"]).device == "cuda:1"
    with pytest.raises(SystemExit):
        parser().parse_args(["run", "gan-digits", "--device", "gpu"])
    path = tmp_path / "mine.toml"
    path.write_text('data = "digits"\n[images]\nsize = 16\n')
    with pytest.raises(ConfigError, match=r'images: is a GAN\'s setting; a GAN config says so with \[learner\] kind = "gan"'):
        load_config(path)


def test_a_batch_larger_than_the_data_is_warned_of():
    import turinglearn
    from turinglearn.errors import TuringLearnWarning

    with pytest.warns(TuringLearnWarning, match=r"learner.batch = 2000 is larger than the 1797 images of 'digits'"):
        turinglearn.learn("gan-digits", generations=1, overrides={"learner.batch": 2000, "evaluation.samples": 0})
