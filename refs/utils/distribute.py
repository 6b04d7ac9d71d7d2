"""Choose a ``tf.distribute`` strategy by name, and tell the chief worker from the others.

Names (the ``--strategy`` flag of every trainer):

- ``"default"``: no distribution (one device).
- ``"mirrored"``: ``MirroredStrategy``, synchronous data parallelism over this machine's GPUs (or
  its CPU when there is none).
- ``"multi-worker"``: ``MultiWorkerMirroredStrategy`` over the workers listed in the
  ``TF_CONFIG`` environment variable, e.g. for worker 0 of two on one machine::

      TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                  "task": {"type": "worker", "index": 0}}'

  Every worker runs the same command; only the chief (worker 0, or a task of type ``chief``)
  writes logs and checkpoints.

Create the strategy first thing in the program (``MultiWorkerMirroredStrategy`` must exist
before any other TensorFlow op runs).

Example:
    >>> strategy = get_strategy("default")
    >>> with strategy.scope():
    ...     model = build_model()
"""

from __future__ import annotations

import json
import os

from refs.errors import UsageError

STRATEGIES = ("default", "mirrored", "multi-worker")


def tf_config() -> dict:
    """The parsed ``TF_CONFIG`` (``{}`` when unset); a ``ValueError`` names bad JSON."""
    text = os.environ.get("TF_CONFIG", "").strip()
    if not text:
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"TF_CONFIG is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(f"TF_CONFIG must be a JSON object, got {type(config).__name__}")
    return config


def is_chief(config: dict | None = None) -> bool:
    """Whether this process is the chief: no ``TF_CONFIG`` task, a ``chief`` task, or worker 0
    of a cluster without a chief."""
    config = tf_config() if config is None else config
    task = config.get("task") or {}
    kind, index = task.get("type"), int(task.get("index", 0))
    if kind is None or kind == "chief":
        return True
    if kind == "worker":
        return "chief" not in (config.get("cluster") or {}) and index == 0
    return False


def worker_index(config: dict | None = None) -> int:
    """This process's task index in ``TF_CONFIG`` (0 when there is none)."""
    config = tf_config() if config is None else config
    return int((config.get("task") or {}).get("index", 0))


class StrategyError(UsageError, ValueError):
    """A strategy that cannot be set up from its name and ``TF_CONFIG``."""


def get_strategy(name: str = "default"):
    """The ``tf.distribute.Strategy`` for ``name`` (see the module docstring).

    Raises :class:`StrategyError` (a ``ValueError``, and a usage error for the CLIs) for an
    unknown name, for ``"multi-worker"`` without a ``TF_CONFIG`` that lists a cluster and this
    process's task, or for a ``TF_CONFIG`` that is not a JSON object.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        try:
            config = tf_config()
        except ValueError as exc:
            raise StrategyError(str(exc)) from None
        if not config.get("cluster") or not config.get("task"):
            raise StrategyError(
                "strategy 'multi-worker' needs TF_CONFIG with a 'cluster' and this process's "
                "'task', e.g. {\"cluster\": {\"worker\": [\"127.0.0.1:12345\", "
                "\"127.0.0.1:12346\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise StrategyError(f"strategy must be one of {STRATEGIES}, got {name!r}")
