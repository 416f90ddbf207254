"""MeanOfValid: the mean over valid segments only, the same from rows, samples and sums."""

from __future__ import annotations

import math

import numpy as np

from mtqe.metrics.base import MeanOfValid


def test_mean_over_valid_segments_only_in_every_aggregate() -> None:
    agg = MeanOfValid()
    stats = MeanOfValid.valid_stats([10.0, float("nan"), 30.0, 50.0], [True, False, True, False])
    assert stats.tolist() == [[10.0, 1.0], [0.0, 0.0], [30.0, 1.0], [0.0, 0.0]]
    assert agg.aggregate(stats) == 20.0
    samples = np.stack([stats, stats[[0, 0, 1, 3]], stats[[1, 3, 1, 3]]])
    many = agg.aggregate_many(samples)
    assert many[0] == 20.0 and many[1] == 10.0 and math.isnan(many[2])  # no valid segment: no score
    assert np.array_equal(agg.aggregate_sums(samples.sum(axis=1), 4), many, equal_nan=True)
    assert math.isnan(agg.aggregate(stats[[1, 3]]))
