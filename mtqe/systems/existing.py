"""An existing human or community translation as a system: its output is read, not generated."""

from __future__ import annotations

from mtqe.corpus.model import ParallelDocument
from mtqe.errors import ConfigError
from mtqe.systems.base import Progress, System, SystemOutput
from mtqe.systems.configs import ExistingSystemConfig


class ExistingTranslationSystem(System):
    kind = "existing"

    def __init__(self, cfg: ExistingSystemConfig) -> None:
        self.name = cfg.name
        self.cfg = cfg

    def supports(self, src_lang: str, tgt_lang: str) -> bool:
        # Whether the text exists in the target language is known only per document.
        return True

    def produce(self, doc: ParallelDocument, *, progress: Progress | None = None) -> SystemOutput:
        if self.cfg.text not in doc.targets:
            have = ", ".join(sorted(doc.targets)) or "none"
            raise ConfigError(
                f"system {self.name!r} reads text {self.cfg.text!r}, but document {doc.document!r} "
                f"has no such {doc.tgt_lang} text (it has: {have}). Fix `text:` in conf/system/{self.name}.yaml."
            )
        hyps = tuple(doc.target_segments(self.cfg.text))
        if progress is not None:
            progress.start(len(hyps))
            progress.advance(len(hyps))
        flags = tuple(s.flags.get(self.cfg.text, frozenset()) for s in doc.segments)
        return SystemOutput(
            system=self.name, hypotheses=hyps, kind=self.kind, text_id=self.cfg.text,
            segment_flags=flags if any(flags) else (),
        )
