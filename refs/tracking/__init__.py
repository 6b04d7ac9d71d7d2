"""The one logging layer every area writes through.

A run is one directory, by default ``runs/<area>/<UTC timestamp>-<name>``, holding

- ``config.json``: every hyperparameter, the seed, package versions and the git commit;
- ``metrics.jsonl``: one JSON object per logged step or epoch;
- TensorBoard event files: scalars, image grids, the config as a text table, histograms,
  PR curves and the HParams plugin's session (hyperparameters plus final metrics);
- ``checkpoints/`` and ``figures/`` (PNG).

Example:
    >>> from refs.tracking import Run
    >>> with Run("classic", name="huber", config={"delta": 0.5, "seed": 1}) as run:
    ...     run.log_scalars({"loss": 0.25}, step=0)
    ...     run.log_hparams({"delta": 0.5}, {"test/mae": 0.1})
"""

from refs.tracking.callback import TrackingCallback
from refs.tracking.curves import plot_learning_curves
from refs.tracking.images import image_grid
from refs.tracking.run import Run, read_config, read_metrics, read_run

__all__ = [
    "Run",
    "TrackingCallback",
    "image_grid",
    "plot_learning_curves",
    "read_config",
    "read_metrics",
    "read_run",
]
