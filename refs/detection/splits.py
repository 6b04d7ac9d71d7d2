"""The canvases a run trains, validates and tests on: :func:`load_split`.

Synthetic MNIST canvases by default (:func:`refs.detection.data.synthetic_canvases`; the splits
never share digits): "train" and "val" drawn from the run's distribution (``"wide"`` by default),
"test" always the canonical test canvases (the robustness suite's "in-distribution" condition,
so every run's test mAP is comparable); with ``config.coco`` a user's COCO-format dataset,
whose last 10 % of images (at least one) are both "val" and "test".
"""

from __future__ import annotations

from refs.detection.config import DIGIT_NAMES, TrainConfig

SPLITS = ("train", "val", "test")


def load_split(config: TrainConfig, split: str, num: int | None = None):
    """``(canvases, class_names, category_ids)`` of ``split`` ("train", "val" or "test");
    ``num`` overrides the config's number of synthetic canvases."""
    from refs.detection.data import synthetic_canvases

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if config.coco:
        from refs.detection.coco import load_coco_dataset
        from refs.detection.data import Canvases

        canvases, categories = load_coco_dataset(config.coco, config.coco_images,
                                                 config.image_size, config.channels)
        n_val = max(1, len(canvases) // 10) if len(canvases) > 1 else 0
        cut = len(canvases) - n_val
        part = slice(0, cut) if split == "train" else slice(cut, None)
        if split != "train" and n_val == 0:
            part = slice(0, None)
        sub = Canvases(canvases.images[part], canvases.boxes[part], canvases.labels[part])
        return sub, [c["name"] for c in categories], [c["id"] for c in categories]
    sizes = {"train": config.train_images, "val": config.val_images, "test": config.test_images}
    if split == "test":  # the canonical test canvases, whatever the run trained on
        from refs.detection.robustness import CANONICAL

        settings = {**CANONICAL, "size": config.image_size}
    else:
        settings = {"size": config.image_size, "max_digits": config.max_digits,
                    "min_scale": config.min_scale, "max_scale": config.max_scale,
                    "empty_fraction": config.empty_fraction,
                    "distribution": config.distribution,
                    "canonical_fraction": config.canonical_fraction,
                    "clutter_fraction": config.clutter_fraction,
                    "wide_background": config.background}
    canvases = synthetic_canvases(sizes[split] if num is None else num, split, seed=config.seed,
                                  mnist_path=config.data, **settings)
    return canvases, list(DIGIT_NAMES), None
