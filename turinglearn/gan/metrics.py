"""How good are generated images? Measured in the features of a small classifier trained on the
real data set (labelled data: digits, MNIST), the way FID uses Inception's features:

- Frechet distance between Gaussians fitted to the features of generated and real images;
  :func:`image_metrics` also gives the distance between two disjoint halves of the real data
  at the same sample size, the floor that sampling noise alone reaches;
- class coverage: the fraction of classes that the classifier finds in the generated images at
  no less than 0.4 times their share of the real data (for 10 balanced classes: at least 4% each);
- C2ST: held-out accuracy of a fresh logistic regression telling generated from real images in
  those features (0.5: indistinguishable, 1.0: perfectly separable).

Unlabelled data (folders, ``.npy``) have no classifier to train: the features are those of the
same network left at its seeded random initialisation, and class coverage is not measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FEATURES = 64


class SmallClassifier(nn.Module):
    """images [B, C, S, S] -> features [B, 64] (:meth:`features`) -> logits [B, K]."""

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 16, 3, 1, 1), nn.ReLU(),        # [B, 16, S, S]
            nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),              # [B, 32, S/2, S/2]
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),              # [B, 64, S/4, S/4]
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),              # [B, 64 * 4 * 4]: keeps the layout
            nn.Linear(64 * 16, FEATURES), nn.ReLU(),            # [B, 64] features
        )  # fmt: skip
        self.head = nn.Linear(FEATURES, max(n_classes, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_classifier(
    images: torch.Tensor, labels: np.ndarray | None, seed: int, epochs: int = 8, batch: int = 128
) -> SmallClassifier:
    """A :class:`SmallClassifier` trained on images [N, C, S, S] (on their device) and labels [N]
    with Adam; without labels, the network at its seeded random initialisation."""
    gen = torch.Generator().manual_seed(seed)
    n_classes = int(labels.max()) + 1 if labels is not None else 1
    with torch.random.fork_rng(devices=[]):  # default initialisation, seeded, global state untouched
        torch.manual_seed(seed)
        net = SmallClassifier(images.shape[1], n_classes)
    net = net.to(images.device)
    if labels is None:
        return net.eval()
    y = torch.as_tensor(labels, dtype=torch.long, device=images.device)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=gen).to(images.device)
        for b in order.split(batch):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(images[b]), y[b]).backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def embed(net: SmallClassifier, images: torch.Tensor, batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(features [N, 64], predicted class [N]) of images [N, C, S, S], as float64 / int numpy arrays."""
    feats, preds = [], []
    for chunk in images.split(batch):
        f = net.features(chunk.float())
        feats.append(f.double().cpu())
        preds.append(net.head(f).argmax(1).cpu())
    return torch.cat(feats).numpy(), torch.cat(preds).numpy()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to features a [Na, k] and b [Nb, k]:
    ``|mu_a - mu_b|^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2))``."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr (C_a C_b)^(1/2) = sum of square roots of the eigenvalues of C_a^(1/2) C_b C_a^(1/2) (symmetric PSD)
    w, v = np.linalg.eigh(ca)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cb @ root_a), 0, None)).sum()
    return float(max(((mu_a - mu_b) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * cross, 0.0))


def class_fractions(pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Fraction of predictions in each class: [K]."""
    return np.bincount(pred, minlength=n_classes)[:n_classes] / max(len(pred), 1)


def class_coverage(pred: np.ndarray, labels: np.ndarray, share: float = 0.4) -> float:
    """Fraction of the classes whose share among predictions ``pred`` [N] is at least ``share``
    times their share among the real ``labels``."""
    k = int(labels.max()) + 1
    real, gen = class_fractions(labels, k), class_fractions(pred, k)
    present = real > 0
    return float((gen[present] >= share * real[present]).mean())


def c2st(a: np.ndarray, b: np.ndarray, seed: int = 0) -> float:
    """Held-out accuracy of a logistic regression telling features a [N, k] from b [N, k]:
    trained on a random half of each, tested on the other half (0.5 = indistinguishable)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    n = min(len(a), len(b))
    a, b = a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]
    half = n // 2
    if half < 2:
        raise ValueError(f"c2st needs at least 4 samples per class, got {n}")
    x_train, x_test = np.concatenate([a[:half], b[:half]]), np.concatenate([a[half:], b[half:]])
    y_train, y_test = np.repeat([0, 1], half), np.repeat([0, 1], n - half)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(x_train, y_train)
    return float(clf.score(x_test, y_test))


@dataclass
class ImageMetrics:
    """frechet_distance: generated (n) against one half of the real data (n = half its size);
    frechet_distance_real: the other half against the same half (sampling noise alone);
    class_fractions / class_coverage: of ``samples`` generated images (None without labels); c2st."""

    frechet_distance: float
    frechet_distance_real: float
    class_coverage: float | None
    class_fractions: list[float] | None
    c2st: float

    def as_dict(self) -> dict:
        return {
            "frechet_distance": round(self.frechet_distance, 5),
            "frechet_distance_real": round(self.frechet_distance_real, 5),
            "frechet_ratio": round(self.frechet_distance / max(self.frechet_distance_real, 1e-12), 4),
            "class_coverage": self.class_coverage,
            "class_fractions": self.class_fractions,
            "c2st": round(self.c2st, 4),
        }


def image_metrics(
    net: SmallClassifier, real: torch.Tensor, labels: np.ndarray | None, generated: torch.Tensor, seed: int
) -> ImageMetrics:
    """The metrics above for generated images [M, C, S, S] against real ones [N, C, S, S]; the
    first min(M, N // 2) generated images enter the Frechet distance and C2ST."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(real))
    half = len(real) // 2
    feats_real, _ = embed(net, real)
    a, b = feats_real[order[:half]], feats_real[order[half : 2 * half]]
    feats_gen, pred = embed(net, generated)
    n = min(len(feats_gen), half)
    fd = frechet_distance(feats_gen[:n], a[:n])
    fd_real = frechet_distance(b[:n], a[:n])
    coverage = fractions = None
    if labels is not None:
        coverage = class_coverage(pred, labels)
        fractions = [round(float(f), 4) for f in class_fractions(pred, int(labels.max()) + 1)]
    return ImageMetrics(fd, fd_real, coverage, fractions, c2st(feats_gen[:n], a[:n], seed))
