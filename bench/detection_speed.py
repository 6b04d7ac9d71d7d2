"""Inference speed of the detector: images per second on 128x128 canvases, network alone and
end to end (network + box decoding + per-class NMS), batch 32, on this machine's CPU.

    python bench/detection_speed.py [--run-dir RUN] [--images 512] [--repeats 3]

With ``--run-dir`` the trained network of that run is used (NMS then sees realistic numbers of
candidates); without it the default untrained network. Writes ``docs/data/detection_speed.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from detection_common import machine, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default=None)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numpy as np

    from refs.detection.config import TrainConfig
    from refs.detection.detector import anchor_generator_from, detect, load_trained, network_from
    from refs.detection.splits import load_split as load_data

    if args.run_dir:
        network, gen, hparams = load_trained(args.run_dir)
    else:
        hparams = TrainConfig().hparams()
        network, gen = network_from(hparams), anchor_generator_from(hparams)
    canvases, _, _ = load_data(TrainConfig(), "test", args.images)
    images = canvases.images[..., None].astype("float32") / 255.0
    network.predict(images[:64], batch_size=32, verbose=0)  # warm up / trace
    detect(network, gen, images[:64])
    net_s, e2e_s = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        network.predict(images, batch_size=32, verbose=0)
        net_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        dets = detect(network, gen, images, batch_size=32)
        e2e_s.append(time.perf_counter() - t)
    doc = {
        "run_dir": args.run_dir, "images": len(images), "batch_size": 32,
        "network_images_per_s": len(images) / statistics.median(net_s),
        "end_to_end_images_per_s": len(images) / statistics.median(e2e_s),
        "mean_detections_per_image": float(np.mean([len(d["scores"]) for d in dets])),
        "params": int(network.count_params()), "machine": machine(),
    }
    write_json("detection_speed.json", doc)
    print(f"network {doc['network_images_per_s']:.0f} img/s, end to end "
          f"{doc['end_to_end_images_per_s']:.0f} img/s ({doc['params']} parameters)")


if __name__ == "__main__":
    main()
