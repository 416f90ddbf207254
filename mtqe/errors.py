"""User-facing errors.

Every error mtqe raises on bad input or an unavailable resource is an :class:`MtqeError`
whose message says what is wrong *and what to do*. The CLI prints it as one line and exits
non-zero; library code never exits.
"""


class MtqeError(Exception):
    """Base class: an error a user can act on."""


class ConfigError(MtqeError):
    """A configuration value is missing, of the wrong type, or inconsistent."""


class UnknownLanguageError(ConfigError):
    """A language code that the component does not support."""


class CorpusError(MtqeError):
    """A document, text file or manifest entry cannot be loaded or trusted."""


class ManifestError(CorpusError):
    """``references/manifest.yaml`` does not follow its schema."""


class AlignmentError(CorpusError):
    """Segments of two texts cannot be aligned with confidence."""


class ModelUnavailableError(MtqeError):
    """A model cannot be loaded (offline and not cached, bad local path, missing backend)."""


class MetricUnavailableError(MtqeError):
    """A metric cannot run here (missing checkpoint, missing tokenizer dependency)."""


class CacheError(MtqeError):
    """A cache file cannot be opened, read or written (corrupt, read-only, disk full)."""


class RunDirError(MtqeError):
    """The run directory is in use by another run, or holds results that would be overwritten."""


class DiskFullError(MtqeError):
    """A write failed because the file system is full."""


class CacheNotWritableError(CacheError):
    """The cache folder or file cannot be written (read-only file system or permissions)."""
