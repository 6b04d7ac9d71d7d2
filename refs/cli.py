"""Command-line conventions shared by every ``python -m refs.<area>.<command>``.

- ``--help`` documents every flag; common flags: ``--run-dir``, ``--epochs``, ``--batch-size``,
  ``--seed``, ``--data``, ``--name``, ``--deterministic``.
- Exit code 0 on success; 2 on bad arguments, with a one-line reason; 1 with a one-line message
  for a user-facing failure (missing data, NaN loss...); 130 on Ctrl-C. No traceback for user
  errors (set ``REFS_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from refs.errors import RefsError, UsageError


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` only where it informs: not for None, flags, or help that already
    states its default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or action.default is None or isinstance(action.default, bool)
                or action.default is argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose errors are one line and exit with code 2."""

    def error(self, message: str):  # noqa: D401 - argparse's API
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _typed(kind, check, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    parse.__name__ = what
    return parse


positive_int = _typed(int, lambda v: v > 0, "a positive integer")
non_negative_int = _typed(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _typed(float, lambda v: v > 0 and v == v and v != float("inf"),
                        "a positive finite number")
unit_float = _typed(float, lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]")
open_unit_float = _typed(float, lambda v: 0.0 < v < 1.0, "a number in (0, 1)")


def make_parser(
    prog: str,
    description: str,
    *,
    epochs: int | None,
    batch_size: int | None,
    seed: int = 0,
    data_help: str = "Keras-format mnist.npz (default: $REFS_MNIST, else Keras's download)",
) -> ArgumentParser:
    """A parser with the flags every trainer shares; add the area's own flags to it."""
    parser = ArgumentParser(
        prog=prog, description=description, formatter_class=HelpFormatter
    )
    common = parser.add_argument_group("common options")
    common.add_argument("--run-dir", default=None,
                        help="run directory (default: runs/<area>/<UTC timestamp>-<name>); "
                             "an existing run there is continued")
    common.add_argument("--name", default=None, help="label appended to the default run directory")
    common.add_argument("--epochs", type=positive_int, default=epochs, help="training epochs")
    if batch_size is not None:  # None: the command has no batch-size flag
        common.add_argument("--batch-size", type=positive_int, default=batch_size,
                            help="batch size")
    common.add_argument("--seed", type=non_negative_int, default=seed, help="random seed")
    common.add_argument("--deterministic", action="store_true",
                        help="turn on TensorFlow op determinism (same seed, same result; slower)")
    common.add_argument("--data", default=None, help=data_help)
    return parser


def build_config(config_cls, values: dict):
    """``config_cls(**values)`` for the fields it has; its ``ValueError``/``TypeError`` (a bad
    setting, named in the message) becomes a :class:`UsageError` (exit code 2)."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(config_cls)}
    try:
        return config_cls(**{k: v for k, v in values.items() if k in fields})
    except (ValueError, TypeError) as exc:
        message = str(exc)
        name = message.split(" ", 1)[0].split("[", 1)[0]
        flag = f"--{name.replace('_', '-')}: " if name in fields else ""
        raise UsageError(flag + message) from None


def explicit_dests(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> set[str]:
    """The destinations of the options given on the command line ``argv`` (not defaults)."""
    saved = [(action, action.default) for action in parser._actions]
    try:
        for action, _ in saved:
            action.default = argparse.SUPPRESS
        given = parser.parse_args(argv)
    finally:
        for action, default in saved:
            action.default = default
    return set(vars(given))


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (absl's pre-init notice, CUDA probing)
    kept off the terminal; they are shown when the import fails or ``REFS_DEBUG`` is set."""
    import tempfile

    if os.environ.get("REFS_DEBUG") or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def guarded(main: Callable[[Sequence[str] | None], int | None],
            argv: Sequence[str] | None = None) -> int:
    """Call ``main(argv)`` and turn user-facing failures into one-line messages and exit codes."""
    if not os.environ.get("REFS_DEBUG"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return int(main(argv) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RefsError as exc:
        if os.environ.get("REFS_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_cli(main: Callable[[Sequence[str] | None], int | None]) -> None:
    """Entry point for ``if __name__ == "__main__"``: exit with :func:`guarded`'s code."""
    sys.exit(guarded(main))
