"""The LLM judge as a neural metric: prompts in, error spans and a score out.

Per segment (and reference stream, when reference-based) one prompt
(:mod:`~mtqe.metrics.llm_judge.prompts`), one greedy answer from the configured causal LM
(:mod:`~mtqe.metrics.llm_judge.backend`), read by :mod:`~mtqe.metrics.llm_judge.parse`:

* ``esa``: the segment score is the 0-100 number the model gives after marking its spans;
* ``mqm``: the segment score is ``-(25 critical + 5 major + 1 minor)`` over the errors it
  marked (located in the hypothesis or not); 0 means no error; higher is better for both.

An answer that cannot be read is never scored: it is a ``Prediction(valid=False)``, left out of
the mean (:class:`~mtqe.metrics.base.MeanOfValid`), counted in ``details["unscored"]`` and by
reason in ``details["unreadable"]``, and named in the leaderboard notes. A prompt that does not
fit in the model's context is not cut: it is unreadable with reason ``prompt_too_long``.

The :class:`~mtqe.metrics.neural.NeuralMetric` base memoises and caches every judgement (greedy
decoding is deterministic); the cache identity holds the protocol, the prompt version and the
templates' hash, the decoding settings and the model file's hash. What is cached per input is
the score, validity, the located spans and ``Prediction.extra``, which carries the rest, so that
a run served from the cache reports the same details as the run that judged:

* ``unlocated``: the errors whose quote is not in the hypothesis (severity, category, quote);
  counted in the score, not highlighted;
* ``reason``: why an answer is unreadable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mtqe.errors import MtqeError
from mtqe.metrics.base import MeanOfValid, MetricInput
from mtqe.metrics.checkpoints import LoadFailure, checkpoint_sha256, hub_snapshot, is_local
from mtqe.metrics.configs import LlmJudgeConfig
from mtqe.metrics.llm_judge.parse import locate, mqm_score, parse_answer
from mtqe.metrics.llm_judge.prompts import PROMPT_VERSION, JudgePrompt, templates_sha256
from mtqe.metrics.neural import NeuralMetric
from mtqe.metrics.neural_batching import Key
from mtqe.metrics.neural_types import CheckpointFacts, InputPlan, LoadedModel, ModelTraits, Prediction, Unscorable
from mtqe.metrics.score_cache import ScoreCache
from mtqe.systems.gguf_files import EMBEDDED_MODEL

EMBEDDED_CAVEAT = (
    "judged by the embedded Gemma 3 270M base model: far too small to judge translations; its "
    "answers are mostly unreadable and its judgements poor (a smoke test of the pipeline, not a metric)"
)
_SCALES = {
    "esa": "ESA: the judge's own 0-100 score after marking error spans (higher is better)",
    "mqm": "MQM: -(25 critical + 5 major + 1 minor) per segment, 0 = no error (higher is better)",
}
_SHORT_SCALES = {"esa": "0-100", "mqm": "-(25 crit + 5 major + 1 minor)"}
_EXAMPLES = 5  # unlocated quotes shown in the details


class LlmJudgeMetric(MeanOfValid, NeuralMetric):
    """GEMBA-ESA / GEMBA-MQM-style judge run by a causal LM; see the module docstring.

    ``LlmJudgeMetric(cfg=LlmJudgeConfig(...), cache=ScoreCache(path) or None)``; a GGUF model's
    converted copy is the one the ``gguf`` systems use (mtqe's cache directory).
    """

    family = "llm-judge"
    package = "transformers"
    cuts_long_inputs = False  # a prompt that does not fit is unreadable (prompt_too_long), never cut

    def __init__(self, *, cfg: LlmJudgeConfig, cache: ScoreCache | None = None) -> None:
        super().__init__(cfg=cfg, cache=cache)
        self.cfg: LlmJudgeConfig = cfg
        embedded = cfg.backend == "gguf" and cfg.model == EMBEDDED_MODEL
        inputs = "QE (src, mt)" if cfg.reference_free else "(src, mt, ref)"
        self.info = self.neural_info(
            needs_reference=not cfg.reference_free,
            description=(
                f"LLM judge, {'GEMBA-ESA' if cfg.protocol == 'esa' else 'GEMBA-MQM'} style "
                f"({_SHORT_SCALES[cfg.protocol]}), {inputs}, {cfg.backend}, mtqe prompt v{PROMPT_VERSION}"
                + ("; CAVEAT: embedded Gemma 3 270M, poor judgements (smoke test only)" if embedded else "")
            ),
        )

    # ----------------------------------------------------------------- the model

    def resolve_checkpoint(self, offline: bool) -> Path:
        model = str(self.cfg.model).strip()
        if self.cfg.backend == "gguf":
            from mtqe.systems import gguf_files

            try:
                gguf_files.check_model(model)
            except MtqeError as exc:
                raise LoadFailure(str(exc)) from None
            if model == EMBEDDED_MODEL:
                return Path(gguf_files.embedded_package().__file__).parent
            return gguf_files.check_gguf_path(model)
        if is_local(model):
            path = Path(model).expanduser()
            if not path.is_dir():
                raise LoadFailure(f"{self.config_key('model')}={model!r} is not a model directory")
            return path.resolve()
        return hub_snapshot(model, offline, family="LLM judge", model_key=self.config_key("model"),
                            local_hint="/path/to/model-directory")

    def checkpoint_hash(self, checkpoint: Path) -> str:
        """The GGUF file's sha256 (the embedded package's published one), or a digest of a
        Hugging Face model directory's files."""
        if self.cfg.backend == "gguf":
            if self.cfg.model == EMBEDDED_MODEL:
                from mtqe.systems.gguf_files import model_sha256

                return model_sha256(EMBEDDED_MODEL)
            return checkpoint_sha256(checkpoint, self.cache)
        from mtqe.systems.hf_loading import directory_digest

        return directory_digest(checkpoint)

    def load_model(self, checkpoint: Path, offline: bool) -> Any:
        from mtqe.metrics.llm_judge.backend import load_judge_lm

        model = str(self.cfg.model) if self.cfg.backend == "gguf" else str(checkpoint)
        return load_judge_lm(
            backend=self.cfg.backend, model=model, precision=self.precision, gpus=int(self.cfg.gpus),
            max_new_tokens=int(self.cfg.max_new_tokens), name=self.cfg.name,
            cache_dir=None,  # converted GGUF models: the mtqe cache dir, shared with the gguf systems
        )

    def read_model(self, model: Any) -> tuple[ModelTraits, Mapping[str, Any]]:
        traits = ModelTraits(
            model_class=f"{self.cfg.backend}:{type(model.state.model).__name__}",
            accepts_reference=True,
            requires_reference=False,
        )
        return traits, {}

    def max_input_tokens(self, model: Any) -> int:
        return int(model.context_length or 0)  # 0: the model states no limit

    # ----------------------------------------------------------------- inputs

    def plan_inputs(self, data: MetricInput, facts: CheckpointFacts) -> InputPlan | Unscorable:
        try:
            self._prompt(data.src_lang, data.tgt_lang, with_reference=False)
        except MtqeError as exc:
            return Unscorable(f"{self.cfg.name}: {exc}")
        pair = (data.src_lang, data.tgt_lang)
        triples = list(zip(data.sources, data.hypotheses))
        if self.cfg.reference_free:
            return InputPlan(rows=[[(*pair, s, h, None) for s, h in triples]], mode="qe", n_refs=0)
        if not data.references:
            return Unscorable(f"{self.config_key('reference_free')}=false but there is no reference", refs=0)
        rows = [[(*pair, s, h, r) for (s, h), r in zip(triples, stream)] for stream in data.references]
        return InputPlan(rows=rows, mode="ref", n_refs=len(data.references))

    def _prompt(self, src_lang: str, tgt_lang: str, *, with_reference: bool) -> JudgePrompt:
        from mtqe.systems.prompting import language_name

        return JudgePrompt(self.cfg.protocol, language_name(src_lang), language_name(tgt_lang), with_reference)

    def _render(self, key: Key) -> str:
        src_lang, tgt_lang, source, hypothesis, reference = key
        prompt = self._prompt(src_lang, tgt_lang, with_reference=reference is not None)
        return prompt.render(source, hypothesis, reference)

    def token_lengths(self, loaded: LoadedModel, texts: list[str]) -> dict[str, int]:
        tokenizer = loaded.model.tokenizer
        return {t: len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts}

    def is_truncated(self, loaded: LoadedModel, key: Key, lengths: Mapping[str, int]) -> bool:
        return False  # a prompt is never cut: one that does not fit is unreadable (prompt_too_long)

    def encode_inputs(self, loaded: LoadedModel, batch: list[Key]) -> Any:
        return [(key, loaded.model.encode(self._render(key))) for key in batch]

    def predict_batch(self, loaded: LoadedModel, encoded: Any) -> list[Prediction]:
        lm = loaded.model
        limit = lm.context_length
        fits = [i for i, (_, ids) in enumerate(encoded) if not limit or len(ids) < limit]
        answers: dict[int, tuple[str, bool]] = {}
        if fits:
            answers = dict(zip(fits, lm.generate([encoded[i][1] for i in fits], int(self.cfg.max_new_tokens))))
        out = []
        for i, (key, _) in enumerate(encoded):
            if i not in answers:
                out.append(_unreadable("prompt_too_long"))
                continue
            text, finished = answers[i]
            out.append(self.judge(text, key[3], finished=finished))
        return out

    def judge(self, answer: str, hypothesis: str, *, finished: bool = True) -> Prediction:
        """The prediction an answer gives for ``hypothesis`` (public for tests and tools)."""
        judgement = parse_answer(answer, protocol=self.cfg.protocol, finished=finished)
        if not judgement.valid:
            return _unreadable(str(judgement.problem))
        located, unlocated = locate(judgement.errors, hypothesis)
        score = judgement.score if self.cfg.protocol == "esa" else mqm_score(judgement.errors)
        extra = {"unlocated": [{"quote": e.quote, "severity": e.severity, "category": e.category}
                               for e in unlocated]} if unlocated else None
        return Prediction(float(score), tuple(located), True, extra)

    # ----------------------------------------------------------------- results

    def cache_identity(self, facts: CheckpointFacts, mode: str) -> dict[str, Any]:
        from mtqe.metrics.llm_judge.backend import LOOP_RULE

        return {
            **super().cache_identity(facts, mode),
            "backend": self.cfg.backend,
            "protocol": self.cfg.protocol,
            "prompt_version": PROMPT_VERSION,
            "prompt_sha256": templates_sha256(),
            "decoding": {"strategy": "greedy", "max_new_tokens": int(self.cfg.max_new_tokens),
                         "loop_stop": LOOP_RULE.describe(),
                         "stop": "eos+end_of_turn" + ("+blank_line" if self.cfg.backend == "gguf" else "")},
            "device": "cuda" if int(self.cfg.gpus) else "cpu",
        }

    def signature_fields(self) -> list[str]:
        return [f"protocol:{self.cfg.protocol}", f"prompt:v{PROMPT_VERSION}", f"backend:{self.cfg.backend}"]

    def result_details(self, plan: InputPlan, per_stream: np.ndarray, data: MetricInput) -> dict[str, Any]:
        memo = [self._memo[k] for row in plan.rows for k in row]
        unreadable = Counter(str((m.extra or {}).get("reason", "unknown")) for m in memo if not m.valid)
        severities: Counter[str] = Counter()
        unlocated: list[str] = []
        for m in memo:
            if not m.valid:
                continue
            for span in m.spans or ():
                severities[span.severity] += 1
            for error in (m.extra or {}).get("unlocated", ()):
                severities[str(error["severity"])] += 1
                unlocated.append(str(error["quote"]))
        details: dict[str, Any] = {
            "protocol": self.cfg.protocol,
            "backend": self.cfg.backend,
            "prompt_version": PROMPT_VERSION,
            "reference_free": plan.mode == "qe",
            "scale": _SCALES[self.cfg.protocol],
            "answers": len(memo),
            "unreadable": dict(sorted(unreadable.items())),
            "errors": {s: severities[s] for s in ("minor", "major", "critical")},
            "unlocated_spans": len(unlocated),
            "unlocated_examples": unlocated[:_EXAMPLES],
        }
        notes = []
        if unreadable:
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(unreadable.items()))
            notes.append(f"{sum(unreadable.values())} of {len(memo)} judge answers unreadable, not scored ({reasons})")
        if unlocated:
            notes.append(
                f"{len(unlocated)} marked errors quote words not found in the translation (counted, not highlighted)"
            )
        if self.cfg.backend == "gguf" and self.cfg.model == EMBEDDED_MODEL:
            details["caveat"] = EMBEDDED_CAVEAT
            notes.append(EMBEDDED_CAVEAT)
        details["notes"] = notes
        return details


def _unreadable(reason: str) -> Prediction:
    return Prediction(float("nan"), None, False, {"reason": reason})
