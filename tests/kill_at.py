"""Run a refs CLI module and SIGKILL it at an exact moment (a test helper, not a test).

    python tests/kill_at.py KIND:N MODULE [ARGS...]

KIND:N is ``step:N`` (right after optimizer step N), ``save:N`` (in the middle of writing the
N-th checkpoint: a partial temporary file is on disk), ``record:N`` (half-way through writing the
N-th metrics.jsonl line) or ``finish:1`` (as the run starts writing results.json).
"""

import os
import runpy
import signal
import sys


def _die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main():
    kind, n = sys.argv[1].split(":")
    n = int(n)
    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    calls = {"count": 0}

    def hit():
        calls["count"] += 1
        return calls["count"] == n

    if kind == "step":
        from refs.training import callbacks

        original = callbacks.StepCounter.on_train_batch_end

        def step_end(self, batch, logs=None):
            original(self, batch, logs)
            if self.step == n:
                _die()

        callbacks.StepCounter.on_train_batch_end = step_end
    elif kind == "save":
        import numpy as np

        original = np.savez

        def savez(file, *args, **kwargs):
            if hit():
                file.write(b"PK\x03\x04 partial")
                file.flush()
                _die()
            return original(file, *args, **kwargs)

        np.savez = savez
    elif kind == "record":
        from refs.tracking import run

        original = run.Run._append

        def append(self, record):
            if hit():
                if self._metrics_file is None:
                    self._metrics_file = open(self.path / run.METRICS_FILE, "a", buffering=1)
                self._metrics_file.write('{"kind": "ste')
                self._metrics_file.flush()
                _die()
            return original(self, record)

        run.Run._append = append
    elif kind == "finish":
        from refs.training import session

        def finish(_session, *_args, **_kwargs):
            _die()

        session.TrainingSession.finish = finish
    else:
        raise SystemExit(f"unknown kill point {kind!r}")
    runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    main()
