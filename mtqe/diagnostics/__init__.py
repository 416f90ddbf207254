"""Diagnostics: what is wrong with a translation, segment by segment, without a reference.

Each check is a small module with one job (``numbers``, ``entities``, ``language``,
``repetition``, ``length``, ``coverage``), registered once in :mod:`.registry` with its name,
description and default severity. :func:`.run.diagnose` runs the selected checks over a
system's segments and returns, per segment, a tuple of :class:`.model.Diagnostic`.
"""
