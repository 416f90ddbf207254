"""Monotone n:m alignment by dynamic programming, with a posterior confidence per link.

The aligners (sentences, blocks, excerpts) differ only in their link shapes and cost
function; this module does the search. Costs are negative log-probabilities (nats) of a link,
so the best alignment is the cheapest path (Viterbi) and the same costs define a distribution
over all monotone alignments. A link's confidence is its posterior probability under that
distribution (forward–backward): the share of probability mass of all alignments that
contain exactly this link. A link the data supports by a wide margin gets ~1; a link that
competes with a nearly as good alternative (a 2-1 vs 1-1 + 1-0) gets ~0.5 or less.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from mtqe.corpus.align.links import Link
from mtqe.errors import AlignmentError

# (source units, target units) of one link.
Shape = tuple[int, int]
CostFn = Callable[[int, int, int, int], float]  # (i, j, di, dj) -> cost of src[i:i+di] ↔ tgt[j:j+dj]

# Guard against a quadratic blow-up: align paragraphs first, then sentences inside them.
MAX_CELLS = 2_000_000


def align_dp(n: int, m: int, shapes: Sequence[Shape], cost: CostFn, *, temperature: float = 1.0, where: str = "alignment") -> list[Link]:
    """The cheapest monotone alignment of ``n`` source and ``m`` target units.

    ``shapes`` lists the allowed links; it must contain (1, 0) and (0, 1) so that every
    alignment problem has a solution. ``temperature`` scales costs for the posteriors only
    (>1 spreads probability, lowering confidences); the path itself does not depend on it.
    """
    if (1, 0) not in shapes or (0, 1) not in shapes:
        raise AlignmentError(f"{where}: link shapes must include 1-0 and 0-1, got {list(shapes)}")
    if (n + 1) * (m + 1) > MAX_CELLS:
        raise AlignmentError(
            f"{where}: {n} × {m} units is too large to align in one piece; align paragraphs "
            "first and then sentences inside each aligned paragraph"
        )
    if n == 0 and m == 0:
        return []
    costs: dict[tuple[int, int, int, int], float] = {}
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[Shape | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    forward = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    forward[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            candidates: list[float] = []
            for di, dj in shapes:
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0 or best[pi][pj] == math.inf:
                    continue
                c = cost(pi, pj, di, dj)
                costs[(pi, pj, di, dj)] = c
                total = best[pi][pj] + c
                if total < best[i][j]:
                    best[i][j] = total
                    back[i][j] = (di, dj)
                candidates.append(forward[pi][pj] - c / temperature)
            forward[i][j] = _logsumexp(candidates)
    backward = [[-math.inf] * (m + 1) for _ in range(n + 1)]
    backward[n][m] = 0.0
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            candidates = [
                backward[i + di][j + dj] - costs[(i, j, di, dj)] / temperature
                for di, dj in shapes
                if i + di <= n and j + dj <= m and (i, j, di, dj) in costs
            ]
            backward[i][j] = _logsumexp(candidates)
    total = forward[n][m]
    path: list[tuple[int, int, int, int]] = []
    i, j = n, m
    while i or j:
        step = back[i][j]
        if step is None:  # unreachable with 1-0 and 0-1 allowed; kept as a loud failure
            raise AlignmentError(f"{where}: no alignment path reaches ({i}, {j})")
        di, dj = step
        path.append((i - di, j - dj, di, dj))
        i, j = i - di, j - dj
    links = []
    for pi, pj, di, dj in reversed(path):
        log_post = forward[pi][pj] - costs[(pi, pj, di, dj)] / temperature + backward[pi + di][pj + dj] - total
        confidence = min(1.0, max(0.0, math.exp(min(log_post, 0.0))))
        links.append(Link(tuple(range(pi, pi + di)), tuple(range(pj, pj + dj)), confidence))
    return links


def _logsumexp(values: list[float]) -> float:
    if not values:
        return -math.inf
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))
