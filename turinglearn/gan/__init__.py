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
- :mod:`~turinglearn.app.gan_run`: ``run_gan``, a whole run with its run directory (in the app package).
"""
