"""Dataset access. Nothing here downloads anything unless no local copy was named."""

from refs.data.mnist import MNIST_ENV_VAR, load_mnist, resolve_mnist_path

__all__ = ["MNIST_ENV_VAR", "load_mnist", "resolve_mnist_path"]
