"""Old path of :mod:`refs.losses.validation`: this name IS that module (one set of switches).

``refs.classic.losses.validation`` is kept for code written before the losses moved to
:mod:`refs.losses`. Importing it replaces this module, in ``sys.modules``, by
``refs.losses.validation`` itself, so ``set_input_checks(False)`` through either path switches
the same global flag.
"""

import sys

from refs.losses import validation as _validation

sys.modules[__name__] = _validation
