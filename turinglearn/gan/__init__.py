"""The GAN special case of Turing Learning: a neural generator as the model, a neural
classifier that cannot interact as the discriminator, images as samples, and gradient steps
(optionally with Turing Learning selection over populations) instead of evolution.

Modules (torch is imported by these, never by :mod:`turinglearn` itself):

- :mod:`~turinglearn.config.gan`: the typed config of a GAN run (torch-free; in the config package);
- :mod:`~turinglearn.gan.nets`: DCGAN-family generator and discriminator for any image size;
- :mod:`~turinglearn.gan.losses`: non-saturating, hinge and WGAN-GP losses on logits;
- :mod:`~turinglearn.gan.data`: digits, MNIST-5k, folders of images, ``.npy`` arrays;
- :mod:`~turinglearn.gan.train`: :class:`~turinglearn.gan.train.GANLearner`, the gradient
  learner (eager, compiled or CUDA-graph step; population mode with selection), whose every
  generation is a :class:`~turinglearn.core.contracts.Generation`;
- :mod:`~turinglearn.gan.population`: Turing Learning fitness and selection for populations of networks;
- :mod:`~turinglearn.gan.metrics`: Frechet distance, class coverage and C2ST in a small classifier's features;
- :mod:`~turinglearn.app.gan_run`: ``GANExperiment``, a whole run with its run directory (in the
  app package), which writes the trained generator to ``generator.pt``: :func:`load_generator`.
"""

from __future__ import annotations

#: the trained generator in a GAN run's directory (written when the run finishes)
GENERATOR_FILE = "generator.pt"


def load_generator(run_dir, device: str = "cpu"):
    """The trained generator of a finished GAN run directory (its ``generator.pt``; in population
    mode the best, the one the closing lines measured) as a torch module ``z [B, latent] ->
    images [B, C, S, S]`` in [-1, 1], with ``latent``, ``size`` and ``channels`` attributes.
    It is left in training mode: it normalises each batch by the batch's own statistics, as it
    did in training, so sample batches of two or more (the run's ``learner.batch``, its ``batch``
    attribute, reads as the run did); ``eval()`` switches to the running averages, which give
    other images. A run directory without one (unfinished, or written before it was kept)
    raises :class:`~turinglearn.errors.RunDirError`."""
    from pathlib import Path

    import torch

    from turinglearn.errors import RunDirError
    from turinglearn.gan.nets import Generator

    path = Path(run_dir) / GENERATOR_FILE
    if not path.is_file():
        raise RunDirError(
            f"{path} does not exist: a GAN run writes it when it finishes (resume an unfinished run, "
            "`turinglearn resume RUN_DIR`)"
        )
    saved = torch.load(path, map_location=device, weights_only=True)
    g = Generator(saved["size"], saved["channels"], saved["latent"], saved["width"]).to(device)
    g.load_state_dict(saved["state_dict"])
    g.batch = int(saved["batch"])
    return g.train()
