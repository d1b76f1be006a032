"""Emerging hot spots: Mann-Kendall, pattern rules on constructed sequences, and end to end."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crimecast.errors import ConfigError
from crimecast.spatial import emerging

CENTRE = h3.latlng_to_cell(34.05, -118.30, 8)


def test_mann_kendall_matches_brute_force_and_scipy():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, (30, 12)).astype(float)  # many ties
    mk = emerging.mann_kendall(x, continuity=False)
    for row, s, p in zip(x, mk["s"], mk["p"], strict=True):
        brute = sum(np.sign(row[j] - row[i]) for i in range(12) for j in range(i + 1, 12))
        assert s == brute
        if np.ptp(row) > 0:
            ref = stats.kendalltau(np.arange(12), row, method="asymptotic").pvalue
            assert p == pytest.approx(ref, rel=1e-9)
    rising = emerging.mann_kendall(np.arange(10.0)[None, :])
    assert rising["tau"][0] == 1.0 and rising["p"][0] < 0.001 and rising["z"][0] > 0
    flat = emerging.mann_kendall(np.ones((1, 8)))
    assert flat["s"][0] == 0 and flat["p"][0] == 1.0


@pytest.mark.parametrize(
    "series, trend, expected",
    [
        ("0000000001", 0, "new hot spot"),
        ("0000000111", 0, "consecutive hot spot"),
        ("1111111111", 1, "intensifying hot spot"),
        ("1111111111", 0, "persistent hot spot"),
        ("1111111111", -1, "diminishing hot spot"),
        ("0101001001", 0, "sporadic hot spot"),
        ("0-01000101", 0, "oscillating hot spot"),
        ("1111111110", 0, "historical hot spot"),
        ("0100100000", 0, "no pattern"),
        ("0000000000", 0, "no pattern"),
        ("000000000-", 0, "new cold spot"),
        ("----------", -1, "intensifying cold spot"),
        ("0000000-0-", 0, "sporadic cold spot"),
        ("1011", 0, "sporadic hot spot"),  # with 4 slices "mostly" means every slice
        ("1111", 0, "persistent hot spot"),
        ("0011", 0, "consecutive hot spot"),
    ],
)
def test_pattern_rules(series, trend, expected):
    bins = np.array([[{"1": 2, "0": 0, "-": -2}[ch] for ch in series]])
    tz = np.array([float(trend) * 3])
    tp = np.array([0.001 if trend else 0.8])
    assert emerging.classify_patterns(bins, tz, tp) == [expected]


def _grid(radius=6):
    return sorted(h3.grid_disk(CENTRE, radius))


def test_new_and_intensifying_hotspots_from_counts():
    rng = np.random.default_rng(4)
    cells = _grid()
    t = 10
    y = rng.poisson(4, (len(cells), t)).astype(float)
    pos = {c: i for i, c in enumerate(cells)}
    # a cluster only in the last slice, far from the centre
    far = h3.grid_ring(CENTRE, 5)[0]
    for c in h3.grid_disk(far, 1):
        if c in pos:
            y[pos[c], -1] += 40
    # a cluster in every slice, growing
    for c in h3.grid_disk(CENTRE, 1):
        y[pos[c]] += np.linspace(15, 60, t)
    table = emerging.emerging_hotspots(y, cells, list(range(t)), permutations=99, seed=2)
    pat = table.set_index("h3")["pattern"]
    assert pat[far] == "new hot spot"
    assert pat[CENTRE] == "intensifying hot spot"
    assert table["total"].sum() == y.sum()
    assert (table["slices"] == t).all()


def test_slice_counts_keep_totals_and_drop_incomplete_periods():
    cells = ["a", "b"]
    pts = pd.DataFrame(
        {
            "h3": ["a", "a", "b", "b", "a"],
            "occurred_date": pd.to_datetime(
                ["2022-01-05", "2022-04-01", "2022-06-30", "2022-11-01", "2023-02-01"]
            ),
        }
    )
    y, periods = emerging.slice_counts(pts, cells, "quarter")
    assert [str(p) for p in periods] == ["2022Q1", "2022Q2", "2022Q3", "2022Q4", "2023Q1"]
    assert y.tolist() == [[1, 1, 0, 0, 1], [0, 1, 0, 1, 0]]
    # complete only through February 2023: 2023Q1 is not complete, so it is left out
    y2, periods2 = emerging.slice_counts(pts, cells, "quarter", pd.Timestamp("2023-02-28"))
    assert str(periods2[-1]) == "2022Q4" and y2.sum() == 4
    ym, pm = emerging.slice_counts(pts, cells, "month")
    assert len(pm) == 14 and ym.sum() == 5
    with pytest.raises(ConfigError, match="period"):
        emerging.slice_counts(pts, cells, "week")


def test_one_slice_is_refused_with_a_clear_message():
    with pytest.raises(ConfigError, match="at least 2 time slices"):
        emerging.emerging_hotspots(np.ones((7, 1)), _grid(1), ["2023Q1"])


def test_sparse_leading_periods_are_trimmed():
    y = np.array([[1, 0, 0, 30, 40, 0, 35], [0, 0, 1, 25, 20, 50, 30]], dtype=float)
    periods = list(range(7))
    y2, p2, dropped = emerging.trim_sparse_start(y, periods)
    assert dropped == 3 and p2 == [3, 4, 5, 6]
    assert y2.tolist() == y[:, 3:].tolist()  # later quiet periods are kept
    same, _, none = emerging.trim_sparse_start(y[:, 3:], periods[3:])
    assert none == 0 and same.shape == (2, 4)
    empty, _, zero = emerging.trim_sparse_start(np.zeros((2, 3)), [0, 1, 2])
    assert zero == 0 and empty.shape == (2, 3)


def test_confirming_by_permutation_only_removes_hot_slices():
    rng = np.random.default_rng(4)
    cells = _grid(5)
    y = rng.poisson(4, (len(cells), 6)).astype(float)
    pos = {c: i for i, c in enumerate(cells)}
    for c in h3.grid_disk(CENTRE, 1):
        y[pos[c]] += 20
    plain = emerging.emerging_hotspots(y, cells, list(range(6)), permutations=199, seed=1)
    strict = emerging.emerging_hotspots(
        y, cells, list(range(6)), permutations=199, seed=1, confirm_by_permutation=True
    )
    assert (strict["hot_slices"] <= plain["hot_slices"]).all()
    # a cluster spread over 7 cells has high neighbours too: it survives the stricter test
    centre = strict.set_index("h3").loc[CENTRE]
    assert centre["hot_slices"] == 6 and centre["pattern"].endswith("hot spot")
