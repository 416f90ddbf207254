"""sacrebleu's corpus formulas applied to many summed statistics at once.

Each function takes a configured sacrebleu metric object and ``sums`` of shape ``(m, k)``
(one row of column sums of the sufficient statistics per resample) and returns ``(m,)``
scores: the same arithmetic, in the same order, as the metric's ``_compute_score_from_stats``
on each row. The statistics module calls these for bootstrap resamples and randomization
trials, where calling sacrebleu once per row would dominate the run time.

chrF and TER use only ``+ - * /`` and are bit-identical to sacrebleu. BLEU uses ``log`` and
``exp``: numpy's vectorised versions may differ from ``math``'s in the last bit, so a score
can differ by a few ulps (far below 1e-9). ``mtqe.metrics.stats`` re-scores with the exact
``aggregate`` every resample that lies that close to a decision (a p-value threshold or a
confidence bound), so reported numbers do not depend on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_LOG_OF_ZERO = -9999999999.0  # sacrebleu.utils.my_log's floor for log(0)


def _as_sums(sums: np.ndarray, k: int, name: str) -> np.ndarray:
    arr = np.asarray(sums, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise ValueError(f"{name}: expected summed statistics of shape (m, {k}), got {arr.shape}")
    return arr


def bleu_from_sums(bleu: Any, sums: np.ndarray) -> np.ndarray:
    """``sacrebleu.metrics.BLEU.compute_bleu`` row by row, vectorised.

    Columns: ``sys_len, ref_len, correct_1..N, total_1..N`` (N = ``bleu.max_ngram_order``).
    Follows the smoothing (``exp``, ``floor``, ``add-k``, ``none``) and ``effective_order``
    of ``bleu``.
    """
    order = bleu.max_ngram_order
    arr = _as_sums(sums, 2 + 2 * order, "bleu_from_sums")
    method = bleu.smooth_method
    value = bleu.smooth_value if bleu.smooth_value is not None else bleu.SMOOTH_DEFAULTS[method]
    # int() truncation as sacrebleu does on the two lengths.
    sys_len, ref_len = np.trunc(arr[:, 0]), np.trunc(arr[:, 1])
    correct, total = arr[:, 2 : 2 + order].copy(), arr[:, 2 + order :].copy()
    no_match = ~np.any(correct != 0, axis=1)  # sacrebleu's early exit, before add-k
    with np.errstate(divide="ignore", invalid="ignore"):
        short = sys_len < ref_len
        bp = np.where(short & (sys_len > 0), np.exp(1 - ref_len / np.where(sys_len > 0, sys_len, 1)), 1.0)
        bp = np.where(short & (sys_len <= 0), 0.0, bp)

        m = arr.shape[0]
        active = np.ones(m, dtype=bool)  # still inside the loop (no break yet)
        eff_order = np.full(m, order, dtype=np.int64)
        smooth_mteval = np.ones(m)
        precisions = np.zeros((m, order))
        for n in range(order):
            if method == "add-k" and n > 0:
                correct[:, n] += value
                total[:, n] += value
            active &= total[:, n] != 0
            if bleu.effective_order:
                eff_order = np.where(active, n + 1, eff_order)
            zero = active & (correct[:, n] == 0)
            if method == "exp":
                smooth_mteval = np.where(zero, smooth_mteval * 2, smooth_mteval)
                precisions[:, n] = np.where(zero, 100.0 / (smooth_mteval * total[:, n]), precisions[:, n])
            elif method == "floor":
                precisions[:, n] = np.where(zero, 100.0 * value / total[:, n], precisions[:, n])
            hit = active & ~zero
            precisions[:, n] = np.where(hit, 100.0 * correct[:, n] / total[:, n], precisions[:, n])

        log_sum = np.zeros(m)  # summed in sacrebleu's order, order 1 first
        for n in range(order):
            p_n = precisions[:, n]
            logs = np.where(p_n == 0.0, _LOG_OF_ZERO, np.log(np.where(p_n > 0, p_n, 1.0)))
            log_sum = log_sum + np.where(n < eff_order, logs, 0.0)
        scores = bp * np.exp(log_sum / eff_order)
    return np.where(no_match, 0.0, scores)


def chrf_from_sums(chrf: Any, sums: np.ndarray) -> np.ndarray:
    """``sacrebleu.metrics.CHRF._compute_f_score`` row by row, vectorised (bit-identical).

    Columns: ``[hyp, ref, match]`` per order, character orders first, then word orders.
    """
    arr = _as_sums(sums, 3 * chrf.order, "chrf_from_sums")
    eps = 1e-16
    factor = chrf.beta**2
    m = arr.shape[0]
    score = np.zeros(m)
    avg_prec, avg_rec = np.zeros(m), np.zeros(m)
    effective = np.zeros(m, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(chrf.order):
            n_hyp, n_ref, n_match = arr[:, 3 * i], arr[:, 3 * i + 1], arr[:, 3 * i + 2]
            prec = np.where(n_hyp > 0, n_match / n_hyp, eps)
            rec = np.where(n_ref > 0, n_match / n_ref, eps)
            denom = factor * prec + rec
            score = score + np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
            both = (n_hyp > 0) & (n_ref > 0)
            avg_prec = avg_prec + np.where(both, prec, 0.0)
            avg_rec = avg_rec + np.where(both, rec, 0.0)
            effective += both
        if chrf.eps_smoothing:
            return 100 * score / chrf.order
        divisor = np.where(effective > 0, effective, 1)
        avg_prec = np.where(effective > 0, avg_prec / divisor, 0.0)
        avg_rec = np.where(effective > 0, avg_rec / divisor, 0.0)
        f_score = (1 + factor) * avg_prec * avg_rec
        f_score = f_score / ((factor * avg_prec) + avg_rec)
        return np.where((avg_prec + avg_rec) != 0, 100 * f_score, 0.0)


def ter_from_sums(sums: np.ndarray) -> np.ndarray:
    """``sacrebleu.metrics.TER._compute_score_from_stats`` row by row (bit-identical).

    Columns: ``total_edits, sum_ref_lengths``.
    """
    arr = _as_sums(sums, 2, "ter_from_sums")
    edits, ref_lengths = arr[:, 0], arr[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(ref_lengths > 0, edits / np.where(ref_lengths > 0, ref_lengths, 1.0),
                        np.where(edits > 0, 1.0, 0.0))
    return 100 * rate
