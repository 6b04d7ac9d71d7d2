"""refs: reference implementations of loss functions in Keras 3.

Subpackages
-----------
refs.losses     the base: every loss (regression, probabilistic, similarity, focal, margin,
                box and adversarial), each a function and a serializable Keras class
refs.classic    the experiments comparing the classic losses, and ``check`` (loss guardrails)
refs.gan        a DCGAN on MNIST trained with the GAN losses of refs.losses
refs.detection  focal loss inside a small RetinaNet-style detector
refs.tracking   the one logging layer (TensorBoard, config.json, metrics.jsonl, figures)
refs.data       dataset access (MNIST, offline-first)
refs.utils      seeding and other small shared helpers

``refs.classic``, ``refs.gan`` and ``refs.detection`` build on ``refs.losses`` (which imports
nothing else from refs). Importing ``refs`` imports nothing heavy; each subpackage is imported
on demand.
"""

__version__ = "0.1.0"
