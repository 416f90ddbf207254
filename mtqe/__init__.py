"""mtqe: machine-translation quality evaluation.

Stages (one sub-package each): ``corpus`` → ``systems`` → ``metrics`` → ``report``,
wired by :mod:`mtqe.pipeline` and driven by :mod:`mtqe.cli`.
"""

__version__ = "0.1.0"
