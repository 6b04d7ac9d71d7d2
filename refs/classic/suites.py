"""The names of the classic-loss experiment suites (light: the CLI builds ``--help`` from it)."""

SUITES = ("regression", "binary", "multiclass", "imbalanced", "mnist9")
