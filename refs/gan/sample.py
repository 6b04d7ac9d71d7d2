"""Draw samples from a trained generator: ``python -m refs.gan.sample RUN_DIR --n N --out F.npz``.

Writes N images as uint8 (N, 28, 28) under the key ``images`` of an ``.npz`` file; ``--grid
FILE.png`` also draws them as a grid. A conditional generator (``--conditional`` runs) draws the
digit ``--digit D``, or, without it, every digit in turn (the grid then has one row per digit),
and the file also holds the requested digits under ``labels``. The library functions are
:func:`load_generator`, :func:`sample_images`, :func:`sample_labels` and :func:`grids_to_gif`.

Example:
    >>> images = sample_images(load_generator("runs/gan/20261123T050000Z"), n=16, seed=0)
    >>> images.shape, images.dtype
    ((16, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from refs.cli import (
    ArgumentParser,
    import_tensorflow_quietly,
    non_negative_int,
    positive_int,
    run_cli,
)
from refs.errors import DataError, UsageError
from refs.utils.files import output_path

GENERATOR_FILE = "generator.keras"


def load_generator(run_dir: str | os.PathLike):
    """The ``generator.keras`` saved in a run directory (raises ``UsageError`` if absent)."""
    import keras

    from refs.errors import DataError

    path = Path(run_dir) / GENERATOR_FILE
    if not Path(run_dir).is_dir():
        raise DataError(f"run directory {run_dir} does not exist")
    if not path.is_file():
        raise DataError(f"no {GENERATOR_FILE} in {run_dir}: is it a refs.gan run directory "
                        "that finished at least one epoch?")
    import refs.losses  # noqa: F401 - registers the loss classes a saved model may name

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # a corrupt, truncated or foreign file: Keras raises many types
        raise DataError(f"{path} is not a readable Keras model ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None


def to_uint8_images(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1], (N, 28, 28[, 1]) -> uint8 (N, 28, 28) in [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def sample_labels(generator, n: int, digit: int | None = None) -> np.ndarray | None:
    """The classes to draw ``n`` samples of: None for an unconditional generator; ``digit``
    ``n`` times; or, without ``digit``, every class in turn in sorted blocks (``n = 100``: ten
    of each, so a 10-column grid has one row per digit)."""
    from refs.gan.gan import num_classes_of

    classes = num_classes_of(generator)
    if classes is None:
        if digit is not None:
            raise UsageError("digit needs a conditional generator (a run trained with "
                             "--conditional); this one is unconditional")
        return None
    if digit is not None:
        if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or not (
                0 <= digit < classes):
            raise UsageError(f"digit must be an integer in [0, {classes - 1}], got {digit!r}")
        return np.full(int(n), int(digit), np.int32)
    return (np.arange(int(n)) * classes // int(n)).astype(np.int32)


def sample_images(generator, n: int, seed: int = 0, batch_size: int = 1000,
                  labels=None) -> np.ndarray:
    """``n`` images from ``generator`` for noise drawn with ``seed``: uint8 (n, 28, 28);
    ``labels`` (n,) the classes to draw when the generator is conditional (default: every
    class in turn, :func:`sample_labels`)."""
    from refs.gan.gan import generate_images

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if labels is None:
        labels = sample_labels(generator, n)
    latent_dim = int(generator.inputs[0].shape[-1])
    noise = np.random.default_rng(seed).standard_normal((int(n), latent_dim)).astype("float32")
    return to_uint8_images(generate_images(generator, noise, batch_size, labels=labels))


def grids_to_gif(pngs: Sequence[str | os.PathLike], out: str | os.PathLike,
                 ms_per_frame: int = 400) -> Path:
    """An animated GIF of the PNG frames ``pngs`` (e.g. the per-epoch sample grids)."""
    from PIL import Image

    if not pngs:
        raise ValueError("pngs must name at least one PNG frame")
    frames = [Image.open(p).convert("L") for p in pngs]
    out = Path(out)
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return out


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m refs.gan.sample",
                            description="Write samples of a trained refs.gan generator.")
    parser.add_argument("run_dir", help="a refs.gan run directory (holding generator.keras)")
    parser.add_argument("--n", type=positive_int, default=64, help="number of images")
    parser.add_argument("--out", required=True, help="output .npz (key 'images', uint8 N,28,28)")
    parser.add_argument("--grid", default=None, help="also draw the images as a grid PNG")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="noise seed")
    parser.add_argument("--digit", type=int, choices=range(10), default=None, metavar="D",
                        help="the digit to draw (0-9; conditional generators only); default: "
                             "every digit in turn, one grid row per digit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not str(args.out).endswith(".npz"):
        raise UsageError(f"--out must end in .npz, got {args.out!r}")
    out = output_path(args.out, "--out")
    grid = output_path(args.grid, "--grid") if args.grid else None
    import_tensorflow_quietly()
    generator = load_generator(args.run_dir)
    try:
        labels = sample_labels(generator, args.n, args.digit)
    except UsageError as exc:
        raise UsageError(f"--{exc}") from None
    images = sample_images(generator, args.n, args.seed, labels=labels)
    arrays = {"images": images} if labels is None else {"images": images, "labels": labels}
    try:
        np.savez_compressed(out, **arrays)
    except OSError as exc:
        raise DataError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    print(f"wrote {out}: images {images.shape} {images.dtype}")
    if grid is not None:
        from refs.tracking.images import image_grid, write_png

        rows_by_digit = labels is not None and args.digit is None
        write_png(grid, image_grid(images, ncols=-(-args.n // 10)) if rows_by_digit
                  else image_grid(images))
        print(f"wrote {grid}")
    return 0


if __name__ == "__main__":
    run_cli(main)
