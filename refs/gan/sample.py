"""Draw samples from a trained generator: ``python -m refs.gan.sample RUN_DIR --n N --out F.npz``.

Writes N images as uint8 (N, 28, 28) under the key ``images`` of an ``.npz`` file; ``--grid
FILE.png`` also draws them as a grid. The library functions are :func:`load_generator`,
:func:`sample_images` and :func:`grids_to_gif`.

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


def sample_images(generator, n: int, seed: int = 0, batch_size: int = 1000) -> np.ndarray:
    """``n`` images from ``generator`` for noise drawn with ``seed``: uint8 (n, 28, 28)."""
    from refs.gan.gan import generate_images

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    latent_dim = int(generator.inputs[0].shape[-1])
    noise = np.random.default_rng(seed).standard_normal((int(n), latent_dim)).astype("float32")
    return to_uint8_images(generate_images(generator, noise, batch_size))


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not str(args.out).endswith(".npz"):
        raise UsageError(f"--out must end in .npz, got {args.out!r}")
    out = output_path(args.out, "--out")
    grid = output_path(args.grid, "--grid") if args.grid else None
    import_tensorflow_quietly()
    images = sample_images(load_generator(args.run_dir), args.n, args.seed)
    try:
        np.savez_compressed(out, images=images)
    except OSError as exc:
        raise DataError(f"cannot write --out {out}: {exc.strerror or exc}") from None
    print(f"wrote {out}: images {images.shape} {images.dtype}")
    if grid is not None:
        from refs.tracking.images import image_grid, write_png

        write_png(grid, image_grid(images))
        print(f"wrote {grid}")
    return 0


if __name__ == "__main__":
    run_cli(main)
