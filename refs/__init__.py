"""refs: reference implementations of loss functions in Keras 3.

Subpackages
-----------
refs.classic    the classic regression and classification losses, and the experiments comparing them
refs.gan        minimax GAN losses and a DCGAN on MNIST
refs.detection  focal loss inside a small RetinaNet-style detector
refs.tracking   the one logging layer (TensorBoard, config.json, metrics.jsonl, figures)
refs.data       dataset access (MNIST, offline-first)
refs.utils      seeding and other small shared helpers

Importing ``refs`` imports nothing heavy; each subpackage is imported on demand.
"""

__version__ = "0.1.0"
