"""The causal LM a judge runs, loaded and driven by the systems stage's code.

Loading is the translators' own (:class:`~mtqe.systems.gguf_causal.GGUFCausalTranslator`,
:class:`~mtqe.systems.hf_causal.HFCausalTranslator`: GGUF conversion and its cache, the
offline rules, chat-template checks, stop ids), and generation is
:func:`mtqe.systems.causal_generation.generate_rows` / :func:`~mtqe.systems.causal_generation.end_row`
(left padding, budget clipped to the context, the repetition-loop stop). Only the prompts and
the stops differ: a judge's answer has several lines, so it ends at the end-of-sequence /
end-of-turn token, and for a base model (``gguf``) also at a blank line (its prompt separates
the worked example from the query with one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtqe.errors import MtqeError
from mtqe.metrics.checkpoints import LoadFailure
from mtqe.systems.causal_generation import GenerationStats, LoopRule, end_row, generate_rows

DTYPES = {"32": "float32", "bf16": "bfloat16", "16": "float16"}
LOOP_RULE = LoopRule()


@dataclass
class JudgeLM:
    """A loaded causal LM (a translator's loaded state) with the judge's stop ids.

    ``to``/``eval`` make it look like a torch module to :class:`~mtqe.metrics.neural.NeuralMetric`."""

    backend: str
    state: Any  # the translator's _Loaded: model, tokenizer, device, context_length, pad_id, ...
    stop_ids: frozenset[int]
    translator: Any
    stats: GenerationStats = field(default_factory=GenerationStats)

    @property
    def tokenizer(self) -> Any:
        return self.state.tokenizer

    @property
    def context_length(self) -> int | None:
        return self.state.context_length

    def to(self, device: Any) -> JudgeLM:
        self.state.model.to(device)
        return self

    def eval(self) -> JudgeLM:
        self.state.model.eval()
        return self

    def encode(self, prompt: str) -> list[int]:
        """Token ids of a prompt: a chat model's user turn through its chat template; a base
        model's text as is (with the tokenizer's BOS, as the gguf translator does)."""
        tokenizer = self.state.tokenizer
        if self.backend == "hf_causal":
            chat = [{"role": "user", "content": prompt}]
            text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])
        return list(tokenizer(prompt)["input_ids"])

    def generate(self, rows: list[list[int]], max_new_tokens: int) -> list[tuple[str, bool]]:
        """Greedy answers to a batch of encoded prompts: (text, ended at a stop token)."""
        from transformers import GenerationConfig

        state = self.state
        stops = sorted(self.stop_ids)

        def settings(budget: int) -> dict[str, Any]:
            config = GenerationConfig(
                max_new_tokens=budget, do_sample=False, num_beams=1, eos_token_id=stops or None,
                pad_token_id=state.pad_id,
            )
            return {"generation_config": config, "use_model_defaults": False}

        generated = generate_rows(
            state.model, rows, device=state.device, pad_id=state.pad_id, max_new_tokens=max_new_tokens,
            context_length=state.context_length, stats=self.stats, settings=settings, loop_rule=LOOP_RULE,
        )
        answers = []
        for row in generated:
            kept, reason = end_row(row, stop_ids=self.stop_ids, pad_id=state.pad_id, loop_rule=LOOP_RULE,
                                   stats=self.stats)
            answers.append((state.tokenizer.decode(kept, skip_special_tokens=True), reason == "stop_token"))
        return answers


def load_judge_lm(*, backend: str, model: str, precision: str, gpus: int, max_new_tokens: int,
                  name: str, cache_dir: Path | None) -> JudgeLM:
    """Load ``model`` with the ``backend`` translator's code; a failure is a :class:`LoadFailure`."""
    device = "cuda" if gpus else "cpu"
    dtype = DTYPES[precision]
    try:
        if backend == "gguf":
            from mtqe.systems.causal_generation import blank_line_token_ids
            from mtqe.systems.configs import GGUFConfig
            from mtqe.systems.gguf_causal import GGUFCausalTranslator, end_token_ids

            translator = GGUFCausalTranslator(
                cfg=GGUFConfig(type="gguf", name=name, model=model, device=device, dtype=dtype,
                               max_new_tokens=max_new_tokens),
                cache_dir=cache_dir,
            )
            state = translator.loaded_state()
            stops = end_token_ids(state.tokenizer) | frozenset(blank_line_token_ids(state.tokenizer))
        else:
            from mtqe.systems.configs import HFCausalConfig
            from mtqe.systems.hf_causal import HFCausalTranslator

            translator = HFCausalTranslator(
                cfg=HFCausalConfig(type="hf_causal", name=name, model=model, device=device, dtype=dtype,
                                   max_new_tokens=max_new_tokens)
            )
            state = translator.loaded_state()
            stops = frozenset(state.stop_ids)
    except MtqeError as exc:
        raise LoadFailure(f"LLM judge model {model!r} ({backend}) cannot be loaded: {exc}") from None
    return JudgeLM(backend=backend, state=state, stop_ids=stops, translator=translator)
